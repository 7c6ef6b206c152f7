"""Test servers' ports: each pytest-xdist worker picks from a block of its own, so two workers
starting servers at the same moment never get the same port."""

from __future__ import annotations

import socket

import pytest

from tests.support import server


def ports_of(worker: str, count: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setattr(server, "_next_port", None)
    return [server.free_port() for _ in range(count)]


def test_two_workers_never_share_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = ports_of("gw0", 20, monkeypatch), ports_of("gw1", 20, monkeypatch)
    assert not set(first) & set(second)
    assert len(set(first)) == 20  # one worker does not hand out a port twice in a row
    assert all(port < 32_768 for port in first + second)  # below the kernel's ephemeral ports


def test_a_port_in_use_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    [taken] = ports_of("gw2", 1, monkeypatch)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", taken))
        listener.listen()
        block = server.PORT_BLOCK_START + 2 * server.PORT_BLOCK_SIZE  # gw2's
        monkeypatch.setattr(server, "_next_port", taken - block)  # it is asked for next
        assert server.free_port() != taken
