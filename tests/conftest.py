"""Shared fixtures. A server that logged an ERROR fails the test that used it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from flet_chat.testing.services import create_postgres_database, drop_postgres_database
from tests.support.server import ServerProcess

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


LOG_TAIL_LINES = 60


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Keep each phase's report on the test, so teardown can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{call.when}", report)
    return report


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def servers_started() -> list[ServerProcess]:
    """Every server a test started, so other fixtures can stop them before tearing down."""
    return []


@pytest.fixture
def postgres_url(servers_started: list[ServerProcess]) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped after the test's servers have stopped (a server
    still writing to a dropped database would log errors that are not the test's)."""
    url = asyncio.run(create_postgres_database())
    yield url
    for server in servers_started:
        server.stop()
    asyncio.run(drop_postgres_database(url))


@pytest.fixture
def server_factory(
    request: pytest.FixtureRequest, tmp_path: Path, servers_started: list[ServerProcess]
) -> Iterator[Callable[..., ServerProcess]]:
    started = servers_started

    def make(
        *,
        data_dir: Path | None = None,
        env: Mapping[str, str] | None = None,
        name: str = "server",
        args: Sequence[str] = (),
    ) -> ServerProcess:
        server = ServerProcess(
            data_dir=data_dir or tmp_path / "data",
            log_path=tmp_path / f"{name}-{len(started)}.log",
            env_overrides=dict(env or {}),
            extra_args=args,
        )
        started.append(server)
        return server.start()

    yield make
    errors: list[str] = []
    call_report = getattr(request.node, "report_call", None)
    failed = call_report is not None and call_report.failed
    for server in started:
        server.stop()
        errors += server.error_lines()
        if failed:  # what the server saw, shown with the failure (CI keeps no files)
            tail = server.log_text().splitlines()[-LOG_TAIL_LINES:]
            print(f"--- last lines of {server.log_path.name} ---", *tail, sep="\n")
    assert not errors, "server logged errors:\n" + "\n".join(errors)


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory()
