"""The built-in helper bot: /help, /who, /me, /topic, /roll and the seed's /ask."""

from __future__ import annotations

import random
import re

from flet_chat.bots.base import Bot, CommandCall, Reply, command
from flet_chat.core.models import MessageKind
from flet_chat.core.rooms import is_direct

# The seed's server answered every question with exactly this prefix.
ANSWER_PREFIX = "This is my answer to your question: "
MAX_DICE = 100
MAX_SIDES = 1000
_DICE = re.compile(r"(\d*)d(\d+)", re.IGNORECASE)


def seed_answer(question: str) -> str:
    return ANSWER_PREFIX + question


class HelperBot(Bot):
    name = "Helper"

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.SystemRandom()

    @command("help", summary="list the commands (only you see this)")
    async def help(self, call: CommandCall) -> Reply:
        return Reply(hint="Commands:\n" + "\n".join(call.help_lines))

    @command("who", summary="who is online in this room (only you see this)")
    async def who(self, call: CommandCall) -> Reply:
        users = await call.online_users(call.room)
        where = "this conversation" if is_direct(call.room) else f"#{call.room}"
        if users is None:
            return Reply(hint="Cannot tell who is online on this server yet.")
        if not users:
            return Reply(hint=f"Nobody is online in {where}.")
        return Reply(hint=f"Online in {where} ({len(users)}): " + ", ".join(users))

    @command("me", "<action>", "say what you are doing: /me waves")
    async def me(self, call: CommandCall) -> Reply:
        if not call.args:
            return Reply(hint="Usage: /me <action>, for example /me waves")
        await call.post_as_caller(call.args, MessageKind.ACTION)
        return Reply()

    @command("topic", "<text>", "set the room's topic")
    async def topic(self, call: CommandCall) -> Reply:
        if not call.args:
            return Reply(hint="Usage: /topic <text>")
        await call.post_as_caller(call.args, MessageKind.TOPIC)
        return Reply()

    @command("roll", "[NdM]", "roll dice, 1d6 by default: /roll 2d20")
    async def roll(self, call: CommandCall) -> Reply:
        match = _DICE.fullmatch(call.args or "1d6")
        count = int(match.group(1) or 1) if match else 0
        sides = int(match.group(2)) if match else 0
        if not (1 <= count <= MAX_DICE and 2 <= sides <= MAX_SIDES):
            return Reply(
                hint=f"Usage: /roll [NdM], N dice of M sides (N up to {MAX_DICE},"
                f" M from 2 to {MAX_SIDES}), for example /roll 2d6"
            )
        dice = [self._rng.randint(1, sides) for _ in range(count)]
        shown = " + ".join(map(str, dice)) + (f" = {sum(dice)}" if count > 1 else "")
        await call.say(f"{call.user_name} rolled {count}d{sides}: {shown}")
        return Reply()

    @command("ask", "<question>", "ask a question; the bot answers as the seed's server did")
    async def ask(self, call: CommandCall) -> Reply:
        if not call.args:
            return Reply(hint="Usage: /ask <question>")
        await call.post_as_caller(call.args)  # the question, so the answer has its context
        await call.say(seed_answer(call.args))
        return Reply()
