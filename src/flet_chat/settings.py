"""The only reader of the environment. Flet's own variables (FLET_*) are read by Flet itself."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Shared secrets in settings (bot and webhook tokens) shorter than this are refused at start.
MIN_TOKEN_LENGTH = 16


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

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chat.db').resolve()}"
