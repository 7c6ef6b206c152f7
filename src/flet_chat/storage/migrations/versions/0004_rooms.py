"""Rooms and direct conversations, read markers, edits and deletes, reactions and mentions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROOM_KEY_LENGTH = 300
USER_KEY_LENGTH = 128


def upgrade() -> None:
    # Every message so far was said in #general.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("room", sa.String(ROOM_KEY_LENGTH), nullable=False, server_default="general")
        )
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_messages_room_id", "messages", ["room", "id"])
    op.create_index("ix_messages_room_kind_id", "messages", ["room", "kind", "id"])

    rooms = op.create_table(
        "rooms",
        sa.Column("key", sa.String(ROOM_KEY_LENGTH), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.bulk_insert(
        rooms,
        [{"key": "general", "kind": "public", "created_by": None, "created_at": datetime.now(UTC)}],
    )
    op.create_table(
        "room_members",
        sa.Column("room", sa.String(ROOM_KEY_LENGTH), nullable=False),
        sa.Column("user_key", sa.String(USER_KEY_LENGTH), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("last_read_id", _id_type, nullable=False, server_default="0"),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room", "user_key"),
    )
    op.create_index("ix_room_members_user_key", "room_members", ["user_key"])
    op.create_table(
        "reactions",
        sa.Column("message_id", _id_type, nullable=False),
        sa.Column("emoji", sa.String(64), nullable=False),
        sa.Column("user_key", sa.String(USER_KEY_LENGTH), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "emoji", "user_key"),
    )
    op.create_table(
        "mentions",
        sa.Column("message_id", _id_type, nullable=False),
        sa.Column("room", sa.String(ROOM_KEY_LENGTH), nullable=False),
        sa.Column("user_key", sa.String(USER_KEY_LENGTH), nullable=False),
        sa.PrimaryKeyConstraint("message_id", "user_key"),
    )
    op.create_index("ix_mentions_user_room_message", "mentions", ["user_key", "room", "message_id"])


def downgrade() -> None:
    op.drop_index("ix_mentions_user_room_message", table_name="mentions")
    op.drop_table("mentions")
    op.drop_table("reactions")
    op.drop_index("ix_room_members_user_key", table_name="room_members")
    op.drop_table("room_members")
    op.drop_table("rooms")
    op.drop_index("ix_messages_room_kind_id", table_name="messages")
    op.drop_index("ix_messages_room_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("deleted_at")
        batch.drop_column("edited_at")
        batch.drop_column("revision")
        batch.drop_column("room")
