"""One session's attachments: sending files from the composer's attach button, and answering
clicks on the thumbnails and file chips of shared rows with links of this viewer's own.

Sending: the button opens the browser's file chooser (ft.PickFiles, inside the click); each
picked file goes from the browser straight to `PUT /api/uploads/files` (Flet's client uploads
it there), its URL carrying a short-lived ticket of this account session, the room on screen
and the file's name (api/files.py). The server checks everything again and posts the message,
which arrives here like any other. This side only learns, from the client, whether the upload
failed, and shows why under the composer.

Opening: a thumbnail opens the image full size in a dialog; a chip downloads the file (the
browser goes to the link, which answers `Content-Disposition: attachment`, so the page stays).
Links are made per click for this viewer (core/attachments.py, web links) after checking that
they may read the file: rows are shared, so they cannot hold them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import urlencode

import flet as ft

from flet_chat.core.accounts.models import Authenticated
from flet_chat.core.attachments import AttachmentLinks, NoSuchFileError, size_text
from flet_chat.core.errors import JOIN_FIRST, SOMETHING_WENT_WRONG, ChatError
from flet_chat.core.limits import MAX_ATTACHMENTS_PER_MESSAGE
from flet_chat.core.models import Attachment
from flet_chat.ui import keys
from flet_chat.ui.controls.attachments import DOWNLOAD_FILE, OPEN_IMAGE
from flet_chat.ui.routing import RoutedEvent
from flet_chat.ui.session.screen import Screen, show_under_field
from flet_chat.ui.views.chat_view import ChatView

logger = logging.getLogger(__name__)

UPLOAD_PATH = "/api/uploads/files"
ATTACH_FILES = "Attach files"
SENDING_FILES = "Sending {count}..."
TOO_MANY = f"Choose at most {MAX_ATTACHMENTS_PER_MESSAGE} files at a time."
UPLOAD_FAILED = "Could not send the file. Try again."
# How Flet's client reports an upload the server refused; the server's text follows (as the
# profile's picture upload reads it).
_REFUSED = re.compile(r"^Upload endpoint returned code (\d{3}): ?(.*)$", re.DOTALL)
_MAX_SHOWN = 200


def refusal_text(error: str) -> str:
    """The server's own words when it refused (written for the user), else an apology."""
    refused = _REFUSED.match(error)
    text = refused.group(2).strip() if refused else ""
    return text[:_MAX_SHOWN] if text else UPLOAD_FAILED


class Files(Protocol):
    """What this asks of AttachmentService."""

    max_bytes: int

    async def readable(self, reader: str | None, attachment_id: str) -> Attachment: ...

    def web_links(self, attachment: Attachment, viewer: str) -> AttachmentLinks: ...


class Tickets(Protocol):
    def upload_ticket(self, auth: Authenticated) -> str: ...


Handler = Callable[[Any], Any]
PickerFactory = Callable[[Handler, Handler], ft.FilePicker]
Launch = Callable[[str], Any]


def page_picker(on_result: Handler, on_upload: Handler) -> ft.FilePicker:
    return ft.FilePicker(on_result=on_result, on_upload=on_upload)


async def go_to(url: str) -> None:
    """The browser goes to `url` in this tab: a download leaves the page where it is."""
    await ft.UrlLauncher().launch_url(url, web_only_window_name="_self")


def upload_url(ticket: str, room: str, name: str) -> str:
    """Relative to the page (Flet's client resolves it there, with its query)."""
    return f"{UPLOAD_PATH}?{urlencode({'t': ticket, 'room': room, 'name': name})}"


