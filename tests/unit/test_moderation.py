"""Moderation and private rooms in the core (issue 17), on in-memory stores and a fake clock:
who may see a private room, who may act on whom, mutes that end, bans, slow mode, archive,
reports and the audit log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from flet_chat.bots.dispatcher import BotDispatcher
from flet_chat.bots.helper import HelperBot
from flet_chat.bots.who import online_users_from
from flet_chat.bus.fanout import Fanout
from flet_chat.bus.local import ROOMS_TOPIC, LocalBus, room_topic, user_topic
from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import ForbiddenError, RateLimitedError, ValidationError
from flet_chat.core.events import MembershipChanged, ModerationChanged, RoomChanged
from flet_chat.core.message_actions import NotAllowedError
from flet_chat.core.models import Room, RoomKind, RoomRole
from flet_chat.core.moderation_models import EVERYWHERE, ModerationAction, ReportResolution
from flet_chat.core.names import name_skeleton
from flet_chat.core.rate_limit import Action, Budget, LocalRateLimiter, RateLimits, Rule, Scope
from flet_chat.core.room_service import ArchivedError, BannedError, MutedError, SlowModeError
from flet_chat.core.rooms import NotAMemberError, UnknownRoomError
from flet_chat.core.service import ChatService
from flet_chat.core.standing_cache import StandingCache
from flet_chat.submit import Submissions
from tests.unit.fakes import (
    MemoryModerationStore,
    MemoryRoomStore,
    MemoryStore,
    RecordingBus,
    message_limits,
)

PEOPLE = ("Olive", "Mo", "Mia", "Bob", "Eve", "Root")
ADMINS = {"root"}
START = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)


@dataclass
class World:
    chat: ChatService
    bus: RecordingBus
    rooms: MemoryRoomStore
    moderation: MemoryModerationStore
    now: list[datetime]
    ticks: list[float]
    banned_accounts: list[str] = field(default_factory=list)

    def advance(self, seconds: float) -> None:
        self.now[0] += timedelta(seconds=seconds)
        self.ticks[0] += seconds

    def events(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.bus.other if isinstance(e, kind)]


async def _is_admin(name: str) -> bool:
    return name.casefold() in ADMINS


@pytest.fixture(params=["standings kept", "standings read"])
def world(request: pytest.FixtureRequest) -> World:
    """Every test runs twice: as a server runs (what lets someone write kept a few seconds and
    forgotten on every event of the bus) and with every post asking the store."""
    journal: list[str] = []
    now, ticks = [START], [1000.0]
    rooms = MemoryRoomStore(claimed=tuple((n, name_skeleton(n)) for n in PEOPLE))
    moderation = MemoryModerationStore()
    bus = RecordingBus(journal)
    banned: list[str] = []

    async def ban_account(name: str) -> None:
        banned.append(name)

    chat = ChatService(
        MemoryStore(journal),
        bus,
        message_limits(1000, 1000.0, clock=lambda: ticks[0]),
        LocalPresence(),
        rooms,
        is_admin=_is_admin,
        moderation_store=moderation,
        ban_account=ban_account,
        clock=lambda: now[0],
        standings=(
            StandingCache(clock=lambda: ticks[0]) if request.param == "standings kept" else None
        ),
    )
    bus.add_listener(chat.rooms.on_event)
    chat.reserve_names(["helper"])
    return World(chat, bus, rooms, moderation, now, ticks, banned)


async def _private_room(world: World) -> str:
    """#secret: Olive owns it, Mo moderates it, Mia is a member."""
    room = await world.chat.rooms.create("Olive", "secret", private=True)
    await world.chat.moderation.invite("Olive", "secret", "Mo")
    await world.chat.moderation.set_role("Olive", "secret", "Mo", RoomRole.MODERATOR)
    await world.chat.moderation.invite("Mo", "secret", "Mia")
    return room.key


async def _public_room(world: World) -> str:
    """#dev: Olive owns it, Mo moderates it, Mia and Bob are members."""
    room = await world.chat.rooms.create("Olive", "dev")
    for name in ("Mo", "Mia", "Bob"):
        await world.chat.rooms.join(name, "dev")
    await world.chat.moderation.set_role("Olive", "dev", "Mo", RoomRole.MODERATOR)
    return room.key


# -- private rooms -----------------------------------------------------------------------------


