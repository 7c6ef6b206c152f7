"""The relying-party side of signing in through another site (flet_chat.ui.external_auth),
against the local OpenID Connect provider over HTTP: discovery, the authorization URL, the code
exchange with PKCE and the secret, the id_token checks and userinfo. The browser's part (the
login page and its redirect) is played with httpx here; tests/e2e/test_browser_sign_in.py plays
it in Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from flet_chat.settings import ExternalProvider
from flet_chat.ui.external_auth import (
    ExternalAuthorization,
    ExternalSignInError,
    LoginRequest,
    ProviderDirectory,
)
from tests.support.oidc_provider import OidcProvider, TestUser

pytestmark = pytest.mark.integration

CLIENT_ID = "flet-chat"
CLIENT_SECRET = "the-relying-party-secret"
REDIRECT_URL = "http://127.0.0.1:8550/oauth_callback"
ALICE = TestUser(username="alice", sub="user-0001", name="Alice Liddell", email="alice@example.org")


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    # PKCE and the nonce required: the relying party must send both.
    with OidcProvider(users=[ALICE], require_pkce=True, require_nonce=True) as provider:
        provider.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URL])
        yield provider


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def oidc(provider: OidcProvider, **overrides: object) -> ExternalProvider:
    fields: dict[str, object] = {
        "key": "local",
        "label": "Local",
        "issuer": provider.issuer,
        "client_id": CLIENT_ID,
        "client_secret": SecretStr(CLIENT_SECRET),
    }
    fields.update(overrides)
    return ExternalProvider.model_validate(fields)


async def start(
    directory: ProviderDirectory, key: str = "local"
) -> tuple[ExternalAuthorization, str]:
    request = LoginRequest(await directory.resolve(key), directory.redirect_url)
    authorization = ExternalAuthorization(request)
    url, state = authorization.get_authorization_data()
    assert state == authorization.state
    return authorization, url


async def sign_in_at_provider(
    browser: httpx.AsyncClient, url: str, username: str = "alice", action: str = "sign_in"
) -> dict[str, str]:
    """What the popup does: load the login page, post the form; returns the redirect's
    query (what Flet's /oauth_callback receives)."""
    page = await browser.get(url)
    assert page.status_code == 200, page.text
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    response = await browser.post(
        url.split("?")[0], data={**query, "username": username, "action": action}
    )
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URL + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def test_a_whole_sign_in(provider: OidcProvider, browser: httpx.AsyncClient) -> None:
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    authorization, url = await start(directory)
    sent = provider.record.authorization_requests
    callback = await sign_in_at_provider(browser, url)
    assert callback["state"] == authorization.state

    await authorization.request_token(callback["code"])

    identity = authorization.identity
    assert identity is not None
    assert (identity.provider, identity.subject, identity.preferred_name) == (
        "local",
        ALICE.sub,
        "alice",
    )
    assert authorization.user is not None
    assert authorization.user.id == ALICE.sub
    # What went over the wire: a fresh nonce and an S256 challenge, and the verifier later.
    assert sent[0]["nonce"] == authorization.provider.nonce
    assert sent[0]["code_challenge_method"] == "S256"
    assert sent[0]["redirect_uri"] == REDIRECT_URL
    assert provider.record.token_requests[0]["code_verifier"] == authorization.provider.verifier
    assert provider.record.userinfo_subjects == [ALICE.sub]


async def test_each_attempt_has_its_own_nonce_state_and_verifier(provider: OidcProvider) -> None:
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    first, first_url = await start(directory)
    second, second_url = await start(directory)
    assert first.state != second.state
    assert first.provider.nonce != second.provider.nonce
    assert first.provider.verifier != second.provider.verifier
    assert first_url != second_url


async def test_a_wrong_client_secret_fails_with_a_message(
    provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    directory = ProviderDirectory(
        [oidc(provider, client_secret=SecretStr("not-the-secret"))], REDIRECT_URL
    )
    authorization, url = await start(directory)
    callback = await sign_in_at_provider(browser, url)
    with pytest.raises(ExternalSignInError, match="Local refused the sign-in"):
        await authorization.request_token(callback["code"])
    assert authorization.identity is None
    assert authorization.failure == "Local refused the sign-in. Try again."


async def test_a_replayed_code_is_refused(
    provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    authorization, url = await start(directory)
    callback = await sign_in_at_provider(browser, url)
    await authorization.request_token(callback["code"])
    replay = ExternalAuthorization(authorization.provider)
    with pytest.raises(ExternalSignInError, match="refused"):
        await replay.request_token(callback["code"])


async def test_a_code_for_another_attempt_fails_the_nonce_and_pkce(
    provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    """A code injected into an attempt it was not made for (another tab's, or an attacker's
    own): the provider refuses the other attempt's verifier."""
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    victim, _ = await start(directory)
    _, attacker_url = await start(directory)
    attacker_callback = await sign_in_at_provider(browser, attacker_url)
    with pytest.raises(ExternalSignInError, match="refused"):
        await victim.request_token(attacker_callback["code"])
    assert victim.identity is None


async def test_a_nonce_that_does_not_match_is_refused(browser: httpx.AsyncClient) -> None:
    """Where PKCE did not bind the code (a provider that ignores it), the id_token's nonce
    still catches a code made for another attempt."""
    with OidcProvider(users=[ALICE]) as provider:
        provider.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URL])
        directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
        victim, _ = await start(directory)
        _, other_url = await start(directory)
        callback = await sign_in_at_provider(browser, without_pkce(other_url))
        victim.provider.verifier = ""  # as if the provider had ignored PKCE for both
        with pytest.raises(ExternalSignInError, match="id_token we cannot accept"):
            await victim.request_token(callback["code"])
    assert victim.identity is None


def without_pkce(url: str) -> str:
    parts = urlsplit(url)
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query)
        if key not in ("code_challenge", "code_challenge_method")
    ]
    return parts._replace(query=urlencode(query)).geturl()


