"""The chat server's side of signing in with a provider: /oauth_callback answers a stale,
forged or replayed redirect with a page for the person (not a server error), and a
configuration that cannot work stops the start with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess, free_port

pytestmark = pytest.mark.integration

PROVIDERS = json.dumps(
    [
        {
            "key": "corp",
            "label": "Corp SSO",
            "issuer": "https://id.example.org",
            "client_id": "chat",
            "client_secret": "corp-secret-value",
        }
    ]
)


@pytest.mark.parametrize(
    "query",
    [
        {"state": "made-up", "code": "made-up"},
        {"code": "no-state"},
        {"state": "made-up", "error": "access_denied"},
        {},
    ],
)
def test_a_callback_nobody_started_is_a_page_not_an_error(
    server_factory: Callable[..., ServerProcess], query: dict[str, str]
) -> None:
    server = server_factory(
        env={"FLET_CHAT_OIDC_PROVIDERS": PROVIDERS, "FLET_CHAT_PUBLIC_URL": "http://127.0.0.1"}
    )
    response = httpx.get(f"{server.base_url}/oauth_callback", params=query, timeout=10)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert "sign in again from the chat" in response.text
    # The server_factory fixture fails the test if the server logged an ERROR.


def start(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flet_chat", "serve", "--port", str(free_port()), *args],
        env={**os.environ, "FLET_CHAT_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_provider_without_the_public_url_stops_the_start(tmp_path: Path) -> None:
    run = start(tmp_path, FLET_CHAT_OIDC_PROVIDERS=PROVIDERS)
    assert run.returncode == 2
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("flet-chat: settings: ")
    assert "FLET_CHAT_PUBLIC_URL" in lines[0]
    assert "corp-secret-value" not in run.stdout + run.stderr


def test_providers_with_several_workers_stop_the_start(tmp_path: Path) -> None:
    run = start(
        tmp_path,
        "--workers",
        "2",
        FLET_CHAT_OIDC_PROVIDERS=PROVIDERS,
        FLET_CHAT_PUBLIC_URL="https://chat.example.com",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert run.returncode == 2
    lines = (run.stdout + run.stderr).strip().splitlines()
    assert lines == [
        "flet-chat: signing in with a provider (FLET_CHAT_OIDC_PROVIDERS, GitHub, Google) works"
        " with one process per machine for now: use --workers 1."
    ]
