"""flet_compat.prepare_new_container: a chunk configured and encoded ahead, while empty, must be
sent exactly as one encoded on the spot (pack_new_container), and fall back to that whenever it
changed after it was prepared."""

from __future__ import annotations

from typing import Any

import flet as ft
import msgpack

from flet_chat.flet_compat import (
    install_walk_once,
    pack_control,
    pack_new_container,
    prepare_new_container,
)
from flet_chat.ui.views.message_list import ROW_SPACING, MessageChunk
from tests.support.control_trees import without_ids

SNAPSHOTS = ("__prev_lists", "__prev_dicts", "__prev_classes")


def _chunk() -> MessageChunk:
    return MessageChunk(spacing=ROW_SPACING, tight=True)


def _rows(count: int) -> list[ft.Text]:
    return [ft.Text(f"row {i}") for i in range(count)]


def _sent(chunk: MessageChunk, parent: ft.Control, rows: list[ft.Text]) -> dict[str, Any]:
    """What the client is sent for `chunk` holding `rows`, without the controls' ids."""
    chunk.controls.extend(rows)
    packed = pack_new_container(chunk, parent, [pack_control(row) for row in rows])
    return without_ids(msgpack.unpackb(packed, strict_map_key=False))


def _snapshots(chunk: MessageChunk) -> dict[str, Any]:
    return {name: dict(getattr(chunk, name, None) or {}) for name in SNAPSHOTS}


def test_a_prepared_chunk_is_sent_and_remembered_as_one_encoded_on_the_spot() -> None:
    install_walk_once()
    parent = ft.ListView()
    prepared, on_the_spot = _chunk(), _chunk()
    prepare_new_container(prepared, parent)
    rows = _rows(2), _rows(2)
    assert _sent(prepared, parent, rows[0]) == _sent(on_the_spot, parent, rows[1])
    for chunk, its_rows in zip((prepared, on_the_spot), rows, strict=True):
        # What Flet's next diff of the chunk starts from: the rows it was sent with.
        assert _snapshots(chunk)["__prev_lists"]["controls"] == its_rows
        assert chunk.parent is parent
        assert all(row.parent is chunk for row in its_rows)
    assert _snapshots(prepared) == {
        name: {k: (v if k != "controls" else rows[0]) for k, v in table.items()}
        for name, table in _snapshots(on_the_spot).items()
    }


def test_a_chunk_changed_after_it_was_prepared_is_encoded_whole() -> None:
    install_walk_once()
    parent = ft.ListView()
    prepared = _chunk()
    prepare_new_container(prepared, parent)
    prepared.spacing = 3  # a prop set afterwards must be sent
    sent = _sent(prepared, parent, _rows(1))
    assert sent["spacing"] == 3


def test_a_chunk_prepared_under_another_parent_gets_the_right_one() -> None:
    install_walk_once()
    first, second = ft.ListView(), ft.ListView()
    prepared, on_the_spot = _chunk(), _chunk()
    prepare_new_container(prepared, first)
    assert _sent(prepared, second, _rows(1)) == _sent(on_the_spot, second, _rows(1))
    assert prepared.parent is second


def test_a_prepared_chunk_is_used_once() -> None:
    """Sent once, it is not new any more: encoding it again (as a new container) goes the whole
    way, with the rows it now holds."""
    install_walk_once()
    parent = ft.ListView()
    prepared = _chunk()
    prepare_new_container(prepared, parent)
    first_rows = _rows(1)
    _sent(prepared, parent, first_rows)
    more = _rows(1)
    prepared.controls.extend(more)
    again = pack_new_container(
        prepared, parent, [pack_control(row) for row in [*first_rows, *more]]
    )
    decoded = msgpack.unpackb(again, strict_map_key=False)
    assert [row["value"] for row in decoded["controls"]] == ["row 0", "row 0"]
