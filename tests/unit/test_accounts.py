"""AccountService on the fakes: signing up, in and out, guests, names, sessions and access tokens,
legacy tokens, roles and profiles; and the argon2id hasher it runs with in production."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher as RawArgon2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flet_chat.core.accounts.models import (
    AccountKind,
    Authenticated,
    Role,
    SessionKind,
    SignedIn,
)
from flet_chat.core.accounts.passwords import (
    SAME_AS_NAME,
    TOO_COMMON,
    TOO_LONG,
    TOO_SHORT,
    Argon2Hasher,
)
from flet_chat.core.accounts.service import (
    BANNED,
    GUESTS_OFF,
    MEMBERS_ONLY,
    SIGNED_OUT,
    WRONG_CREDENTIALS,
    WRONG_PASSWORD,
    AccountService,
)
from flet_chat.core.accounts.tokens import token_hash
from flet_chat.core.errors import (
    ChatError,
    NameTakenError,
    RateLimitedError,
    UnauthorizedError,
    ValidationError,
)
from flet_chat.core.events import ProfileChanged, SessionsEnded
from flet_chat.core.identity import IdentitySigner
from flet_chat.core.limits import (
    ACCOUNT_SIGN_IN_BUDGET,
    CONNECTION_SIGN_IN_BUDGET,
    IP_SIGN_IN_BUDGET,
    IP_SIGN_UP_BUDGET,
    MAX_ACCESS_TOKENS,
    MAX_DISPLAY_NAME_LENGTH,
    MAX_PASSWORD_LENGTH,
    MAX_STATUS_LENGTH,
    SESSION_DAYS,
)
from flet_chat.core.names import ReservedNames, name_skeleton
from flet_chat.core.rate_limit import REFUSALS, Action, LocalRateLimiter, Origin, RateLimits
from tests.unit.fakes import MemoryAccountStore, MemoryRoomStore, PlainHasher, RecordingBus

PASSWORD = "correct horse battery"
OTHER_PASSWORD = "staple lantern orbit"
CYRILLIC_ALICE = "\u0410lice"
SECRET = "s" * 48


class Clock:
    """The service's wall clock and the rate limiter's monotonic one, moved together."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self.mono = 1000.0

    def wall(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


class CountingHasher(PlainHasher):
    """PlainHasher that counts verifications, and which of them had no hash to check."""

    def __init__(self) -> None:
        self.verified: list[bool] = []  # True: a real hash; False: None (the decoy's path)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        self.verified.append(password_hash is not None)
        return await super().verify(password_hash, password)


@dataclass
class World:
    accounts: AccountService
    store: MemoryAccountStore
    bus: RecordingBus
    clock: Clock
    hasher: CountingHasher
    signer: IdentitySigner = field(default_factory=lambda: IdentitySigner(SECRET))

    def ended(self) -> list[SessionsEnded]:
        return [e for e in self.bus.other if isinstance(e, SessionsEnded)]

    async def auth(self, signed: SignedIn) -> Authenticated:
        found = await self.accounts.authenticate(signed.token)
        assert found is not None
        return found


def make_world(
    *,
    guests: bool = True,
    admins: list[str] | None = None,
    is_banned: Callable[[str], Awaitable[bool]] | None = None,
) -> World:
    clock = Clock()
    store = MemoryAccountStore(MemoryRoomStore())
    bus = RecordingBus([])
    reserved = ReservedNames()
    reserved.reserve(["Helper", "Deploy Bot"])
    hasher = CountingHasher()
    limits = RateLimits(LocalRateLimiter(clock=clock.monotonic))  # the real budgets
    service = AccountService(
        store,
        hasher,
        limits,
        bus,
        reserved,
        guests=guests,
        admins=admins,
        legacy_tokens=IdentitySigner(SECRET),
        clock=clock.wall,
        is_banned=is_banned,
    )
    return World(service, store, bus, clock, hasher)


@pytest.fixture
def world() -> World:
    return make_world()


# -- signing up and in --------------------------------------------------------------------------


async def test_sign_up_then_sign_in_from_another_browser(world: World) -> None:
    signed = await world.accounts.sign_up(" Alice ", PASSWORD)
    assert signed.token.startswith("fcs_")
    account = signed.account
    assert (account.user_name, account.kind, account.has_password) == (
        "Alice",
        AccountKind.MEMBER,
        True,
    )
    # The store keeps the token's hash, never the token.
    assert [s["token_hash"] for s in world.store.sessions.values()] == [token_hash(signed.token)]
    again = await world.accounts.sign_in("alice", PASSWORD, kind=SessionKind.API)
    assert again.account.user_name == "Alice"  # as it was signed up, whatever was typed
    assert again.session_id != signed.session_id
    assert again.token != signed.token
    auth = await world.accounts.authenticate(again.token)
    assert auth is not None
    assert (auth.account.user_name, auth.session_id, auth.kind) == (
        "Alice",
        again.session_id,
        SessionKind.API,
    )


async def test_a_password_typed_another_way_is_the_same_password(world: World) -> None:
    await world.accounts.sign_up("Zoe", "caf\u00e9 au lait 1")  # a composed é
    signed = await world.accounts.sign_in("Zoe", "cafe\u0301 au lait 1")  # e and an accent
    assert signed.account.user_name == "Zoe"


@pytest.mark.parametrize(
    ("password", "refusal"),
    [
        ("short1", TOO_SHORT),
        ("x" * (MAX_PASSWORD_LENGTH + 1), TOO_LONG),
        ("letmein123", TOO_COMMON),
        ("MyPassword", TOO_COMMON),  # the list is compared case folded
        ("i am alice, really", SAME_AS_NAME),
        (None, TOO_SHORT),
    ],
)
async def test_a_weak_password_is_refused_and_takes_no_name(
    world: World, password: object, refusal: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        await world.accounts.sign_up("Alice", password)
    assert str(refused.value) == refusal
    assert world.store.accounts == {}
    assert (await world.accounts.sign_up("Alice", PASSWORD)).account.user_name == "Alice"


async def test_every_failed_sign_in_says_the_same_after_the_same_work(world: World) -> None:
    await world.accounts.sign_up("Alice", PASSWORD)
    await world.accounts.guest("Gus")
    world.hasher.verified.clear()
    attempts: list[tuple[object, object]] = [
        ("Alice", "wrong password!"),  # a member, the wrong password
        ("Nobody", PASSWORD),  # no such account
        ("Gus", PASSWORD),  # a guest: no password at all
        ("Al\u200bice", PASSWORD),  # not even a valid name
        ("", PASSWORD),
        (None, PASSWORD),
        ("Alice", None),
        ("Alice", 12345678901),
    ]
    answers = set()
    for name, password in attempts:
        with pytest.raises(ChatError) as refused:
            await world.accounts.sign_in(name, password)
        answers.add((type(refused.value), str(refused.value)))
    assert len(answers) == 1  # one type of error, one text
    assert [text for _, text in answers] == [WRONG_CREDENTIALS]
    # One password check each: a missing account is checked against the decoy, not skipped.
    assert len(world.hasher.verified) == len(attempts)
    assert world.hasher.verified.count(True) == 3  # Alice's hash, three times


# -- rate limits --------------------------------------------------------------------------------


async def test_an_account_is_limited_whoever_tries_it(world: World) -> None:
    await world.accounts.sign_up("Alice", PASSWORD)
    await world.accounts.sign_up("Bob", PASSWORD)
    burst = ACCOUNT_SIGN_IN_BUDGET[0]
    for i in range(burst):  # each guess from another address and connection
        with pytest.raises(ChatError, match=WRONG_CREDENTIALS):
            await world.accounts.sign_in(
                "Alice", f"guess number {i}", origin=Origin(f"10.0.{i}.1", f"c{i}")
            )
    checked = len(world.hasher.verified)
    with pytest.raises(RateLimitedError) as refused:  # even the right password, in any case
        await world.accounts.sign_in("ALICE", PASSWORD, origin=Origin("10.9.9.9", "fresh"))
    assert str(refused.value) == REFUSALS[Action.SIGN_IN]
    assert len(world.hasher.verified) == checked  # refused before any hashing
    # Others are not locked out with Alice.
    assert (await world.accounts.sign_in("Bob", PASSWORD, origin=Origin("10.9.9.9", "c"))).token
    world.clock.advance(1 / ACCOUNT_SIGN_IN_BUDGET[1])  # one attempt's worth of refill
    assert (await world.accounts.sign_in("Alice", PASSWORD, origin=Origin("10.9.9.9", "d"))).token


async def test_a_name_nobody_has_is_limited_like_an_account(world: World) -> None:
    """Otherwise a refusal after the burst would tell that the name exists."""
    for i in range(ACCOUNT_SIGN_IN_BUDGET[0]):
        with pytest.raises(ChatError, match=WRONG_CREDENTIALS):
            await world.accounts.sign_in("Nobody", f"guess {i}", origin=Origin(f"10.1.{i}.1"))
    with pytest.raises(RateLimitedError, match="Too many sign-in attempts"):
        await world.accounts.sign_in("nobody", "guess again", origin=Origin("10.1.99.1"))


async def test_one_address_is_limited_across_names(world: World) -> None:
    await world.accounts.sign_up("Alice", PASSWORD)
    for i in range(IP_SIGN_IN_BUDGET[0]):  # a new name and connection each time
        with pytest.raises(ChatError, match=WRONG_CREDENTIALS):
            await world.accounts.sign_in(
                f"user{i}", PASSWORD, origin=Origin("203.0.113.7", f"c{i}")
            )
    with pytest.raises(RateLimitedError):
        await world.accounts.sign_in("Alice", PASSWORD, origin=Origin("203.0.113.7", "new"))
    # Another address is not refused for it.
    assert (await world.accounts.sign_in("Alice", PASSWORD, origin=Origin("198.51.100.1"))).token


async def test_one_connection_is_limited_across_names(world: World) -> None:
    for i in range(CONNECTION_SIGN_IN_BUDGET[0]):
        with pytest.raises(ChatError, match=WRONG_CREDENTIALS):
            await world.accounts.sign_in(f"user{i}", PASSWORD, origin=Origin(None, "tab-1"))
    with pytest.raises(RateLimitedError):
        await world.accounts.sign_in("someone", PASSWORD, origin=Origin(None, "tab-1"))


# -- guests and names ---------------------------------------------------------------------------


async def test_a_guest_has_a_name_and_no_password(world: World) -> None:
    guest = await world.accounts.guest("Gus")
    assert (guest.account.kind, guest.account.has_password) == (AccountKind.GUEST, False)
    auth = await world.auth(guest)
    assert auth.account.user_name == "Gus"
    with pytest.raises(ChatError, match=WRONG_CREDENTIALS):  # nobody signs in to a guest
        await world.accounts.sign_in("Gus", "")


@pytest.mark.parametrize("taker", ["guest", "sign_up"])
@pytest.mark.parametrize("holder", ["guest", "sign_up"])
async def test_a_claimed_name_is_nobody_else_s_in_any_case(
    world: World, holder: str, taker: str
) -> None:
    async def claim(name: str) -> SignedIn:
        if taker == "guest":
            return await world.accounts.guest(name)
        return await world.accounts.sign_up(name, PASSWORD)

    if holder == "guest":
        await world.accounts.guest("Alice")
    else:
        await world.accounts.sign_up("Alice", PASSWORD)
    for same in ("Alice", "alice", " ALICE "):
        with pytest.raises(NameTakenError) as refused:
            await claim(same)
        assert str(refused.value) == (
            f"{same.strip()} is taken. Choose another name, or sign in if it is yours."
        )
    for lookalike in (CYRILLIC_ALICE, "AIice", "\u0391lice"):
        with pytest.raises(NameTakenError) as refused:
            await claim(lookalike)
        assert str(refused.value) == (
            f"{lookalike} looks too much like Alice, who is already in this chat."
            " Choose another name."
        )
    assert list(world.store.rooms.names) == ["alice"]


@pytest.mark.parametrize(
    ("name", "refusal"),
    [
        ("Helper", "Helper is the name of a bot. Choose another name."),
        ("helper", "helper is the name of a bot. Choose another name."),
        ("HeIper", "HeIper looks too much like Helper, a bot. Choose another name."),
        ("Dep1oy Bot", "Dep1oy Bot looks too much like Deploy Bot, a bot. Choose another name."),
        ("Webhook", "Webhook is what integrations post as when they give no name."),
        ("W\u0435bhook", "W\u0435bhook is what integrations post as when they give no name."),
    ],
)
async def test_bot_and_integration_names_are_nobody_s(
    world: World, name: str, refusal: str
) -> None:
    for attempt in (world.accounts.guest(name), world.accounts.sign_up(name, PASSWORD)):
        with pytest.raises(NameTakenError) as refused:
            await attempt
        assert str(refused.value).startswith(refusal)
    assert world.store.accounts == {}


@pytest.mark.parametrize("name", ["Al\u200bice", "\u202eecilA", "Ali\u00adce", "   "])
async def test_invisible_or_blank_names_are_refused(world: World, name: str) -> None:
    with pytest.raises(ValidationError):
        await world.accounts.guest(name)
    with pytest.raises(ValidationError):
        await world.accounts.sign_up(name, PASSWORD)
    assert world.store.accounts == {}


async def test_with_guests_off_only_accounts_join(world: World) -> None:
    closed = make_world(guests=False)
    with pytest.raises(ChatError) as refused:
        await closed.accounts.guest("Gus")
    assert str(refused.value) == GUESTS_OFF
    assert closed.store.accounts == {}
    assert (await closed.accounts.sign_up("Gus", PASSWORD)).account.kind is AccountKind.MEMBER


async def test_a_failed_join_gives_a_guest_s_name_back_but_never_a_member_s(world: World) -> None:
    guest = await world.accounts.guest("Gus")
    await world.accounts.undo_guest(guest)
    assert await world.accounts.authenticate(guest.token) is None
    assert (await world.accounts.guest("gus")).account.user_name == "gus"
    member = await world.accounts.sign_up("Mia", PASSWORD)
    await world.accounts.undo_guest(member)
    assert await world.accounts.authenticate(member.token) is not None


async def test_guest_joins_spend_the_connection_s_join_budget(world: World) -> None:
    origin = Origin("192.0.2.1", "tab-1")
    for i in range(10):
        await world.accounts.guest(f"guest{i}", origin=origin)
    with pytest.raises(RateLimitedError):
        await world.accounts.guest("one more", origin=origin)
    assert "one more" not in {str(r["user_name"]) for r in world.store.accounts.values()}


# -- becoming a member, changing the password ---------------------------------------------------


async def test_a_guest_who_chooses_a_password_keeps_the_name(world: World) -> None:
    guest = await world.accounts.guest("Gus")
    auth = await world.auth(guest)
    account = await world.accounts.become_member(auth, PASSWORD)
    assert (account.user_name, account.kind, account.has_password) == (
        "Gus",
        AccountKind.MEMBER,
        True,
    )
    assert await world.accounts.authenticate(guest.token) is not None  # still signed in here
    elsewhere = await world.accounts.sign_in("gus", PASSWORD)
    assert elsewhere.account.user_name == "Gus"
    with pytest.raises(ValidationError, match="already have a password"):
        await world.accounts.become_member(auth, OTHER_PASSWORD)
    with pytest.raises(ValidationError):  # the password rules hold here too
        await world.accounts.become_member(
            await world.auth(await world.accounts.guest("Hal")), "hal-hal-hal-1"
        )


async def test_a_password_change_needs_the_current_one_and_ends_the_other_sign_ins(
    world: World,
) -> None:
    here = await world.accounts.sign_up("Alice", PASSWORD)
    phone = await world.accounts.sign_in("Alice", PASSWORD)
    console = await world.accounts.sign_in("Alice", PASSWORD, kind=SessionKind.API)
    auth = await world.auth(here)
    made = await world.accounts.create_access_token(auth, "laptop")
    with pytest.raises(ChatError) as refused:
        await world.accounts.change_password(auth, "not my password", OTHER_PASSWORD)
    assert str(refused.value) == WRONG_PASSWORD
    assert world.ended() == []
    with pytest.raises(ValidationError, match="too common"):
        await world.accounts.change_password(auth, PASSWORD, "letmein123")
    assert world.ended() == []

    await world.accounts.change_password(auth, PASSWORD, OTHER_PASSWORD)
    assert world.ended() == [SessionsEnded("Alice", (phone.session_id, console.session_id))]
    assert await world.accounts.authenticate(phone.token) is None
    assert await world.accounts.authenticate(console.token) is None
    assert await world.accounts.authenticate(here.token) is not None  # this one stays
    assert await world.accounts.authenticate(made.token) is not None  # tokens are revoked apart
    world.clock.advance(600)  # a change costs a sign-in attempt: five were spent
    with pytest.raises(ChatError, match=WRONG_CREDENTIALS):
        await world.accounts.sign_in("Alice", PASSWORD)
    assert (await world.accounts.sign_in("Alice", OTHER_PASSWORD)).token


async def test_a_guest_cannot_change_a_password_it_does_not_have(world: World) -> None:
    auth = await world.auth(await world.accounts.guest("Gus"))
    with pytest.raises(ChatError, match=WRONG_PASSWORD):
        await world.accounts.change_password(auth, "", OTHER_PASSWORD)


# -- signing out --------------------------------------------------------------------------------


async def test_sign_out_ends_this_session_only(world: World) -> None:
    here = await world.accounts.sign_up("Alice", PASSWORD)
    there = await world.accounts.sign_in("Alice", PASSWORD)
    await world.accounts.sign_out(await world.auth(here))
    assert world.ended() == [SessionsEnded("Alice", (here.session_id,))]
    assert await world.accounts.authenticate(here.token) is None
    assert await world.accounts.authenticate(there.token) is not None


async def test_sign_out_everywhere_spares_access_tokens(world: World) -> None:
    here = await world.accounts.sign_up("Alice", PASSWORD)
    api = await world.accounts.sign_in("Alice", PASSWORD, kind=SessionKind.API)
    other = await world.accounts.sign_up("Bob", PASSWORD)
    made = await world.accounts.create_access_token(await world.auth(here), "ci")
    await world.accounts.sign_out_everywhere(await world.auth(here))
    assert world.ended() == [SessionsEnded("Alice", (here.session_id, api.session_id))]
    for gone in (here, api):
        assert await world.accounts.authenticate(gone.token) is None
    assert await world.accounts.authenticate(made.token) is not None
    assert await world.accounts.authenticate(other.token) is not None
    with pytest.raises(ChatError, match=SIGNED_OUT):  # the ended session can do nothing more
        await world.accounts.update_profile(
            Authenticated(here.account, here.session_id, SessionKind.BROWSER),
            display_name="x",
            status=None,
        )


# -- access tokens ------------------------------------------------------------------------------


async def test_an_access_token_signs_in_until_it_is_revoked(world: World) -> None:
    auth = await world.auth(await world.accounts.sign_up("Alice", PASSWORD))
    made = await world.accounts.create_access_token(auth, " build server ")
    assert made.token.startswith("fcp_")
    listed = await world.accounts.access_tokens(auth)
    assert [(t.session_id, t.kind, t.label) for t in listed] == [
        (made.session_id, SessionKind.ACCESS_TOKEN, "build server")
    ]
    token_auth = await world.accounts.authenticate(made.token)
    assert token_auth is not None
    assert token_auth.kind is SessionKind.ACCESS_TOKEN
    world.clock.advance(timedelta(days=SESSION_DAYS + 5).total_seconds())  # tokens never expire
    assert await world.accounts.authenticate(made.token) is not None
    assert await world.accounts.authenticate(
        (await world.accounts.sign_in("Alice", PASSWORD)).token
    )
    auth = await world.auth(await world.accounts.sign_in("Alice", PASSWORD))
    assert await world.accounts.revoke_access_token(auth, made.session_id)
    assert world.ended()[-1] == SessionsEnded("Alice", (made.session_id,))
    assert await world.accounts.authenticate(made.token) is None
    assert not await world.accounts.revoke_access_token(auth, made.session_id)  # once
    assert await world.accounts.access_tokens(auth) == []


async def test_revoke_touches_only_one_s_own_tokens(world: World) -> None:
    alice = await world.auth(await world.accounts.sign_up("Alice", PASSWORD))
    bob_signed = await world.accounts.sign_up("Bob", PASSWORD)
    bob = await world.auth(bob_signed)
    bobs_token = await world.accounts.create_access_token(bob, "bot")
    events = len(world.ended())
    assert not await world.accounts.revoke_access_token(alice, bobs_token.session_id)
    assert not await world.accounts.revoke_access_token(bob, bob_signed.session_id)  # a sign-in
    assert len(world.ended()) == events
    assert await world.accounts.authenticate(bobs_token.token) is not None
    assert await world.accounts.authenticate(bob_signed.token) is not None


async def test_who_may_make_access_tokens(world: World) -> None:
    guest = await world.auth(await world.accounts.guest("Gus"))
    with pytest.raises(ValidationError) as refused:
        await world.accounts.create_access_token(guest, "bot")
    assert str(refused.value) == MEMBERS_ONLY
    member = await world.auth(await world.accounts.sign_up("Alice", PASSWORD))
    token_auth = await world.auth(await world.accounts.create_access_token(member, "ci"))
    with pytest.raises(ValidationError, match="cannot make more tokens"):
        await world.accounts.create_access_token(token_auth, "another")
    for label in ("", "   ", "x" * 41, "bell\x07", "ci\u202e"):
        with pytest.raises(ValidationError):
            await world.accounts.create_access_token(member, label)
    assert len(await world.accounts.access_tokens(member)) == 1


async def test_at_most_max_access_tokens(world: World) -> None:
    auth = await world.auth(await world.accounts.sign_up("Alice", PASSWORD))
    made = []
    for i in range(MAX_ACCESS_TOKENS):
        world.clock.advance(10)  # the profile budget refills: this test is about the cap
        made.append(await world.accounts.create_access_token(auth, f"t{i}"))
    world.clock.advance(10)
    with pytest.raises(ValidationError, match=f"You have {MAX_ACCESS_TOKENS} tokens already"):
        await world.accounts.create_access_token(auth, "one more")
    assert await world.accounts.revoke_access_token(auth, made[0].session_id)
    assert (await world.accounts.create_access_token(auth, "one more")).token


# -- authenticate -------------------------------------------------------------------------------


async def test_forged_ended_and_expired_tokens_prove_nothing(world: World) -> None:
    signed = await world.accounts.sign_up("Alice", PASSWORD)
    assert await world.accounts.authenticate(signed.token) is not None
    flipped = signed.token[:-1] + ("A" if signed.token[-1] != "A" else "B")
    for forged in (
        flipped,
        "fcs_" + "A" * 43,  # the right shape
        signed.token.replace("fcs_", "fcp_"),  # the secret under the other kind
        token_hash(signed.token),  # what the store keeps is no token
        signed.token + " ",
        signed.token.upper(),
    ):
        assert await world.accounts.authenticate(forged) is None
    for junk in (None, 42, b"fcs_abc", ["fcs_"], "", "fcs_" + "a" * 500, "fcs_\u00e9"):
        assert await world.accounts.authenticate(junk) is None

    # Used now and then, a browser session lasts; left alone for SESSION_DAYS, it expires.
    world.clock.advance(timedelta(days=SESSION_DAYS - 1).total_seconds())
    assert await world.accounts.authenticate(signed.token) is not None
    world.clock.advance(timedelta(days=SESSION_DAYS - 1).total_seconds())
    assert await world.accounts.authenticate(signed.token) is not None
    world.clock.advance(timedelta(days=SESSION_DAYS, seconds=1).total_seconds())
    assert await world.accounts.authenticate(signed.token) is None
    assert await world.accounts.still_signed_in([signed.session_id]) == set()


@st.composite
def token_like(draw: st.DrawFn) -> str:
    body = draw(st.text(max_size=60))
    return draw(st.sampled_from(["", "fcs_", "fcp_", "FCS_"])) + body


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), token_like()))
async def test_arbitrary_text_never_authenticates(text: str) -> None:
    world = make_world()
    signed = await world.accounts.sign_up("Alice", PASSWORD)
    assert await world.accounts.authenticate(text) is None or text == signed.token


