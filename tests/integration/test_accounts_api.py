"""Accounts over the Socket.IO API against real servers: sign up, sign in (and its limits), join
with the session token, sign out (here, everywhere, across processes), old identity tokens."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flet_chat.core.accounts.passwords import SAME_AS_NAME, TOO_COMMON, TOO_SHORT
from flet_chat.core.accounts.service import SIGNED_OUT, WRONG_CREDENTIALS
from flet_chat.core.identity import IdentitySigner
from flet_chat.core.limits import ACCOUNT_SIGN_IN_BUDGET, IP_SIGN_IN_BUDGET
from flet_chat.testing.services import REDIS_URL, unique_redis_prefix
from tests.support.seed import seed_names_from_before_accounts
from tests.support.server import ServerProcess
from tests.support.sio import RecordingClient, sio_client

pytestmark = pytest.mark.integration

PASSWORD = "correct horse battery"
TOO_MANY_SIGN_INS = "Too many sign-in attempts. Wait a few minutes and try again."
SECRET_KEY = "the key identity tokens were signed with before accounts"


def error(ack: dict[str, Any]) -> tuple[str, str]:
    assert not ack["ok"], ack
    return ack["error"]["code"], ack["error"]["message"]


def presence_of(client: RecordingClient, name: str) -> bool | None:
    """The last thing `client` heard of `name`'s presence (None: nothing)."""
    heard = [p["online"] for p in client.received("presence") if p["user_name"] == name]
    return heard[-1] if heard else None


async def test_sign_up_then_join_with_the_token(server: ServerProcess) -> None:
    async with sio_client(server) as alice:
        signed = await alice.sign_up("  Alice ", PASSWORD)
        assert (signed["ok"], signed["user_name"]) == (True, "Alice")
        assert signed["token"].startswith("fcs_")
        joined = await alice.join_with(signed["token"])
        assert (joined["ok"], joined["user_name"], joined["token"]) == (
            True,
            "Alice",
            signed["token"],
        )
        assert (await alice.send("hello as a member"))["ok"]
        # Her name is hers: a guest cannot take it, in any case.
        async with sio_client(server) as guest:
            assert error(await guest.join("alice"))[0] == "name_taken"
        # Her password signs her in on another connection: a session of its own.
        async with sio_client(server) as laptop:
            again = await laptop.sign_in("ALICE", PASSWORD)
            assert (again["ok"], again["user_name"]) == (True, "Alice")
            assert again["token"] != signed["token"]
            assert (await laptop.join_with(again["token"]))["user_name"] == "Alice"
            # The token proves the account it belongs to, not a name the client adds.
            async with sio_client(server) as mixed:
                refused = await mixed.call("join", {"token": again["token"], "name": "Bob"})
                assert error(refused) == ("unauthorized", "The token is not valid.")


async def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(
    server: ServerProcess,
) -> None:
    async with sio_client(server) as client:
        assert (await client.sign_up("Alice", PASSWORD))["ok"]
        wrong = await client.sign_in("Alice", PASSWORD + "!")
        unknown = await client.sign_in("Nobody", PASSWORD)
        assert error(wrong) == error(unknown) == ("unauthorized", WRONG_CREDENTIALS)
        # A guest has no password to sign in with: the same answer.
        async with sio_client(server) as guest:
            assert (await guest.join("Gus"))["ok"]
        assert error(await client.sign_in("Gus", "")) == ("unauthorized", WRONG_CREDENTIALS)
        # Bounded before any work: a huge password is refused by its length.
        huge = await client.sign_in("Alice", "x" * 257)
        assert error(huge) == (
            "invalid",
            "Invalid password: String should have at most 256 characters",
        )
        assert error(await client.call("sign_in", {"name": "Alice"}))[0] == "invalid"
        # Nothing above joined anyone.
        assert error(await client.send("hello"))[0] == "not_joined"


async def test_the_sixth_try_at_an_accounts_password_is_refused_even_when_right(
    server: ServerProcess,
) -> None:
    burst = int(ACCOUNT_SIGN_IN_BUDGET[0])
    async with sio_client(server) as owner:
        assert (await owner.sign_up("Alice", PASSWORD))["ok"]
        assert (await owner.sign_up("Bob", PASSWORD))["ok"]
    async with sio_client(server) as guesser:
        for i in range(burst):
            wrong = await guesser.sign_in("Alice", f"guess number {i}")
            assert error(wrong) == ("unauthorized", WRONG_CREDENTIALS)
        right = await guesser.sign_in("Alice", PASSWORD)
        assert error(right) == ("rate_limited", TOO_MANY_SIGN_INS)
        # The limit is the account's, not the connection's: Bob still signs in from here.
        assert (await guesser.sign_in("Bob", PASSWORD))["ok"]
    # And not the connection's either way: a fresh one gets no fresh tries at Alice.
    async with sio_client(server) as fresh:
        assert error(await fresh.sign_in("Alice", PASSWORD)) == ("rate_limited", TOO_MANY_SIGN_INS)