async def test_cancel_at_the_provider_comes_back_as_access_denied(
    provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    authorization, url = await start(directory)
    callback = await sign_in_at_provider(browser, url, action="cancel")
    assert callback["error"] == "access_denied"
    assert callback["state"] == authorization.state
    assert "code" not in callback


async def test_discovery_must_name_the_configured_issuer(provider: OidcProvider) -> None:
    # The same provider under another name for the same address: not the issuer it says it is.
    looks_alike = provider.issuer.replace("127.0.0.1", "localhost")
    directory = ProviderDirectory([oidc(provider, issuer=looks_alike)], REDIRECT_URL)
    with pytest.raises(ExternalSignInError, match="misconfigured"):
        await directory.resolve("local")


async def test_an_unreachable_provider_is_said_and_tried_again_later(
    provider: OidcProvider,
) -> None:
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    provider.stop()
    with pytest.raises(ExternalSignInError, match="cannot be reached"):
        await directory.resolve("local")
    provider.start()  # on a new port: a new directory, as after a restart with new settings
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    assert (await directory.resolve("local")).token_endpoint == provider.issuer + "/token"


async def test_an_unknown_provider_key_is_refused(provider: OidcProvider) -> None:
    directory = ProviderDirectory([oidc(provider)], REDIRECT_URL)
    with pytest.raises(ExternalSignInError, match="not available"):
        await directory.resolve("github")


async def test_plain_oauth2_uses_the_configured_endpoints_and_subject_claim(
    provider: OidcProvider, browser: httpx.AsyncClient
) -> None:
    """A GitHub-like configuration: no issuer, so no discovery, no nonce and no id_token check;
    the account is a userinfo claim."""
    config = oidc(
        provider,
        issuer=None,
        authorization_endpoint=provider.issuer + "/authorize",
        token_endpoint=provider.issuer + "/token",
        userinfo_endpoint=provider.issuer + "/userinfo",
        subject_claim="email",
        name_claims=["name"],
    )
    # This provider requires a nonce (OpenID Connect's); a plain OAuth 2 client sends none.
    with OidcProvider(users=[ALICE], require_pkce=True) as plain:
        plain.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URL])
        config = config.model_copy(
            update={
                "authorization_endpoint": plain.issuer + "/authorize",
                "token_endpoint": plain.issuer + "/token",
                "userinfo_endpoint": plain.issuer + "/userinfo",
            }
        )
        directory = ProviderDirectory([config], REDIRECT_URL)
        authorization, url = await start(directory)
        assert "nonce=" not in url
        callback = await sign_in_at_provider(browser, url)
        await authorization.request_token(callback["code"])
    assert authorization.identity is not None
    assert authorization.identity.subject == ALICE.email
    assert authorization.identity.preferred_name == ALICE.name