async def test_a_private_room_is_invisible_to_outsiders_exactly_like_a_missing_room(
    world: World,
) -> None:
    chat = world.chat
    key = await _private_room(world)
    said = await chat.post("Mia", "only for us", room=key)
    assert key not in [r.key for r in await chat.rooms.public_rooms()]
    assert not [e for e in world.events(RoomChanged) if e.room.key == key]  # never announced

    missing = await _refusal(chat.rooms.readable("Bob", "nowhere"))
    for attempt in (
        chat.rooms.readable("Bob", key),
        chat.rooms.join("Bob", key),
        chat.latest(key, reader="Bob"),
        chat.before(said.id + 1, key, reader="Bob"),
        chat.around(said.id, key, reader="Bob"),
        chat.search.find("only", reader="Bob", room=key),
        chat.typing("Bob", room=key),
        chat.post("Bob", "let me in", room=key),
        chat.rooms.join_or_create("Bob", key),
    ):
        refusal = await _refusal(attempt)
        assert type(refusal) is UnknownRoomError
        assert str(refusal) == str(missing).replace("nowhere", key)
    # Not in an all-rooms search either; and a reaction, edit or report answers "no message".
    assert (await chat.search.find("only", reader="Bob")).messages == []
    with pytest.raises(ValidationError, match="no longer exists"):
        await chat.actions.toggle_reaction("Bob", said.id, "👍")
    with pytest.raises(ValidationError, match="no longer exists"):
        await chat.moderation.report("Bob", said.id, "spam")
    # The members read it.
    assert [m.text for m in (await chat.latest(key, reader="Mia")).messages][-1] == "only for us"


async def _refusal(attempt: object) -> Exception:
    try:
        await attempt  # type: ignore[misc]
    except Exception as error:
        return error
    raise AssertionError("not refused")


async def test_inviting_to_a_private_room_takes_a_moderator_and_a_real_name(world: World) -> None:
    chat = world.chat
    key = await _private_room(world)
    joined = [e for e in world.events(MembershipChanged) if e.user_name == "Mia"]
    assert joined
    assert joined[-1].joined
    assert joined[-1].room.kind is RoomKind.PRIVATE
    with pytest.raises(ForbiddenError):
        await chat.moderation.invite("Mia", key, "Bob")  # a member, not a moderator
    with pytest.raises(UnknownRoomError):
        await chat.moderation.invite("Eve", key, "Eve")  # an outsider hears nothing
    await chat.rooms.create("Olive", "open")
    with pytest.raises(NotAMemberError):
        await chat.moderation.invite("Eve", "open", "Bob")  # a public room: join it first
    await chat.rooms.join("Eve", "open")
    await chat.moderation.invite("Eve", "open", "Bob")  # any member of a public room
    with pytest.raises(ValidationError, match="nobody called"):
        await chat.moderation.invite("Olive", key, "B0b")  # a look-alike names nobody
    with pytest.raises(ValidationError, match="nobody called"):
        await chat.moderation.invite("Olive", key, "Nobody")
    with pytest.raises(ValidationError, match="bot"):
        await chat.moderation.invite("Olive", key, "helper")
    with pytest.raises(ValidationError, match="already"):
        await chat.moderation.invite("Olive", key, "Mia")
    roles = {m.user_name: m.role for m in await chat.rooms.memberships("Mia", key)}
    assert roles == {"Olive": RoomRole.OWNER, "Mo": RoomRole.MODERATOR, "Mia": RoomRole.MEMBER}


async def test_the_owner_transfers_the_room_and_cannot_leave_it_before(world: World) -> None:
    chat = world.chat
    key = await _private_room(world)
    with pytest.raises(ValidationError, match="transfer"):
        await chat.rooms.leave("Olive", key)
    with pytest.raises(ForbiddenError):
        await chat.moderation.transfer("Mo", key, "Mia")  # only the owner (or an admin)
    with pytest.raises(ForbiddenError):
        await chat.moderation.set_role("Mo", key, "Mia", RoomRole.MODERATOR)
    await chat.moderation.transfer("Olive", key, "Mia")
    roles = {m.user_name: m.role for m in await chat.rooms.memberships("Mia", key)}
    assert roles["Mia"] is RoomRole.OWNER
    assert roles["Olive"] is RoomRole.MODERATOR
    await chat.rooms.leave("Olive", key)  # a moderator now: free to go
    states = {s.room.key: s for s in await chat.rooms.rooms_of("Mia")}
    assert states[key].role is RoomRole.OWNER


