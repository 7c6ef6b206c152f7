"""Fanout: events reach a topic's subscribers only, a subscriber leaves all its topics at once
and no empty topic is kept, one failing handler does not starve the others."""

from __future__ import annotations

from typing import Any

from flet_chat.bus.fanout import Fanout


class Session:
    def __init__(self) -> None:
        self.got: list[tuple[str, Any]] = []

    def handle(self, topic: str, event: Any) -> None:
        self.got.append((topic, event))


def test_events_reach_the_subscribers_of_their_topic_only() -> None:
    fanout, a, b = Fanout(), Session(), Session()
    fanout.subscribe("room:general", a, a.handle)
    fanout.subscribe("room:general", b, b.handle)
    fanout.subscribe("room:dev", b, b.handle)
    fanout.send_all_on_topic("room:dev", 1)
    fanout.send_all_on_topic("room:general", 2)
    fanout.send_all_on_topic("room:nobody", 3)
    assert a.got == [("room:general", 2)]
    assert b.got == [("room:dev", 1), ("room:general", 2)]
    assert fanout.subscriber_count() == 2


def test_subscribing_twice_delivers_once() -> None:
    fanout, a = Fanout(), Session()
    fanout.subscribe("t", a, a.handle)
    fanout.subscribe("t", a, a.handle)
    fanout.send_all_on_topic("t", 1)
    assert a.got == [("t", 1)]


def test_a_closing_subscriber_leaves_every_topic_and_nothing_empty_is_kept() -> None:
    fanout, a, b = Fanout(), Session(), Session()
    for topic in ("room:general", "room:dev", "user:alice"):
        fanout.subscribe(topic, a, a.handle)
    fanout.subscribe("room:general", b, b.handle)
    fanout.unsubscribe_topic("room:dev", a)
    fanout.unsubscribe(a)
    assert fanout.subscriber_count() == 1
    assert set(fanout._topics) == {"room:general"}  # no empty topics left behind
    fanout.send_all_on_topic("room:general", 1)
    assert a.got == []
    assert b.got == [("room:general", 1)]
    fanout.unsubscribe(b)
    assert fanout.subscriber_count() == 0
    assert fanout._topics == {}


def test_a_failing_handler_does_not_starve_the_others_and_handlers_may_unsubscribe() -> None:
    fanout, b = Fanout(), Session()

    def broken(_topic: str, _event: Any) -> None:
        fanout.unsubscribe("broken")  # leaving while the topic is being walked
        raise RuntimeError("closed")

    fanout.subscribe("t", "broken", broken)
    fanout.subscribe("t", b, b.handle)
    fanout.send_all_on_topic("t", 1)
    assert b.got == [("t", 1)]
    assert fanout.subscriber_count() == 1