# -- tokens from before accounts ----------------------------------------------------------------


async def claimed_before_accounts(world: World, name: str) -> None:
    """What migration 0008 leaves of a name claimed before it: a guest account, no session."""
    assert (
        await world.store.create_account(
            name, name_skeleton(name), kind=AccountKind.GUEST, password_hash=None, role=Role.MEMBER
        )
        is None
    )


async def test_a_legacy_token_opens_its_guest_s_first_session_once(world: World) -> None:
    await claimed_before_accounts(world, "Ann")
    old = world.signer.issue("Ann")
    redeemed = await world.accounts.redeem_legacy_token(old, SessionKind.BROWSER)
    assert redeemed is not None
    assert redeemed.account.user_name == "Ann"
    assert redeemed.token.startswith("fcs_")
    auth = await world.accounts.authenticate(redeemed.token)
    assert auth is not None
    assert auth.session_id == redeemed.session_id
    # A copy of the old token (another tab, a thief) opens nothing more, even once signed out.
    assert await world.accounts.redeem_legacy_token(old, SessionKind.API) is None
    await world.accounts.sign_out(auth)
    assert await world.accounts.redeem_legacy_token(old, SessionKind.BROWSER) is None


async def test_concurrent_redemptions_of_one_legacy_token_open_one_session(world: World) -> None:
    await claimed_before_accounts(world, "Ann")
    old = world.signer.issue("Ann")
    results = await asyncio.gather(
        *(world.accounts.redeem_legacy_token(old, SessionKind.BROWSER) for _ in range(5))
    )
    assert sum(r is not None for r in results) == 1


