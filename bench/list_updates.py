"""What a live message costs the server per session, by what it does to the message list, sent
the app's way (ready-made patches: ui/updates.py) and through Flet's own diff, in the same run
(`python -m bench.list_updates [--sessions N] [--messages N]`).

One real Flet session (flet_compat.LeakSafeFletApp over an in-memory socket) holds N message
lists, each as a browser session would have one. Messages are added to every list as the
frame clock does and the time per list is taken for three kinds of message:
- "row": the message joins the last chunk (nine in ten);
- "chunk": it starts a new chunk (one in ten, below the 200-row cap);
- "chunk at cap": it starts a chunk and the oldest chunk falls off (one in ten, at the cap).
Medians are printed with the ratio of the app's way to Flet's diff. Encoding and queueing the
frames is included; the websocket write and the client are not (bench.run measures those).
The app's way builds a session's next chunk after the frames went out (MessageList.prepare_spare,
run after the frame clock's pass): that is timed on its own ("chunk built ahead", per session
that built one), as it delays no delivery of the message but is still the server's work."""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import flet as ft
from fastapi import WebSocketDisconnect
from flet_web.fastapi import app_manager
from starlette.datastructures import URL

from bench.run import RESULTS_DIR, machine_facts
from flet_chat.core.limits import MAX_RENDERED_MESSAGES
from flet_chat.core.models import Message, MessageKind
from flet_chat.flet_compat import LeakSafeFletApp, install_walk_once
from flet_chat.testing.flet_client import REGISTER, encode
from flet_chat.ui.message_window import MessageWindow
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.updates import send_updates
from flet_chat.ui.views.message_list import CHUNK_SIZE, MessageList, RowsAppended, Update

KINDS = ("row", "chunk", "chunk at cap")
AHEAD = "chunk built ahead"  # the app's way only, after the frames
START = datetime(2026, 11, 28, 12, tzinfo=UTC)


class _QuietSocket:
    """The server's side of a websocket that registers one session and then only listens."""

    def __init__(self) -> None:
        self.client = type("Client", (), {"host": "127.0.0.1"})()
        self.headers = {"user-agent": "bench-list-updates"}
        self.cookies: dict[str, str] = {}
        self.url = URL("ws://bench/ws")
        self.closed = asyncio.Event()
        self._register = [
            encode(REGISTER, {"session_id": None, "page_name": "", "page": {"route": "/"}})
        ]

    async def accept(self) -> None:
        return None

    async def receive_bytes(self) -> bytes:
        if self._register:
            return self._register.pop(0)
        await self.closed.wait()
        raise WebSocketDisconnect(code=1000)

    async def send_bytes(self, _data: bytes) -> None:
        return None


def _message(number: int) -> Message:
    # Four authors taking turns: rows are whole, grouped or under a new author, as in a room.
    author = f"user{number // 2 % 4}"
    return Message(
        number,
        MessageKind.CHAT,
        author,
        f"message {number}",
        START + timedelta(seconds=20 * number),
    )


def _flet_diff(updates: list[Update]) -> None:
    for update in updates:
        if isinstance(update, RowsAppended):
            update.chunk.update()
        elif isinstance(update, ft.Control):
            update.update()
        else:
            update.list_view.update()


