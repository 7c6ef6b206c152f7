"""The UI's per-process caches, built once per process by ui/app.py. Everything else a process
holds (the fan-out, the memory trimmer, the live sessions, the services) is on `Runtime`, the one
holder of per-process state: the UI reaches it through `runtime`, never through copies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flet_chat.live.guest_marks import GuestMarks
from flet_chat.live.shared_messages import SharedMessages
from flet_chat.ui.external_auth import ProviderDirectory
from flet_chat.ui.frames import FrameClock
from flet_chat.ui.member_updates import MemberPatches
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.member_list import MemberRowCache

if TYPE_CHECKING:  # for annotations only: importing it would load every adapter
    from flet_chat.bootstrap import Runtime
    from flet_chat.live.profile_cache import ProfileCache


@dataclass(slots=True)
class ProcessShared:
    runtime: Runtime
    rows: RowCache = field(default_factory=RowCache)  # one row object per message
    # One Message object per message revision for every session's pages of history.
    messages: SharedMessages = field(default_factory=SharedMessages)
    frames: FrameClock = field(default_factory=FrameClock)  # one render pass per frame
    guest_marks: GuestMarks = field(init=False)  # which members are guests, looked up once
    member_rows: MemberRowCache = field(init=False)  # one row per member
    # The member lists' patches, encoded once for every session showing the same change.
    member_patches: MemberPatches = field(default_factory=MemberPatches)
    # The sign-in providers, their discovery documents fetched once per process (empty: none).
    providers: ProviderDirectory = field(init=False)

    def __post_init__(self) -> None:
        self.guest_marks = GuestMarks(self._is_guest)
        self.member_rows = MemberRowCache(marks=self.guest_marks)
        settings = self.runtime.settings
        external = settings.external_providers()
        # Settings refuse providers without FLET_CHAT_PUBLIC_URL, so the redirect is known.
        self.providers = ProviderDirectory(
            external, settings.oauth_redirect_url() if external else ""
        )

    def use_profiles(self, profiles: ProfileCache) -> None:
        """Rows show people's profiles from now on (once the services have started)."""
        self.rows.profiles = profiles.shown
        self.member_rows.profiles = profiles.shown
        self.member_rows.profiles_version = lambda: profiles.version
        services = self.runtime.services
        if services is not None:  # images show as thumbnails from now on
            self.rows.thumbnails = services.files.row_thumbnail

    async def _is_guest(self, name: str) -> bool | None:
        services = self.runtime.services
        if services is None:  # stopping: nothing is drawn any more
            return None
        account = await services.accounts.account(name)
        return None if account is None else account.is_guest
