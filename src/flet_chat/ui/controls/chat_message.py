"""Rows of the message list: ChatMessage for what users, bots and integrations say (the latter two
with a badge, indented and coloured like the seed console's answers), ActionMessage for `/me`,
NoticeMessage for join, leave and topic notices (separators: controls/separator.py).

Times are written in the viewer's clock (ui/clock.py) by `time_text`, the row's one time value,
with the full date, time and zone as the time's tooltip. A row that continues its author's
group (ui/timeline.py) has no avatar or name: its text sits where the first row's text does,
its time and date on hover.

A row shows one revision of its message: an "(edited)" mark, a "message deleted" stub, reaction
chips and highlighted @mentions are the same for every viewer, so rows stay shared. The "more"
button and the chips are RoutedControls (ui/routing.py): the session of whoever clicked handles it.
A chat message's text is Markdown, drawn from its parsed form (ui/controls/rich_text.py) when
the row is built, so once per revision per process; `/me` and notices are plain text.

Screen readers: `message_row` wraps every row in a `SpokenRow`, a `ft.Semantics` container, so
each row is a node of its own (without it, Flutter merged a chunk of rows into one node named by
all their text). A person's row is named by `spoken` from the values it shows ("Alice, 7:33 PM:
hello"; a continued row names its author too), its texts are silent (an empty semantics label)
so nothing is said twice, and its buttons (actions, reaction chips) are nodes inside it with
names of their own. A notice's text names its node as shown.
"""

from __future__ import annotations

from datetime import UTC, datetime

import flet as ft

from flet_chat.core.accounts.models import Profile
from flet_chat.core.markdown import parse, plain_text
from flet_chat.core.mentions import mention_spans
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK, Clock, full_timestamp, time_text
from flet_chat.ui.controls.attachments import ThumbnailLink, attachment_strip
from flet_chat.ui.controls.avatar import avatar, display_name_of
from flet_chat.ui.controls.reactions import reaction_chips
from flet_chat.ui.controls.rich_text import rich_body
from flet_chat.ui.controls.shared_row import SharedRow
from flet_chat.ui.controls.spoken import (
    SILENT,
    SpokenRow,
    actions_label,
    author_spoken,
    silent_text,
    spoken,
)
from flet_chat.ui.routing import ROUTED, RoutedControl
from flet_chat.ui.theme import BOT_COLOR, NOTICE_COLOR

BADGES = {AuthorKind.BOT: "BOT", AuthorKind.INTEGRATION: "APP"}
# The seed console showed answers indented ("     >>>>> ") and in blue.
BOT_INDENT = 24
DELETED_TEXT = "message deleted"
REMOVED_TEXT = "removed by a moderator"


def deleted_text(message: Message) -> str:
    """What stands for a deleted message: its author deleted it, or a moderator removed it."""
    return REMOVED_TEXT if message.removed_by_moderator else DELETED_TEXT


EDITED_MARK = "(edited)"
MESSAGE_ACTIONS = "Message actions"
# The routed action of the "more" button (RoutedEvent.action); its value is the message id.
OPEN_ACTIONS = "message_menu"
_MENTION_STYLE = ft.TextStyle(weight=ft.FontWeight.BOLD, color=ft.Colors.PRIMARY)
NO_PROFILE = Profile()
# A CircleAvatar's default radius is 20; a continued row's text starts where its group's does.
AVATAR_GUTTER = 40
ROW_SPACING = 10  # ft.Row's default spacing, between the avatar and the text


def _time(message: Message, clock: Clock, *, size: float | None = 11) -> ft.Text:
    """The time as the row shows it; the full date, time and zone on hover."""
    return ft.Text(
        time_text(message.created_at, clock),
        size=size,
        color=NOTICE_COLOR,
        tooltip=full_timestamp(message.created_at, clock),
        semantics_label=SILENT,
    )


