"""The unit tier stays free of services: no adapter imports or fixtures, no connections."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path

import pytest

from tests.unit import conftest

HERE = Path(__file__).resolve().parent

# Modules that only make sense with a service, a server or a browser behind them.
FORBIDDEN_IMPORTS = (
    "asyncpg",
    "redis",
    "aiosqlite",
    "playwright",
    "flet_chat.storage",
    "flet_chat.bus.redis_bus",
    "flet_chat.bus.redis_rate_limit",
    "flet_chat.testing.services",
    "tests.adapters",
    "tests.support.server",
)
# Fixtures of tests/adapters and tests/conftest.py that create databases or start servers.
FORBIDDEN_FIXTURES = {"database_url", "postgres_url", "server", "server_factory"}


def _problems(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IMPORTS):
                found.append(f"{path.name}:{node.lineno} imports {name}")
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in node.args.args:
                if arg.arg in FORBIDDEN_FIXTURES:
                    found.append(f"{path.name}:{node.lineno} uses the fixture {arg.arg}")
    return found


def test_no_unit_test_module_reaches_for_a_service() -> None:
    problems = [p for path in sorted(HERE.glob("*.py")) for p in _problems(path)]
    assert not problems, "move these to tests/adapters or tests/integration:\n" + "\n".join(
        problems
    )


def test_the_checker_sees_a_service_fixture(tmp_path: Path) -> None:
    bad = tmp_path / "test_bad.py"
    bad.write_text("import redis\nasync def test_x(database_url: str) -> None: ...\n")
    assert _problems(bad) == [
        "test_bad.py:1 imports redis",
        "test_bad.py:2 uses the fixture database_url",
    ]


@pytest.mark.parametrize("port", [5432, 6379])
async def test_connecting_to_a_service_fails_loudly(port: int) -> None:
    try:
        with pytest.raises(conftest.NetworkInUnitTestError, match="tests/adapters"):
            await asyncio.open_connection("127.0.0.1", port)
    finally:
        conftest._attempts.clear()  # this attempt was the point; do not fail the test for it
