"""The test OpenID Connect provider (tests/support/oidc_provider.py) speaks the protocol and
refuses what a real provider refuses, checked over HTTP as a relying party would meet it. The
sign-in tests lean on it, so a provider that let everything through would make them
worthless."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from tests.support.oidc_provider import OidcProvider, TestUser

pytestmark = pytest.mark.integration

CLIENT_ID = "flet-chat"
CLIENT_SECRET = "s3cret-of-the-relying-party"
REDIRECT_URI = "http://127.0.0.1:8550/oauth_callback"
ALICE = TestUser(username="alice", sub="user-0001", name="Alice Liddell", email="alice@example.org")


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with OidcProvider(users=[ALICE]) as provider:
        provider.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
        yield provider


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorization_params(**overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_urlsafe(16),
    }
    params.update(overrides)
    return params


def sign_in(
    http: httpx.Client, provider: OidcProvider, params: dict[str, str], username: str = "alice"
) -> dict[str, list[str]]:
    """The login page, then its form as a browser posts it; returns the redirect's query."""
    page = http.get(f"{provider.issuer}/authorize", params=params)
    assert page.status_code == 200, page.text
    assert 'name="username"' in page.text
    assert ">Sign in</button>" in page.text
    decision = http.post(
        f"{provider.issuer}/authorize", data={**params, "username": username, "action": "sign_in"}
    )
    assert decision.status_code == 302, decision.text
    location = urlsplit(decision.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return parse_qs(location.query)


def exchange(
    http: httpx.Client,
    provider: OidcProvider,
    code: str,
    *,
    secret: str = CLIENT_SECRET,
    redirect_uri: str = REDIRECT_URI,
    **extra: str,
) -> httpx.Response:
    return http.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": CLIENT_ID,
            "client_secret": secret,
            **extra,
        },
    )


def test_discovery_names_the_endpoints(http: httpx.Client, provider: OidcProvider) -> None:
    config = http.get(f"{provider.issuer}/.well-known/openid-configuration").json()
    assert config["issuer"] == provider.issuer
    for name, path in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
    ]:
        assert config[name] == provider.issuer + path
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert config["code_challenge_methods_supported"] == ["S256"]


def test_a_whole_code_flow(http: httpx.Client, provider: OidcProvider) -> None:
    params = authorization_params()
    query = sign_in(http, provider, params)
    assert query["state"] == [params["state"]]
    token = exchange(http, provider, query["code"][0])
    assert token.status_code == 200, token.text
    assert token.headers["cache-control"] == "no-store"
    body = token.json()
    assert body["token_type"] == "Bearer"

    # The id_token: signed with the key the JWKS publishes, for this client, this nonce.
    keys = KeySet.import_key_set(http.get(f"{provider.issuer}/jwks").json())
    id_token = jwt.decode(body["id_token"], keys, algorithms=["RS256"])
    assert id_token.header["alg"] == "RS256"
    claims = id_token.claims
    assert claims["iss"] == provider.issuer
    assert claims["aud"] == [CLIENT_ID]
    assert claims["sub"] == ALICE.sub
    assert claims["nonce"] == params["nonce"]
    assert claims["exp"] > time.time()

    userinfo = http.get(
        f"{provider.issuer}/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert userinfo.json() == {
        "sub": ALICE.sub,
        "preferred_username": "alice",
        "name": ALICE.name,
        "email": ALICE.email,
        "email_verified": True,
    }


def test_a_forged_id_token_does_not_verify(http: httpx.Client, provider: OidcProvider) -> None:
    query = sign_in(http, provider, authorization_params())
    id_token = exchange(http, provider, query["code"][0]).json()["id_token"]
    keys = KeySet.import_key_set(http.get(f"{provider.issuer}/jwks").json())
    header, payload, signature = id_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{forged_payload}.{signature}", keys, algorithms=["RS256"])

    # Another provider's key under this provider's key id: the signature still fails.
    with OidcProvider(users=[ALICE], fresh_key=True) as other:
        other_key = http.get(f"{other.issuer}/jwks").json()["keys"][0]
    other_key["kid"] = keys.keys[0].kid
    with pytest.raises(BadSignatureError):
        jwt.decode(id_token, KeySet.import_key_set({"keys": [other_key]}), algorithms=["RS256"])