class ChatMessage(SharedRow, ft.Row):
    """Avatar with initials, bold name, time and the text, as in the tutorial. A person's row
    shows their profile as it was when the row was drawn: their picture, and their display name
    in bold with the @name beside it, never instead of it (a display name is anyone's to choose,
    the name is the account's). A continued row shows neither (see the module's docstring).

    `spoken`: its accessible name ("Alice, 7:33 PM: hello"), for continued rows too."""

    walk_once = True  # it never changes: Flet's diff need not re-walk it (see flet_compat)

    def __init__(
        self,
        message: Message,
        profile: Profile = NO_PROFILE,
        stamp: int = 0,
        *,
        clock: Clock = FALLBACK,
        continued: bool = False,
        thumbnails: ThumbnailLink | None = None,
    ) -> None:
        self.message = message
        self.time_text = time = time_text(message.created_at, clock)
        badge = BADGES.get(message.author_kind)
        author = author_spoken(
            message.user_name, display_name_of(message.user_name, profile), badge
        )
        # Markdown is read as what it says ("bold and code"), never its marks (core/markdown).
        said = (
            deleted_text(message)
            if message.deleted
            else _with_mark(message, markdown=True) + _files_said(message)
        )
        self.spoken = spoken(author, time, said)
        if continued:
            self._continued(message, clock, actions_label(author, time), thumbnails)
            return
        header, header_row = _header(message, profile, clock, silent=True)
        lines: list[ft.Control] = [header_row]
        if message.deleted:
            lines.append(_deleted_stub(message))
        else:
            if message.edited:
                header.append(_edited_mark())
            header.append(MoreButton(message.id, actions_label(author, time)))
            body = rich_body(parse(message.text), color=BOT_COLOR if badge is not None else None)
            if message.text or not message.attachments:  # files alone: no empty line above
                lines.append(
                    body
                    if badge is None
                    else ft.Container(body, padding=ft.Padding.only(left=BOT_INDENT))
                )
            if message.attachments:
                lines.append(attachment_strip(message, thumbnails))
            if message.reactions:
                lines.append(reaction_chips(message))
        super().__init__(
            vertical_alignment=ft.CrossAxisAlignment.START,
            key=keys.message_row(message.id, message.revision, stamp),
            controls=[
                avatar(message.user_name, profile, silent=True),
                ft.Column(tight=True, spacing=2, expand=True, controls=lines),
            ],
        )

    def _continued(
        self, message: Message, clock: Clock, actions: str, thumbnails: ThumbnailLink | None
    ) -> None:
        badge = message.author_kind in BADGES
        body: ft.Control
        files_alone = bool(message.attachments) and not message.text and not message.deleted
        if message.deleted:
            body = _deleted_stub(message)
        elif files_alone:  # in the text's place, beside the "more" button
            body = attachment_strip(message, thumbnails)
        else:
            body = rich_body(parse(message.text), color=BOT_COLOR if badge else None)
        line: list[ft.Control] = [
            ft.Container(
                body,
                expand=True,
                tooltip=full_timestamp(message.created_at, clock),
                padding=ft.Padding.only(left=BOT_INDENT) if badge else None,
            )
        ]
        if not message.deleted:
            if message.edited:
                line.append(_edited_mark())
            more = MoreButton(message.id, actions)
            more.visual_density = ft.VisualDensity.COMPACT  # keeps a group's lines close
            line.append(more)
        lines: list[ft.Control] = [
            ft.Row(line, spacing=8, vertical_alignment=ft.CrossAxisAlignment.CENTER)
        ]
        if message.attachments and not message.deleted and not files_alone:
            lines.append(attachment_strip(message, thumbnails))
        if message.reactions and not message.deleted:
            lines.append(reaction_chips(message))
        super().__init__(
            key=keys.message_row(message.id, message.revision, continued=True),
            controls=[
                ft.Container(width=AVATAR_GUTTER),
                ft.Column(tight=True, spacing=2, expand=True, controls=lines),
            ],
        )


