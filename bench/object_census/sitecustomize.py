"""Loaded by the server under `python -m bench.session_objects` (this folder first on its
PYTHONPATH), never otherwise: on SIGUSR2 the server writes a census of its Python objects.

The census: for every type, how many objects the collector tracks and their `sys.getsizeof`;
for every container held in an object's attribute (its `__dict__`, lists, dicts, sets, deques,
one level of dict values), the owner's type and the attribute. It collects first, with the
server's collector callbacks set aside and everything unfrozen (a crowd's server freezes what
survives: frozen objects are not in `gc.get_objects()`), then freezes again.
"""

from __future__ import annotations

import collections
import gc
import json
import os
import signal
import sys
from typing import Any

CONTAINERS = (dict, list, set, collections.deque, tuple)
OUT = os.environ.get("FLET_CHAT_CENSUS_FILE", "")


def _name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _attributes(value: Any) -> list[tuple[str, Any]]:
    try:
        namespace = object.__getattribute__(value, "__dict__")
    except Exception:
        namespace = None
    if isinstance(namespace, dict):
        return [("__dict__", namespace), *namespace.items()]
    found = []
    for slot in getattr(type(value), "__slots__", ()):
        try:
            found.append((slot, object.__getattribute__(value, slot)))
        except Exception:
            continue
    return found


def census(_signum: int, _frame: Any) -> None:
    callbacks = list(gc.callbacks)
    gc.callbacks.clear()
    gc.unfreeze()
    gc.collect()
    counts: collections.Counter[str] = collections.Counter()
    sizes: collections.Counter[str] = collections.Counter()
    held: collections.Counter[str] = collections.Counter()
    seen: set[int] = set()
    for value in gc.get_objects():
        name = _name(value)
        counts[name] += 1
        sizes[name] += sys.getsizeof(value)
        if isinstance(value, type):
            continue
        for attribute, inner in _attributes(value):
            if not isinstance(inner, CONTAINERS) or id(inner) in seen:
                continue
            seen.add(id(inner))
            held[f"{name}|{attribute}"] += sys.getsizeof(inner)
            if isinstance(inner, dict) and attribute != "__dict__":
                for item in inner.values():
                    if isinstance(item, CONTAINERS) and id(item) not in seen:
                        seen.add(id(item))
                        held[f"{name}|{attribute}[*]"] += sys.getsizeof(item)
    gc.callbacks.extend(callbacks)
    gc.freeze()
    with open(OUT + ".part", "w") as out:
        json.dump({"counts": counts, "sizes": sizes, "held": held}, out)
    os.replace(OUT + ".part", OUT)


if OUT:
    signal.signal(signal.SIGUSR2, census)