async def test_sign_ins_from_one_address_are_limited_across_connections_and_names(
    server: ServerProcess,
) -> None:
    # 127.0.0.1 is a trusted proxy by default: each forwarded address is a client of its own.
    guesser_ip = {"X-Forwarded-For": "198.51.100.20"}
    async with sio_client(server, headers={"X-Forwarded-For": "198.51.100.21"}) as owner:
        assert (await owner.sign_up("Zoe", PASSWORD))["ok"]
    burst, per_second = IP_SIGN_IN_BUDGET
    answers: list[tuple[str, str]] = []
    started = time.monotonic()
    # Nine tries per connection and one per name: only the address's budget can refuse.
    for connection in range(5):
        async with sio_client(server, headers=guesser_ip) as guesser:
            for n in range(9):
                ack = await guesser.sign_in(f"nobody{connection}x{n}", PASSWORD)
                answers.append(error(ack))
                if ack["error"]["code"] == "rate_limited":
                    break
        if answers[-1][0] == "rate_limited":
            break
    elapsed = time.monotonic() - started
    assert answers[-1] == ("rate_limited", TOO_MANY_SIGN_INS), answers
    tried = len(answers) - 1
    assert set(answers[:-1]) == {("unauthorized", WRONG_CREDENTIALS)}
    assert burst <= tried <= burst + per_second * elapsed + 1, (tried, elapsed)
    # Another address is not locked out by it.
    async with sio_client(server, headers={"X-Forwarded-For": "198.51.100.21"}) as owner:
        assert (await owner.sign_in("Zoe", PASSWORD))["ok"]


async def test_sign_up_refuses_weak_passwords_and_look_alike_names(server: ServerProcess) -> None:
    async with sio_client(server) as client:
        assert (await client.sign_up("Alice", PASSWORD))["ok"]
        assert error(await client.sign_up("Carol", "password123")) == ("invalid", TOO_COMMON)
        assert error(await client.sign_up("Carol", "short")) == ("invalid", TOO_SHORT)
        assert error(await client.sign_up("Carol", "carol is my name")) == (
            "invalid",
            SAME_AS_NAME,
        )
        # A Cyrillic A: Alice's name to the eye.
        assert error(await client.sign_up("\u0410lice", PASSWORD)) == (
            "name_taken",
            "\u0410lice looks too much like Alice, who is already in this chat."
            " Choose another name.",
        )
        assert error(await client.sign_up("alice", PASSWORD)) == (
            "name_taken",
            "alice is taken. Choose another name, or sign in if it is yours.",
        )
        assert error(await client.sign_up("Al\u200bice", PASSWORD))[0] == "invalid"
        assert error(await client.sign_up("x" * 257, PASSWORD))[0] == "invalid"
        assert error(await client.sign_up("x" * 33, PASSWORD))[0] == "invalid"
        # Refusals claimed nothing: Carol is free, and her password works.
        assert (await client.sign_up("Carol", PASSWORD))["ok"]
        assert (await client.sign_in("carol", PASSWORD))["user_name"] == "Carol"


