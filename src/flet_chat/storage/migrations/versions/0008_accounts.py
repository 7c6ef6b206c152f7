"""Accounts: kinds, roles, password hashes and profiles on users; sessions, avatars, identities.

Every name claimed before this revision becomes a guest account: its browser's signed token
still works once, for a session of its own, and that browser may then choose a password.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_USER_KEY = 128
_id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="guest"))
        users.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="member"))
        users.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
        users.add_column(sa.Column("display_name", sa.String(64), nullable=True))
        users.add_column(sa.Column("status", sa.String(160), nullable=True))
        users.add_column(
            sa.Column("avatar_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "sessions",
        sa.Column("id", _id_type, primary_key=True, autoincrement=True),
        sa.Column("user_key", sa.String(_USER_KEY), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ux_sessions_token_hash", "sessions", ["token_hash"], unique=True)
    op.create_index("ix_sessions_user_key", "sessions", ["user_key", "kind"])
    op.create_table(
        "avatars",
        sa.Column("user_key", sa.String(_USER_KEY), primary_key=True),
        sa.Column("image", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "identities",
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_key", sa.String(_USER_KEY), nullable=False),
        sa.PrimaryKeyConstraint("provider", "subject"),
    )


def downgrade() -> None:
    op.drop_table("identities")
    op.drop_table("avatars")
    op.drop_index("ix_sessions_user_key", "sessions")
    op.drop_index("ux_sessions_token_hash", "sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("users") as users:
        for column in ("avatar_version", "status", "display_name", "password_hash", "role"):
            users.drop_column(column)
        users.drop_column("kind")
