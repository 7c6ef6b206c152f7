"""POST /api/rooms/{room}/messages: a named integration posts into the room."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from flet_chat.api.webhook import MAX_BODY_BYTES
from flet_chat.core.limits import RATE_BURST
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration

TOKEN = "hook-token-123-abcdef"


@pytest.fixture
def hooked(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(env={"FLET_CHAT_WEBHOOK_TOKEN": TOKEN})


def post(server: ServerProcess, room: str, token: str | None, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        f"{server.base_url}/api/rooms/{room}/messages", headers=headers, timeout=10, **kwargs
    )  # type: ignore[arg-type]


async def test_webhook_posts_as_a_named_integration(
    hooked: ServerProcess, connect: Connect
) -> None:
    async with connect(hooked) as alice:
        await alice.join("Alice")
        payload = {"text": "Deploy 42 done", "name": "CI"}
        # In a thread: the headless session's reader shares this event loop.
        response = await asyncio.to_thread(post, hooked, "general", TOKEN, json=payload)
        assert response.status_code == 201
        body = response.json()
        assert body["message"]["author_kind"] == "integration"
        assert body["message"]["user_name"] == "CI"
        # Browser users see it, badged as an app.
        await alice.wait_for(lambda: has_row(alice, "CI | APP |"), what="the integration's row")
        assert has_row(alice, "Deploy 42 done")


def test_webhook_errors_are_json(hooked: ServerProcess) -> None:
    cases = [
        (post(hooked, "general", "wrong", json={"text": "x"}), 401, "unauthorized"),
        (post(hooked, "general", None, json={"text": "x"}), 401, "unauthorized"),
        (post(hooked, "random", TOKEN, json={"text": "x"}), 404, "unknown_room"),
        (post(hooked, "general", TOKEN, content=b"a" * (MAX_BODY_BYTES + 1)), 413, "too_large"),
        (post(hooked, "general", TOKEN, content=b"not json"), 422, "invalid"),
        (post(hooked, "general", TOKEN, json={"text": "   "}), 422, "invalid"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["code"] == code


def test_webhook_is_off_without_a_token(server: ServerProcess) -> None:
    response = post(server, "general", "anything", json={"text": "x"})
    assert response.status_code == 401


def test_integrations_obey_the_rate_limit(hooked: ServerProcess) -> None:
    statuses = [
        post(hooked, "general", TOKEN, json={"text": f"ping {i}", "name": "Pinger"}).status_code
        for i in range(RATE_BURST + 3)
    ]
    assert statuses[0] == 201
    assert 429 in statuses
