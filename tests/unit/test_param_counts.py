"""Flet counts a handler's parameters at every event (to pass the event or not); flet_compat
keeps the count per function (install_param_count_cache). It must be Flet's count, and must
not keep a session's handlers alive."""

from __future__ import annotations

import functools
import gc
import weakref
from typing import Any

from flet.controls import base_control
from flet.utils.object_model import get_param_count

from flet_chat.flet_compat import install_param_count_cache, param_count


class Handlers:
    def none(self) -> None: ...

    def one(self, event: Any) -> None: ...

    async def later(self, event: Any) -> None: ...

    def spread(self, *args: Any) -> None: ...

    def __call__(self, event: Any) -> None: ...


class Unhashable:
    __hash__ = None  # type: ignore[assignment]

    def __call__(self) -> None: ...


class HashRaises:
    def __hash__(self) -> int:
        raise AttributeError("no hash here")

    def __call__(self, event: Any) -> None: ...


class AllEqual:
    """Every instance equal to every other, and hashed alike."""

    def __eq__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 1


class AllEqualWithoutEvent(AllEqual):
    def __call__(self) -> None: ...


class AllEqualWithEvent(AllEqual):
    def __call__(self, event: Any) -> None: ...


def two(a: Any, b: Any) -> None: ...


def test_the_counts_are_flets() -> None:
    handlers = Handlers()
    callables: list[Any] = [
        handlers.none,
        handlers.one,
        handlers.later,
        handlers.spread,
        Handlers.one,
        handlers,
        two,
        functools.partial(two, 1),
        lambda: None,
        lambda event: None,
        Unhashable(),
        HashRaises(),
        AllEqualWithoutEvent(),
        AllEqualWithEvent(),
        staticmethod(two),
        Handlers.__dict__["one"],
        print,
    ]
    for handler in callables:
        assert param_count(handler) == get_param_count(handler), handler
        assert param_count(handler) == get_param_count(handler), handler  # remembered


def test_a_method_counts_as_bound_and_unbound_apart() -> None:
    handlers = Handlers()
    assert param_count(Handlers.one) == 2
    assert param_count(handlers.one) == 1
    assert param_count(staticmethod(Handlers.one)) == 2  # has a __func__, yet is not bound


def test_flet_asks_it() -> None:
    install_param_count_cache()
    assert base_control.get_param_count is param_count  # type: ignore[attr-defined]


def test_a_sessions_handlers_are_not_kept_alive() -> None:
    def make() -> tuple[Any, Any]:
        def closure(event: Any) -> None: ...

        return closure, Handlers()

    closure, handlers = make()
    assert param_count(closure) == 1
    assert param_count(handlers.one) == 1
    gone = weakref.ref(closure), weakref.ref(handlers)
    del closure, handlers
    gc.collect()
    assert gone[0]() is None
    assert gone[1]() is None
