"""Signing in through another site (OpenID Connect, or plain OAuth 2 such as GitHub's), as the
relying party: one `ProviderDirectory` per process, one `ExternalAuthorization` per attempt.

Flet's `page.login(provider, authorization=ExternalAuthorization)` drives the redirect: it
asks us for the authorization URL, opens it in a popup, stores the `state` with the session and,
when the provider sends the browser back to `/oauth_callback`, matches the state and calls our
`request_token(code)`. We do the protocol ourselves instead of Flet's `AuthorizationService`:

- Flet's service keeps the PKCE verifier on the provider object (one for every login made with
  it) and sends no nonce; we make a fresh verifier and nonce for every attempt.
- It throws the id_token away; we check it: issuer, audience, expiry, the nonce we sent, and that
  userinfo speaks of the same `sub`. Its signature is not checked, which OpenID Connect Core
  3.1.3.7 allows for a token the client received straight from the token endpoint over TLS (http
  is accepted only to this machine, see `settings.is_secure_url`).
- It uses oauthlib, which refuses any http URL unless a process-wide environment variable
  (OAUTHLIB_INSECURE_TRANSPORT) lets every URL through, https or not.

Every answer from a provider is read up to a bound, and every failure becomes an
`ExternalSignInError` whose text can be shown to the person signing in; the details go to the
log, never a code, a token or a secret.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from flet.auth import Authorization, OAuthProvider, User

from flet_chat.settings import ExternalProvider, is_secure_url

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024  # discovery documents, token and userinfo answers
MAX_SUBJECT_LENGTH = 255  # OpenID Connect Core 2: sub is at most 255 ASCII characters
MAX_NAME_LENGTH = 200
CLOCK_SKEW_SECONDS = 120
DISCOVERY_PATH = "/.well-known/openid-configuration"
USER_AGENT = "flet-chat"


class ExternalSignInError(Exception):
    """A sign-in that did not work; the text is for the person signing in."""


@dataclass(frozen=True)
class ExternalIdentity:
    """Who the provider says signed in: `subject` is stable and unique at that provider."""

    provider: str
    subject: str
    preferred_name: str | None


@dataclass(frozen=True)
class ResolvedProvider:
    """A provider with its endpoints known (from settings, or the discovery document)."""

    config: ExternalProvider
    issuer: str | None
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str

    @property
    def key(self) -> str:
        return self.config.key


class ProviderDirectory:
    """The configured providers of a process. OpenID Connect providers' endpoints come from
    their discovery document, fetched at the first sign-in and kept; a failed fetch is not
    kept, so the next attempt tries again."""

    def __init__(self, providers: Sequence[ExternalProvider], redirect_url: str) -> None:
        self._providers = {provider.key: provider for provider in providers}
        self.redirect_url = redirect_url
        self._resolved: dict[str, ResolvedProvider] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def choices(self) -> list[tuple[str, str]]:
        """(key, label) of every provider, in the configured order."""
        return [(key, provider.label) for key, provider in self._providers.items()]

    def __bool__(self) -> bool:
        return bool(self._providers)

    async def resolve(self, key: str) -> ResolvedProvider:
        provider = self._providers.get(key)
        if provider is None:
            raise ExternalSignInError("That way of signing in is not available.")
        if key in self._resolved:
            return self._resolved[key]
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._resolved:  # another attempt may have fetched it meanwhile
                self._resolved[key] = await self._fetch(provider)
        return self._resolved[key]

    async def _fetch(self, provider: ExternalProvider) -> ResolvedProvider:
        if provider.issuer is None:
            endpoints = (
                provider.authorization_endpoint,
                provider.token_endpoint,
                provider.userinfo_endpoint,
            )
            if None in endpoints:  # settings refuse this; a hand-made ExternalProvider may not
                raise ExternalSignInError(f"{provider.label} is misconfigured.")
            return ResolvedProvider(provider, None, *(str(url) for url in endpoints))
        url = provider.issuer.rstrip("/") + DISCOVERY_PATH
        try:
            async with _client() as client:
                document = await _get_json(client, url)
        except (httpx.HTTPError, ValueError) as error:
            logger.warning("discovery of sign-in provider %s failed: %r", provider.key, error)
            raise ExternalSignInError(
                f"{provider.label} cannot be reached right now. Try again later."
            ) from error
        issuer = document.get("issuer")
        # OpenID Connect Discovery 4.3: the document must name the issuer that was asked.
        if not isinstance(issuer, str) or issuer.rstrip("/") != provider.issuer.rstrip("/"):
            logger.warning(
                "sign-in provider %s: discovery names issuer %r, expected %r",
                provider.key,
                issuer,
                provider.issuer,
            )
            raise ExternalSignInError(f"{provider.label} is misconfigured.")
        found: list[str] = []
        for name, configured in (
            ("authorization_endpoint", provider.authorization_endpoint),
            ("token_endpoint", provider.token_endpoint),
            ("userinfo_endpoint", provider.userinfo_endpoint),
        ):
            value = configured or document.get(name)
            if not isinstance(value, str) or not is_secure_url(value):
                logger.warning("sign-in provider %s: unusable %s %r", provider.key, name, value)
                raise ExternalSignInError(f"{provider.label} is misconfigured.")
            found.append(value)
        return ResolvedProvider(provider, issuer, *found)


class LoginRequest(OAuthProvider):
    """One attempt: Flet's `page.login` takes a provider object and hands it to the
    authorization class, so the attempt's own nonce and PKCE verifier travel on it."""

    def __init__(self, resolved: ResolvedProvider, redirect_url: str) -> None:
        config = resolved.config
        self.resolved = resolved
        self.nonce = secrets.token_urlsafe(32)
        self.verifier = secrets.token_urlsafe(48)  # 64 of [A-Za-z0-9_-] (RFC 7636 4.1)
        self.secret = config.client_secret.get_secret_value()
        verifier = self.verifier
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        super().__init__(
            client_id=config.client_id,
            client_secret=self.secret,
            authorization_endpoint=resolved.authorization_endpoint,
            token_endpoint=resolved.token_endpoint,
            redirect_url=redirect_url,
            scopes=list(config.scopes),
            user_endpoint=resolved.userinfo_endpoint,
            code_challenge=challenge.rstrip(b"=").decode(),
            code_challenge_method="S256",
            code_verifier=verifier,
        )

    def __repr__(self) -> str:  # never the secret or the verifier
        return f"LoginRequest({self.resolved.key!r})"


