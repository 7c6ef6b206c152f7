"""Routes `/commands` to the bot that owns them and shows bots every stored message.

Every client kind reaches `run()` through the one path for what people type
(`submit.Submissions.submit`): the Flet composer, Socket.IO `send` and the seed's
`chat_user_input`. A command costs the caller one message from their rate limit, unknown ones
included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from importlib.metadata import entry_points

from flet_chat.bots.base import Bot, CommandCall, CommandSpec, Poster, Reply
from flet_chat.core.errors import ChatError
from flet_chat.core.models import AuthorKind, Message
from flet_chat.core.rate_limit import Origin
from flet_chat.core.recent_ids import RecentIds

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "flet_chat.bots"
UNKNOWN = "Unknown command /{name}. Type /help to see the commands."

OnlineUsers = Callable[[str], Awaitable[list[str] | None]]
Spend = Callable[[str, Origin | None], Awaitable[None]]


def is_command(text: str) -> bool:
    # "/" alone or "//..." is text (a way to start a message with a slash).
    stripped = text.lstrip()
    return len(stripped) > 1 and stripped[0] == "/" and stripped[1] not in "/ \n"


def parse(text: str) -> tuple[str, str]:
    """("roll", "2d6") from "/roll 2d6"; the name ends at any whitespace, a line break too."""
    parts = text.strip()[1:].split(maxsplit=1)
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


def load_entry_point_bots() -> list[Bot]:
    """Bots installed by other packages: `[project.entry-points."flet_chat.bots"]`."""
    bots: list[Bot] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            bot = entry.load()()
        except Exception:
            logger.exception("could not load bot %s", entry.value)
            continue
        if isinstance(bot, Bot):
            bots.append(bot)
        else:
            logger.error("entry point %s is not a flet_chat.bots.base.Bot", entry.value)
    return bots


class BotDispatcher:
    def __init__(
        self, chat: Poster, bots: Iterable[Bot], *, spend: Spend, online_users: OnlineUsers
    ) -> None:
        self._chat = chat
        self._spend = spend
        self._online_users = online_users
        self.bots = list(bots)
        self._commands: dict[str, tuple[Bot, CommandSpec, Callable[..., Awaitable[Reply]]]] = {}
        for bot in self.bots:
            for name, (spec, handler) in bot.commands().items():
                if name in self._commands:
                    logger.warning(
                        "/%s of %s hides the one of %s",
                        name,
                        bot.name,
                        self._commands[name][0].name,
                    )
                self._commands[name] = (bot, spec, handler)
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen = RecentIds()  # a retried send is recorded (and observed) again

    @property
    def names(self) -> frozenset[str]:
        return frozenset(bot.name for bot in self.bots)

    def help_lines(self) -> tuple[str, ...]:
        return tuple(
            spec.help_line()
            for _, spec, _ in sorted(self._commands.values(), key=lambda c: c[1].name)
        )

    async def run(
        self, text: str, *, user_name: str, room: str, origin: Origin | None = None
    ) -> Reply:
        """Run the command in `text` for `user_name`, in `room` (which the caller checked they
        are in). Raises ChatError (rate limit, validation) for the caller to show, like a
        refused message."""
        await self._spend(user_name, origin)
        name, args = parse(text)
        found = self._commands.get(name)
        if found is None:
            return Reply(hint=UNKNOWN.format(name=name))
        bot, _, handler = found
        call = CommandCall(
            bot_name=bot.name,
            user_name=user_name,
            room=room,
            command=name,
            args=args,
            chat=self._chat,
            online_users=self._online_users,
            help_lines=self.help_lines(),
        )
        try:
            reply = await handler(call)
        except ChatError:
            raise
        except Exception:
            logger.exception("/%s of %s failed", name, bot.name)
            return Reply(hint=f"/{name} failed. Try again later.")
        if call.private:  # what the bot would have said in a direct conversation
            return Reply(hint="\n".join([*call.private, *([reply.hint] if reply.hint else [])]))
        return reply

    def observe(self, message: Message) -> None:
        """ChatService calls this after each message it stored; bots see it in the background,
        so a slow bot never delays the sender. Bots do not see bots (no reply loops)."""
        if message.author_kind is AuthorKind.BOT or not self._seen.add(message.id):
            return
        for bot in self.bots:
            task = asyncio.create_task(self._deliver(bot, message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, bot: Bot, message: Message) -> None:
        try:
            await bot.on_message(message, self._chat)
        except Exception:
            logger.exception("bot %s failed on message %s", bot.name, message.id)

    async def drain(self) -> None:
        """Wait until bots have seen every message observed so far."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