def test_userinfo_follows_the_scope(http: httpx.Client, provider: OidcProvider) -> None:
    query = sign_in(http, provider, authorization_params(scope="openid"))
    access_token = exchange(http, provider, query["code"][0]).json()["access_token"]
    userinfo = http.get(
        f"{provider.issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert userinfo.json() == {"sub": ALICE.sub}


def test_a_wrong_client_secret_is_refused(http: httpx.Client, provider: OidcProvider) -> None:
    query = sign_in(http, provider, authorization_params())
    refused = exchange(http, provider, query["code"][0], secret="not-" + CLIENT_SECRET)
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "invalid_client"
    assert "access_token" not in refused.json()
    # HTTP Basic with the wrong secret too.
    basic = http.post(
        f"{provider.issuer}/token",
        data={"grant_type": "authorization_code", "code": query["code"][0]},
        auth=(CLIENT_ID, "wrong"),
    )
    assert basic.status_code == 401
    assert basic.json()["error"] == "invalid_client"


def test_no_client_secret_is_refused(http: httpx.Client, provider: OidcProvider) -> None:
    query = sign_in(http, provider, authorization_params())
    refused = http.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": CLIENT_ID,
        },
    )
    assert refused.json()["error"] == "invalid_client"


def test_http_basic_client_authentication_works(http: httpx.Client, provider: OidcProvider) -> None:
    query = sign_in(http, provider, authorization_params())
    token = http.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT_URI,
        },
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert token.status_code == 200, token.text


def test_an_unregistered_redirect_uri_is_refused_without_redirecting(
    http: httpx.Client, provider: OidcProvider
) -> None:
    for uri in (
        "http://127.0.0.1:8550/oauth_callback/evil",
        "http://evil.example/oauth_callback",
        "http://127.0.0.1:8550/oauth_callback?next=x",
    ):
        params = authorization_params(redirect_uri=uri)
        page = http.get(f"{provider.issuer}/authorize", params=params)
        assert page.status_code == 400
        assert "location" not in page.headers
        assert page.json()["error"] == "invalid_request"
        # Posting the form directly is refused the same way: no code for that URI.
        decision = http.post(
            f"{provider.issuer}/authorize",
            data={**params, "username": "alice", "action": "sign_in"},
        )
        assert decision.status_code == 400
        assert "location" not in decision.headers


def test_the_redirect_uri_at_the_token_endpoint_must_match(
    http: httpx.Client, provider: OidcProvider
) -> None:
    provider.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI, REDIRECT_URI + "2"])
    query = sign_in(http, provider, authorization_params())
    refused = exchange(http, provider, query["code"][0], redirect_uri=REDIRECT_URI + "2")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    # The refused exchange issued nothing, so the code still works from the registered URI.
    assert exchange(http, provider, query["code"][0]).status_code == 200


def test_a_code_works_once_and_its_replay_revokes_the_tokens(
    http: httpx.Client, provider: OidcProvider
) -> None:
    query = sign_in(http, provider, authorization_params())
    code = query["code"][0]
    first = exchange(http, provider, code)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert provider.token_is_active(access_token)

    replay = exchange(http, provider, code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert not provider.token_is_active(access_token)
    userinfo = http.get(
        f"{provider.issuer}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    assert userinfo.status_code == 401


def test_a_code_is_bound_to_its_client(http: httpx.Client, provider: OidcProvider) -> None:
    provider.register_client("other-app", "other-app-secret-value", [REDIRECT_URI])
    query = sign_in(http, provider, authorization_params())
    stolen = http.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": "other-app",
            "client_secret": "other-app-secret-value",
        },
    )
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(http: httpx.Client) -> None:
    with OidcProvider(users=[ALICE], code_lifetime=0.0) as provider:
        provider.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
        query = sign_in(http, provider, authorization_params())
        refused = exchange(http, provider, query["code"][0])
    assert refused.json()["error"] == "invalid_grant"


