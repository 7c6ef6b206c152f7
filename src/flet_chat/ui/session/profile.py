"""One session's profile dialog: what it shows and what its buttons do, all through the
AccountService (which checks every limit, the rate limits and that the session is still
signed in; its refusals are shown where the user is looking).

A new picture goes from the browser straight to `PUT /avatars/upload` (Flet's client uploads the
picked file there); the URL carries a short-lived ticket for this account session. The route
re-encodes it (api/avatars.py); this side only learns, from the client, whether that worked.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any, Protocol
from urllib.parse import quote

import flet as ft

from flet_chat.core.accounts.models import Account, Authenticated, SessionInfo, SignedIn
from flet_chat.core.accounts.service import SIGNED_OUT
from flet_chat.core.avatar import AVATAR_UPLOAD_PATH
from flet_chat.core.errors import JOIN_FIRST, SOMETHING_WENT_WRONG, ChatError, ValidationError
from flet_chat.core.rate_limit import Origin
from flet_chat.media.avatars import AVATAR_MAX_BYTES, CHOOSE_AN_IMAGE
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.profile_dialog import SAVED, CopyAction, ProfileDialog, secret_dialog

logger = logging.getLogger(__name__)

UPLOADING = "Uploading..."
UPLOAD_FAILED = "Could not upload the picture. Try again."
AVATAR_SAVED = "Picture saved."
AVATAR_REMOVED = "Picture removed."
# How Flet's client reports an upload the server refused; the server's text follows.
_REFUSED = re.compile(r"^Upload endpoint returned code (\d{3}): ?(.*)$", re.DOTALL)
_MAX_SHOWN = 200  # characters of a refusal shown


class Accounts(Protocol):
    """What the dialog asks of AccountService."""

    async def account(self, user_name: str) -> Account | None: ...

    async def update_profile(
        self,
        auth: Authenticated,
        *,
        display_name: str | None,
        status: str | None,
        origin: Origin | None = ...,
    ) -> Account: ...

    async def set_avatar(
        self, auth: Authenticated, image: bytes | None, *, origin: Origin | None = ...
    ) -> Account: ...

    def upload_ticket(self, auth: Authenticated) -> str: ...

    async def create_access_token(
        self, auth: Authenticated, label: str, *, origin: Origin | None = ...
    ) -> SignedIn: ...

    async def access_tokens(self, auth: Authenticated) -> list[SessionInfo]: ...

    async def revoke_access_token(self, auth: Authenticated, session_id: int) -> bool: ...


class Picker(Protocol):
    """The page's file picker (ft.FilePicker)."""

    async def upload(self, files: list[ft.FilePickerUploadFile]) -> None: ...


Handler = Callable[[Any], Any]
PickerFactory = Callable[[Handler, Handler], ft.FilePicker]


def page_picker(on_result: Handler, on_upload: Handler) -> ft.FilePicker:
    # Made while a handler runs: it registers with that handler's page.
    return ft.FilePicker(on_result=on_result, on_upload=on_upload)


def upload_url(ticket: str) -> str:
    """Page-relative: Flet's client resolves it against the page, query included."""
    return f"{AVATAR_UPLOAD_PATH}?t={quote(ticket, safe='')}"


def refusal_text(error: str) -> str:
    """What to tell the user about a failed upload: the server's own words when it refused
    (they are written for the user), a plain apology when the upload never got an answer."""
    refused = _REFUSED.match(error)
    text = refused.group(2).strip() if refused else ""
    return text[:_MAX_SHOWN] if text else UPLOAD_FAILED


def field_of(error: ValidationError) -> str:
    """Which field a refused profile is about: the service checks the display name first and
    names the status in its refusals of one."""
    return "status" if "status" in str(error) else "display_name"


