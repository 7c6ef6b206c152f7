"""A headless load client: many browser-like sessions in one asyncio process.

Each `LoadSession` speaks what a browser tab speaks to a Flet server (see FLET_NOTES.md, "Wire
protocol"): register, then patches in, control events and prop updates out, and answers to the
server's method calls (`focus()` waits for one). Unlike `flet_chat.testing.flet_client` it does
not mirror the page: that costs too much at 1,000 sessions. A session decodes frames fully only
until it has found the ids of the controls it drives (`name_input`, `message_input`); after that
it only

- searches the raw frame bytes for message tags (MessagePack stores strings as raw UTF-8, so a
  tag typed by a sender appears verbatim in the patch that shows the message) and for its own
  join notice;
- decodes frames whose action (the third byte: 0x00, array header, action) is 5, invoke method,
  which it answers, or 6, session crashed, which it records.

The same class drives the bare broadcast floor in "raw" mode: text frames out, text frames in.

Client storage (localStorage in a browser) is a dict per session: the server's `set` calls fill
it and its `get` calls read it, so a session that reconnects after a server restart is restored
as the same user (`LoadSession.reconnect`, used by the restart storm in bench/storm.py).

Tags look like `bench-<run>-<seq>-`; the sender records when it sent each, every session (the
sender included) records when each first reached it, all on one monotonic clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import resource
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack
import websockets
from websockets.asyncio.client import ClientConnection

REGISTER, PATCH, EVENT, UPDATE_PROPS, INVOKE_METHOD, SESSION_CRASHED = 1, 2, 3, 4, 5, 6
NAME_INPUT, MESSAGE_INPUT = "name_input", "message_input"
WANTED_KEYS = frozenset({NAME_INPUT, MESSAGE_INPUT})
USER_AGENT = "flet-chat-bench/1.0 (headless)"
# The cookie our page's reload after a drop carries (web_client/connection_banner.py).
BACK_COOKIE = "flet_chat_back"
# What our server shows a sender whose message it refused; a sender stops waiting for its echo.
REFUSAL_MARKERS = (b"sending messages too fast", b"Could not send the message")
# MessagePack of the patch operand pair "open", False: the name dialog closing.
DIALOG_CLOSED = b"\xa4open\xc2"
# A restored session is back once its header shows the account menu (the app adds it when it
# knows who is here); the name dialog's field appearing instead means the restore failed.
ACCOUNT_MENU_KEY = b"account_menu"
NAME_INPUT_KEY = NAME_INPUT.encode()
# Flet 1.0.5's web client: the first retry 500 ms after the drop, each next one twice as late,
# no cap and no jitter (main.dart.js; a constant 500 ms when the server is on localhost).
RECONNECT_FIRST_DELAY = 0.5


def encode(action: int, body: Any) -> bytes:
    return b"\x00" + bytes(msgpack.packb([action, body]))


def decode(frame: bytes) -> list[Any]:
    return list(msgpack.unpackb(frame[1:], strict_map_key=False))


def frame_action(frame: bytes) -> int | None:
    """The action of a `0x00 + msgpack [action, body]` frame without decoding it."""
    if len(frame) > 2 and frame[0] == 0 and frame[1] == 0x92:
        return frame[2]
    return None


def join_marker(name: str) -> bytes:
    """The join notice both Flet apps broadcast when `name` joins: the session's 'joined' signal."""
    return f"{name} has joined the chat.".encode()


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarize(values: Iterable[float], scale: float = 1000.0) -> dict[str, float | int | None]:
    """count/p50/p95/p99/max/mean of seconds, reported in milliseconds by default."""
    ordered = sorted(values)
    if not ordered:
        return {"count": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}

    def r(v: float | None) -> float | None:
        return None if v is None else round(v * scale, 2)

    return {
        "count": len(ordered),
        "p50": r(percentile(ordered, 50)),
        "p95": r(percentile(ordered, 95)),
        "p99": r(percentile(ordered, 99)),
        "max": r(ordered[-1]),
        "mean": r(sum(ordered) / len(ordered)),
    }


