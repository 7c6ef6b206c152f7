"""Malformed payloads against every Socket.IO event, the seed console, Engine.IO and the webhook.

One server for the module. Each acknowledged event must answer `{ok: true, ...}` or a clear
`{ok: false, error: {code, message}}`; the server must stay healthy and log no ERROR and no
traceback (a client's mistake is not the server failing). Seeded (derandomize) and bounded.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flet_chat.api.socketio_api import MAX_PACKET_BYTES
from flet_chat.api.webhook import MAX_BODY_BYTES
from flet_chat.core.limits import MAX_MESSAGE_LENGTH
from tests.support.server import ServerProcess
from tests.support.sio import RecordingClient

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

TOKEN = "fuzz-hook-token-0123456789"
EXAMPLES = 200  # per event; each example goes to a client before and after joining
FUZZ = settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
ERROR_CODES = {
    "invalid",
    "unknown_room",
    "not_joined",
    "name_taken",
    "unauthorized",
    "rate_limited",
    "forbidden",
}
# What a refusal must never read like: a traceback, an exception's repr, an object's repr.
PYTHON_LEAK = re.compile(r"Traceback|File \"|<class |object at 0x|\w+(Error|Exception)\(|\{'")
ENCODED_LIMIT = MAX_PACKET_BYTES - 4096  # room for the packet's event name and other fields

# -- payloads -------------------------------------------------------------------------------------

# Every code point, lone surrogates included (JSON carries them as \ud800 escapes).
any_char = st.characters(exclude_categories=())
odd_text = st.text(any_char, max_size=40) | st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\ud800", "\udfff x", "\u202e", "\ufeff", "\u200d", "e\u0301"]
)


def _huge(char: str, count: int) -> str:
    # Huge, yet within Engine.IO's packet limit once JSON-escaped (that limit has its own test).
    per_char = len(json.dumps(char))
    return char * max(1, min(count, ENCODED_LIMIT // per_char))


huge_text = st.builds(_huge, any_char, st.sampled_from([MAX_MESSAGE_LENGTH + 1, 9_000, 60_000]))
boundary_ints = st.sampled_from(
    [0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, -(2**63), -(2**63) - 1, 10**40, -(10**40)]
)
numbers = (
    st.integers()
    | boundary_ints
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([float("nan"), float("inf"), 1.0, 1.5, 1e300, -0.0])
)


def _nested(depth: int, as_dict: bool) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"a": value} if as_dict else [value]
    return value


# Deep, but within what Python's JSON encoder and decoder nest (deeper: the raw packet test).
deep = st.builds(_nested, st.integers(20, 400), st.booleans())
scalars = st.none() | st.booleans() | numbers | odd_text | st.binary(max_size=64) | deep
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=8,
)

rooms = st.sampled_from(
    ["general", "#general", "#dev", "dev", "@Fuzzer", "@Nobody", "dm:5:alicebob", "dm:", "dm:\x00"]
)
names = st.sampled_from(["Fuzzer", "Alice", "  ", "a" * 33, "x\x00y"])
ids = numbers | st.integers(1, 40) | st.sampled_from(["1", "9" * 30, "-5", "0x10", "1e3"])
texts = st.sampled_from(["hello", "/help", "/me waves", "/roll 2d6", "/topic fuzz", "/nosuch"])
emoji = st.sampled_from(["👍", "❤️", "👍🏽", "x", "👍" * 20])

# Each event's fields with values near what it expects; any field may also be junk, missing or
# joined by unknown ones.
passwords = st.sampled_from(["correct horse battery", "short", "password123", "", "p" * 257])
tokens = st.sampled_from(["fcs_" + "A" * 43, "fcp_", "fcs_\x00", "x" * 1025]) | odd_text
FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "sign_up": {"name": names, "password": passwords},
    "sign_in": {"name": names, "password": passwords},
    "join": {"room": rooms, "name": names, "token": tokens},
    "send": {"room": rooms, "text": texts, "client_id": odd_text},
    "history": {"room": rooms, "before": ids, "limit": ids},
    "search": {
        "q": st.sampled_from(["message", '"*" NEAR(a -b) OR', "", "-", "a" * 201, "x\x00y"]),
        "room": rooms,
        "before": ids,
    },
    "typing": {"room": rooms},
    "join_room": {"room": rooms},
    "leave_room": {"room": rooms},
    "create_room": {"name": st.sampled_from(["fuzz", "#fuzz", "a b", "x" * 41])},
    "open_direct": {"user_name": names},
    "rooms": {},
    "mark_read": {"room": rooms, "message_id": ids},
    "edit": {"message_id": ids, "text": texts},
    "delete": {"message_id": ids},
    "react": {"message_id": ids, "emoji": emoji},
    # Moderation (issue 17): the fuzzer is a member nowhere but #general and its own rooms.
    "invite": {"room": rooms, "user_name": names},
    "mute": {"room": rooms, "user_name": names, "minutes": ids, "reason": texts},
    "unmute": {"room": rooms, "user_name": names},
    "kick": {"room": rooms, "user_name": names, "reason": texts},
    "ban": {"user_name": names, "room": rooms, "reason": texts},
    "unban": {"user_name": names, "room": rooms},
    "banned": {"room": rooms},
    "slow_mode": {"room": rooms, "seconds": ids},
    "set_role": {
        "room": rooms,
        "user_name": names,
        "role": st.sampled_from(["moderator", "owner"]),
    },
    "transfer": {"room": rooms, "user_name": names},
    "archive": {"room": rooms, "archived": st.booleans()},
    "members": {"room": rooms},
    "report": {"message_id": ids, "reason": texts},
    "reports": {"limit": ids},
    "resolve_report": {
        "report_id": ids,
        "action": st.sampled_from(["dismiss", "delete", "mute", "ban", "global_ban", "x"]),
        "minutes": ids,
    },
    "audit_log": {"limit": ids, "before": ids},
    # Last: a valid one signs the joined client out (it then answers not_joined).
    "sign_out": {"everywhere": st.booleans() | junk},
}


def payloads(event: str) -> st.SearchStrategy[Any]:
    fields = {name: near | junk | huge_text for name, near in FIELDS[event].items()}
    shaped = st.builds(
        lambda known, extra: {**extra, **known},
        st.fixed_dictionaries({}, optional=fields),
        st.dictionaries(odd_text, junk, max_size=2) | st.just({}),
    )
    return (shaped | junk | huge_text).filter(fits)


def fits(payload: Any) -> bool:
    """Within Engine.IO's packet limit (bytes travel as binary attachments: counted twice here)."""
    return len(json.dumps(payload, default=bytes.hex)) < ENCODED_LIMIT


