"""A small but real OpenID Connect provider for the sign-in tests, built on Authlib's
authorization server and served by uvicorn on a free localhost port in a thread.

It speaks the protocol a real provider speaks, so a test can drive a whole sign-in through it
(a browser on its login page, a server exchanging codes and reading userinfo):

- `/.well-known/openid-configuration`: the discovery document.
- `/authorize`: validates the request (client, exact redirect URI, scope, PKCE challenge, nonce)
  and shows a login page (a username field, "Sign in" and "Cancel"); signing in as a known user
  redirects back with a code bound to the client, the redirect URI, the scope, the nonce and the
  PKCE challenge; "Cancel" redirects back with `error=access_denied`.
- `/token`: authenticates the client by its secret (HTTP Basic or the form), checks the code
  (its client, its redirect URI, its expiry, the PKCE verifier) and returns an access token and
  an RS256-signed id_token. A code works once: a second use is refused and the tokens the
  first use issued are revoked (RFC 6749 section 4.1.2).
- `/userinfo`: the claims a bearer token's scopes allow (sub, preferred_username, name, email).
- `/jwks`: the public key the id_tokens are signed with.

Authlib's server core is synchronous and framework-neutral; the handlers read the request body
first and hand Authlib a request built from it. Everything lives in memory, guarded by one lock
(uvicorn's thread serves requests while the test's thread reads what the provider saw).
"""

from __future__ import annotations

import functools
import html
import secrets
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl

import uvicorn
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    grants,
)
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from authlib.oidc.core.models import AuthorizationCodeMixin
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

SCOPES = ("openid", "profile", "email")
SIGNING_ALGORITHM = "RS256"
# The authorization request's parameters the login form carries to its POST.
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "prompt",
)


@dataclass(frozen=True)
class TestUser:
    """An account at the provider; `username` is what the login page asks for."""

    username: str
    sub: str
    name: str
    email: str

    __test__ = False  # not a pytest test class, despite the name