@dataclass
class Recorder:
    """What all sessions of one scenario share: the tag prefix and a delivery counter."""

    run_id: str
    received: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def tag_prefix(self) -> bytes:
        return f"bench-{self.run_id}-".encode()

    def tag(self, seq: int) -> str:
        return f"bench-{self.run_id}-{seq}-"


class LoadSession:
    """One simulated browser tab (mode "flet") or one raw websocket (mode "raw")."""

    def __init__(
        self,
        index: int,
        url: str,
        recorder: Recorder,
        *,
        mode: str = "flet",
        row_marker: bytes | None = None,
    ) -> None:
        self.index = index
        self.url = url
        self.mode = mode
        self.recorder = recorder
        self.prefix = recorder.tag_prefix
        self.row_marker = row_marker
        self.ws: ClientConnection | None = None
        self.session_id: str | None = None
        self.ids: dict[str, int] = {}
        self.dialog_ids: list[int] = []  # the AlertDialogs seen while the page was set up
        self.name: str | None = None
        self.join_marker: bytes | None = None
        self.page_ready = asyncio.Event()
        self.joined = asyncio.Event()
        self.rows_seen = asyncio.Event()
        self.first_seen: dict[int, float] = {}
        self.waiting: dict[int, asyncio.Future[str]] = {}
        self.crash: str | None = None
        self.close_reason: str | None = None
        self.closing = False
        self.frames = 0
        self.bytes_in = 0
        self.invokes_answered = 0
        # localStorage of this session's browser profile: the server's set/get calls use it.
        self.storage: dict[str, Any] = {}
        # The reconnect after a drop (reconnect()): restoring until the account menu is back.
        self.restoring = False
        self.back = asyncio.Event()
        self.restore_refused = False  # the name dialog came (the account menu may follow)
        self.seen_since_reconnect: set[int] = set()
        self.reconnect_attempts = 0
        self.t_dropped: float | None = None
        self.t_reopened: float | None = None
        self.t_back: float | None = None
        self._unloaded: asyncio.Task[None] | None = None  # the reloaded page's old socket
        # Timings (monotonic seconds); None until they happen.
        self.t_start: float | None = None
        self.t_open: float | None = None
        self.t_register: float | None = None
        self.t_page: float | None = None
        self.t_first_rows: float | None = None
        self.first_rows_count: int | None = None
        self.t_join_sent: float | None = None
        self.t_joined: float | None = None
        self.t_own_notice: float | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ended = asyncio.Event()

    # -- connection -------------------------------------------------------------------------

    async def open(self, timeout: float) -> None:
        """Connect and (flet mode) register; returns once the page has the controls we drive."""
        self.t_start = time.monotonic()
        self.ws = await self._connect(timeout)
        self.t_open = time.monotonic()
        if self.mode == "raw":
            self.t_page = self.t_open
            self.page_ready.set()
            self._reader = asyncio.create_task(self._read_loop())
            return
        self.t_register = time.monotonic()
        await self.ws.send(self._register_frame())
        first = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(first, bytes)
        action, body = decode(first)
        if action != REGISTER:
            raise RuntimeError(f"expected the register reply, got action {action}")
        if body.get("error"):
            raise RuntimeError(f"register failed: {body['error']}")
        self.session_id = body.get("session_id")
        self._find_ids(body.get("page_patch"))
        self._reader = asyncio.create_task(self._read_loop())
        await self._wait(self.page_ready, timeout, "page with its controls")

    async def join(self, name: str, timeout: float) -> None:
        """Type a name into the join dialog and press Enter; wait until the dialog closes."""
        self.name = name
        if self.mode == "raw":
            self.t_join_sent = self.t_joined = time.monotonic()
            self.joined.set()
            return
        self.join_marker = join_marker(name)
        field_id = self.ids[NAME_INPUT]
        self.t_join_sent = time.monotonic()
        await self._send(encode(UPDATE_PROPS, {"id": field_id, "props": {"value": name}}))
        await self._send(encode(EVENT, {"target": field_id, "name": "submit", "data": name}))
        await self._wait(self.joined, timeout, "the name dialog to close")

    async def reconnect(
        self,
        timeout: float,
        *,
        rng: random.Random,
        jitter: float = 0.2,
        reload: bool = True,
        open_timeout: float = 10.0,
    ) -> None:
        """After the connection dropped: come back as a browser tab of our web client does.

        Retries on Flet's schedule (`RECONNECT_FIRST_DELAY`, doubling), each delay stretched by
        up to `jitter` (Flet adds none; the spread stands for timers and networks). With
        `reload`, the first socket that opens closes at once, before registering, as the page
        reloads then (web_client/connection_banner.py); the reloaded page's socket registers
        with the session id the tab kept. A server that restarted does not know it: a new
        session starts, asks client storage for the token and, restored, shows the account
        menu (`back`). Raises if that does not happen within `timeout` of the drop.
        """
        assert self.mode == "flet", "raw sessions do not reconnect"
        await self._ended.wait()
        dropped = self.t_dropped or time.monotonic()
        give_up = dropped + timeout
        delay = RECONNECT_FIRST_DELAY
        ws: ClientConnection | None = None
        while ws is None:
            pause = delay * (1 + jitter * rng.random())
            if time.monotonic() + pause > give_up:
                raise TimeoutError(f"not reconnected {timeout:.0f}s after the drop")
            await asyncio.sleep(pause)
            delay *= 2
            self.reconnect_attempts += 1
            try:
                ws = await self._connect(open_timeout)
                if reload:
                    # The banner closes it before Flet's client registers on it; the page
                    # reloads without waiting for the close to finish, with its cookie saying
                    # it is coming back.
                    self._unloaded = asyncio.create_task(ws.close(1000))
                    ws = await self._connect(open_timeout, cookie=f"{BACK_COOKIE}=1")
            except Exception:  # refused while the server is down, or a handshake it dropped
                ws = None
        self.t_reopened = time.monotonic()
        self.ws = ws
        self.restoring = True
        self.back.clear()
        self.restore_refused = False
        self.seen_since_reconnect = set()
        self._ended.clear()
        await ws.send(self._register_frame())
        first = await asyncio.wait_for(ws.recv(), max(0.1, give_up - time.monotonic()))
        assert isinstance(first, bytes)
        action, body = decode(first)
        if action != REGISTER or body.get("error"):
            raise RuntimeError(f"register after the reconnect failed: {str(body)[:200]}")
        self.session_id = body.get("session_id")
        self._reader = asyncio.create_task(self._read_loop())
        try:
            await self._wait(self.back, max(0.1, give_up - time.monotonic()), "the account menu")
        except TimeoutError:
            if self.restore_refused:  # and the session was never let in behind it
                raise RuntimeError("not restored: the name dialog was shown") from None
            raise

    async def _connect(self, timeout: float, *, cookie: str | None = None) -> ClientConnection:
        return await websockets.connect(
            self.url,
            additional_headers={"Cookie": cookie} if cookie else None,
            max_size=None,
            open_timeout=timeout,
            ping_interval=None,  # browsers do not ping; a busy server must not be timed out
            close_timeout=5,
            user_agent_header=USER_AGENT,
        )

    def _register_frame(self) -> bytes:
        page = {"route": "/", "web": True, "platform": "linux", "width": 1280.0, "height": 720.0}
        return encode(REGISTER, {"session_id": self.session_id, "page_name": "", "page": page})

    async def send_text(self, text: str) -> None:
        if self.mode == "raw":
            await self._send(text)
            return
        field_id = self.ids[MESSAGE_INPUT]
        await self._send(encode(UPDATE_PROPS, {"id": field_id, "props": {"value": text}}))
        await self._send(encode(EVENT, {"target": field_id, "name": "submit", "data": text}))

    def expect_echo(self, seq: int) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if seq in self.first_seen:
            future.set_result("echo")
        else:
            self.waiting[seq] = future
        return future

    async def close(self, *, abrupt: bool = False, timeout: float = 5.0) -> None:
        """Close with a handshake, or drop the TCP connection as a killed tab does."""
        self.closing = True
        if self.ws is not None:
            if abrupt:
                self.ws.transport.abort()
            else:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.ws.close(), timeout)
        if self._reader is not None:
            if abrupt:
                self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, timeout)

    @property
    def alive(self) -> bool:
        return self.ws is not None and not self._ended.is_set()

    async def _send(self, data: bytes | str) -> None:
        assert self.ws is not None
        await self.ws.send(data)

    async def _wait(self, event: asyncio.Event, timeout: float, what: str) -> None:
        waiter = asyncio.ensure_future(event.wait())
        ended = asyncio.ensure_future(self._ended.wait())
        try:
            done, _ = await asyncio.wait(
                {waiter, ended}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            waiter.cancel()
            ended.cancel()
        if event.is_set():
            return
        if self.crash:
            raise RuntimeError(f"session crashed while waiting for {what}: {self.crash[:200]}")
        if ended in done:
            raise ConnectionError(
                f"connection closed while waiting for {what}: {self.close_reason}"
            )
        raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")

    # -- reading ----------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        assert self.ws is not None
        try:
            async for message in self.ws:
                now = time.monotonic()
                frame = message.encode() if isinstance(message, str) else bytes(message)
                self.frames += 1
                self.bytes_in += len(frame)
                if self.prefix in frame:
                    self._record_tags(frame, now)
                if (
                    self.t_own_notice is None
                    and self.join_marker is not None
                    and self.join_marker in frame
                ):
                    self.t_own_notice = now
                if self.mode == "raw":
                    continue
                if self.restoring:
                    await self._restore_frame(frame, now)
                elif not self.joined.is_set():
                    await self._setup_frame(frame, now)
                elif frame_action(frame) in (INVOKE_METHOD, SESSION_CRASHED):
                    await self._control_frame(decode(frame))
        except websockets.ConnectionClosed as closed:
            self.close_reason = f"{closed.__class__.__name__}: {closed}"
        except Exception as error:  # a client bug must show up in the results, not hang them
            self.close_reason = f"client error: {error!r}"
        finally:
            self.t_dropped = time.monotonic()
            self._ended.set()
            for future in self.waiting.values():
                if not future.done():
                    future.set_result("closed")
            self.waiting.clear()

    async def _setup_frame(self, frame: bytes, now: float) -> None:
        """Before joining: decode until our controls are found, then watch for the join."""
        if self.row_marker is not None and self.t_first_rows is None and self.row_marker in frame:
            self.t_first_rows = now
            self.first_rows_count = frame.count(self.row_marker)
            self.rows_seen.set()
        if not self.page_ready.is_set():
            action, body = decode(frame)
            if action == PATCH:
                self._find_ids(body.get("patch"))
            elif action in (INVOKE_METHOD, SESSION_CRASHED):
                await self._control_frame([action, body])
            return
        if self.t_join_sent is not None and DIALOG_CLOSED in frame:
            # Both apps close the name dialog once the server accepted the name: that is
            # "joined", whether or not the join notice broadcast has reached us yet.
            self.t_joined = now
            self.joined.set()
            # As Flutter does once the dialog's closing animation ends: the server's page
            # then lets the dialog go (a client that never says so keeps it in memory).
            for dialog_id in self.dialog_ids:
                await self._send(
                    encode(EVENT, {"target": dialog_id, "name": "dismiss", "data": None})
                )
        if frame_action(frame) in (INVOKE_METHOD, SESSION_CRASHED):
            await self._control_frame(decode(frame))

    async def _control_frame(self, decoded: list[Any]) -> None:
        action, body = decoded
        if action == INVOKE_METHOD:
            # The server awaits the answer to calls such as focus(); a browser answers too.
            reply = {
                "control_id": body.get("control_id"),
                "call_id": body.get("call_id"),
                "result": self._answer(body.get("name"), body.get("args") or {}),
                "error": None,
            }
            self.invokes_answered += 1
            with contextlib.suppress(websockets.ConnectionClosed):
                await self._send(encode(INVOKE_METHOD, reply))
        elif action == SESSION_CRASHED:
            self.crash = str(body.get("message", body) if isinstance(body, dict) else body)

    def _answer(self, method: object, args: dict[str, Any]) -> Any:
        """What a browser answers: client storage (SharedPreferences) calls read and write
        `storage`; focus() and the rest return nothing."""
        key = str(args.get("key"))
        if method == "get":
            return self.storage.get(key)
        if method == "set":
            self.storage[key] = args.get("value")
            return True
        if method == "contains_key":
            return key in self.storage
        if method == "remove":
            return self.storage.pop(key, None) is not None
        return None

    async def _restore_frame(self, frame: bytes, now: float) -> None:
        """After a reconnect: answer the storage and focus calls, and watch for the account
        menu (restored) or the name dialog (not restored). Nothing else is decoded."""
        if frame_action(frame) in (INVOKE_METHOD, SESSION_CRASHED):
            await self._control_frame(decode(frame))
        if ACCOUNT_MENU_KEY in frame:
            self.t_back = now
            self.restoring = False
            self.back.set()
        elif NAME_INPUT_KEY in frame:
            # The dialog: the session may still be let in behind it once the server has
            # checked the stored token again (ui/session/identity.py, `_check_again`); back
            # only with the account menu, within the reconnect's time.
            self.restore_refused = True

    def _record_tags(self, frame: bytes, now: float) -> None:
        prefix, plen = self.prefix, len(self.prefix)
        pos = frame.find(prefix)
        while pos >= 0:
            start = pos + plen
            end = frame.find(b"-", start, start + 12)
            if end > start and frame[start:end].isdigit():
                seq = int(frame[start:end])
                self.seen_since_reconnect.add(seq)
                if seq not in self.first_seen:
                    self.first_seen[seq] = now
                    self.recorder.received += 1
                    self.recorder.changed.set()
                    future = self.waiting.pop(seq, None)
                    if future is not None and not future.done():
                        future.set_result("echo")
            pos = frame.find(prefix, start)
        if self.waiting and any(marker in frame for marker in REFUSAL_MARKERS):
            for future in self.waiting.values():
                if not future.done():
                    future.set_result("refused")
            self.waiting.clear()

    def _find_ids(self, tree: Any) -> None:
        stack = [tree]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                key = value.get("key")
                if value.get("_c") == "AlertDialog" and "_i" in value:
                    self.dialog_ids.append(value["_i"])
                if key in WANTED_KEYS and "_i" in value:
                    self.ids[key] = value["_i"]
                stack.extend(v for v in value.values() if isinstance(v, dict | list))
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, dict | list))
        if self.ids.keys() >= WANTED_KEYS and not self.page_ready.is_set():
            self.t_page = time.monotonic()
            self.page_ready.set()


