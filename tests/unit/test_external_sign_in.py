"""Signing in through another site, the parts that need no provider: the settings, the checks
on what a provider answers, the authorization URL, and what the session does with Flet's
on_login event. The protocol against a real provider is in
tests/integration/test_external_auth.py, the browser's part in tests/e2e/test_browser_sign_in.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr, ValidationError

from flet_chat.core.errors import ValidationError as ChatValidationError
from flet_chat.core.rate_limit import Origin
from flet_chat.settings import ExternalProvider, Settings
from flet_chat.ui.external_auth import (
    ExternalAuthorization,
    ExternalIdentity,
    ExternalSignInError,
    LoginRequest,
    ProviderDirectory,
    ResolvedProvider,
    _id_token_claims,
    _preferred_name,
    _subject,
)
from flet_chat.ui.session import external_sign_in
from flet_chat.ui.session.external_sign_in import ExternalSignIn

ISSUER = "https://id.example.org"
REDIRECT = "https://chat.example.com/oauth_callback"
PROVIDERS_JSON = json.dumps(
    [
        {
            "key": "corp",
            "label": "Corp SSO",
            "issuer": ISSUER,
            "client_id": "chat",
            "client_secret": "corp-secret-value",
        }
    ]
)


def settings(**fields: Any) -> Settings:
    return Settings(**fields)


def provider(**overrides: Any) -> ExternalProvider:
    fields: dict[str, Any] = {
        "key": "corp",
        "label": "Corp SSO",
        "issuer": ISSUER,
        "client_id": "chat",
        "client_secret": SecretStr("corp-secret-value"),
    }
    fields.update(overrides)
    return ExternalProvider.model_validate(fields)


def resolved(**overrides: Any) -> ResolvedProvider:
    config = provider(**overrides)
    return ResolvedProvider(
        config,
        config.issuer,
        "https://id.example.org/authorize",
        "https://id.example.org/token",
        "https://id.example.org/userinfo",
    )


# -- settings -------------------------------------------------------------------------------------


def test_no_provider_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OIDC_PROVIDERS", "GITHUB_CLIENT_ID", "GOOGLE_CLIENT_ID", "PUBLIC_URL"):
        monkeypatch.delenv(f"FLET_CHAT_{name}", raising=False)
    assert Settings().external_providers() == []


def test_providers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLET_CHAT_OIDC_PROVIDERS", PROVIDERS_JSON)
    monkeypatch.setenv("FLET_CHAT_GITHUB_CLIENT_ID", "gh-id")
    monkeypatch.setenv("FLET_CHAT_GITHUB_CLIENT_SECRET", "gh-secret")
    monkeypatch.setenv("FLET_CHAT_GOOGLE_CLIENT_ID", "g-id")
    monkeypatch.setenv("FLET_CHAT_GOOGLE_CLIENT_SECRET", "g-secret")
    monkeypatch.setenv("FLET_CHAT_PUBLIC_URL", "https://chat.example.com/")
    loaded = Settings()
    providers = loaded.external_providers()
    assert [(p.key, p.label) for p in providers] == [
        ("github", "GitHub"),
        ("google", "Google"),
        ("corp", "Corp SSO"),
    ]
    github, google, corp = providers
    # GitHub is OAuth 2 without OpenID Connect: its numeric id names the account.
    assert github.issuer is None
    assert github.subject_claim == "id"
    assert github.client_secret.get_secret_value() == "gh-secret"
    assert google.issuer == "https://accounts.google.com"
    assert corp.issuer == ISSUER
    assert loaded.oauth_redirect_url() == "https://chat.example.com/oauth_callback"
    # Secrets stay out of reprs (and so out of tracebacks and logs).
    assert "gh-secret" not in repr(loaded)
    assert "corp-secret-value" not in repr(loaded)


def test_a_provider_needs_the_public_url() -> None:
    with pytest.raises(ValidationError, match="FLET_CHAT_PUBLIC_URL"):
        settings(oidc_providers=json.loads(PROVIDERS_JSON))


@pytest.mark.parametrize("half", ["github_client_id", "google_client_secret"])
def test_a_shortcut_needs_its_id_and_secret(half: str) -> None:
    with pytest.raises(ValidationError, match="set both"):
        settings(**{half: "x", "public_url": "https://chat.example.com"})


def test_provider_keys_must_differ() -> None:
    clash = json.dumps([{**json.loads(PROVIDERS_JSON)[0], "key": "github"}])
    with pytest.raises(ValidationError, match="must differ: github"):
        settings(
            oidc_providers=json.loads(clash),
            github_client_id="id",
            github_client_secret="secret",
            public_url="https://chat.example.com",
        )


@pytest.mark.parametrize(
    "issuer",
    [
        "http://id.example.org",  # codes and tokens in clear over the network
        "http://10.0.0.5",
        "ftp://id.example.org",
        "https://",
    ],
)
def test_a_provider_url_must_be_secure(issuer: str) -> None:
    with pytest.raises(ValidationError, match="must be https"):
        provider(issuer=issuer)


@pytest.mark.parametrize(
    "issuer", ["http://127.0.0.1:9000", "http://localhost:9000", "http://[::1]"]
)
def test_http_to_this_machine_is_allowed(issuer: str) -> None:
    assert provider(issuer=issuer).issuer == issuer


def test_without_an_issuer_all_endpoints_are_needed() -> None:
    with pytest.raises(ValidationError, match="give an issuer"):
        provider(issuer=None, authorization_endpoint="https://x/a", token_endpoint="https://x/t")


@pytest.mark.parametrize("key", ["", "Corp", "a b", "x" * 33, "../etc"])
def test_a_provider_key_is_a_short_slug(key: str) -> None:
    with pytest.raises(ValidationError):
        provider(key=key)


def test_an_empty_client_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="client_secret is empty"):
        provider(client_secret=SecretStr("  "))


def test_the_public_url_is_an_address() -> None:
    with pytest.raises(ValidationError, match="must be an address"):
        settings(public_url="chat.example.com")


# -- the authorization URL ------------------------------------------------------------------------


def test_the_authorization_url_carries_state_nonce_and_pkce() -> None:
    request = LoginRequest(resolved(), REDIRECT)
    authorization = ExternalAuthorization(request)
    url, state = authorization.get_authorization_data()
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://id.example.org/authorize"
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "chat",
        "redirect_uri": REDIRECT,
        "scope": "openid profile email",
        "state": state,
        "nonce": request.nonce,
        "code_challenge": request.code_challenge,
        "code_challenge_method": "S256",
    }
    expected = base64.urlsafe_b64encode(hashlib.sha256(request.verifier.encode()).digest())
    assert request.code_challenge == expected.rstrip(b"=").decode()
    assert "corp-secret-value" not in url
    assert "corp-secret-value" not in repr(request)


def test_plain_oauth2_sends_no_nonce() -> None:
    config = provider(
        issuer=None,
        authorization_endpoint="https://github.example/authorize?allow_signup=false",
        token_endpoint="https://github.example/token",
        userinfo_endpoint="https://api.github.example/user",
        scopes=["read:user"],
    )
    request = LoginRequest(
        ResolvedProvider(
            config,
            None,
            "https://github.example/authorize?allow_signup=false",
            "https://github.example/token",
            "https://api.github.example/user",
        ),
        REDIRECT,
    )
    url, _ = ExternalAuthorization(request).get_authorization_data()
    query = parse_qs(urlsplit(url).query)
    assert "nonce" not in query
    assert query["allow_signup"] == ["false"]
    assert query["scope"] == ["read:user"]


async def test_the_directory_knows_only_configured_providers() -> None:
    directory = ProviderDirectory([provider(issuer=None, **endpoints())], REDIRECT)
    assert directory.choices() == [("corp", "Corp SSO")]
    assert (await directory.resolve("corp")).token_endpoint == "https://x.example/token"
    with pytest.raises(ExternalSignInError):
        await directory.resolve("github")


def endpoints() -> dict[str, str]:
    return {
        "authorization_endpoint": "https://x.example/authorize",
        "token_endpoint": "https://x.example/token",
        "userinfo_endpoint": "https://x.example/userinfo",
    }


# -- what a provider answers ----------------------------------------------------------------------


def id_token(**claims: Any) -> dict[str, Any]:
    body = {
        "iss": ISSUER,
        "aud": "chat",
        "sub": "u-1",
        "exp": int(time.time()) + 300,
        "iat": int(time.time()),
        "nonce": "the-nonce",
        **claims,
    }
    body = {key: value for key, value in body.items() if value is not None}
    payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    return {"id_token": f"eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln", "access_token": "at"}


def test_a_good_id_token_passes() -> None:
    claims = _id_token_claims(id_token(), resolved(), "the-nonce")
    assert claims is not None
    assert claims["sub"] == "u-1"
    # A list audience with us in it and an authorized party of us.
    assert _id_token_claims(id_token(aud=["chat", "api"], azp="chat"), resolved(), "the-nonce")


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "https://evil.example.org"},
        {"aud": "another-app"},
        {"aud": ["another-app", "chat"], "azp": "another-app"},
        {"exp": int(time.time()) - 3600},
        {"exp": None},
        {"exp": "tomorrow"},
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"sub": None},
        {"sub": 42},
    ],
)
def test_a_bad_id_token_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(ExternalSignInError, match="id_token we cannot accept"):
        _id_token_claims(id_token(**claims), resolved(), "the-nonce")


@pytest.mark.parametrize(
    "token",
    [{}, {"id_token": 5}, {"id_token": "a.b"}, {"id_token": "a.!!!.c"}, {"id_token": "a.WzFd.c"}],
)
def test_a_missing_or_garbled_id_token_is_refused(token: dict[str, Any]) -> None:
    with pytest.raises(ExternalSignInError, match="no valid id_token"):
        _id_token_claims(token, resolved(), "the-nonce")


def test_plain_oauth2_has_no_id_token_to_check() -> None:
    config = provider(issuer=None, **endpoints())
    plain = ResolvedProvider(config, None, *endpoints().values())
    assert _id_token_claims({}, plain, "ignored") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("u-1", "u-1"),
        (583231, "583231"),  # GitHub's numeric id
        (True, None),
        (None, None),
        ("", None),
        ("x" * 256, None),
        ("line\nbreak", None),
        ({"id": 1}, None),
    ],
)
def test_the_subject(value: object, expected: str | None) -> None:
    assert _subject({"sub": value}, "sub") == expected


def test_the_preferred_name_is_the_first_usable_claim() -> None:
    claims = ("preferred_username", "name")
    assert _preferred_name({"preferred_username": " ", "name": " Alice "}, claims) == "Alice"
    assert _preferred_name({"preferred_username": 5}, claims) is None
    assert len(_preferred_name({"name": "a" * 1000}, claims) or "") == 200


# -- the session's part ---------------------------------------------------------------------------


@dataclass
class LoginEvent:
    error: str | None = None


class FakePage:
    """ft.Page's login as the session sees it: `login` makes the authorization Flet would."""

    def __init__(self) -> None:
        self.on_login: Any = None
        self.auth: Any = None
        self.logins: list[dict[str, Any]] = []

    async def login(self, provider: Any, **options: Any) -> Any:
        self.logins.append(options)
        self.auth = options["authorization"](provider)
        self.auth.get_authorization_data()
        return self.auth