# -- mutes, kicks, bans ---------------------------------------------------------------------------


async def test_a_muted_member_reads_but_cannot_post_react_or_edit_until_the_time_passes(
    world: World,
) -> None:
    chat = world.chat
    key = await _public_room(world)
    mine = await chat.post("Mia", "before", room=key)
    until = await chat.moderation.mute("Mo", key, "Mia", 15, reason="flooding")
    assert until == START + timedelta(minutes=15)
    event = world.events(ModerationChanged)[-1]
    assert (event.room, event.user_name, event.action, event.until) == (
        key,
        "Mia",
        ModerationAction.MUTE,
        until,
    )
    for attempt in (
        chat.post("Mia", "hello?", room=key),
        chat.actions.toggle_reaction("Mia", mine.id, "👍"),
        chat.actions.edit("Mia", mine.id, "changed"),
    ):
        refusal = await _refusal(attempt)
        assert isinstance(refusal, MutedError)
        assert refusal.until == until
        assert "until 20:15 UTC" in str(refusal)
    assert (await chat.latest(key, reader="Mia")).messages  # still reads
    states = {s.room.key: s for s in await chat.rooms.rooms_of("Mia")}
    assert states[key].muted_until == until
    with pytest.raises(ForbiddenError, match="leave it after"):
        await chat.rooms.leave("Mia", key)  # leaving and rejoining would shed the mute
    world.advance(15 * 60 + 1)
    assert (await chat.post("Mia", "back", room=key)).text == "back"


async def test_nobody_moderates_an_equal_or_a_higher_rank_or_themselves(world: World) -> None:
    chat = world.chat
    key = await _public_room(world)
    await chat.rooms.join("Root", key)
    with pytest.raises(ForbiddenError, match="the owner"):
        await chat.moderation.mute("Mo", key, "Olive", 5)
    with pytest.raises(ForbiddenError, match="an admin"):
        await chat.moderation.kick("Olive", key, "Root")
    await chat.moderation.set_role("Olive", key, "Bob", RoomRole.MODERATOR)
    with pytest.raises(ForbiddenError, match="a moderator"):
        await chat.moderation.ban("Mo", "Bob", key)
    with pytest.raises(ForbiddenError, match="yourself"):
        await chat.moderation.mute("Mo", key, "Mo", 5)
    with pytest.raises(ForbiddenError):
        await chat.moderation.mute("Mia", key, "Bob", 5)  # a member moderates nobody
    with pytest.raises(ForbiddenError, match="yourself"):
        await chat.moderation.ban("Root", "Root")
    with pytest.raises(ValidationError, match="1 to"):
        await chat.moderation.mute("Mo", key, "Mia", 0)
    # An admin outranks the owner.
    await chat.moderation.mute("Root", key, "Olive", 5)


async def test_general_is_moderated_by_admins_and_never_left_by_a_kick(world: World) -> None:
    chat = world.chat
    with pytest.raises(ForbiddenError):
        await chat.moderation.mute("Mo", "general", "Mia", 5)
    await chat.moderation.mute("Root", "general", "Mia", 5)
    with pytest.raises(MutedError):
        await chat.post("Mia", "hi")
    with pytest.raises(ValidationError, match="Everyone is in #general"):
        await chat.moderation.kick("Root", "general", "Mia")
    with pytest.raises(ValidationError, match="cannot be archived"):
        await chat.moderation.archive("Root", "general")


async def test_a_kicked_member_may_rejoin_but_a_banned_one_may_not(world: World) -> None:
    chat = world.chat
    key = await _public_room(world)
    await chat.moderation.kick("Mo", key, "Mia")
    assert not await world.rooms.is_member(key, "Mia")
    left = world.events(MembershipChanged)[-1]
    assert (left.user_name, left.joined) == ("Mia", False)
    with pytest.raises(NotAMemberError):
        await chat.post("Mia", "still here?", room=key)
    await chat.rooms.join("Mia", key)  # a kick is not a ban

    await chat.moderation.ban("Mo", "Mia", key, reason="again")
    assert not await world.rooms.is_member(key, "Mia")
    with pytest.raises(BannedError):
        await chat.rooms.join("Mia", key)
    with pytest.raises(ForbiddenError, match="banned"):
        await chat.moderation.invite("Bob", key, "Mia")
    assert await chat.moderation.banned("Mo", key) == ["Mia"]
    await chat.moderation.unban("Mo", "Mia", key)
    await chat.rooms.join("Mia", key)