class AttachmentsSession:
    def __init__(
        self,
        *,
        files: Files,
        tickets: Tickets,
        auth: Callable[[], Authenticated | None],
        me: Callable[[], str | None],
        room: Callable[[], str],
        view: ChatView,
        screen: Screen,
        make_picker: PickerFactory = page_picker,
        launch: Launch = go_to,
    ) -> None:
        self._files = files
        self._tickets = tickets
        self._auth = auth
        self._me = me
        self._room = room
        self._view = view
        self._screen = screen
        self._launch = launch
        # Held: the page drops services nobody references.
        self.picker = make_picker(self._picked, self._uploaded)
        view.attach_button.action = ft.PickFiles(
            self.picker,
            dialog_title=ATTACH_FILES,
            allow_multiple=True,
            cancel_upload_on_window_blur=False,
        )

    # -- sending --------------------------------------------------------------------------------

    async def _picked(self, event: Any) -> None:
        """The chooser closed: send what was picked (nothing: the user cancelled)."""
        files = list(getattr(event, "files", None) or [])
        if not files:
            return
        auth = self._auth()
        if auth is None or self._me() is None:
            return show_under_field(self._view, self._screen, JOIN_FIRST)
        if len(files) > MAX_ATTACHMENTS_PER_MESSAGE:
            return show_under_field(self._view, self._screen, TOO_MANY)
        # The client's word for the size saves a pointless upload; the server counts again.
        for picked in files:
            if not isinstance(picked.size, int) or picked.size > self._files.max_bytes:
                limit = size_text(self._files.max_bytes)
                return show_under_field(
                    self._view, self._screen, f"{picked.name} is over {limit}: it was not sent."
                )
        try:
            ticket = self._tickets.upload_ticket(auth)
        except ChatError as error:
            return show_under_field(self._view, self._screen, str(error))
        room = self._room()
        self._view.show_composer_status(SENDING_FILES.format(count=_files(len(files))))
        self._screen.refresh(self._view.message_input)
        await self.picker.upload(
            [
                ft.FilePickerUploadFile(upload_url=upload_url(ticket, room, f.name), id=f.id)
                for f in files
            ]
        )

    async def _uploaded(self, event: Any) -> None:
        """Progress of an upload as the client reports it: the end, or why it failed."""
        error = getattr(event, "error", None)
        if error:
            show_under_field(self._view, self._screen, refusal_text(str(error)))
            return
        progress = getattr(event, "progress", None)
        if isinstance(progress, int | float) and progress >= 1.0:
            self._view.show_composer_status(None)
            self._screen.refresh(self._view.message_input)

    # -- clicks on shared rows ------------------------------------------------------------------

    async def on_routed(self, event: RoutedEvent) -> None:
        if event.event_name != "click" or event.action not in (OPEN_IMAGE, DOWNLOAD_FILE):
            return
        me = self._me()
        if me is None:
            self._snack(JOIN_FIRST)
            return
        try:
            attachment = await self._files.readable(me, event.value)
        except NoSuchFileError as refusal:
            self._snack(str(refusal))
            return
        except Exception:
            logger.exception("could not look up an attachment")
            self._snack(SOMETHING_WENT_WRONG)
            return
        links = self._files.web_links(attachment, me)
        if event.action == OPEN_IMAGE and attachment.has_thumbnail:
            self._screen.show_dialog(self._full_size(attachment, links.url))
        else:
            await self._launch(links.url)

    def _full_size(self, attachment: Attachment, url: str) -> ft.AlertDialog:
        def close(_event: object) -> None:
            self._screen.pop_dialog()

        async def download(_event: object) -> None:
            await self._launch(url)

        return ft.AlertDialog(
            key=keys.IMAGE_DIALOG,
            title=ft.Text(attachment.name),
            semantics_label=attachment.name,
            content=ft.Image(src=url, fit=ft.BoxFit.CONTAIN, semantics_label=attachment.name),
            actions=[
                ft.TextButton(content="Download", on_click=download),
                ft.TextButton(content="Close", key=keys.IMAGE_DIALOG_CLOSE, on_click=close),
            ],
        )

    def _snack(self, text: str) -> None:
        self._screen.show_dialog(ft.SnackBar(ft.Text(text)))


def _files(count: int) -> str:
    return "1 file" if count == 1 else f"{count} files"
