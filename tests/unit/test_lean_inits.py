"""lean_inits gives Flet's control classes an `__init__` that skips the assignments
`Prop.__set__` would ignore. A control made by it must be the control the generated one makes,
for every control class and every parameter: same fields, same non-default values, fresh
objects where Flet makes fresh ones, same errors; and for a subclass, the same again or the
original `__init__`.

The install is process-wide, as in the app (tests that call `build_main` install it too)."""

from __future__ import annotations

import dataclasses
import datetime
import enum
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


def _is_lean(cls: type) -> bool:
    return hasattr(vars(cls).get("__init__"), "__lean_original__")


def _control_classes() -> list[type]:
    found: dict[str, type] = {}
    stack: list[type] = [ft.BaseControl]
    while stack:
        cls = stack.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        stack.extend(cls.__subclasses__())
    return [found[name] for name in sorted(found)]


LEAN = [cls for cls in _control_classes() if _is_lean(cls)]
_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset, enum.Enum)


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
    """Two controls made with `init`: what the first holds, and which of its mutable values
    the second shares (a default factory's fresh list must stay fresh); or the error."""
    made = []
    for _ in range(2):
        control = cls.__new__(cls)
        try:
            init(control, *args, **kwargs)
        except Exception as error:  # the same error is the expected behaviour too
            return (type(error), str(error).replace(str(getattr(control, "_i", "")), ""))
        made.append(control)
    first, second = (vars(c) for c in made)
    shared = sorted(
        k
        for k, v in first.items()
        if not isinstance(v, _IMMUTABLE) and second.get(k) is v and not inspect.ismethod(v)
    )
    return _state(made[0]), shared


def _original(cls: type) -> Any:
    return vars(cls)["__init__"].__lean_original__


def _required(cls: type) -> dict[str, Any]:
    """Values for the parameters without a default (a few of Flet's classes have them)."""
    parameters = list(inspect.signature(_original(cls)).parameters.values())[1:]
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

    assert _is_lean(Later)
    later = Later("hi", extra=3)
    assert later._values == {"value": "hi", "extra": 3}
    assert later.size is None


@pytest.mark.parametrize("cls", LEAN, ids=lambda c: c.__qualname__)
def test_a_lean_control_is_the_control_flet_makes(cls: type) -> None:
    original, lean = _original(cls), cls.__init__
    # Parameters, kinds, defaults and annotations as they were (not through __wrapped__).
    assert inspect.signature(lean, follow_wrapped=False) == inspect.signature(original)
    required = _required(cls)
    assert _make(cls, lean, (), required) == _make(cls, original, (), required)
    parameters = list(inspect.signature(original).parameters.values())[1:]
    for p in parameters:
        if p.name in required:
            continue
        # A value of its own, the default passed explicitly (the skipped assignment), others.
        for value in (f"{p.name}-set", p.default, 0, None, [], False):
            kwargs = {**required, p.name: value}
            assert _make(cls, lean, (), kwargs) == _make(cls, original, (), kwargs), (p.name, value)
    # Every positional parameter given positionally.
    positional = tuple(
        required.get(p.name, f"{p.name}-at")
        for p in parameters
        if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    )
    keywords = {k: v for k, v in required.items() if k not in _names(parameters, positional)}
    assert _make(cls, lean, positional, keywords) == _make(cls, original, positional, keywords)


@pytest.mark.parametrize("cls", LEAN, ids=lambda c: c.__qualname__)
def test_a_subclass_without_its_own_init_is_made_as_flet_makes_it(cls: type) -> None:
    plain = type(f"Plain{cls.__name__}", (cls,), {})  # no fields, no __init__ of its own
    required = _required(cls)
    assert _make(plain, cls.__init__, (), required) == _make(plain, _original(cls), (), required)


def _names(parameters: list[inspect.Parameter], positional: tuple[Any, ...]) -> set[str]:
    return {p.name for p in parameters[: len(positional)]}


def test_positional_arguments_and_defaults_stay_as_they_were() -> None:
    text = ft.Text("hello", size=12)
    assert text.value == "hello"
    assert text.size == 12
    assert text._values == {
        "value": "hello",
        "size": 12,
    }
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
    # 40 hides Text's Prop for `size`: the original's `self.size = None` goes into the
    # instance's __dict__, so it reads None; a skipped assignment would have left 40.
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

    assert not _is_lean(Odd)
    assert Odd("x", _cls=2)._cls == 2


def test_a_field_named_type_does_not_hide_the_builtin_the_init_calls() -> None:
    @ft.control("Text")  # type: ignore[arg-type]
    class Typed(ft.Text):
        type: str | None = None

    assert _is_lean(Typed)
    assert Typed("hi").type is None
    assert Typed("hi", type="x")._values == {"value": "hi", "type": "x"}


def test_a_mixin_after_the_control_that_hides_a_descriptor_gets_the_original() -> None:
    class Wide(ft.LayoutControl):
        width = 300  # type: ignore[assignment]

    class WideText(ft.Text, Wide):  # MRO: WideText, Text, Wide, LayoutControl
        pass

    # The original assigns width=None past the hidden Prop, into the instance.
    assert WideText("hi").width is None


def test_a_class_with_its_own_setattr_sees_every_field_assigned() -> None:
    seen: list[str] = []

    class Audited(ft.Text):
        def __setattr__(self, name: str, value: Any) -> None:
            seen.append(name)
            super().__setattr__(name, value)

    Audited("hi")
    assert "size" in seen  # a default the lean __init__ would have skipped

    @ft.control("Text")  # type: ignore[arg-type]
    class AuditedControl(ft.Text):
        def __setattr__(self, name: str, value: Any) -> None:
            super().__setattr__(name, value)

    assert not _is_lean(AuditedControl)


def test_a_dataclass_mixin_whose_fields_come_first_keeps_flet_s_own_init() -> None:
    @dataclasses.dataclass
    class Tagged:
        tag: str = ""

    @ft.control("Text")  # type: ignore[arg-type]
    class TaggedText(ft.Text, Tagged):
        pass

    assert not _is_lean(TaggedText)
    with pytest.raises(AttributeError):  # Flet's own fails: `tag` is set before `_values`
        TaggedText(value="hi")


def test_an_init_called_on_an_object_of_another_class_does_what_flet_s_does() -> None:
    # Unusual, but the original serves it: the same Column comes out either way.
    assert _make(ft.Column, ft.Text.__init__, ("x",), {}) == _make(
        ft.Column, _original(ft.Text), ("x",), {}
    )
