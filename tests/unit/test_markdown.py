"""Markdown in messages: the parsed form (core/markdown.py), its plain forms (the console's and
a screen reader's), what a row sends to the client (no HTML, no image, only safe links, their
targets on hover), and hostile input: deep nesting, thousands of marks, look-alike links."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import flet as ft
import msgpack
import pytest

from flet_chat.console import format_line
from flet_chat.core.highlight import MAX_PIECES, highlight
from flet_chat.core.limits import MAX_MESSAGE_LENGTH
from flet_chat.core.markdown import (
    BOLD,
    CODE,
    ITALIC,
    MAX_BLOCKS,
    MAX_DEPTH,
    MAX_SPANS,
    MENTION,
    STRIKE,
    CodeBlock,
    Document,
    ListBlock,
    Paragraph,
    Quote,
    Span,
    parse,
    plain,
)
from flet_chat.core.models import Message, MessageKind
from flet_chat.flet_compat import install_walk_once, pack_control
from flet_chat.testing.flet_client import FletClient
from flet_chat.ui.clock import FALLBACK, clock_from_cookie
from flet_chat.ui.controls.chat_message import message_row
from flet_chat.ui.controls.rich_text import MONO
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.timeline import MessageEntry

READER = FletClient("ws://unused")  # only its tree helpers: what a client would show


def row_of(text: str) -> tuple[ft.Control, dict[str, Any]]:
    message = Message(7, MessageKind.CHAT, "Alice", text, datetime(2026, 1, 1, 19, 33, tzinfo=UTC))
    row = message_row(message)
    install_walk_once()
    return row, dict(msgpack.unpackb(pack_control(row), strict_map_key=False))


def spans_of(tree: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for control in READER.walk(tree):
        found += control.get("spans") or []
    return found


def kinds_of(tree: dict[str, Any]) -> set[str]:
    return {c.get("_c", "") for c in READER.walk(tree)}


def paragraph(text: str) -> tuple[Span, ...]:
    document = parse(text)
    assert len(document.blocks) == 1
    block = document.blocks[0]
    assert isinstance(block, Paragraph)
    return block.spans


def test_inline_styles_become_spans() -> None:
    assert paragraph("**bold**, *it*, ~~gone~~ and `x = 1`") == (
        Span("bold", BOLD),
        Span(", "),
        Span("it", ITALIC),
        Span(", "),
        Span("gone", STRIKE),
        Span(" and "),
        Span("x = 1", CODE),
    )
    assert paragraph("***both***") == (Span("both", BOLD | ITALIC),)


def test_plain_text_and_mentions_stay_one_paragraph() -> None:
    assert parse("hello there").simple
    assert paragraph("hi @bob, and `@code`") == (
        Span("hi "),
        Span("@bob", MENTION),
        Span(", and "),
        Span("@code", CODE),
    )


@pytest.mark.parametrize("text", [">", "```", "-", "- \n- ", "`" * 4000, "1."])
def test_a_message_of_marks_alone_shows_the_marks(text: str) -> None:
    assert parse(text) == Document((Paragraph((Span(text),)),))


def test_a_single_newline_breaks_the_line_as_typed() -> None:
    assert plain("one\ntwo") == "one\ntwo"


def test_blocks_quotes_lists_and_code() -> None:
    document = parse("> said\n\n- a\n- b\n  1. c\n\n```python\ndef f(): pass\n```")
    quote, bullets, code = document.blocks
    assert quote == Quote((Paragraph((Span("said"),)),))
    assert isinstance(bullets, ListBlock)
    assert not bullets.ordered
    assert len(bullets.items) == 2
    assert bullets.items[1][1] == ListBlock(True, 1, ((Paragraph((Span("c"),)),),))
    assert isinstance(code, CodeBlock)
    assert code.code == "def f(): pass"
    assert ("def", "keyword") in code.tokens
    assert "".join(text for text, _ in code.tokens) == code.code


def test_the_console_form_and_the_spoken_form_have_no_marks() -> None:
    text = (
        "**bold** and `code`, [docs](https://example.com/a)\n\n> quoted\n\n- one\n- two\n\n"
        "```\nx = 1\n```"
    )
    assert plain(text) == (
        "bold and code, docs (https://example.com/a)\n> quoted\n- one\n- two\n    x = 1"
    )
    assert plain(text, speech=True) == (
        "bold and code, docs (https://example.com/a)\nquoted\none\ntwo\nx = 1"
    )
    assert plain("see https://example.com") == "see https://example.com"  # not said twice


def test_the_console_prints_the_plain_form() -> None:
    line = format_line(
        {
            "created_at": "2026-01-01T09:30:00+00:00",
            "user_name": "Ann",
            "text": "**ship it** ~~now~~ [notes](https://example.com)",
            "kind": "chat",
        },
        color=False,
    )
    assert line == "[09:30] Ann: ship it now notes (https://example.com)"


def test_a_row_is_named_by_the_plain_form() -> None:
    row, tree = row_of("**bold** and `code`")
    assert isinstance(row, ft.Semantics)
    assert row.label == "Alice, 19:33 UTC: bold and code"
    spans = spans_of(tree)
    assert [s["text"] for s in spans] == ["bold", " and ", "code"]
    assert spans[0]["style"]["weight"] == "bold"
    assert spans[2]["style"]["font_family"] == MONO


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](  javascript:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "[x](vbscript:msgbox)",
        "[x](file:///etc/passwd)",
        "[x](/relative)",
        "[x](ftp://example.com)",
        "<javascript:alert(1)>",
    ],
)
def test_only_http_https_and_mailto_become_links(text: str) -> None:
    _, tree = row_of(text)
    assert not [s for s in spans_of(tree) if s.get("url")]
    assert all(span.link is None for span in paragraph(text))
    assert "x" in plain(text) or "javascript" in plain(text)  # still shown, as text


def test_raw_html_is_shown_as_typed() -> None:
    text = "<script>alert(1)</script> <img src=x onerror=alert(1)> <b>b</b>"
    assert plain(text) == text
    _, tree = row_of(text)
    assert READER.texts(tree)[-1] == text


def test_an_image_is_never_fetched_only_linked() -> None:
    _, tree = row_of("![img](http://evil/x.png)")
    assert not kinds_of(tree) & {"Image", "Markdown", "Html", "WebView"}
    links = [s for s in spans_of(tree) if s.get("url")]
    assert [(s["text"], s["url"]["url"]) for s in links] == [("img", "http://evil/x.png")]


def test_links_open_in_a_new_tab_with_their_target_on_hover() -> None:
    _, tree = row_of("pay at [paypal.com](https://evil.example/login) or mail [us](mailto:a@b.co)")
    links = [s for s in spans_of(tree) if s.get("url")]
    assert [s["url"] for s in links] == [
        {"url": "https://evil.example/login", "target": "_blank"},
        {"url": "mailto:a@b.co", "target": "_blank"},
    ]
    tooltips = [c["tooltip"] for c in READER.walk(tree) if c.get("spans")]
    assert tooltips == ["paypal.com -> https://evil.example/login\nus -> mailto:a@b.co"]


def test_a_look_alike_host_shows_its_real_target() -> None:
    # A Cyrillic "a" in "paypal.com": the words look right, the target says xn--.
    url = "https://p\u0430ypal.com/login"
    (_, link, *_rest) = paragraph(f"see {url}")
    assert link.text == url
    assert link.link is not None
    assert link.link.startswith("https://xn--")
    _, tree = row_of(f"see {url}")
    assert "xn--" in next(c["tooltip"] for c in READER.walk(tree) if c.get("spans"))


def test_deep_nesting_is_bounded_and_loses_no_text() -> None:
    for text in (
        "> " * 40 + "deep words",
        "".join("  " * i + "- level\n" for i in range(40)) + "  " * 40 + "- deep words",
        "> - " * 30 + "deep words",
    ):
        document = parse(text)
        assert "deep words" in plain(text)
        assert _depth(document.blocks) <= MAX_DEPTH
    # Past markdown-it's limit the raw text shows; below it, nesting stops at MAX_DEPTH.
    eight = "".join("  " * i + f"- level{i}\n" for i in range(8))
    assert _depth(parse(eight).blocks) == MAX_DEPTH
    assert all(f"level{i}" in plain(eight) for i in range(8))
    assert _depth(parse("> " * 8 + "deep").blocks) == MAX_DEPTH


def _depth(blocks: tuple[Any, ...]) -> int:
    deepest = 0
    for block in blocks:
        if isinstance(block, Quote):
            deepest = max(deepest, 1 + _depth(block.blocks))
        elif isinstance(block, ListBlock):
            deepest = max([deepest, *(1 + _depth(item) for item in block.items)])
    return deepest


def test_long_lists_are_cut_to_a_bounded_number_of_controls() -> None:
    text = "- item\n" * (MAX_MESSAGE_LENGTH // 7)
    _, tree = row_of(text)
    assert len(list(READER.walk(tree))) < 4 * MAX_BLOCKS + 30
    assert plain(text).count("item") == MAX_MESSAGE_LENGTH // 7  # the rest as plain text


def test_many_links_or_styles_are_cut_to_a_bounded_number_of_spans() -> None:
    text = ("https://a.example " * 300)[:MAX_MESSAGE_LENGTH]
    spans = paragraph(text)
    assert len(spans) <= MAX_SPANS + 1
    assert plain(text).count("https://a.example") == text.count("https://a.example")


HOSTILE = {
    "stars": "*" * MAX_MESSAGE_LENGTH,
    "backticks": "`" * MAX_MESSAGE_LENGTH,
    "underscores": "_" * MAX_MESSAGE_LENGTH,
    "tildes": "~" * MAX_MESSAGE_LENGTH,
    "brackets": "[" * MAX_MESSAGE_LENGTH,
    "balanced brackets": "[" * 2000 + "]" * 2000,
    "images": "![" * 2000,
    "links": "[a](" * 1000,
    "alternating": "*a" * 2000,
    "code runs": "`a" * 2000,
    "mixed": "**_" * 1333,
    "quotes": "> " * 2000,
    "list marks": "- " * 2000,
    "angle": "<a" * 2000,
    "urls": "http://a.b " * 363,
    "highlighted code": "```python\n" + "x = [1, 'a', f(y)]  # c\n" * 170 + "```",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_is_parsed_fast_and_shown_whole(name: str) -> None:
    text = HOSTILE[name][:MAX_MESSAGE_LENGTH]
    started = time.perf_counter()
    document = parse.__wrapped__(text)  # not the cache
    elapsed = time.perf_counter() - started
    # About 30 ms each on a 2-core machine; a quadratic case would take seconds.
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s"
    assert isinstance(document, Document)
    _, tree = row_of(text)
    assert len(list(READER.walk(tree))) < MOST_CONTROLS


# A row's controls (and spans, each a control to Flet) are bounded, whatever the text.
MOST_CONTROLS = 4 * MAX_BLOCKS + 2 * (MAX_SPANS + 2 * MAX_PIECES) + 30


def test_many_code_blocks_share_one_highlighting_budget() -> None:
    text = "```python\nx = 'a'  # b\n```\n" * 120
    document = parse(text[:MAX_MESSAGE_LENGTH])
    coloured = sum(
        1
        for block in document.blocks
        if isinstance(block, CodeBlock)
        for _, kind in block.tokens
        if kind
    )
    assert 0 < coloured <= MAX_PIECES
    _, tree = row_of(text[:MAX_MESSAGE_LENGTH])
    assert len(list(READER.walk(tree))) < MOST_CONTROLS


def test_highlighting_is_for_known_languages_and_bounded() -> None:
    assert highlight("rm -rf /", "nonsense") == (("rm -rf /", ""),)
    code = "x = 1\n" * 600
    pieces = highlight(code, "python")
    assert "".join(text for text, _ in pieces) == code
    assert sum(1 for _, kind in pieces if kind) <= MAX_PIECES


def test_a_message_is_parsed_once_per_process_whatever_its_rows() -> None:
    """Rows are built once per process (ui/row_cache.py); every variant of a message's row
    (another clock, a continued row) and every session share one parse."""
    parse.cache_clear()
    rows = RowCache()
    text = "**once** per `revision`"
    message = Message(9, MessageKind.CHAT, "Alice", text, datetime(2026, 1, 1, tzinfo=UTC))
    new_york = clock_from_cookie("America/New_York|h12")
    first = rows.row(MessageEntry(message, FALLBACK))
    assert rows.row(MessageEntry(message, FALLBACK)) is first  # a second session: the same row
    rows.row(MessageEntry(message, new_york))
    rows.row(MessageEntry(message, new_york, continued=True))
    assert parse.cache_info().misses == 1
