from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

from flet_chat.testing.flet_client import FletClient
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration

Connect = Callable[..., AbstractAsyncContextManager[FletClient]]


@pytest.fixture
def connect() -> Connect:
    """`async with connect(server) as client:` opens a headless session and closes it after."""

    @asynccontextmanager
    async def _connect(
        server: ServerProcess, session_id: str | None = None, **options: Any
    ) -> AsyncIterator[FletClient]:
        client = await FletClient(server.ws_url, **options).connect(session_id)
        try:
            yield client
        finally:
            await client.close()

    return _connect


def has_row(client: FletClient, fragment: str) -> bool:
    return any(fragment in row for row in client.message_rows())