class Accounts:
    def __init__(self, refusal: Exception | None = None) -> None:
        self.calls: list[tuple[str, str, str | None, Origin | None]] = []
        self.refusal = refusal

    async def sign_in_external(
        self, provider: str, subject: str, preferred_name: str | None, *, origin: Origin | None
    ) -> str:
        self.calls.append((provider, subject, preferred_name, origin))
        if self.refusal:
            raise self.refusal
        return f"token-for-{subject}"


class Session:
    def __init__(self, accounts: Accounts | None = None) -> None:
        self.page = FakePage()
        self.accounts = accounts or Accounts()
        self.signed_in: list[str] = []
        self.failures: list[str] = []
        directory = ProviderDirectory([provider(issuer=None, **endpoints())], REDIRECT)

        async def signed_in(result: str) -> None:
            self.signed_in.append(result)

        async def failed(message: str) -> None:
            self.failures.append(message)

        self.sign_in = ExternalSignIn(
            page=self.page,
            directory=directory,
            accounts=self.accounts,
            origin=Origin("203.0.113.9", "session-1"),
            signed_in=signed_in,
            failed=failed,
        )

    def came_back_as(self, subject: str, name: str | None) -> None:
        """What a successful request_token leaves on the authorization."""
        self.page.auth.identity = ExternalIdentity("corp", subject, name)