def _header(
    message: Message, profile: Profile, clock: Clock, *, silent: bool
) -> tuple[list[ft.Control], ft.Row]:
    """The name (a display name with the @name beside it), a badge and the time; the list
    stays open for the row's marks and button. `silent`: the row's label says it all."""
    shown_name = display_name_of(message.user_name, profile)
    text = silent_text if silent else ft.Text
    header: list[ft.Control] = (
        [text(message.user_name, weight=ft.FontWeight.BOLD)]
        if shown_name is None
        else [
            text(shown_name, weight=ft.FontWeight.BOLD),
            text(f"@{message.user_name}", color=NOTICE_COLOR),
        ]
    )
    badge = BADGES.get(message.author_kind)
    if badge is not None:
        header.append(_badge(badge))
    header.append(_time(message, clock))
    # A long display name wraps the header instead of pushing the @name out of sight.
    return header, ft.Row(spacing=8, controls=header, wrap=shown_name is not None)


class GroupHead(SharedRow, ft.Row):
    """Avatar, name and time of a group whose first rows fell off the top of the list: shown
    above its first continued row still on screen, so the top row always has its author. (The
    chunk holding that row stays as it is: changing it would cost every session a diff.)"""

    walk_once = True

    def __init__(
        self, message: Message, profile: Profile = NO_PROFILE, stamp: int = 0, *, clock: Clock
    ) -> None:
        self.message = message
        self.time_text = time_text(message.created_at, clock)
        super().__init__(
            key=keys.group_head(message.id, stamp),
            controls=[
                avatar(message.user_name, profile, silent=True),
                _header(message, profile, clock, silent=False)[1],
            ],
        )


def message_text(
    text: str, *, color: str | None = None, italic: bool = False, prefix: str = "", suffix: str = ""
) -> ft.Text:
    """The text with @mentions bold in the primary colour (spans only when there is one);
    `prefix` and `suffix` are shown plain around it. Silent: its row's label says it."""
    spans = mention_spans(text)
    if not spans:
        return silent_text(prefix + text + suffix, color=color, italic=italic)
    parts: list[ft.TextSpan] = [ft.TextSpan(prefix)] if prefix else []
    at = 0
    for start, end in spans:
        if start > at:
            parts.append(ft.TextSpan(text[at:start]))
        parts.append(ft.TextSpan(text[start:end], style=_MENTION_STYLE))
        at = end
    if at < len(text) or suffix:
        parts.append(ft.TextSpan(text[at:] + suffix))
    return ft.Text(spans=parts, color=color, italic=italic, semantics_label=SILENT)


def _files_said(message: Message) -> str:
    """ "(2 files: beach.jpg, notes.txt)" after the text, for screen readers."""
    if not message.attachments:
        return ""
    names = ", ".join(a.name for a in message.attachments)
    count = len(message.attachments)
    said = f"({count} file{'s' if count > 1 else ''}: {names})"
    return f" {said}" if message.text else said


def _with_mark(message: Message, *, markdown: bool = False) -> str:
    text = plain_text(parse(message.text), speech=True) if markdown else message.text
    return f"{text} {EDITED_MARK}" if message.edited else text


class MoreButton(RoutedControl, ft.IconButton):
    """Opens the clicking session's action sheet for the message. `label` names it for screen
    readers (`actions_label`): buttons all named "Message actions" did not say whose."""

    def __init__(self, message_id: int, label: str) -> None:
        # The icon's semantics label is the button's accessible name (tooltips are hover hints:
        # ui/theme.py keeps them out of it).
        super().__init__(
            icon=ft.Icon(ft.Icons.MORE_HORIZ, size=16, semantics_label=label),
            tooltip=MESSAGE_ACTIONS,  # no key: the route says which message (bytes per row)
            on_click=ROUTED,
        )
        self.route = (OPEN_ACTIONS, str(message_id))


