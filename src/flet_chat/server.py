"""The ASGI app: the Flet web app, Socket.IO (/socket.io/), the webhook and attachments (/api),
avatars (/avatars/) and /healthz on one port."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException, Request, Response, WebSocket
from fastapi.responses import HTMLResponse, JSONResponse
from flet_web.fastapi import FastAPI, FletOAuth, app_manager
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.websockets import websockets_sansio_impl as uvicorn_websockets

from flet_chat.api.avatars import GET_ROUTE as AVATAR_ROUTE
from flet_chat.api.avatars import UPLOAD_ROUTE as AVATAR_UPLOAD_ROUTE
from flet_chat.api.avatars import build_avatar_routes
from flet_chat.api.files import (
    BROWSER_UPLOAD_ROUTE,
    FILE_ROUTE,
    THUMBNAIL_ROUTE,
    UPLOAD_ROUTE,
    build_file_routes,
)
from flet_chat.api.forwarded import TrustedProxyHeaders
from flet_chat.api.origins import origin_policy
from flet_chat.api.socketio_api import SocketApi
from flet_chat.api.webhook import ROUTE as WEBHOOK_ROUTE
from flet_chat.api.webhook import build_webhook
from flet_chat.bootstrap import Runtime
from flet_chat.flet_compat import LeakSafeFletApp, flet_session_count
from flet_chat.lean_waits import LeanEvent, OneReaderQueue, give_asyncio
from flet_chat.logs import configure_logging
from flet_chat.memory import GcPauses, limit_malloc_arenas, tune_garbage_collector
from flet_chat.settings import OAUTH_CALLBACK_PATH, Settings
from flet_chat.ui.app import build_main
from flet_chat.web_client.fonts import ROUTE as FONT_ROUTE
from flet_chat.web_client.fonts import build_font_route
from flet_chat.web_client.index_page import (
    INDEX_PATCHES,
    RIVE_STUB_JS,
    RIVE_STUB_ROUTE,
    IndexPatch,
    PatchedFletStaticFiles,
)
from flet_chat.web_clock import add_clock_script

logger = logging.getLogger(__name__)

FLET_SOCKET_PATH = "/ws"  # where Flet's web client opens its websocket (websocket_endpoint_path)


SIGN_IN_EXPIRED_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Flet Chat</title></head>
<body><p>This sign-in has expired, was already used or was replaced by a newer one.
Close this window and sign in again from the chat.</p></body></html>"""


async def oauth_callback(request: Request) -> Response:
    """Where a sign-in provider sends the browser back (`page.login`'s redirect URL). Flet's
    handler matches `state` to the session that started the sign-in; it answers an unknown
    state with 400, a session gone with 500, and a state the session no longer expects (a newer
    attempt replaced it) with an AssertionError. Each of these is a page for the person in the
    popup, not a server error."""
    try:
        response: Response = await FletOAuth().handle(request)
    except (HTTPException, AssertionError) as error:
        logger.info("refused a sign-in callback: %r", error)
        return HTMLResponse(SIGN_IN_EXPIRED_HTML, status_code=400)
    response.headers["Cache-Control"] = "no-store"
    return response


async def rive_stub() -> Response:
    return Response(RIVE_STUB_JS, media_type="text/javascript")


