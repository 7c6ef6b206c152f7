"""The layering of docs/architecture.md, checked on every run: the core is plain Python, and the
UI reaches storage only through the core's ports. Read from the source's import statements (also
those inside functions), so nothing is imported to check it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "flet_chat"
FRAMEWORKS = (
    "flet",
    "flet_web",
    "sqlalchemy",
    "redis",
    "socketio",
    "engineio",
    "fastapi",
    "starlette",
    "uvicorn",
)


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


def imports_of(layer: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE)): imported_modules(path)
        for path in sorted((PACKAGE / layer).rglob("*.py"))
    }


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_layers_exist() -> None:
    # A renamed folder must not make the checks below pass by finding nothing.
    for layer in ("core", "ui", "storage", "bus", "api"):
        assert imports_of(layer), layer


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_core_imports_no_framework(framework: str) -> None:
    offenders = {
        file: sorted(m for m in modules if under(m, framework))
        for file, modules in imports_of("core").items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_ui_does_not_reach_into_storage() -> None:
    offenders = {
        file: sorted(m for m in modules if under(m, "flet_chat.storage") or under(m, "sqlalchemy"))
        for file, modules in imports_of("ui").items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    import sqlalchemy.orm\n    from flet import Page\n")
    assert imported_modules(bad) == {"sqlalchemy.orm", "flet"}


def test_the_composition_root_and_live_state_know_nothing_of_the_ui() -> None:
    checked = {"bootstrap.py": imported_modules(PACKAGE / "bootstrap.py"), **imports_of("live")}
    offenders = {
        file: sorted(m for m in modules if under(m, "flet_chat.ui") or under(m, "flet"))
        for file, modules in checked.items()
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_session_parts_import_one_way() -> None:
    """controller -> navigation -> conversation; identity, account, composer, profile, search,
    emoji_input, attachments, external_sign_in, room_standing, room_admin and admin know no
    other part; every part may use
    `screen` (the page as the parts see it); `drafts` and `tab_title` are leaves that the parts
    keeping them share."""
    allowed = {
        "controller": {
            "navigation",
            "conversation",
            "identity",
            "account",
            "composer",
            "emoji_input",
            "profile",
            "search",
            "attachments",
            "external_sign_in",
            "screen",
            "drafts",
            "tab_title",
            "room_standing",
            "room_admin",
            "admin",
        },
        "room_standing": {"screen"},
        "room_admin": {"screen"},
        "admin": {"screen"},
        "account": {"screen"},
        "attachments": {"screen"},
        "external_sign_in": set(),
        "navigation": {"conversation", "screen", "drafts", "tab_title"},
        "conversation": {"screen"},
        "identity": {"screen"},
        "composer": {"screen", "drafts"},
        "emoji_input": {"screen"},
        "profile": {"screen"},
        "search": {"screen"},
        "screen": set(),
        "drafts": set(),
        "tab_title": set(),
    }
    for part, may_import in allowed.items():
        imported = imported_modules(PACKAGE / "ui" / "session" / f"{part}.py")
        parts = {m.rsplit(".", 1)[1] for m in imported if m.startswith("flet_chat.ui.session.")}
        assert parts <= may_import, (part, parts - may_import)