async def test_a_legacy_token_never_opens_an_account_with_a_password(world: World) -> None:
    await claimed_before_accounts(world, "Ann")
    await world.accounts.sign_up("Mia", PASSWORD)
    old_ann = world.signer.issue("Ann")
    # Ann chose a password before her old browser came back: only the password opens it now.
    ann = await world.store.credentials("Ann")
    assert ann is not None
    await world.store.set_password(
        "Ann", await world.hasher.hash(PASSWORD), kind=AccountKind.MEMBER
    )
    assert await world.accounts.redeem_legacy_token(old_ann, SessionKind.BROWSER) is None
    assert (
        await world.accounts.redeem_legacy_token(world.signer.issue("Mia"), SessionKind.BROWSER)
        is None
    )


async def test_forged_or_foreign_legacy_tokens_open_nothing(world: World) -> None:
    await claimed_before_accounts(world, "Ann")
    for token in (
        IdentitySigner("another key " * 4).issue("Ann"),
        world.signer.issue("Nobody"),  # a name nobody has is not created
        world.signer.issue("Ann") + "x",
        None,
        "",
    ):
        assert await world.accounts.redeem_legacy_token(token, SessionKind.BROWSER) is None
    assert list(world.store.rooms.names) == ["ann"]
    assert world.store.sessions == {}


