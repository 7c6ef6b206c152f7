"""`flet-chat serve|desktop|console|migrate` (also `python -m flet_chat`)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from typing import Any

import pydantic

from flet_chat.logs import configure_logging
from flet_chat.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flet-chat", description="Flet Chat")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="run the web server (default)")
    serve.add_argument("--host", help="bind address (default FLET_CHAT_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default FLET_CHAT_PORT or 8550)")
    serve.add_argument(
        "--workers",
        type=int,
        help="processes serving the port (default FLET_CHAT_WORKERS or 1); above 1 needs REDIS_URL",
    )
    commands.add_parser("desktop", help="open the chat in a desktop window")
    commands.add_parser("migrate", help="apply database migrations and exit")
    console = commands.add_parser("console", help="chat in this terminal over Socket.IO")
    console.add_argument("--url", default="http://127.0.0.1:8550", help="the server's URL")
    console.add_argument("--name", help="join as a guest under this name")
    console.add_argument(
        "--token",
        default=os.environ.get("FLET_CHAT_TOKEN") or None,
        help="a personal access token from your profile, to join as your account (default"
        " FLET_CHAT_TOKEN; prefer the variable: other users of the machine can read arguments)",
    )
    args = parser.parse_args(argv)
    if args.command == "console":
        from flet_chat.console import run_console

        if not args.name and not args.token:
            console.error("give --token (or FLET_CHAT_TOKEN) to join as your account, or --name")
        # A client: no server logging or settings.
        return run_console(args.url, args.name or None, args.token)
    try:
        settings = Settings()
    except pydantic.ValidationError as error:
        for problem in error.errors():
            where = ".".join(str(p) for p in problem["loc"])
            setting = f"setting {where}: " if where else "settings: "  # "" is the whole model
            print(f"flet-chat: {setting}{problem['msg']}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)

    if args.command in (None, "serve"):
        return _serve(
            settings,
            getattr(args, "host", None),
            getattr(args, "port", None),
            getattr(args, "workers", None),
        )
    if args.command == "desktop":
        return _desktop(settings)
    return 0 if _migrate(settings) else 2


def _migrate(settings: Settings) -> bool:
    """Bring the database to the newest schema; False, with one clear line, if it cannot."""
    import sqlalchemy.exc
    from sqlalchemy.engine import make_url

    from flet_chat.storage.migrate import upgrade_to_head

    url = settings.resolved_database_url()
    try:
        upgrade_to_head(url)
    except (sqlalchemy.exc.DBAPIError, OSError) as error:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"flet-chat: cannot use the database {shown}: {reason}", file=sys.stderr)
        return False
    return True


def _serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> int:
    import uvicorn

    workers = workers or settings.workers
    if workers < 1:
        print("flet-chat: --workers must be at least 1", file=sys.stderr)
        return 2
    if workers > 1 and not settings.redis_url:
        print(
            "flet-chat: --workers above 1 needs REDIS_URL (redis://host:port): without the Redis"
            " bus each process would be a separate chat.",
            file=sys.stderr,
        )
        return 2
    if workers > 1 and settings.external_providers():
        # Flet keeps a sign-in's state in the memory of the process whose session started it;
        # the provider's redirect back may reach any of the processes sharing the port.
        print(
            "flet-chat: signing in with a provider (FLET_CHAT_OIDC_PROVIDERS, GitHub, Google)"
            " works with one process per machine for now: use --workers 1.",
            file=sys.stderr,
        )
        return 2
    # After a graceful shutdown uvicorn re-raises the signal it caught with the previous handler
    # in place; this one turns that into exit code 0, so supervisors (Fly, systemd) see success.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    options: dict[str, Any] = {
        "host": host or settings.host,
        "port": port or settings.port,
        # server.py applies the proxy headers itself, so it knows whose headers it believed.
        "proxy_headers": False,
        "log_level": "info",
        # Compressing every patch for every session is CPU on the broadcast's hot path (about 3%
        # of the server's samples at 500 sessions); chat patches are a few hundred bytes.
        "ws_per_message_deflate": False,
    }
    # Migrate once here, before serving: a database that cannot be used is one clear line, not
    # an application startup traceback; and workers racing to create tables would fail at random.
    if settings.migrate_on_start:
        if not _migrate(settings):
            return 2
        settings = settings.model_copy(update={"migrate_on_start": False})
    if workers == 1:
        from flet_chat.server import create_app

        uvicorn.run(create_app(settings), **options)
        return 0
    os.environ["FLET_CHAT_MIGRATE_ON_START"] = "false"  # the workers inherit the environment
    os.environ["FLET_CHAT_SECRET_KEY"] = settings.resolved_secret_key()  # one key for all
    uvicorn.run("flet_chat.server:create_app", factory=True, workers=workers, **options)
    return 0


def _desktop(settings: Settings) -> int:
    import asyncio

    from flet_chat.desktop import run_desktop

    asyncio.run(run_desktop(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
