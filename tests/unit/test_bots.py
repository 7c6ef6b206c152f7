"""The bot framework and the helper bot, with a recording stand-in for the ChatService."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from flet_chat.bots.base import Bot, CommandCall, Reply, command
from flet_chat.bots.dispatcher import BotDispatcher, is_command, parse
from flet_chat.bots.helper import HelperBot
from flet_chat.core.errors import RateLimitedError
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.core.rooms import direct_key


class RecordingChat:
    def __init__(self) -> None:
        self.posts: list[tuple[str, str, MessageKind, AuthorKind]] = []
        self.rooms: list[str] = []

    async def post(
        self,
        user_name: str,
        raw_text: str,
        *,
        client_id: str | None = None,
        is_retry: bool = False,
        kind: MessageKind = MessageKind.CHAT,
        author_kind: AuthorKind = AuthorKind.USER,
        rate_limited: bool = True,
        room: str = "general",
    ) -> Message:
        self.posts.append((user_name, raw_text, kind, author_kind))
        self.rooms.append(room)
        return Message(len(self.posts), kind, user_name, raw_text, datetime.now(UTC), author_kind)


async def nobody(_room: str) -> list[str] | None:
    return ["Ann", "Bob"]


async def free(_name: str, _origin: object) -> None:
    return None


def dispatcher(chat: RecordingChat, *bots: Bot, spent: list[str] | None = None) -> BotDispatcher:
    async def spend(name: str, _origin: object) -> None:
        if spent is not None:
            spent.append(name)

    return BotDispatcher(
        chat, bots or (HelperBot(random.Random(7)),), spend=spend, online_users=nobody
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("/roll 2d6", True), (" /me waves", True), ("/", False), ("//not", False), ("a /b", False)],
)
def test_what_counts_as_a_command(text: str, expected: bool) -> None:
    assert is_command(text) is expected


def test_parse_splits_name_and_arguments() -> None:
    assert parse("/ROLL  2d6 ") == ("roll", "2d6")
    assert parse("/ask\nwhy?") == ("ask", "why?")
    assert parse("/help") == ("help", "")


async def test_every_command_costs_the_caller_and_unknown_ones_get_a_hint() -> None:
    chat, spent = RecordingChat(), []
    bots = dispatcher(chat, spent=spent)
    reply = await bots.run("/nope", user_name="Ann", room="general")
    assert reply.hint == "Unknown command /nope. Type /help to see the commands."
    assert spent == ["Ann"]
    assert chat.posts == []


async def test_a_rate_limited_caller_runs_nothing() -> None:
    chat = RecordingChat()

    async def refuse(_name: str, _origin: object) -> None:
        raise RateLimitedError("slow down")

    bots = BotDispatcher(chat, [HelperBot()], spend=refuse, online_users=nobody)
    with pytest.raises(RateLimitedError):
        await bots.run("/roll", user_name="Ann", room="general")
    assert chat.posts == []


async def test_helper_commands() -> None:
    chat = RecordingChat()
    bots = dispatcher(chat)
    help_hint = (await bots.run("/help", user_name="Ann", room="general")).hint or ""
    for name in ("/help", "/who", "/me <action>", "/topic <text>", "/roll [NdM]", "/ask"):
        assert name in help_hint
    who = await bots.run("/who", user_name="Ann", room="general")
    assert who.hint == "Online in #general (2): Ann, Bob"
    await bots.run("/me waves", user_name="Ann", room="general")
    await bots.run("/topic Release day", user_name="Ann", room="general")
    await bots.run("/roll 2d6", user_name="Ann", room="general")
    await bots.run("/ask why?", user_name="Ann", room="general")
    assert chat.posts[0] == ("Ann", "waves", MessageKind.ACTION, AuthorKind.USER)
    assert chat.posts[1] == ("Ann", "Release day", MessageKind.TOPIC, AuthorKind.USER)
    name, text, kind, author = chat.posts[2]
    assert (name, kind, author) == ("Helper", MessageKind.CHAT, AuthorKind.BOT)
    assert text.startswith("Ann rolled 2d6: ")
    assert chat.posts[3:] == [
        ("Ann", "why?", MessageKind.CHAT, AuthorKind.USER),
        ("Helper", "This is my answer to your question: why?", MessageKind.CHAT, AuthorKind.BOT),
    ]


@pytest.mark.parametrize("args", ["0d6", "2d1", "101d6", "1d1001", "fish"])
async def test_bad_dice_get_a_usage_hint(args: str) -> None:
    chat = RecordingChat()
    reply = await dispatcher(chat).run(f"/roll {args}", user_name="Ann", room="general")
    assert (reply.hint or "").startswith("Usage: /roll [NdM]")
    assert chat.posts == []


async def test_a_custom_bot_and_a_failing_command() -> None:
    class Echo(Bot):
        name = "Echo"

        @command("echo", "<text>", "repeat")
        async def echo(self, call: CommandCall) -> Reply:
            await call.say(call.args)
            return Reply()

        @command("boom")
        async def boom(self, call: CommandCall) -> Reply:
            raise RuntimeError("bug in a bot")

    chat = RecordingChat()
    bots = dispatcher(chat, Echo())
    await bots.run("/echo hi", user_name="Ann", room="general")
    assert chat.posts == [("Echo", "hi", MessageKind.CHAT, AuthorKind.BOT)]
    reply = await bots.run("/boom", user_name="Ann", room="general")
    assert reply.hint == "/boom failed. Try again later."


async def test_bots_from_entry_points_see_messages_once(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    class Watcher(Bot):
        name = "Watcher"

        async def on_message(self, message: Message, chat: object) -> None:
            seen.append(message.text)

    class FakeEntryPoint:
        value = "somepackage:Watcher"

        def load(self) -> type[Bot]:
            return Watcher

    from flet_chat.bots import dispatcher as module

    monkeypatch.setattr(module, "entry_points", lambda group: [FakeEntryPoint()])
    bots = module.load_entry_point_bots()
    assert [b.name for b in bots] == ["Watcher"]
    chat = RecordingChat()
    watching = BotDispatcher(chat, bots, spend=free, online_users=nobody)
    hello = Message(1, MessageKind.CHAT, "Ann", "hello", datetime.now(UTC))
    beep = Message(2, MessageKind.CHAT, "Helper", "beep", datetime.now(UTC), AuthorKind.BOT)
    for message in (hello, hello, beep):  # a retried send is observed again; bots skip bots
        watching.observe(message)
    await watching.drain()
    assert seen == ["hello"]


async def test_commands_answer_in_the_room_they_were_typed_in() -> None:
    chat = RecordingChat()
    bots = dispatcher(chat)
    await bots.run("/topic Ship it", user_name="Ann", room="dev")
    await bots.run("/roll", user_name="Ann", room="dev")
    assert chat.rooms == ["dev", "dev"]
    assert chat.posts[0][1:3] == ("Ship it", MessageKind.TOPIC)


async def test_in_a_direct_conversation_the_bot_answers_privately() -> None:
    chat = RecordingChat()
    bots = dispatcher(chat)
    dm = direct_key("Ann", "Bob")
    reply = await bots.run("/ask why?", user_name="Ann", room=dm)
    # The question is the caller's own words, in their conversation; the bot's answer is not
    # posted there (the server refuses bots in direct rooms) but reaches the caller.
    assert chat.posts == [("Ann", "why?", MessageKind.CHAT, AuthorKind.USER)]
    assert chat.rooms == [dm]
    assert reply.hint == "Helper: This is my answer to your question: why?"
    rolled = await bots.run("/roll 1d6", user_name="Ann", room=dm)
    assert (rolled.hint or "").startswith("Helper: Ann rolled 1d6: ")
    assert len(chat.posts) == 1
