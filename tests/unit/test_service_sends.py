"""Services made right before a session's first `page.add` go out in that add's patch, not in
one patch each (flet_compat.services_sent_with_next_update), and Flet knows them all the same."""

from __future__ import annotations

import asyncio
from typing import Any

import flet as ft
import msgpack
from flet.controls.context import _context_page
from flet.messaging.connection import Connection
from flet.messaging.protocol import MessageAction
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

from flet_chat.flet_compat import _encode_control, services_sent_with_next_update


class Wire(Connection):
    """A socket that keeps what Flet sends, decoded as the browser would read it."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Any] = []

    def send_message(self, message: Any) -> None:
        packed = msgpack.packb([message.action, message.body], default=_encode_control)
        self.sent.append(msgpack.unpackb(packed, strict_map_key=False))


def registered_session() -> tuple[Session, Wire]:
    """A session whose first (empty) page has been sent, as FletApp's register answer does."""
    wire = Wire()
    wire.loop = asyncio.get_running_loop()
    wire.pubsubhub = PubSubHub(loop=wire.loop)
    session = Session(wire)
    session.attach_connection(wire)
    _context_page.set(session.page)
    msgpack.packb(session.get_page_patch(), default=_encode_control)
    return session, wire


SERVICES = {"FilePicker", "SharedPreferences", "UrlLauncher"}


def services_in(frames: list[Any]) -> list[str]:
    """The services the patches among `frames` add, in order."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value.get("_c") in SERVICES:
                found.append(value["_c"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for action, body in frames:
        if action == MessageAction.PATCH_CONTROL.value:
            walk(body["patch"])
    return found


async def test_without_it_each_service_costs_a_patch_of_its_own() -> None:
    _session, wire = registered_session()
    picker = ft.FilePicker()
    assert len(wire.sent) == 1
    assert services_in(wire.sent) == ["FilePicker"]
    assert picker.page is not None


async def test_services_made_inside_go_out_with_the_next_add_and_are_known() -> None:
    session, wire = registered_session()
    with services_sent_with_next_update(session.page):
        picker = ft.FilePicker()
    with services_sent_with_next_update(session.page):
        prefs = ft.SharedPreferences()
    assert wire.sent == []
    session.page.add(ft.Text("hello"))
    assert len(wire.sent) == 1  # one patch: the text and both services
    assert services_in(wire.sent) == ["FilePicker", "SharedPreferences"]
    assert session.index.get(picker._i) is picker  # events and calls reach them
    assert session.index.get(prefs._i) is prefs
    # The registry is as Flet left it: a service made later is sent at once again.
    launcher = ft.UrlLauncher()
    assert services_in(wire.sent[1:]) == ["UrlLauncher"]
    assert session.index.get(launcher._i) is launcher