def _measure(
    page: ft.Page, *, sessions: int, messages: int, history: int, way: str
) -> dict[str, list[float]]:
    rows = RowCache()
    lists = [MessageList(rows, head=ft.TextButton(content="older")) for _ in range(sessions)]
    windows = [MessageWindow(MAX_RENDERED_MESSAGES, trim_step=CHUNK_SIZE) for _ in lists]
    page.add(*(view.list_view for view in lists))
    shown = [_message(n) for n in range(1, history + 1)]
    for view, window in zip(lists, windows, strict=True):
        window.reset(shown, has_older=True)
        _flet_diff(view.show(window.messages, has_older=window.has_older))
        if way == "app":  # as a session does once its first page has gone out
            view.prepare_spare()
    send: Callable[[list[Update]], None] = (
        (lambda updates: send_updates(page, updates)) if way == "app" else _flet_diff
    )
    timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
    gc.collect()
    gc.disable()  # a collection in one timed message would be charged to that kind
    try:
        for number in range(history + 1, history + 1 + messages):
            message = _message(number)
            starts_chunk = (number - 1) % CHUNK_SIZE == 0
            began = time.perf_counter()
            for view, window in zip(lists, windows, strict=True):
                window.add_live(message)
                send(view.show(window.messages, has_older=window.has_older))
            spent = (time.perf_counter() - began) / sessions * 1e6
            if way == "app":  # as the frame clock does once the frames have gone out
                building = sum(view.wants_spare() for view in lists)
                began = time.perf_counter()
                for view in lists:
                    view.prepare_spare()
                if building:
                    built = (time.perf_counter() - began) / building * 1e6
                    timings.setdefault(AHEAD, []).append(built)
            at_cap = len(windows[0].messages) >= MAX_RENDERED_MESSAGES - CHUNK_SIZE
            kind = "row" if not starts_chunk else "chunk at cap" if at_cap else "chunk"
            timings[kind].append(spent)
    finally:
        gc.enable()
    return timings


async def _in_a_session(
    measure: Callable[[ft.Page], dict[str, list[float]]],
) -> dict[str, list[float]]:
    """Run `measure` in a session of its own (Flet's diff of a page must not meet another
    run's lists, whose rows it shares)."""
    done = asyncio.Event()
    socket = _QuietSocket()
    found: dict[str, list[float]] = {}
    failed: list[BaseException] = []

    def main(page: ft.Page) -> None:
        try:
            found.update(measure(page))
        except Exception as error:  # raised below: Flet would only log it
            failed.append(error)
        finally:
            done.set()

    app = LeakSafeFletApp(
        loop=asyncio.get_running_loop(), executor=app_manager.executor, main=main, before_main=None
    )
    handler = asyncio.create_task(app.handle(socket))
    try:
        await done.wait()
    finally:
        socket.closed.set()
        await handler
    if failed:
        raise failed[0]
    return found


async def _run(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    install_walk_once()
    found: dict[str, dict[str, list[float]]] = {"flet": {}, "app": {}}
    for round_ in range(args.rounds):
        for way in ("flet", "app"):  # alternated, so drift hurts both alike
            for history in (50, MAX_RENDERED_MESSAGES - 5):
                measure = functools.partial(
                    _measure,
                    sessions=args.sessions,
                    messages=args.messages,
                    history=history,
                    way=way,
                )
                timings = await _in_a_session(measure)
                for kind, values in timings.items():
                    found[way].setdefault(kind, []).extend(values)
        print(f"[list-updates] round {round_ + 1} of {args.rounds} done", flush=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.list_updates", description=__doc__)
    parser.add_argument("--sessions", type=int, default=200, help="message lists (default 200)")
    parser.add_argument("--messages", type=int, default=40, help="per list and run (default 40)")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds (default 3)")
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    found = asyncio.run(_run(args))
    kinds: dict[str, Any] = {}
    for kind in KINDS:
        flet_us = statistics.median(found["flet"][kind])
        app_us = statistics.median(found["app"][kind])
        kinds[kind] = {
            "flet_diff_us_per_session": round(flet_us, 1),
            "app_us_per_session": round(app_us, 1),
            "ratio": round(app_us / flet_us, 3),
            "samples": len(found["app"][kind]),
        }
        print(
            f"[list-updates] {kind}: Flet's diff {flet_us:.0f} us, the app's way {app_us:.0f} us"
            f" per session: x{app_us / flet_us:.2f}"
        )
    ahead_us = statistics.median(found["app"][AHEAD])
    kinds[AHEAD] = {"app_us_per_session": round(ahead_us, 1), "samples": len(found["app"][AHEAD])}
    print(f"[list-updates] {AHEAD} (after the frames, once per chunk): {ahead_us:.0f} us")
    report = {
        "command": "python -m bench.list_updates "
        + " ".join(sys.argv[1:] if argv is None else argv),
        "started_at": stamp,
        "machine": machine_facts(),
        "sessions": args.sessions,
        "messages": args.messages,
        "rounds": args.rounds,
        "kinds": kinds,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"list-updates-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"[list-updates] results: {path.relative_to(RESULTS_DIR.parents[1])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
