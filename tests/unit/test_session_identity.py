"""Going online and offline on fakes: a close or a drop that arrives while the join is still in
the service is followed by exactly one leave, after the join, so nobody stays online as a ghost;
a tab nobody joined in is not joined by a restore that finishes after it closed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from flet_chat.core.errors import RateLimitedError
from flet_chat.core.models import Message
from flet_chat.core.rate_limit import Origin
from flet_chat.ui.session.identity import IDENTITY_STORAGE_KEY, SessionIdentity
from flet_chat.ui.views.join_dialog import JoinDialog
from tests.unit.session_fakes import FakeScreen, nothing


class BlockingChat:
    """join waits for `gate`; the journal says what reached the service, in order."""

    def __init__(self) -> None:
        self.journal: list[str] = []
        self.gate = asyncio.Event()
        self.joining = asyncio.Event()
        self.left = asyncio.Event()
        self.origins: list[Origin | None] = []
        self.refusal: str | None = None

    async def join(
        self,
        raw_name: str,
        session_key: str,
        *,
        proven: bool = False,
        origin: Origin | None = None,
    ) -> tuple[str, Message | None]:
        self.joining.set()
        self.origins.append(origin)
        await self.gate.wait()
        if self.refusal is not None:
            raise RateLimitedError(self.refusal)
        self.journal.append(f"join {raw_name}")
        return raw_name, None

    async def leave(self, user_name: str, session_key: str) -> Message | None:
        self.journal.append(f"leave {user_name}")
        self.left.set()
        return None


class Tokens:
    def issue(self, user_name: str) -> str:
        return f"token:{user_name}"

    def verify(self, token: object) -> str | None:
        return token[6:] if isinstance(token, str) and token.startswith("token:") else None


class SlowStorage:
    """Client storage whose answer waits for `gate`."""

    def __init__(self, token: str | None) -> None:
        self.token = token
        self.gate = asyncio.Event()
        self.asked = asyncio.Event()
        self.stored: dict[str, str] = {}

    async def get(self, key: str) -> object:
        self.asked.set()
        await self.gate.wait()
        return self.token if key == IDENTITY_STORAGE_KEY else None

    async def set(self, key: str, value: str) -> bool:
        self.stored[key] = value
        return True


class Harness:
    def __init__(self, grace: float = 0.0, origin: Origin | None = None) -> None:
        self.chat = BlockingChat()
        self.screen = FakeScreen()
        self.dialog = JoinDialog(on_join=nothing)
        self.connections: list[bool] = []
        self.joined = 0
        self.focusing = asyncio.Event()
        self.focus_gate: asyncio.Event | None = None  # when set, taking the focus waits for it
        self.tasks: list[asyncio.Future[None]] = []
        self.identity = SessionIdentity(
            chat=self.chat,
            tokens=Tokens(),
            session_key="k",
            origin=origin,
            leave_grace_seconds=grace,
            join_dialog=self.dialog,
            screen=self.screen,
            focus_composer=self.focus,
            connection_changed=self.connection_changed,
            joined=self.on_joined,
            background=self.background,
        )

    async def focus(self) -> None:
        self.focusing.set()
        if self.focus_gate is not None:
            await self.focus_gate.wait()

    async def connection_changed(self, connected: bool) -> None:
        self.connections.append(connected)

    def on_joined(self) -> None:
        self.joined += 1

    def background(self, work: Awaitable[None]) -> None:
        self.tasks.append(asyncio.ensure_future(work))

    def type_name(self, name: str) -> asyncio.Task[None]:
        self.dialog.name_input.value = name
        return asyncio.create_task(self.identity.join(None))


async def test_a_close_during_the_join_leaves_once_after_it() -> None:
    harness = Harness()
    joining = harness.type_name("Alice")
    await harness.chat.joining.wait()
    harness.identity.closing()  # Flet closes the session while the service is joining
    closing = asyncio.create_task(harness.identity.go_offline())
    harness.chat.gate.set()
    await asyncio.gather(joining, closing)
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.screen.popped == 0  # nothing is shown to a closed tab
    assert harness.joined == 0


async def test_a_drop_during_the_join_leaves_after_the_grace() -> None:
    harness = Harness(grace=0.0)
    joining = harness.type_name("Alice")
    await harness.chat.joining.wait()
    assert await harness.identity.disconnected()  # a join in flight: worth keeping
    assert harness.chat.journal == []  # nobody to leave yet
    harness.chat.gate.set()
    await joining
    await asyncio.wait_for(harness.chat.left.wait(), timeout=5)
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.connections == [False]  # the member list dropped the tab at once


async def test_a_reconnect_within_the_grace_is_not_a_leave() -> None:
    harness = Harness(grace=60.0)
    harness.chat.gate.set()
    await harness.type_name("Alice")
    assert harness.identity.user_name == "Alice"
    assert harness.screen.popped == 1
    assert harness.joined == 1
    assert await harness.identity.disconnected()
    await harness.identity.reconnected()
    harness.identity.closing()
    await harness.identity.go_offline()
    await harness.identity.go_offline()  # at most once per join
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.connections == [False, True]


async def test_a_restore_that_ends_after_an_anonymous_tab_closed_does_not_join() -> None:
    harness = Harness()
    harness.chat.gate.set()
    storage = SlowStorage("token:Alice")
    harness.identity.start(storage)
    await storage.asked.wait()
    assert not await harness.identity.disconnected()  # nobody joined: free it
    storage.gate.set()
    await harness.identity.restored()
    assert harness.chat.journal == []
    assert harness.identity.user_name is None
    assert harness.screen.dialogs == []


async def test_a_restored_identity_joins_and_is_remembered_afresh() -> None:
    harness = Harness()
    harness.chat.gate.set()
    storage = SlowStorage("token:Alice")
    storage.gate.set()
    harness.identity.start(storage)
    await harness.identity.restored()
    await asyncio.gather(*harness.tasks)
    assert harness.chat.journal == ["join Alice"]
    assert harness.joined == 1
    assert storage.stored == {IDENTITY_STORAGE_KEY: "token:Alice"}
    assert harness.screen.dialogs == []


async def test_a_restore_costs_the_connection_not_the_address_and_a_refusal_is_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An office behind one address reopening the chat must not spend the address's join
    budget; if a restore is refused all the same, the dialog says why, with no traceback."""
    harness = Harness(origin=Origin("203.0.113.7", "tab-1"))
    harness.chat.gate.set()
    harness.chat.refusal = "Too many joins. Wait a minute and try again."
    storage = SlowStorage("token:Alice")
    storage.gate.set()
    harness.identity.start(storage)
    await harness.identity.restored()
    assert harness.chat.origins == [Origin(None, "tab-1")]
    assert harness.dialog.name_input.error == "Too many joins. Wait a minute and try again."
    assert harness.screen.dialogs  # asked for a name instead
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_close_while_the_composer_takes_the_focus_starts_nothing_after_it() -> None:
    """The join is done and the dialog gone; the tab closes while the composer takes the focus:
    nothing may start after the close (it would subscribe a closed session for good)."""
    harness = Harness()
    harness.chat.gate.set()
    harness.focus_gate = asyncio.Event()
    joining = harness.type_name("Alice")
    await harness.focusing.wait()
    harness.identity.closing()
    await harness.identity.go_offline()
    harness.focus_gate.set()
    await joining
    assert harness.chat.journal == ["join Alice", "leave Alice"]
    assert harness.joined == 0
