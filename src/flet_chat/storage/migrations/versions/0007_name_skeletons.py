"""Claimed names keep their confusable skeleton, unique: no two claimed names look alike.

Existing names get theirs here, oldest first. Where two already look alike ("Alice", and
"Alice" with a Cyrillic A), the earlier keeps the skeleton and the later gets NULL (NULLs never
collide): both people keep their names, and nobody new can take a third look-alike.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from flet_chat.core.names import name_skeleton

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BATCH = 1000
_SKELETON_LENGTH = 512

_users = sa.table(
    "users",
    sa.column("user_key", sa.String()),
    sa.column("user_name", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("skeleton", sa.String()),
)


def upgrade() -> None:
    op.add_column("users", sa.Column("skeleton", sa.String(_SKELETON_LENGTH), nullable=True))
    _backfill(op.get_bind())
    op.create_index("ux_users_skeleton", "users", ["skeleton"], unique=True)


def _backfill(bind: sa.Connection) -> None:
    """Pages through the names oldest first (keyset, so memory holds one page and the set of
    skeletons seen)."""
    seen: set[str] = set()
    order = (_users.c.created_at, _users.c.user_key)
    after: tuple[object, str] | None = None
    set_skeleton = (
        _users.update()
        .where(_users.c.user_key == sa.bindparam("key"))
        .values(skeleton=sa.bindparam("value"))
    )
    while True:
        page = sa.select(_users.c.user_key, _users.c.user_name, _users.c.created_at)
        if after is not None:
            page = page.where(sa.tuple_(*order) > sa.tuple_(*after))
        rows = bind.execute(page.order_by(*order).limit(_BATCH)).all()
        if not rows:
            return
        updates = []
        for row in rows:
            value = name_skeleton(row.user_name)
            # A name from before names were normalised may map to a longer skeleton than any
            # cleaned name can: it stays unindexed rather than failing the migration.
            if value not in seen and len(value) <= _SKELETON_LENGTH:
                seen.add(value)
                updates.append({"key": row.user_key, "value": value})
        if updates:
            bind.execute(set_skeleton, updates)
        after = (rows[-1].created_at, rows[-1].user_key)


def downgrade() -> None:
    op.drop_index("ux_users_skeleton", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("skeleton")
