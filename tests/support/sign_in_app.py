"""A small Flet web app for the browser sign-in tests: the product's sign-in parts (the settings,
`ExternalSignIn`'s buttons, `ExternalAuthorization`, the server's `/oauth_callback`, Flet's
websocket handler and the cross-origin headers, all from flet_chat) around an in-memory account
service, until the chat's own account service is wired to them.

Run: `python -m tests.support.sign_in_app --port N`, with FLET_CHAT_OIDC_PROVIDERS and
FLET_CHAT_PUBLIC_URL set as for the chat. GET /healthz answers once it serves.
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

import flet as ft
import uvicorn
from fastapi import WebSocket
from fastapi.responses import JSONResponse
from flet_web.fastapi import FastAPI, FletStaticFiles, app_manager

from flet_chat.core.rate_limit import Origin
from flet_chat.flet_compat import LeakSafeFletApp
from flet_chat.logs import configure_logging
from flet_chat.server import CrossOriginIsolation, oauth_callback
from flet_chat.settings import OAUTH_CALLBACK_PATH, Settings
from flet_chat.ui.external_auth import ProviderDirectory
from flet_chat.ui.session.external_sign_in import ExternalSignIn


@dataclass(frozen=True)
class SignedIn:
    name: str
    account: int
    new: bool


class InMemoryAccounts:
    """One account per (provider, subject), numbered in order of first sign-in."""

    def __init__(self) -> None:
        self._accounts: dict[tuple[str, str], tuple[int, str]] = {}

    async def sign_in_external(
        self, provider: str, subject: str, preferred_name: str | None, *, origin: Origin | None
    ) -> SignedIn:
        known = self._accounts.get((provider, subject))
        if known is not None:
            return SignedIn(known[1], known[0], new=False)
        number = len(self._accounts) + 1
        self._accounts[(provider, subject)] = (number, preferred_name or f"user{number}")
        return SignedIn(preferred_name or f"user{number}", number, new=True)


def create_app(settings: Settings) -> FastAPI:
    directory = ProviderDirectory(settings.external_providers(), settings.oauth_redirect_url())
    accounts = InMemoryAccounts()

    async def main(page: ft.Page) -> None:
        status = ft.Text("Not signed in", key="status")

        async def signed_in(result: SignedIn) -> None:
            how = "new" if result.new else "returning"
            status.value = f"Signed in as {result.name}, account {result.account} ({how})"
            page.update()

        async def failed(message: str) -> None:
            status.value = message
            page.update()

        sign_in = ExternalSignIn(
            page=page,
            directory=directory,
            accounts=accounts,
            origin=Origin(None, page.session.id),
            signed_in=signed_in,
            failed=failed,
        )
        page.add(*sign_in.buttons(), status)

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    async def flet_websocket(websocket: WebSocket) -> None:
        await LeakSafeFletApp(
            loop=asyncio.get_running_loop(),
            executor=app_manager.executor,
            main=main,
            before_main=None,
            session_timeout_seconds=settings.session_timeout_seconds,
        ).handle(websocket)

    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    app.add_api_websocket_route("/ws", flet_websocket)
    app.add_api_route("/healthz", healthz, methods=["GET"])
    app.add_api_route(OAUTH_CALLBACK_PATH, oauth_callback, methods=["GET"])
    app.mount(
        "/",
        FletStaticFiles(app_name="Sign-in test", websocket_endpoint_path="ws", no_cdn=True),
    )
    app.add_middleware(CrossOriginIsolation)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings.log_level)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=args.port, log_config=None)


if __name__ == "__main__":
    main()