# -- checks ---------------------------------------------------------------------------------------


def check_ack(event: str, payload: Any, ack: Any) -> None:
    where = f"{event} {payload!r:.300}"
    assert isinstance(ack, dict), f"{where} answered {ack!r:.300}"
    if ack.get("ok") is True:
        return
    assert ack.get("ok") is False, f"{where} answered {ack!r:.300}"
    error = ack["error"]
    assert error["code"] in ERROR_CODES, f"{where} answered {error!r:.300}"
    message = error["message"]
    assert isinstance(message, str), f"{where} answered {error!r:.300}"
    assert 0 < len(message) <= 300, f"{where} answered {message!r:.400}"
    assert not PYTHON_LEAK.search(message), f"{where} answered {message!r:.300}"


def check_log(server: ServerProcess) -> None:
    log = server.log_text()
    errors = server.error_lines()
    assert not errors, f"{len(errors)} ERROR lines, the first:\n" + "\n".join(errors[:10])
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]


# -- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp: Path = tmp_path_factory.mktemp("fuzz")
    server = ServerProcess(
        data_dir=tmp / "data",
        log_path=tmp / "server.log",
        env_overrides={
            "FLET_CHAT_WEBHOOK_TOKEN": TOKEN,
            # Thousands of payloads from one address: its budget would answer most of them
            # "rate limited" before their content is read. Per-user and per-connection budgets
            # (and the webhook token's) still apply.
            "FLET_CHAT_RATE_LIMIT_EXEMPT_NETWORKS": '["127.0.0.0/8"]',
        },
    ).start()
    yield server
    server.stop()
    check_log(server)


