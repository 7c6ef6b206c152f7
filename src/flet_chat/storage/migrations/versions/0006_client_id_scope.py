"""Client message ids are scoped to the room and the author's kind and name.

A retried send finds its own earlier message and nothing else: before this revision the key was
(user name, client id) alone, so an integration posting under a person's name with a client id
that person had used in a direct conversation was answered with their private message.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The new key has more columns than the old one, so rows unique before stay unique.
    op.drop_index("ux_messages_user_client_id", table_name="messages")
    op.create_index(
        "ux_messages_client_id",
        "messages",
        ["room", "author_kind", "user_name", "client_id"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_messages_client_id", table_name="messages")
    op.create_index(
        "ux_messages_user_client_id", "messages", ["user_name", "client_id"], unique=True
    )