class ExternalAuthorization(Authorization):
    """Flet's `Authorization` for one attempt (what `page.auth` holds afterwards)."""

    def __init__(
        self,
        provider: LoginRequest,
        fetch_user: bool = True,
        fetch_groups: bool = False,
        scope: list[str] | None = None,
    ) -> None:
        if not isinstance(provider, LoginRequest):
            raise TypeError("ExternalAuthorization needs a LoginRequest")
        self.provider = provider
        self.state = ""
        self.user: User | None = None
        self.identity: ExternalIdentity | None = None
        self.failure: str | None = None  # shown to the person when on_login reports an error

    def get_authorization_data(self) -> tuple[str, str]:
        provider = self.provider
        self.state = secrets.token_urlsafe(32)
        params = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": provider.redirect_url,
            "scope": " ".join(provider.scopes),
            "state": self.state,
            "code_challenge": provider.code_challenge or "",
            "code_challenge_method": "S256",
        }
        if provider.resolved.issuer is not None:
            params["nonce"] = provider.nonce
        endpoint = provider.resolved.authorization_endpoint
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(params)}", self.state

    async def request_token(self, code: str) -> None:
        """Called by Flet once the browser came back with a code for our state: exchange it,
        check what came back and learn who signed in. Raises `ExternalSignInError`, whose text
        Flet passes to `on_login` as the event's error."""
        resolved = self.provider.resolved
        try:
            async with _client() as client:
                token = await self._exchange(client, code)
                claims = _id_token_claims(token, resolved, self.provider.nonce)
                userinfo = await self._userinfo(client, token["access_token"])
        except ExternalSignInError as error:
            self.failure = str(error)
            raise
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            logger.warning("sign-in with %s failed: %r", resolved.key, error)
            self.failure = f"Signing in with {resolved.config.label} did not work. Try again."
            raise ExternalSignInError(self.failure) from error
        subject = _subject(userinfo, resolved.config.subject_claim)
        if claims is not None and claims.get("sub") != userinfo.get("sub"):
            # OpenID Connect Core 5.3.2: userinfo about someone else must not be used.
            logger.warning("sign-in with %s: userinfo sub differs from id_token", resolved.key)
            self.failure = f"{resolved.config.label} answered inconsistently. Try again."
            raise ExternalSignInError(self.failure)
        if subject is None:
            logger.warning("sign-in with %s: no usable subject in userinfo", resolved.key)
            self.failure = f"{resolved.config.label} did not say who you are."
            raise ExternalSignInError(self.failure)
        self.user = User(userinfo, subject)
        self.identity = ExternalIdentity(
            resolved.key, subject, _preferred_name(userinfo, resolved.config.name_claims)
        )

    async def get_token(self) -> None:
        # The provider's tokens are used once, to learn who signed in, and not kept.
        return None

    async def dehydrate_token(self, saved_token: str) -> None:
        raise ExternalSignInError("Saved provider tokens are not used.")

    async def _exchange(self, client: httpx.AsyncClient, code: str) -> dict[str, Any]:
        provider = self.provider
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": provider.redirect_url,
            "client_id": provider.client_id,
            "client_secret": provider.secret,
            "code_verifier": provider.verifier,
        }
        body = await _post_json(client, provider.resolved.token_endpoint, form)
        if "error" in body or not isinstance(body.get("access_token"), str):
            logger.warning(
                "sign-in with %s: the token endpoint refused: %r",
                provider.resolved.key,
                body.get("error", "no access_token"),
            )
            raise ExternalSignInError(
                f"{provider.resolved.config.label} refused the sign-in. Try again."
            )
        token_type = body.get("token_type", "bearer")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise ValueError(f"unsupported token_type {token_type!r}")
        return body

    async def _userinfo(self, client: httpx.AsyncClient, access_token: str) -> dict[str, Any]:
        return await _get_json(
            client,
            self.provider.resolved.userinfo_endpoint,
            headers={"Authorization": f"Bearer {access_token}"},
        )


