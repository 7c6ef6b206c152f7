"""The Socket.IO API: `join`, `send`, `history`, and the seed console's `chat_user_input`.

Mounted beside Flet on the same port (server.py). Every message goes through the ChatService, so
Socket.IO clients obey the limits browser users do; every event payload is a pydantic model
(schemas.py). Acks are plain dicts (`model_dump(mode="json")`) so any Socket.IO client reads them.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pydantic
import socketio

from flet_chat.api.clients import ApiClient
from flet_chat.api.fanout import Fanout, SubscribableHub
from flet_chat.api.origins import origin_checker
from flet_chat.api.schemas import (
    ErrorAck,
    ErrorBody,
    HistoryAck,
    HistoryRequest,
    JoinAck,
    JoinRequest,
    MessageEvent,
    PresenceEvent,
    SendAck,
    SendRequest,
)
from flet_chat.bootstrap import Runtime, Services
from flet_chat.bots.dispatcher import is_command
from flet_chat.bots.helper import seed_answer
from flet_chat.core.errors import ChatError, NameTakenError, NotJoinedError, RateLimitedError
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.core.rooms import DEFAULT_ROOM, UnknownRoomError, check_room
from flet_chat.settings import Settings

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
# A Socket.IO packet bigger than this is refused by Engine.IO before any handler runs.
MAX_PACKET_BYTES = 64 * 1024
GUEST_PREFIX = "console-guest-"


class _RefusalsAreWarnings(logging.LoggerAdapter[logging.Logger]):
    """Engine.IO logs a refused client (a foreign Origin, a bad request) with `error()`: that is
    the check working, not the server failing, so it is a warning here. Exceptions stay errors."""

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.warning(msg, *args, **kwargs)


class _Invalid(ChatError):
    pass


class _Unauthorized(ChatError):
    """A token that is neither a bot's nor a valid identity token."""


def _error(code: str, message: str) -> Ack:
    return ErrorAck(error=ErrorBody(code=code, message=message)).model_dump(mode="json")  # type: ignore[arg-type]


def _chat_error(error: ChatError) -> Ack:
    if isinstance(error, UnknownRoomError):
        return _error("unknown_room", str(error))
    if isinstance(error, NameTakenError):
        return _error("name_taken", str(error))
    if isinstance(error, RateLimitedError):
        return _error("rate_limited", str(error))
    if isinstance(error, _Unauthorized):
        return _error("unauthorized", str(error))
    if isinstance(error, NotJoinedError):
        return _error("not_joined", str(error))
    return _error("invalid", str(error))


