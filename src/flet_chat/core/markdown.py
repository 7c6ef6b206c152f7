"""Markdown in messages, parsed once into a small, safe form that the UI draws
(ui/controls/rich_text.py) and the console prints (`plain_text`).

What a message may use: **bold**, *italics*, ~~strikethrough~~, `inline code`, fenced code
blocks (highlighted when they name a language), > quotes, - and 1. lists, [links](https://...)
and bare URLs. Nothing else: no raw HTML (shown as typed), no images (`![a](url)` is a link
to the picture, never fetched), no headings, rules, indented code or reference definitions
(in chat, "# 1" and four leading spaces are text). A link's target must be http, https or
mailto; any other becomes plain text with the target written after it. markdown-it puts an
IDN host into punycode, so a look-alike host shows as "xn--..." where the target is shown.

The work is bounded: the text is at most MAX_MESSAGE_LENGTH characters; a text full of
brackets (the link rule's costly case) is parsed without links; nesting deeper than
MAX_DEPTH is flattened into plain text, and a document parsed past markdown-it's nesting
limit (which drops the rest of the block) falls back to the raw text; past MAX_BLOCKS
blocks or MAX_SPANS spans the rest is plain (past MAX_PIECES coloured pieces, code too).
`parse` is cached by text.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from flet_chat.core.highlight import MAX_PIECES, Highlighted, highlight
from flet_chat.core.mentions import mention_spans

# Span styles, combined as bit flags.
BOLD, ITALIC, STRIKE, CODE, MENTION = 1, 2, 4, 8, 16
SAFE_SCHEMES = ("http://", "https://", "mailto:")
MAX_DEPTH = 4  # nested quotes and lists drawn as such; deeper ones are plain text
MAX_BLOCKS = 50  # blocks drawn (a paragraph, a code block, a list item's paragraph, ...)
MAX_SPANS = 120  # styled spans drawn in a message; the rest is plain text
# More "[" than this and links in brackets are not looked for: markdown-it's link rule costs
# up to ~80 ms on 4,000 of them (bare URLs are still links).
MAX_BRACKETS = 64
_NESTING = 20  # markdown-it's maxNesting: past it the rest of a block is dropped


@dataclass(frozen=True, slots=True)
class Span:
    text: str
    style: int = 0
    link: str | None = None  # an allowed http(s) or mailto target


@dataclass(frozen=True, slots=True)
class Paragraph:
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class CodeBlock:
    code: str
    language: str
    tokens: Highlighted  # (text, kind) pieces; one plain piece when not highlighted


@dataclass(frozen=True, slots=True)
class Quote:
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class ListBlock:
    ordered: bool
    start: int
    items: tuple[tuple[Block, ...], ...]


Block = Paragraph | CodeBlock | Quote | ListBlock


@dataclass(frozen=True, slots=True)
class Document:
    blocks: tuple[Block, ...]

    @property
    def simple(self) -> bool:
        """One paragraph: drawn as one line of text, like a message before Markdown."""
        return len(self.blocks) == 1 and isinstance(self.blocks[0], Paragraph)


def _parser(*, links: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": True})
    md.options["maxNesting"] = _NESTING
    md.enable(["strikethrough", "linkify"])
    off = ["code", "heading", "lheading", "html_block", "html_inline", "image", "hr", "reference"]
    md.disable([*off, *([] if links else ["link"])])
    md.validateLink = _safe_link  # type: ignore[method-assign]
    return md


def _safe_link(url: str) -> bool:
    # markdown-it's own check refuses javascript:, data: and the like; ours allows only these.
    # A refused link stays as the text that was typed.
    return url.strip().lower().startswith(SAFE_SCHEMES)


_WITH_LINKS = _parser(links=True)
_WITHOUT_LINKS = _parser(links=False)


@functools.lru_cache(maxsize=512)
def parse(text: str) -> Document:
    """The message's form to draw, the same in every session. Cached: every variant of a
    message's row (clocks, continued or not) asks for the same text, and soon after the first
    (a few KB each; tens of KB for a hostile 4,000 characters)."""
    md = _WITH_LINKS if text.count("[") <= MAX_BRACKETS else _WITHOUT_LINKS
    tokens = md.parse(text)
    if any(token.level >= _NESTING - 1 for token in tokens):
        return plain_document(text)  # markdown-it dropped what lay deeper: show it all
    document = Document(_bounded(_Blocks(tokens, _Budget()).read(depth=0)))
    if not plain_text(document, speech=True).strip():
        return plain_document(text)  # only marks (">", "```", "- "): show them, not nothing
    return document


def plain_document(text: str) -> Document:
    return Document((Paragraph(_with_mentions(text, 0)),))


class _Budget:
    def __init__(self) -> None:
        self.spans = MAX_SPANS
        self.pieces = MAX_PIECES  # coloured pieces of code, for all its code blocks


class _Blocks:
    """Reads markdown-it's flat token stream into nested blocks."""

    def __init__(self, tokens: Sequence[Token], budget: _Budget) -> None:
        self.tokens = tokens
        self.at = 0
        self.budget = budget

    def read(self, *, depth: int, until: str | None = None) -> tuple[Block, ...]:
        blocks: list[Block] = []
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            if until is not None and token.type == until:
                self.at += 1
                break
            block = self._block(token, depth)
            if block is not None:
                blocks.append(block)
        return tuple(blocks)

    def _block(self, token: Token, depth: int) -> Block | None:
        self.at += 1
        kind = token.type
        if kind == "paragraph_open":
            inline = self.tokens[self.at]
            self.at += 2  # the inline token and paragraph_close
            return Paragraph(_inline(inline.children or [], self.budget))
        if kind == "fence":
            code = token.content.removesuffix("\n")
            language = token.info.strip().split(" ")[0][:32]
            tokens = highlight(code, language, self.budget.pieces)
            self.budget.pieces -= sum(1 for _, kind in tokens if kind)
            return CodeBlock(code, language, tokens)
        if kind == "blockquote_open":
            inner = self.read(depth=depth + 1, until="blockquote_close")
            return Quote(_flatten(inner, depth + 1))
        if kind in ("bullet_list_open", "ordered_list_open"):
            close = kind.replace("_open", "_close")
            start = int(token.attrs.get("start", 1) or 1) if kind == "ordered_list_open" else 1
            items: list[tuple[Block, ...]] = []
            while self.at < len(self.tokens) and self.tokens[self.at].type != close:
                self.at += 1  # list_item_open
                item = self.read(depth=depth + 1, until="list_item_close")
                items.append(_flatten(item, depth + 1))
            self.at += 1
            return ListBlock(kind == "ordered_list_open", start, tuple(items))
        return None  # a closing token (markdown-it balances them) or one we do not draw


