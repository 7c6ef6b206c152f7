"""The UI's per-process caches, built once per process by ui/app.py. Everything else a process
holds (the fan-out, the memory trimmer, the live sessions, the services) is on `Runtime`, the one
holder of per-process state: the UI reaches it through `runtime`, never through copies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flet_chat.ui.frames import FrameClock
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.member_list import MemberRowCache

if TYPE_CHECKING:  # for annotations only: importing it would load every adapter
    from flet_chat.bootstrap import Runtime
    from flet_chat.live.profile_cache import ProfileCache


@dataclass(slots=True)
class ProcessShared:
    runtime: Runtime
    rows: RowCache = field(default_factory=RowCache)  # one row object per message
    frames: FrameClock = field(default_factory=FrameClock)  # one render pass per frame
    member_rows: MemberRowCache = field(default_factory=MemberRowCache)  # one row per member

    def use_profiles(self, profiles: ProfileCache) -> None:
        """Rows show people's profiles from now on (once the services have started)."""
        self.rows.profiles = profiles.shown
        self.member_rows.profiles = profiles.shown
