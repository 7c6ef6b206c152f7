"""Comparing what two sessions were sent: decoded control trees with the controls' ids left out
(each session numbers its own controls)."""

from __future__ import annotations

from typing import Any


def without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "_i"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value