class CrossOriginIsolation(BaseHTTPMiddleware):
    """The headers Flet's own app factory adds; the web client needs them for its renderer."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Cross-Origin-Embedder-Policy"] = "require-corp"
        return response


def flet_socket_first(app: ASGIApp, endpoint: Callable[[WebSocket], Awaitable[None]]) -> ASGIApp:
    """Hand Flet's websocket straight to `endpoint`, everything else to `app`.

    A Flet session's websocket lives as long as the tab: through FastAPI it held 17 suspended
    coroutines (Starlette's and FastAPI's middleware, router and dependency solving) and three
    exit stacks, none of which does anything for it, in every session (about 9 KB of objects;
    13 KB of RSS a session at 1,000: bench/changes.md), and each frame sent passed through
    them. The layers around this one (trusted proxy headers) still apply.
    """

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == FLET_SOCKET_PATH:
            await endpoint(WebSocket(scope, receive, send))
        else:
            await app(scope, receive, send)

    return route


def flet_app_maker(
    main: Callable[[Any], Any], session_timeout_seconds: int
) -> Callable[[], LeakSafeFletApp]:
    """Makes the `LeakSafeFletApp` (our encoder and socket writes; flet_compat.py) that serves
    one websocket's Flet session: `await make().handle(websocket)`, called in the socket's own
    handler (a wrapper around it would be one more suspended coroutine for as long as each tab
    stays). The benchmark's Flet floor served as ours (`bench/baselines/flet_session.py
    --patched`) makes its apps here too."""

    def make() -> LeakSafeFletApp:
        return LeakSafeFletApp(
            loop=asyncio.get_running_loop(),
            executor=app_manager.executor,
            main=main,
            before_main=None,
            session_timeout_seconds=session_timeout_seconds,
        )

    return make


def install_lean_socket_waits() -> None:
    """Give uvicorn's websocket protocol (websockets' sans-I/O one, which it picks) a
    `OneReaderQueue` for the frames it received (their one reader is the app's `receive`) and a
    `LeanEvent` for its wait to write: 3.8 KB less for every open websocket (lean_waits.py).
    Read against uvicorn 0.54.0 (pinned in pyproject.toml): it only puts, gets and asks
    `empty()` of the queue, and sets, clears and waits on the event. Check again on an upgrade:
    a second reader would be refused (RuntimeError), not served."""
    give_asyncio(uvicorn_websockets, Queue=OneReaderQueue, Event=LeanEvent)


def create_app(settings: Settings | None = None) -> ASGIApp:
    # `serve --workers N` spawns fresh interpreters that start here, not in __main__.main().
    settings = settings or Settings()
    configure_logging(settings.log_level)
    limit_malloc_arenas()  # before the database and executor threads start
    install_lean_socket_waits()
    runtime = Runtime(settings)
    main = build_main(runtime)
    assets_dir = settings.assets_dir.resolve()
    gc_pauses = GcPauses()
    socket_api = SocketApi(runtime, settings)

    async def start_services() -> None:
        services = await runtime.start()
        socket_api.start(services)
        tune_garbage_collector()
        gc_pauses.install()
        runtime.memory.install()

    app = FastAPI(
        title="Flet Chat",
        on_startup=[start_services],
        on_shutdown=[socket_api.stop, runtime.stop],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime

    allowed_origin = origin_policy(settings.allowed_origins)
    flet_app = flet_app_maker(main, settings.session_timeout_seconds)

    async def flet_websocket(websocket: WebSocket) -> None:
        # A page on another site must not open a chat session in its visitor's browser.
        headers = websocket.headers
        hosts = (headers.get("host", ""), headers.get("x-forwarded-host", ""))
        if not allowed_origin(headers.get("origin"), hosts):
            logger.warning("refused a Flet connection from origin %r", headers.get("origin"))
            await websocket.close(code=1008)
            return
        await flet_app().handle(websocket)

    async def healthz() -> JSONResponse:
        services = runtime.services
        database = "starting"
        if services is not None:
            try:
                await services.store.ping()
                database = "ok"
            except Exception as error:
                logger.warning("health check: database unreachable: %r", error)
                database = "unreachable"
        body = {
            "status": "ok" if database == "ok" else "unavailable",
            "database": database,
            "bus": services.bus.describe() if services is not None else "starting",
            "sessions": len(runtime.live_sessions),
            "flet_sessions": flet_session_count(),
            "pubsub_subscribers": runtime.fanout.subscriber_count(),
            "socketio_clients": len(socket_api.clients),
            "gc_pauses": gc_pauses.report(),
        }
        return JSONResponse(body, status_code=200 if database == "ok" else 503)

    # Also through FastAPI: under a root path, which the shortcut (flet_socket_first) does not take.
    app.add_api_websocket_route(FLET_SOCKET_PATH, flet_websocket)
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route(OAUTH_CALLBACK_PATH, oauth_callback, methods=["GET"])
    app.add_api_route(
        WEBHOOK_ROUTE,
        build_webhook(runtime, settings.webhook_token),
        methods=["POST"],
    )
    upload_file, get_file, get_thumbnail, browser_upload = build_file_routes(runtime)
    app.add_api_route(UPLOAD_ROUTE, upload_file, methods=["POST"])
    app.add_api_route(BROWSER_UPLOAD_ROUTE, browser_upload, methods=["PUT"])
    app.add_api_route(FILE_ROUTE, get_file, methods=["GET", "HEAD"])
    app.add_api_route(THUMBNAIL_ROUTE, get_thumbnail, methods=["GET", "HEAD"])
    get_avatar, upload_avatar = build_avatar_routes(runtime)
    app.add_api_route(AVATAR_UPLOAD_ROUTE, upload_avatar, methods=["PUT"])
    app.add_api_route(AVATAR_ROUTE, get_avatar, methods=["GET"])
    app.add_api_route(FONT_ROUTE, build_font_route(settings.fonts_dir), methods=["GET"])
    app.add_api_route(RIVE_STUB_ROUTE, rive_stub, methods=["GET"])
    app.mount(
        "/",
        PatchedFletStaticFiles(
            index_patches=(*INDEX_PATCHES, IndexPatch("viewer's clock", add_clock_script)),
            assets_dir=str(assets_dir) if assets_dir.is_dir() else None,
            app_name="Flet Chat",
            app_short_name="Flet Chat",
            app_description="Real-time chat built on Flet",
            websocket_endpoint_path="ws",
            no_cdn=settings.web_no_cdn,
        ),
    )
    app.add_middleware(CrossOriginIsolation)
    # Socket.IO answers /socket.io/ and hands everything else (and the lifespan) to FastAPI.
    wrapped: ASGIApp = flet_socket_first(socket_api.asgi_app(app), flet_websocket)
    return TrustedProxyHeaders(
        wrapped, settings.forwarded_allow_ips, client_ip_header=settings.client_ip_header
    )
