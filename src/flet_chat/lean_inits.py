"""Flet controls made without storing each of their defaults one by one.

A Flet 1.0.5 control is a dataclass whose public fields are `Prop` descriptors: its generated
`__init__` assigns every field (137 for a TextField), and each assignment is a call into
`Prop.__set__`, which stores nothing when the value is the field's default. A control whose
caller gives three arguments still pays for 137 calls, and a session's page, dialogs and menus
make dozens of controls (py-spy of joins: the controls' `__init__` and `Prop.__set__` together
about an eighth of a join's CPU; bench/changes.md).

`install_lean_inits()` gives each control class an `__init__` with the same parameters and
defaults that skips an assignment only where `Prop.__set__` would do nothing: the argument is
the field's own default object and the descriptor's default is that same object. Everything
else is the generated `__init__`'s, field by field in its order, then `__post_init__` with the
InitVars. A class keeps its own `__init__` where an assignment might do more than
`Prop.__set__` (its own `__setattr__`), or where its fields do not start with `_values` and
`_dirty` (a dataclass mixin's fields come first: Flet's own would fail there). A subclass
without an `__init__` of its own uses the lean one only if every field resolves to the same
descriptor in it; otherwise the original.

Written against CPython 3.11's dataclasses and Flet 1.0.5 (`_install_props`); the test
(tests/unit/test_lean_inits.py) makes every Flet control class both ways and compares them.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Iterator
from typing import Any

from flet.controls import base_control
from flet.controls.base_control import BaseControl
from flet.controls.value_types import Prop

_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]
_FIELD_INITVAR = dataclasses._FIELD_INITVAR  # type: ignore[attr-defined]
_HAS_DEFAULT_FACTORY = dataclasses._HAS_DEFAULT_FACTORY  # type: ignore[attr-defined]
_GENERATED = "__create_fn__.<locals>.__init__"  # what dataclasses names the __init__ it makes

_PLAIN_KINDS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)

_installed = False


_MISSING = object()


def _plain_setattr(cls: Any) -> bool:
    """Whether assigning to a field of `cls` goes straight to the descriptor."""
    return bool(cls.__setattr__ is object.__setattr__)


def _raw_descriptor(cls: type, name: str) -> Any:
    """What `cls.name` resolves to, without calling a descriptor's `__get__`."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return _MISSING


def _skippable(cls: type, field: dataclasses.Field[Any]) -> bool:
    """Whether assigning this field its own default object is a no-op for `Prop.__set__`."""
    if field.default is dataclasses.MISSING or field.default_factory is not dataclasses.MISSING:
        return False
    prop = _raw_descriptor(cls, field.name)
    if not isinstance(prop, Prop) or prop.default is not field.default:
        return False
    try:
        return bool(field.default == field.default)  # not a NaN, whose `==` says False
    except Exception:
        return False


