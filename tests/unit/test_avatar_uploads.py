"""Avatar uploads in the core: the upload proves its account session with a signed, short-lived
ticket, which is worthless forged, expired, for another server or after a sign-out; and the
session and the budget are checked before the upload is decoded."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer

from flet_chat.core.accounts.models import Authenticated, SessionKind
from flet_chat.core.accounts.service import AccountService
from flet_chat.core.accounts.tickets import UploadTickets
from flet_chat.core.errors import ChatError, RateLimitedError
from flet_chat.core.events import ProfileChanged
from flet_chat.core.names import ReservedNames
from flet_chat.core.rate_limit import LocalRateLimiter, RateLimits
from tests.unit.fakes import (
    MemoryAccountStore,
    MemoryRoomStore,
    PlainHasher,
    RecordingBus,
    message_limits,
)

SECRET = "s" * 48


def accounts(
    tickets: UploadTickets | None = None,
    *,
    limits: RateLimits | None = None,
    journal: list[str] | None = None,
) -> AccountService:
    return AccountService(
        MemoryAccountStore(MemoryRoomStore()),
        PlainHasher(),
        limits or message_limits(100, 100.0),
        RecordingBus(journal if journal is not None else []),
        ReservedNames(),
        upload_tickets=tickets or UploadTickets(SECRET),
    )


async def signed_in(service: AccountService, name: str = "ann") -> Authenticated:
    signed = await service.sign_up(name, "correct horse battery")
    return Authenticated(signed.account, signed.session_id, SessionKind.BROWSER)


async def test_a_ticket_stands_for_the_session_that_asked_for_it() -> None:
    service = accounts()
    auth = await signed_in(service)
    redeemed = await service.redeem_upload_ticket(service.upload_ticket(auth))
    assert redeemed is not None
    assert (redeemed.account.user_name, redeemed.session_id, redeemed.kind) == (
        "ann",
        auth.session_id,
        SessionKind.BROWSER,
    )


async def test_a_ticket_is_worthless_once_its_session_ended() -> None:
    service = accounts()
    auth = await signed_in(service)
    ticket = service.upload_ticket(auth)
    await service.sign_out(auth)
    assert await service.redeem_upload_ticket(ticket) is None


async def test_forged_foreign_and_junk_tickets_are_refused() -> None:
    service = accounts()
    auth = await signed_in(service)
    ticket = service.upload_ticket(auth)
    other_server = UploadTickets("t" * 48).issue("ann", auth.session_id, SessionKind.BROWSER)
    # The right key but another purpose (salt): an identity token is no upload ticket.
    other_purpose = URLSafeTimedSerializer(SECRET, salt="flet-chat.identity.v1").dumps(
        {"n": "ann", "s": auth.session_id, "k": "browser"}
    )
    tampered = ticket[:-2] + ("AA" if not ticket.endswith("AA") else "BB")
    for bad in (other_server, other_purpose, tampered, "", None, 42, "x" * 10_000):
        assert await service.redeem_upload_ticket(bad) is None, bad


async def test_an_expired_ticket_is_refused() -> None:
    expired = UploadTickets(SECRET, max_age=-1)  # every ticket is already too old to use
    service = accounts(expired)
    auth = await signed_in(service)
    assert await service.redeem_upload_ticket(service.upload_ticket(auth)) is None


async def test_a_ticket_for_another_accounts_session_names_that_account_only() -> None:
    """The name and session id are signed together: a ticket cannot be re-pointed at
    someone else's account (the payload is not editable without the key)."""
    service = accounts()
    ann, bob = await signed_in(service, "ann"), await signed_in(service, "bob")
    redeemed = await service.redeem_upload_ticket(service.upload_ticket(bob))
    assert redeemed is not None
    assert redeemed.account.user_name == "bob"
    assert redeemed.session_id != ann.session_id


async def test_without_tickets_configured_no_ticket_is_issued_or_taken() -> None:
    service = AccountService(
        MemoryAccountStore(MemoryRoomStore()),
        PlainHasher(),
        message_limits(100, 100.0),
        RecordingBus([]),
        ReservedNames(),
    )
    auth = await signed_in(service)
    with pytest.raises(ChatError):
        service.upload_ticket(auth)
    assert (
        await service.redeem_upload_ticket(UploadTickets(SECRET).issue("ann", 1, auth.kind)) is None
    )


async def test_an_upload_is_decoded_after_the_checks_and_kept_once() -> None:
    journal: list[str] = []
    service = accounts(journal=journal)
    auth = await signed_in(service)
    decoded: list[str] = []

    async def reencoded() -> bytes:
        decoded.append("decoded")
        return b"webp"

    account = await service.set_avatar_from(auth, reencoded)
    assert decoded == ["decoded"]
    assert account.profile.avatar_version == 1
    assert await service.avatar("ANN") == (1, b"webp")
    assert journal[-1] == ProfileChanged.type


async def test_a_signed_out_or_flooding_uploader_costs_no_decoding() -> None:
    service = accounts(limits=RateLimits(LocalRateLimiter()))  # the real budgets
    auth = await signed_in(service)
    decoded: list[str] = []

    async def reencoded() -> bytes:
        decoded.append("decoded")
        return b"webp"

    refused = 0
    for _ in range(30):
        try:
            await service.set_avatar_from(auth, reencoded)
        except RateLimitedError:
            refused += 1
    assert refused > 0
    assert len(decoded) == 30 - refused  # refused uploads were never decoded
    await service.sign_out(auth)
    decoded.clear()
    with pytest.raises(ChatError):
        await service.set_avatar_from(auth, reencoded)
    assert decoded == []
