"""Incoming webhook: `POST /api/rooms/{room}/messages` with `Authorization: Bearer <token>`.

The token is FLET_CHAT_WEBHOOK_TOKEN (unset: every request is refused). The message is posted
through the ChatService as the integration named in the body, with an APP badge. Errors are JSON
`{"error": {"code", "message"}}`: 401 bad token, 404 unknown room (integrations post in public
rooms only: a direct conversation's key is unknown to them), 413 body too large, 422 invalid
body, 429 rate limited, 503 starting.

Besides the per-name rate limit of every poster, the webhook as a whole has a budget per token
and per caller's IP (every request, refused ones included), so rotating `name` gains nothing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable

import pydantic
from fastapi import Request
from fastapi.responses import JSONResponse

from flet_chat.api.acks import invalid_message
from flet_chat.api.schemas import MessageEvent, WebhookMessage
from flet_chat.bootstrap import Runtime
from flet_chat.core.errors import STARTING, ChatError, RateLimitedError
from flet_chat.core.models import AuthorKind
from flet_chat.core.rate_limit import Action, Origin
from flet_chat.core.rooms import UnknownRoomError, room_key

MAX_BODY_BYTES = 16 * 1024
ROUTE = "/api/rooms/{room}/messages"


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    """The body, refusing more than MAX_BODY_BYTES whatever Content-Length claims."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _TooLarge
    return bytes(body)


def build_webhook(
    runtime: Runtime, token: str | None
) -> Callable[[str, Request], Awaitable[JSONResponse]]:
    # The token's bucket is named by a digest: the token itself never reaches Redis.
    token_key = "webhook-" + hashlib.sha256((token or "").encode()).hexdigest()[:16]

    async def post_message(room: str, request: Request) -> JSONResponse:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        authorized = bool(
            token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(given.strip().encode(), token.encode())
        )
        services = runtime.services
        if services is None:
            return _error(503, "unavailable", STARTING)
        # The client from the ASGI scope: a forwarded address only from FORWARDED_ALLOW_IPS
        # (api/forwarded.py), never a raw X-Forwarded-For.
        ip = request.client.host if request.client else None
        if not authorized:
            # Guessing the token costs the guesser's address; a real integration's requests
            # cost its token (below), so guesses from a shared address cannot lock it out.
            try:
                await services.chat.limits.spend(Action.WEBHOOK, None, Origin(ip, None))
            except RateLimitedError as error:
                return _error(429, "rate_limited", str(error))
            return _error(401, "unauthorized", "A valid bearer token is required.")
        try:
            room = room_key(room)
        except ChatError as error:
            return _error(404, "unknown_room", str(error))
        try:
            body = await _read_body(request)
        except _TooLarge:
            return _error(413, "too_large", f"The body is over {MAX_BODY_BYTES:,} bytes.")
        try:
            payload = WebhookMessage.model_validate_json(body)
            # What would be posted costs the token too, whatever `name` it gives.
            await services.chat.limits.spend(Action.WEBHOOK, None, Origin(None, token_key))
            done = await services.submissions.submit(
                payload.name,
                payload.text,
                client_id=payload.client_id,
                author_kind=AuthorKind.INTEGRATION,
                room=room,
            )
            message = done.message
            if message is None:  # not reached: an integration's text is never a command
                raise ChatError("The webhook posts messages, not commands.")
        except pydantic.ValidationError as error:
            return _error(422, "invalid", invalid_message(error, "body"))
        except RateLimitedError as error:
            return _error(429, "rate_limited", str(error))
        except UnknownRoomError as error:
            return _error(404, "unknown_room", str(error))
        except ChatError as error:
            return _error(422, "invalid", str(error))
        event = MessageEvent.of(message, room).model_dump(mode="json")
        return JSONResponse({"ok": True, "message": event}, status_code=201)

    return post_message