def _client() -> httpx.AsyncClient:
    # No redirects: a token or userinfo request follows no one else's Location with our secret.
    # Accept: GitHub's token endpoint answers form-encoded unless asked for JSON.
    return httpx.AsyncClient(
        timeout=HTTP_TIMEOUT_SECONDS,
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )


async def _get_json(
    client: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    async with client.stream("GET", url, headers=headers) as response:
        return await _bounded_json(response)


async def _post_json(client: httpx.AsyncClient, url: str, form: dict[str, str]) -> dict[str, Any]:
    async with client.stream("POST", url, data=form) as response:
        if response.status_code in (400, 401):
            body = await _bounded_json(response, check_status=False)
            return body if "error" in body else {"error": f"HTTP {response.status_code}"}
        return await _bounded_json(response)


async def _bounded_json(response: httpx.Response, *, check_status: bool = True) -> dict[str, Any]:
    if check_status:
        response.raise_for_status()
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ValueError(f"answer from {response.url.host} over {MAX_RESPONSE_BYTES} bytes")
        chunks.append(chunk)
    body = json.loads(b"".join(chunks))
    if not isinstance(body, dict):
        raise ValueError("answer is not a JSON object")
    return body


def _id_token_claims(
    token: dict[str, Any], resolved: ResolvedProvider, nonce: str
) -> dict[str, Any] | None:
    """The id_token's claims, checked (OpenID Connect Core 3.1.3.7); None for plain OAuth 2."""
    if resolved.issuer is None:
        return None
    id_token = token.get("id_token")
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        raise ExternalSignInError(f"{resolved.config.label} sent no valid id_token.")
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError) as error:
        raise ExternalSignInError(f"{resolved.config.label} sent no valid id_token.") from error
    if not isinstance(claims, dict):
        raise ExternalSignInError(f"{resolved.config.label} sent no valid id_token.")
    client_id = resolved.config.client_id
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    now = time.time()
    expires = claims.get("exp")
    problems = [
        problem
        for problem, bad in (
            ("issuer", claims.get("iss") != resolved.issuer),
            ("audience", client_id not in audiences),
            ("authorized party", len(audiences) > 1 and claims.get("azp") != client_id),
            ("expiry", not isinstance(expires, int | float) or expires < now - CLOCK_SKEW_SECONDS),
            ("nonce", not secrets.compare_digest(str(claims.get("nonce", "")), nonce)),
            ("subject", not isinstance(claims.get("sub"), str)),
        )
        if bad
    ]
    if problems:
        logger.warning("sign-in with %s: id_token refused: %s", resolved.key, ", ".join(problems))
        raise ExternalSignInError(f"{resolved.config.label} sent an id_token we cannot accept.")
    return claims


def _subject(userinfo: dict[str, Any], claim: str) -> str | None:
    value = userinfo.get(claim)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    subject = str(value)
    if not subject or len(subject) > MAX_SUBJECT_LENGTH or not subject.isprintable():
        return None
    return subject


def _preferred_name(userinfo: dict[str, Any], claims: Sequence[str]) -> str | None:
    for claim in claims:
        value = userinfo.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_NAME_LENGTH]
    return None
