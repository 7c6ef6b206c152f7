"""What screen readers are told, as the client receives it: each message row one node named
"author, time: text" with its visible texts silent, its buttons named for it; member and room
entries named once; dialogs named by their titles. The browser side (that Flutter makes these
one node each, named so) is tests/e2e/test_browser_accessibility.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import flet as ft
import msgpack

from flet_chat.core.accounts.models import Profile
from flet_chat.core.models import AuthorKind, Message, MessageKind, Reaction
from flet_chat.flet_compat import ShiftEnterTextField, install_walk_once, pack_control
from flet_chat.testing.flet_client import FletClient
from flet_chat.ui import keys
from flet_chat.ui.controls.chat_message import message_row
from flet_chat.ui.views.join_dialog import TITLE, JoinDialog
from flet_chat.ui.views.member_list import MemberRow
from flet_chat.ui.views.room_list import RoomEntry, entry_label
from tests.unit.session_fakes import nothing

READER = FletClient("ws://unused")  # only its tree helpers


def msg(text: str = "hello", **changes: Any) -> Message:
    base = Message(7, MessageKind.CHAT, "Ann", text, datetime(2026, 1, 1, 7, 33, tzinfo=UTC))
    return replace(base, **changes)


def shown(control: ft.Control) -> dict[str, Any]:
    install_walk_once()
    return dict(msgpack.unpackb(pack_control(control), strict_map_key=False))


def said(tree: dict[str, Any]) -> list[str]:
    """The semantics labels under `tree` that say something (an empty one silences a text)."""
    return [c["semantics_label"] for c in READER.walk(tree) if c.get("semantics_label", "") != ""]


def speaking_texts(tree: dict[str, Any]) -> list[str]:
    """Texts a screen reader would read on their own: no semantics label at all."""
    return [
        READER.texts(c)[0]
        for c in READER.walk(tree)
        if c.get("_c") == "Text" and "semantics_label" not in c and READER.texts(c)
    ]


def test_a_message_row_is_one_node_named_author_time_text() -> None:
    tree = shown(message_row(msg()))
    assert (tree["_c"], tree["container"], tree["key"]) == ("Semantics", True, "msg-7")
    assert tree["label"] == "Ann, 07:33 UTC: hello"
    assert speaking_texts(tree) == []  # the initials, name, time and text are not said twice
    # The actions button says whose message it is for.
    assert said(tree) == ["Actions for Ann's message at 07:33 UTC"]


def test_marks_badges_display_names_and_stubs_are_read_as_shown() -> None:
    edited = shown(message_row(msg("fixed", revision=2, edited=True)))
    assert edited["label"] == "Ann, 07:33 UTC: fixed (edited)"
    deleted = shown(message_row(msg("gone", revision=3, deleted=True)))
    assert deleted["label"] == "Ann, 07:33 UTC: message deleted"
    assert said(deleted) == []  # no actions on a deleted message
    bot = shown(message_row(msg("pong", user_name="Helper", author_kind=AuthorKind.BOT)))
    assert bot["label"] == "Helper (BOT), 07:33 UTC: pong"
    named = shown(message_row(msg(), Profile("Ann Lee", None, 0), 1))
    assert named["label"] == "Ann Lee (@Ann), 07:33 UTC: hello"
    assert said(named) == ["Actions for Ann Lee (@Ann)'s message at 07:33 UTC"]
    action = shown(message_row(msg("waves", kind=MessageKind.ACTION)))
    assert action["label"] == "Ann, 07:33 UTC: Ann waves"
    assert speaking_texts(action) == []


def test_a_notice_is_a_node_of_its_own_read_as_shown() -> None:
    notice = shown(message_row(msg("Ann has joined the chat.", kind=MessageKind.JOIN)))
    assert (notice["_c"], notice["container"], notice.get("label")) == ("Semantics", True, None)
    assert speaking_texts(notice) == ["Ann has joined the chat.  07:33 UTC"]


def test_a_reaction_chip_reads_emoji_count_and_who() -> None:
    tree = shown(message_row(msg(reactions=(Reaction("👍", ("Bob", "Cy")),))))
    # The node wraps the chip, so the chip's tap is in the node (not in the message's).
    node = next(
        c
        for c in READER.walk(tree)
        if c.get("_c") == "Semantics" and c["content"].get("key") == keys.reaction_chip(7, "👍")
    )
    assert (node["label"], node["button"], node["container"]) == (
        "👍 2, reacted by Bob, Cy",
        True,
        True,
    )
    assert speaking_texts(node) == []


def test_a_member_entry_is_named_once() -> None:
    # Before: the tooltip, the initials and the name ("Message Dave D Dave").
    assert said(shown(MemberRow("Dave"))) == ["Dave, online. Send a direct message"]
    assert speaking_texts(shown(MemberRow("Dave"))) == []
    ann = shown(MemberRow("Ann", Profile("Ann Lee", "on call", 0), guest=True))
    assert said(ann) == ["Ann Lee (@Ann), online, guest. on call. Send a direct message"]
    assert speaking_texts(ann) == []


def test_a_room_entry_reads_its_name_and_unread_count() -> None:
    assert entry_label(RoomEntry("general", "#general", 0, False), None) == "#general"
    assert entry_label(RoomEntry("dev", "#dev", 3, True), None) == "#dev, 3 unread, mentions you"
    assert entry_label(RoomEntry("dev", "#dev", 250, False), None) == "#dev, 99+ unread"
    direct = RoomEntry("bob", "@Bob", 1, False, person="Bob")
    assert entry_label(direct, "Bob Stone") == "Bob Stone (@Bob), 1 unread"


def test_the_join_dialog_is_named_by_its_title() -> None:
    # Without it Flutter names the dialog "Alert".
    assert JoinDialog(on_join=nothing).dialog.semantics_label == TITLE


def test_the_composer_asks_for_the_focus_with_a_property_flutter_reads() -> None:
    # Flet 1.0.5's focus() cannot reach a shift_enter field; while the field is not focused,
    # the browser's hidden textbox keeps a stale value (what a screen reader reads).
    field = ShiftEnterTextField(shift_enter=True, multiline=True)
    assert "focus" not in shown(field)
    field.ask_focus()
    first = shown(field)
    field.ask_focus()
    assert (first["_c"], first["focus"], shown(field)["focus"]) == ("TextField", "1", "2")
