"""Look-alike names: the confusable skeleton, invisible characters, and what ChatService refuses
because of them (joins, bots' names, an integration posting under a person's name)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flet_chat.bus.presence import LocalPresence
from flet_chat.core.errors import NameTakenError, ValidationError
from flet_chat.core.models import AuthorKind
from flet_chat.core.names import invisible_character, name_skeleton, skeleton
from flet_chat.core.service import ChatService
from tests.unit.fakes import MemoryRoomStore, MemoryStore, RecordingBus, message_limits

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


# -- ChatService --------------------------------------------------------------------------------


@pytest.fixture
def rooms() -> MemoryRoomStore:
    return MemoryRoomStore()


@pytest.fixture
def service(rooms: MemoryRoomStore) -> ChatService:
    chat = ChatService(
        MemoryStore([]),
        RecordingBus([]),
        message_limits(100, 100.0),
        LocalPresence(),
        rooms,
    )
    chat.reserve_names(["Helper", "Deploy Bot"])
    return chat


@pytest.mark.parametrize("lookalike", [CYRILLIC_ALICE, GREEK_ALICE, "AIice"])
async def test_a_look_alike_of_a_claimed_name_is_refused(
    service: ChatService, lookalike: str
) -> None:
    await service.join("Alice", "tab-1")
    with pytest.raises(NameTakenError, match=f"{lookalike} looks too much like Alice"):
        await service.join(lookalike, "tab-2")
    with pytest.raises(NameTakenError):  # a token for Alice does not make a look-alike hers
        await service.join(lookalike, "tab-3", proven=True)


async def test_a_decomposed_name_is_the_composed_one(service: ChatService) -> None:
    name, _ = await service.join(COMPOSED, "tab-1")
    with pytest.raises(NameTakenError, match="is taken"):
        await service.join(DECOMPOSED, "tab-2")
    assert (await service.join(DECOMPOSED, "tab-3", proven=True))[0] == name


async def test_the_owner_comes_back_in_any_case(service: ChatService) -> None:
    await service.join("Alice", "tab-1")
    assert (await service.join("ALICE", "tab-2", proven=True))[0] == "ALICE"
    assert (await service.join("alice", "tab-3", proven=True))[0] == "alice"


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
async def test_nobody_joins_as_a_look_alike_of_a_bot(
    service: ChatService, raw: str, bot: str
) -> None:
    assert service.is_bot(raw)
    with pytest.raises(NameTakenError, match=r"a bot\. Choose another name\.") as refused:
        await service.join(raw, "tab-1")
    assert bot in str(refused.value) or "is the name of a bot" in str(refused.value)
    with pytest.raises(NameTakenError):  # nor posts as one, not being that bot
        await service.post(raw, "beep", author_kind=AuthorKind.INTEGRATION)


async def test_an_invisible_character_cannot_pass_for_a_bot(service: ChatService) -> None:
    assert service.is_bot("Deploy\u200b Bot")
    with pytest.raises(ValidationError, match="invisible"):
        await service.join("Deploy\u200b Bot", "tab-1")


async def test_an_integration_never_posts_under_a_person_s_name(service: ChatService) -> None:
    await service.join("Alice", "tab-1")
    for name in ("Alice", "alice", CYRILLIC_ALICE, "AIice"):
        with pytest.raises(NameTakenError, match="An integration needs a name of its own"):
            await service.post(name, "deploy done", author_kind=AuthorKind.INTEGRATION)
    posted = await service.post("CI", "deploy done", author_kind=AuthorKind.INTEGRATION)
    assert posted.user_name == "CI"
    assert (await service.post("Webhook", "hi", author_kind=AuthorKind.INTEGRATION)).user_name


async def test_nobody_joins_as_the_default_integration(service: ChatService) -> None:
    for name in ("Webhook", "webhook", "W\u0435bhook"):  # the last with a Cyrillic e
        with pytest.raises(NameTakenError, match="integrations post as"):
            await service.join(name, "tab-1")


async def test_a_refused_look_alike_leaves_the_name_free(
    service: ChatService, rooms: MemoryRoomStore
) -> None:
    await service.join("Alice", "tab-1")
    with pytest.raises(NameTakenError):
        await service.join(CYRILLIC_ALICE, "tab-2")
    assert list(rooms.names) == ["alice"]