async def test_a_successful_sign_in_reaches_the_account_service() -> None:
    session = Session()
    assert [b.key for b in session.sign_in.buttons()] == ["sign-in-corp"]
    await session.sign_in.begin("corp")
    assert session.page.logins[0]["authorization"] is ExternalAuthorization
    session.came_back_as("u-1", "alice")
    await session.page.on_login(LoginEvent())
    assert session.accounts.calls == [("corp", "u-1", "alice", Origin("203.0.113.9", "session-1"))]
    assert session.signed_in == ["token-for-u-1"]
    assert session.failures == []
    # The same event again (nothing new came back) does nothing.
    await session.page.on_login(LoginEvent())
    assert len(session.accounts.calls) == 1


async def test_cancel_at_the_provider_is_said() -> None:
    session = Session()
    await session.sign_in.begin("corp")
    await session.page.on_login(LoginEvent(error="access_denied"))
    assert session.failures == ["Signing in with Corp SSO was cancelled."]
    assert session.accounts.calls == []


async def test_a_failed_exchange_says_what_the_authorization_said() -> None:
    session = Session()
    await session.sign_in.begin("corp")
    session.page.auth.failure = "Corp SSO refused the sign-in. Try again."
    await session.page.on_login(LoginEvent(error="Corp SSO refused the sign-in. Try again."))
    assert session.failures == ["Corp SSO refused the sign-in. Try again."]


