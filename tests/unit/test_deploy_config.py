"""The Dockerfile and fly.toml agree (that the image's start command serves the app:
tests/integration/test_dockerfile_cmd.py)."""

from __future__ import annotations

import json
import shlex
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
FLY_TOML = ROOT / "fly.toml"


@dataclass
class Dockerfile:
    """The instructions these tests care about; later ones win, as in `docker build`."""

    env: dict[str, str] = field(default_factory=dict)
    expose: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    user: str | None = None
    cmd: list[str] = field(default_factory=list)


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, f"Dockerfile ends inside a continued line: {pending!r}"
    return instructions


def parse_dockerfile(text: str) -> Dockerfile:
    parsed = Dockerfile()
    for keyword, arguments in _instructions(text):
        if keyword == "ENV":
            words = shlex.split(arguments)
            if "=" in words[0]:
                for word in words:  # ENV K=V K2=V2
                    key, _, value = word.partition("=")
                    parsed.env[key] = value
            else:
                parsed.env[words[0]] = arguments.split(None, 1)[1]  # legacy ENV K V
        elif keyword == "EXPOSE":
            parsed.expose += arguments.split()
        elif keyword == "VOLUME":
            parsed.volumes += (
                json.loads(arguments) if arguments.startswith("[") else arguments.split()
            )
        elif keyword == "USER":
            parsed.user = arguments
        elif keyword == "CMD":
            assert arguments.startswith("["), f"CMD must be exec form (a JSON array): {arguments}"
            cmd = json.loads(arguments)
            assert isinstance(cmd, list)
            assert all(isinstance(word, str) for word in cmd)
            parsed.cmd = cmd
    return parsed


def option(argv: list[str], flag: str) -> str:
    assert flag in argv, f"{flag} missing from {argv}"
    return argv[argv.index(flag) + 1]


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def fly() -> dict[str, Any]:
    with FLY_TOML.open("rb") as f:
        return tomllib.load(f)


def test_dockerfile_and_fly_toml_agree(dockerfile: Dockerfile, fly: dict[str, Any]) -> None:
    # The port: fly's proxy -> EXPOSE -> what the server binds.
    assert dockerfile.cmd[:2] == ["flet-chat", "serve"], dockerfile.cmd
    assert option(dockerfile.cmd, "--host") == "0.0.0.0"
    cmd_port = int(option(dockerfile.cmd, "--port"))
    exposed = [int(port.split("/")[0]) for port in dockerfile.expose]
    assert exposed == [cmd_port]
    assert fly["http_service"]["internal_port"] == cmd_port

    # The data: fly's mount -> VOLUME -> where the app puts chat.db.
    [mount] = fly["mounts"] if isinstance(fly["mounts"], list) else [fly["mounts"]]
    destination = mount["destination"]
    assert mount["source"]
    assert dockerfile.volumes == [destination]
    assert dockerfile.env["FLET_CHAT_DATA_DIR"] == destination
    assert fly["env"]["FLET_CHAT_DATA_DIR"] == destination

    # Health, proxy headers, shutdown.
    checks = fly["http_service"]["checks"]
    assert [check["path"] for check in checks] == ["/healthz"]
    assert all(check.get("method", "GET").upper() == "GET" for check in checks)
    assert fly["env"]["FORWARDED_ALLOW_IPS"]
    if fly["env"]["FORWARDED_ALLOW_IPS"] == "*":  # then X-Forwarded-For is the client's to write
        assert fly["env"]["FLET_CHAT_CLIENT_IP_HEADER"] == "Fly-Client-IP"
    assert fly.get("kill_signal", "SIGINT") == "SIGTERM"  # what the next test sends

    # Not root.
    assert dockerfile.user, "Dockerfile has no USER: the server would run as root"
    assert dockerfile.user.split(":")[0] not in {"root", "0"}