# -- roles --------------------------------------------------------------------------------------


async def test_without_a_list_the_first_member_is_the_admin(world: World) -> None:
    early_guest = await world.accounts.guest("Early")
    first = await world.accounts.sign_up("Alice", PASSWORD)
    second = await world.accounts.sign_up("Bob", PASSWORD)
    assert (first.account.role, second.account.role) == (Role.ADMIN, Role.MEMBER)
    assert early_guest.account.role is Role.MEMBER
    # A guest older than Alice who chooses a password now does not take the role over.
    account = await world.accounts.become_member(await world.auth(early_guest), OTHER_PASSWORD)
    assert account.role is Role.MEMBER
    await world.accounts.settle_roles()  # as at each start
    assert [await world.accounts.is_admin(n) for n in ("alice", "Bob", "Early", "Nobody")] == [
        True,
        False,
        False,
        False,
    ]


async def test_a_guest_alone_is_no_admin(world: World) -> None:
    await world.accounts.guest("Gus")
    await world.accounts.settle_roles()
    assert not await world.accounts.is_admin("Gus")


async def test_the_configured_admins_and_nobody_else(world: World) -> None:
    listed = make_world(admins=["bob", "Carol"])
    alice = await listed.accounts.sign_up("Alice", PASSWORD)
    assert alice.account.role is Role.MEMBER  # first, but not on the list
    bob = await listed.accounts.sign_up("Bob", PASSWORD)
    assert bob.account.role is Role.ADMIN
    # An admin from a previous configuration (Alice, first member, before the list was set).
    await listed.store.set_admins(["Alice"])
    await listed.accounts.settle_roles()
    assert [await listed.accounts.is_admin(n) for n in ("Alice", "Bob")] == [False, True]
    nobody = make_world(admins=[])
    await nobody.accounts.sign_up("Alice", PASSWORD)
    assert not await nobody.accounts.is_admin("Alice")


