"""A headless Flet client: speaks the websocket protocol a browser tab speaks, mirrors the page.

Used by the integration tests and by the load benchmark. It keeps the control tree the server
sends (plain dicts and lists), applies patches to it, answers method calls, and lets callers find
controls by their stable `key`, type into them, submit and click.

Wire format: each binary frame is 0x00 + MessagePack `[action, body]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgpack
import websockets

from flet_chat.ui.keys import member_of

REGISTER, PATCH, EVENT, UPDATE_PROPS, INVOKE_METHOD, SESSION_CRASHED = 1, 2, 3, 4, 5, 6
OP_REPLACE, OP_ADD, OP_REMOVE, OP_MOVE = 0, 1, 2, 3

Node = dict[str, Any]


def encode(action: int, body: Any) -> bytes:
    return b"\x00" + bytes(msgpack.packb([action, body]))


def decode(frame: bytes) -> list[Any]:
    return list(msgpack.unpackb(frame[1:], strict_map_key=False))


class SessionCrashed(RuntimeError):
    pass


class FletClient:
    def __init__(
        self,
        url: str,
        *,
        user_agent: str = "flet-chat-headless/1.0",
        storage: dict[str, Any] | None = None,
        width: float = 1280.0,
        cookie: str | None = None,
        route: str = "/",
    ) -> None:
        """`storage` stands in for the browser's client storage (SharedPreferences, i.e.
        localStorage): clients given the same dict are tabs of one browser profile. `width` is
        the page width the client reports (below 600 the app lays out for a phone). `cookie`:
        the Cookie header a browser would send with the websocket upgrade; `route`: the page's
        route as the address bar gives it ("/admin")."""
        self.url = url
        self.width = width
        self.cookie = cookie
        self.route = route
        self.user_agent = user_agent
        self.storage: dict[str, Any] = {} if storage is None else storage
        self.session_id: str | None = None
        self.page: Node = {}
        self.crash: str | None = None
        self.on_patch: Callable[[list[Any]], None] | None = None
        self.held_replies: list[bytes] | None = None  # see hold_replies()
        self._by_id: dict[int, Node] = {}
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()

    # -- connection ------------------------------------------------------------------------

    async def connect(self, session_id: str | None = None, *, timeout: float = 15) -> FletClient:
        self._ws = await websockets.connect(
            self.url,
            max_size=None,
            user_agent_header=self.user_agent,
            open_timeout=timeout,
            additional_headers={"Cookie": self.cookie} if self.cookie else None,
        )
        page = {
            "route": self.route,
            "web": True,
            "platform": "linux",
            "width": self.width,
            "height": 720.0,
        }
        await self._ws.send(
            encode(REGISTER, {"session_id": session_id, "page_name": "", "page": page})
        )
        action, body = decode(await asyncio.wait_for(self._ws.recv(), timeout))
        if action != REGISTER:
            raise RuntimeError(f"expected register reply, got action {action}")
        if body.get("error"):
            raise RuntimeError(f"register failed: {body['error']}")
        self.session_id = body["session_id"]
        if session_id is None or body["page_patch"].get("_c") == "Page":
            self.page = body["page_patch"]
            self._by_id = {}
            self._index(self.page)
        self._reader = asyncio.create_task(self._read_loop())
        return self

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    def abort(self) -> None:
        """Drop the TCP connection without a websocket close handshake, as a dying tab does."""
        if self._ws is not None:
            self._ws.transport.abort()
        if self._reader is not None:
            self._reader.cancel()

    async def _read_loop(self) -> None:
        try:
            async for frame in self._ws:
                if not isinstance(frame, bytes) or not frame or frame[0] != 0:
                    continue
                await self._handle(*decode(frame))
        except websockets.ConnectionClosed:
            pass
        finally:
            async with self._changed:
                self._changed.notify_all()

    async def _handle(self, action: int, body: Any) -> None:
        if action == PATCH:
            self._apply(body["id"], body["patch"])
            if self.on_patch is not None:
                self.on_patch(body["patch"])
        elif action == INVOKE_METHOD:
            # The server awaits an answer to calls such as focus(); a browser would reply too.
            reply = {
                "control_id": body["control_id"],
                "call_id": body["call_id"],
                "result": self._answer(body.get("name"), body.get("args") or {}),
                "error": None,
            }
            if self.held_replies is not None:
                self.held_replies.append(encode(INVOKE_METHOD, reply))
            else:
                await self._ws.send(encode(INVOKE_METHOD, reply))
        elif action == SESSION_CRASHED:
            self.crash = str(body.get("message", body))
        async with self._changed:
            self._changed.notify_all()

    def _answer(self, method: str | None, args: dict[str, Any]) -> Any:
        """What a browser answers: client storage calls use `storage`; focus() and the rest
        return nothing."""
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

    # -- the mirrored page ------------------------------------------------------------------

    def _index(self, value: Any) -> None:
        if isinstance(value, dict):
            if "_i" in value and "_c" in value:
                self._by_id[value["_i"]] = value
            for child in value.values():
                self._index(child)
        elif isinstance(value, list):
            for child in value:
                self._index(child)

    def _apply(self, control_id: int, patch: list[Any]) -> None:
        root = self._by_id.get(control_id)
        if root is None:
            return
        parents: dict[int, tuple[int, Any]] = {}

        def walk(node: list[Any]) -> None:
            if len(node) > 1:
                for part, child in node[1].items():
                    parents[child[0]] = (node[0], part)
                    walk(child)

        walk(patch[0])

        def resolve(index: int) -> Any:
            if index == 0:
                return root
            parent_index, part = parents[index]
            container = resolve(parent_index)
            return container[int(part)] if isinstance(container, list) else container[part]

        for op in patch[1:]:
            kind = op[0]
            if kind == OP_REPLACE:
                target = resolve(op[1])
                key = int(op[2]) if isinstance(target, list) else op[2]
                target[key] = op[3]
                self._index(op[3])
            elif kind == OP_ADD:
                target = resolve(op[1])
                if isinstance(target, list):
                    target.insert(int(op[2]), op[3])
                else:
                    target[op[2]] = op[3]
                self._index(op[3])
            elif kind == OP_REMOVE:
                target = resolve(op[1])
                if isinstance(target, list):
                    del target[int(op[2])]
                else:
                    target.pop(op[2], None)
            elif kind == OP_MOVE:
                source = resolve(op[1])
                item = source.pop(int(op[2])) if isinstance(source, list) else source.pop(op[2])
                dest = resolve(op[3])
                if isinstance(dest, list):
                    dest.insert(int(op[4]), item)
                else:
                    dest[op[4]] = item

    def walk(self, node: Any | None = None) -> Iterator[Node]:
        """Every control in the live tree, depth first."""
        stack = [self.page if node is None else node]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                if "_c" in value:
                    yield value
                stack.extend(reversed(list(value.values())))
            elif isinstance(value, list):
                stack.extend(reversed(value))

    def find(self, key: str) -> Node | None:
        return next((c for c in self.walk() if c.get("key") == key), None)

    def get(self, key: str) -> Node:
        control = self.find(key)
        if control is None:
            raise LookupError(f"no control with key {key!r}")
        return control

    def actions_button(self, message_id: int, node: Any | None = None) -> Node | None:
        """The "more" button of the message's row on screen (or under `node`), found as a
        screen reader finds it (its name, "Actions for ..."): it carries no key of its own."""
        for row in self.walk(node):
            key = str(row.get("key", ""))
            if not key.startswith("msg-") or key.removeprefix("msg-").split("-")[0] != str(
                message_id
            ):
                continue
            for control in self.walk(row):
                icon = control.get("icon")
                named = isinstance(icon, dict) and str(icon.get("semantics_label", ""))
                if control.get("_c") == "IconButton" and str(named).startswith("Actions for"):
                    return control
        return None

    def texts(self, node: Any) -> list[str]:
        """Visible strings under a control: Text values (or their spans, joined) and string
        `content`s."""
        found = []
        for control in self.walk(node):
            if control.get("_c") == "Text":
                # Highlighted @mentions make a Text of spans instead of one value.
                spans = control.get("spans") or []
                value = control.get("value") or "".join(str(s.get("text") or "") for s in spans)
                if value:
                    found.append(str(value))
            elif isinstance(control.get("content"), str):
                found.append(control["content"])
        return found

    def message_rows(self) -> list[str]:
        """One line per message row of `message_list`: its strings joined with ' | '. A row
        that continues its author's group (key "msg-…-c") shows no name: it is written under
        the name of the row that starts the group (or of the group's line at the top,
        "group-…"), as a reader sees it ("Ann | more text")."""
        message_list = self.find("message_list")
        if message_list is None:
            return []
        lines, author = [], ""
        for row in self.walk(message_list):
            key = str(row.get("key", ""))
            if key.startswith("group-"):  # the author of a group whose start is off the top
                author = self.texts(row)[1]
            if not key.startswith("msg-"):
                continue
            texts = self.texts(row)
            if key.endswith("-c"):
                texts = [author, *texts]
            elif len(texts) > 1:
                author = texts[1]  # initials, then the name
            lines.append(" | ".join(texts))
        return lines

    def members(self) -> list[str]:
        """The names the member list (`member_list`) shows, in order."""
        member_list = self.find("member_list")
        if member_list is None:
            return []
        names = (member_of(str(row.get("key", ""))) for row in self.walk(member_list))
        return [name for name in names if name is not None]

    def value(self, key: str) -> str:
        """A control's `value` as shown ("" when unset: Flet leaves default props out)."""
        control = self.find(key)
        return str(control.get("value") or "") if control is not None else ""

    def dialog_open(self) -> bool:
        return bool(self.open_dialogs())

    def open_dialogs(self) -> list[Node]:
        """Dialogs, sheets and snack bars shown now (closed ones stay in the tree: this client
        sends no "dismiss" as a browser does)."""
        dialogs = self.page.get("_dialogs", {}).get("controls", [])
        return [d for d in dialogs if d.get("open")]

    def in_dialog(self, key: str) -> Node | None:
        """The control with `key` in the topmost open dialog that has one."""
        for dialog in reversed(self.open_dialogs()):
            found = next((c for c in self.walk(dialog) if c.get("key") == key), None)
            if found is not None:
                return found
        return None

    # -- waiting ------------------------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[], Any], *, timeout: float = 10, what: str = ""
    ) -> Any:
        """Wait until `predicate()` is truthy after some server message; returns its value."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                if self.crash:
                    raise SessionCrashed(self.crash)
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._reader is not None and self._reader.done()):
                    raise TimeoutError(f"timed out waiting for {what or predicate}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    # -- acting as a user -----------------------------------------------------------------

    async def type(self, key: str | Node, text: str, *, change: bool = False) -> None:
        """Set a field's text. `change=True` also sends the "change" event a browser sends for
        every keystroke to a field with an `on_change` handler (the composer's typing signal)."""
        control = self.get(key) if isinstance(key, str) else key
        control["value"] = text
        await self._ws.send(encode(UPDATE_PROPS, {"id": control["_i"], "props": {"value": text}}))
        if change:
            await self._event(control, "change", text)

    async def toggle(self, key: str | Node, value: bool) -> None:
        """Switch a Switch or Checkbox on or off, as a tap does (its value, then "change")."""
        control = self.get(key) if isinstance(key, str) else key
        control["value"] = value
        await self._ws.send(encode(UPDATE_PROPS, {"id": control["_i"], "props": {"value": value}}))
        await self._event(control, "change", str(value).lower())

    async def submit(self, key: str | Node) -> None:
        control = self.get(key) if isinstance(key, str) else key
        await self._event(control, "submit", control.get("value", ""))

    async def click(self, key: str | Node) -> None:
        """Click the control with `key` (the first in the page), or the control given."""
        await self._event(self.get(key) if isinstance(key, str) else key, "click", None)

    async def dismissed(self, dialog: Node) -> None:
        """Say what Flutter says once a dialog the server closed is gone (its closing animation
        over): "open" false, then "dismiss". This client does not say it by itself."""
        dialog["open"] = False
        await self._ws.send(encode(UPDATE_PROPS, {"id": dialog["_i"], "props": {"open": False}}))
        await self._event(dialog, "dismiss", None)

    def hold_replies(self) -> None:
        """Keep the answers to the server's calls (focus() and the like) until
        `release_replies()`, as a slow browser would: they then come after what was sent
        meanwhile."""
        self.held_replies = []

    async def release_replies(self) -> None:
        held, self.held_replies = self.held_replies or [], None
        for reply in held:
            await self._ws.send(reply)

    async def send_frame(self, frame: bytes) -> None:
        """Send `frame` as it is: what a forged or replayed one does to the session."""
        await self._ws.send(frame)

    async def lifecycle(self, state: str) -> None:
        """The tab was hidden ("hide") or shown ("show"), as Flutter reports it."""
        await self._event(self.page, "app_lifecycle_state_change", {"state": state})

    async def _event(self, control: Node, name: str, data: Any) -> None:
        await self._ws.send(encode(EVENT, {"target": control["_i"], "name": name, "data": data}))

    # -- the chat's flows, as a person does them ---------------------------------------------

    async def join(self, name: str, *, timeout: float = 10) -> None:
        await self.wait_for(lambda: self.find("name_input"), timeout=timeout, what="join dialog")
        await self.type("name_input", name)
        await self.submit("name_input")
        await self.wait_for(lambda: not self.dialog_open(), timeout=timeout, what="dialog to close")

    async def send(self, text: str, *, wait: bool = True, timeout: float = 10) -> None:
        """Type and press Enter; unless `wait=False`, wait until the server took it.

        The server applies typed text before it runs the submit handler, so a second message
        typed before the first was taken would replace it: a person waits for the composer to
        clear (sent) or show an error (refused), and so does this client.
        """
        await self.type("message_input", text)
        await self.submit("message_input")
        if wait:
            field = self.get("message_input")
            await self.wait_for(
                lambda: field.get("value") == "" or field.get("error"),
                timeout=timeout,
                what="send to finish",
            )
