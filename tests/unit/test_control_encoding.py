"""`_encode_control` encodes a prop-tracked control or value with what Flet's encoder looks up
per class looked up once (flet_compat, "The encoder's lookups"). It must send the bytes Flet's
encoder (with our keeping of its snapshots) sends, and keep the same copies for the next diff,
for every control class and for a session's whole page."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import flet as ft
import msgpack
import pytest
from flet.controls.base_control import BaseControl
from flet.controls.object_patch import DiffBuilder

from flet_chat import flet_compat
from flet_chat.flet_compat import (
    _NO_SNAPSHOTS,
    _SNAPSHOT_TABLES,
    _encode_control,
    _encode_unplanned,
    install_shared_empty_snapshots,
    install_walk_once,
)
from flet_chat.lean_inits import install_lean_inits
from flet_chat.ui.views.account_menu import AccountMenu
from flet_chat.ui.views.join_dialog import JoinDialog
from tests.unit.session_fakes import make_view, nothing
from tests.unit.test_sparse_walk import Board

install_lean_inits()
for _name in ft.__all__:  # Flet imports lazily: make every class it has
    getattr(ft, _name)


def _control_classes() -> list[type]:
    found: dict[str, type] = {}
    stack: list[type] = [ft.BaseControl]
    while stack:
        cls = stack.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        stack.extend(cls.__subclasses__())
    flets = [found[name] for name in sorted(found) if found[name].__module__.startswith("flet.")]
    return [cls for cls in flets if _made_alone(cls)]


def _made_alone(cls: type) -> bool:
    """Whether a control of `cls` can be made with only its required arguments (not an
    abstract base; not the page, which needs a session)."""
    try:
        cls(**_required(cls))
    except (ValueError, TypeError, RuntimeError):
        return False
    return True


def _required(cls: type) -> dict[str, Any]:
    init = getattr(vars(cls).get("__init__"), "__lean_original__", cls.__init__)
    parameters = list(inspect.signature(init).parameters.values())[1:]
    return {p.name: f"{p.name}-value" for p in parameters if p.default is inspect.Parameter.empty}


def _tables(control: Any, base: int) -> list[Any]:
    """The copies Flet's next diff of `control` starts from ("shared": the shared empty one),
    a control in them by its id counted from the root's."""

    def comparable(value: Any) -> Any:
        if isinstance(value, BaseControl):
            return ("control", value._i - base)
        if isinstance(value, list):
            return [comparable(v) for v in value]
        if isinstance(value, dict):
            return {k: comparable(v) for k, v in value.items()}
        return value

    tables = (getattr(control, name, None) for name in _SNAPSHOT_TABLES)
    return ["shared" if t is _NO_SNAPSHOTS else comparable(t) for t in tables]


def _encoded_both_ways(root: Any) -> tuple[Any, Any]:
    """`root` encoded by Flet's path, then again by ours (its copies cleared in between): the
    bytes each sends and the copies each keeps, object by object."""
    results = []
    for encode in (_encode_unplanned, _encode_control):
        met: list[Any] = []

        def recorded(value: Any, encode: Any = encode, met: list[Any] = met) -> Any:
            met.append(value)
            return encode(value)

        sent = msgpack.packb(root, default=recorded)
        results.append((sent, [(type(v).__name__, _tables(v, root._i)) for v in met]))
        for value in met:
            for name in _SNAPSHOT_TABLES:
                if name in getattr(value, "__dict__", ()):
                    delattr(value, name)
    return results[0], results[1]


def _configured(root: Any) -> Any:
    """`root` as Flet's diff prepares what it adds (built, parents linked)."""
    for _ in DiffBuilder(None, root, control_cls=BaseControl)._configure_dataclass(
        root, None, False
    ):
        pass
    return root


def _session_page() -> ft.Column:
    view = make_view()
    menu = AccountMenu(
        on_profile=nothing, on_password=nothing, on_sign_out=nothing, on_sign_out_everywhere=nothing
    )
    menu.button.items = [*menu._items, menu.everywhere_item]
    return ft.Column([*view.layout(), view.drawer, JoinDialog(on_join=nothing).dialog, menu.button])