@dataclass(frozen=True)
class RegisteredClient(ClientMixin):  # type: ignore[misc]
    """A relying party: its id, its secret and the redirect URIs it registered (matched
    exactly, as RFC 6749 section 3.1.2.3 and OpenID Connect Core 3.1.2.1 want)."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # No default: a request must name its redirect URI, so a mismatch is always visible.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(s for s in scope_to_list(scope or "") or [] if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # A confidential client: it must prove its secret at the token endpoint.
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class IssuedCode(AuthorizationCodeMixin):  # type: ignore[misc]
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    user: TestUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class IssuedToken:
    access_token: str
    client_id: str
    user: TestUser
    scope: str
    expires_at: float
    code: str
    revoked: bool = False


@dataclass
class ProviderRecord:
    """What the provider saw, for tests to assert on (never secrets)."""

    authorization_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    refused_token_requests: list[str] = field(default_factory=list)  # the OAuth error codes
    userinfo_subjects: list[str] = field(default_factory=list)


class _Payload(OAuth2Payload):  # type: ignore[misc]
    """A request's parameters, keeping repeated ones (Authlib refuses a repeated
    client_id, redirect_uri, state... by looking at `datalist`)."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._datalist: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in pairs:
            self._datalist[key].append(value)
        self._data = {key: values[0] for key, values in self._datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        form: Sequence[tuple[str, str]],
    ) -> None:
        # Starlette's headers: case-insensitive, as Authlib's "Authorization" lookup needs.
        super().__init__(method, uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


def _oauth_request(request: Request, *, form: Sequence[tuple[str, str]] = ()) -> _Request:
    return _Request(
        request.method,
        str(request.url),
        request.headers,
        list(request.query_params.multi_items()),
        form,
    )


async def _form_pairs(request: Request) -> list[tuple[str, str]]:
    # OAuth's form posts are application/x-www-form-urlencoded (RFC 6749 section 4.1.3);
    # parsed here so the provider needs no multipart parser.
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return []
    return parse_qsl((await request.body()).decode(), keep_blank_values=True)


class _S256Only(CodeChallenge):  # type: ignore[misc]
    # "plain" lets anyone who saw the authorization request redeem the code: refuse it.
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012  (Authlib's class attribute)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"


def _new_key() -> RSAKey:
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": SIGNING_ALGORITHM})
    key.ensure_kid()
    return key


@functools.cache
def _shared_key() -> RSAKey:
    return _new_key()


class OidcProvider:
    """The provider. `start()` serves it on 127.0.0.1 at a free port; use it as a context
    manager, or call `stop()`. `require_pkce` / `require_nonce` refuse authorization requests
    without them (off by default: Flet's own login sends neither). Providers share one signing
    key (making a 2048-bit key takes a while) unless `fresh_key`."""

    def __init__(
        self,
        *,
        users: Iterable[TestUser],
        clients: Iterable[RegisteredClient] = (),
        require_pkce: bool = False,
        require_nonce: bool = False,
        code_lifetime: float = 60.0,
        token_lifetime: int = 3600,
        host: str = "127.0.0.1",
        fresh_key: bool = False,
    ) -> None:
        self.users = {user.username: user for user in users}
        self.clients = {client.client_id: client for client in clients}
        self.require_pkce = require_pkce
        self.require_nonce = require_nonce
        self.code_lifetime = code_lifetime
        self.token_lifetime = token_lifetime
        self.host = host
        self.record = ProviderRecord()
        self.key = _new_key() if fresh_key else _shared_key()
        self._lock = threading.Lock()
        self._codes: dict[str, IssuedCode] = {}
        self._spent_codes: set[str] = set()
        self._tokens: dict[str, IssuedToken] = {}
        self._nonces: set[tuple[str, str]] = set()
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._authorization_server = self._build_authorization_server()
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._discovery, methods=["GET"]),
                Route("/authorize", self._authorize_page, methods=["GET"]),
                Route("/authorize", self._authorize_decision, methods=["POST"]),
                Route("/token", self._token, methods=["POST"]),
                Route("/userinfo", self._userinfo, methods=["GET", "POST"]),
                Route("/jwks", self._jwks, methods=["GET"]),
            ]
        )

    # -- running --------------------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        if not self.port:
            raise RuntimeError("the provider has not started")
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        # Bind first and hand uvicorn the socket: no window in which another process takes
        # the port between choosing it and listening on it.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = int(sock.getsockname()[1])
        self._socket = sock
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="oidc-provider", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the OpenID Connect provider did not start")
            time.sleep(0.01)  # polling a readiness flag, not standing in for synchronisation
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: Iterable[str]
    ) -> RegisteredClient:
        client = RegisteredClient(client_id, client_secret, tuple(redirect_uris))
        with self._lock:
            self.clients[client_id] = client
        return client

    def token_is_active(self, access_token: str) -> bool:
        with self._lock:
            token = self._tokens.get(access_token)
            return token is not None and not token.revoked and time.time() < token.expires_at

    # -- Authlib's server -----------------------------------------------------------------------

    def _build_authorization_server(self) -> AuthorizationServer:
        provider = self

        class Server(AuthorizationServer):  # type: ignore[misc]
            def query_client(self, client_id: str) -> RegisteredClient | None:
                with provider._lock:
                    return provider.clients.get(client_id)

            def save_token(self, token: dict[str, Any], request: _Request) -> None:
                code: IssuedCode = request.authorization_code
                with provider._lock:
                    provider._tokens[token["access_token"]] = IssuedToken(
                        access_token=token["access_token"],
                        client_id=request.client.client_id,
                        user=request.user,
                        scope=token.get("scope", ""),
                        expires_at=time.time() + int(token["expires_in"]),
                        code=code.code,
                    )

            def create_oauth2_request(self, request: object) -> _Request:
                assert isinstance(request, _Request)
                return request

            def handle_response(
                self, status: int, body: object, headers: list[tuple[str, str]]
            ) -> Response:
                if isinstance(body, dict):
                    return JSONResponse(body, status_code=status, headers=dict(headers))
                return Response(str(body or ""), status_code=status, headers=dict(headers))

            def send_signal(self, name: str, *args: object, **kwargs: object) -> None:
                pass

        class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
            TOKEN_ENDPOINT_AUTH_METHODS = [  # noqa: RUF012  (Authlib's class attribute)
                "client_secret_basic",
                "client_secret_post",
            ]

            def save_authorization_code(self, code: str, request: _Request) -> None:
                data = request.payload.data
                with provider._lock:
                    provider._codes[code] = IssuedCode(
                        code=code,
                        client_id=request.client.client_id,
                        redirect_uri=request.payload.redirect_uri,
                        scope=request.scope,
                        user=request.user,
                        nonce=data.get("nonce"),
                        code_challenge=data.get("code_challenge"),
                        code_challenge_method=data.get("code_challenge_method"),
                        auth_time=int(time.time()),
                        expires_at=time.monotonic() + provider.code_lifetime,
                    )
                    nonce = data.get("nonce")
                    if nonce:
                        provider._nonces.add((request.client.client_id, nonce))

            def query_authorization_code(
                self, code: str, client: RegisteredClient
            ) -> IssuedCode | None:
                with provider._lock:
                    if code in provider._spent_codes:
                        # Replayed: whoever holds it may be an attacker, so the tokens the
                        # first exchange issued stop working too.
                        for token in provider._tokens.values():
                            if token.code == code:
                                token.revoked = True
                        return None
                    issued = provider._codes.get(code)
                    if issued is None or issued.client_id != client.client_id:
                        return None
                    if time.monotonic() > issued.expires_at:
                        del provider._codes[code]
                        return None
                    return issued

            def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
                with provider._lock:
                    provider._codes.pop(authorization_code.code, None)
                    provider._spent_codes.add(authorization_code.code)

            def authenticate_user(self, authorization_code: IssuedCode) -> TestUser:
                return authorization_code.user

        class OpenID(OpenIDCode):  # type: ignore[misc]
            def exists_nonce(self, nonce: str, request: _Request) -> bool:
                with provider._lock:
                    return (request.payload.client_id, nonce) in provider._nonces

            def resolve_client_private_key(self, client: RegisteredClient) -> RSAKey:
                return provider.key

            def get_client_algorithm(self, client: RegisteredClient) -> str:
                return SIGNING_ALGORITHM

            def get_client_claims(self, client: RegisteredClient) -> dict[str, object]:
                return {"iss": provider.issuer, "aud": [client.client_id]}

            def get_encode_header(self, client: RegisteredClient) -> dict[str, str]:
                return {"alg": SIGNING_ALGORITHM, "kid": provider.key.kid or ""}

            def generate_user_info(self, user: TestUser, scope: str) -> UserInfo:
                return provider._claims(user, scope)

        server = Server(scopes_supported=list(SCOPES))
        server.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda **_: generate_token(42),
                expires_generator=lambda client, grant_type: self.token_lifetime,
            ),
        )
        server.register_grant(
            CodeGrant,
            [_S256Only(required=self.require_pkce), OpenID(require_nonce=self.require_nonce)],
        )
        return server

    def _claims(self, user: TestUser, scope: str) -> UserInfo:
        claims = UserInfo(
            sub=user.sub,
            name=user.name,
            preferred_username=user.username,
            email=user.email,
            email_verified=True,
        )
        return claims.filter(scope)

    # -- endpoints ------------------------------------------------------------------------------

    async def _discovery(self, request: Request) -> JSONResponse:
        issuer = self.issuer
        return JSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/authorize",
                "token_endpoint": f"{issuer}/token",
                "userinfo_endpoint": f"{issuer}/userinfo",
                "jwks_uri": f"{issuer}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
                "scopes_supported": list(SCOPES),
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": [
                    "sub",
                    "iss",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "nonce",
                    "name",
                    "preferred_username",
                    "email",
                    "email_verified",
                ],
            }
        )

    async def _jwks(self, request: Request) -> JSONResponse:
        return JSONResponse({"keys": [self.key.as_dict(private=False)]})

    async def _authorize_page(self, request: Request) -> Response:
        oauth_request = _oauth_request(request)
        with self._lock:
            self.record.authorization_requests.append(dict(oauth_request.payload.data))
        try:
            self._authorization_server.get_consent_grant(oauth_request, end_user=None)
        except OAuth2Error as error:
            # Redirects back only when the client and its redirect URI checked out.
            response: Response = self._authorization_server.handle_error_response(
                oauth_request, error
            )
            return response
        return self._login_page(oauth_request.payload.data)

    async def _authorize_decision(self, request: Request) -> Response:
        form = await _form_pairs(request)
        fields = dict(form)
        carried = [(key, value) for key, value in form if key in AUTHORIZE_PARAMETERS]
        oauth_request = _Request("GET", str(request.url), request.headers, carried, ())
        user = self.users.get(fields.get("username", "").strip())
        cancelled = fields.get("action") == "cancel"
        if not cancelled and user is None:
            return self._login_page(oauth_request.payload.data, error="Unknown user.", status=401)
        try:
            grant = self._authorization_server.get_consent_grant(oauth_request, end_user=user)
        except OAuth2Error as error:
            response: Response = self._authorization_server.handle_error_response(
                oauth_request, error
            )
            return response
        # No user (Cancel) makes Authlib redirect back with error=access_denied.
        decided: Response = self._authorization_server.create_authorization_response(
            oauth_request, grant_user=None if cancelled else user, grant=grant
        )
        return decided

    async def _token(self, request: Request) -> Response:
        form = await _form_pairs(request)
        oauth_request = _oauth_request(request, form=form)
        seen = {key: value for key, value in form if key not in ("client_secret", "code")}
        with self._lock:
            self.record.token_requests.append(seen)
        response: Response = self._authorization_server.create_token_response(oauth_request)
        if response.status_code != 200:
            error = bytes(response.body).decode(errors="replace")
            with self._lock:
                self.record.refused_token_requests.append(error)
        response.headers["Cache-Control"] = "no-store"
        return response

    async def _userinfo(self, request: Request) -> Response:
        scheme, _, access_token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            token = self._tokens.get(access_token) if scheme.lower() == "bearer" else None
            usable = token is not None and not token.revoked and time.time() < token.expires_at
        if token is None or not usable:
            return JSONResponse(
                {"error": "invalid_token"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        if "openid" not in scope_to_list(token.scope):
            return JSONResponse(
                {"error": "insufficient_scope"},
                status_code=403,
                headers={"WWW-Authenticate": 'Bearer error="insufficient_scope"'},
            )
        with self._lock:
            self.record.userinfo_subjects.append(token.user.sub)
        return JSONResponse(dict(self._claims(token.user, token.scope)))

    def _login_page(
        self, parameters: Mapping[str, str], *, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        client = self.clients.get(parameters.get("client_id", ""))
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(parameters[name])}">'
            for name in AUTHORIZE_PARAMETERS
            if parameters.get(name)
        )
        notice = f'<p role="alert">{html.escape(error)}</p>' if error else ""
        body = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in - Local OpenID Provider</title></head>
<body>
<h1>Sign in</h1>
<p>to continue to {html.escape(client.client_id if client else "")}</p>
{notice}
<form method="post" action="/authorize">
{hidden}
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autofocus>
<button type="submit" name="action" value="sign_in">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>
</body>
</html>"""
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
