"""Workarounds for Flet 1.0.5 internals. Every access to a private Flet name lives here.

The leak: if a client disconnects while the server is sending, `FletApp.handle` re-raises the
send error before it tells the app manager the session is disconnected. That session then never
expires, `on_disconnect`/`on_close` never fire and its send queue grows without bound.

The closing gap: after the send loop ends, and before the session is marked disconnected, an
update from a pubsub handler or timer raises AttributeError on the cleared send queue.

The cost of a shared row: every time a row is added to a session, Flet's diff walks every field
of every control in it (`DiffBuilder._configure_dataclass`), although a row that never changes
needs that walk once per process. `install_walk_once()` lets controls that say so
(`walk_once = True`) be walked once and then hand back the controls found the first time.

The cost of a session's page: the same walk reads every field of every control it adds (53 for a
Column, 134 for a TextField), looking for controls inside them, although a control with Flet's
sparse props can hold one only in its structural fields or in a prop set away from its default.
`install_walk_once()` also walks such controls through those alone (`_collect_sparse`, as
Flet's own encoder does): the page a session starts with was about 9 ms of each join's CPU.

The append patch: a live message adds a row at the end of a chunk in every session. Flet would
diff each session's chunk and encode the same row once per session; `send_list_patch` sends
the patch Flet's diff would have produced, with the row encoded once per process
(`pack_control`), and refreshes the snapshot Flet's next diff of that chunk starts from. The same
function sends a splice of the message list (the oldest chunk out, a new chunk in, built by
`pack_new_container`), which Flet's diff would do by walking every row that left.

The member list's patch: `send_patch` sends a patch whose body was encoded once for every
session showing the same change (ui/member_updates.py); `mark_sent` then tells Flet's next diff
that the client already has what it said.

The lost focus: Flet 1.0.5's `TextField.focus()` asks Flutter to focus the field's ordinary focus
node, while a `shift_enter` field (the composer: Enter sends, Shift+Enter adds a line) is drawn
with another one, so the call does nothing. Its `focus` property (any new value) asks the right
node. `ShiftEnterTextField.ask_focus` sets it. It matters for screen readers: the hidden textbox
Flutter puts in the page takes a new value from the server only while it has the focus, so after
a send with the button it kept the sent text.

The empty set per control: Flet's validation keeps, on every control it validates, the set of
errors it already reported for it (`__reported_validation_errors`), so a control that stays
invalid does not raise again at each update. Almost every control is valid, yet each got its own
empty set: 216 bytes, about 95 per session (about 20 KB of a session's 250).
`install_lean_validation()` attaches the set only when a first error is reported.

The event's type: for every event a control receives (a click, each keystroke of a field with
`on_change`, a submit), Flet works out the type of its handler's event from the class's
annotations (`get_event_field_type`: the merged annotations of its MRO, a copy of two modules'
globals, forward references evaluated): about 265 us, the same answer every time for a class
and a handler. `install_event_type_cache()` keeps the answer per class and handler. Flet reads
forward references with its caller's frame's names, so the first answer is still worked out from
a function whose globals are those of Flet's caller (`flet.controls.base_control`).

The handler's parameters: for every event, Flet counts the parameters of its handler
(`get_param_count`, `inspect.signature`: about 9 us) to know whether to pass the event. The
answer is the same at every event: `install_param_count_cache()` keeps it per plain function
(a bound method's per its function), held weakly, so a session's closures go with the session.

The random ids: Flet names each session, each connection, each page's service registry and
each call to the client (`SharedPreferences.get`) with `random_string`, which draws every
character from `secrets.choice`: one `os.urandom` call per character, 44 for a session that
reconnects (py-spy's default sampling put that at 3% of a restart storm, the benchmark could
not tell it from noise). `install_fast_ids()` puts in its place a function drawing from one
`os.urandom` call per id, as unpredictable (the session id is what lets a tab resume its
session) and as uniform: bytes past the largest multiple of 62 are thrown away rather than
folded in.

The dataclass check: Flet's diff and encoder ask `dataclasses.is_dataclass` of every value
they meet (each field of each control a page adds), and for a plain value (a string, a
number) the answer is a failed attribute lookup on its class: 300 ns, 4-5% of a restart
storm's samples (py-spy). `install_fast_dataclass_check()` gives both modules a check that
remembers the answer per class (60 ns); a class is or is not a dataclass from its definition
on.

The services' own sends: a service (the file picker, shared preferences) registers with the
page when it is made, and once the page has been sent Flet diffs the page's service registry
and sends a patch for each one. A session makes two right before its first `page.add`:
`services_sent_with_next_update(page)` lets them join the registry unsent, so they go out in
that `add`'s patch, as they would have before the page's first send.

The empty dict copies: when Flet's encoder sends a control, it keeps a copy of each of its
dict fields, for the next diff to compare with. Every control has one, `_internals`, and it is
almost always empty: a copy of nothing, and a table to hold it, about 170 bytes a control and
11 KB a session, walked again at each diff of the control. A field absent from those copies is
one Flet's diff treats as not sent: while it stays empty nothing is sent (as before, since the
encoder leaves an empty dict out), and once it holds something it is sent whole. So
`_encode_control` keeps the copies of non-empty dicts only.

The empty snapshot tables: the encoder keeps those copies in three tables per control (lists,
dicts, nested dataclasses: `__prev_lists`, `__prev_dicts`, `__prev_classes`), and most are
empty (a Text has no list, dict or nested value to compare): about 11 KB a session, three
64-byte tables for nearly every control and value. `install_shared_empty_snapshots()` lets
controls share one empty, read-only table instead (`_NO_SNAPSHOTS`). Flet's diff of a control
(`DiffBuilder._compare_dataclasses`, which writes to the control's tables, and through
`_compare_values` only to those of the control it is comparing; a diff from a component's
`parent`, which the app does not use, is frozen and writes none) gets tables of its own first,
shared again after it if they are still empty; a table a diff empties in a control that had
none shared stays its own until the control is sent whole again. A table is there either way,
which is what Flet reads as "this control was sent".

The encoder's lookups: for each control or value it sends, Flet's encoder looks up its class's
event fields, root defaults, overridden props and structural fields, and for each structural
scalar (`_i`, `_c`) walks the class's MRO for the field's first declaration; our wrapper then
looked at the snapshots it had just kept to drop empty ones. `_encode_control` looks those up
once per class (`_EncodePlan`) and keeps only the snapshots it would have left: a session's
page encoded in about 196 us instead of 304. A frozen control, and anything not on Flet's
fast path, goes through Flet's encoder as before. `tests/unit/test_control_encoding.py`
compares the bytes sent and the copies kept with Flet's, for a session's page and for every
Flet control class with each of its props set.

The send queue: `FletApp` queues every frame for its connection's send loop on an
asyncio.Queue, whose four deques (its items, getters, putters and the event `join` waits
for) take about 3 KB, at every session, for a queue that is nearly always empty. Its send loop
is the queue's one reader, and no one waits to put or to join: `install_send_queue()` gives it
`lean_waits.OneReaderQueue`, a list and the reader's future. In the same way
`install_lean_events()` gives the event each session and page waits on a list of waiters
instead of a 760-byte deque (`lean_waits.LeanEvent`).

The page compared field by field: Flet's diff asks, at each control it compares under an
isolated parent, whether that parent is the control being updated (`parent != dst_doc`), and
the page is isolated. A Flet control is a dataclass that compares by value, so each update of
the page (the first `page.add`, a dialog shown) built two tuples of the page's 64 fields for
every field of the page it compared: about 1.7% of a restart storm's samples (py-spy).
`install_identity_equal_pages()` makes pages equal only to themselves, which is all the diff
needs: two pages are never the same page.

The send loop's task switch: `LeakSafeFletApp.send_frame` writes a frame straight to uvicorn's
websocket when the send loop has nothing before it (`socket_writes.py` says when and why).

The late answer: the browser answers each call the server made (`await field.focus()`) with the
control's id, and Flet raises when that control has left the page meanwhile (a dialog closed
while the browser answered). The raise ends the connection's receive loop: the session is alive
and deaf. `install_late_call_answers()` hands such an answer to its caller anyway.

The debug f-string: `FletApp.send_message` formats every outgoing message into a debug log line
whether or not debug logging is on; the repr of a patch walks all of its controls again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import string
import types
import weakref
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

import flet as ft
import msgpack
from flet import utils as flet_utils
from flet.controls import base_control as flet_base_control
from flet.controls import object_patch as flet_object_patch
from flet.controls import page as flet_page
from flet.controls.base_control import BaseControl
from flet.controls.object_patch import DiffBuilder, ObjectPatchException, Operation
from flet.controls.value_types import _UNSET, Value
from flet.messaging import protocol as flet_protocol
from flet.messaging import session as flet_session
from flet.messaging.protocol import MessageAction, configure_encode_object_for_msgpack
from flet.utils import object_model as flet_object_model
from flet.utils import strings as flet_strings
from flet.utils import validation as flet_validation
from flet_web.fastapi import flet_app as flet_web_app
from flet_web.fastapi.flet_app import FletApp
from flet_web.fastapi.flet_app_manager import app_manager
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from flet_chat.lean_waits import LeanEvent, OneReaderQueue, give_asyncio
from flet_chat.socket_writes import protocol_of, write_now

logger = logging.getLogger(__name__)


_flet_encode = configure_encode_object_for_msgpack(BaseControl)  # type: ignore[no-untyped-call]
_DICT_SNAPSHOTS = "__prev_dicts"  # where Flet's encoder keeps what a control's dicts were
# Where Flet's encoder keeps what a control's lists, dicts and nested dataclasses were when sent.
_SNAPSHOT_TABLES = ("__prev_lists", _DICT_SNAPSHOTS, "__prev_classes")


class _NoSnapshots(dict[str, Any]):
    """The empty snapshot table every control shares (see "The empty snapshot tables"). Flet's
    diff gets a table of its own before it writes to one; a write that bypassed that would
    otherwise reach every control, so this one refuses writes."""

    def _refuse(self, *_args: Any, **_kwargs: Any) -> Any:
        raise TypeError("the shared empty snapshot table is read-only")

    __setitem__ = __delitem__ = __ior__ = _refuse
    pop = popitem = clear = update = setdefault = _refuse


_NO_SNAPSHOTS = _NoSnapshots()
_share_empty_snapshots = False  # set by install_shared_empty_snapshots()


@dataclasses.dataclass(frozen=True, slots=True)
class _EncodePlan:
    """What Flet's encoder looks up on a prop-tracked class for each control or value it
    encodes, looked up once per class (see "The encoder's lookups" in the docstring)."""

    event_fields: frozenset[str]
    root_defaults: dict[str, Any]
    override_props: tuple[tuple[str, Any], ...]
    # Each structural field, in the order Flet's encoder reads them, with the default a
    # scalar in it is compared with (its root declaration's; _UNSET: none).
    structural: tuple[tuple[str, Any], ...]


_ENCODE_PLANS: dict[type, _EncodePlan | None] = {}


def _encode_plan(cls: type) -> _EncodePlan | None:
    """The plan for `cls`, or None where Flet's encoder never takes its fast path: not a
    control or one of Flet's values (a plain dataclass, an enum, a date), or no structural
    fields. An object of a planned class takes it only if it has its `_values` (a value makes
    them in its `__init__`) and is not frozen: `_encode_control` checks those per object."""
    plan = None
    structural = getattr(cls, "_structural_fields", None)
    if (
        dataclasses.is_dataclass(cls)
        and structural is not None
        and issubclass(cls, BaseControl | Value)
    ):
        fields: dict[str, dataclasses.Field[Any]] = getattr(cls, "__dataclass_fields__", {})
        defaults = []
        for name in structural:  # the frozenset's own order, as the encoder iterates it
            field = fields.get(name)
            default = field.default if field is not None else _UNSET
            root = flet_protocol._get_root_dataclass_field(cls, name)  # type: ignore[no-untyped-call]
            defaults.append((name, root.default if root is not None else default))
        plan = _EncodePlan(
            event_fields=getattr(cls, "_event_fields", frozenset()),
            root_defaults=getattr(cls, "_root_defaults", {}),
            override_props=tuple(getattr(cls, "_override_props", {}).items()),
            structural=tuple(defaults),
        )
    return plan


def _encode_planned(obj: Any, plan: _EncodePlan) -> dict[str, Any]:
    """Flet's encoder's fast path for a prop-tracked control or value (flet/messaging/
    protocol.py), with `_encode_control`'s keeping of its snapshots: the same dict sent, the
    same copies kept."""
    sent: dict[str, Any] = {}
    lists: dict[str, Any] = {}
    dicts: dict[str, Any] = {}
    classes: dict[str, Any] = {}
    root_defaults = plan.root_defaults
    for name, v in obj._values.items():
        if v is None:
            continue
        root_default = root_defaults.get(name, _UNSET)
        if root_default is not _UNSET and v == root_default:
            continue
        if is_dataclass(v):
            sent[name] = classes[name] = v
        elif isinstance(v, list):
            sent[name] = lists[name] = v[:]
        elif isinstance(v, dict):
            sent[name] = dicts[name] = v.copy()  # kept even when empty: a prop set to {}
        else:
            sent[name] = True if name in plan.event_fields else v
    for name, v in plan.override_props:
        if name not in sent and v is not None:
            sent[name] = v
    for name, default in plan.structural:
        v = getattr(obj, name)
        if isinstance(v, list):
            v = v[:]
            if v:
                sent[name] = v
            lists[name] = v
        elif isinstance(v, dict):
            if v:
                sent[name] = dicts[name] = v.copy()
            else:  # an empty structural dict keeps no copy ("The empty dict copies"), not even
                dicts.pop(name, None)  # one a prop of the same name made above
        elif is_dataclass(v):
            sent[name] = classes[name] = v
        elif v is not None and v != default:
            sent[name] = v
    share = _share_empty_snapshots  # not frozen (see _encode_control): its copies are kept
    setattr(obj, "__prev_lists", _NO_SNAPSHOTS if share and not lists else lists)
    setattr(obj, _DICT_SNAPSHOTS, _NO_SNAPSHOTS if share and not dicts else dicts)
    setattr(obj, "__prev_classes", _NO_SNAPSHOTS if share and not classes else classes)
    return sent


def _encode_control(value: Any) -> Any:
    """Flet's encoder for a value msgpack cannot pack itself, keeping no copy of an empty dict
    (see "The empty dict copies" in the module's docstring) and, once installed, no empty
    snapshot table of its own ("The empty snapshot tables")."""
    cls = type(value)
    plan = _ENCODE_PLANS.get(cls, _NOT_PLANNED)
    if plan is _NOT_PLANNED:
        if len(_ENCODE_PLANS) >= _DATACLASS_TYPES_KEPT:  # classes made at run time: Flet's path
            return _encode_unplanned(value)
        plan = _ENCODE_PLANS[cls] = _encode_plan(cls)
    planned = plan is not None and getattr(value, "_values", None) is not None
    if planned and not hasattr(value, "_frozen"):
        return _encode_planned(value, plan)
    return _encode_unplanned(value)  # a frozen one keeps the snapshots it has: Flet's path


_NOT_PLANNED: Any = object()


def _encode_unplanned(value: Any) -> Any:
    encoded = _flet_encode(value)
    if type(encoded) is dict:  # a dataclass: Flet's encoder may have kept its snapshots
        snapshots: dict[str, Any] | None = getattr(value, _DICT_SNAPSHOTS, None)
        if snapshots and not all(snapshots.values()):
            # Only structural fields: Flet's diff looks for those when they have no copy. A prop
            # set to {} is sent as {}, and its copy is what shows a change made in place.
            structural = getattr(type(value), "_structural_fields", ())
            kept = {k: v for k, v in snapshots.items() if v or k not in structural}
            if len(kept) < len(snapshots):
                setattr(value, _DICT_SNAPSHOTS, kept)
        if _share_empty_snapshots:
            _share_empty_tables(value)
    return encoded


def _share_empty_tables(control: Any) -> None:
    for name in _SNAPSHOT_TABLES:
        table = getattr(control, name, None)
        if table is not None and not table and table is not _NO_SNAPSHOTS:
            object.__setattr__(control, name, _NO_SNAPSHOTS)


def install_shared_empty_snapshots() -> None:
    """Let controls sent by `LeakSafeFletApp` share one empty snapshot table, and give Flet's
    diff a table of its own for a control before it compares it (idempotent)."""
    global _share_empty_snapshots
    original = DiffBuilder._compare_dataclasses
    if getattr(original, "_flet_chat_own_tables", False):
        _share_empty_snapshots = True
        return

    def compare(self: Any, parent: Any, path: Any, src: Any, dst: Any, frozen: bool) -> None:
        if (
            getattr(dst, "__prev_lists", None) is not _NO_SNAPSHOTS
            and getattr(dst, "__prev_dicts", None) is not _NO_SNAPSHOTS
            and getattr(dst, "__prev_classes", None) is not _NO_SNAPSHOTS
        ):
            original(self, parent, path, src, dst, frozen)
            return
        for name in _SNAPSHOT_TABLES:
            if getattr(dst, name, None) is _NO_SNAPSHOTS:
                object.__setattr__(dst, name, {})
        try:
            original(self, parent, path, src, dst, frozen)
        finally:
            _share_empty_tables(dst)

    compare._flet_chat_own_tables = True  # type: ignore[attr-defined]
    DiffBuilder._compare_dataclasses = compare  # type: ignore[method-assign]
    _share_empty_snapshots = True


class LeakSafeFletApp(FletApp):  # type: ignore[misc]
    def send_message(self, message: Any) -> None:
        if getattr(self, "_FletApp__send_queue", None) is None:
            return  # the socket is closing; Flet drops messages to disconnected sessions too
        # FletApp.send_message's own body, without its always-formatted debug line.
        body = msgpack.packb([message.action, message.body], default=_encode_control)
        self.send_frame(b"\x00" + body)

    _protocol: WebSocketsSansIOProtocol | None = None  # uvicorn's, for `write_now`

    def send_frame(self, frame: bytes) -> None:
        queue = getattr(self, "_FletApp__send_queue", None)
        if queue is None:
            return  # the socket is closing; Flet drops messages to disconnected sessions too
        protocol = self._protocol
        # Straight to the socket when the send loop has nothing before it (socket_writes.py).
        # On the event loop's thread, as every frame of ours is: the app runs no Flet handler
        # in a thread (page.run_thread, sync pubsub handlers).
        if protocol is not None and queue.reader_idle() and write_now(protocol, frame):
            return
        queue.put_nowait(frame)

    async def handle(self, websocket: Any) -> None:
        # The upgrade request's cookies, for the session (web_clock.py reads the viewer's clock).
        self.upgrade_cookies: dict[str, str] = dict(websocket.cookies)
        if flet_web_app.asyncio.Queue is OneReaderQueue:  # its `reader_idle` says when
            self._protocol = protocol_of(websocket)
        try:
            await super().handle(websocket)
        except Exception as error:
            session = getattr(self, "_FletApp__session", None)
            if session is None:
                raise
            logger.info("client went away while the server was sending: %r", error)
            await app_manager.disconnect_session(
                self._FletApp__get_unique_session_id(session.id),
                self._FletApp__session_timeout_seconds,
            )
        finally:
            self._protocol = None  # the connection is over: keep none of it alive


@contextlib.contextmanager
def services_sent_with_next_update(page: Any) -> Iterator[None]:
    """Services made inside join `page`'s registry without a send each; the page's next
    update sends them (see the module's docstring). Flet's registry sends nothing for a
    service while it has no parent, as before the page's first send."""
    registry = page._services
    parent = registry.__dict__.get("_parent")
    object.__setattr__(registry, "_parent", None)
    try:
        yield
    finally:
        object.__setattr__(registry, "_parent", parent)


def upgrade_cookies(page: Any) -> dict[str, str]:
    """The cookies of the websocket upgrade that opened `page`'s session (LeakSafeFletApp
    keeps them; none for a desktop window)."""
    return getattr(page.session.connection, "upgrade_cookies", None) or {}


def flet_sessions() -> list[Any]:
    """Sessions Flet's app manager still holds, connected or waiting to expire."""
    sessions: dict[str, Any] = getattr(app_manager, "_FletAppManager__sessions", {})
    return list(sessions.values())


async def forget_flet_session(session: Any) -> None:
    """Close a disconnected session now instead of keeping it for a reconnect (Flet keys its
    table by an id we do not hold, so look the session up by identity)."""
    sessions: dict[str, Any] = getattr(app_manager, "_FletAppManager__sessions", {})
    for key, candidate in list(sessions.items()):
        if candidate is session:
            await app_manager.delete_session(key)
            return


def flet_session_count() -> int:
    return len(flet_sessions())


_WALKED = "_flet_chat_walked"


def install_walk_once() -> None:
    """Patch Flet's diff so `walk_once` controls are configured once per process (idempotent)."""
    original = DiffBuilder._configure_dataclass
    if getattr(original, "_flet_chat_walk_once", False):
        return

    def configure(
        self: Any, item: Any, parent: Any, frozen: bool, configure_setattr_only: bool = False
    ) -> Iterator[Any]:
        if configure_setattr_only or frozen:
            yield from original(self, item, parent, frozen, configure_setattr_only)
            return
        if not getattr(item, "walk_once", False):
            if _walks_sparse(self, item):
                found: list[Any] = []
                _collect_sparse(self, item, parent, found)
                yield from found
            else:
                yield from original(self, item, parent, frozen, configure_setattr_only)
            return
        walked: tuple[Any, ...] | None = getattr(item, _WALKED, None)
        if walked is None:
            walked = tuple(original(self, item, parent, frozen, configure_setattr_only))
            object.__setattr__(item, _WALKED, walked)
        elif parent is not None and parent is not item:
            item._parent = weakref.ref(parent)
        yield from walked

    configure._flet_chat_walk_once = True  # type: ignore[attr-defined]
    configure._flet_chat_original = original  # type: ignore[attr-defined]  # for the tests
    DiffBuilder._configure_dataclass = configure  # type: ignore[method-assign]


class _AttachedOnFirstError(set[tuple[str, str]]):
    """The errors reported for a control that has reported none: attached to it on `add`."""

    __slots__ = ("_owner",)

    def __init__(self, owner: Any) -> None:
        super().__init__()
        self._owner = owner

    def add(self, signature: tuple[str, str]) -> None:
        with contextlib.suppress(Exception):  # as Flet's own: a control that takes no attribute
            setattr(self._owner, flet_validation._REPORTED_VALIDATION_ERRORS_KEY, {signature})
        self._owner = None


def install_lean_validation() -> None:
    """Patch Flet's validation to keep no record of reported errors on a control that has
    reported none (see the module's docstring; idempotent)."""
    original = flet_validation._get_reported_validation_errors
    if getattr(original, "_flet_chat_lean", False):
        return

    def reported_errors(instance: Any) -> set[tuple[str, str]] | None:
        reported: set[tuple[str, str]] | None = getattr(
            instance, flet_validation._REPORTED_VALIDATION_ERRORS_KEY, None
        )
        return reported if reported is not None else _AttachedOnFirstError(instance)

    reported_errors._flet_chat_lean = True  # type: ignore[attr-defined]
    flet_validation._get_reported_validation_errors = reported_errors


def install_event_type_cache() -> None:
    """Keep Flet's answer to "what type is this handler's event" per class and handler (see the
    module's docstring; idempotent)."""
    original = flet_base_control.get_event_field_type  # type: ignore[attr-defined]
    if getattr(original, "_flet_chat_cached", False):
        return
    # Flet's function reads its caller's frame: call it from one with base_control's globals.
    source = (
        "def resolve(control, field_name, _original=None):\n"
        "    return _original(control, field_name)\n"
    )
    code = compile(source, "<flet_chat: Flet's event type, asked as base_control asks>", "exec")
    body = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    resolve = types.FunctionType(body, vars(flet_base_control), "resolve", (original,))
    known: dict[tuple[type, str], Any] = {}

    def event_type(control: Any, field_name: str) -> Any:
        key = (type(control), field_name)
        if key not in known:
            known[key] = resolve(control, field_name)
        return known[key]

    event_type._flet_chat_cached = True  # type: ignore[attr-defined]
    flet_base_control.get_event_field_type = event_type  # type: ignore[attr-defined]


_flet_param_count: Callable[[Any], int | None] = flet_object_model.get_param_count
# Per function, and per the function of a bound method (its count leaves `self` out).
_UNCOUNTED = object()
_PARAM_COUNTS: tuple[weakref.WeakKeyDictionary[Any, int | None], ...] = (
    weakref.WeakKeyDictionary(),
    weakref.WeakKeyDictionary(),
)


def param_count(handler: Any) -> int | None:
    """Flet's `get_param_count(handler)`, worked out once per plain function (see the module's
    docstring). Other callables (partials, callable objects, static methods) are counted every
    time, as are functions whose signature is changed after their first event (not seen)."""
    kind = type(handler)
    if kind is types.FunctionType:
        counts, key = _PARAM_COUNTS[0], handler
    elif kind is types.MethodType and type(handler.__func__) is types.FunctionType:
        counts, key = _PARAM_COUNTS[1], handler.__func__
    else:
        return _flet_param_count(handler)
    count = counts.get(key, _UNCOUNTED)
    if count is _UNCOUNTED:
        count = counts[key] = _flet_param_count(handler)
    return count  # type: ignore[return-value]


def install_param_count_cache() -> None:
    """Give Flet's event dispatch `param_count` (idempotent)."""
    flet_base_control.get_param_count = param_count  # type: ignore[attr-defined]


_ID_ALPHABET = string.ascii_letters + string.digits
_ID_BYTES_KEPT = 256 - 256 % len(_ID_ALPHABET)  # 248: each kept byte maps to 4 characters


def random_id(length: int, random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """`length` letters and digits, each uniform and independent: Flet's `random_string`,
    drawn from one `random_bytes` call (rarely two) instead of one per character."""
    chars: list[str] = []
    while len(chars) < length:
        # A byte is thrown away with probability 8/256: a quarter more bytes covers nearly
        # every draw at once.
        for byte in random_bytes(length + length // 4 + 4):
            if byte < _ID_BYTES_KEPT:
                chars.append(_ID_ALPHABET[byte % len(_ID_ALPHABET)])
                if len(chars) == length:
                    break
    return "".join(chars)


_DATACLASS_BY_TYPE: dict[type, bool] = {}
_DATACLASS_TYPES_KEPT = 4096  # classes made at run time must not grow the table for ever


def is_dataclass(value: Any) -> bool:
    """`dataclasses.is_dataclass`, its answer kept per class of the value (see the module's
    docstring); a class itself (is it a dataclass?) is asked every time."""
    cls = type(value)
    known = _DATACLASS_BY_TYPE.get(cls)
    if known is not None:
        return known
    answer = dataclasses.is_dataclass(value)
    if not isinstance(value, type) and len(_DATACLASS_BY_TYPE) < _DATACLASS_TYPES_KEPT:
        _DATACLASS_BY_TYPE[cls] = answer
    return answer


def install_fast_dataclass_check() -> None:
    """Give Flet's diff and encoder `is_dataclass` (see the module's docstring; idempotent)."""
    diff: Any = flet_object_patch  # it calls `dataclasses.is_dataclass`: give it a namespace
    if diff.dataclasses.is_dataclass is not is_dataclass:
        with_check = {
            name: getattr(dataclasses, name) for name in dir(dataclasses) if name[:2] != "__"
        }
        with_check["is_dataclass"] = is_dataclass
        diff.dataclasses = types.SimpleNamespace(**with_check)
    encoder: Any = flet_protocol
    encoder.is_dataclass = is_dataclass


_FLET_ID_USERS: tuple[Any, ...] = (flet_strings, flet_utils, flet_session, flet_page, flet_web_app)


def install_fast_ids() -> None:
    """Give the Flet modules that name sessions, connections, service registries and client
    calls `random_id` for their `random_string` (see the module's docstring; idempotent).
    Flet's desktop socket server keeps its own: it names one temporary file per window."""
    for module in _FLET_ID_USERS:
        module.random_string = random_id


def install_send_queue() -> None:
    """Give `FletApp` a `OneReaderQueue` for each connection's frames (idempotent). Its `handle`
    makes the queue with `asyncio.Queue()`; the module gets asyncio with that one name changed."""
    give_asyncio(flet_web_app, Queue=OneReaderQueue)


def install_lean_events() -> None:
    """Give Flet's session and page `LeanEvent`s for the events each holds (idempotent)."""
    for module in (flet_session, flet_page):
        give_asyncio(module, Event=LeanEvent)


_FLET_PAGE_EQ = ft.Page.__eq__  # the dataclass's, field by field (tests compare with it)


def _same_object(self: object, other: object) -> bool:
    # NotImplemented, not False, for anything else: the other side may still say (`mock.ANY`).
    return True if self is other else NotImplemented


def install_identity_equal_pages() -> None:
    """Make Flet's pages equal only to themselves (see the module's docstring; idempotent).
    Their hash stays Flet's (`object.__hash__`, which already went by identity)."""
    ft.Page.__eq__ = _same_object  # type: ignore[method-assign]


_flet_call_answer = flet_session.Session.handle_invoke_method_results


def _call_answer(session: Any, control_id: int, call_id: str, result: Any, error: Any) -> None:
    if control_id not in session.index:
        # The caller waits on the call's id alone; the page is always registered.
        control_id = session.page._i
    _flet_call_answer(session, control_id, call_id, result, error)


def install_late_call_answers() -> None:
    """Let an answer to a call on a control that has left the page reach its caller instead
    of ending the connection's receive loop (see the module's docstring; idempotent)."""
    flet_session.Session.handle_invoke_method_results = _call_answer  # type: ignore[method-assign,assignment]


def pack_control(control: BaseControl) -> bytes:
    """Prepare a never-changing control as Flet's diff would when it is first added (build,
    before_update, walked once: see install_walk_once) and encode it as Flet sends it."""
    for _ in DiffBuilder(None, control, control_cls=BaseControl)._configure_dataclass(
        control, None, False
    ):
        pass
    packed: bytes = msgpack.packb(control, default=_encode_control)
    return packed


def _may_hold_controls(value: Any) -> bool:
    return isinstance(value, list | dict) or is_dataclass(value)


# Per class: its structural fields in declaration order, and every field's declaration position;
# None where only Flet's whole walk is right.
_SPARSE_PLANS: dict[type, tuple[tuple[str, ...], dict[str, int]] | None] = {}


def _sparse_plan(cls: type) -> tuple[tuple[str, ...], dict[str, int]] | None:
    """How to walk a control of `cls` sparsely, or None: not one of Flet's prop-tracked
    classes, a prop whose default may hold controls, or a field that is neither structural nor
    a prop (a subclass made with a plain @dataclass adds such fields)."""
    if cls in _SPARSE_PLANS:
        return _SPARSE_PLANS[cls]
    plan = None
    defaults: dict[str, Any] | None = getattr(cls, "_prop_defaults", None)
    structural = getattr(cls, "_structural_fields", None)
    if (
        defaults is not None
        and structural is not None
        and not any(map(_may_hold_controls, defaults.values()))
    ):
        names = [f.name for f in dataclasses.fields(cls) if not f.metadata.get("skip", False)]
        if all(name in structural or name in defaults for name in names):
            order = tuple(name for name in names if name in structural)
            plan = (order, {name: at for at, name in enumerate(names)})
    _SPARSE_PLANS[cls] = plan
    return plan


def _walks_sparse(builder: DiffBuilder, item: Any) -> bool:
    """Whether Flet's walk of `item` can look only where controls can be (see the module's
    docstring): a control of a prop-tracked class whose defaults hold none, not frozen."""
    control_cls = builder.control_cls
    return (
        control_cls is not None
        and isinstance(item, control_cls)
        and not hasattr(item, "_frozen")
        and _sparse_plan(type(item)) is not None
    )


def _collect_sparse(builder: DiffBuilder, control: Any, parent: Any, found: list[Any]) -> None:
    """Flet's `_configure_dataclass` of a control `_walks_sparse` allows (parent link, build,
    before_update, the controls inside it, a clean change record), reading only its structural
    fields and the props set away from their defaults. The controls it finds are appended to
    `found` in the order Flet's walk yields them (its caller lists them all before using any):
    plain calls, where Flet's walk is a generator per field and per control, each control
    it yields passing up through all of them."""
    _prepare(builder, control, parent)
    found.append(control)
    for value in _sparse_values(control):
        if isinstance(value, list):
            for item in value:
                _collect_item(builder, item, control, found)
        elif isinstance(value, dict):
            for item in value.values():
                _collect_item(builder, item, control, found)
        else:
            _collect_item(builder, value, control, found)
    control._dirty.clear()


def _collect_item(builder: DiffBuilder, item: Any, parent: Any, found: list[Any]) -> None:
    """`_collect_sparse` for what a control holds: Flet's walk of `item`, sparse where
    `_walks_sparse` allows."""
    if not is_dataclass(item):
        if isinstance(item, list | dict):  # a list in a list: Flet's walk goes into it
            found.extend(builder._configure_dataclass(item, parent, False))
        return
    if _walks_sparse(builder, item) and not getattr(item, "walk_once", False):
        _collect_sparse(builder, item, parent, found)
    else:  # a walked-once row, a value object, a control only Flet's whole walk is right for
        found.extend(builder._configure_dataclass(item, parent, False))


def _prepare(builder: DiffBuilder, control: Any, parent: Any) -> None:
    if parent is None:
        parent_ref = getattr(control, "_parent", None)
        parent = parent_ref() if parent_ref else None
    if parent:
        if parent is control:
            raise ObjectPatchException(f"Parent is the same as item: {control}")
        control._parent = weakref.ref(parent)
    cls = type(control)
    if getattr(cls, "__flet_control_cls__", None) is None:
        cls.__flet_control_cls__ = builder.control_cls
    control.build()
    control._before_update_safe()
    object.__setattr__(control, "_initialized", True)


_FIRST = itemgetter(0)


def _sparse_values(control: Any) -> list[Any]:
    """Where a control `_sparse_plan` allows can hold controls (read after its build), in the
    order of its fields, as Flet's walk reads them."""
    plan = _sparse_plan(type(control))
    assert plan is not None, "only for controls _walks_sparse allows"
    structural, position = plan
    found = [
        (position[name], v)
        for name in structural
        if _may_hold_controls(v := getattr(control, name))
    ]
    found += [
        (position[name], v)
        for name, v in control._values.items()
        if name in position and _may_hold_controls(v)
    ]
    if len(found) > 1:
        found.sort(key=_FIRST)
    return [value for _, value in found]


def _configure_new_control(control: Any, parent: Any) -> None:
    """What Flet's diff does to a control it adds under `parent`, as `_collect_sparse`, but
    a walked-once row inside it only gets its parent link: for a new chunk of rows, once per
    CHUNK_SIZE messages of a room, per session."""
    builder = DiffBuilder(None, control, control_cls=BaseControl)
    if not _walks_sparse(builder, control):
        for _ in builder._configure_dataclass(control, parent, False):
            pass
        return
    _prepare(builder, control, parent)
    for value in _sparse_values(control):
        for item in value if isinstance(value, list) else (value,):
            _configure_child(builder, item, control)
    control._dirty.clear()


def _configure_child(builder: DiffBuilder, item: Any, parent: Any) -> None:
    if getattr(item, _WALKED, None) is not None:
        item._parent = weakref.ref(parent)  # all the walk of a walked once row does again
        return
    for _ in builder._configure_dataclass(item, parent, False):
        pass


_HOST_EXPANDED = "host_expanded"


def drop_unused_expand_hosts(control: Any) -> None:
    """Flet marks every Row and Column as a host of expanding children (`_internals`), sent
    with each one, although the client reads the mark only for a child that sets `expand`. A
    shared row never changes, so its rows and columns without such a child need not carry it:
    about 30 bytes each, two per message row, sent to every session."""
    children: list[Any] = getattr(control, "controls", None) or []
    content = getattr(control, "content", None)
    if isinstance(content, BaseControl):
        children = [*children, content]
    internals: dict[str, Any] | None = getattr(control, "_internals", None)
    expands = any(getattr(child, "expand", None) for child in children)
    if internals and _HOST_EXPANDED in internals and not expands:
        del internals[_HOST_EXPANDED]
    for child in children:
        if isinstance(child, BaseControl):
            drop_unused_expand_hosts(child)


_PACKER = msgpack.Packer()
_PATCH_CONTROL = MessageAction.PATCH_CONTROL.value
_ADD = Operation.Add.value
_REMOVE = Operation.Remove.value
# The path table of a patch on a container's `controls` list: node 1 is `controls`.
_CONTROLS_PATH = msgpack.packb([0, {"controls": [1]}])
# The parts of a list patch's frame that are the same in every one (built once, not per frame:
# a live message sends one per session).
# [PATCH_CONTROL, {"id": ..., "patch": ...}] up to the id's value:
_PATCH_HEAD = b"\x00" + _PACKER.pack_array_header(2) + _PACKER.pack(_PATCH_CONTROL)
_PATCH_HEAD += _PACKER.pack_map_header(2) + _PACKER.pack("id")
_PATCH_KEY = _PACKER.pack("patch")
# [ADD, 1 (the path's `controls`), index, control] up to the index:
_ADD_HEAD = _PACKER.pack_array_header(4) + _PACKER.pack(_ADD) + _PACKER.pack(1)
_SNAPSHOTS = "__prev_lists"  # where Flet's encoder keeps what a control's lists were when sent


def takes_ready_made(page: Any) -> bool:
    """Whether this page's session is ours (LeakSafeFletApp), which sends encoded frames."""
    return isinstance(page.session.connection, LeakSafeFletApp)


def accepts_ready_made(page: Any, container: Any) -> bool:
    """Whether ready-made patches can go to this page's client for `container`: the session is
    ours (LeakSafeFletApp) and the client holds a non-empty `controls` list for it (Flet's diff
    has its snapshot; an empty list is not sent at all, and its first item replaces it whole)."""
    snapshots: dict[str, Any] = getattr(container, _SNAPSHOTS, None) or {}
    return takes_ready_made(page) and bool(snapshots.get("controls"))


def pack_new_container(container: Any, parent: Any, packed_children: list[bytes]) -> bytes:
    """Encode a container never sent before, with children already encoded, as Flet's diff
    would add it under `parent`; it records the snapshot Flet's next diff of it starts from.
    What `prepare_new_container` did ahead for it is not done again."""
    ahead: _Prepared | None = getattr(container, _PREPARED, None)
    if ahead is not None:
        object.__setattr__(container, _PREPARED, None)
        # Unchanged since: same parent, no prop set, and not sent meanwhile (its list snapshot
        # is still the empty one its encoding ahead recorded).
        sent_lists: dict[str, Any] = getattr(container, _SNAPSHOTS, None) or {}
        if ahead.parent() is parent and not container._dirty and sent_lists.get("controls") == []:
            return _pack_prepared(container, ahead, packed_children)
    _configure_new_control(container, parent)
    fields: dict[str, Any] = _encode_control(container)
    packed = bytearray(_PACKER.pack_map_header(len(fields)))
    for name, value in fields.items():
        packed += _PACKER.pack(name)
        if name == "controls":
            packed += _PACKER.pack_array_header(len(packed_children))
            packed += b"".join(packed_children)
        else:
            packed += msgpack.packb(value, default=_encode_control)
    return bytes(packed)


@dataclasses.dataclass(frozen=True, slots=True)
class _Prepared:
    parent: weakref.ref[Any]
    fields: int  # how many of the container's own fields `packed` holds
    packed: bytes  # those fields, encoded: all but `controls`


_PREPARED = "_flet_chat_prepared"  # not a prop: Flet neither sends nor diffs it


def prepare_new_container(container: Any, parent: Any) -> None:
    """Do ahead, while it holds no children yet, what `pack_new_container` would first do for
    `container` under `parent`: Flet's configuring of a control it adds, and the encoding of
    the container's own fields (a message chunk's: a new one starts with 1 in CHUNK_SIZE live
    messages, for every session at once, and this is most of what that costs a session more
    than a row). Only for a container whose props do not change until it is sent (one that
    does is encoded whole, as before)."""
    if getattr(container, "controls", None):
        return
    _configure_new_control(container, parent)
    fields: dict[str, Any] = _encode_control(container)
    fields.pop("controls", None)
    packed = b"".join(
        _PACKER.pack(name) + msgpack.packb(value, default=_encode_control)
        for name, value in fields.items()
    )
    prepared = _Prepared(weakref.ref(parent), len(fields), packed)
    object.__setattr__(container, _PREPARED, prepared)


def _pack_prepared(container: Any, ahead: _Prepared, packed_children: list[bytes]) -> bytes:
    """`pack_new_container` for a container `prepare_new_container` prepared: its children
    are configured as Flet's diff would, and its snapshot gains them (its encoding ahead
    recorded an empty list)."""
    children: list[Any] = container.controls
    builder: DiffBuilder | None = None
    for child in children:
        if getattr(child, _WALKED, None) is not None:
            child._parent = weakref.ref(container)  # a walked-once row: as _configure_child
            continue
        builder = builder or DiffBuilder(None, container, control_cls=BaseControl)
        _configure_child(builder, child, container)
    getattr(container, _SNAPSHOTS)["controls"] = children[:]  # its own table (checked above)
    head: bytes = _PACKER.pack_map_header(ahead.fields + (1 if children else 0))
    if not children:
        return head + ahead.packed
    controls: bytes = _PACKER.pack("controls") + _PACKER.pack_array_header(len(packed_children))
    return head + ahead.packed + controls + b"".join(packed_children)


def send_changed_scalars(page: Any, control: Any) -> None:
    """Send the plain values (a bool, a number, a string) changed on `control` since its last
    diff, alone, and mark them sent: before a ready-made patch of its list, so that a
    ListView's `auto_scroll` set with the change applies to it; a dialog's `open` when it
    closes. Only for our sessions."""
    dirty: dict[str, Any] = getattr(control, "_dirty", None) or {}
    values: dict[str, Any] = getattr(control, "_values", {})
    defaults: dict[str, Any] = getattr(type(control), "_prop_defaults", {})
    names = [
        name
        for name in dirty
        if isinstance(values.get(name, defaults.get(name)), bool | int | float | str)
    ]
    if not names:
        return
    ops = [[_REPLACE, 0, name, values.get(name, defaults.get(name))] for name in names]
    body = _PACKER.pack([_PATCH_CONTROL, {"id": control._i, "patch": [[0], *ops]}])
    page.session.connection.send_frame(b"\x00" + body)
    for name in names:
        dirty.pop(name, None)


def sent_its_own_changes() -> None:
    """Tell Flet this event's handler has sent what it changed (or had nothing to send).

    After every control event Flet 1.0.5 updates the nearest isolated control above the one
    that fired it, the whole page for most, unless an `update()` ran in the handler
    (`Session.after_event`). Handlers that send through ready-made frames, or that change
    nothing on this page (a keystroke's typing signal), would otherwise cost a diff of the
    whole page per event."""
    ft.context.mark_update_called()  # type: ignore[no-untyped-call]  # Flet 1.0.5: unannotated


def holds_empty_list(page: Any, container: Any) -> bool:
    """Whether this page's client was sent `container` with no `controls` (its first page of
    rows is then a ready-made replacement of the list: `send_list_replaced`)."""
    snapshots: dict[str, Any] | None = getattr(container, _SNAPSHOTS, None)
    return takes_ready_made(page) and snapshots is not None and snapshots.get("controls") == []


def send_list_replaced(
    page: Any, container: Any, packed: Sequence[bytes], *, now_holds: Sequence[Any] | None = None
) -> None:
    """Give the client's empty `container.controls` the encoded controls `packed`, as Flet's
    diff does for a list that was empty (it replaces the list whole); the client then holds
    `now_holds` (default: `container.controls`). Only where `holds_empty_list(page, container)`."""
    frame = bytearray(b"\x00")
    frame += _PACKER.pack_array_header(2) + _PACKER.pack(_PATCH_CONTROL)
    frame += _PACKER.pack_map_header(2) + _PACKER.pack("id") + _PACKER.pack(container._i)
    frame += _PACKER.pack("patch") + _PACKER.pack_array_header(2) + _PACKER.pack([0])
    frame += _PACKER.pack_array_header(4) + _PACKER.pack(_REPLACE) + _PACKER.pack(0)
    frame += _PACKER.pack("controls") + _PACKER.pack_array_header(len(packed)) + b"".join(packed)
    page.session.connection.send_frame(bytes(frame))
    held = container.controls if now_holds is None else now_holds
    getattr(container, _SNAPSHOTS)["controls"][:] = held


def send_list_patch(
    page: Any,
    container: Any,
    *,
    removed: Sequence[int],
    added: Sequence[tuple[int, bytes]],
    now_holds: Sequence[Any] | None = None,
) -> None:
    """Tell the page's client that items at `removed` (indexes as it has them, highest first)
    left `container.controls` and that encoded controls were inserted at `added`'s indexes
    (lowest first, as they are in the new list); the client applies them in that order and
    then holds `now_holds` (default: `container.controls`).
    Only where `accepts_ready_made(page, container)`."""
    pack = _PACKER.pack
    parts = [
        _PATCH_HEAD,
        pack(container._i),
        _PATCH_KEY,
        _PACKER.pack_array_header(1 + len(removed) + len(added)),
        _CONTROLS_PATH,
    ]
    parts += [pack([_REMOVE, 1, index]) for index in removed]
    for index, control in added:
        parts += (_ADD_HEAD, pack(index), control)
    page.session.connection.send_frame(b"".join(parts))
    # What Flet's diff of this container would have recorded after sending the same patch.
    held = container.controls if now_holds is None else now_holds
    getattr(container, _SNAPSHOTS)["controls"][:] = held


@ft.control("TextField")  # type: ignore[arg-type]  # Flet 1.0.5 types it for its own classes
class ShiftEnterTextField(ft.TextField):
    """A `shift_enter` TextField whose focus can be asked for (see "The lost focus" above)."""

    # The property Flutter's TextField reads; it replaces the method that cannot reach the field.
    focus: str | None = None  # type: ignore[assignment]

    def ask_focus(self) -> None:
        """Ask for the focus with the next update of the field."""
        self.focus = str(int(self.focus or 0) + 1)


_REPLACE = Operation.Replace.value
# Where Flet keeps a control's fields changed since its last diff: `_dirty` for declared props
# (the page's title is one), `__changes` for plain dataclass fields.
_CHANGED_FIELDS = ("_dirty", "__changes")


def send_page_title(page: Any, title: str) -> None:
    """Set the page's title and send that alone: Flet's `page.update()` would diff the whole
    page (every panel and list a session holds) for one string. Flet's next diff of the page
    then finds no change to send again."""
    page.title = title
    if not isinstance(page.session.connection, LeakSafeFletApp):
        page.update()
        return
    patch = [[0], [_REPLACE, 0, "title", title]]  # the page's own field: path table root
    body = _PACKER.pack([_PATCH_CONTROL, {"id": page._i, "patch": patch}])
    page.session.connection.send_frame(b"\x00" + body)
    for name in _CHANGED_FIELDS:
        changed: dict[str, Any] | None = getattr(page, name, None)
        if changed is not None:
            changed.pop("title", None)


OP_REPLACE, OP_ADD, OP_REMOVE = _REPLACE, _ADD, _REMOVE


def send_patch(page: Any, control: Any, patch: bytes) -> None:
    """Send a patch of `control` whose body (`[path table, op...]`, as Flet's `to_message`
    lays it out) was encoded once for every session: only the control's id is per session."""
    head = _PACKER.pack_array_header(2) + _PACKER.pack(_PATCH_CONTROL) + _PACKER.pack_map_header(2)
    head += _PACKER.pack("id") + _PACKER.pack(control._i) + _PACKER.pack("patch")
    page.session.connection.send_frame(b"\x00" + head + patch)


def mark_sent(control: Any, field: str) -> None:
    """The client has `control`'s `field` as it is now (a ready-made patch said so): Flet's
    next diff of the control starts from there instead of sending it again."""
    for name in _CHANGED_FIELDS:
        changed: dict[str, Any] | None = getattr(control, name, None)
        if changed is not None:
            changed.pop(field, None)
    value = getattr(control, field)
    if isinstance(value, list):
        getattr(control, _SNAPSHOTS)[field][:] = value