# -- profiles -----------------------------------------------------------------------------------


async def test_profile_limits(world: World) -> None:
    auth = await world.auth(await world.accounts.sign_up("Alice", PASSWORD))
    longest_name, longest_status = "D" * MAX_DISPLAY_NAME_LENGTH, "s" * MAX_STATUS_LENGTH
    updated = await world.accounts.update_profile(
        auth, display_name=f"  {longest_name} ", status=longest_status
    )
    assert (updated.profile.display_name, updated.profile.status) == (longest_name, longest_status)
    assert world.bus.other[-1] == ProfileChanged("Alice", updated.profile)
    refused = [
        {"display_name": "D" * (MAX_DISPLAY_NAME_LENGTH + 1), "status": None},
        {"display_name": None, "status": "s" * (MAX_STATUS_LENGTH + 1)},
        {"display_name": "\u202eecilA", "status": None},  # reversed to pass for someone
        {"display_name": "Ali\u200bce", "status": None},
        {"display_name": None, "status": "away\u2066 now"},
        {"display_name": None, "status": "a bell\x07"},
        {"display_name": "nul\x00", "status": None},
    ]
    for fields in refused:
        with pytest.raises(ValidationError):
            await world.accounts.update_profile(auth, **fields)  # type: ignore[arg-type]
    account = await world.accounts.account("Alice")
    assert account is not None
    assert account.profile == updated.profile  # nothing half-written
    changes = [e for e in world.bus.other if isinstance(e, ProfileChanged)]
    assert len(changes) == 1  # and nothing announced
    # Line breaks and tabs are spaces on one line, as in names.
    one_line = await world.accounts.update_profile(auth, display_name=None, status="two\n\tlines")
    assert one_line.profile.status == "two lines"
    cleared = await world.accounts.update_profile(auth, display_name="  ", status=None)
    assert (cleared.profile.display_name, cleared.profile.status) == (None, None)
    assert await world.accounts.profiles(["alice", "Nobody"]) == {"alice": cleared.profile}


