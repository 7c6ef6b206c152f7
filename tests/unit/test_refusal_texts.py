"""Every user-facing refusal text is written once: a sentence typed out in two places drifts
apart (it did: "Join the chat first." was written three times). Checked over the source's string
literals, so a new copy fails here."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "flet_chat"


def sentences() -> Counter[str]:
    found: Counter[str] = Counter()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                # A sentence a person reads: a capital, some words, a full stop.
                if text[:1].isupper() and text.endswith(".") and " " in text and len(text) > 12:
                    found[text] += 1
    return found


def test_no_refusal_text_is_written_twice() -> None:
    counted = sentences()
    assert counted["The server is starting. Try again."] == 1  # the check sees the source
    assert {text: n for text, n in counted.items() if n > 1} == {}