class Clients:
    """A client that has not joined (replaced when a fuzzed join lets it in) and one that has."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.fresh = RecordingClient()
        self.joined = RecordingClient()

    async def connect(self, client: RecordingClient) -> RecordingClient:
        await client.sio.connect(self.server.base_url, wait_timeout=10)
        return client

    async def start(self) -> None:
        await self.connect(self.fresh)
        await self.connect(self.joined)
        assert (await self.joined.join("Fuzzer"))["ok"]
        await self.joined.send("a message of mine to edit, delete and react to")

    async def renew_fresh(self) -> None:
        await self.fresh.sio.disconnect()
        self.fresh = await self.connect(RecordingClient())

    async def close(self) -> None:
        for client in (self.fresh, self.joined):
            if client.sio.connected:
                await client.sio.disconnect()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clients(fuzz_server: ServerProcess) -> AsyncIterator[Clients]:
    both = Clients(fuzz_server)
    await both.start()
    yield both
    await both.close()


# -- the fuzzing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("event", list(FIELDS))
@FUZZ
@given(data=st.data())
async def test_every_event_answers_malformed_payloads_with_clear_refusals(
    clients: Clients, event: str, data: st.DataObject
) -> None:
    payload = data.draw(payloads(event))
    before = await clients.fresh.call(event, payload)
    check_ack(event, payload, before)
    if event == "join" and before.get("ok"):
        await clients.renew_fresh()
    check_ack(event, payload, await clients.joined.call(event, payload))


def _console_text(text: str) -> str:
    # A known command may answer nothing to its caller; every other input gets one answer.
    return "/help" if text.lstrip().startswith("/") else text


console_inputs = junk | huge_text | texts.map(_console_text) | odd_text.map(_console_text)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console(fuzz_server: ServerProcess) -> AsyncIterator[RecordingClient]:
    client = RecordingClient()
    await client.sio.connect(fuzz_server.base_url, wait_timeout=10)
    yield client
    await client.sio.disconnect()


@FUZZ
@given(text=console_inputs.filter(fits))
async def test_the_seed_console_answers_any_input_in_words(
    console: RecordingClient, text: Any
) -> None:
    # Nobody else speaks in #general meanwhile, so each input is answered by exactly one line.
    answered = len(console.received("server_answer"))
    await console.sio.emit("chat_user_input", text)
    await console.wait_for(
        lambda: len(console.received("server_answer")) > answered, what=f"{text!r:.200}"
    )
    answer = console.received("server_answer")[answered]
    assert isinstance(answer, str), answer
    assert not PYTHON_LEAK.search(answer), answer


# -- the webhook ----------------------------------------------------------------------------------

hook_rooms = st.sampled_from(["general", "%23general", "dev", "dm:5:alicebob", "%00", "x" * 70])
hook_bodies = (
    payloads("send").map(lambda p: json.dumps(p, default=bytes.hex).encode())
    | st.fixed_dictionaries(
        {"text": texts | odd_text}, optional={"name": names | odd_text, "client_id": odd_text}
    ).map(lambda p: json.dumps(p).encode())
    | st.binary(max_size=200)
    | st.sampled_from([b"", b"null", b"[]", b"{", b"\xff\xfe", b"{}" * 9000, b'{"text": NaN}'])
)
hook_auth = st.sampled_from([f"Bearer {TOKEN}"] * 4 + ["", "Bearer", "Basic x", f"bearer  {TOKEN}"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def http(fuzz_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=fuzz_server.base_url, timeout=10) as client:
        yield client


@FUZZ
@given(room=hook_rooms, body=hook_bodies, auth=hook_auth)
async def test_the_webhook_answers_malformed_bodies_with_json_errors(
    http: httpx.AsyncClient, room: str, body: bytes, auth: str
) -> None:
    response = await http.post(
        f"/api/rooms/{room}/messages",
        content=body,
        headers={"Authorization": auth, "Content-Type": "application/json"},
    )
    where = f"{room} {body!r:.200} -> {response.status_code} {response.text:.300}"
    assert response.status_code in {201, 401, 404, 413, 422, 429}, where
    answer = response.json()
    if response.status_code == 201:
        assert answer["ok"] is True, where
        return
    assert isinstance(answer["error"]["message"], str), where
    assert answer["error"]["code"] in ERROR_CODES | {"too_large"}, where
    assert not PYTHON_LEAK.search(answer["error"]["message"]), where
    assert len(body) <= MAX_BODY_BYTES or response.status_code in {401, 404, 413, 429}, where


# -- Engine.IO and Socket.IO packets no client library would send ---------------------------------

RAW_PACKETS = [
    "42not json",
    "42[",
    '42["join"',
    "42[{}]",
    "42[1,2]",
    "42[]",
    "42",
    '42["nope",{}]',
    '421["history",{"before":' + "9" * 5000 + "}]",
    '421["history",' + "[" * 20_000 + "]" * 20_000 + "]",
    '421["send",{"text":"\\ud800","client_id":"x"}]',
    "4",
    "9",
    "",
    "49",
    "43",
    '431["x"]',
    "44",
    "45",
    '451-["send",{"_placeholder":true,"num":0}]',
    '452-["send",{"_placeholder":true,"num":5}]',
    "b",
    "bAAA",
    '42["send",{"text":"' + "a" * (MAX_PACKET_BYTES + 10) + '"}]',  # over the packet limit
]


# Polling bodies Engine.IO itself would fail on (an unknown packet type, an empty packet, bad
# base64, bytes that are not UTF-8), and a close.
POLLING_JUNK = ["9", "4\x1e", "\x1e\x1e", "b", "b!!", "4", "42[{}]", b"\x00\xff\xfe", "1"]


async def test_engineio_junk_closes_the_connection_without_an_error(
    fuzz_server: ServerProcess,
) -> None:
    base = f"{fuzz_server.base_url}/socket.io/?EIO=4&transport="
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for raw in [*RAW_PACKETS, b"\x00\xff\xfe"]:
            async with session.ws_connect(base + "websocket") as ws:
                await ws.receive()  # Engine.IO's open packet
                await ws.send_str("40")
                await ws.receive()  # Socket.IO's connect
                await (ws.send_bytes(raw) if isinstance(raw, bytes) else ws.send_str(raw))
        for raw in POLLING_JUNK:
            opened = await session.get(base + "polling")
            sid = json.loads((await opened.text())[1:])["sid"]
            posted = await session.post(f"{base}polling&sid={sid}", data=raw)
            assert posted.status in {200, 400}, (raw, posted.status)
    # The log is checked again after the last test and when the server stops.
    check_log(fuzz_server)


# -- afterwards -----------------------------------------------------------------------------------


async def test_the_server_is_healthy_after_the_fuzzing(
    fuzz_server: ServerProcess, clients: Clients
) -> None:
    async with httpx.AsyncClient(base_url=fuzz_server.base_url, timeout=10) as http_client:
        assert (await http_client.get("/healthz")).status_code == 200
    # The fuzzing client's user has spent its rate: the same client joins again as someone new.
    client = await clients.connect(RecordingClient())
    try:
        assert (await client.join("AfterTheFuzz"))["ok"]
        sent = await client.send("still here")
        assert sent["ok"], sent
        await client.wait_for(lambda: "still here" in client.texts(), what="its own message")
    finally:
        await client.sio.disconnect()
    check_log(fuzz_server)