def _deleted_stub(message: Message) -> ft.Text:
    return silent_text(deleted_text(message), italic=True, color=NOTICE_COLOR)


def _edited_mark() -> ft.Text:
    return silent_text(EDITED_MARK, size=11, color=NOTICE_COLOR)


def _badge(label: str) -> ft.Control:
    return ft.Container(
        silent_text(label, size=10, weight=ft.FontWeight.BOLD, color=ft.Colors.ON_PRIMARY),
        bgcolor=BOT_COLOR,
        border_radius=4,
        padding=ft.Padding.symmetric(horizontal=4, vertical=1),
    )


class ActionMessage(SharedRow, ft.Row):
    """`/me waves` reads "* Alice waves", in italics, as in IRC; spoken "Alice, 7:33 PM: Alice
    waves"."""

    walk_once = True

    def __init__(self, message: Message, *, clock: Clock = FALLBACK) -> None:
        self.message = message
        self.time_text = time = time_text(message.created_at, clock)
        name = message.user_name
        said = deleted_text(message) if message.deleted else f"{name} {_with_mark(message)}"
        self.spoken = spoken(name, time, said)
        controls: list[ft.Control]
        if message.deleted:
            controls = [
                silent_text(f"* {message.user_name}  {time}", italic=True),
                _deleted_stub(message),
            ]
        else:
            prefix = f"* {message.user_name} "
            text = message_text(message.text, italic=True, prefix=prefix, suffix=f"  {time}")
            controls = [text]
            if message.edited:
                controls.append(_edited_mark())
            controls.append(MoreButton(message.id, actions_label(name, time)))
        controls[0].tooltip = full_timestamp(message.created_at, clock)
        row = ft.Row(spacing=4, wrap=True, controls=controls)
        below = reaction_chips(message) if message.reactions and not message.deleted else None
        super().__init__(
            key=keys.message_row(message.id, message.revision),
            controls=[row if below is None else ft.Column([row, below], tight=True, spacing=2)],
        )


class NoticeMessage(SharedRow, ft.Text):
    """Join, leave and topic notices: italic, small and muted, so they read apart from chat."""

    walk_once = True

    def __init__(self, message: Message, *, clock: Clock = FALLBACK) -> None:
        self.message = message
        self.time_text = time_text(message.created_at, clock)
        super().__init__(
            f"{notice_text(message)}  {self.time_text}",
            key=keys.message_row(message.id, message.revision),
            italic=True,
            size=12,
            color=NOTICE_COLOR,
            tooltip=full_timestamp(message.created_at, clock),
        )


def notice_text(message: Message) -> str:
    if message.kind is MessageKind.TOPIC:
        return f"{message.user_name} set the topic: {message.text}"
    return message.text


def message_row(
    message: Message,
    profile: Profile = NO_PROFILE,
    stamp: int = 0,
    *,
    clock: Clock = FALLBACK,
    continued: bool = False,
    thumbnails: ThumbnailLink | None = None,
) -> ft.Control:
    """The row of `message` in `clock`'s times; a person's chat message with their profile (and
    its stamp, part of the row's key: see keys.message_row), or continuing its author's group.
    A node of its own for screen readers."""
    if message.kind is MessageKind.CHAT:
        chat = ChatMessage(
            message, profile, stamp, clock=clock, continued=continued, thumbnails=thumbnails
        )
        return SpokenRow(chat, chat.spoken)
    if message.kind is MessageKind.ACTION:
        action = ActionMessage(message, clock=clock)
        return SpokenRow(action, action.spoken)
    return SpokenRow(NoticeMessage(message, clock=clock), None)


def sample_row() -> ft.Control:
    """A row like most: a person's message with Markdown and a link (see ui/app.build_main)."""
    sample = Message(
        0,
        MessageKind.CHAT,
        "sample",
        "**Hello** from https://example.com",
        datetime.now(UTC),
    )
    return message_row(sample)