async def test_an_avatar_gets_a_new_version_each_time(world: World) -> None:
    auth = await world.auth(await world.accounts.sign_up("Alice", PASSWORD))
    first = await world.accounts.set_avatar(auth, b"png one")
    second = await world.accounts.set_avatar(auth, b"png two")
    assert (first.profile.avatar_version, second.profile.avatar_version) == (1, 2)
    assert await world.accounts.avatar("alice") == (2, b"png two")
    removed = await world.accounts.set_avatar(auth, None)
    assert removed.profile.avatar_version == 0  # initials again
    assert await world.accounts.avatar("Alice") is None
    assert [e.profile.avatar_version for e in world.bus.other if isinstance(e, ProfileChanged)] == [
        1,
        2,
        0,
    ]


# -- the argon2id hasher ------------------------------------------------------------------------

_ENCODED = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


async def test_argon2_parameters_meet_owasp_s_minimum() -> None:
    encoded = await Argon2Hasher().hash(PASSWORD)
    found = _ENCODED.match(encoded)
    assert found is not None, encoded
    memory_kib, passes, lanes = (int(g) for g in found.groups())
    # OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 degree of parallelism.
    assert memory_kib >= 19456
    assert passes >= 2
    assert lanes >= 1
    assert PASSWORD not in encoded


