"""lean_inits gives Flet's control classes an `__init__` that skips the assignments
`Prop.__set__` would ignore. A control made by it must be the control the generated one makes,
for every Flet control class and every parameter: same fields, same non-default values, same
errors."""

from __future__ import annotations

import datetime
import inspect
from typing import Any

import flet as ft
import pytest

from flet_chat.lean_inits import install_lean_inits, lean_init
from flet_chat.ui.views.message_list import MessageChunk

install_lean_inits()
for _name in ft.__all__:  # Flet imports lazily: make every class it has
    getattr(ft, _name)
# Those made since by `@control` are lean already; a few abstract bases are plain dataclasses.
install_lean_inits()


def _control_classes() -> list[type]:
    found: dict[str, type] = {}
    stack: list[type] = [ft.BaseControl]
    while stack:
        cls = stack.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        stack.extend(cls.__subclasses__())
    return [found[name] for name in sorted(found)]


LEAN = [cls for cls in _control_classes() if hasattr(vars(cls).get("__init__"), "__wrapped__")]


def _comparable(value: Any) -> Any:
    """A value two equal controls hold equally: a bound method by its function, an object
    without its own `==` (an asyncio.Event) and a time (a picker's now) by their types."""
    if inspect.ismethod(value):
        return ("method", value.__func__)
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_comparable(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):  # the pickers' "now"
        return ("now", type(value))
    if type(value).__eq__ is object.__eq__:
        return ("object", type(value))
    return value


def _state(control: Any) -> dict[str, Any]:
    """What a control holds, but its id (every control gets the next one)."""
    state = {k: _comparable(v) for k, v in vars(control).items() if k != "_i"}
    if "uid" in state.get("_internals", {}):  # the pickers' random id
        state["_internals"]["uid"] = "random"
    return state


def _make(cls: type, init: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    control = cls.__new__(cls)
    try:
        init(control, *args, **kwargs)
    except Exception as error:  # the same error is the expected behaviour too
        return (
            type(error),
            str(error).replace(str(control._i) if hasattr(control, "_i") else "", ""),
        )
    return _state(control)


def _required(cls: type) -> dict[str, Any]:
    """Values for the parameters without a default (a few of Flet's classes have them)."""
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return {p.name: f"{p.name}-value" for p in parameters if p.default is inspect.Parameter.empty}


def test_every_control_class_is_made_lean() -> None:
    generated = [
        cls
        for cls in _control_classes()
        if getattr(getattr(vars(cls).get("__init__"), "__code__", None), "co_qualname", "")
        == "__create_fn__.<locals>.__init__"
    ]
    assert generated == []  # every generated __init__ has been replaced
    assert len(LEAN) > 150  # Flet 1.0.5's controls, services and dialogs
    for cls in (ft.TextField, ft.Text, ft.IconButton, ft.Column, ft.Row, ft.AlertDialog):
        assert cls in LEAN


def test_a_control_class_defined_after_the_install_is_made_lean() -> None:
    @ft.control("Text")  # type: ignore[arg-type]
    class Later(ft.Text):
        extra: int | None = None

    assert hasattr(vars(Later)["__init__"], "__wrapped__")
    later = Later("hi", extra=3)
    assert later._values == {"value": "hi", "extra": 3}
    assert later.size is None


@pytest.mark.parametrize("cls", LEAN, ids=lambda c: c.__qualname__)
def test_a_lean_control_is_the_control_flet_makes(cls: type) -> None:
    original = cls.__init__.__wrapped__  # type: ignore[misc]
    lean = cls.__init__
    required = _required(cls)
    assert _make(cls, lean, (), required) == _make(cls, original, (), required)
    parameters = list(inspect.signature(original).parameters.values())[1:]
    for p in parameters:
        if p.name in required:
            continue
        # A value of its own, and the default passed explicitly (the skipped assignment).
        for value in (f"{p.name}-set", p.default, 0, None):
            kwargs = {**required, p.name: value}
            assert _make(cls, lean, (), kwargs) == _make(cls, original, (), kwargs), (p.name, value)


def test_positional_arguments_and_defaults_stay_as_they_were() -> None:
    text = ft.Text("hello", size=12)
    assert text.value == "hello"
    assert text.size == 12
    assert text._values == {
        "value": "hello",
        "size": 12,
    }
    assert inspect.signature(ft.Text.__init__) == inspect.signature(
        ft.Text.__init__.__wrapped__  # type: ignore[misc]
    )
    # A field left at its default reads the default, and is not stored.
    field = ft.TextField(label="Message")
    assert field._values == {"label": "Message"}
    assert field.value == ""
    assert not field.multiline
    # Construction is not a change: nothing is dirty after it, as with Flet's own.
    assert field._dirty == {}
    # Each control gets its own id, and its default factories a new object each.
    a, b = ft.Column(), ft.Column()
    assert a._i != b._i
    assert a.controls is not b.controls


def test_a_subclass_that_redefines_a_field_gets_the_original_init() -> None:
    class Loud(ft.Text):  # not a dataclass of its own: inherits Text's __init__
        size = 40  # type: ignore[assignment]

    loud = Loud("hi")
    # Text's lean __init__ would have skipped `size` (its default is None); the original
    # assigns it, and the class attribute shadows the descriptor, so it reads None.
    assert loud.value == "hi"
    assert loud.size is None


def test_a_subclass_that_only_adds_methods_is_made_lean_too() -> None:
    chunk = MessageChunk(controls=[ft.Text("a")])
    assert chunk._values == {}
    assert len(chunk.controls) == 1


def test_classes_not_made_by_dataclasses_are_left_alone() -> None:
    class Plain:
        def __init__(self) -> None: ...

    assert lean_init(Plain) is None


def test_a_field_named_like_the_lean_init_s_own_names_keeps_the_original() -> None:
    @ft.control("Text")  # type: ignore[arg-type]
    class Odd(ft.Text):
        _cls: int | None = None

    assert not hasattr(vars(Odd)["__init__"], "__wrapped__")
    assert Odd("x", _cls=2)._cls == 2
