"""The profile dialog's logic (ui/session/profile.py) on the real AccountService over the
in-memory fakes: what the user sees after each click, and that every rule is the service's."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import flet as ft
import pytest

from flet_chat.core.accounts.models import Authenticated, SessionKind
from flet_chat.core.accounts.service import AccountService
from flet_chat.core.accounts.tickets import UploadTickets
from flet_chat.core.errors import JOIN_FIRST
from flet_chat.core.events import ProfileChanged
from flet_chat.core.limits import MAX_STATUS_LENGTH
from flet_chat.core.names import ReservedNames
from flet_chat.core.rate_limit import LocalRateLimiter, RateLimits
from flet_chat.media.avatars import AVATAR_MAX_BYTES, CHOOSE_AN_IMAGE
from flet_chat.ui.session.profile import (
    AVATAR_REMOVED,
    AVATAR_SAVED,
    UPLOAD_FAILED,
    UPLOADING,
    ProfileSession,
    refusal_text,
)
from flet_chat.ui.views.profile_dialog import MEMBERS_ONLY, NO_TOKENS, SHOWN_ONCE
from tests.unit.fakes import MemoryAccountStore, MemoryRoomStore, PlainHasher, RecordingBus
from tests.unit.session_fakes import FakeScreen

SECRET = "k" * 48


@dataclass
class Setup:
    accounts: AccountService
    bus: RecordingBus
    screen: FakeScreen
    dialog: ProfileSession
    uploads: list[list[ft.FilePickerUploadFile]] = field(default_factory=list)
    auth: Authenticated | None = None


def make(*, limits: RateLimits | None = None) -> Setup:
    bus = RecordingBus([])
    accounts = AccountService(
        MemoryAccountStore(MemoryRoomStore()),
        PlainHasher(),
        limits or RateLimits(LocalRateLimiter(), {}),  # no budgets unless a test is about them
        bus,
        ReservedNames(),
        upload_tickets=UploadTickets(SECRET),
    )
    screen = FakeScreen()
    setup: Setup

    def make_picker(on_result: Any, on_upload: Any) -> ft.FilePicker:
        picker = ft.FilePicker(on_result=on_result, on_upload=on_upload)

        async def upload(files: list[ft.FilePickerUploadFile]) -> None:
            setup.uploads.append(files)

        picker.upload = upload  # type: ignore[method-assign]  # the browser's part, recorded
        return picker

    dialog = ProfileSession(
        accounts=accounts,
        auth=lambda: setup.auth,
        origin=None,
        screen=screen,
        make_picker=make_picker,
        copy_action=lambda _secret: None,
    )
    setup = Setup(accounts, bus, screen, dialog)
    return setup


async def member(setup: Setup, name: str = "ann") -> Authenticated:
    signed = await setup.accounts.sign_up(name, "correct horse battery")
    setup.auth = Authenticated(signed.account, signed.session_id, SessionKind.BROWSER)
    return setup.auth


async def guest(setup: Setup, name: str = "gus") -> Authenticated:
    signed = await setup.accounts.guest(name)
    setup.auth = Authenticated(signed.account, signed.session_id, SessionKind.BROWSER)
    return setup.auth


def texts(control: ft.Control) -> list[str]:
    """The strings a control shows, depth first (values of texts and fields)."""
    found: list[str] = []
    stack: list[Any] = [control]
    while stack:
        item = stack.pop(0)
        value = getattr(item, "value", None)
        if isinstance(value, str) and value:
            found.append(value)
        content = getattr(item, "content", None)
        children = list(getattr(item, "controls", None) or [])
        stack[:0] = ([content] if isinstance(content, ft.Control) else []) + children
    return found


async def test_opening_shows_the_profile_and_a_members_tokens() -> None:
    setup = make()
    auth = await member(setup)
    await setup.accounts.update_profile(auth, display_name="Ann Lee", status="on call")
    await setup.accounts.create_access_token(auth, "laptop")
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    assert setup.screen.dialogs == [view.dialog]
    assert (view.display_name.value, view.status.value) == ("Ann Lee", "on call")
    assert (view.shown_name.value, view.user_name.value) == ("Ann Lee", "@ann")
    assert not view.remove_avatar.visible  # no picture to remove
    assert view.token_form.visible
    assert "laptop" in texts(view.token_list)


async def test_a_guest_is_told_how_to_get_tokens_and_a_stranger_to_join() -> None:
    setup = make()
    await setup.dialog.open()
    assert [texts(d) for d in setup.screen.dialogs] == [[JOIN_FIRST]]  # a snack, no dialog
    await guest(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    assert not view.token_form.visible
    assert view.token_note.value == MEMBERS_ONLY


async def test_saving_keeps_what_the_server_cleaned_and_tells_everyone() -> None:
    setup = make()
    await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    view.display_name.value, view.status.value = "  Ann   Lee ", "reading"
    await setup.dialog.save()
    assert (view.display_name.value, view.status.value) == ("Ann Lee", "reading")
    assert view.shown_name.value == "Ann Lee"
    assert view.saved.visible
    assert view.display_name in setup.screen.refreshed
    changed = [e for e in setup.bus.other if isinstance(e, ProfileChanged)]
    assert [(e.user_name, e.profile.display_name) for e in changed] == [("ann", "Ann Lee")]


async def test_a_refusal_shows_on_the_field_it_is_about() -> None:
    setup = make()
    await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    view.display_name.value, view.status.value = "Ann", "x" * (MAX_STATUS_LENGTH + 1)
    await setup.dialog.save()
    assert view.display_name.error is None
    assert view.status.error == f"Keep the status to {MAX_STATUS_LENGTH} characters."
    view.display_name.value, view.status.value = "Ann\u202eeL", "fine"  # a direction override
    await setup.dialog.save()
    assert view.status.error is None
    assert view.display_name.error is not None
    assert "invisible or text-direction" in view.display_name.error
    assert not [e for e in setup.bus.other if isinstance(e, ProfileChanged)]  # nothing written


async def test_saving_too_fast_is_refused_with_the_services_words() -> None:
    setup = make(limits=RateLimits(LocalRateLimiter()))  # the real budgets
    await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    for i in range(12):
        view.display_name.value = f"Ann {i}"
        await setup.dialog.save()
    assert view.saved.value == "You are changing your profile too fast. Wait a moment."
    assert view.display_name.error is None


async def test_a_picked_picture_is_uploaded_with_a_ticket_for_this_session() -> None:
    setup = make()
    auth = await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    picked = SimpleNamespace(files=[SimpleNamespace(id=0, name="me.jpg", size=200_000)])
    await setup.dialog._picked(picked)
    assert view.avatar_status.value == UPLOADING
    [[upload]] = setup.uploads
    assert upload.id == 0
    assert upload.upload_url.startswith("/avatars/upload?t=")
    ticket = upload.upload_url.removeprefix("/avatars/upload?t=")
    redeemed = await setup.accounts.redeem_upload_ticket(unquote(ticket))
    assert redeemed is not None
    assert redeemed.session_id == auth.session_id

    # The server took it (the route's part, as it would), and the client says it is done.
    async def reencoded() -> bytes:
        return b"webp"

    await setup.accounts.set_avatar_from(auth, reencoded)
    await setup.dialog._uploaded(SimpleNamespace(file_name="me.jpg", progress=0.5, error=None))
    assert view.avatar_status.value == UPLOADING
    await setup.dialog._uploaded(SimpleNamespace(file_name="me.jpg", progress=1.0, error=None))
    assert view.avatar_status.value == AVATAR_SAVED
    assert view.preview.foreground_image_src == "/avatars/ann?v=1"
    assert view.remove_avatar.visible


async def test_what_cannot_be_uploaded_is_not_and_a_refusal_is_explained() -> None:
    setup = make()
    await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    await setup.dialog._picked(SimpleNamespace(files=[]))  # cancelled
    big = SimpleNamespace(files=[SimpleNamespace(id=0, name="big.png", size=AVATAR_MAX_BYTES + 1)])
    await setup.dialog._picked(big)
    assert setup.uploads == []
    assert (view.avatar_status.value, view.avatar_status.color) == (
        CHOOSE_AN_IMAGE,
        ft.Colors.ERROR,
    )
    refused = "Upload endpoint returned code 422: That image could not be read."
    await setup.dialog._uploaded(SimpleNamespace(file_name="x.png", progress=None, error=refused))
    assert view.avatar_status.value == "That image could not be read."
    assert view.preview.foreground_image_src is None


def test_only_the_servers_own_words_are_shown_for_a_failed_upload() -> None:
    assert refusal_text("Upload endpoint returned code 413: Too big.") == "Too big."
    assert refusal_text("Upload endpoint returned code 502: ") == UPLOAD_FAILED
    assert refusal_text("XMLHttpRequest error.") == UPLOAD_FAILED  # no answer at all
    assert len(refusal_text("Upload endpoint returned code 500: " + "x" * 5000)) == 200


async def test_removing_the_picture_brings_the_initials_back() -> None:
    setup = make()
    auth = await member(setup)
    await setup.accounts.set_avatar(auth, b"webp")
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    assert view.preview.foreground_image_src == "/avatars/ann?v=1"
    await setup.dialog.remove_avatar()
    assert view.preview.foreground_image_src is None
    assert view.avatar_status.value == AVATAR_REMOVED
    assert await setup.accounts.avatar("ann") is None


async def test_a_token_is_shown_once_listed_and_revoked() -> None:
    setup = make()
    auth = await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    assert view.token_note.value == NO_TOKENS
    await setup.dialog.create_token()  # no name
    assert view.token_label.error == "Give the token a name, such as the machine it is for."
    assert len(setup.screen.dialogs) == 1
    view.token_label.value = "laptop console"
    await setup.dialog.create_token()
    assert (view.token_label.value, view.token_label.error) == ("", None)
    assert "laptop console" in texts(view.token_list)
    # The secret, in a dialog of its own over the profile, with the warning.
    profile_dialog, secret_shown = setup.screen.dialogs
    assert profile_dialog is view.dialog
    shown = texts(secret_shown)
    assert SHOWN_ONCE in shown
    secret = next(t for t in shown if t.startswith("fcp_"))
    signed_in = await setup.accounts.authenticate(secret)
    assert signed_in is not None  # the shown secret signs a console in as Ann
    assert signed_in.account.user_name == "ann"
    assert secret not in texts(view.dialog)  # the profile itself never holds it
    popped = setup.screen.popped
    done = secret_shown.actions[0]  # type: ignore[attr-defined]
    await done.on_click(None)
    assert setup.screen.popped == popped + 1
    [token] = await setup.accounts.access_tokens(auth)
    # Closed and opened again: the list is there, the secret is nowhere.
    await setup.dialog.close()
    await setup.dialog.open()
    reopened = setup.dialog.view
    assert reopened is not None
    assert reopened.dialog is not view.dialog  # a closed dialog lingers until the client says
    assert secret not in texts(reopened.dialog)
    assert "laptop console" in texts(reopened.token_list)
    await setup.dialog.revoke_token(token.session_id)
    assert await setup.accounts.authenticate(secret) is None
    assert reopened.token_note.value == NO_TOKENS
    assert "laptop console" not in texts(reopened.token_list)


async def test_after_a_sign_out_elsewhere_every_action_says_so() -> None:
    setup = make()
    auth = await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    await setup.accounts.sign_out_everywhere(auth)
    view.display_name.value = "Ann"
    await setup.dialog.save()
    assert view.saved.value == "You were signed out. Sign in again."
    view.token_label.value = "laptop"
    await setup.dialog.create_token()
    assert view.token_label.error == "You were signed out. Sign in again."
    big = SimpleNamespace(files=[SimpleNamespace(id=0, name="me.png", size=10)])
    await setup.dialog._picked(big)
    [[upload]] = setup.uploads  # the ticket is issued; the route refuses it (signed out)
    ticket = upload.upload_url.removeprefix("/avatars/upload?t=")
    assert await setup.accounts.redeem_upload_ticket(unquote(ticket)) is None


@pytest.mark.parametrize("progress", [None, 0.0, 0.3])
async def test_progress_short_of_the_end_changes_nothing(progress: float | None) -> None:
    setup = make()
    await member(setup)
    await setup.dialog.open()
    view = setup.dialog.view
    assert view is not None
    refreshed = len(setup.screen.refreshed)
    await setup.dialog._uploaded(SimpleNamespace(file_name="a", progress=progress, error=None))
    assert len(setup.screen.refreshed) == refreshed
