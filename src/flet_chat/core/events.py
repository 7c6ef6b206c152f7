"""Events the core publishes after a commit. Each has a `type` and a `version` for the wire."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flet_chat.core.models import Message


@dataclass(frozen=True, slots=True)
class MessagePosted:
    """A message (chat, join or leave) was stored and may now be shown."""

    type: ClassVar[str] = "message.posted"
    version: ClassVar[int] = 1
    message: Message


ChatEvent = MessagePosted