async def test_a_ban_from_the_chat_is_for_admins_and_ends_the_accounts_sessions(
    world: World,
) -> None:
    chat = world.chat
    key = await _public_room(world)
    with pytest.raises(ForbiddenError, match="admins"):
        await chat.moderation.ban("Olive", "Eve")  # owning a room is not enough
    await chat.moderation.ban("Root", "Eve", reason="spam bot")
    assert world.banned_accounts == ["Eve"]
    assert await world.moderation.is_banned(EVERYWHERE, "eve")
    event = world.events(ModerationChanged)[-1]
    assert (event.room, event.action) == (EVERYWHERE, ModerationAction.GLOBAL_BAN)
    with pytest.raises(BannedError):
        await chat.rooms.join("Eve", key)  # banned from the chat is banned from every room
    with pytest.raises(ValidationError, match="bot"):
        await chat.moderation.ban("Root", "helper")
    with pytest.raises(ValidationError, match="nobody called"):
        await chat.moderation.ban("Root", "R00t")  # a look-alike of an admin names nobody


# -- the room ----------------------------------------------------------------------------------


async def test_slow_mode_lets_a_member_post_once_per_interval_and_spares_moderators(
    world: World,
) -> None:
    chat = world.chat
    key = await _public_room(world)
    with pytest.raises(ForbiddenError):
        await chat.moderation.set_slow_mode("Mia", key, 30)
    room = await chat.moderation.set_slow_mode("Mo", key, 30)
    assert room.slow_mode_seconds == 30
    assert world.events(RoomChanged)[-1].room.slow_mode_seconds == 30
    await chat.post("Mia", "one", room=key)
    with pytest.raises(SlowModeError) as refused:
        await chat.post("Mia", "two", room=key)
    assert isinstance(refused.value, RateLimitedError)
    assert "30 seconds" in str(refused.value)
    await chat.post("Bob", "someone else may", room=key)
    for n in range(3):
        await chat.post("Mo", f"moderators are exempt {n}", room=key)
    world.advance(30)
    await chat.post("Mia", "two", room=key)


async def test_an_archived_room_is_read_only_and_hidden_from_everyone_but_its_members(
    world: World,
) -> None:
    chat = world.chat
    key = await _public_room(world)
    said = await chat.post("Mia", "history", room=key)
    with pytest.raises(ForbiddenError):
        await chat.moderation.archive("Mo", key)  # the owner's (or an admin's) call
    archived = await chat.moderation.archive("Olive", key)
    assert archived.archived
    assert key not in [r.key for r in await chat.rooms.public_rooms()]
    with pytest.raises(UnknownRoomError):
        await chat.rooms.readable("Eve", key)
    with pytest.raises(ArchivedError):
        await chat.post("Mia", "more", room=key)
    with pytest.raises(ArchivedError):
        await chat.actions.toggle_reaction("Mia", said.id, "👍")
    with pytest.raises(ArchivedError):
        await chat.actions.delete("Mia", said.id)
    assert [m.text for m in (await chat.latest(key, reader="Mia")).messages] == ["history"]
    states = {s.room.key: s for s in await chat.rooms.rooms_of("Mia")}
    assert states[key].room.archived
    await chat.moderation.archive("Olive", key, archived=False)
    await chat.post("Mia", "more", room=key)


# -- messages, reports, the audit log ----------------------------------------------------------


async def test_a_moderator_removes_a_members_message_but_not_the_owners(world: World) -> None:
    chat = world.chat
    key = await _public_room(world)
    spam = await chat.post("Mia", "buy now", room=key)
    owners = await chat.post("Olive", "welcome", room=key)
    removed = await chat.actions.delete("Mo", spam.id)
    assert removed.deleted
    assert removed.removed_by_moderator
    assert removed.text == ""
    own = await chat.actions.delete("Olive", owners.id)
    assert own.deleted
    assert not own.removed_by_moderator
    owners2 = await chat.post("Olive", "again", room=key)
    with pytest.raises(NotAllowedError):
        await chat.actions.delete("Mo", owners2.id)
    with pytest.raises(NotAllowedError):
        await chat.actions.delete("Bob", owners2.id)  # a member removes nothing
    entry = (await chat.moderation.audit_log("Root"))[0]
    assert (entry.actor, entry.action, entry.target_user, entry.message_id) == (
        "Mo",
        ModerationAction.REMOVE_MESSAGE,
        "Mia",
        spam.id,
    )


