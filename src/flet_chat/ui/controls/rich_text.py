"""A message's Markdown (core/markdown.py's parsed form) as Flet controls: Text with spans for
paragraphs, a monospace box for code, a bar beside quotes, markers beside list items.

Why not `ft.Markdown`: it takes the raw text and the client parses it, so what is safe (no
HTML, no images fetched, links only http(s) and mailto) would rest on the client's renderer
and its settings, and its text is one semantics node we could not keep silent inside a row's
`SpokenRow`. Built from the parsed form, a row holds only what we allowed, looks the same on
every client, and the console's and screen readers' plain forms come from the same parse.

Links are spans with a `Url` (opened by the client in a new tab, no server round trip, so
shared rows need no handler). A span has no tooltip of its own, so a paragraph with links
shows its links' targets on hover ("paypal.com -> https://evil.example"): the target, not the
words, is what a click opens. Every text is silent: the row's label says it (spoken.py).
"""

from __future__ import annotations

import flet as ft

from flet_chat.core.markdown import (
    BOLD,
    CODE,
    ITALIC,
    MENTION,
    STRIKE,
    Block,
    CodeBlock,
    Document,
    ListBlock,
    Paragraph,
    Quote,
    Span,
)
from flet_chat.ui.controls.spoken import SILENT, silent_text

# A monospace face every Flet client already has: flet's client bundles flutter_math_fork,
# whose KaTeX_Typewriter is in its font manifest (a family we would name without it is not
# there on the web, which has no system fonts; the desktop falls back to "monospace").
MONO = "packages/flutter_math_fork/KaTeX_Typewriter"
MONO_FALLBACK = ["monospace"]
CODE_BACKGROUND = ft.Colors.SURFACE_CONTAINER_HIGHEST
QUOTE_BAR = ft.Colors.OUTLINE_VARIANT
LINK_COLOR = ft.Colors.PRIMARY
_CODE_COLORS = {
    "keyword": ft.TextStyle(color=ft.Colors.PRIMARY, weight=ft.FontWeight.BOLD),
    "string": ft.TextStyle(color=ft.Colors.TERTIARY),
    "comment": ft.TextStyle(color=ft.Colors.ON_SURFACE_VARIANT, italic=True),
    "number": ft.TextStyle(color=ft.Colors.SECONDARY),
    "name": ft.TextStyle(color=ft.Colors.PRIMARY),
}
ARROW = "->"  # ASCII: the bundled fonts draw no "→" in a tooltip (seen in Chromium)


def rich_body(document: Document, *, color: str | None = None, italic: bool = False) -> ft.Control:
    """The message's body: one Text for a paragraph (as before Markdown), else a column."""
    if document.simple:
        block = document.blocks[0]
        assert isinstance(block, Paragraph)
        return _paragraph(block, color=color, italic=italic)
    return _column(document.blocks, color=color, italic=italic)


def _column(blocks: tuple[Block, ...], *, color: str | None, italic: bool) -> ft.Column:
    return ft.Column(
        tight=True, spacing=4, controls=[_block(b, color=color, italic=italic) for b in blocks]
    )


def _block(block: Block, *, color: str | None, italic: bool) -> ft.Control:
    if isinstance(block, Paragraph):
        return _paragraph(block, color=color, italic=italic)
    if isinstance(block, CodeBlock):
        return _code(block)
    if isinstance(block, Quote):
        return ft.Container(
            _column(block.blocks, color=color, italic=italic),
            border=ft.Border.only(left=ft.BorderSide(3, QUOTE_BAR)),
            padding=ft.Padding.only(left=8),
        )
    return _list(block, color=color, italic=italic)


def _list(block: ListBlock, *, color: str | None, italic: bool) -> ft.Column:
    rows: list[ft.Control] = []
    for number, item in enumerate(block.items, start=block.start):
        marker = f"{number}." if block.ordered else "•"
        rows.append(
            ft.Row(
                spacing=6,
                vertical_alignment=ft.CrossAxisAlignment.START,
                controls=[
                    silent_text(marker, color=color),
                    ft.Column(
                        tight=True,
                        spacing=2,
                        expand=True,
                        controls=[_block(b, color=color, italic=italic) for b in item],
                    ),
                ],
            )
        )
    return ft.Column(tight=True, spacing=2, controls=rows)


def _paragraph(block: Paragraph, *, color: str | None, italic: bool) -> ft.Text:
    spans = block.spans
    links = link_targets(spans)
    tooltip = "\n".join(links) if links else None
    if len(spans) == 1 and not spans[0].style and spans[0].link is None:
        return silent_text(spans[0].text, color=color, italic=italic, tooltip=tooltip)
    return ft.Text(
        spans=[_span(s) for s in spans],
        color=color,
        italic=italic,
        tooltip=tooltip,
        semantics_label=SILENT,
    )


def link_targets(spans: tuple[Span, ...]) -> list[str]:
    """What a paragraph's hover says of its links: each target, after the words when they
    differ from it."""
    targets: list[str] = []
    for span in spans:
        if span.link is None:
            continue
        line = span.link if span.text == span.link else f"{span.text} {ARROW} {span.link}"
        if line not in targets:
            targets.append(line)
    return targets


def _span(span: Span) -> ft.TextSpan:
    style = span.style
    if not style and span.link is None:
        return ft.TextSpan(span.text)
    text_style = ft.TextStyle(
        weight=ft.FontWeight.BOLD if style & (BOLD | MENTION) else None,
        italic=bool(style & ITALIC),
        decoration=_decoration(span),
        color=LINK_COLOR if span.link is not None or style & MENTION else None,
        font_family=MONO if style & CODE else None,
        font_family_fallback=MONO_FALLBACK if style & CODE else None,
        bgcolor=CODE_BACKGROUND if style & CODE else None,
    )
    if span.link is None:
        return ft.TextSpan(span.text, style=text_style)
    return ft.TextSpan(
        span.text, style=text_style, url=ft.Url(span.link, target=ft.UrlTarget.BLANK)
    )


def _decoration(span: Span) -> ft.TextDecoration | None:
    if span.link is not None and span.style & STRIKE:
        return ft.TextDecoration.UNDERLINE | ft.TextDecoration.LINE_THROUGH
    if span.link is not None:
        return ft.TextDecoration.UNDERLINE
    if span.style & STRIKE:
        return ft.TextDecoration.LINE_THROUGH
    return None


def _code(block: CodeBlock) -> ft.Container:
    spans = [
        ft.TextSpan(text, style=_CODE_COLORS.get(kind)) if kind else ft.TextSpan(text)
        for text, kind in block.tokens
    ]
    text = ft.Text(
        spans=spans,
        font_family=MONO,
        font_family_fallback=MONO_FALLBACK,
        size=13,
        semantics_label=SILENT,
    )
    return ft.Container(
        text,
        bgcolor=CODE_BACKGROUND,
        border_radius=4,
        padding=ft.Padding.symmetric(horizontal=8, vertical=6),
    )
