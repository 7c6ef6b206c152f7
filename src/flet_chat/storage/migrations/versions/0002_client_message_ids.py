"""Client message ids: a retried send is stored once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("client_id", sa.String(64), nullable=True))
    # NULLs never collide, so messages without a client id (notices, old rows) are unaffected.
    op.create_index(
        "ux_messages_user_client_id", "messages", ["user_name", "client_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ux_messages_user_client_id", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("client_id")
