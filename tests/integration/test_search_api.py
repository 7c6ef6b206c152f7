"""Socket.IO `search` against a real server: words found newest first in the user's rooms,
never in other people's direct conversations, paging, bad queries and the budget."""

from __future__ import annotations

import pytest

from flet_chat.core.limits import MAX_SEARCH_LENGTH, SEARCH_BUDGET
from tests.support.server import ServerProcess
from tests.support.sio import sio_client

pytestmark = pytest.mark.integration


def texts(ack: dict[str, object]) -> list[str]:
    return [m["text"] for m in ack["results"]]  # type: ignore[attr-defined, index]


async def test_search_finds_words_in_the_user_s_rooms_and_nowhere_else(
    server: ServerProcess,
) -> None:
    async with (
        sio_client(server) as alice,
        sio_client(server) as bob,
        sio_client(server) as carol,
        sio_client(server) as stranger,
    ):
        for client, name in ((alice, "Alice"), (bob, "Bob"), (carol, "Carol")):
            assert (await client.join(name))["ok"]
        key = (await alice.call("open_direct", {"user_name": "Bob"}))["room"]["key"]
        secret = (await alice.send("the deploy password is hunter2", room=key))["message"]
        first = (await bob.send("Deploy on Friday?"))["message"]
        await carol.send("no deploy today, it is friday")
        assert (await carol.call("create_room", {"name": "ops"}))["ok"]
        await carol.send("deploy from ops", room="ops")

        mine = await bob.call("search", {"q": "deploy"})
        assert mine["ok"]
        assert mine["terms"] == ["deploy"]
        assert texts(mine) == [
            "no deploy today, it is friday",
            "Deploy on Friday?",
            "the deploy password is hunter2",
        ]
        # A result is the message as history gives it, room and all.
        history = await bob.call("history", {})
        assert mine["results"][1] == next(m for m in history["messages"] if m["id"] == first["id"])
        assert mine["results"][2]["room"] == key
        assert texts(await bob.call("search", {"q": "FRIDAY deploy", "room": "general"})) == [
            "no deploy today, it is friday",
            "Deploy on Friday?",
        ]
        assert texts(await alice.call("search", {"q": "hunter2", "room": "@Bob"})) == [
            "the deploy password is hunter2"
        ]

        # Carol: never Alice and Bob's conversation, however she asks.
        assert "the deploy password is hunter2" not in texts(
            await carol.call("search", {"q": "deploy"})
        )
        assert texts(await carol.call("search", {"q": "hunter2"})) == []
        for room in (key, "@Alice", "@Bob", "dm:3:zzzyyy"):
            refused = await carol.call("search", {"q": "hunter2", "room": room})
            assert refused["error"]["code"] == "unknown_room", room
            assert refused["error"]["message"] == "There is no room that conversation.", room
        # Another public room is readable on asking; her own rooms are searched by default.
        assert texts(await bob.call("search", {"q": "deploy", "room": "ops"})) == [
            "deploy from ops"
        ]
        assert "deploy from ops" in texts(await carol.call("search", {"q": "deploy"}))
        assert "deploy from ops" not in texts(await bob.call("search", {"q": "deploy"}))
        # Before joining: #general, as history shows it.
        assert texts(await stranger.call("search", {"q": "deploy"})) == [
            "no deploy today, it is friday",
            "Deploy on Friday?",
        ]
        refused = await stranger.call("search", {"q": "deploy", "room": key})
        assert refused["error"]["code"] == "unknown_room"

        # Paging: `before` the last result's id.
        page = await bob.call("search", {"q": "deploy", "before": first["id"]})
        assert texts(page) == ["the deploy password is hunter2"]
        assert page["has_more"] is False
        assert texts(await bob.call("search", {"q": "deploy", "before": secret["id"]})) == []

        # Query syntax is just words; bad queries get clear refusals.
        hostile = await bob.call("search", {"q": '"deploy*" NEAR(-friday) OR'})
        assert hostile["terms"] == ["deploy", "near", "friday", "or"]
        assert texts(hostile) == []
        for payload, code, words in (
            ({"q": ""}, "invalid", "Type a word to search for."),
            ({"q": "?!*"}, "invalid", "Type a word to search for."),
            ({"q": "a" * (MAX_SEARCH_LENGTH + 1)}, "invalid", "at most 200 characters"),
            ({"q": "a" * 10_000}, "invalid", ""),
            ({}, "invalid", ""),
            ({"q": "deploy", "before": 0}, "invalid", ""),
            ({"q": "deploy", "limit": 1000}, "invalid", ""),
            ({"q": "deploy", "room": "Not A Room"}, "invalid", "Room names are"),
        ):
            ack = await bob.call("search", payload)
            assert ack["error"]["code"] == code, payload
            assert words in ack["error"]["message"], payload


async def test_searching_is_rate_limited(server: ServerProcess) -> None:
    async with sio_client(server) as client:
        await client.join("Seeker")
        acks = [await client.call("search", {"q": "x"}) for _ in range(int(SEARCH_BUDGET[0]) + 5)]
        refused = [a for a in acks if not a["ok"]]
        assert refused, "a burst of searches above the budget must be refused"
        assert refused[0]["error"] == {
            "code": "rate_limited",
            "message": "You are searching too fast. Wait a moment.",
        }
