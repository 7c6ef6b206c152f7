"""The unit tier: logic on the fakes in fakes.py, with no PostgreSQL, Redis, Chromium or network.

A unit test that opens a network connection fails here, loudly, instead of quietly making the
tier need a service again: such a test belongs in tests/adapters or tests/integration.
test_unit_tier.py also keeps the adapters' imports and fixtures out of this folder.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

# Connections a unit test tried to open; an adapter could swallow the error, not this list.
_attempts: list[str] = []


class NetworkInUnitTestError(RuntimeError):
    """Not an OSError, so an adapter's "service unreachable" fallback does not hide it."""


def _refuse(kind: str) -> Any:
    def refuse(self: socket.socket, address: Any, *args: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            _attempts.append(f"{kind} {address!r}")
            raise NetworkInUnitTestError(
                f"a unit test opened a network connection to {address!r}; tests that need "
                "PostgreSQL, Redis or a server belong in tests/adapters or tests/integration"
            )
        return getattr(_ORIGINAL, kind)(self, address, *args)

    return refuse


class _ORIGINAL:
    connect = socket.socket.connect
    connect_ex = socket.socket.connect_ex


@pytest.fixture(scope="session", autouse=True)
def _no_network() -> Iterator[None]:
    # asyncio, asyncpg and redis all connect through socket.socket.connect.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _refuse("connect"))
        patch.setattr(socket.socket, "connect_ex", _refuse("connect_ex"))
        yield


@pytest.fixture(autouse=True)
def _no_network_attempts() -> Iterator[None]:
    _attempts.clear()
    yield
    tried, _attempts[:] = list(_attempts), []
    assert not tried, f"a unit test tried to reach the network: {tried}"
