"""Moderation and private rooms over Socket.IO against real servers (issue 17): a private room
is, to an outsider, exactly a room that does not exist; moderators mute, kick, ban and remove;
slow mode; reports reach the admins; every action is audited; and a ban from the chat on one
process ends the user's connections on another.

"Nothing arrived" is asserted after a synchronisation point (see test_rooms_api.sync)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from flet_chat.core.accounts.service import BANNED
from tests.integration.conftest import Connect
from tests.integration.test_rooms_api import sync
from tests.integration.test_scale_out import cluster_env
from tests.support.server import ServerProcess
from tests.support.sio import RecordingClient, sio_client
from tests.support.waiting import wait_until

pytestmark = pytest.mark.integration

ADMIN = "Root"
ADMIN_PASSWORD = "correct horse battery staple 17"
ADMINS_ENV = {"FLET_CHAT_ADMINS": json.dumps([ADMIN])}


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(env=ADMINS_ENV)


@asynccontextmanager
async def people(server: ServerProcess, *names: str) -> AsyncIterator[list[RecordingClient]]:
    """Connected, joined clients; the admin signs up with a password, the others are guests."""
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(sio_client(server)) for _ in names]
        for client, name in zip(clients, names, strict=True):
            if name == ADMIN:
                signed = await client.sign_up(name, ADMIN_PASSWORD)
                assert signed["ok"], signed
                joined = await client.join_with(signed["token"])
            else:
                joined = await client.join(name)
            assert joined["ok"], joined
        yield clients


def refused(ack: dict[str, Any], code: str) -> str:
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == code, ack
    return str(ack["error"]["message"])


def online(client: RecordingClient, name: str) -> bool | None:
    """What the last presence event about `name` said (None: none came)."""
    said = [p["online"] for p in client.received("presence") if p["user_name"] == name]
    return said[-1] if said else None


async def get(server: ServerProcess, url: str, token: str | None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(
            f"{server.base_url}{url}", headers={"Authorization": f"Bearer {token}"}
        )


async def test_a_private_room_is_to_outsiders_a_room_that_does_not_exist(
    server: ServerProcess,
) -> None:
    async with people(server, "Olive", "Bob") as (olive, bob):
        made = await olive.call("create_room", {"name": "secret", "private": True})
        assert made["room"]["kind"] == "private"
        said = await olive.send("for members only", room="secret")
        async with httpx.AsyncClient(timeout=30) as http:
            upload = await http.post(
                f"{server.base_url}/api/rooms/secret/files",
                files=[("file", ("plan.txt", b"the plan", "text/plain"))],
                headers={"Authorization": f"Bearer {olive.token}"},
            )
        assert upload.status_code == 201, upload.text
        [plan] = upload.json()["message"]["attachments"]

        missing = refused(await bob.call("join_room", {"room": "nowhere"}), "unknown_room")
        same = missing.replace("nowhere", "secret")
        for event, payload in (
            ("join_room", {"room": "secret"}),
            ("history", {"room": "secret"}),
            ("search", {"q": "members", "room": "secret"}),
            ("typing", {"room": "secret"}),
            ("send", {"room": "secret", "text": "let me in", "client_id": "x1"}),
            ("invite", {"room": "secret", "user_name": "Bob"}),
            ("members", {"room": "secret"}),
            ("mark_read", {"room": "secret", "message_id": said["message"]["id"]}),
        ):
            assert refused(await bob.call(event, payload), "unknown_room") == same, event
        for event, payload in (
            ("react", {"message_id": said["message"]["id"], "emoji": "👍"}),
            ("report", {"message_id": said["message"]["id"], "reason": "curious"}),
        ):
            assert "no longer exists" in refused(await bob.call(event, payload), "invalid")
        found = await bob.call("search", {"q": "members"})
        assert found["results"] == []
        listed = await bob.call("rooms")
        assert "secret" not in [r["key"] for r in listed["public"] + listed["rooms"]]
        assert (await get(server, plan["url"], bob.token)).status_code == 404
        await sync(bob)
        assert "secret" not in json.dumps(bob.events)  # never announced to him

        invited = await olive.call("invite", {"room": "secret", "user_name": "Bob"})
        assert invited["ok"], invited
        await bob.wait_for(lambda: bob.received("membership"), what="invited")
        assert bob.received("membership")[-1]["room"]["kind"] == "private"
        history = await bob.call("history", {"room": "secret"})
        assert history["messages"][0]["text"] == "for members only"
        assert (await get(server, plan["url"], bob.token)).content == b"the plan"


async def test_moderators_mute_kick_ban_and_remove_and_members_cannot(
    server: ServerProcess,
) -> None:
    async with people(server, "Olive", "Mo", "Mia", "Bob") as (olive, mo, mia, bob):
        assert (await olive.call("create_room", {"name": "dev"}))["ok"]
        for client in (mo, mia, bob):
            assert (await client.call("join_room", {"room": "dev"}))["ok"]
        role = {"room": "dev", "user_name": "Mo", "role": "moderator"}
        refused(await mia.call("set_role", role), "forbidden")
        assert (await olive.call("set_role", role))["ok"]
        members = await mia.call("members", {"room": "dev"})
        assert {m["user_name"]: m["role"] for m in members["members"]} == {
            "Bob": "member",
            "Mia": "member",
            "Mo": "moderator",
            "Olive": "owner",
        }

        # A member moderates nobody; a moderator does not touch the owner.
        refused(
            await mia.call("mute", {"room": "dev", "user_name": "Bob", "minutes": 5}), "forbidden"
        )
        refused(await mo.call("kick", {"room": "dev", "user_name": "Olive"}), "forbidden")
        refused(await mo.call("ban", {"user_name": "Bob"}), "forbidden")  # the chat: admins only
        bad = await mo.call("mute", {"room": "dev", "user_name": "Bob", "minutes": 0})
        refused(bad, "invalid")

        mine = await mia.send("before the mute", room="dev")
        muted = await mo.call(
            "mute", {"room": "dev", "user_name": "Mia", "minutes": 30, "reason": "flood"}
        )
        assert muted["ok"], muted
        heard = await mia.wait_for(
            lambda: next((e for e in mia.received("moderation") if e["action"] == "mute"), None),
            what="muted",
        )
        assert (heard["action"], heard["room"], heard["until"]) == ("mute", "dev", muted["until"])
        assert "muted in #dev until" in refused(await mia.send("hello?", room="dev"), "forbidden")
        react = {"message_id": mine["message"]["id"], "emoji": "👍"}
        refused(await mia.call("react", react), "forbidden")
        edit = {"message_id": mine["message"]["id"], "text": "changed"}
        refused(await mia.call("edit", edit), "forbidden")
        assert (await mia.call("history", {"room": "dev"}))["ok"]  # still reads
        states = {r["key"]: r for r in (await mia.call("rooms"))["rooms"]}
        assert states["dev"]["muted_until"] == muted["until"]
        assert (await mo.call("unmute", {"room": "dev", "user_name": "Mia"}))["ok"]
        assert (await mia.send("back", room="dev"))["ok"]

        # A moderator removes a member's message: "removed by a moderator", for everyone.
        removed = await mo.call("delete", {"message_id": mine["message"]["id"]})
        assert removed["message"]["removed_by_moderator"] is True
        await bob.wait_for(
            lambda: any(c["removed_by_moderator"] for c in bob.received("message_changed")),
            what="the removal",
        )
        owners = await olive.send("house rules", room="dev")
        refused(await mo.call("delete", {"message_id": owners["message"]["id"]}), "forbidden")

        # Kicked: out, and may come back. Banned: out, and may not.
        assert (await mo.call("kick", {"room": "dev", "user_name": "Bob"}))["ok"]
        await bob.wait_for(
            lambda: any(not m["joined"] for m in bob.received("membership")), what="kicked"
        )
        refused(await bob.send("still here?", room="dev"), "not_joined")
        assert (await bob.call("join_room", {"room": "dev"}))["ok"]
        assert (await mo.call("ban", {"user_name": "Bob", "room": "dev", "reason": "again"}))["ok"]
        assert "banned from #dev" in refused(
            await bob.call("join_room", {"room": "dev"}), "forbidden"
        )
        refused(await mia.call("invite", {"room": "dev", "user_name": "Bob"}), "forbidden")
        assert (await mo.call("banned", {"room": "dev"}))["banned"] == ["Bob"]
        assert (await mo.call("unban", {"user_name": "Bob", "room": "dev"}))["ok"]
        assert (await bob.call("join_room", {"room": "dev"}))["ok"]

        # Archived by its owner: read-only, and gone from the directory.
        refused(await mo.call("archive", {"room": "dev"}), "forbidden")
        archived = await olive.call("archive", {"room": "dev"})
        assert archived["room"]["archived"] is True
        assert "archived" in refused(await mia.send("more", room="dev"), "forbidden")
        assert "dev" not in [r["key"] for r in (await mia.call("rooms"))["public"]]
        assert (await mia.call("history", {"room": "dev"}))["ok"]


async def test_slow_mode_allows_one_message_per_interval_to_members_not_moderators(
    server: ServerProcess,
) -> None:
    async with people(server, "Olive", "Mia") as (olive, mia):
        assert (await olive.call("create_room", {"name": "calm"}))["ok"]
        assert (await mia.call("join_room", {"room": "calm"}))["ok"]
        refused(await mia.call("slow_mode", {"room": "calm", "seconds": 5}), "forbidden")
        # Three seconds: the refused second message must come within them on a busy machine.
        slow = await olive.call("slow_mode", {"room": "calm", "seconds": 3})
        assert slow["room"]["slow_mode_seconds"] == 3
        await mia.wait_for(lambda: mia.received("room_changed"), what="room_changed")
        first = await mia.send("one", room="calm")
        assert first["ok"]
        accepted = time.monotonic()
        assert "Slow mode" in refused(await mia.send("two", room="calm"), "rate_limited")
        for n in range(3):  # the owner is exempt
            assert (await olive.send(f"owner {n}", room="calm"))["ok"]
        # What is under test is an interval of time: wait it out, then the next one goes.
        await wait_until(lambda: time.monotonic() - accepted > 3.1, timeout=5)
        assert (await mia.send("two", room="calm"))["ok"]


async def test_a_report_reaches_the_admin_who_resolves_it_and_it_is_audited(
    server: ServerProcess,
) -> None:
    async with people(server, ADMIN, "Olive", "Mia") as (root, olive, mia):
        bad = await mia.send("something nasty")
        report = await olive.call(
            "report", {"message_id": bad["message"]["id"], "reason": "insulting"}
        )
        assert report["report"]["reason"] == "insulting"
        again = {"message_id": bad["message"]["id"], "reason": "still"}
        assert "already" in refused(await olive.call("report", again), "invalid")
        refused(await olive.call("reports"), "forbidden")
        refused(await olive.call("audit_log"), "forbidden")
        big = {"message_id": bad["message"]["id"], "reason": "x" * 5000}
        refused(await olive.call("report", big), "invalid")

        listed = await root.call("reports")
        [shown] = listed["reports"]
        assert shown["message"]["text"] == "something nasty"
        assert bad["message"]["id"] in [m["id"] for m in shown["context"]]
        resolve = {"report_id": shown["report"]["id"], "action": "delete", "reason": "rude"}
        refused(await olive.call("resolve_report", resolve), "forbidden")
        closed = await root.call("resolve_report", resolve)
        assert closed["report"]["resolution"] == "delete"
        assert "resolved already" in refused(await root.call("resolve_report", resolve), "invalid")
        assert (await root.call("reports"))["reports"] == []
        history = await mia.call("history")
        gone = next(m for m in history["messages"] if m["id"] == bad["message"]["id"])
        assert gone["removed_by_moderator"] is True
        assert gone["text"] == ""

        log = (await root.call("audit_log"))["entries"]
        assert [e["action"] for e in log[:2]] == ["resolve_report", "remove_message"]
        assert (log[1]["actor"], log[1]["target_user"], log[1]["reason"]) == (ADMIN, "Mia", "rude")


async def test_a_ban_from_the_chat_on_one_process_ends_the_users_sessions_on_another(
    postgres_url: str, server_factory: Callable[..., ServerProcess], connect: Connect
) -> None:
    env = {**cluster_env(postgres_url), **ADMINS_ENV}
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with people(a, ADMIN) as (root,), people(b, "Eve") as (eve,), connect(b) as fay:
        await fay.join("Fay")
        await root.wait_for(lambda: online(root, "Fay"), what="Fay online")
        # An invitation on A reaches Eve's client on B at once: she hears the room and reads it.
        assert (await root.call("create_room", {"name": "staff", "private": True}))["ok"]
        assert (await root.call("invite", {"room": "staff", "user_name": "Eve"}))["ok"]
        await eve.wait_for(lambda: eve.received("membership"), what="invited on B")
        said = await root.send("welcome", room="staff")
        await eve.wait_for(
            lambda: said["message"]["id"] in [m["id"] for m in eve.received("message")]
        )
        refused(await eve.call("ban", {"user_name": "Fay"}), "forbidden")
        for name in ("Eve", "Fay"):
            banned = await root.call("ban", {"user_name": name, "reason": "spam"})
            assert banned["ok"], banned
        [ended] = await eve.wait_for(lambda: eve.received("signed_out"), what="Eve out on B")
        assert ended["reason"] == BANNED
        refused(await eve.send("still here?"), "unauthorized")
        assert eve.token is not None
        rejoin = await eve.call("join", {"token": eve.token})
        refused(rejoin, "unauthorized")
        # Fay's Flet session on B went offline (the headless client sends no dialog dismissals,
        # so the sign-in dialog it gets back is the browser tests' to see).
        await root.wait_for(lambda: online(root, "Fay") is False, what="Fay offline")
        assert (await root.call("banned"))["banned"] == ["Eve", "Fay"]
        log = (await root.call("audit_log"))["entries"]
        assert [e["action"] for e in log[:2]] == ["global_ban", "global_ban"]


async def test_slow_mode_holds_across_processes(
    postgres_url: str, server_factory: Callable[..., ServerProcess]
) -> None:
    env = cluster_env(postgres_url)
    a = server_factory(env=env, name="a")
    b = server_factory(env=env, name="b")
    async with people(a, "Olive", "Mia") as (olive, mia_on_a), sio_client(b) as mia_on_b:
        assert (await olive.call("create_room", {"name": "calm"}))["ok"]
        assert (await mia_on_a.call("join_room", {"room": "calm"}))["ok"]
        assert (await olive.call("slow_mode", {"room": "calm", "seconds": 60}))["ok"]
        assert mia_on_a.token is not None
        assert (await mia_on_b.join_with(mia_on_a.token))["ok"]
        assert (await mia_on_a.send("one", room="calm"))["ok"]
        # Her next message, from the other process, finds the same bucket in Redis.
        assert "Slow mode" in refused(await mia_on_b.send("two", room="calm"), "rate_limited")
