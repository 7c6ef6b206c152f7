"""The only reader of the environment. Flet's own variables (FLET_*) are read by Flet itself."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flet_chat.core.limits import DEFAULT_MAX_UPLOAD_BYTES

# Shared secrets in settings (bot and webhook tokens) shorter than this are refused at start.
MIN_TOKEN_LENGTH = 16

# Where Flet's web client is sent back after signing in with a provider (Flet's route name).
OAUTH_CALLBACK_PATH = "/oauth_callback"
GOOGLE_ISSUER = "https://accounts.google.com"
GITHUB_AUTHORIZATION_ENDPOINT = "https://github.com/login/oauth/authorize"
GITHUB_TOKEN_ENDPOINT = "https://github.com/login/oauth/access_token"
GITHUB_USER_ENDPOINT = "https://api.github.com/user"


def is_secure_url(url: str) -> bool:
    """https, or http to this machine (a provider a developer or a test runs locally): codes,
    secrets and tokens travel over these URLs."""
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        return False
    if parts.scheme == "https":
        return True
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


class ExternalProvider(BaseModel):
    """One way to sign in through another site (an entry of FLET_CHAT_OIDC_PROVIDERS, or the
    GitHub and Google shortcuts). With `issuer` it is OpenID Connect: the endpoints come from
    the issuer's discovery document and the id_token is checked. Without, it is plain OAuth 2
    and the three endpoints are given; the account is `subject_claim` of the userinfo answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$",
        description="Stored with every account linked through it: never change it.",
    )
    label: str = Field(min_length=1, max_length=40, description='Shown as "Sign in with LABEL".')
    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    client_id: str = Field(min_length=1, max_length=512)
    client_secret: SecretStr
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    subject_claim: str = "sub"
    name_claims: tuple[str, ...] = ("preferred_username", "name", "given_name")

    @model_validator(mode="after")
    def _endpoints_are_known_and_secure(self) -> Self:
        endpoints = (self.authorization_endpoint, self.token_endpoint, self.userinfo_endpoint)
        if self.issuer is None and None in endpoints:
            raise ValueError(
                f"provider {self.key!r}: give an issuer (OpenID Connect) or all of"
                " authorization_endpoint, token_endpoint and userinfo_endpoint"
            )
        for url in (self.issuer, *endpoints):
            if url is not None and not is_secure_url(url):
                raise ValueError(
                    f"provider {self.key!r}: {url!r} must be https (http only to this machine)"
                )
        if not self.client_secret.get_secret_value().strip():
            raise ValueError(f"provider {self.key!r}: client_secret is empty")
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLET_CHAT_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Where the SQLite file lives.")
    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="SQLAlchemy async URL; default sqlite+aiosqlite in data_dir.",
    )
    redis_url: str | None = Field(
        default=None,
        validation_alias="REDIS_URL",
        description="redis://... turns on the Redis bus, so several processes serve one chat.",
    )
    redis_prefix: str = Field(
        default="flet-chat",
        description="Prefix of the Redis channel and keys; separate chats can share one Redis.",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs identity tokens. Default: a random key kept in data_dir/secret_key;"
        " set the same value on every machine of a deployment.",
    )
    migrate_on_start: bool = Field(
        default=True,
        description="Run migrations at start; `serve --workers N` migrates once before forking.",
    )
    workers: int = Field(default=1, ge=1, le=64, description="Server processes on one port.")
    assets_dir: Path = Field(
        default=Path("assets"),
        description="Icons and other files served at the site root; relative to the working dir.",
    )
    fonts_dir: Path = Field(
        default=Path("web-fonts"),
        description="The web client's fallback fonts (emoji, CJK, ...) that scripts/setup fetches;"
        " relative to the working dir.",
    )
    host: str = "127.0.0.1"
    port: int = 8550
    leave_grace_seconds: float = Field(
        default=20.0,
        ge=0,
        description="Announce a disconnected user as gone after this long without a reconnect.",
    )
    presence_ttl_seconds: float = Field(
        default=30.0,
        ge=3,
        description="With Redis: a process that dies without saying goodbye keeps its users in"
        " the member list at most this long; a heartbeat renews entries every third of it.",
    )
    session_timeout_seconds: int = Field(
        default=3600,
        ge=1,
        validation_alias="FLET_SESSION_TIMEOUT",
        description="Flet keeps a disconnected session this long so a reconnect resumes it.",
    )
    web_no_cdn: bool = Field(
        default=True,
        validation_alias="FLET_WEB_NO_CDN",
        description="Serve CanvasKit from the bundled flet-web files instead of a CDN.",
    )

    # Attachments (core/attachments.py).
    max_upload_bytes: int = Field(
        default=DEFAULT_MAX_UPLOAD_BYTES,
        ge=1,
        le=1024 * 1024 * 1024,
        description="The largest file a message may carry (10 MB by default).",
    )
    files_dir: Path | None = Field(
        default=None,
        description="Where attachments are kept without S3; default data_dir/files.",
    )
    s3_bucket: str | None = Field(
        default=None,
        description="Keep attachments in this S3-compatible bucket (shared by several machines).",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="The S3 server's URL (MinIO, Ceph, ...); unset for AWS."
    )
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = Field(default="", max_length=200, description="Prefix of every key.")

    webhook_token: str | None = Field(
        default=None,
        description="Bearer token of POST /api/rooms/{room}/messages; unset turns the webhook off.",
    )
    bot_tokens: dict[str, str] = Field(
        default_factory=dict,
        description='JSON {"Bot name": "token"}: a Socket.IO client joining with a token speaks as'
        " that bot, with a BOT badge.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO",
        description="DEBUG adds Engine.IO packet traces and Flet session ids, which hold tokens"
        " and message text: only on a developer's own machine.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        validation_alias="FORWARDED_ALLOW_IPS",
        description="Comma-separated proxy addresses (or networks, or *) whose X-Forwarded-For,"
        " -Proto and -Host headers are believed; anyone else's are ignored.",
    )
    client_ip_header: str | None = Field(
        default=None,
        description="A header a trusted proxy sets to the client's address alone (Fly:"
        " Fly-Client-IP); it wins over X-Forwarded-For, whose leftmost entry the client writes.",
    )
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        default="NORMAL",
        description="SQLite's sync mode. NORMAL (with WAL) keeps every committed message through"
        " a crash of the process; FULL also through a power loss or an OS crash, at some write"
        " speed.",
    )
    rate_limit_exempt_networks: list[str] = Field(
        default_factory=list,
        description='JSON ["10.0.0.0/8"]: client networks without per-IP rate limits (a load'
        " test's host); per-user and per-connection limits still apply. A client's IP is the"
        " forwarded one only from the proxies in FORWARDED_ALLOW_IPS.",
    )
    guests: bool = Field(
        default=True,
        description="Let people join with just a name (a guest), besides signing up or in;"
        " false: accounts only (the seed console, which joins as a guest, is refused too).",
    )
    admins: list[str] | None = Field(
        default=None,
        description='JSON ["alice"]: the accounts that are admins (by name, in any case). Unset:'
        " the first account that signed up.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description='JSON ["https://example.com"]: browser origins allowed to open Socket.IO'
        " and the Flet websocket besides the server's own; clients that send no Origin (bots,"
        " consoles, the desktop window) are allowed.",
    )

    public_url: str | None = Field(
        default=None,
        description="The address people open the chat at (https://chat.example.com); signing in"
        " with a provider sends them back to PUBLIC_URL/oauth_callback.",
    )
    oidc_providers: list[ExternalProvider] = Field(
        default_factory=list,
        description='JSON [{"key": "corp", "label": "Corp SSO", "issuer": "https://sso.corp",'
        ' "client_id": "...", "client_secret": "..."}]: OpenID Connect providers people may'
        " sign in with; without issuer, give authorization_endpoint, token_endpoint and"
        " userinfo_endpoint.",
    )
    github_client_id: str | None = Field(default=None, description="Sign in with GitHub.")
    github_client_secret: SecretStr | None = None
    google_client_id: str | None = Field(default=None, description="Sign in with Google.")
    google_client_secret: SecretStr | None = None

    @field_validator("bot_tokens")
    @classmethod
    def _bot_tokens_are_long(cls, tokens: dict[str, str]) -> dict[str, str]:
        # An empty or short token would let anyone join as that bot.
        for name, token in tokens.items():
            if len(token.strip()) < MIN_TOKEN_LENGTH:
                raise ValueError(
                    f"the token of bot {name!r} must be at least {MIN_TOKEN_LENGTH} characters"
                )
        return tokens

    @field_validator("webhook_token")
    @classmethod
    def _webhook_token_is_long(cls, token: str | None) -> str | None:
        if token is not None and len(token.strip()) < MIN_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_TOKEN_LENGTH} characters (or unset)")
        return token

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_origin(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("must be an address such as https://chat.example.com")
        return url.rstrip("/")

    @model_validator(mode="after")
    def _external_sign_in_is_complete(self) -> Self:
        for name in ("github", "google"):
            has_id = getattr(self, f"{name}_client_id") is not None
            has_secret = getattr(self, f"{name}_client_secret") is not None
            if has_id != has_secret:
                raise ValueError(
                    f"set both FLET_CHAT_{name.upper()}_CLIENT_ID and"
                    f" FLET_CHAT_{name.upper()}_CLIENT_SECRET, or neither"
                )
        providers = self.external_providers()
        keys = [provider.key for provider in providers]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ValueError(f"sign-in provider keys must differ: {', '.join(duplicates)}")
        if providers and self.public_url is None:
            raise ValueError(
                "signing in with a provider needs FLET_CHAT_PUBLIC_URL (the address people"
                " open the chat at), to build the redirect URI registered with the provider"
            )
        return self

    def external_providers(self) -> list[ExternalProvider]:
        """Every configured way to sign in through another site, shortcuts first."""
        providers: list[ExternalProvider] = []
        if self.github_client_id is not None and self.github_client_secret is not None:
            # GitHub speaks OAuth 2, not OpenID Connect: the account is the numeric user id
            # (a login name can be renamed and then taken by someone else).
            providers.append(
                ExternalProvider(
                    key="github",
                    label="GitHub",
                    authorization_endpoint=GITHUB_AUTHORIZATION_ENDPOINT,
                    token_endpoint=GITHUB_TOKEN_ENDPOINT,
                    userinfo_endpoint=GITHUB_USER_ENDPOINT,
                    client_id=self.github_client_id,
                    client_secret=self.github_client_secret,
                    scopes=("read:user",),
                    subject_claim="id",
                    name_claims=("login", "name"),
                )
            )
        if self.google_client_id is not None and self.google_client_secret is not None:
            providers.append(
                ExternalProvider(
                    key="google",
                    label="Google",
                    issuer=GOOGLE_ISSUER,
                    client_id=self.google_client_id,
                    client_secret=self.google_client_secret,
                    name_claims=("name", "given_name"),
                )
            )
        return [*providers, *self.oidc_providers]

    def oauth_redirect_url(self) -> str:
        if self.public_url is None:
            raise RuntimeError("FLET_CHAT_PUBLIC_URL is not set")
        return self.public_url + OAUTH_CALLBACK_PATH

    def resolved_secret_key(self) -> str:
        """The configured key, or one made once and kept in the data dir (mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Write aside, then link into place: a process starting at the same moment either
            # wins or reads the winner's whole key, never a half-written file.
            draft = path.with_name(f".secret_key.{os.getpid()}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as key_file:
                key_file.write(secrets.token_urlsafe(48))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip()

    def resolved_files_dir(self) -> Path:
        return self.files_dir if self.files_dir is not None else self.data_dir / "files"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chat.db').resolve()}"
