"""Look-alike names: the confusable skeleton, invisible characters, and what is refused because
of them: AccountService's claims (guests and sign-ups, bots' names) and ChatService's posts (an
integration posting under a person's name)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.accounts.service import AccountService
from flet_chat.core.errors import NameTakenError, ValidationError
from flet_chat.core.models import AuthorKind
from flet_chat.core.names import ReservedNames, invisible_character, name_skeleton, skeleton
from flet_chat.core.service import ChatService
from tests.unit.fakes import (
    MemoryAccountStore,
    MemoryRoomStore,
    MemoryStore,
    PlainHasher,
    RecordingBus,
    message_limits,
)

CYRILLIC_ALICE = "\u0410lice"  # a Cyrillic capital A
GREEK_ALICE = "\u0391lice"  # a Greek capital alpha
CAPITAL_I_HELPER = "HeIper"
FULLWIDTH_HELPER = "\uff28elper"
COMPOSED = "Alic\u00e9"
DECOMPOSED = "Alice\u0301"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Alice", CYRILLIC_ALICE),
        ("Alice", GREEK_ALICE),
        ("Alice", "AIice"),  # a capital i passes for a small L
        ("Alice", "alice"),
        ("Helper", CAPITAL_I_HELPER),
        ("Helper", FULLWIDTH_HELPER),
        ("Deploy Bot", "Deploy  Bot"),
        ("Deploy Bot", "deploy\u00a0bot"),  # a no-break space
        ("DeployBot", "Deploy\u200bBot"),  # invisible characters do not count
        (COMPOSED, DECOMPOSED),
        ("Sam", "Sarn"),  # "rn" looks like "m"
        ("Bob1", "Bobl"),
        ("paypal", "\u0440\u0430yp\u0430l"),  # Cyrillic r and a
    ],
)
def test_look_alikes_share_a_skeleton(a: str, b: str) -> None:
    assert name_skeleton(a) == name_skeleton(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("Alice", "Alicia"), ("Alice", COMPOSED), ("Bob", "Rob"), ("Deploy Bot", "DeployBot")],
)
def test_different_names_have_different_skeletons(a: str, b: str) -> None:
    assert name_skeleton(a) != name_skeleton(b)


def test_skeleton_is_the_uts39_one() -> None:
    # The examples of UTS #39 (section 4): a Latin and a Cyrillic "paypal", and "rn" for "m".
    assert skeleton("\u0440\u0430yp\u0430l") == skeleton("paypal") == "paypal"
    assert skeleton("m") == "rn"
    assert skeleton("l") == skeleton("1") == skeleton("I") == "l"


@given(
    st.text(max_size=30),
    st.integers(min_value=0, max_value=30),
    st.sampled_from("\u200b\u200d\u2060\ufeff\u202e\u200e"),
)
def test_an_invisible_character_never_changes_a_skeleton(text: str, at: int, hidden: str) -> None:
    # What is_bot and the webhook check rely on: a raw name, before it is cleaned.
    assert name_skeleton(text[:at] + hidden + text[at:]) == name_skeleton(text)


@pytest.mark.parametrize(
    "name",
    [
        "Al\u200bice",  # zero-width space
        "\u200dAlice",  # zero-width joiner, not between emoji
        "Ali\u200cce",  # zero-width non-joiner
        "Ali\u2060ce",  # word joiner
        "\ufeffAlice",  # byte order mark
        "Alice\u200e",  # left-to-right mark
        "Alice\u200f",  # right-to-left mark
        "\u202eecilA",  # right-to-left override
        "\u202aAlice\u202c",  # embedding and pop
        "\u2066Alice\u2069",  # isolates
        "Alice\u061c",  # Arabic letter mark
        "Ali\u00adce",  # soft hyphen
        "Ali\u034fce",  # combining grapheme joiner
        "\u3164",  # Hangul filler: a blank name
        "Alice\U000e0041",  # a tag character
        "Ali\ufe0fce",  # a presentation selector after a letter
        "\u2800",  # braille blank
        "a\u200db",  # a joiner between letters
    ],
)
def test_invisible_and_bidi_characters_are_found(name: str) -> None:
    assert invisible_character(name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "Dev \U0001f469\u200d\U0001f4bb",  # woman technologist
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag: selector, then joiner
        "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # with a skin tone
        "\u2764\ufe0f\u200d\U0001f525",  # heart on fire
        "1\ufe0f\u20e3",  # keycap one
        "Zo\u00eb \u05e9\u05dc\u05d5\u05dd",  # Hebrew needs no bidi controls
    ],
)
def test_emoji_sequences_keep_their_joiners(name: str) -> None:
    assert invisible_character(name) is None


@pytest.mark.parametrize(
    "name", ["\U0001f469\u200d", "\u200d\U0001f4bb", "A\u200d\U0001f4bb", "\U0001f469\u200dB"]
)
def test_a_joiner_must_sit_between_two_emoji(name: str) -> None:
    assert invisible_character(name) == "\u200d"


# -- claims (AccountService) and posts (ChatService) ---------------------------------------------

PASSWORD = "correct horse battery"


@pytest.fixture
def rooms() -> MemoryRoomStore:
    return MemoryRoomStore()


@pytest.fixture
def reserved() -> ReservedNames:
    names = ReservedNames()
    names.reserve(["Helper", "Deploy Bot"])
    return names


@pytest.fixture
def accounts(rooms: MemoryRoomStore, reserved: ReservedNames) -> AccountService:
    return AccountService(
        MemoryAccountStore(rooms),
        PlainHasher(),
        message_limits(100, 100.0),
        RecordingBus([]),
        reserved,
    )


@pytest.fixture
def service(rooms: MemoryRoomStore, reserved: ReservedNames) -> ChatService:
    return ChatService(
        MemoryStore([]),
        RecordingBus([]),
        message_limits(100, 100.0),
        LocalPresence(),
        rooms,
        reserved=reserved,
    )


@pytest.mark.parametrize("lookalike", [CYRILLIC_ALICE, GREEK_ALICE, "AIice"])
async def test_a_look_alike_of_a_claimed_name_is_refused(
    accounts: AccountService, lookalike: str
) -> None:
    await accounts.guest("Alice")
    with pytest.raises(NameTakenError, match=f"{lookalike} looks too much like Alice"):
        await accounts.guest(lookalike)
    with pytest.raises(NameTakenError, match=f"{lookalike} looks too much like Alice"):
        await accounts.sign_up(lookalike, PASSWORD)  # a password does not make it another name


async def test_a_decomposed_name_is_the_composed_one(accounts: AccountService) -> None:
    signed = await accounts.sign_up(COMPOSED, PASSWORD)
    with pytest.raises(NameTakenError, match="is taken"):
        await accounts.guest(DECOMPOSED)
    # Its owner signs in typing it either way, and is the name as it was claimed.
    assert (await accounts.sign_in(DECOMPOSED, PASSWORD)).account.user_name == COMPOSED
    assert signed.account.user_name == COMPOSED


async def test_the_owner_comes_back_in_any_case(accounts: AccountService) -> None:
    await accounts.sign_up("Alice", PASSWORD)
    for typed in ("ALICE", "alice"):
        assert (await accounts.sign_in(typed, PASSWORD)).account.user_name == "Alice"


async def test_a_guest_s_name_stays_theirs_while_their_session_lives(
    accounts: AccountService, service: ChatService
) -> None:
    ann = await accounts.guest("Ann")
    await service.join("Ann", "tab-1")
    assert await service.leave("Ann", "tab-1") is not None  # gone from the chat...
    with pytest.raises(NameTakenError, match="ann is taken"):
        await accounts.guest("ann")  # ...but the name is still hers
    back = await accounts.authenticate(ann.token)  # her browser comes back with its token
    assert back is not None
    assert back.account.user_name == "Ann"


@pytest.mark.parametrize(
    ("raw", "bot"),
    [
        (FULLWIDTH_HELPER, "Helper"),
        (CAPITAL_I_HELPER, "Helper"),
        ("helper", "Helper"),
        ("Deploy  Bot", "Deploy Bot"),
        ("Dep1oy Bot", "Deploy Bot"),
    ],
)
async def test_nobody_takes_a_look_alike_of_a_bot(
    accounts: AccountService, service: ChatService, raw: str, bot: str
) -> None:
    assert service.is_bot(raw)
    with pytest.raises(NameTakenError, match=r"a bot\. Choose another name\.") as refused:
        await accounts.guest(raw)
    assert bot in str(refused.value) or "is the name of a bot" in str(refused.value)
    with pytest.raises(NameTakenError, match=r"a bot\. Choose another name\."):
        await accounts.sign_up(raw, PASSWORD)
    with pytest.raises(NameTakenError):  # nor posts as one, not being that bot
        await service.post(raw, "beep", author_kind=AuthorKind.INTEGRATION)


async def test_an_invisible_character_cannot_pass_for_a_bot(
    accounts: AccountService, service: ChatService
) -> None:
    assert service.is_bot("Deploy\u200b Bot")
    with pytest.raises(ValidationError, match="invisible"):
        await accounts.guest("Deploy\u200b Bot")


async def test_an_integration_never_posts_under_a_person_s_name(
    accounts: AccountService, service: ChatService
) -> None:
    await accounts.guest("Alice")
    for name in ("Alice", "alice", CYRILLIC_ALICE, "AIice"):
        with pytest.raises(NameTakenError, match="An integration needs a name of its own"):
            await service.post(name, "deploy done", author_kind=AuthorKind.INTEGRATION)
    posted = await service.post("CI", "deploy done", author_kind=AuthorKind.INTEGRATION)
    assert posted.user_name == "CI"
    assert (await service.post("Webhook", "hi", author_kind=AuthorKind.INTEGRATION)).user_name


async def test_nobody_takes_the_default_integration_s_name(accounts: AccountService) -> None:
    for name in ("Webhook", "webhook", "W\u0435bhook"):  # the last with a Cyrillic e
        with pytest.raises(NameTakenError, match="integrations post as"):
            await accounts.guest(name)
        with pytest.raises(NameTakenError, match="integrations post as"):
            await accounts.sign_up(name, PASSWORD)


async def test_a_refused_look_alike_leaves_the_name_free(
    accounts: AccountService, rooms: MemoryRoomStore
) -> None:
    await accounts.guest("Alice")
    with pytest.raises(NameTakenError):
        await accounts.guest(CYRILLIC_ALICE)
    assert list(rooms.names) == ["alice"]