async def test_argon2_verifies_and_takes_the_decoy_for_a_missing_hash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hasher = Argon2Hasher()
    encoded = await hasher.hash(PASSWORD)
    checked: list[str] = []
    real_verify = RawArgon2.verify

    def spy(self: RawArgon2, stored: str, password: str) -> bool:
        checked.append(stored)
        return real_verify(self, stored, password)

    monkeypatch.setattr(RawArgon2, "verify", spy)
    assert await hasher.verify(encoded, PASSWORD)
    assert not await hasher.verify(encoded, OTHER_PASSWORD)
    # No account, or no password: a real argon2 check all the same, against the decoy.
    assert not await hasher.verify(None, PASSWORD)
    assert not await hasher.verify(None, "a decoy that matches nothing")  # the decoy's own text
    assert not await hasher.verify("not a hash at all", PASSWORD)
    assert checked[:2] == [encoded, encoded]
    assert len(checked) == 5
    decoys = checked[2:4]
    assert decoys[0] == decoys[1]
    assert _ENCODED.match(decoys[0])  # as costly as a real hash: same parameters
    assert _ENCODED.match(decoys[0]).groups() == _ENCODED.match(encoded).groups()  # type: ignore[union-attr]


async def test_argon2_asks_for_a_rehash_of_a_weaker_hash() -> None:
    hasher = Argon2Hasher()
    weak = await Argon2Hasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
    assert hasher.needs_rehash(weak)
    assert not hasher.needs_rehash(await hasher.hash(PASSWORD))
    assert hasher.needs_rehash("$2b$12$not-even-argon2")


async def test_a_sign_in_with_a_weak_hash_stores_a_strong_one() -> None:
    world = make_world()
    hasher = Argon2Hasher()
    service = AccountService(
        world.store,
        hasher,
        RateLimits(LocalRateLimiter()),
        world.bus,
        ReservedNames(),
        clock=world.clock.wall,
    )
    weak = await Argon2Hasher(time_cost=1, memory_cost=8 * 1024).hash(PASSWORD)
    await world.store.create_account(
        "Old", name_skeleton("Old"), kind=AccountKind.MEMBER, password_hash=weak, role=Role.MEMBER
    )
    await service.sign_in("Old", PASSWORD)
    stored = await world.store.credentials("Old")
    assert stored is not None
    assert stored.password_hash is not None
    assert stored.password_hash != weak
    assert not hasher.needs_rehash(stored.password_hash)
    assert (await service.sign_in("Old", PASSWORD)).account.user_name == "Old"


async def test_argon2_end_to_end_failures_look_alike() -> None:
    world = make_world()
    service = AccountService(
        world.store,
        Argon2Hasher(),
        RateLimits(LocalRateLimiter()),
        world.bus,
        ReservedNames(),
    )
    await service.sign_up("Alice", PASSWORD)
    assert (await service.sign_in("alice", PASSWORD)).account.user_name == "Alice"
    texts = set()
    for name, password in (("Alice", OTHER_PASSWORD), ("Nobody", PASSWORD)):
        with pytest.raises(ChatError) as refused:
            await service.sign_in(name, password)
        texts.add(str(refused.value))
    assert texts == {WRONG_CREDENTIALS}


