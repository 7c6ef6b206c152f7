"""Loaded by the server only when this folder is on its PYTHONPATH (`python -m
bench.join_controls` puts it there): counts the controls Flet's diffs add, by type and by the
line of ours whose update sent them, and writes the counts to `$FLET_CHAT_BENCH_CONTROLS` on
SIGUSR2. Nothing here changes what the server sends."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import traceback
from collections import Counter
from types import FrameType
from typing import Any

from flet.controls import object_patch

_types: Counter[str] = Counter()
_senders: Counter[str] = Counter()
_from_diff = object_patch.ObjectPatch.from_diff.__func__  # type: ignore[attr-defined]


def _package_folder() -> str:
    """Where the flet_chat package's files are (found without importing it this early)."""
    spec = importlib.util.find_spec("flet_chat")
    origin = spec.origin if spec is not None else None
    return os.path.dirname(origin) + os.sep if origin else "\0"


_OURS = _package_folder()
_SHIMS = os.path.join(_OURS, "flet_compat.py")


def _sender() -> str:
    """The innermost line of ours (not its Flet shims) on the way to this diff."""
    for frame in reversed(traceback.extract_stack(limit=40)[:-2]):
        path = frame.filename
        if path.startswith(_OURS) and path != _SHIMS:
            where = path[len(_OURS) :].replace(os.sep, "/")
            return f"{where}:{frame.lineno} {frame.name}"
    return "(Flet's own)"


def _counting_from_diff(cls: Any, *args: Any, **kwargs: Any) -> Any:
    patch, added, removed = _from_diff(cls, *args, **kwargs)
    if added:
        sender = _sender()
        for control in added:
            _types[type(control).__name__] += 1
            _senders[sender] += 1
    return patch, added, removed


object_patch.ObjectPatch.from_diff = classmethod(_counting_from_diff)  # type: ignore[method-assign,assignment]


def _write(_signal: int, _frame: FrameType | None) -> None:
    path = os.environ["FLET_CHAT_BENCH_CONTROLS"]
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        json.dump({"types": dict(_types), "senders": dict(_senders)}, out)
    os.replace(path + ".tmp", path)  # whole, for the reader polling for it


signal.signal(signal.SIGUSR2, _write)