def lean_init(cls: type) -> Callable[..., None] | None:
    """The lean `__init__` for a dataclass control class, or None to keep its own."""
    original: Any = vars(cls).get("__init__")
    params = getattr(cls, "__dataclass_params__", None)
    code = getattr(original, "__code__", None)
    if original is None or code is None or code.co_qualname != _GENERATED:
        return None
    if params is None or params.frozen or "__slots__" in vars(cls):
        return None
    fields: dict[str, dataclasses.Field[Any]] = cls.__dataclass_fields__  # type: ignore[attr-defined]
    if list(fields)[:2] != ["_values", "_dirty"] or not _plain_setattr(cls):
        return None  # Prop.__set__ needs those two first; an own __setattr__ sees every field
    parameters = list(inspect.signature(original).parameters.values())[1:]
    names = {p.name for p in parameters}
    env: dict[str, Any] = {
        "_original": original,
        "_cls": cls,
        "_type": type,
        "_fits": _fits,
        "_HAS_DEFAULT_FACTORY": _HAS_DEFAULT_FACTORY,
    }
    if (
        any(p.kind not in _PLAIN_KINDS for p in parameters)
        or names & {*env, "self"}
        or any(name.startswith(("_f_", "_d_")) for name in names)
    ):
        return None  # a parameter the source below would shadow or could not spell
    body: list[str] = []
    initvars: list[str] = []
    for name, field in fields.items():
        kind = field._field_type  # type: ignore[attr-defined]
        if kind is _FIELD_INITVAR:
            initvars.append(name)
            continue
        if kind is not _FIELD:
            continue
        if field.init and name not in names:
            return None  # not the signature dataclasses makes: leave it alone
        if field.default_factory is not dataclasses.MISSING:
            env[f"_f_{name}"] = field.default_factory
            if field.init:
                body.append(
                    f"self.{name} = _f_{name}() if {name} is _HAS_DEFAULT_FACTORY else {name}"
                )
            else:
                body.append(f"self.{name} = _f_{name}()")
        elif field.init:
            if _skippable(cls, field):
                env[f"_d_{name}"] = field.default
                body.append(f"if {name} is not _d_{name}: self.{name} = {name}")
            else:
                body.append(f"self.{name} = {name}")
        # init=False without a factory: dataclasses assigns nothing either (no slots here)
    if hasattr(cls, "__post_init__"):
        body.append(f"self.__post_init__({', '.join(initvars)})")
    signature = ", ".join(_parameter_text(parameters))
    call = ", ".join(_call_text(parameters))
    # A subclass without its own __init__ where a field resolves otherwise: the original.
    guard = [
        "if _type(self) is not _cls and not _fits(_type(self), _cls):",
        f"    return _original(self, {call})",
    ]
    source = f"def __init__(self{', ' if signature else ''}{signature}):\n" + "".join(
        f"    {line}\n" for line in [*guard, *body]
    )
    namespace: dict[str, Any] = {}
    exec(source, env, namespace)  # the source is made of the class's own field names
    init: Callable[..., None] = namespace["__init__"]
    init.__defaults__ = original.__defaults__
    init.__kwdefaults__ = original.__kwdefaults__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = original.__module__
    init.__doc__ = original.__doc__
    init.__annotations__ = original.__annotations__
    init.__lean_original__ = original  # type: ignore[attr-defined]
    return init


# Per (subclass, class): whether the class's lean __init__ serves the subclass. Classes are
# made at import, so this stays as small as the number of control classes.
_fitting: dict[tuple[type, type], bool] = {}


def _fits(subclass: type, cls: type) -> bool:
    """Whether `cls`'s lean __init__ serves `subclass` too: every field resolves to the same
    descriptor in both, and assignments are plain (a mixin such as ui/routing.py's adds
    methods only)."""
    key = (subclass, cls)
    fits = _fitting.get(key)
    if fits is None:
        fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
        fits = _fitting[key] = (
            cls in subclass.__mro__
            and _plain_setattr(subclass)
            and all(_raw_descriptor(subclass, n) is _raw_descriptor(cls, n) for n in fields)
        )
    return fits


def _parameter_text(parameters: list[inspect.Parameter]) -> Iterator[str]:
    keyword_only = False
    for p in parameters:
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not keyword_only:
            keyword_only = True
            yield "*"
        yield p.name


def _call_text(parameters: list[inspect.Parameter]) -> Iterator[str]:
    for p in parameters:
        yield f"{p.name}={p.name}"


def _control_classes() -> Iterator[type]:
    seen: set[type] = set()
    stack: list[type] = [BaseControl]
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        yield cls
        stack.extend(cls.__subclasses__())


def _make_lean(cls: type) -> bool:
    if hasattr(vars(cls).get("__init__"), "__lean_original__"):
        return False  # lean already
    init = lean_init(cls)
    if init is None:
        return False
    cls.__init__ = init  # type: ignore[misc]
    return True


def install_lean_inits() -> int:
    """Give every control class its lean `__init__`: those defined so far (returns how many)
    and, through Flet's `@control` decorator, those its lazy imports define later."""
    global _installed
    if not _installed:
        _installed = True
        decorate = base_control._apply_control

        def apply_control(*args: Any, **kwargs: Any) -> Any:
            cls = decorate(*args, **kwargs)
            _make_lean(cls)
            return cls

        base_control._apply_control = apply_control
    return sum(_make_lean(cls) for cls in _control_classes())
