"""docs/architecture.md walks one message from the composer to every screen, each hop a
`file:function`: every one of them must exist, so the walk cannot go stale unseen (it did:
the doc once named functions that were long gone)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "flet_chat"
DOC = ROOT / "docs" / "architecture.md"
REFERENCE = re.compile(r"`([a-z_/]+\.py):([A-Za-z_][\w.]*)`")


def walk_section() -> str:
    text = DOC.read_text()
    start = text.index("## One message, from the composer to every screen")
    return text[start : text.index("\n## ", start + 1)]


def defined_names(path: Path) -> set[str]:
    """Functions and classes, and methods as Class.method."""
    names: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef):
            names.add(node.name)
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    names.add(f"{node.name}.{item.name}")
    return names


def test_every_hop_of_the_walk_exists() -> None:
    references = REFERENCE.findall(walk_section())
    assert len(references) >= 14
    missing = [
        f"{file}:{name}"
        for file, name in references
        if not (PACKAGE / file).is_file() or name not in defined_names(PACKAGE / file)
    ]
    assert missing == []


def test_the_walk_has_at_most_fifteen_hops() -> None:
    hops = re.findall(r"^\d+\. ", walk_section(), flags=re.MULTILINE)
    assert 0 < len(hops) <= 15
