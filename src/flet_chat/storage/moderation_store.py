"""SqlModerationStore: the ModerationStore port (bans, reports, the audit log)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.core.limits import MAX_MESSAGE_ID
from flet_chat.core.moderation_models import (
    EVERYWHERE,
    AuditEntry,
    ModerationAction,
    NewAuditEntry,
    NewReport,
    Report,
    ReportResolution,
)
from flet_chat.core.rooms import user_key
from flet_chat.storage.sql_store import SqlStore
from flet_chat.storage.tables import audit_log, reports, room_bans

# Asked at every join and post, so built once (see room_store).
_IS_BANNED = (
    select(room_bans.c.room)
    .where(
        room_bans.c.user_key == bindparam("banned_key"),
        or_(room_bans.c.room == bindparam("room_key"), room_bans.c.room == EVERYWHERE),
    )
    .limit(1)
)


class SqlModerationStore:
    def __init__(self, engine: AsyncEngine, messages_store: SqlStore) -> None:
        self._engine = engine
        self._writes = messages_store  # shares its write queue (one writer on SQLite)

    async def add_ban(
        self, key: str, user_name: str, *, banned_by: str, reason: str | None, at: datetime
    ) -> bool:
        try:
            async with self._writes.writing() as conn:
                await conn.execute(
                    insert(room_bans).values(
                        room=key,
                        user_key=user_key(user_name),
                        user_name=user_name,
                        banned_by=banned_by,
                        reason=reason,
                        created_at=at,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def remove_ban(self, key: str, user_name: str) -> bool:
        async with self._writes.writing() as conn:
            done = await conn.execute(
                delete(room_bans).where(
                    room_bans.c.room == key, room_bans.c.user_key == user_key(user_name)
                )
            )
        return done.rowcount > 0

    async def is_banned(self, key: str, user_name: str) -> bool:
        ban = {"banned_key": user_key(user_name), "room_key": key}
        async with self._engine.connect() as conn:
            return (await conn.execute(_IS_BANNED, ban)).first() is not None

    async def banned(self, key: str) -> list[str]:
        query = (
            select(room_bans.c.user_name)
            .where(room_bans.c.room == key)
            .order_by(room_bans.c.user_key)
        )
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).scalars().all())

    async def add_report(self, new: NewReport, at: datetime) -> Report | None:
        try:
            async with self._writes.writing() as conn:
                made = await conn.execute(
                    insert(reports)
                    .values(
                        message_id=new.message_id,
                        room=new.room,
                        reporter_key=user_key(new.reporter),
                        reporter=new.reporter,
                        reason=new.reason,
                        created_at=at,
                    )
                    .returning(reports.c.id)
                )
                report_id = made.scalar_one()
        except IntegrityError:
            return None  # an open report of it by the same reporter (ux_reports_open)
        return Report(report_id, new.message_id, new.room, new.reporter, new.reason, at)

    async def report(self, report_id: int) -> Report | None:
        if not 0 < report_id <= MAX_MESSAGE_ID:
            return None
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(reports).where(reports.c.id == report_id))).first()
        return None if row is None else _report(row)

    async def open_reports(self, limit: int) -> list[Report]:
        query = (
            select(reports)
            .where(reports.c.resolved_at.is_(None))
            .order_by(reports.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_report(row) for row in (await conn.execute(query)).all()]

    async def resolve_report(
        self, report_id: int, *, by: str, resolution: ReportResolution, at: datetime
    ) -> Report | None:
        async with self._writes.writing() as conn:
            done = await conn.execute(
                update(reports)
                .where(reports.c.id == report_id, reports.c.resolved_at.is_(None))
                .values(resolved_at=at, resolved_by=by, resolution=resolution.value)
            )
            if done.rowcount == 0:
                return None
            row = (await conn.execute(select(reports).where(reports.c.id == report_id))).one()
        return _report(row)

    async def reopen_report(self, report_id: int) -> None:
        try:
            async with self._writes.writing() as conn:
                await conn.execute(
                    update(reports)
                    .where(reports.c.id == report_id)
                    .values(resolved_at=None, resolved_by=None, resolution=None)
                )
        except IntegrityError:
            pass  # its reporter reported the message again meanwhile (ux_reports_open)

    async def add_audit(self, entry: NewAuditEntry, at: datetime) -> AuditEntry:
        values = {
            "at": at,
            "actor": entry.actor,
            "action": entry.action.value,
            "target_user": entry.target_user,
            "room": entry.room,
            "message_id": entry.message_id,
            "reason": entry.reason,
            "detail": entry.detail,
        }
        async with self._writes.writing() as conn:
            made = await conn.execute(insert(audit_log).values(values).returning(audit_log.c.id))
            entry_id = made.scalar_one()
        return AuditEntry(
            entry_id,
            at,
            entry.actor,
            entry.action,
            entry.target_user,
            entry.room,
            entry.message_id,
            entry.reason,
            entry.detail,
        )

    async def audit_log(self, limit: int, before: int | None) -> list[AuditEntry]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if before is not None:
            if before <= 0:
                return []
            if before <= MAX_MESSAGE_ID:
                query = query.where(audit_log.c.id < before)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            AuditEntry(
                row.id,
                _utc(row.at),
                row.actor,
                ModerationAction(row.action),
                row.target_user,
                row.room,
                row.message_id,
                row.reason,
                row.detail,
            )
            for row in rows
        ]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _report(row: Row[Any]) -> Report:
    return Report(
        row.id,
        row.message_id,
        row.room,
        row.reporter,
        row.reason,
        _utc(row.created_at),
        None if row.resolved_at is None else _utc(row.resolved_at),
        row.resolved_by,
        None if row.resolution is None else ReportResolution(row.resolution),
    )
