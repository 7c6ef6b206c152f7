"""At shutdown a cancelled session's connection reset is expected, not an error."""

from __future__ import annotations

import asyncio
import logging

import pytest

from flet_chat.storage.engine import _CancelledResetsAreExpected, expect_cancelled_resets


def _reset_failed(error: BaseException) -> None:
    try:
        raise error
    except BaseException:
        logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool").error(
            "Exception during reset or similar", exc_info=True
        )


def test_a_cancelled_reset_at_shutdown_is_a_warning_and_other_errors_stay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    try:
        expect_cancelled_resets()
        expect_cancelled_resets()  # idempotent
        _reset_failed(asyncio.CancelledError())
        _reset_failed(ConnectionResetError("the database went away"))
        logging.getLogger("flet_chat.x").error("Exception during reset or similar")
    finally:
        for handler in logging.getLogger().handlers:
            for f in [f for f in handler.filters if isinstance(f, _CancelledResetsAreExpected)]:
                handler.removeFilter(f)
    assert [r.levelname for r in caplog.records] == ["WARNING", "ERROR", "ERROR"]
