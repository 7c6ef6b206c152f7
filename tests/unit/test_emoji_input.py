"""The composer's emoji: the shortcode lookup (core/emoji.py, from the `emoji` package's data),
`:smi` suggestions under the composer (Enter or a click puts the emoji in place), and the
picker dialog (search, a bounded grid, a click adds the emoji at the end), on fakes."""

from __future__ import annotations

import emoji as emoji_data
import pytest

from flet_chat.core.emoji import (
    NEWEST_EMOJI_VERSION,
    catalog,
    clean_emoji,
    complete_shortcode,
    search,
    shortcode_at_end,
)
from flet_chat.ui import keys
from flet_chat.ui.session.emoji_input import EmojiInput
from flet_chat.ui.views.emoji_picker import PICKER_SHOWN, SUGGESTIONS
from tests.unit.session_fakes import FakeScreen, Submit, make_view


class Typed:
    """A composer change event: the field's text."""

    def __init__(self, data: str) -> None:
        self.data = data


def emoji_of(found: tuple[object, ...]) -> list[str]:
    return [named.emoji for named in found]  # type: ignore[attr-defined]


def test_shortcodes_find_their_emoji_exact_names_first() -> None:
    assert emoji_of(search("smile", 1)) == ["😄"]
    assert emoji_of(search(":tada:", 1)) == ["🎉"]
    assert emoji_of(search("+1", 1)) == ["👍"]
    assert emoji_of(search("fire", 1)) == ["🔥"]
    assert "👍" in emoji_of(search("thumb", 3))
    assert emoji_of(search("SMILE", 1)) == ["😄"]  # any case
    assert search("no_such_emoji_name") == ()


def test_the_catalog_is_the_packages_data_without_skin_tones_or_too_new_emoji() -> None:
    names = catalog()
    assert len(names) > 1500  # the package's list, not a hand-made table
    assert all(emoji_data.EMOJI_DATA[n.emoji]["E"] <= NEWEST_EMOJI_VERSION for n in names)
    assert clean_emoji("😄") == "😄"  # reactions keep their own check
    assert not [n for n in names if any("skin_tone" in name for name in n.names)]
    assert emoji_of(names[:3]) == ["😀", "😁", "😂"]  # faces first


def test_completion_wants_a_word_that_starts_with_a_colon() -> None:
    assert shortcode_at_end("hello :smi") == "smi"
    assert shortcode_at_end(":Smi") == "smi"
    assert shortcode_at_end("hello :s") is None  # one letter is too little
    assert shortcode_at_end("a:smi") is None  # inside a word (a URL, a time)
    assert shortcode_at_end("at 12 :30") is None
    assert shortcode_at_end("done :smile: ") is None
    assert complete_shortcode("hello :smi", "😄") == "hello 😄"
    assert complete_shortcode("hello", "😄") == "hello"


async def test_typing_a_shortcode_suggests_and_enter_inserts_the_first() -> None:
    view, screen = make_view(), FakeScreen()
    emoji = EmojiInput(view=view, screen=screen)
    emoji.on_change(Typed("nice"))
    assert view.emoji_suggestions is None  # made when first needed
    assert screen.refreshed == []

    view.message_input.value = "nice :smi"
    emoji.on_change(Typed("nice :smi"))
    suggestions = view.emoji_suggestions
    assert suggestions is not None
    assert suggestions.row.visible
    assert screen.refreshed == [view.chat_column]  # the row went in under the composer
    assert view.chat_column.controls[-1] is suggestions.row
    shown = [c.key for c in suggestions.row.controls]
    assert shown[0] == keys.emoji_suggestion("smile")
    assert len(shown) <= SUGGESTIONS

    assert await emoji.accept(Submit("nice :smi")) is True
    assert view.message_input.value == "nice 😄"
    assert not suggestions.row.visible
    assert screen.focused == [view.message_input]
    # With nothing suggested, Enter sends as before.
    assert await emoji.accept(Submit("nice 😄")) is False


async def test_a_click_on_a_suggestion_inserts_it() -> None:
    view, screen = make_view(), FakeScreen()
    emoji = EmojiInput(view=view, screen=screen)
    view.message_input.value = "party :tad"
    emoji.on_change(Typed("party :tad"))
    assert view.emoji_suggestions is not None
    button = view.emoji_suggestions.row.controls[0]
    assert button.key == keys.emoji_suggestion("tada")
    await button.on_click(None)  # type: ignore[attr-defined,misc]
    assert view.message_input.value == "party 🎉"


async def test_no_suggestion_for_a_name_that_only_contains_what_was_typed() -> None:
    view, screen = make_view(), FakeScreen()
    emoji = EmojiInput(view=view, screen=screen)
    emoji.on_change(Typed("ok :qzx"))
    assert view.emoji_suggestions is None
    assert screen.refreshed == []  # nothing changed, nothing sent
    assert await emoji.accept(Submit("ok :qzx")) is False


async def test_the_picker_searches_a_bounded_grid_and_adds_at_the_end() -> None:
    view, screen = make_view(), FakeScreen()
    emoji = EmojiInput(view=view, screen=screen)
    view.message_input.value = "hello "
    await emoji.open_picker()
    picker = emoji.picker
    assert picker is not None
    assert screen.dialogs == [picker.dialog]
    assert 0 < len(picker.grid.controls) <= PICKER_SHOWN

    await picker.search.on_change(Typed("rocket"))  # type: ignore[misc]
    assert picker.grid.controls[0].key == keys.emoji_choice("rocket")
    assert picker.grid in screen.refreshed

    await picker.search.on_change(Typed("zzzz_nothing"))  # type: ignore[misc]
    assert picker.grid.controls == []
    assert picker.note.visible

    await picker.search.on_change(Typed("rocket"))  # type: ignore[misc]
    await picker.grid.controls[0].on_click(None)  # type: ignore[attr-defined]
    assert view.message_input.value == "hello 🚀"
    assert screen.closed == [picker.dialog]
    assert emoji.picker is None
    assert screen.focused == [view.message_input]


async def test_enter_in_the_picker_search_takes_the_first_emoji() -> None:
    view, screen = make_view(), FakeScreen()
    emoji = EmojiInput(view=view, screen=screen)
    await emoji.open_picker()
    picker = emoji.picker
    assert picker is not None
    await picker.search.on_submit(Typed("tada"))  # type: ignore[misc]
    assert view.message_input.value == "🎉"
    assert screen.closed == [picker.dialog]
    await emoji.open_picker()
    assert emoji.picker is not None
    await emoji.picker.search.on_submit(Typed("zzzz_nothing"))  # type: ignore[misc]
    assert view.message_input.value == "🎉"  # nothing found, nothing added, still open
    assert emoji.picker is not None


@pytest.mark.parametrize("query", ["", "a", "heart", "x" * 500])
def test_every_search_is_bounded(query: str) -> None:
    assert len(search(query[:40], PICKER_SHOWN)) <= PICKER_SHOWN


async def test_enter_completes_the_text_in_the_field_not_older_suggestions() -> None:
    """A room switch puts another draft in the field without a change event."""
    view, screen = make_view(), FakeScreen()
    emoji = EmojiInput(view=view, screen=screen)
    emoji.on_change(Typed("nice :smi"))
    view.message_input.value = "party :tad"  # the other room's draft
    assert await emoji.accept(Submit("party :tad")) is True
    assert view.message_input.value == "party 🎉"
    view.message_input.value = "no code here"
    assert await emoji.accept(Submit("no code here")) is False
