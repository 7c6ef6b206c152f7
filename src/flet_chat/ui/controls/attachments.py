"""A message's files in its row: an image's thumbnail (a click opens it full size) and a chip
for any other file (its name and size; a click downloads it).

Rows are shared by every session of the process (ui/row_cache.py), so nothing here names a
viewer: the thumbnail's link is a row link (core/attachments.py: thumbnails only, for whoever
sees the row), and the clicks are RoutedControls (ui/routing.py) that the clicking session
answers with a link of its viewer's own (ui/session/attachments.py).
"""

from __future__ import annotations

from collections.abc import Callable

import flet as ft

from flet_chat.core.attachments import size_text
from flet_chat.core.models import Attachment, Message
from flet_chat.ui.controls.spoken import silent_text
from flet_chat.ui.routing import ROUTED, RoutedControl

# The routed actions (RoutedEvent.action); the value is the attachment's id.
OPEN_IMAGE = "open_image"
DOWNLOAD_FILE = "download_file"
# The thumbnail's box in the row (fitted in, proportions kept); full size on a click.
THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT = 240, 180
ThumbnailLink = Callable[[Attachment], str | None]


def file_label(attachment: Attachment) -> str:
    """ "Download notes.txt, 12 KB" (a chip's accessible name)."""
    return f"Download {attachment.name}, {size_text(attachment.size)}"


def image_label(attachment: Attachment) -> str:
    return f"Image {attachment.name}, open full size"


class ImageThumbnail(RoutedControl, ft.Container):
    def __init__(self, attachment: Attachment, src: str) -> None:
        super().__init__(
            content=ft.Image(
                src=src,
                width=THUMBNAIL_WIDTH,
                height=THUMBNAIL_HEIGHT,
                fit=ft.BoxFit.CONTAIN,
                semantics_label=image_label(attachment),
            ),
            key=f"attachment-{attachment.id}",
            tooltip=attachment.name,
            on_click=ROUTED,
            border_radius=8,
        )
        self.route = (OPEN_IMAGE, attachment.id)


class FileChip(RoutedControl, ft.Container):
    def __init__(self, attachment: Attachment) -> None:
        super().__init__(
            content=ft.Row(
                tight=True,
                spacing=6,
                controls=[
                    ft.Icon(ft.Icons.INSERT_DRIVE_FILE_OUTLINED, size=16),
                    silent_text(attachment.name, max_lines=1, overflow=ft.TextOverflow.ELLIPSIS),
                    silent_text(size_text(attachment.size), size=11),
                    ft.Icon(ft.Icons.DOWNLOAD, size=16),
                ],
            ),
            key=f"attachment-{attachment.id}",
            tooltip=f"Download {attachment.name}",
            on_click=ROUTED,
            border_radius=12,
            padding=ft.Padding.symmetric(horizontal=10, vertical=4),
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        )
        self.route = (DOWNLOAD_FILE, attachment.id)


def attachment_strip(message: Message, thumbnail_link: ThumbnailLink | None) -> ft.Row:
    """The message's files in a wrapping row, each a button of its own for screen readers."""
    controls: list[ft.Control] = []
    for attachment in message.attachments:
        src = thumbnail_link(attachment) if thumbnail_link is not None else None
        if src is not None:
            control: ft.Control = ImageThumbnail(attachment, src)
            label = image_label(attachment)
        else:
            control, label = FileChip(attachment), file_label(attachment)
        controls.append(ft.Semantics(container=True, button=True, label=label, content=control))
    return ft.Row(wrap=True, spacing=6, run_spacing=6, controls=controls)
