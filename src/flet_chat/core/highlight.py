"""Code blocks' highlighting: Pygments splits the code into pieces of a few kinds (keyword,
string, comment, number, name), which the UI colours. Only for languages named on the fence
and in LANGUAGES (common lexers, so no lexer with a costly pattern meets hostile input), and at
most MAX_PIECES coloured pieces per message (the caller's budget): each piece is a control in
every session's page."""

from __future__ import annotations

import functools

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import Comment, Keyword, Name, Number, String, _TokenType
from pygments.util import ClassNotFound

Highlighted = tuple[tuple[str, str], ...]  # (text, kind); kind "" is plain

KINDS: tuple[tuple[_TokenType, str], ...] = (
    (Comment, "comment"),
    (Keyword, "keyword"),
    (String, "string"),
    (Number, "number"),
    (Name.Function, "name"),
    (Name.Class, "name"),
    (Name.Builtin, "name"),
    (Name.Decorator, "name"),
    (Name.Tag, "keyword"),
    (Name.Attribute, "name"),
)
LANGUAGES = frozenset(
    (
        *("python", "py", "python3", "javascript", "js", "typescript", "ts", "json"),
        *("bash", "sh", "shell", "console", "sql", "html", "xml", "css", "yaml", "yml"),
        *("toml", "ini", "go", "rust", "rs", "java", "kotlin", "c", "cpp", "c++"),
        *("csharp", "cs", "ruby", "rb", "php", "diff", "dockerfile", "docker", "make"),
        *("makefile", "lua", "swift", "dart"),
    )
)
MAX_PIECES = 80


def highlight(code: str, language: str, budget: int = MAX_PIECES) -> Highlighted:
    """`code` in pieces; at most `budget` of them coloured."""
    lexer = _lexer(language.lower())
    if lexer is None or budget <= 0:
        return ((code, ""),)
    pieces: list[tuple[str, str]] = []
    coloured = 0
    for token, text in lexer.get_tokens(code):
        kind = _kind(token) if coloured < budget else ""
        if pieces and pieces[-1][1] == kind:
            pieces[-1] = (pieces[-1][0] + text, kind)
            continue
        pieces.append((text, kind))
        coloured += kind != ""
    if pieces and pieces[-1][0].endswith("\n") and not code.endswith("\n"):
        pieces[-1] = (pieces[-1][0][:-1], pieces[-1][1])  # Pygments adds a final newline
    return tuple(p for p in pieces if p[0])


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    if language not in LANGUAGES:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _kind(token: _TokenType) -> str:
    for parent, kind in KINDS:
        if token in parent:
            return kind
    return ""
