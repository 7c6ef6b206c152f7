"""What every session of one process shares: built once per process by ui/app.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flet_chat.bus.fanout import Fanout
from flet_chat.memory import MemoryTrimmer
from flet_chat.ui.frames import FrameClock
from flet_chat.ui.row_cache import RowCache
from flet_chat.ui.views.member_list import MemberRowCache


@dataclass(slots=True)
class ProcessShared:
    fanout: Fanout  # how events reach the sessions
    memory: MemoryTrimmer  # gives memory back after sessions close
    live_sessions: set[Any]  # controllers alive now; /healthz counts them so leaks show
    rows: RowCache = field(default_factory=RowCache)  # one row object per message
    frames: FrameClock = field(default_factory=FrameClock)  # one render pass per frame
    member_rows: MemberRowCache = field(default_factory=MemberRowCache)  # one row per member