async def test_argon2_runs_off_the_loop_a_few_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = Argon2Hasher(max_concurrent=2)
    lock = threading.Lock()
    running, most, on_loop = 0, 0, []
    real_hash = RawArgon2.hash
    loop_thread = threading.get_ident()

    def spy(self: RawArgon2, password: str | bytes, **kwargs: object) -> str:
        nonlocal running, most
        on_loop.append(threading.get_ident() == loop_thread)
        with lock:
            running += 1
            most = max(most, running)
        try:
            return real_hash(self, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(RawArgon2, "hash", spy)
    await asyncio.gather(*(hasher.hash(f"{PASSWORD} {i}") for i in range(6)))
    assert on_loop == [False] * 6
    assert most <= 2


# -- accounts from a sign-in provider --------------------------------------------------------------


async def test_a_provider_s_user_gets_one_account_named_from_their_preferred_name(
    world: World,
) -> None:
    await world.accounts.sign_up("alice", PASSWORD)  # the name is someone else's already
    first = await world.accounts.sign_in_external("corp", "user-1", "alice")
    assert first.account.user_name == "alice2"
    assert first.account.kind is AccountKind.MEMBER
    assert not first.account.has_password
    again = await world.accounts.sign_in_external("corp", "user-1", "Someone Else Now")
    assert again.account.user_name == "alice2"  # the subject decides, not the name
    assert again.session_id != first.session_id
    other = await world.accounts.sign_in_external("other", "user-1", "alice")
    assert other.account.user_name == "alice3"  # the same subject at another provider


async def test_provider_sign_ins_cost_the_address_s_sign_in_budget(world: World) -> None:
    await world.accounts.sign_in_external("corp", "user-1", "Carol")  # the account exists
    for i in range(IP_SIGN_IN_BUDGET[0]):
        await world.accounts.sign_in_external(
            "corp", "user-1", "Carol", origin=Origin("203.0.113.7", f"c{i}")
        )
    with pytest.raises(RateLimitedError, match=re.escape(REFUSALS[Action.SIGN_IN])):
        await world.accounts.sign_in_external(
            "corp", "user-1", "Carol", origin=Origin("203.0.113.7", "new")
        )
    assert await world.accounts.sign_in_external(
        "corp", "user-1", "Carol", origin=Origin("10.1.1.1")
    )


async def test_new_accounts_from_a_provider_cost_the_address_s_sign_up_budget(
    world: World,
) -> None:
    for i in range(IP_SIGN_UP_BUDGET[0]):
        await world.accounts.sign_in_external(
            "corp", f"user-{i}", f"person{i}", origin=Origin("203.0.113.8", f"c{i}")
        )
    with pytest.raises(RateLimitedError, match=re.escape(REFUSALS[Action.SIGN_UP])):
        await world.accounts.sign_in_external(
            "corp", "user-new", "newcomer", origin=Origin("203.0.113.8", "new")
        )
    assert await world.accounts.account("newcomer") is None  # nothing half-made
    # Someone who has an account already still gets in from there.
    assert await world.accounts.sign_in_external(
        "corp", "user-0", "person0", origin=Origin("203.0.113.8", "back")
    )


async def test_a_sign_in_of_an_account_banned_from_the_chat_keeps_no_session() -> None:
    # The ban is checked once the new session exists: a ban from before ends it here, and a
    # ban landing after the check finds it among the account's sessions and ends it there.
    banned = {"now": False}

    async def is_banned(name: str) -> bool:
        return banned["now"]

    world = make_world(is_banned=is_banned)
    await world.accounts.sign_up("Alice", PASSWORD)
    banned["now"] = True
    with pytest.raises(UnauthorizedError, match=BANNED):
        await world.accounts.sign_in("Alice", PASSWORD)
    newest = max(world.store.sessions)
    assert world.store.sessions[newest]["ended_at"] is not None
    assert world.ended()[-1].session_ids == (newest,)


async def test_a_guest_join_that_fails_after_its_write_gives_the_name_back() -> None:
    # The account and its session are written together; if the ban check after them fails,
    # nobody holds the session and a guest has no password: the name must be free again.
    failing = {"now": True}

    async def is_banned(name: str) -> bool:
        if failing["now"]:
            raise ConnectionError("database unreachable")
        return False

    world = make_world(is_banned=is_banned)
    with pytest.raises(ConnectionError):
        await world.accounts.guest("Gus")
    assert world.store.accounts == {}
    assert world.store.sessions == {}
    failing["now"] = False
    assert (await world.accounts.guest("gus")).account.user_name == "gus"


async def test_a_guest_under_a_configured_admin_s_name_is_no_admin() -> None:
    # FLET_CHAT_ADMINS names accounts; a guest who takes one of those names first (no
    # password needed) must not become the admin when the roles are settled.
    listed = make_world(admins=["Root"])
    squatter = await listed.accounts.guest("root")
    await listed.accounts.sign_up("Alice", PASSWORD)  # settles the roles
    await listed.accounts.settle_roles()  # as at each start
    assert not await listed.accounts.is_admin("root")
    assert (await listed.auth(squatter)).account.role is Role.MEMBER