async def test_a_report_reaches_the_admins_with_its_context_and_is_resolved_once(
    world: World,
) -> None:
    chat = world.chat
    key = await _public_room(world)
    before = await chat.post("Bob", "hello", room=key)
    bad = await chat.post("Mia", "something nasty", room=key)
    report = await chat.moderation.report("Bob", bad.id, "  insulting\n people ")
    assert report.reason == "insulting people"
    with pytest.raises(ValidationError, match="already"):
        await chat.moderation.report("Bob", bad.id, "again")
    with pytest.raises(ValidationError, match="own"):
        await chat.moderation.report("Mia", bad.id, "me")
    with pytest.raises(ValidationError, match="500"):
        await chat.moderation.report("Olive", bad.id, "x" * 501)
    with pytest.raises(ValidationError):
        await chat.moderation.report("Olive", bad.id, "   ")
    with pytest.raises(ForbiddenError):
        await chat.moderation.open_reports("Olive")  # room owners are not admins

    [shown] = await chat.moderation.open_reports("Root")
    assert shown.message is not None
    assert shown.message.id == bad.id
    assert [m.id for m in shown.context][:2] == [before.id, bad.id]

    with pytest.raises(ForbiddenError):
        await chat.moderation.resolve("Olive", report.id, ReportResolution.DELETE)
    closed = await chat.moderation.resolve("Root", report.id, ReportResolution.MUTE, minutes=10)
    assert closed.resolution is ReportResolution.MUTE
    assert closed.resolved_by == "Root"
    with pytest.raises(MutedError):
        await chat.post("Mia", "again", room=key)
    with pytest.raises(ValidationError, match="resolved already"):
        await chat.moderation.resolve("Root", report.id, ReportResolution.DISMISS)
    assert await chat.moderation.open_reports("Root") == []
    actions = [e.action for e in await chat.moderation.audit_log("Root")]
    assert actions[:2] == [ModerationAction.RESOLVE_REPORT, ModerationAction.MUTE]


async def test_an_admin_removes_a_reported_private_message_through_the_report(
    world: World,
) -> None:
    chat = world.chat
    key = await _private_room(world)
    bad = await chat.post("Mia", "nasty", room=key)
    report = await chat.moderation.report("Mo", bad.id, "nasty")
    with pytest.raises(ValidationError, match="no longer exists"):
        await chat.actions.delete("Root", bad.id)  # an admin does not read private rooms
    await chat.moderation.resolve("Root", report.id, ReportResolution.DELETE)
    gone = (await chat.latest(key, reader="Mia")).messages[-1]
    assert gone.id == bad.id
    assert gone.removed_by_moderator


async def test_every_action_is_in_the_audit_log_which_only_admins_read(world: World) -> None:
    chat = world.chat
    key = await _public_room(world)
    await chat.moderation.mute("Mo", key, "Mia", 5, reason="calm down")
    await chat.moderation.unmute("Mo", key, "Mia")
    await chat.moderation.kick("Mo", key, "Bob")
    await chat.moderation.set_slow_mode("Mo", key, 10)
    await chat.moderation.archive("Olive", key)
    with pytest.raises(ForbiddenError):
        await chat.moderation.audit_log("Mo")
    log = await chat.moderation.audit_log("Root", limit=5)
    assert [e.action for e in log] == [
        ModerationAction.ARCHIVE,
        ModerationAction.SLOW_MODE,
        ModerationAction.KICK,
        ModerationAction.UNMUTE,
        ModerationAction.MUTE,
    ]
    assert (log[-1].actor, log[-1].target_user, log[-1].room, log[-1].reason) == (
        "Mo",
        "Mia",
        key,
        "calm down",
    )
    assert log[-1].at == START
    older = await chat.moderation.audit_log("Root", before=log[-1].id)
    assert [e.action for e in older] == [ModerationAction.SET_ROLE]