# -- groups of sessions ----------------------------------------------------------------------


@dataclass
class OpenResult:
    sessions: list[LoadSession]
    failures: dict[str, int]
    wall_seconds: float


def failure_kind(error: BaseException) -> str:
    text = f"{error.__class__.__name__}: {error}"
    return re.sub(r"\d+", "N", text)[:160]


async def open_sessions(
    url: str,
    count: int,
    recorder: Recorder,
    *,
    mode: str = "flet",
    join: bool = True,
    name_prefix: str = "u",
    concurrency: int = 50,
    open_timeout: float = 30.0,
    join_timeout: float = 60.0,
    deadline: float = 600.0,
    row_marker: bytes | None = None,
    first_index: int = 0,
    after_open: Callable[[LoadSession], Awaitable[None]] | None = None,
) -> OpenResult:
    """Open `count` sessions, at most `concurrency` at a time, each joining with its own name.

    Sessions that fail (timeout, crash, closed) are closed and counted by reason; the phase as a
    whole stops starting sessions after `deadline` seconds.
    """
    started = time.monotonic()
    semaphore = asyncio.Semaphore(concurrency)
    failures: dict[str, int] = {}
    opened: list[LoadSession] = []

    async def one(i: int) -> None:
        async with semaphore:
            if time.monotonic() - started > deadline:
                failures["phase deadline passed"] = failures.get("phase deadline passed", 0) + 1
                return
            session = LoadSession(i, url, recorder, mode=mode, row_marker=row_marker)
            try:
                await session.open(open_timeout)
                if join:
                    await session.join(f"{name_prefix}{i}", join_timeout)
                if after_open is not None:
                    await after_open(session)
                else:
                    opened.append(session)
            except Exception as error:
                kind = failure_kind(error)
                failures[kind] = failures.get(kind, 0) + 1
                await session.close(abrupt=True)

    await asyncio.gather(*(one(first_index + i) for i in range(count)))
    opened.sort(key=lambda s: s.index)
    return OpenResult(opened, failures, time.monotonic() - started)


