"""Moderation and private rooms: room roles, mutes, archive, slow mode, bans, reports, audit log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROOM_KEY_LENGTH = 300
USER_KEY_LENGTH = 128
REASON_LENGTH = 500
_OPEN = sa.text("resolved_at IS NULL")


def upgrade() -> None:
    # Plain ADD COLUMNs, never batch mode: SQLite's batch would copy `messages` into a new
    # table, dropping the full-text triggers of migration 0009.
    op.add_column(
        "messages",
        sa.Column("removed_by_moderator", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("rooms", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "rooms", sa.Column("slow_mode_seconds", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "room_members", sa.Column("role", sa.String(16), nullable=False, server_default="member")
    )
    op.add_column(
        "room_members", sa.Column("muted_until", sa.DateTime(timezone=True), nullable=True)
    )
    _creators_own_their_rooms(op.get_bind())
    op.create_table(
        "room_bans",
        sa.Column("room", sa.String(ROOM_KEY_LENGTH), nullable=False),
        sa.Column("user_key", sa.String(USER_KEY_LENGTH), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("banned_by", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(REASON_LENGTH), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room", "user_key"),
    )
    op.create_table(
        "reports",
        sa.Column("id", _id_type, primary_key=True, autoincrement=True),
        sa.Column("message_id", _id_type, nullable=False),
        sa.Column("room", sa.String(ROOM_KEY_LENGTH), nullable=False),
        sa.Column("reporter_key", sa.String(USER_KEY_LENGTH), nullable=False),
        sa.Column("reporter", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(REASON_LENGTH), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(64), nullable=True),
        sa.Column("resolution", sa.String(16), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ux_reports_open",
        "reports",
        ["message_id", "reporter_key"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index("ix_reports_resolved_id", "reports", ["resolved_at", "id"])
    op.create_table(
        "audit_log",
        sa.Column("id", _id_type, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_user", sa.String(64), nullable=True),
        sa.Column("room", sa.String(ROOM_KEY_LENGTH), nullable=True),
        sa.Column("message_id", _id_type, nullable=True),
        sa.Column("reason", sa.String(REASON_LENGTH), nullable=True),
        sa.Column("detail", sa.String(128), nullable=True),
        sqlite_autoincrement=True,
    )


def _creators_own_their_rooms(bind: sa.Connection) -> None:
    """Every room's creator owns it (rooms made before roles existed too). Member rows are
    keyed by the casefolded name; SQL's lower() is not that (ASCII-only on SQLite, "ß" stays
    "ß" on PostgreSQL), so the keys are made here. Rooms are few next to messages."""
    rooms = sa.table(
        "rooms",
        sa.column("key", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("created_by", sa.String()),
    )
    members = sa.table(
        "room_members",
        sa.column("room", sa.String()),
        sa.column("user_key", sa.String()),
        sa.column("role", sa.String()),
    )
    made = bind.execute(
        sa.select(rooms.c.key, rooms.c.created_by).where(
            rooms.c.kind == "public", rooms.c.created_by.is_not(None)
        )
    ).all()
    if not made:
        return
    owner = (
        members.update()
        .where(
            members.c.room == sa.bindparam("room_key"), members.c.user_key == sa.bindparam("who")
        )
        .values(role="owner")
    )
    bind.execute(owner, [{"room_key": row.key, "who": row.created_by.casefold()} for row in made])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_reports_resolved_id", table_name="reports")
    op.drop_index("ux_reports_open", table_name="reports")
    op.drop_table("reports")
    op.drop_table("room_bans")
    # SQLite (3.35 and later) and PostgreSQL both drop a column in place; batch mode would
    # copy `messages` and lose its full-text triggers.
    for table, column in (
        ("room_members", "muted_until"),
        ("room_members", "role"),
        ("rooms", "slow_mode_seconds"),
        ("rooms", "archived_at"),
        ("messages", "removed_by_moderator"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