async def test_commands_obey_private_rooms_and_mutes(world: World) -> None:
    chat = world.chat
    bots = BotDispatcher(
        chat,
        [HelperBot()],
        spend=chat.spend,
        online_users=online_users_from(LocalPresence(), chat.rooms.members),
    )
    chat.reserve_names(bots.names)
    submissions = Submissions(chat, bots)
    key = await _private_room(world)
    before = len((await chat.latest(key, reader="Mia")).messages)
    # In a private room the bot answers the caller only, as in a direct conversation.
    rolled = await submissions.submit("Mia", "/roll 1d6", room=key)
    assert (rolled.hint or "").startswith("Helper: Mia rolled 1d6")
    assert len((await chat.latest(key, reader="Mia")).messages) == before
    # An outsider's command there hears of no such room; a muted member's is refused.
    with pytest.raises(UnknownRoomError):
        await submissions.submit("Bob", "/who", room=key)
    await chat.moderation.mute("Mo", key, "Mia", 5)
    with pytest.raises(MutedError):
        await submissions.submit("Mia", "/roll 1d6", room=key)


async def test_the_local_bus_tells_a_private_rooms_news_to_its_members_only() -> None:
    hub, heard = Fanout(), []
    bus = LocalBus(hub)
    for topic in (ROOMS_TOPIC, room_topic("secret"), user_topic("Mia")):
        hub.subscribe(topic, topic, lambda t, e: heard.append((t, type(e).__name__)))
    await bus.publish(RoomChanged(Room("secret", RoomKind.PRIVATE, archived=True), created=False))
    await bus.publish(ModerationChanged("secret", "mia", ModerationAction.MUTE, START))
    await bus.publish(ModerationChanged(EVERYWHERE, "Mia", ModerationAction.GLOBAL_BAN))
    assert heard == [
        (room_topic("secret"), "RoomChanged"),
        (user_topic("Mia"), "ModerationChanged"),
        (room_topic("secret"), "ModerationChanged"),
        (user_topic("Mia"), "ModerationChanged"),
    ]


async def test_probing_for_a_private_rooms_name_costs_a_room_token() -> None:
    budgets = {Action.ROOM: (Rule(Scope.USER, Budget(2, 1e-9)),)}
    rooms = MemoryRoomStore(claimed=tuple((n, name_skeleton(n)) for n in PEOPLE))
    chat = ChatService(
        MemoryStore([]),
        RecordingBus([]),
        RateLimits(LocalRateLimiter(), budgets),
        LocalPresence(),
        rooms,
        moderation_store=MemoryModerationStore(),
    )
    await chat.rooms.create("Olive", "secret", private=True)
    await chat.rooms.create("Olive", "dev")
    for _ in range(5):  # a room Bob can see: refused for free, as before
        with pytest.raises(ValidationError, match="already exists"):
            await chat.rooms.create("Bob", "dev")
    for _ in range(2):
        with pytest.raises(ValidationError, match="already exists"):
            await chat.rooms.create("Bob", "secret", private=True)
    with pytest.raises(RateLimitedError):
        await chat.rooms.create("Bob", "secret")


async def test_an_admin_names_a_new_owner_for_a_room_whose_owner_was_removed(
    world: World,
) -> None:
    chat = world.chat
    key = await _public_room(world)
    await chat.moderation.ban("Root", "Olive", key)
    with pytest.raises(ForbiddenError):
        await chat.moderation.transfer("Mo", key, "Mia")
    await chat.moderation.transfer("Root", key, "Mia")
    roles = {m.user_name: m.role for m in await chat.rooms.memberships("Mia", key)}
    assert roles["Mia"] is RoomRole.OWNER


async def test_a_reported_direct_message_is_removed_through_its_report(world: World) -> None:
    chat = world.chat
    dm = await chat.rooms.open_direct("Mia", "Bob")
    bad = await chat.post("Mia", "threat", room=dm.key)
    with pytest.raises(ForbiddenError):
        await chat.moderation.remove_message("Root", bad.id)  # no moderators in a DM
    report = await chat.moderation.report("Bob", bad.id, "a threat")
    with pytest.raises(ForbiddenError):
        await chat.moderation.resolve("Root", report.id, ReportResolution.MUTE)
    await chat.moderation.resolve("Root", report.id, ReportResolution.DELETE)
    gone = (await chat.latest(dm.key, reader="Bob")).messages[-1]
    assert gone.removed_by_moderator


