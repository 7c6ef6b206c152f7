"""One session's room menu ("Manage room"): what the user's rank lets them do in the room on
screen, read when the menu opens, and each action sent to the core (`chat.moderation`), whose
refusal text shows where the user looks. Nothing here is a rule: the core checks every action
again (core/moderation.py)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import flet as ft

from flet_chat.core.errors import JOIN_FIRST, ChatError
from flet_chat.core.models import Membership, Room, RoomKind, RoomRole
from flet_chat.core.rate_limit import Origin
from flet_chat.core.room_service import GENERAL, RoomService
from flet_chat.core.service import ChatService
from flet_chat.ui import keys
from flet_chat.ui.clock import FALLBACK, Clock, time_text
from flet_chat.ui.session.screen import Screen
from flet_chat.ui.views.room_menu import (
    ADMIN,
    MEMBER,
    MODERATOR,
    OWNER,
    MemberActions,
    MemberLine,
    MenuModel,
    RoomMenu,
)

logger = logging.getLogger(__name__)

FAILED = "Could not do that right now. Try again."
NOT_IN_ROOM = -1
_RANKS = {RoomRole.OWNER: OWNER, RoomRole.MODERATOR: MODERATOR, RoomRole.MEMBER: MEMBER}


class RoomAdmin:
    def __init__(
        self,
        *,
        chat: ChatService,
        screen: Screen,
        me: Callable[[], str | None],
        room: Callable[[], Room],
        clock: Clock = FALLBACK,
        origin: Origin | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._moderation = chat.moderation
        self._rooms: RoomService = chat.rooms
        self._screen = screen
        self._me = me
        self._room = room
        self._clock = clock
        self._origin = origin
        self._now = now
        self._menu: RoomMenu | None = None

    async def open(self, _event: Any = None) -> None:
        """Read the user's standing in the room on screen and show its menu."""
        me, room = self._me(), self._room()
        if me is None:
            return self._snack(JOIN_FIRST)
        if room.kind is RoomKind.DIRECT:
            return
        try:
            model = await self._model(me, room)
        except ChatError as error:
            return self._snack(str(error))
        except Exception:
            logger.exception("could not read the room menu of %s", room.key)
            return self._snack(FAILED)
        menu = RoomMenu(
            model,
            invite=lambda name: self._act(
                lambda: self._moderation.invite(me, room.key, name, origin=self._origin),
                f"Invited {name.strip()}.",
            ),
            slow_mode=lambda seconds: self._act(
                lambda: self._moderation.set_slow_mode(me, room.key, seconds, origin=self._origin)
            ),
            archive=lambda: self._act(
                lambda: self._moderation.archive(
                    me, room.key, archived=not model.archived, origin=self._origin
                )
            ),
            transfer=lambda name: self._act(
                lambda: self._moderation.transfer(me, room.key, name, origin=self._origin),
                f"{name.strip()} owns {model.title} now.",
            ),
            moderate=lambda line: self._open_member(me, room, model, line),
            close=self._close,
        )
        self._menu = menu
        self._screen.show_dialog(menu.dialog)

    async def _model(self, me: str, room: Room) -> MenuModel:
        moderation = self._moderation
        admin = await moderation.is_admin(me)
        role = await moderation.role_in(me, room.key)
        can_moderate = await moderation.can_moderate(me, room.key)
        members = await self._rooms.memberships(me, room.key)  # [] in #general
        rank = ADMIN if admin else (_RANKS[role] if role is not None else NOT_IN_ROOM)
        shown = self._room()
        current = shown if shown.key == room.key else room
        private = room.kind is RoomKind.PRIVATE
        general = room.key == GENERAL.key
        return MenuModel(
            title=f"#{room.key}",
            rank=rank,
            can_moderate=can_moderate,
            can_invite=not general
            and not room.archived
            and (can_moderate if private else role is not None),
            general=general,
            archived=current.archived,
            slow_mode_seconds=current.slow_mode_seconds,
            members=[self._line(m) for m in members],
            me=me,
        )

    def _line(self, member: Membership) -> MemberLine:
        muted = member.muted_until if member.muted_at(self._now()) else None
        return MemberLine(
            member.user_name,
            member.role.value,
            _RANKS[member.role],
            time_text(muted, self._clock) if muted is not None else None,
        )

    async def _act(
        self, action: Callable[[], Awaitable[object]], done: str | None = None
    ) -> str | None:
        """Run one action; None when done (the menu closes, a snack says `done`), else the
        text to show."""
        try:
            await action()
        except ChatError as error:
            return str(error)
        except Exception:
            logger.exception("a room action failed")
            return FAILED
        self._close_menu()
        if done is not None:
            self._snack(done)
        return None

    async def _open_member(self, me: str, room: Room, model: MenuModel, line: MemberLine) -> None:
        self._close_menu()
        name, key, origin = line.user_name, room.key, self._origin
        moderation = self._moderation

        async def run(action: str, why: str | None) -> str:
            """Do `action` to the member; returns what was done, as the snack says it."""
            if action.startswith("mute-"):
                minutes = int(action.removeprefix("mute-"))
                until = await moderation.mute(me, key, name, minutes, reason=why, origin=origin)
                return f"{name} is muted until {time_text(until, self._clock)}."
            if action == "unmute":
                await moderation.unmute(me, key, name, origin=origin)
                return f"{name} may post again."
            if action == "kick":
                await moderation.kick(me, key, name, reason=why, origin=origin)
                return f"{name} was removed from #{key}."
            if action == "ban":
                await moderation.ban(me, name, key, reason=why, origin=origin)
                return f"{name} is banned from #{key}."
            if action == "ban-chat":
                await moderation.ban(me, name, reason=why, origin=origin)
                return f"{name} is banned from the chat."
            role = RoomRole.MODERATOR if action == "make-moderator" else RoomRole.MEMBER
            await moderation.set_role(me, key, name, role, origin=origin)
            return f"{name} is a {role.value} of #{key} now."

        async def act(action: str, why: str | None) -> str | None:
            done: list[str] = []

            async def call() -> object:
                done.append(await run(action, why))
                return None

            error = await self._act(call)
            if error is None:
                self._snack(done[0])
            return error

        actions = MemberActions(
            line,
            rank=model.rank,
            room_title=model.title,
            act=act,
            close=self._close,
            general=model.general,
        )
        self._screen.show_dialog(actions.dialog)

    def _close_menu(self) -> None:
        with contextlib.suppress(RuntimeError):  # the tab closed meanwhile
            self._screen.pop_dialog()
        self._menu = None

    async def _close(self, _event: Any) -> None:
        self._close_menu()

    def _snack(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._screen.show_dialog(ft.SnackBar(ft.Text(text, key=keys.MODERATION_DONE)))