def _size(block: Block) -> int:
    if isinstance(block, Quote):
        return 1 + sum(map(_size, block.blocks))
    if isinstance(block, ListBlock):
        return 1 + sum(_size(b) for item in block.items for b in item)
    return 1


def _bounded(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """At most about MAX_BLOCKS blocks drawn; what is past them is one plain paragraph."""
    if sum(map(_size, blocks)) <= MAX_BLOCKS:
        return blocks
    kept: list[Block] = []
    left = MAX_BLOCKS
    rest: list[Block] = []
    for index, block in enumerate(blocks):
        size = _size(block)
        if size <= left:
            kept.append(block)
            left -= size
            continue
        if isinstance(block, ListBlock) and left > 1:
            items: list[tuple[Block, ...]] = []
            for item in block.items:
                item_size = sum(map(_size, item))
                if item_size >= left:
                    break
                items.append(item)
                left -= item_size
            kept.append(ListBlock(block.ordered, block.start, tuple(items)))
            tail = block.items[len(items) :]
            rest.append(ListBlock(block.ordered, block.start + len(items), tail))
        else:
            rest.append(block)
        rest.extend(blocks[index + 1 :])
        break
    kept.append(Paragraph((Span(plain_text(Document(tuple(rest)))),)))
    return tuple(kept)


def _flatten(blocks: tuple[Block, ...], depth: int) -> tuple[Block, ...]:
    """Blocks nested past MAX_DEPTH become plain paragraphs of what they say."""
    if depth < MAX_DEPTH:
        return blocks
    return tuple(
        b
        if isinstance(b, Paragraph | CodeBlock)
        else Paragraph((Span(plain_text(Document((b,)))),))
        for b in blocks
    )


def _inline(children: Sequence[Token], budget: _Budget) -> tuple[Span, ...]:
    spans: list[Span] = []
    style = 0
    link: str | None = None
    link_text: list[str] = []
    flags = {"strong": BOLD, "em": ITALIC, "s": STRIKE}

    def add(span: Span) -> None:
        if budget.spans <= 0 or (not span.style and span.link is None):
            text = span.text if span.link is None else _link_plain(span.text, span.link)
            if spans and not spans[-1].style and spans[-1].link is None:
                spans[-1] = Span(spans[-1].text + text)  # plain runs merge: fewer controls
                return
            spans.append(Span(text))
        else:
            spans.append(span)
        budget.spans -= 1

    for child in children:
        kind = child.type
        if kind.endswith("_open") and kind[:-5] in flags:
            style |= flags[kind[:-5]]
        elif kind.endswith("_close") and kind[:-6] in flags:
            style &= ~flags[kind[:-6]]
        elif kind == "link_open":
            link, link_text = str(child.attrs.get("href", "")), []
        elif kind == "link_close":
            if link is not None:
                add(Span("".join(link_text) or link, style, link))
            link = None
        elif kind in ("softbreak", "hardbreak"):
            if link is not None:
                link_text.append("\n")
            else:
                add(Span("\n", style))
        elif kind == "code_inline":
            if link is not None:
                link_text.append(child.content)
            else:
                add(Span(child.content, style | CODE))
        elif kind == "text" and child.content:
            if link is not None:
                link_text.append(child.content)
            else:
                for span in _with_mentions(child.content, style):
                    add(span)
    return tuple(spans)


def _with_mentions(text: str, style: int) -> tuple[Span, ...]:
    found = mention_spans(text)
    if not found:
        return (Span(text, style),)
    spans: list[Span] = []
    at = 0
    for start, end in found:
        if start > at:
            spans.append(Span(text[at:start], style))
        spans.append(Span(text[start:end], style | MENTION))
        at = end
    if at < len(text):
        spans.append(Span(text[at:], style))
    return tuple(spans)


def _link_plain(text: str, target: str) -> str:
    """A link as plain text: its words, then its target unless they already say it."""
    bare = target.removeprefix("mailto:")
    if text in (target, bare) or target.rstrip("/") in (f"http://{text}", f"https://{text}"):
        return text
    return f"{text} ({target})"


def plain_text(document: Document, *, speech: bool = False) -> str:
    """What a message says without markup: the console's form (quotes "> ", lists "- " and
    "1. ", code blocks indented, links "text (url)") or, with `speech`, a screen reader's
    (no quote marks, bullets or indentation)."""
    return "\n".join(_lines(document.blocks, speech=speech))


def _lines(blocks: Sequence[Block], *, speech: bool) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield from spans_text(block.spans).split("\n")
        elif isinstance(block, CodeBlock):
            for line in block.code.split("\n"):
                yield line if speech else f"    {line}"
        elif isinstance(block, Quote):
            for line in _lines(block.blocks, speech=speech):
                yield line if speech else f"> {line}"
        else:
            for number, item in enumerate(block.items, start=block.start):
                marker = f"{number}. " if block.ordered else ("" if speech else "- ")
                pad = "" if speech else " " * len(marker)
                for index, line in enumerate(_lines(item, speech=speech)):
                    yield (marker if index == 0 else pad) + line


def spans_text(spans: Sequence[Span]) -> str:
    return "".join(s.text if s.link is None else _link_plain(s.text, s.link) for s in spans)


def plain(text: str, *, speech: bool = False) -> str:
    """`plain_text` of a message's text."""
    return plain_text(parse(text), speech=speech)