async def test_sign_out_signs_out_the_sessions_other_connections(server: ServerProcess) -> None:
    async with (
        sio_client(server) as phone,
        sio_client(server) as tablet,
        sio_client(server) as laptop,
        sio_client(server) as bob,
    ):
        token = (await phone.sign_up("Alice", PASSWORD))["token"]
        assert (await phone.join_with(token))["ok"]
        assert (await tablet.join_with(token))["ok"]  # the same session on a second connection
        other = (await laptop.sign_in("Alice", PASSWORD))["token"]
        assert (await laptop.join_with(other))["ok"]  # a session of its own
        assert (await bob.join("Bob"))["ok"]

        assert await phone.call("sign_out", {}) == {"ok": True}
        event = await tablet.wait_for(lambda: tablet.received("signed_out"), what="signed_out")
        assert event == [{"type": "signed_out", "version": 1, "reason": SIGNED_OUT}]
        # Refused from now on, every request, until it signs in again.
        assert error(await tablet.send("still here?")) == ("unauthorized", SIGNED_OUT)
        assert error(await tablet.call("rooms")) == ("unauthorized", SIGNED_OUT)
        assert error(await tablet.call("history", {})) == ("unauthorized", SIGNED_OUT)
        # The one that signed out has left: it is simply not joined.
        assert error(await phone.send("hello"))[0] == "not_joined"
        assert not phone.received("signed_out")
        # The other session is untouched.
        assert (await laptop.send("from the laptop"))["ok"]
        assert not laptop.received("signed_out")
        async with sio_client(server) as thief:
            assert error(await thief.join_with(token)) == (
                "unauthorized",
                "The token is not valid.",
            )
        # No ghost: when the laptop signs out too, Alice is offline (the tablet left with the
        # phone's session).
        assert await laptop.call("sign_out", {}) == {"ok": True}
        await bob.wait_for(lambda: presence_of(bob, "Alice") is False, what="Alice offline")

        # Signing in again lets the tablet back in.
        again = await tablet.sign_in("Alice", PASSWORD)
        assert (await tablet.join_with(again["token"]))["ok"]
        assert (await tablet.send("back again"))["ok"]
        # A client not joined has nothing to sign out of.
        assert error(await phone.call("sign_out", {}))[0] == "not_joined"
        assert error(await phone.call("sign_out", {"everywhere": "yes please"}))[0] == "invalid"


async def test_sign_out_everywhere_reaches_a_connection_on_another_process(
    postgres_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    env = {
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_URL,
        "FLET_CHAT_REDIS_PREFIX": unique_redis_prefix(),
    }
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with sio_client(a) as on_a, sio_client(b) as on_b, sio_client(b) as bob:
        assert (await bob.join("Bob"))["ok"]
        assert (await on_a.join_with((await on_a.sign_up("Alice", PASSWORD))["token"]))["ok"]
        on_b_token = (await on_b.sign_in("Alice", PASSWORD))["token"]
        assert (await on_b.join_with(on_b_token))["ok"]
        await bob.wait_for(lambda: presence_of(bob, "Alice"), what="Alice online")

        asked = time.monotonic()
        assert await on_a.call("sign_out", {"everywhere": True}) == {"ok": True}
        answered = time.monotonic()
        await on_b.wait_for(lambda: on_b.received("signed_out"), timeout=5, what="signed_out")
        heard = time.monotonic()
        print(
            f"sign out everywhere: ack {1000 * (answered - asked):.0f} ms, signed_out on the"
            f" other process {1000 * (heard - asked):.0f} ms after the request"
        )
        assert heard - asked < 5
        assert error(await on_b.send("still here?")) == ("unauthorized", SIGNED_OUT)
        await bob.wait_for(lambda: presence_of(bob, "Alice") is False, what="Alice offline")
        async with sio_client(a) as reuse:
            assert error(await reuse.join_with(on_b_token))[0] == "unauthorized"


async def test_an_identity_token_from_before_accounts_joins_as_its_guest_with_a_new_token(
    server_factory: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    # Oldie claimed the name before accounts: a guest account that never had a session.
    await seed_names_from_before_accounts(tmp_path / "data", ["Oldie"])
    server = server_factory(data_dir=tmp_path / "data", env={"FLET_CHAT_SECRET_KEY": SECRET_KEY})
    old = IdentitySigner(SECRET_KEY)
    async with sio_client(server) as client:
        joined = await client.join_with(old.issue("Oldie"))
        assert (joined["ok"], joined["user_name"]) == (True, "Oldie")
        new_token = joined["token"]
        assert new_token.startswith("fcs_")  # a session token from now on
    async with sio_client(server) as copy:
        # Once: a copy of the old token (another client's, a thief's) opens nothing more.
        assert error(await copy.join_with(old.issue("Oldie")))[0] == "unauthorized"
    async with sio_client(server) as later:
        assert (await later.join_with(new_token))["user_name"] == "Oldie"
        # The new session signs out like any other.
        assert await later.call("sign_out", {}) == {"ok": True}
    async with sio_client(server) as client:
        assert (await client.sign_up("Mia", PASSWORD))["ok"]
        # A name with a password is proven by the password only, never by an old token.
        for token in (
            old.issue("Mia"),
            old.issue("Nobody"),  # a name nobody has
            IdentitySigner("another deployment's key").issue("Oldie"),  # forged
            old.issue("Oldie") + "x",
        ):
            assert error(await client.join_with(token)) == (
                "unauthorized",
                "The token is not valid.",
            ), token