@pytest.fixture(autouse=True, params=[True, False], ids=["shared tables", "own tables"])
def _installed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    install_walk_once()
    install_shared_empty_snapshots()
    monkeypatch.setattr(flet_compat, "_share_empty_snapshots", request.param)


def test_controls_and_values_take_the_planned_path() -> None:
    plans = flet_compat._ENCODE_PLANS
    text, border = ft.Text("a", weight=ft.FontWeight.BOLD), ft.Border.all(1, "red")
    msgpack.packb(ft.Container(content=text, border=border), default=_encode_control)
    assert plans[ft.Text] is not None
    assert plans[ft.Container] is not None
    assert plans[ft.Border] is not None
    assert plans[ft.BorderSide] is not None
    assert plans[ft.FontWeight] is None  # an enum: Flet's encoder
    assert len(_control_classes()) > 140  # Flet 1.0.5's controls, services and dialogs


def test_a_sessions_page_is_sent_and_kept_as_flets_encoder_does() -> None:
    _session_page()  # makes the controls a process shares (the "load older" button) beforehand
    flets, ours = _encoded_both_ways(_configured(_session_page()))
    assert len(ours[1]) > 50
    assert ours == flets
    if flet_compat._share_empty_snapshots:
        assert any(tables.count("shared") == 3 for _, tables in ours[1])  # a Text keeps none


def test_controls_in_dicts_nested_lists_and_values_are_sent_alike() -> None:
    flets, ours = _encoded_both_ways(
        _configured(
            Board(
                content=ft.Row([ft.Text("a"), ft.Text("b")]),
                slots={"left": ft.Text("c"), "right": ft.Column([ft.Text("d")])},
                grid=[[ft.Text("e"), ft.Text("f")], [ft.Text("g")]],
                border=ft.Border.all(1, "red"),
                data={"kept": {}},
            )
        )
    )
    assert ours == flets


@ft.control("Text")  # type: ignore[arg-type]  # Flet 1.0.5 types it for its own classes
class Tagged(ft.Text):
    """A control with a scalar field of its own that is not a prop: sent unless at its default."""

    _tag: int = 0


@ft.control("Text")  # type: ignore[arg-type]
class WithExtra(ft.Text):
    extra: dict[str, Any] | None = None


@ft.control("Text")  # type: ignore[arg-type]
class ExtraRedeclared(WithExtra):
    """A prop made structural again by a subclass: its value is in `_values` and a field."""

    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # type: ignore[assignment]


@pytest.mark.parametrize(
    "make",
    [
        lambda: Tagged("at its default"),
        lambda: Tagged("set", _tag=5),
        lambda: ExtraRedeclared("empty", extra={}),
        lambda: ExtraRedeclared("filled", extra={"a": 1}),
    ],
    ids=["scalar at its default", "scalar set", "redeclared empty", "redeclared filled"],
)
def test_fields_of_the_apps_own_kinds_are_sent_and_kept_alike(make: Any) -> None:
    flets, ours = _encoded_both_ways(make())
    assert ours == flets


@pytest.mark.parametrize("cls", _control_classes(), ids=lambda c: c.__qualname__)
def test_every_control_class_is_sent_and_kept_as_flets_encoder_does(cls: type) -> None:
    # Not configured: validation would refuse the many that need children, and the encoder
    # reads only what the control holds.
    control = cls(**_required(cls))
    flets, ours = _encoded_both_ways(control)
    assert ours == flets
    # Each prop set on its own, to values its defaults (and its root's) may or may not be.
    required = _required(cls)
    for name in inspect.signature(cls).parameters:
        if name in required:
            continue
        for value in ("set", 0, 1.5, False, True, None, [], {}, [ft.Text("in a list")]):
            try:
                control = cls(**required, **{name: value})
            except (ValueError, TypeError, RuntimeError, AttributeError):
                continue  # refused by the control itself
            flets, ours = _encoded_both_ways(control)
            assert ours == flets, (name, value)
