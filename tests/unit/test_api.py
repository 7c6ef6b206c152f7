"""Pure parts of the API layer: the Origin rule, rooms and the wire's author kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pydantic
import pytest

from flet_chat.api.acks import invalid_payload_ack
from flet_chat.api.origins import origin_checker
from flet_chat.api.schemas import DeleteRequest, HistoryRequest, MessageEvent, SendRequest
from flet_chat.bus.wire import decode, encode
from flet_chat.core.errors import ValidationError
from flet_chat.core.events import MessagePosted
from flet_chat.core.models import AuthorKind, Message, MessageKind
from flet_chat.core.rooms import ROOM_NAME_RULE, direct_key, room_key


def test_origins() -> None:
    allowed = origin_checker(["https://app.example.com"])
    env = {"HTTP_HOST": "chat.example.com"}
    assert allowed(None, env)  # bots and consoles send no Origin
    assert allowed("https://chat.example.com", env)  # same host, whatever the scheme
    assert allowed("http://chat.example.com", env)
    assert allowed("https://app.example.com/", env)
    assert not allowed("https://evil.example", env)
    assert not allowed("https://chat.example.com.evil.example", env)
    assert allowed(
        "https://chat.example.com",
        {"HTTP_HOST": "10.0.0.5:8000", "HTTP_X_FORWARDED_HOST": "chat.example.com"},
    )


def test_room_keys() -> None:
    assert room_key(None) == "general"
    assert room_key("#General") == "general"
    assert room_key(" dev-ops ") == "dev-ops"
    for bad in ("", "#", "a b", "x" * 41, "café", "dev_ops"):
        with pytest.raises(ValidationError, match=ROOM_NAME_RULE):
            room_key(bad)
    assert direct_key("Bob", "alice") == direct_key("ALICE", "bob") == "dm:5:alicebob"
    # Length prefixes keep pairs apart that plain joining would merge.
    assert direct_key("ab", "c") != direct_key("a", "bc")
    assert room_key(direct_key("a", "b")) == direct_key("a", "b")


def test_wire_carries_the_author_kind_and_reads_old_events() -> None:
    message = Message(7, MessageKind.CHAT, "Helper", "beep", datetime.now(UTC), AuthorKind.BOT)
    _, event = decode(encode(MessagePosted(message), "origin"))
    assert event.message == message
    old = (
        b'{"type":"message.posted","version":1,"origin":"o","message":{"id":1,"kind":"chat",'
        b'"user_name":"Ann","text":"hi","created_at":"2026-01-01T00:00:00Z"}}'
    )
    assert decode(old)[1].message.author_kind is AuthorKind.USER


def test_schemas_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        SendRequest.model_validate({"text": "hi", "client_id": "1", "as_user": "Bob"})
    message = Message(1, MessageKind.CHAT, "Ann", "hi", datetime.now(UTC))
    assert MessageEvent.of(message, "general").model_dump(mode="json")["author_kind"] == "user"


def test_console_and_seed_lines() -> None:
    from flet_chat.api.seed import seed_line
    from flet_chat.console import format_line

    when = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)
    bot = Message(1, MessageKind.CHAT, "Helper", "This is my answer", when, AuthorKind.BOT)
    me = Message(2, MessageKind.ACTION, "Ann", "waves", when)
    event = MessageEvent.of(bot, "general").model_dump(mode="json")
    # The seed console's answer style: indented ">>>>>", blue on a terminal.
    assert format_line(event, color=False) == "[09:30] Helper [BOT]\n     >>>>> This is my answer"
    assert "\x1b[34m" in format_line(event, color=True)
    assert format_line(MessageEvent.of(me, "general").model_dump(mode="json"), color=False) == (
        "[09:30] * Ann waves"
    )
    assert seed_line(bot) == "Helper [bot]: This is my answer"
    assert seed_line(me) == "* Ann waves"


def test_message_ids_are_bounded_to_64_bits_and_refusals_do_not_echo_unknown_keys() -> None:
    assert DeleteRequest.model_validate({"message_id": 2**63 - 1}).message_id == 2**63 - 1
    for model, field in ((DeleteRequest, "message_id"), (HistoryRequest, "before")):
        with pytest.raises(pydantic.ValidationError, match="less than or equal"):
            model.model_validate({field: 2**63})
    with pytest.raises(pydantic.ValidationError) as caught:
        DeleteRequest.model_validate({"message_id": 1, "x\x00<script>": 1})
    message = invalid_payload_ack(caught.value)["error"]["message"]
    assert message == "Invalid payload: Extra inputs are not permitted"
    with pytest.raises(pydantic.ValidationError) as caught:
        DeleteRequest.model_validate([1])
    assert "DeleteRequest" not in invalid_payload_ack(caught.value)["error"]["message"]
