"""Attachments over HTTP.

`POST /api/rooms/{room}/files` with `Authorization: Bearer <token>` (what a join answers with: a
session or personal access token) and a multipart body: `file` (one or more) and an optional
`text`. Answers `201 {ok: true, message}`; the message's `attachments` list `{id, name, size,
content_type, url, thumbnail_url?}`. The files of one request together are at most the size
limit (FLET_CHAT_MAX_UPLOAD_BYTES). The body is never held whole: a declared Content-Length over
the limit is refused before a byte is read, and the parser's input is counted as it arrives and
cut off past the limit (Starlette spools file parts over 1 MB to a temporary file), so a larger
body answers 413 whatever it claimed.

`GET /api/files/{id}` and `/api/files/{id}/thumbnail`: the URLs handed out, which expire
(core/attachments.LinkSigner). With `Authorization: Bearer`, the token's user must be able to
read the message's room (API clients); without, the link must be a web link, made for one viewer
(the browser UI, which cannot send a header with an image request). A missing or bad token or
signature answers 403; a file the reader may not have (or none, or deleted) answers 404, the
same for a direct message of others as for an id never made. Images (decoded by Pillow when they
were sent) are shown inline; everything else is a download (`Content-Disposition: attachment`
with the cleaned name); all with `nosniff` and a sandboxing CSP, so nothing uploaded runs as a
page of this site. Both answer HEAD and one byte range (`Range: bytes=...`, api/byte_ranges.py),
after the same checks.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message as AsgiMessage

from flet_chat.api.byte_ranges import UnsatisfiableRange, requested_range
from flet_chat.api.schemas import MessageEvent
from flet_chat.bootstrap import Runtime, Services
from flet_chat.core.accounts.models import Authenticated
from flet_chat.core.attachments import (
    FileTooLargeError,
    LinkMode,
    LinkRequest,
    NoSuchFileError,
    Upload,
)
from flet_chat.core.errors import (
    STARTING,
    ChatError,
    ForbiddenError,
    RateLimitedError,
    ValidationError,
)
from flet_chat.core.limits import MAX_ATTACHMENTS_PER_MESSAGE, MAX_MESSAGE_LENGTH
from flet_chat.core.models import Attachment
from flet_chat.core.rate_limit import Origin
from flet_chat.core.rooms import NotAMemberError, UnknownRoomError

logger = logging.getLogger(__name__)

UPLOAD_ROUTE = "/api/rooms/{room}/files"
# The browser's upload (Flet's FilePicker: a plain PUT of the file's bytes; ui/session/
# attachments.py): a short-lived ticket of the account session instead of a token (the upload
# secret is the server's own, core/accounts/tickets.py), the room and the file's name.
BROWSER_UPLOAD_ROUTE = "/api/uploads/files"
FILE_ROUTE = "/api/files/{attachment_id}"
THUMBNAIL_ROUTE = "/api/files/{attachment_id}/thumbnail"
# Multipart framing, part headers and the text beside the files.
BODY_OVERHEAD = 64 * 1024 + 4 * MAX_MESSAGE_LENGTH
TOKEN_NEEDED = "Send the token you joined with: Authorization: Bearer <token>."
LINK_REFUSED = "This link has expired or is not yours. Open the message again for a new one."
FAILED = "Could not keep the file right now. Try again."
TICKET_REFUSED = "This upload has expired or you were signed out. Choose the file again."

_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
}
# Shown in the page: what Pillow decoded when the file was sent (others are downloads).
_INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})


def _error(status: int, code: str, message: str) -> JSONResponse:
    body = {"ok": False, "error": {"code": code, "message": message}}
    return JSONResponse(body, status_code=status, headers=_SAFE_HEADERS)


class _Cap:
    """Counts a request's body as the parser reads it; past `limit` the parse stops."""

    def __init__(self, receive: Callable[[], Awaitable[AsgiMessage]], limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self.seen = 0
        self.exceeded = False

    async def __call__(self) -> AsgiMessage:
        message = await self._receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self._limit:
                self.exceeded = True
                # Starlette closes the parts it spooled when its parser fails this way.
                raise MultiPartException("The upload is too large.")
        return message


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def build_file_routes(
    runtime: Runtime,
) -> tuple[
    Callable[[str, Request], Awaitable[Response]],
    Callable[[str, Request], Awaitable[Response]],
    Callable[[str, Request], Awaitable[Response]],
    Callable[[Request], Awaitable[Response]],
]:
    """The handlers of POST UPLOAD_ROUTE, GET FILE_ROUTE, GET THUMBNAIL_ROUTE and PUT
    BROWSER_UPLOAD_ROUTE."""

    async def who(services: Services, request: Request) -> Authenticated | None:
        token = _bearer(request)
        return None if token is None else await services.accounts.authenticate(token)

    async def upload(room: str, request: Request) -> Response:
        services = runtime.services
        if services is None:
            return _error(503, "starting", STARTING)
        auth = await who(services, request)
        if auth is None:
            return _error(401, "unauthorized", TOKEN_NEEDED)
        files = services.files
        # One request's files together: at most the limit (and each of them).
        limit = files.max_bytes + BODY_OVERHEAD
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return _error(413, "too_large", str(files.too_large()))  # nothing read
        cap = _Cap(request.receive, limit)
        capped = Request(request.scope, cap)
        try:
            form = await capped.form(
                max_files=MAX_ATTACHMENTS_PER_MESSAGE, max_fields=4, max_part_size=BODY_OVERHEAD
            )
        except (HTTPException, MultiPartException) as error:
            if cap.exceeded:
                return _error(413, "too_large", str(files.too_large()))
            detail = getattr(error, "detail", None) or getattr(error, "message", "")
            return _error(400, "bad_request", f"Send a multipart form: {detail}")
        try:
            parts = form.getlist("file")
            text = form.get("text")
            if not isinstance(text, str):
                text = ""
            uploads: list[Upload] = []
            for part in parts:
                if not isinstance(part, UploadFile):
                    return _error(422, "invalid", "`file` must be a file.")
                if part.size is not None and part.size > files.max_bytes:
                    return _error(413, "too_large", str(files.too_large()))
                uploads.append(Upload(part.filename or "", await part.read()))
        finally:
            await form.close()
        ip = request.client.host if request.client else None
        origin = Origin(ip, f"api-session-{auth.session_id}")
        try:
            message = await files.send(auth.account.user_name, room, text, uploads, origin=origin)
        except FileTooLargeError as error:
            return _error(413, "too_large", str(error))
        except RateLimitedError as error:
            return _error(429, "rate_limited", str(error))
        except UnknownRoomError as error:
            return _error(404, "no_such_room", str(error))
        except NotAMemberError as error:
            return _error(403, "not_a_member", str(error))
        except ForbiddenError as error:  # muted there, or the room is archived
            return _error(403, "forbidden", str(error))
        except ValidationError as error:
            return _error(422, "invalid", str(error))
        except ChatError as error:
            return _error(403, "refused", str(error))
        except Exception:
            logger.exception("could not keep an upload")
            return _error(500, "failed", FAILED)
        event = MessageEvent.of(message, links=files.api_links)
        return JSONResponse(
            {"ok": True, "message": event.model_dump(mode="json")},
            status_code=201,
            headers=_SAFE_HEADERS,
        )

    async def fetch(attachment_id: str, request: Request, *, thumbnail: bool) -> Response:
        services = runtime.services
        if services is None:
            return _error(503, "starting", STARTING)
        query = request.query_params
        link = LinkRequest(
            attachment_id, thumbnail, query.get("exp"), query.get("sig"), query.get("u")
        )
        files = services.files
        reader: str | None
        if _bearer(request) is not None:
            auth = await who(services, request)
            if auth is None or not files.signer.check(link, LinkMode.BEARER):
                return _error(403, "forbidden", LINK_REFUSED)
            reader = auth.account.user_name
        elif link.viewer is not None:
            if not files.signer.check(link, LinkMode.WEB):
                return _error(403, "forbidden", LINK_REFUSED)
            reader = link.viewer
        else:  # a thumbnail in a message row
            if not files.signer.check(link, LinkMode.ROW):
                return _error(403, "forbidden", LINK_REFUSED)
            try:
                attachment, data = await files.fetch_row_thumbnail(attachment_id)
            except NoSuchFileError as error:
                return _error(404, "not_found", str(error))
            return _file_response(request, attachment, data, thumbnail=True)
        try:
            attachment, data = await files.fetch(reader, attachment_id, thumbnail=thumbnail)
        except NoSuchFileError as error:
            return _error(404, "not_found", str(error))
        return _file_response(request, attachment, data, thumbnail=thumbnail)

    async def get_file(attachment_id: str, request: Request) -> Response:
        return await fetch(attachment_id, request, thumbnail=False)

    async def get_thumbnail(attachment_id: str, request: Request) -> Response:
        return await fetch(attachment_id, request, thumbnail=True)

    async def browser_upload(request: Request) -> Response:
        services = runtime.services
        if services is None:
            return _text(503, STARTING)
        query = request.query_params
        auth = await services.accounts.redeem_upload_ticket(query.get("t"))
        if auth is None:
            return _text(403, TICKET_REFUSED)
        files = services.files
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > files.max_bytes:
            return _text(413, str(files.too_large()))  # refused before a byte is read
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > files.max_bytes:
                return _text(413, str(files.too_large()))
        ip = request.client.host if request.client else None
        upload = Upload(query.get("name", ""), bytes(body))
        try:
            await files.send(
                auth.account.user_name,
                query.get("room", ""),
                "",
                [upload],
                origin=Origin(ip, f"upload-session-{auth.session_id}"),
            )
        except FileTooLargeError as error:
            return _text(413, str(error))
        except RateLimitedError as error:
            return _text(429, str(error))
        except ChatError as error:
            return _text(422, str(error))
        except Exception:
            logger.exception("could not keep an upload")
            return _text(500, FAILED)
        return Response(status_code=204, headers=_SAFE_HEADERS)

    return upload, get_file, get_thumbnail, browser_upload


def _text(status: int, message: str) -> PlainTextResponse:
    """The browser's client hands the body of a refusal to the session, which shows it."""
    return PlainTextResponse(message, status_code=status, headers=_SAFE_HEADERS)


def _file_response(
    request: Request, attachment: Attachment, data: bytes, *, thumbnail: bool
) -> Response:
    """The file, or the one byte range asked for (byte_ranges.py). Only once the reader is known
    to be allowed. HEAD gets the same headers (the ASGI server leaves the body out)."""
    headers = {**_file_headers(attachment, thumbnail=thumbnail), "Accept-Ranges": "bytes"}
    # If-Range asks for the range only if the file is unchanged, which it cannot prove
    # without a validator (we send none): the whole file, as the RFC says.
    header = None if "if-range" in request.headers else request.headers.get("range")
    try:
        wanted = requested_range(header, len(data))
    except UnsatisfiableRange as error:
        return Response(
            status_code=416, headers={**_SAFE_HEADERS, "Content-Range": error.content_range}
        )
    if wanted is None:
        return Response(data, headers=headers)
    return Response(
        wanted.of(data), status_code=206, headers={**headers, "Content-Range": wanted.content_range}
    )


def _file_headers(attachment: Attachment, *, thumbnail: bool) -> dict[str, Any]:
    if thumbnail:
        content_type, disposition = "image/webp", "inline"
    elif attachment.content_type in _INLINE_TYPES and attachment.has_thumbnail:
        content_type, disposition = attachment.content_type, "inline"
    else:
        content_type, disposition = attachment.content_type, "attachment"
    return {
        **_SAFE_HEADERS,
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(disposition, attachment.name),
        # The link names its viewer and expires: kept by this browser only, for a while.
        "Cache-Control": "private, max-age=300",
    }


def content_disposition(disposition: str, name: str) -> str:
    """`attachment; filename="..."; filename*=UTF-8''...`: an ASCII fallback with nothing that
    could end the quoted string, and the whole name percent-encoded (RFC 6266, RFC 5987)."""
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\%' else "_" for ch in name
    )
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