async def test_a_refusal_of_the_account_service_is_shown() -> None:
    session = Session(Accounts(refusal=ChatValidationError("That name is taken.")))
    await session.sign_in.begin("corp")
    session.came_back_as("u-1", "alice")
    await session.page.on_login(LoginEvent())
    assert session.failures == ["That name is taken."]
    assert session.signed_in == []


async def test_an_unexpected_failure_is_a_plain_message() -> None:
    session = Session(Accounts(refusal=RuntimeError("database on fire")))
    await session.sign_in.begin("corp")
    session.came_back_as("u-1", "alice")
    await session.page.on_login(LoginEvent())
    assert session.failures == ["Could not sign in right now. Try again."]


async def test_only_the_newest_attempt_counts() -> None:
    session = Session()
    await session.sign_in.begin("corp")
    first = session.page.auth
    await session.sign_in.begin("corp")
    assert session.page.auth is not first
    # An on_login for an authorization that is not the page's current one is ignored.
    session.page.auth, current = first, session.page.auth
    first.identity = ExternalIdentity("corp", "u-old", None)
    await session.page.on_login(LoginEvent())
    assert session.accounts.calls == []
    session.page.auth = current
    session.came_back_as("u-new", None)
    await session.page.on_login(LoginEvent())
    assert [call[1] for call in session.accounts.calls] == ["u-new"]


async def test_an_unknown_provider_is_said() -> None:
    session = Session()
    await session.sign_in.begin("github")
    assert session.failures == ["That way of signing in is not available."]
    assert session.page.logins == []


async def test_attempts_are_limited_per_session(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(external_sign_in.time, "monotonic", lambda: clock[0])
    session = Session()
    for _ in range(external_sign_in.MAX_ATTEMPTS):
        await session.sign_in.begin("corp")
    assert session.failures == []
    await session.sign_in.begin("corp")
    assert session.failures == ["Too many sign-in attempts. Wait a minute and try again."]
    assert len(session.page.logins) == external_sign_in.MAX_ATTEMPTS
    clock[0] += external_sign_in.ATTEMPT_WINDOW_SECONDS
    await session.sign_in.begin("corp")
    assert len(session.page.logins) == external_sign_in.MAX_ATTEMPTS + 1
