"""The Socket.IO API: `join`, `send`, `history`, `search`, `typing`, the account requests of
account_requests.py, the room requests of room_requests.py, and the seed console's
`chat_user_input`.

Mounted beside Flet on the same port (server.py). Every message goes through the ChatService, so
Socket.IO clients obey the limits browser users do; every event payload is a pydantic model
(schemas.py). Acks are plain dicts (`model_dump(mode="json")`) so any Socket.IO client reads them.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic
import socketio

from flet_chat.api.account_requests import WAYS_BACK_IN, AccountRequests
from flet_chat.api.acks import (
    Ack,
    InvalidRequest,
    Unauthorized,
    chat_error_ack,
    error_ack,
    invalid_payload_ack,
)
from flet_chat.api.clients import ApiClient, scope_ip
from flet_chat.api.feed import Change, Signal, SocketFeed
from flet_chat.api.moderation_requests import ModerationRequests
from flet_chat.api.origins import origin_checker
from flet_chat.api.packets import CheckedServer, refuse_bad_frames
from flet_chat.api.room_requests import RoomRequests, requested_key
from flet_chat.api.schemas import (
    HistoryAck,
    HistoryRequest,
    JoinAck,
    JoinRequest,
    LinkMaker,
    MessageEvent,
    PresenceEvent,
    SearchAck,
    SearchRequest,
    SendAck,
    SendRequest,
    TypingAck,
    TypingEvent,
    TypingRequest,
)
from flet_chat.api.seed import EVENT_IN as SEED_EVENT
from flet_chat.api.seed import SeedConsoles
from flet_chat.bootstrap import Runtime, Services
from flet_chat.core.accounts.models import Authenticated, SessionKind, SignedIn
from flet_chat.core.accounts.service import SIGNED_OUT
from flet_chat.core.errors import (
    JOIN_BEFORE_SENDING,
    SOMETHING_WENT_WRONG,
    STARTING,
    ChatError,
    NotJoinedError,
)
from flet_chat.core.events import ModerationChanged, UserTyping
from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import AuthorKind, Message
from flet_chat.core.rate_limit import Origin
from flet_chat.core.rooms import room_key
from flet_chat.settings import Settings

logger = logging.getLogger(__name__)

# A token that proves nobody: forged, ended, expired, or another name's than the one given.
BAD_TOKEN = "The token is not valid."
# A Socket.IO packet bigger than this is refused by Engine.IO before any handler runs.
MAX_PACKET_BYTES = 64 * 1024


class _EngineIoLog(logging.LoggerAdapter[logging.Logger]):
    """Engine.IO's log, put in its place. It traces every packet at INFO, tokens and message text
    included: that is DEBUG here, never on in production. It logs a refused client (a foreign
    Origin, a bad request) with `error()`: that is the check working, not the server failing, so
    it is a warning. Exceptions stay errors."""

    def info(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)

    def error(self, msg: object, *args: object, **kwargs: Any) -> None:
        self.warning(msg, *args, **kwargs)


@dataclass(frozen=True, slots=True)
class JoinIdentity:
    user_name: str
    author_kind: AuthorKind
    auth: Authenticated | None  # the account session the client signed in with (not a bot's)
    token: str | None = None  # what the client joins with next time
    new_guest: SignedIn | None = None  # a guest account this join made
    charged: bool = False  # the join budget is spent already


class SocketApi:
    def __init__(self, runtime: Runtime, settings: Settings) -> None:
        self._runtime = runtime
        self._bot_tokens = dict(settings.bot_tokens)
        self.sio = CheckedServer(
            async_mode="asgi",
            cors_allowed_origins=origin_checker(settings.allowed_origins),
            max_http_buffer_size=MAX_PACKET_BYTES,
            engineio_logger=_EngineIoLog(logging.getLogger("flet_chat.engineio")),
        )
        self.clients: dict[str, ApiClient] = {}
        self.accounts = AccountRequests(
            self.sio, self._undo_join, lambda client: self.seed.signed_out(client)
        )
        self.seed = SeedConsoles(
            self.sio, self.clients, lambda: runtime.services, watch=self.accounts.watch
        )
        self.rooms = RoomRequests(self.sio, self.clients, self._attachment_links)
        self.moderation = ModerationRequests(self.sio, self.clients, self._attachment_links)
        self.feed = SocketFeed(self._broadcast, self._signal, self._change)
        a, r = self.accounts, self.rooms
        requests: Mapping[str, Callable[[ApiClient, Services, Any], Awaitable[Ack]]] = {
            "sign_up": a.sign_up,
            "sign_in": a.sign_in,
            "sign_out": a.sign_out,
            "join": self._join,
            "send": self._send,
            "history": self._history,
            "search": self._search,
            "typing": self._typing,
            "join_room": r.join_room,
            "leave_room": r.leave_room,
            "create_room": r.create_room,
            "open_direct": r.open_direct,
            "rooms": r.rooms,
            "mark_read": r.mark_read,
            "edit": r.edit,
            "delete": r.delete,
            "react": r.react,
            **self.moderation.handlers(),
        }
        for event, request in requests.items():
            self.sio.on(event, self._guard(event, request))
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on(SEED_EVENT, self.seed.on_input)

    def asgi_app(self, other_app: Any) -> Any:
        """One ASGI app: /socket.io/ here, everything else (Flet, /healthz, /api) to `other_app`."""
        return refuse_bad_frames(
            socketio.ASGIApp(self.sio, other_asgi_app=other_app), MAX_PACKET_BYTES
        )

    def start(self, services: Services) -> None:
        """Socket.IO clients hear what this process's sessions hear, from the same bus."""
        services.bus.add_listener(self.feed.on_event)
        self.feed.start()

    async def stop(self) -> None:
        await self.feed.stop()

    # -- plumbing ------------------------------------------------------------------------------

    def _guard(
        self, event: str, handler: Callable[[ApiClient, Services, Any], Awaitable[Ack]]
    ) -> Callable[[str, Any], Awaitable[Ack]]:
        """Validation and error answers shared by every acknowledged event."""
        refused_when_signed_out = event not in WAYS_BACK_IN

        async def guarded(sid: str, data: Any = None) -> Ack:
            client = self.clients.get(sid)
            services = self._runtime.services
            if client is None or services is None:
                return error_ack("unavailable", STARTING)
            if client.signed_out and refused_when_signed_out:
                return error_ack("unauthorized", SIGNED_OUT)
            try:
                return await handler(client, services, data)
            except pydantic.ValidationError as error:
                return invalid_payload_ack(error)
            except ChatError as error:
                return chat_error_ack(error)
            except Exception:
                logger.exception("socket.io handler failed")
                return error_ack("unavailable", SOMETHING_WENT_WRONG)

        return guarded

    async def _connect(self, sid: str, environ: Any, _auth: Any = None) -> None:
        if self._runtime.services is None:
            raise socketio.exceptions.ConnectionRefusedError(STARTING)
        client = self.clients[sid] = ApiClient(sid)
        client.origin = Origin(scope_ip(environ), client.session_key)

    async def _disconnect(self, sid: str, _reason: Any = None) -> None:
        client = self.clients.pop(sid, None)
        self.seed.forget(sid)
        services = self._runtime.services
        if client is None:
            return
        client.gone = True
        self.accounts.unwatch(client)
        if services is None:
            return
        # After any join still running for this client: the one leave matching its one join.
        async with client.presence_lock:
            name, client.user_name = client.user_name, None
            if name is None:
                return
            try:
                await services.chat.leave(name, client.session_key)
            except Exception:
                logger.exception("could not record that %s left", name)

    # -- events ---------------------------------------------------------------------------------

    async def _join(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = JoinRequest.model_validate(data or {})
        # One join at a time per client, and never one after its disconnect (see ApiClient).
        async with client.presence_lock:
            if client.gone:
                return error_ack("unavailable", "The connection closed before the join.")
            if client.user_name is not None:
                return error_ack("invalid", f"Already joined as {client.user_name}.")
            return await self._join_now(client, services, request)

    async def _join_now(self, client: ApiClient, services: Services, request: JoinRequest) -> Ack:
        identity = await self._identify(client, services, request)
        name, author_kind = identity.user_name, identity.author_kind
        key = requested_key(name, request.room)
        try:
            # Refused before the user is announced: an unknown room, or someone else's DM.
            await services.chat.rooms.readable(name, key)
            user_name, _ = await services.chat.join(
                name, client.session_key, origin=None if identity.charged else client.origin
            )
        except BaseException:
            if identity.new_guest is not None:  # the name is free to try again
                await services.accounts.undo_guest(identity.new_guest)
            raise
        client.user_name, client.author_kind, client.room = user_name, author_kind, key
        client.auth, client.signed_out = identity.auth, False
        if client.gone:  # the disconnect waiting on the lock takes it back
            return error_ack("unavailable", "The connection closed during the join.")
        try:
            room = await services.chat.rooms.join(user_name, key)
            await self.rooms.enter_all(client, services)
            joined = await self.rooms.room_ack(client, services, room)
        except BaseException:
            # Not joined after all: not online either, and free to try again.
            await self._undo_join(client, services)
            raise
        # From here its session ending signs it out (checked against the store within seconds,
        # so a session that ended during the join is caught too).
        self.accounts.watch(client, services)
        return JoinAck(
            room=room.key,
            user_name=user_name,
            author_kind=author_kind,
            token=identity.token,
            topic=joined.topic,
            messages=joined.messages,
            has_older=joined.has_older,
            room_info=joined.room,
        ).model_dump(mode="json")

    async def _undo_join(self, client: ApiClient, services: Services) -> None:
        """Out of the chat: its rooms, its presence and its session's watch (caller holds the
        client's presence lock)."""
        name, client.user_name, client.room = client.user_name, None, None
        client.auth = None
        self.accounts.unwatch(client)
        for room in self.sio.rooms(client.sid):
            if room != client.sid:
                await self.sio.leave_room(client.sid, room)
        if name is not None:
            await services.chat.leave(name, client.session_key)

    async def _identify(
        self, client: ApiClient, services: Services, request: JoinRequest
    ) -> JoinIdentity:
        """Who the client proved it is: a bot (its token from settings), an account (a session
        or access token), or a new guest (a name alone, when guests are allowed)."""
        if request.token is None:
            if request.name is None:
                raise InvalidRequest("Give a name (or a token) to join.")
            guest = await services.accounts.guest(
                request.name, origin=client.origin, kind=SessionKind.API
            )
            return JoinIdentity(
                guest.account.user_name,
                AuthorKind.USER,
                _api_session(guest),
                token=guest.token,
                new_guest=guest,
                charged=True,
            )
        for bot_name, bot_token in self._bot_tokens.items():
            # Settings refuse short bot tokens; an empty one here still never matches.
            if bot_token and hmac.compare_digest(request.token.encode(), bot_token.encode()):
                return JoinIdentity(bot_name, AuthorKind.BOT, None, token=None)
        auth = await services.accounts.authenticate(request.token)
        token = request.token
        if auth is None:  # a signed name kept from before accounts: a session of its own now
            legacy = await services.accounts.redeem_legacy_token(request.token, SessionKind.API)
            if legacy is None:
                raise Unauthorized(BAD_TOKEN)
            auth, token = _api_session(legacy), legacy.token
        name = auth.account.user_name
        if request.name is not None and request.name.strip().casefold() != name.casefold():
            if token != request.token:  # the legacy token's new session: nobody will use it
                await services.accounts.sign_out(auth)
            raise Unauthorized(BAD_TOKEN)
        return JoinIdentity(name, AuthorKind.USER, auth, token=token)

    async def _send(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SendRequest.model_validate(data)
        if client.user_name is None:
            raise NotJoinedError(JOIN_BEFORE_SENDING)
        done = await services.submissions.submit(
            client.user_name,
            request.text,
            room=requested_key(client.user_name, request.room),
            client_id=request.client_id,
            author_kind=client.author_kind,
            origin=client.origin,
        )
        links = services.files.api_links
        message = None if done.message is None else MessageEvent.of(done.message, links=links)
        return SendAck(message=message, hint=done.hint).model_dump(mode="json")

    async def _history(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = HistoryRequest.model_validate(data or {})
        reader = client.user_name
        key = room_key(request.room) if reader is None else requested_key(reader, request.room)
        if request.before is None:
            page = await services.chat.latest(key, reader=reader, limit=request.limit)
        else:
            page = await services.chat.before(
                request.before, key, reader=reader, limit=request.limit
            )
        return HistoryAck(
            room=key,
            messages=[MessageEvent.of(m, links=services.files.api_links) for m in page.messages],
            has_older=page.has_older,
        ).model_dump(mode="json")

    async def _search(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SearchRequest.model_validate(data or {})
        reader = client.user_name
        room = None
        if request.room is not None:
            room = room_key(request.room) if reader is None else requested_key(reader, request.room)
        found = await services.chat.search.find(
            request.q, reader=reader, room=room, before=request.before, origin=client.origin
        )
        return SearchAck(
            terms=list(found.terms),
            results=[MessageEvent.of(m) for m in found.messages],
            has_more=found.has_more,
        ).model_dump(mode="json")

    async def _typing(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = TypingRequest.model_validate(data or {})
        if client.user_name is None:
            raise NotJoinedError("Join a room before typing in it.")
        # The service throttles (one event per user per 2 s); a throttled one is not an error.
        key = requested_key(client.user_name, request.room)
        await services.chat.typing(client.user_name, room=key)
        return TypingAck().model_dump(mode="json")

    # -- fan-out ----------------------------------------------------------------------------

    def _attachment_links(self) -> LinkMaker | None:
        services = self._runtime.services
        return None if services is None else services.files.api_links

    async def _broadcast(self, message: Message) -> None:
        links = self._attachment_links()
        event = MessageEvent.of(message, links=links).model_dump(mode="json")
        await self.sio.emit("message", event, room=message.room)
        if message.room == DEFAULT_ROOM:  # seed consoles live in #general, and only there
            await self.seed.relay(message)

    async def _change(self, change: Change) -> None:
        if isinstance(change, ModerationChanged):
            await self.moderation.on_moderation(change)
        else:
            await self.rooms.on_change(change)

    async def _signal(self, signal: Signal) -> None:
        services = self._runtime.services
        if not self.clients or services is None:
            return
        if isinstance(signal, UserTyping):
            typing = TypingEvent(room=signal.room, user_name=signal.user_name)
            await self.sio.emit("typing", typing.model_dump(mode="json"), room=signal.room)
            return
        # The event says a session came or went; whether the user is still online (another tab,
        # another process) is presence's answer.
        online = signal.user_name in await services.chat.online_users()
        presence = PresenceEvent(room=signal.room, user_name=signal.user_name, online=online)
        await self.sio.emit("presence", presence.model_dump(mode="json"), room=signal.room)


def _api_session(signed: SignedIn) -> Authenticated:
    """A session this API just opened, as a token join would find it."""
    return Authenticated(signed.account, signed.session_id, SessionKind.API)
