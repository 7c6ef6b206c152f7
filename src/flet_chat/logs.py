"""One log format for every process: `serve`, each `--workers` child, and the tests' log checks."""

from __future__ import annotations

import logging

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """Our format on the root logger (a no-op when it already has a handler)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
