"""Author kind: whether a person, a bot or an integration wrote a message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A server default fills existing rows (all written by people) on SQLite and PostgreSQL alike.
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column("author_kind", sa.String(16), nullable=False, server_default="user")
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("author_kind")