def test_pkce_binds_the_code_to_the_verifier(http: httpx.Client, provider: OidcProvider) -> None:
    verifier = secrets.token_urlsafe(48)
    params = authorization_params(code_challenge=s256(verifier), code_challenge_method="S256")
    query = sign_in(http, provider, params)
    code = query["code"][0]
    missing = exchange(http, provider, code)
    assert missing.json()["error"] == "invalid_request"
    wrong = exchange(http, provider, code, code_verifier=secrets.token_urlsafe(48))
    assert wrong.json()["error"] == "invalid_grant"
    assert exchange(http, provider, code, code_verifier=verifier).status_code == 200


def test_plain_pkce_is_refused(http: httpx.Client, provider: OidcProvider) -> None:
    verifier = secrets.token_urlsafe(48)
    params = authorization_params(code_challenge=verifier, code_challenge_method="plain")
    page = http.get(f"{provider.issuer}/authorize", params=params)
    assert page.status_code == 302  # the client checked out: the error goes back to it
    assert parse_qs(urlsplit(page.headers["location"]).query)["error"] == ["invalid_request"]


def test_required_pkce_and_nonce_are_enforced(http: httpx.Client) -> None:
    with OidcProvider(users=[ALICE], require_pkce=True, require_nonce=True) as provider:
        provider.register_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
        no_nonce = authorization_params()
        del no_nonce["nonce"]
        page = http.get(f"{provider.issuer}/authorize", params=no_nonce)
        assert parse_qs(urlsplit(page.headers["location"]).query)["error"] == ["invalid_request"]

        verifier = secrets.token_urlsafe(48)
        with_pkce = authorization_params(
            code_challenge=s256(verifier), code_challenge_method="S256"
        )
        query = sign_in(http, provider, with_pkce)
        assert exchange(http, provider, query["code"][0], code_verifier=verifier).status_code == 200


def test_a_reused_nonce_is_refused(http: httpx.Client, provider: OidcProvider) -> None:
    params = authorization_params()
    sign_in(http, provider, params)
    again = http.get(
        f"{provider.issuer}/authorize", params={**params, "state": secrets.token_urlsafe(16)}
    )
    assert again.status_code == 302
    assert parse_qs(urlsplit(again.headers["location"]).query)["error"] == ["invalid_request"]


def test_an_unknown_user_gets_the_page_again(http: httpx.Client, provider: OidcProvider) -> None:
    params = authorization_params()
    decision = http.post(
        f"{provider.issuer}/authorize", data={**params, "username": "mallory", "action": "sign_in"}
    )
    assert decision.status_code == 401
    assert "Unknown user." in decision.text
    assert "location" not in decision.headers


def test_cancel_sends_access_denied_back(http: httpx.Client, provider: OidcProvider) -> None:
    params = authorization_params()
    decision = http.post(f"{provider.issuer}/authorize", data={**params, "action": "cancel"})
    assert decision.status_code == 302
    query = parse_qs(urlsplit(decision.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == [params["state"]]
    assert "code" not in query


def test_an_unknown_client_is_refused(http: httpx.Client, provider: OidcProvider) -> None:
    page = http.get(f"{provider.issuer}/authorize", params=authorization_params(client_id="nope"))
    assert page.status_code in (400, 401)
    assert "location" not in page.headers
    assert page.json()["error"] == "invalid_client"


def test_userinfo_wants_a_valid_bearer_token(http: httpx.Client, provider: OidcProvider) -> None:
    for headers in ({}, {"Authorization": "Bearer made-up"}, {"Authorization": "Basic eDp5"}):
        refused = http.get(f"{provider.issuer}/userinfo", headers=headers)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")


def test_the_login_page_escapes_what_it_echoes(http: httpx.Client, provider: OidcProvider) -> None:
    params = authorization_params(state='"><script>alert(1)</script>')
    page = http.get(f"{provider.issuer}/authorize", params=params)
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text