async def test_trying_names_through_moderation_costs_the_moderation_budget() -> None:
    budgets = {Action.MODERATE: (Rule(Scope.USER, Budget(3, 1e-9)),)}
    rooms = MemoryRoomStore(claimed=tuple((n, name_skeleton(n)) for n in PEOPLE))
    chat = ChatService(
        MemoryStore([]),
        RecordingBus([]),
        RateLimits(LocalRateLimiter(), budgets),
        LocalPresence(),
        rooms,
        moderation_store=MemoryModerationStore(),
    )
    await chat.rooms.create("Olive", "open")
    await chat.rooms.join("Eve", "open")
    for guess in ("Alice", "Amy", "Ann"):  # nobody of those names: each costs a token anyway
        with pytest.raises(ValidationError, match="nobody called"):
            await chat.moderation.invite("Eve", "open", guess)
    with pytest.raises(RateLimitedError):
        await chat.moderation.invite("Eve", "open", "Bob")


# -- holes found by a review as an attacker ----------------------------------------------------


def _submissions(chat: ChatService) -> Submissions:
    bots = BotDispatcher(
        chat,
        [HelperBot()],
        spend=chat.spend,
        online_users=online_users_from(LocalPresence(), chat.rooms.members),
    )
    chat.reserve_names(bots.names)
    return Submissions(chat, bots)


@pytest.mark.parametrize("command", ["/me waves", "/ask why?", "/topic new topic", "/roll"])
async def test_slow_mode_holds_for_commands_that_speak_in_the_room(
    world: World, command: str
) -> None:
    # /me, /ask and /topic post on the caller's behalf without charging the message budget a
    # second time (the command paid it), /roll has the bot speak: slow mode holds all the same.
    chat = world.chat
    submissions = _submissions(chat)
    key = await _public_room(world)
    await chat.moderation.set_slow_mode("Mo", key, 30)
    await chat.post("Mia", "one", room=key)
    with pytest.raises(SlowModeError):
        await submissions.submit("Mia", command, room=key)
    world.advance(30)
    await submissions.submit("Mia", command, room=key)
    with pytest.raises(SlowModeError):
        await chat.post("Mia", "again too soon", room=key)


async def test_an_admin_cannot_demote_the_owner_and_leave_the_room_without_one(
    world: World,
) -> None:
    chat = world.chat
    key = await _public_room(world)
    for role in (RoomRole.MODERATOR, RoomRole.MEMBER):
        with pytest.raises(ValidationError, match="Transfer"):
            await chat.moderation.set_role("Root", key, "Olive", role)
    roles = {m.user_name: m.role for m in await chat.rooms.memberships("Mia", key)}
    assert roles["Olive"] is RoomRole.OWNER
    await chat.moderation.transfer("Root", key, "Mia")  # the way to change owners
    roles = {m.user_name: m.role for m in await chat.rooms.memberships("Mia", key)}
    assert (roles["Mia"], roles["Olive"]) == (RoomRole.OWNER, RoomRole.MODERATOR)


async def test_a_ban_repeated_is_refused_and_not_logged_twice(world: World) -> None:
    chat = world.chat
    key = await _public_room(world)
    await chat.moderation.ban("Mo", "Bob", key, reason="spam")
    with pytest.raises(ValidationError, match="already"):
        await chat.moderation.ban("Mo", "bob", key, reason="again")
    await chat.moderation.ban("Root", "Eve", reason="abuse")
    with pytest.raises(ValidationError, match="already"):
        await chat.moderation.ban("Root", "EVE")
    # Her sessions are ended again (a ban that stopped half-way is finished), nothing logged.
    assert world.banned_accounts == ["Eve", "Eve"]
    log = await chat.moderation.audit_log("Root")
    assert [(e.action, e.target_user) for e in log[:2]] == [
        (ModerationAction.GLOBAL_BAN, "Eve"),
        (ModerationAction.BAN, "Bob"),
    ]