class ProfileSession:
    def __init__(
        self,
        *,
        accounts: Accounts,
        auth: Callable[[], Authenticated | None],
        origin: Origin | None,
        screen: Screen,
        make_picker: PickerFactory = page_picker,
        copy_action: CopyAction = ft.CopyToClipboard,
    ) -> None:
        """`auth` is the account session this browser is signed in with, if any."""
        self._accounts = accounts
        self._auth = auth
        self._origin = origin
        self._screen = screen
        self._make_picker = make_picker
        self._copy_action = copy_action
        self._picker: ft.FilePicker | None = None  # held: the page drops unreferenced services
        self.view: ProfileDialog | None = None
        self.is_open = False

    # -- opening and closing --------------------------------------------------------------------

    async def open(self, _event: object = None) -> None:
        """What the account menu's "Profile" calls: show the dialog, filled in."""
        auth = self._auth()
        if auth is None:
            self._screen.show_dialog(ft.SnackBar(ft.Text(JOIN_FIRST)))
            return
        try:
            account = await self._account(auth)
            tokens = [] if account.is_guest else await self._accounts.access_tokens(auth)
        except ChatError as error:
            self._screen.show_dialog(ft.SnackBar(ft.Text(str(error))))
            return
        except Exception:
            logger.exception("could not open the profile")
            self._screen.show_dialog(ft.SnackBar(ft.Text(SOMETHING_WENT_WRONG)))
            return
        view = self._new_dialog()
        view.show_person(account.user_name, account.profile)
        view.fill_fields(account.profile)
        view.allow_tokens(not account.is_guest)
        if not account.is_guest:
            view.show_tokens(tokens)
        self.is_open = True
        self._screen.show_dialog(view.dialog)

    async def close(self, _event: object = None) -> None:
        self.is_open = False
        self._screen.pop_dialog()

    def _new_dialog(self) -> ProfileDialog:
        """A dialog of its own for each opening: a closed one stays in the page's dialog list
        until the client says it went, and the page refuses to show one that is there."""
        if self._picker is None:
            self._picker = self._make_picker(self._picked, self._uploaded)
        self.view = ProfileDialog(
            picker=self._picker,
            on_remove_avatar=self.remove_avatar,
            on_save=self.save,
            on_create_token=self.create_token,
            on_revoke_token=self.revoke_token,
            on_close=self.close,
        )
        view = self.view

        async def dismissed(_event: object) -> None:
            if self.view is view:
                self.is_open = False

        view.dialog.on_dismiss = dismissed
        return view

    async def _account(self, auth: Authenticated) -> Account:
        account = await self._accounts.account(auth.account.user_name)
        if account is None:
            raise ChatError(SIGNED_OUT)
        return account

    def _refresh(self, controls: list[ft.Control]) -> None:
        if self.is_open:
            with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
                self._screen.refresh(*controls)

    # -- display name and status ----------------------------------------------------------------

    async def save(self, _event: object = None) -> None:
        view, auth = self.view, self._auth()
        if view is None or auth is None:
            return
        view.show_field_errors()
        try:
            account = await self._accounts.update_profile(
                auth,
                display_name=view.display_name.value or "",
                status=view.status.value or "",
                origin=self._origin,
            )
        except ValidationError as error:
            field = field_of(error)
            self._refresh(view.show_field_errors(**{field: str(error)}) + view.show_saved(None))
            return
        except ChatError as error:  # too fast, or signed out meanwhile
            self._refresh(view.show_field_errors() + view.show_saved(str(error), error=True))
            return
        except Exception:
            logger.exception("could not save a profile")
            self._refresh(
                view.show_field_errors() + view.show_saved(SOMETHING_WENT_WRONG, error=True)
            )
            return
        self._refresh(
            view.fill_fields(account.profile)  # as the server cleaned them
            + view.show_person(account.user_name, account.profile)
            + view.show_saved(SAVED)
        )

    # -- the picture ----------------------------------------------------------------------------

    async def _picked(self, event: Any) -> None:
        """The browser's file chooser closed: upload what was picked (nothing: cancelled)."""
        view, auth = self.view, self._auth()
        files = list(getattr(event, "files", None) or [])
        if view is None or not files:
            return
        picked = files[0]
        if auth is None:
            self._refresh(view.show_avatar_status(JOIN_FIRST, error=True))
            return
        # The client's word for the size saves a pointless upload; the server counts again.
        if not isinstance(picked.size, int) or picked.size > AVATAR_MAX_BYTES:
            self._refresh(view.show_avatar_status(CHOOSE_AN_IMAGE, error=True))
            return
        try:
            ticket = self._accounts.upload_ticket(auth)
        except ChatError as error:
            self._refresh(view.show_avatar_status(str(error), error=True))
            return
        self._refresh(view.show_avatar_status(UPLOADING))
        assert self._picker is not None
        await self._picker.upload(
            [ft.FilePickerUploadFile(upload_url=upload_url(ticket), id=picked.id)]
        )

    async def _uploaded(self, event: Any) -> None:
        """Progress of the upload, as the client reports it: the end, or why it failed."""
        view, auth = self.view, self._auth()
        if view is None or auth is None:
            return
        error = getattr(event, "error", None)
        if error:
            self._refresh(view.show_avatar_status(refusal_text(str(error)), error=True))
            return
        progress = getattr(event, "progress", None)
        if not isinstance(progress, int | float) or progress < 1.0:
            return  # under way (Flet reports 0% and each 10% of a large file)
        try:
            account = await self._account(auth)
        except Exception as failure:
            logger.warning("could not read the new picture back: %r", failure)
            return
        self._refresh(
            view.show_person(account.user_name, account.profile)
            + view.show_avatar_status(AVATAR_SAVED)
        )

    async def remove_avatar(self, _event: object = None) -> None:
        view, auth = self.view, self._auth()
        if view is None or auth is None:
            return
        try:
            account = await self._accounts.set_avatar(auth, None, origin=self._origin)
        except ChatError as error:
            self._refresh(view.show_avatar_status(str(error), error=True))
            return
        except Exception:
            logger.exception("could not remove a picture")
            self._refresh(view.show_avatar_status(SOMETHING_WENT_WRONG, error=True))
            return
        self._refresh(
            view.show_person(account.user_name, account.profile)
            + view.show_avatar_status(AVATAR_REMOVED)
        )

    # -- access tokens --------------------------------------------------------------------------

    async def create_token(self, _event: object = None) -> None:
        view, auth = self.view, self._auth()
        if view is None or auth is None:
            return
        try:
            created = await self._accounts.create_access_token(
                auth, view.token_label.value or "", origin=self._origin
            )
            tokens = await self._accounts.access_tokens(auth)
        except ChatError as error:
            self._refresh(view.show_token_error(str(error)))
            return
        except Exception:
            logger.exception("could not create an access token")
            self._refresh(view.show_token_error(SOMETHING_WENT_WRONG))
            return
        self._refresh(view.token_made() + view.show_tokens(tokens))
        if self.is_open:
            # Over the profile, once: only its hash is kept, and it is not kept here either.
            self._screen.show_dialog(
                secret_dialog(created.token, copy_action=self._copy_action, on_done=self._done)
            )

    async def _done(self, _event: object) -> None:
        self._screen.pop_dialog()  # the secret's dialog, the top one

    async def revoke_token(self, session_id: int) -> None:
        view, auth = self.view, self._auth()
        if view is None or auth is None:
            return
        try:
            await self._accounts.revoke_access_token(auth, session_id)
            tokens = await self._accounts.access_tokens(auth)
        except ChatError as error:
            self._refresh(view.show_token_error(str(error)))
            return
        except Exception:
            logger.exception("could not revoke an access token")
            self._refresh(view.show_token_error(SOMETHING_WENT_WRONG))
            return
        self._refresh(view.show_tokens(tokens) + view.show_token_error(None))

    # -- news from elsewhere --------------------------------------------------------------------

    async def profile_changed(self) -> None:
        """The user's profile changed (in another tab, say): the open dialog shows it."""
        view, auth = self.view, self._auth()
        if view is None or auth is None or not self.is_open:
            return
        try:
            account = await self._account(auth)
        except Exception:
            return
        self._refresh(view.show_person(account.user_name, account.profile))