async def close_sessions(
    sessions: Sequence[LoadSession], *, concurrency: int = 100, abrupt_every: int = 0
) -> None:
    """Close all; with `abrupt_every=2`, every second one drops its connection instead."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i: int, session: LoadSession) -> None:
        async with semaphore:
            await session.close(abrupt=bool(abrupt_every) and i % abrupt_every == 1)

    await asyncio.gather(*(one(i, s) for i, s in enumerate(sessions)))


@dataclass
class SendLog:
    """What the senders did: when each tag went out, and what happened to its echo."""

    sent_at: dict[int, float] = field(default_factory=dict)
    sender_of: dict[int, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    late_sends: int = 0
    wall_seconds: float = 0.0

    def note(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    async def send(
        self, session: LoadSession, recorder: Recorder, seq: int, text_tail: str
    ) -> tuple[asyncio.Future[str], bool]:
        """Type tag `seq` into `session`'s composer and record when: its echo's future, and
        whether it went out (a closed connection is noted as "send failed")."""
        echo = session.expect_echo(seq)
        self.sent_at[seq] = time.monotonic()
        self.sender_of[seq] = session.index
        try:
            await session.send_text(f"{recorder.tag(seq)} {text_tail}")
        except websockets.ConnectionClosed:
            self.note("send failed")
            return echo, False
        return echo, True


async def send_messages(
    senders: Sequence[LoadSession],
    recorder: Recorder,
    *,
    count: int,
    interval: float,
    echo_timeout: float = 10.0,
    text_tail: str = "hello from the load client, a message of ordinary length",
) -> SendLog:
    """`count` message slots, one every `interval` seconds for the room in total, round robin.

    A sender waits for its previous message to come back (or be refused) before typing the next
    one, as a person waits for the composer to clear: the server applies typed text before it
    runs the submit handler, so typing over a message the server has not taken yet would
    replace it. If the previous message is not back within `echo_timeout`, the slot is skipped
    (counted in `outcomes["skipped: previous pending"]`) rather than typed over it.
    """
    log = SendLog()
    if not senders or count <= 0:
        return log
    start = time.monotonic() + 0.2

    async def settle_previous(previous: asyncio.Future[str], wait: float) -> bool:
        """True once the previous message is done with (echoed, refused, or connection gone)."""
        try:
            outcome = await asyncio.wait_for(asyncio.shield(previous), wait)
        except TimeoutError:
            return False
        log.note(outcome)
        return True

    async def sender_task(position: int, session: LoadSession) -> None:
        previous: asyncio.Future[str] | None = None
        for seq in range(position, count, len(senders)):
            due = start + seq * interval
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if previous is not None:
                if not await settle_previous(previous, echo_timeout):
                    log.note("skipped: previous pending")
                    continue
                previous = None
            if not session.alive:
                log.note("skipped: sender gone")
                continue
            if time.monotonic() - due > interval:
                log.late_sends += 1
            previous, _ = await log.send(session, recorder, seq, text_tail)
        if previous is not None and not await settle_previous(previous, echo_timeout):
            log.note("echo timeout")

    began = time.monotonic()
    await asyncio.gather(*(sender_task(i, s) for i, s in enumerate(senders)))
    log.wall_seconds = time.monotonic() - began
    return log


async def send_while(
    sender: LoadSession,
    recorder: Recorder,
    *,
    first_seq: int,
    interval: float,
    until: asyncio.Event,
    echo_timeout: float = 10.0,
    text_tail: str = "said while the room fills",
) -> SendLog:
    """One message every `interval` seconds from `sender` until `until` is set (issue 18's
    message sent while a crowd joins), tags numbered from `first_seq`. As in send_messages, a
    message is not typed over the previous one: the next waits until that one has come back or
    been refused (counted once as "echo timeout" when that takes over `echo_timeout`)."""
    log = SendLog()
    began = time.monotonic()
    seq = first_seq
    while not until.is_set() and sender.alive:
        echo, sent = await log.send(sender, recorder, seq, text_tail)
        if not sent:
            log.sender_of[seq] = -1
            break
        try:
            outcome = await asyncio.wait_for(asyncio.shield(echo), echo_timeout)
        except TimeoutError:
            log.note("echo timeout")
            # Not typed over: wait on for it, until the joins are done.
            joins_done: asyncio.Future[Any] = asyncio.ensure_future(until.wait())
            back: asyncio.Future[Any] = echo
            await asyncio.wait([joins_done, back], return_when=asyncio.FIRST_COMPLETED)
            joins_done.cancel()
            outcome = echo.result() if echo.done() else "not back when the joins were done"
        log.note(outcome)
        if outcome != "echo":  # refused, or not back: not a message anyone should have
            log.sender_of[seq] = -1
            break
        seq += 1
        next_due = began + (seq - first_seq) * interval
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(until.wait(), max(0.0, next_due - time.monotonic()))
    log.wall_seconds = time.monotonic() - began
    return log


def delivery_to_joined(sessions: Sequence[LoadSession], log: SendLog) -> dict[str, Any]:
    """For each message of `log` the server took (its sender saw it come back), its
    send-to-arrival latency at every session whose join was done (its name dialog closed)
    before it was sent, and how many of those never got it. Refused sends are counted apart."""
    latencies: list[float] = []
    expected = missing = 0
    taken = {seq: sent for seq, sent in log.sent_at.items() if log.sender_of.get(seq, -1) >= 0}
    for seq, sent in taken.items():
        for session in sessions:
            if session.t_joined is None or session.t_joined > sent:
                continue
            expected += 1
            seen = session.first_seen.get(seq)
            if seen is None:
                missing += 1
            else:
                latencies.append(seen - sent)
    return {
        "messages_sent": len(log.sent_at),
        "messages_refused": len(log.sent_at) - len(taken),
        "deliveries_expected": expected,
        "deliveries_missing": missing,
        "latency_ms": summarize(latencies),
        "send_outcomes": dict(sorted(log.outcomes.items())),
    }


async def wait_for_deliveries(recorder: Recorder, expected: int, timeout: float) -> float:
    """Wait until `expected` deliveries were recorded or `timeout` passed; returns seconds."""
    began = time.monotonic()
    deadline = began + timeout
    while recorder.received < expected:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        recorder.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(recorder.changed.wait(), min(remaining, 0.5))
    return time.monotonic() - began


def delivery_stats(sessions: Sequence[LoadSession], log: SendLog) -> dict[str, Any]:
    """Send-to-first-arrival latency over every (session, tag) pair, and what never arrived."""
    latencies: list[float] = []
    by_message: dict[int, list[float]] = {seq: [] for seq in log.sent_at}
    missing = 0
    missing_sessions = 0
    for session in sessions:
        got_all = True
        for seq, sent in log.sent_at.items():
            seen = session.first_seen.get(seq)
            if seen is None:
                missing += 1
                got_all = False
            else:
                latencies.append(seen - sent)
                by_message[seq].append(seen - sent)
        if not got_all:
            missing_sessions += 1
    expected = len(log.sent_at) * len(sessions)
    first_sent = min(log.sent_at.values(), default=0.0)
    return {
        "message_slots": len(log.sent_at)
        + sum(n for k, n in log.outcomes.items() if k.startswith("skipped")),
        "messages_sent": len(log.sent_at),
        "deliveries_expected": expected,
        "deliveries_received": expected - missing,
        "deliveries_missing": missing,
        "sessions_missing_some": missing_sessions,
        "latency_ms": summarize(latencies),
        # In send order, so a p99 set by a few late messages shows which ones and when.
        "latency_by_message_ms": [
            {
                "sent_s": round(log.sent_at[seq] - first_sent, 3),
                "p50": summarize(values)["p50"],
                "max": summarize(values)["max"],
            }
            for seq, values in sorted(by_message.items(), key=lambda kv: log.sent_at[kv[0]])
            if values
        ],
        "send_outcomes": dict(sorted(log.outcomes.items())),
        "late_sends": log.late_sends,
        "send_wall_seconds": round(log.wall_seconds, 2),
    }


def session_health(sessions: Sequence[LoadSession]) -> dict[str, Any]:
    crashes = [s for s in sessions if s.crash]
    dropped = [s for s in sessions if not s.alive and not s.closing and not s.crash]
    return {
        "crashes": len(crashes),
        "crash_samples": sorted({(s.crash or "")[-300:] for s in crashes})[:3],
        "disconnected_unexpectedly": len(dropped),
        "disconnect_samples": sorted({s.close_reason or "" for s in dropped})[:3],
        "invokes_answered": sum(s.invokes_answered for s in sessions),
        "frames_received": sum(s.frames for s in sessions),
        "bytes_received": sum(s.bytes_in for s in sessions),
    }


def join_stats(sessions: Sequence[LoadSession]) -> dict[str, Any]:
    page = [s.t_page - s.t_start for s in sessions if s.t_page and s.t_start]
    joined = [s.t_joined - s.t_join_sent for s in sessions if s.t_joined and s.t_join_sent]
    total = [s.t_joined - s.t_start for s in sessions if s.t_joined and s.t_start]
    notice = [s.t_own_notice - s.t_join_sent for s in sessions if s.t_own_notice and s.t_join_sent]
    rows = [s.t_first_rows - s.t_register for s in sessions if s.t_first_rows and s.t_register]
    row_counts = [s.first_rows_count for s in sessions if s.first_rows_count is not None]
    return {
        "page_ms": summarize(page),
        "join_ms": summarize(joined),
        "connect_and_join_ms": summarize(total),
        "own_join_notice_ms": summarize(notice),
        "first_rows_ms": summarize(rows) if rows else None,
        "first_rows_count_min": min(row_counts) if row_counts else None,
    }


class LoopLagMonitor:
    """Measures how late this process's event loop wakes up: a saturated client shows here."""

    def __init__(self, period: float = 0.05) -> None:
        self.period = period
        self.lags: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._cpu0 = 0.0
        self._wall0 = 0.0

    def start(self) -> LoopLagMonitor:
        self._cpu0 = _self_cpu()
        self._wall0 = time.monotonic()
        self._task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.period)
            self.lags.append(max(0.0, time.monotonic() - before - self.period))

    async def stop(self) -> dict[str, Any]:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        wall = max(1e-9, time.monotonic() - self._wall0)
        cpu = _self_cpu() - self._cpu0
        return {
            "loop_lag_ms": summarize(self.lags),
            "cpu_seconds": round(cpu, 2),
            "cpu_percent": round(100 * cpu / wall, 1),
        }


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
