"""Socket.IO requests about accounts (`sign_up`, `sign_in`, `sign_out`) and what happens to a
client whose account session ends.

Signing up or in answers a session token and changes nothing on the connection: the client then
joins with it (`join {token}`), as it would on any other connection. A joined client is watched
(live/session_watch.py): when its session ends, on this process or another, it hears
`signed_out`, leaves the chat, and every request but these three and `join` is refused until it
joins again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from flet_chat.api.acks import Ack, InvalidRequest
from flet_chat.api.clients import ApiClient
from flet_chat.api.schemas import (
    OkAck,
    SignedInAck,
    SignedOutEvent,
    SignInRequest,
    SignOutRequest,
    SignUpRequest,
)
from flet_chat.bootstrap import Services
from flet_chat.core.accounts.models import SessionKind, SignedIn
from flet_chat.core.accounts.service import SIGNED_OUT
from flet_chat.core.errors import JOIN_FIRST, NotJoinedError

logger = logging.getLogger(__name__)

# Events a signed-out client may still send: the ways back in.
WAYS_BACK_IN = frozenset({"sign_up", "sign_in", "join"})
BOTS_DO_NOT_SIGN_OUT = "A bot has no session to sign out of: disconnect instead."
TOKENS_ARE_REVOKED = (
    "You joined with a personal access token: revoke it in your profile to sign it out."
)

# Takes a joined client out of the chat (its rooms, its presence); the caller holds its lock.
Leave = Callable[[ApiClient, Services], Awaitable[None]]
# Told once a client's session ended and it left, before `signed_out` goes out (seed consoles).
Forget = Callable[[ApiClient], Awaitable[None]]


class AccountRequests:
    def __init__(
        self, sio: socketio.AsyncServer, leave: Leave, forget: Forget | None = None
    ) -> None:
        self._sio = sio
        self._leave = leave
        self._forget = forget

    # -- requests (each behind SocketApi's guard) -----------------------------------------------

    async def sign_up(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SignUpRequest.model_validate(data)
        signed = await services.accounts.sign_up(
            request.name, request.password, origin=client.origin, kind=SessionKind.API
        )
        return self._signed_in(client, signed)

    async def sign_in(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SignInRequest.model_validate(data)
        signed = await services.accounts.sign_in(
            request.name, request.password, origin=client.origin, kind=SessionKind.API
        )
        return self._signed_in(client, signed)

    def _signed_in(self, client: ApiClient, signed: SignedIn) -> Ack:
        client.signed_out = False  # proven again: its requests answer as a new client's
        return SignedInAck(token=signed.token, user_name=signed.account.user_name).model_dump(
            mode="json"
        )

    async def sign_out(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SignOutRequest.model_validate(data or {})
        async with client.presence_lock:  # not while a join or the disconnect's leave runs
            auth = client.auth
            if client.user_name is None:
                raise NotJoinedError(JOIN_FIRST)
            if auth is None:
                raise InvalidRequest(BOTS_DO_NOT_SIGN_OUT)
            if auth.kind is SessionKind.ACCESS_TOKEN:
                raise InvalidRequest(TOKENS_ARE_REVOKED)
            # This client asked: it gets the ack, not a `signed_out`. Its session's other
            # connections, here and on every process, hear of it from the bus.
            self.unwatch(client)
            try:
                if request.everywhere:
                    await services.accounts.sign_out_everywhere(auth)
                else:
                    await services.accounts.sign_out(auth)
            except BaseException:
                self.watch(client, services)  # still signed in: still watched
                raise
            await self._leave(client, services)
        return OkAck().model_dump(mode="json")

    # -- the watch ------------------------------------------------------------------------------

    def watch(self, client: ApiClient, services: Services) -> None:
        """Sign the client out when the session it joined with ends (call once it joined)."""
        auth = client.auth
        if auth is None or client.unwatch is not None:
            return
        session_id = auth.session_id

        async def ended() -> None:
            client.unwatch = None  # the watch calls this once, and has forgotten it
            await self._ended(client, services, session_id)

        client.unwatch = services.session_watch.watch(session_id, ended)

    def unwatch(self, client: ApiClient) -> None:
        stop, client.unwatch = client.unwatch, None
        if stop is not None:
            stop()

    async def _ended(self, client: ApiClient, services: Services, session_id: int) -> None:
        if client.gone:
            return  # the disconnect takes it out of the chat
        # Refused from this moment, before anything below awaits.
        client.signed_out = True
        name = client.auth.account.user_name if client.auth is not None else None
        async with client.presence_lock:
            if client.session_id == session_id and client.user_name is not None:
                logger.info("a Socket.IO client of %s was signed out", client.user_name)
                await self._leave(client, services)
        if self._forget is not None:
            await self._forget(client)
        # A ban from the chat ends sessions too: say so rather than "signed out" (if the store
        # cannot say, the client still hears it is out).
        reason = SIGNED_OUT
        if name is not None:
            try:
                reason = await services.accounts.ended_reason(name)
            except Exception as error:
                logger.warning("could not tell why a session ended: %r", error)
        event = SignedOutEvent(reason=reason)
        await self._sio.emit("signed_out", event.model_dump(mode="json"), to=client.sid)