class SocketApi:
    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        self._runtime = runtime
        self._bot_tokens = dict(settings.bot_tokens)
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=origin_checker(settings.allowed_origins),
            max_http_buffer_size=MAX_PACKET_BYTES,
            engineio_logger=_RefusalsAreWarnings(logging.getLogger("flet_chat.engineio")),
        )
        self.clients: dict[str, ApiClient] = {}
        # Seed consoles get the room as `server_answer` lines; they are not in the Socket.IO
        # room, so they get no `message` events they would not read.
        self._seed_sids: set[str] = set()
        self.fanout = Fanout(self._broadcast)
        handlers: Mapping[str, Callable[..., Awaitable[Any]]] = {
            "connect": self._connect,
            "disconnect": self._disconnect,
            "join": self._guard(self._join),
            "send": self._guard(self._send),
            "history": self._guard(self._history),
            "typing": self._typing,
            "chat_user_input": self._chat_user_input,
        }
        for event, handler in handlers.items():
            self.sio.on(event, handler)

    def asgi_app(self, other_app: Any) -> Any:
        """One ASGI app: /socket.io/ here, everything else (Flet, /healthz, /api) to `other_app`."""
        return socketio.ASGIApp(self.sio, other_asgi_app=other_app)

    def start(self, hub: SubscribableHub) -> None:
        self.fanout.start(hub)

    async def stop(self) -> None:
        await self.fanout.stop()

    # -- plumbing ------------------------------------------------------------------------------

    def _services(self) -> Services:
        services = self._runtime.services
        if services is None:
            raise ConnectionRefusedError("the server is starting")
        return services

    def _guard(
        self, handler: Callable[[ApiClient, Services, Any], Awaitable[Ack]]
    ) -> Callable[[str, Any], Awaitable[Ack]]:
        """Validation and error answers shared by every acknowledged event."""

        async def guarded(sid: str, data: Any = None) -> Ack:
            client = self.clients.get(sid)
            services = self._runtime.services
            if client is None or services is None:
                return _error("unavailable", "The server is starting. Try again.")
            try:
                return await handler(client, services, data)
            except pydantic.ValidationError as error:
                return _error("invalid", _describe(error))
            except ChatError as error:
                return _chat_error(error)
            except Exception:
                logger.exception("socket.io handler failed")
                return _error("unavailable", "Something went wrong. Try again.")

        return guarded

    async def _connect(self, sid: str, _environ: Any, _auth: Any = None) -> None:
        self._services()
        self.clients[sid] = ApiClient(sid)

    async def _disconnect(self, sid: str, _reason: Any = None) -> None:
        client = self.clients.pop(sid, None)
        self._seed_sids.discard(sid)
        services = self._runtime.services
        if client is None or client.user_name is None or services is None:
            return
        try:
            await services.chat.leave(client.user_name, client.session_key)
        except Exception:
            logger.exception("could not record that %s left", client.user_name)

    # -- events ---------------------------------------------------------------------------------

    async def _join(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = JoinRequest.model_validate(data or {})
        room = check_room(request.room)
        if client.user_name is not None:
            return _error("invalid", f"Already joined as {client.user_name}.")
        name, author_kind, proven = self._identify(services, request)
        # Without proof of identity, a name that is online now belongs to someone else.
        user_name, _ = await services.chat.join(name, client.session_key, exclusive=not proven)
        client.user_name, client.author_kind, client.room = user_name, author_kind, room
        await self.sio.enter_room(client.sid, room)
        latest = await services.chat.latest()
        return JoinAck(
            room=room,
            user_name=user_name,
            author_kind=author_kind,
            token=services.identity.issue(user_name) if author_kind is AuthorKind.USER else None,
            messages=[MessageEvent.of(m, room) for m in latest.messages],
            has_older=latest.has_older,
        ).model_dump(mode="json")

    def _identify(self, services: Services, request: JoinRequest) -> tuple[str, AuthorKind, bool]:
        """(name, author kind, whether the client proved it is that name)."""
        if request.token is None:
            if request.name is None:
                raise _Invalid("Give a name (or a token) to join.")
            return request.name, AuthorKind.USER, False
        for bot_name, bot_token in self._bot_tokens.items():
            if hmac.compare_digest(request.token.encode(), bot_token.encode()):
                return bot_name, AuthorKind.BOT, True
        verified = services.identity.verify(request.token)
        if verified is None or (request.name is not None and request.name.strip() != verified):
            raise _Unauthorized("The token is not valid.")
        return verified, AuthorKind.USER, True

    async def _send(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SendRequest.model_validate(data)
        room = check_room(request.room)
        if client.user_name is None or client.room != room:
            raise NotJoinedError(f"Join #{room} before sending messages.")
        if is_command(request.text):
            reply = await services.bots.run(request.text, user_name=client.user_name, room=room)
            return SendAck(hint=reply.hint).model_dump(mode="json")
        message = await services.chat.post(
            client.user_name,
            request.text,
            client_id=request.client_id,
            author_kind=client.author_kind,
        )
        return SendAck(message=MessageEvent.of(message, room)).model_dump(mode="json")

    async def _history(self, _client: ApiClient, services: Services, data: Any) -> Ack:
        request = HistoryRequest.model_validate(data or {})
        room = check_room(request.room)
        if request.before is None:
            page = await services.chat.latest(request.limit)
        else:
            page = await services.chat.before(request.before, request.limit)
        return HistoryAck(
            room=room,
            messages=[MessageEvent.of(m, room) for m in page.messages],
            has_older=page.has_older,
        ).model_dump(mode="json")

    async def _typing(self, _sid: str, _data: Any = None) -> Ack:
        # Typing indicators arrive with the presence branch (see docs/architecture.md); until
        # then a client that asks gets a clear answer instead of an ack that never comes.
        return _error("unavailable", "Typing indicators are not available on this server yet.")

    async def _chat_user_input(self, sid: str, text: Any = None) -> None:
        """The seed console: a bare string in, `server_answer` strings out, no join step. The
        text is posted to #general under a console guest name made on first use."""
        client = self.clients.get(sid)
        services = self._runtime.services
        if client is None or services is None:
            await self.sio.emit("server_answer", "The server is starting. Try again.", to=sid)
            return
        if not isinstance(text, str):
            await self.sio.emit("server_answer", "Send your question as text.", to=sid)
            return
        try:
            if client.user_name is None:
                await self._join_as_guest(client, services)
            assert client.user_name is not None
            if is_command(text):
                reply = await services.bots.run(text, user_name=client.user_name, room=DEFAULT_ROOM)
                if reply.hint:
                    await self.sio.emit("server_answer", reply.hint, to=sid)
                return
            await services.chat.post(client.user_name, text)
        except ChatError as error:
            await self.sio.emit("server_answer", str(error), to=sid)
            return
        except Exception:
            logger.exception("seed console input failed")
            await self.sio.emit("server_answer", "Something went wrong. Try again.", to=sid)
            return
        await self.sio.emit("server_answer", seed_answer(text), to=sid)

    async def _join_as_guest(self, client: ApiClient, services: Services) -> None:
        for _ in range(5):
            name = GUEST_PREFIX + secrets.token_hex(3)
            try:
                client.user_name, _notice = await services.chat.join(
                    name, client.session_key, exclusive=True
                )
                break
            except NameTakenError:
                continue
        else:
            raise NameTakenError("Could not find a free guest name. Try again.")
        client.room = DEFAULT_ROOM
        self._seed_sids.add(client.sid)

    # -- fan-out ----------------------------------------------------------------------------

    async def _broadcast(self, message: Message) -> None:
        room = DEFAULT_ROOM  # one room; messages will carry theirs when rooms arrive
        event = MessageEvent.of(message, room).model_dump(mode="json")
        await self.sio.emit("message", event, room=room)
        if message.kind in (MessageKind.JOIN, MessageKind.LEAVE):
            presence = PresenceEvent(
                room=room, user_name=message.user_name, online=message.kind is MessageKind.JOIN
            )
            await self.sio.emit("presence", presence.model_dump(mode="json"), room=room)
        for sid in list(self._seed_sids):
            client = self.clients.get(sid)
            # Seed consoles see the room as lines of text, all but their own words.
            if client is not None and client.user_name != message.user_name:
                await self.sio.emit("server_answer", seed_line(message), to=sid)


def seed_line(message: Message) -> str:
    if message.kind is MessageKind.CHAT:
        badge = " [bot]" if message.author_kind is not AuthorKind.USER else ""
        return f"{message.user_name}{badge}: {message.text}"
    if message.kind is MessageKind.ACTION:
        return f"* {message.user_name} {message.text}"
    if message.kind is MessageKind.TOPIC:
        return f"{message.user_name} set the topic: {message.text}"
    return message.text


def _describe(error: pydantic.ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "payload"
    return f"Invalid {where}: {first.get('msg', 'invalid value')}"
