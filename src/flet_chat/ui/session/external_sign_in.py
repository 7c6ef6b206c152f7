"""The "Sign in with <provider>" buttons of one session: start Flet's OAuth redirect, and when
the browser comes back, let the account service find or make the account linked to who the
provider says signed in.

Written against a small Protocol (`ExternalAccounts`) so the account service can be plugged in
without this module knowing its types: whatever `sign_in_external` returns is handed to
`signed_in` as is.

What happens, in order (Flet 1.0.5, web):
1. A button's click runs `begin(key)`: the provider's endpoints are resolved (discovery, kept per
   process) and `page.login` opens the authorization URL in a popup named `flet_oauth_signin`;
   Flet keeps the attempt's `state` with this session (in this process's memory).
2. The person signs in at the provider, which sends the popup to `/oauth_callback` with a code;
   the server matches the state to this session, and our `ExternalAuthorization.request_token`
   exchanges the code and reads userinfo; the popup then closes itself.
3. Flet fires `page.on_login` here: an error is shown through `failed`, a success goes to the
   account service and then to `signed_in`.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar

import flet as ft

from flet_chat.core.errors import ChatError
from flet_chat.core.rate_limit import Origin
from flet_chat.ui import keys
from flet_chat.ui.external_auth import (
    ExternalAuthorization,
    ExternalSignInError,
    LoginRequest,
    ProviderDirectory,
)

logger = logging.getLogger(__name__)

# Each attempt leaves a state in Flet's memory for 10 minutes (FLET_OAUTH_STATE_TIMEOUT): a
# session that clicks without end must not grow it without end.
MAX_ATTEMPTS = 5
ATTEMPT_WINDOW_SECONDS = 60.0

SignedInT = TypeVar("SignedInT")
SignedInT_co = TypeVar("SignedInT_co", covariant=True)

# What the popup shows while it closes itself (Flet's default says "successfully signed in"
# even when the exchange after it failed; the chat window says how it went).
COMPLETE_PAGE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Flet Chat</title></head>
<body><script>window.close();</script>
<p>You can close this window and go back to the chat.</p></body></html>"""


class ExternalAccounts(Protocol[SignedInT_co]):
    """The account service: the account linked to (provider, subject), made on first use."""

    async def sign_in_external(
        self,
        provider: str,
        subject: str,
        preferred_name: str | None,
        *,
        origin: Origin | None,
    ) -> SignedInT_co: ...


class LoginPage(Protocol):
    """What of `ft.Page` this needs."""

    on_login: Any

    @property
    def auth(self) -> Any: ...

    async def login(
        self,
        provider: Any,
        *,
        complete_page_html: str | None = ...,
        authorization: Any = ...,
    ) -> Any: ...


class ExternalSignIn(Generic[SignedInT]):
    def __init__(
        self,
        *,
        page: LoginPage,
        directory: ProviderDirectory,
        accounts: ExternalAccounts[SignedInT],
        origin: Origin | None,
        signed_in: Callable[[SignedInT], Awaitable[None]],
        failed: Callable[[str], Awaitable[None]],
    ) -> None:
        """`signed_in` gets the account service's answer; `failed` a text to show where the
        person is looking (the dialog with the buttons)."""
        self._page = page
        self._directory = directory
        self._accounts = accounts
        self._origin = origin
        self._signed_in = signed_in
        self._failed = failed
        self._attempt: ExternalAuthorization | None = None
        self._finishing = False
        self._started: deque[float] = deque(maxlen=MAX_ATTEMPTS)
        page.on_login = self._on_login

    def buttons(self) -> list[ft.Control]:
        """One button per configured provider, in the configured order."""
        return [
            ft.Button(
                content=f"Sign in with {label}",
                key=keys.sign_in_with(key),
                tooltip=f"Sign in with your {label} account",
                on_click=self._click_handler(key),
            )
            for key, label in self._directory.choices()
        ]

    def _click_handler(self, key: str) -> Callable[[Any], Awaitable[None]]:
        async def clicked(_event: Any) -> None:
            await self.begin(key)

        return clicked

    async def begin(self, provider_key: str) -> None:
        """Open the provider's sign-in in a popup. A new attempt replaces one still open (its
        callback then finds a state Flet no longer expects, and is refused)."""
        if self._finishing:
            return  # the account of the attempt that came back is being looked up
        now = time.monotonic()
        if len(self._started) == MAX_ATTEMPTS and now - self._started[0] < ATTEMPT_WINDOW_SECONDS:
            await self._failed("Too many sign-in attempts. Wait a minute and try again.")
            return
        self._started.append(now)
        try:
            resolved = await self._directory.resolve(provider_key)
        except ExternalSignInError as error:
            await self._failed(str(error))
            return
        request = LoginRequest(resolved, self._directory.redirect_url)
        self._attempt = await self._page.login(
            request,
            authorization=ExternalAuthorization,
            complete_page_html=COMPLETE_PAGE_HTML,
        )

    async def _on_login(self, event: Any) -> None:
        attempt = self._attempt
        if attempt is None or self._page.auth is not attempt:
            return  # not ours, or already handled
        self._attempt = None
        label = attempt.provider.resolved.config.label
        if event.error:
            await self._failed(attempt.failure or _refusal_text(label, str(event.error)))
            return
        identity = attempt.identity
        if identity is None:  # request_token succeeded, so this cannot be; say so if it is
            logger.error("sign-in with %s reported success without an identity", label)
            await self._failed(f"Signing in with {label} did not work. Try again.")
            return
        self._finishing = True
        try:
            result = await self._accounts.sign_in_external(
                identity.provider,
                identity.subject,
                identity.preferred_name,
                origin=self._origin,
            )
        except ChatError as error:
            await self._failed(str(error))
            return
        except Exception:
            logger.exception("the account of a sign-in with %s could not be found or made", label)
            await self._failed("Could not sign in right now. Try again.")
            return
        finally:
            self._finishing = False
        logger.info("signed in with %s", identity.provider)
        await self._signed_in(result)


def _refusal_text(label: str, error: str) -> str:
    """The provider sent the browser back with an OAuth error code (RFC 6749 4.1.2.1)."""
    if error == "access_denied":
        return f"Signing in with {label} was cancelled."
    if error in ("temporarily_unavailable", "server_error"):
        return f"{label} cannot sign you in right now. Try again later."
    return f"{label} refused the sign-in."
