"""One log format for every process: `serve`, each `--workers` child, and the tests' log checks.

What the log may hold at INFO: who connected and what failed, never a secret or what people
wrote. Engine.IO traces every packet (tokens and message text included) at INFO, and Flet logs
session ids, which resume a session, at INFO: both are moved below the chosen level unless it is
DEBUG, which is for a developer on their own machine.
"""

from __future__ import annotations

import logging
from typing import Any

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers of libraries that write secrets (session ids) at INFO: quiet unless DEBUG is asked for.
_CHATTY_LIBRARIES = ("flet", "flet_web", "flet_transport")
# Alembic lists its plugins at INFO on every start: noise, not news.
_NOISY_LOGGERS = ("alembic.runtime.plugins",)
# Uvicorn logs requests on the first and websocket handshakes on the second.
_REQUEST_LOGGERS = ("uvicorn.access", "uvicorn.error")


class _WithoutQuery(logging.Filter):
    """Uvicorn's request and websocket lines without query strings: Engine.IO's URLs carry the
    connection's session id (`sid=`), which is enough to speak as that connection."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and any(_has_query(a) for a in args):
            record.args = tuple(_without_query(a) for a in args)
        return True


class _WithoutHandshakeLines(logging.Filter):
    """Not the websockets library's "connection open" for every websocket: the access line
    just before it says the same with the client's address, and a restart's crowd of returning
    tabs wrote a thousand of each within seconds, on the loop that serves them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != "connection open"


class _OneLine(logging.Filter):
    """A record's message on one line, control characters escaped: a client's value in a log
    message (Engine.IO quotes a session id it was sent) must not start a forged line, such as
    a fake ERROR. Tracebacks (exc_info) are formatted apart and keep their lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(ch < " " or ch == "\x7f" for ch in message):
            record.msg, record.args = message.translate(_ESCAPES), None
        return True


# Every C0 control and DEL, written as a visible escape (\n as "\\n").
_ESCAPES = {code: chr(code).encode("unicode_escape").decode() for code in (*range(32), 0x7F)}


def _has_query(arg: object) -> bool:
    return isinstance(arg, str) and arg.startswith("/") and "?" in arg


def _without_query(arg: object) -> object:
    if isinstance(arg, str) and _has_query(arg):
        return f"{arg.partition('?')[0]}?…"
    return arg


def configure_logging(level: str = "INFO") -> None:
    """Our format on the root logger (a no-op when it already has a handler), at `level`."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    logging.basicConfig(level=numeric, format=LOG_FORMAT)
    logging.getLogger().setLevel(numeric)
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(
            logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING
        )
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    for name in _REQUEST_LOGGERS:
        requests = logging.getLogger(name)
        if not any(isinstance(f, _WithoutQuery) for f in requests.filters):
            requests.addFilter(_WithoutQuery())
    handshakes = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _WithoutHandshakeLines) for f in handshakes.filters):
        handshakes.addFilter(_WithoutHandshakeLines())
    # On the handlers (ours and uvicorn's), so it sees every record, whichever logger wrote it.
    for name in ("", *_REQUEST_LOGGERS):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, _OneLine) for f in handler.filters):
                handler.addFilter(_OneLine())
