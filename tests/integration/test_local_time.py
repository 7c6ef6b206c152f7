"""Each session reads times in the clock its browser's cookie names (ui/clock.py), read from the
websocket upgrade by the real server; a forged or huge cookie gets UTC, marked as such."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flet_chat.testing.flet_client import FletClient
from tests.integration.conftest import Connect, has_row
from tests.support.server import ServerProcess

NEW_YORK = "flet_chat_clock=America/New_York|h12"
FORGED = "flet_chat_clock=../../../etc/passwd|h12"
HUGE = "flet_chat_clock=" + "Europe/Berlin|h23" * 200


def recent(zone: ZoneInfo | None, hour_format: str) -> set[str]:
    now = datetime.now(zone or UTC)
    return {(now - timedelta(minutes=m)).strftime(hour_format) for m in range(3)}


def separators(client: FletClient) -> list[str]:
    message_list = client.get("message_list")
    return [
        " ".join(client.texts(row))
        for row in client.walk(message_list)
        if str(row.get("key", "")).startswith("day-")
    ]


async def test_times_follow_each_sessions_clock_cookie(
    server: ServerProcess, connect: Connect
) -> None:
    async with (
        connect(server, cookie=NEW_YORK) as nia,
        connect(server, cookie=f"other=1; {FORGED}") as forged,
        connect(server, cookie=HUGE) as huge,
    ):
        await nia.join("Nia")
        await nia.send("what time is it?")
        for client in (nia, forged, huge):
            await client.wait_for(lambda c=client: has_row(c, "what time is it?"))
            assert separators(client) == ["Today"]
        row = next(r for r in nia.message_rows() if r.endswith("what time is it?"))
        shown = re.fullmatch(r"N \| Nia \| (\d{1,2}:\d\d [AP]M) \| what time is it\?", row)
        assert shown, row
        assert shown[1] in recent(ZoneInfo("America/New_York"), "%-I:%M %p")
        for client in (forged, huge):
            row = next(r for r in client.message_rows() if r.endswith("what time is it?"))
            shown = re.fullmatch(r"N \| Nia \| (\d\d:\d\d) UTC \| what time is it\?", row)
            assert shown, row
            assert shown[1] in recent(None, "%H:%M")
