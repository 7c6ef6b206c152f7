"""What a bot author writes against: `Bot`, the `@command` decorator, `CommandCall`, `Reply`.

A bot is a class with a `name` and methods marked `@command(...)`; each gets a `CommandCall`
(who typed it, its arguments, and ways to answer) and returns a `Reply`: nothing, or a private
hint that only the caller sees. Public answers go through `call.say(...)` (as the bot, stored and
broadcast like any message) or `call.post_as_caller(...)`, in the room the command was typed in.
Bots never speak in a direct conversation nor in a private room (the server refuses): there
`say` hands its text to the caller as a private hint instead. Bots may also override `on_message`
to see every message stored by this process (each message is seen once in a cluster).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, TypeVar

from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.core.rooms import UnknownRoomError, is_direct


@dataclass(frozen=True, slots=True)
class Reply:
    """`hint`: shown only to the caller, never stored or broadcast."""

    hint: str | None = None


class Poster(Protocol):
    """The part of ChatService a bot uses."""

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
        room: str = DEFAULT_ROOM,
    ) -> Message: ...


@dataclass(frozen=True, slots=True)
class CommandCall:
    bot_name: str
    user_name: str
    room: str
    command: str
    args: str
    chat: Poster
    # Who is online in the room, or None when this build cannot tell (see bots/who.py).
    online_users: Callable[[str], Awaitable[list[str] | None]]
    help_lines: tuple[str, ...]
    # What `say` could not post in a direct conversation; the dispatcher hints it to the caller.
    private: list[str] = field(default_factory=list)

    async def say(self, text: str) -> Message | None:
        """Answer publicly as the bot (None: in a direct conversation or a private room, only
        the caller sees it). The caller's command already paid the rate limit."""
        if is_direct(self.room):
            self.private.append(f"{self.bot_name}: {text}")
            return None
        try:
            return await self.chat.post(
                self.bot_name, text, author_kind=AuthorKind.BOT, rate_limited=False, room=self.room
            )
        except UnknownRoomError:
            # A private room (the caller is a member: the dispatcher checked): bots do not
            # post there, as in a direct conversation.
            self.private.append(f"{self.bot_name}: {text}")
            return None

    async def post_as_caller(self, text: str, kind: MessageKind = MessageKind.CHAT) -> Message:
        return await self.chat.post(
            self.user_name, text, kind=kind, rate_limited=False, room=self.room
        )


Handler = Callable[[Any, CommandCall], Awaitable[Reply]]
H = TypeVar("H", bound=Handler)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    usage: str
    summary: str

    def help_line(self) -> str:
        usage = f" {self.usage}" if self.usage else ""
        return f"/{self.name}{usage}: {self.summary}"


def command(name: str, usage: str = "", summary: str = "") -> Callable[[H], H]:
    """Mark a bot method as the handler of `/name`."""

    def mark(handler: H) -> H:
        handler._flet_chat_command = CommandSpec(name.lower(), usage, summary)  # type: ignore[attr-defined]
        return handler

    return mark


class Bot:
    name: ClassVar[str] = "Bot"

    def commands(self) -> dict[str, tuple[CommandSpec, Callable[[CommandCall], Awaitable[Reply]]]]:
        found: dict[str, tuple[CommandSpec, Callable[[CommandCall], Awaitable[Reply]]]] = {}
        for attribute in dir(type(self)):
            spec = getattr(getattr(type(self), attribute), "_flet_chat_command", None)
            if isinstance(spec, CommandSpec):
                found[spec.name] = (spec, getattr(self, attribute))
        return found

    async def on_message(self, message: Message, chat: Poster) -> None:
        """Called once per stored message, other bots' included; default: ignore it."""
