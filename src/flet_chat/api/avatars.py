"""Avatars over HTTP: `GET /avatars/{user_name}` serves the stored picture, `PUT /avatars/upload`
takes a new one from the profile dialog's file picker (Flet's client uploads the picked file
there with a plain PUT, outside the websocket).

What is served is only ever the 128x128 WebP this server wrote (media/avatars.py re-encodes every
upload; the upload's own bytes are never stored or sent back), with `nosniff` and a sandboxing
CSP besides, so nothing a user uploads can pass for a page or a script. The URL carries the
avatar's version (core/avatar.py `avatar_url`): a request for the current version may be cached
for good; any other gets the current picture, revalidated.

An upload carries a ticket instead of a session token (core/accounts/tickets.py). Before a byte
of the body is read the ticket, the session it names and the declared size are checked; the
body is then read up to the limit and no further, and the profile budget is spent before the
picture is decoded (AccountService.set_avatar_from). Errors are short plain text: the Flet client
hands the body to the session, which shows it under the avatar.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import PlainTextResponse

from flet_chat.bootstrap import Runtime
from flet_chat.core.avatar import AVATAR_PATH, AVATAR_UPLOAD_PATH
from flet_chat.core.errors import STARTING, ChatError, RateLimitedError, ValidationError
from flet_chat.core.rate_limit import Origin
from flet_chat.media.avatars import (
    AVATAR_MAX_BYTES,
    CHOOSE_AN_IMAGE,
    AvatarBusyError,
    reencode_avatar_async,
)

logger = logging.getLogger(__name__)

# `path`: a name may hold a "/" (sent as %2F, which the server decodes before routing).
GET_ROUTE = AVATAR_PATH + "{user_name:path}"
UPLOAD_ROUTE = AVATAR_UPLOAD_PATH
# A version's picture never changes (a new one is a new version): a year, and no revalidation.
CACHE_FOR_GOOD = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
NO_SUCH_AVATAR = "No such avatar."
TICKET_REFUSED = "This upload has expired or you were signed out. Choose the picture again."
FAILED = "Could not keep the picture right now. Try again."

# Whatever a browser does with the response, it is an image and nothing else.
_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class _TooLarge(Exception):
    pass


def _text(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message, status_code=status, headers=_SAFE_HEADERS)


def build_avatar_routes(
    runtime: Runtime,
) -> tuple[Callable[[str, Request], Awaitable[Response]], Callable[[Request], Awaitable[Response]]]:
    """The handlers of GET_ROUTE and of PUT UPLOAD_ROUTE."""

    async def get_avatar(user_name: str, request: Request) -> Response:
        services = runtime.services
        if services is None:
            return _text(503, STARTING)
        found = await services.accounts.avatar(user_name)
        if found is None:
            return _text(404, NO_SUCH_AVATAR)
        version, image = found
        etag = f'"{version}"'
        current = request.query_params.get("v") == str(version)
        headers = {
            **_SAFE_HEADERS,
            "ETag": etag,
            "Cache-Control": CACHE_FOR_GOOD if current else REVALIDATE,
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(image, media_type="image/webp", headers=headers)

    async def upload_avatar(request: Request) -> Response:
        services = runtime.services
        if services is None:
            return _text(503, STARTING)
        auth = await services.accounts.redeem_upload_ticket(request.query_params.get("t"))
        if auth is None:
            return _text(403, TICKET_REFUSED)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > AVATAR_MAX_BYTES:
            return _text(413, CHOOSE_AN_IMAGE)  # refused before a byte is read

        async def reencoded() -> bytes:
            return await reencode_avatar_async(await _read_body(request))

        # The client from the ASGI scope: a forwarded address only from FORWARDED_ALLOW_IPS.
        ip = request.client.host if request.client else None
        try:
            await services.accounts.set_avatar_from(auth, reencoded, origin=Origin(ip, None))
        except _TooLarge:
            return _text(413, CHOOSE_AN_IMAGE)
        except RateLimitedError as error:
            return _text(429, str(error))
        except AvatarBusyError as error:
            return _text(503, str(error))
        except ValidationError as error:
            return _text(422, str(error))
        except ChatError as error:  # the session ended meanwhile
            return _text(403, str(error))
        except Exception:
            logger.exception("could not keep an avatar")
            return _text(500, FAILED)
        return Response(status_code=204)

    return get_avatar, upload_avatar


async def _read_body(request: Request) -> bytes:
    """The body, refusing more than AVATAR_MAX_BYTES whatever Content-Length claimed."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > AVATAR_MAX_BYTES:
            raise _TooLarge
    return bytes(body)
