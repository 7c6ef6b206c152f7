"""The second seed's console protocol: `chat_user_input` (a bare string) in, `server_answer`
(strings) out, no join step.

The first input joins #general under a fresh `console-guest-…` name; each text is posted through
the ChatService and answered the seed's way ("This is my answer to your question: …"); the
room's other messages reach the console as `server_answer` lines. Slash commands work, their
private hints come back as `server_answer` too.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

import socketio

from flet_chat.api.clients import ApiClient
from flet_chat.bootstrap import Services
from flet_chat.bots.helper import seed_answer
from flet_chat.core.accounts.models import Authenticated, SessionKind
from flet_chat.core.accounts.service import SIGNED_OUT
from flet_chat.core.errors import SOMETHING_WENT_WRONG, STARTING, ChatError, NameTakenError
from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import AuthorKind, Message, MessageKind

logger = logging.getLogger(__name__)

EVENT_IN, EVENT_OUT = "chat_user_input", "server_answer"
GUEST_PREFIX = "console-guest-"
GUEST_NAME_ATTEMPTS = 5


def seed_line(message: Message) -> str:
    """A room message as one line of text, for a console that only shows strings."""
    if message.kind is MessageKind.CHAT:
        badge = {AuthorKind.BOT: " [bot]", AuthorKind.INTEGRATION: " [app]"}.get(
            message.author_kind, ""
        )
        return f"{message.user_name}{badge}: {message.text}"
    if message.kind is MessageKind.ACTION:
        return f"* {message.user_name} {message.text}"
    if message.kind is MessageKind.TOPIC:
        return f"{message.user_name} set the topic: {message.text}"
    return message.text


def _is_text(value: Any) -> bool:
    """A string the databases can store: JSON may carry lone surrogates, which UTF-8 cannot."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class SeedConsoles:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        clients: dict[str, ApiClient],
        services: Callable[[], Services | None],
        *,
        watch: Callable[[ApiClient, Services], None],
    ) -> None:
        self._sio = sio
        self._clients = clients
        self._services = services
        self._watch = watch  # signs the console out when its guest session ends
        # Seed consoles are not in the Socket.IO room: they get lines, not `message` events.
        self._sids: set[str] = set()

    def forget(self, sid: str) -> None:
        self._sids.discard(sid)

    async def signed_out(self, client: ApiClient) -> None:
        """Its guest session ended: no more room lines, and a line saying why."""
        if client.sid in self._sids:
            self._sids.discard(client.sid)
            await self._answer(client.sid, SIGNED_OUT)

    async def _answer(self, sid: str, text: str) -> None:
        await self._sio.emit(EVENT_OUT, text, to=sid)

    async def on_input(self, sid: str, text: Any = None) -> None:
        client = self._clients.get(sid)
        services = self._services()
        if client is None or services is None:
            await self._answer(sid, STARTING)
            return
        if not _is_text(text):
            await self._answer(sid, "Send your question as text.")
            return
        if client.signed_out:  # not a new guest: the console has no way to sign in again
            await self._answer(sid, SIGNED_OUT)
            return
        try:
            name = await self._joined_name(client, services)
            if name is None:
                return  # the console left while its first line was joining it
            done = await services.submissions.submit(
                name, text, room=DEFAULT_ROOM, origin=client.origin
            )
            if done.message is None:  # a command: its private answer, if it has one
                if done.hint:
                    await self._answer(sid, done.hint)
                return
        except ChatError as error:
            await self._answer(sid, str(error))
            return
        except Exception:
            logger.exception("seed console input failed")
            await self._answer(sid, SOMETHING_WENT_WRONG)
            return
        await self._answer(sid, seed_answer(text))

    async def _joined_name(self, client: ApiClient, services: Services) -> str | None:
        """The console's guest name, joining it on its first line. Lines sent at once wait for
        that one join (not one guest each), and the disconnect's leave waits for it too."""
        async with client.presence_lock:
            if client.gone:
                return None
            return client.user_name or await self._join_as_guest(client, services)

    async def _join_as_guest(self, client: ApiClient, services: Services) -> str:
        for _ in range(GUEST_NAME_ATTEMPTS):
            name = GUEST_PREFIX + secrets.token_hex(3)
            try:
                guest = await services.accounts.guest(
                    name, origin=client.origin, kind=SessionKind.API
                )
            except NameTakenError:
                continue
            try:
                client.user_name, _ = await services.chat.join(
                    guest.account.user_name, client.session_key
                )
            except BaseException:
                await services.accounts.undo_guest(guest)
                raise
            client.auth = Authenticated(guest.account, guest.session_id, SessionKind.API)
            client.room = DEFAULT_ROOM
            if not client.gone:  # a console that left meanwhile was forgotten already
                self._sids.add(client.sid)
                self._watch(client, services)
            return client.user_name
        raise NameTakenError("Could not find a free guest name. Try again.")

    async def relay(self, message: Message) -> None:
        for sid in list(self._sids):
            client = self._clients.get(sid)
            # Everything but the console's own words, which it already shows.
            if client is not None and client.user_name != message.user_name:
                await self._answer(sid, seed_line(message))