async def test_a_join_racing_a_room_ban_keeps_no_membership(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ban lands between the join's check and its new member row (the ban found no row to
    # remove): the join must not leave a banned member behind.
    chat = world.chat
    key = await _public_room(world)
    real = world.moderation.is_banned
    asked: list[str] = []

    async def racing(room: str, user_name: str) -> bool:
        asked.append(user_name)
        if len(asked) == 1:
            await chat.moderation.ban("Mo", "Eve", key)
            return False  # what the join read just before the ban
        return await real(room, user_name)

    monkeypatch.setattr(world.moderation, "is_banned", racing)
    with pytest.raises(BannedError):
        await chat.rooms.join("Eve", key)
    assert "Eve" not in [m.user_name for m in await chat.rooms.memberships("Mia", key)]
    with pytest.raises(NotAMemberError):
        await chat.post("Eve", "in anyway", room=key)


async def test_an_invite_racing_a_room_ban_keeps_no_membership(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = world.chat
    key = await _private_room(world)
    real = world.moderation.is_banned
    asked: list[str] = []

    async def racing(room: str, user_name: str) -> bool:
        asked.append(user_name)
        if len(asked) == 1:
            await chat.moderation.ban("Olive", "Eve", key)  # by the owner, meanwhile
            return False  # what the moderator's invite read just before the ban
        return await real(room, user_name)

    monkeypatch.setattr(world.moderation, "is_banned", racing)
    with pytest.raises(ForbiddenError, match="banned"):
        await chat.moderation.invite("Mo", key, "Eve")
    with pytest.raises(UnknownRoomError):
        await chat.rooms.readable("Eve", key)


@pytest.mark.parametrize("reason", ["spam\x00", "half \ud800 a pair", "bell\x07"])
async def test_a_reason_no_database_can_store_is_refused_as_invalid(
    world: World, reason: str
) -> None:
    # PostgreSQL refuses NUL in text and no database encodes a lone surrogate: such a reason
    # must be a ValidationError, not a failed write (an "unavailable" answer and a traceback).
    chat = world.chat
    key = await _public_room(world)
    said = await chat.post("Bob", "spam spam", room=key)
    with pytest.raises(ValidationError, match="character"):
        await chat.moderation.report("Mia", said.id, reason)
    with pytest.raises(ValidationError, match="character"):
        await chat.moderation.mute("Mo", key, "Bob", 5, reason=reason)
    assert await world.moderation.open_reports(10) == []


async def test_probing_a_private_rooms_name_through_join_or_create_costs_a_room_token() -> None:
    # "Create or join a room" with a private room's name must cost what `create` costs: else
    # guessing names there is free (an error for a private room, a new room otherwise).
    budgets = {Action.ROOM: (Rule(Scope.USER, Budget(2, 1e-9)),)}
    rooms = MemoryRoomStore(claimed=tuple((n, name_skeleton(n)) for n in PEOPLE))
    chat = ChatService(
        MemoryStore([]),
        RecordingBus([]),
        RateLimits(LocalRateLimiter(), budgets),
        LocalPresence(),
        rooms,
        moderation_store=MemoryModerationStore(),
    )
    await chat.rooms.create("Olive", "secret", private=True)
    await chat.rooms.create("Olive", "dev")
    for _ in range(5):  # a room Bob can see is joined for free, as before
        await chat.rooms.join_or_create("Bob", "dev")
    for _ in range(2):
        with pytest.raises(UnknownRoomError):
            await chat.rooms.join_or_create("Bob", "secret")
    with pytest.raises(RateLimitedError):
        await chat.rooms.join_or_create("Bob", "secret")


async def test_two_admins_resolving_one_report_at_once_act_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both read the report open; the second to act must not mute (and log) a second time.
    chat = world.chat
    key = await _public_room(world)
    said = await chat.post("Bob", "rude", room=key)
    report = await chat.moderation.report("Mia", said.id, "rude")
    real = world.moderation.report
    reads: list[int] = []

    async def racing(report_id: int):  # type: ignore[no-untyped-def]
        reads.append(report_id)
        seen = await real(report_id)
        if len(reads) == 1:  # the other admin resolves it meanwhile, all the way
            await chat.moderation.resolve("Root", report_id, ReportResolution.MUTE, minutes=5)
        return seen

    monkeypatch.setattr(world.moderation, "report", racing)
    with pytest.raises(ValidationError, match="resolved already"):
        await chat.moderation.resolve("Root", report.id, ReportResolution.MUTE, minutes=60)
    log = await chat.moderation.audit_log("Root")
    assert [e.action for e in log[:3]] == [
        ModerationAction.RESOLVE_REPORT,
        ModerationAction.MUTE,
        ModerationAction.SET_ROLE,  # _public_room's, before the report
    ]
    standing = {m.user_name: m for m in await chat.rooms.memberships("Mia", key)}
    assert standing["Bob"].muted_until == START + timedelta(minutes=5)
