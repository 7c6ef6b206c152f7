"""Socket.IO requests of moderation and private rooms (issue 17), and the events they cause.

Each request is a thin call into `chat.moderation` (core/moderation.py), which decides who may
do what; a refusal of permission is answered `{ok: false, error: {code: "forbidden"}}` by the
guard in socketio_api.py. Requests name rooms as other requests do ("dev", "#dev").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

from flet_chat.api.acks import Ack
from flet_chat.api.clients import ApiClient
from flet_chat.api.room_requests import joined_name, requested_key
from flet_chat.api.schemas import (
    ArchiveRequest,
    AuditEntryInfo,
    AuditLogAck,
    AuditLogRequest,
    BannedAck,
    BanRequest,
    InviteRequest,
    LinkMaker,
    MemberInfo,
    MemberRequest,
    MembersAck,
    MembersRequest,
    MessageEvent,
    ModerationEvent,
    MuteAck,
    MuteRequest,
    OkAck,
    OpenReportInfo,
    ReportAck,
    ReportInfo,
    ReportRequest,
    ReportsAck,
    ReportsRequest,
    ResolveReportRequest,
    RoomAck,
    RoomInfo,
    SetRoleRequest,
    SlowModeRequest,
)
from flet_chat.bootstrap import Services
from flet_chat.core.events import ModerationChanged
from flet_chat.core.moderation_models import EVERYWHERE, ModerationAction
from flet_chat.core.rooms import user_key


class ModerationRequests:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        clients: dict[str, ApiClient],
        links: Callable[[], LinkMaker | None] = lambda: None,
    ) -> None:
        self._sio = sio
        self._clients = clients
        self._links = links

    def handlers(self) -> dict[str, Any]:
        return {
            "invite": self.invite,
            "mute": self.mute,
            "unmute": self.unmute,
            "kick": self.kick,
            "ban": self.ban,
            "unban": self.unban,
            "banned": self.banned,
            "slow_mode": self.slow_mode,
            "set_role": self.set_role,
            "transfer": self.transfer,
            "archive": self.archive,
            "members": self.members,
            "report": self.report,
            "reports": self.reports,
            "resolve_report": self.resolve_report,
            "audit_log": self.audit_log,
        }

    # -- events -------------------------------------------------------------------------------

    async def on_moderation(self, change: ModerationChanged) -> None:
        """To every client of the user concerned on this process, and to the room's clients."""
        event = ModerationEvent(
            room=change.room,
            user_name=change.user_name,
            action=ModerationAction(change.action),
            until=change.until,
            role=change.role,  # type: ignore[arg-type]  # a RoomRole's value or None
        ).model_dump(mode="json")
        target = user_key(change.user_name)
        mine = [
            sid
            for sid, c in self._clients.items()
            if c.user_name is not None and user_key(c.user_name) == target
        ]
        for sid in mine:
            await self._sio.emit("moderation", event, to=sid)
        if change.room != EVERYWHERE:
            await self._sio.emit("moderation", event, room=change.room, skip_sid=mine or None)

    # -- requests (each behind SocketApi's guard) ---------------------------------------------

    async def invite(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = InviteRequest.model_validate(data)
        me = joined_name(client)
        room = await services.chat.moderation.invite(
            me, requested_key(me, request.room), request.user_name, origin=client.origin
        )
        return RoomAck(room=RoomInfo.of(room, me)).model_dump(mode="json")

    async def mute(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = MuteRequest.model_validate(data)
        me = joined_name(client)
        until = await services.chat.moderation.mute(
            me,
            requested_key(me, request.room),
            request.user_name,
            request.minutes,
            reason=request.reason,
            origin=client.origin,
        )
        return MuteAck(until=until).model_dump(mode="json")

    async def unmute(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = MemberRequest.model_validate(data)
        me = joined_name(client)
        await services.chat.moderation.unmute(
            me, requested_key(me, request.room), request.user_name, origin=client.origin
        )
        return OkAck().model_dump(mode="json")

    async def kick(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = MemberRequest.model_validate(data)
        me = joined_name(client)
        await services.chat.moderation.kick(
            me,
            requested_key(me, request.room),
            request.user_name,
            reason=request.reason,
            origin=client.origin,
        )
        return OkAck().model_dump(mode="json")

    async def ban(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = BanRequest.model_validate(data)
        me = joined_name(client)
        room = None if request.room is None else requested_key(me, request.room)
        await services.chat.moderation.ban(
            me, request.user_name, room, reason=request.reason, origin=client.origin
        )
        return OkAck().model_dump(mode="json")

    async def unban(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = BanRequest.model_validate(data)
        me = joined_name(client)
        room = None if request.room is None else requested_key(me, request.room)
        await services.chat.moderation.unban(me, request.user_name, room, origin=client.origin)
        return OkAck().model_dump(mode="json")

    async def banned(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = MembersRequest.model_validate(data) if data else None
        me = joined_name(client)
        room = None if request is None else requested_key(me, request.room)
        names = await services.chat.moderation.banned(me, room)
        return BannedAck(banned=names).model_dump(mode="json")

    async def slow_mode(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SlowModeRequest.model_validate(data)
        me = joined_name(client)
        room = await services.chat.moderation.set_slow_mode(
            me, requested_key(me, request.room), request.seconds, origin=client.origin
        )
        return RoomAck(room=RoomInfo.of(room, me)).model_dump(mode="json")

    async def set_role(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = SetRoleRequest.model_validate(data)
        me = joined_name(client)
        await services.chat.moderation.set_role(
            me,
            requested_key(me, request.room),
            request.user_name,
            request.role,
            origin=client.origin,
        )
        return OkAck().model_dump(mode="json")

    async def transfer(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = MemberRequest.model_validate(data)
        me = joined_name(client)
        await services.chat.moderation.transfer(
            me, requested_key(me, request.room), request.user_name, origin=client.origin
        )
        return OkAck().model_dump(mode="json")

    async def archive(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = ArchiveRequest.model_validate(data)
        me = joined_name(client)
        room = await services.chat.moderation.archive(
            me, requested_key(me, request.room), archived=request.archived, origin=client.origin
        )
        return RoomAck(room=RoomInfo.of(room, me)).model_dump(mode="json")

    async def members(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = MembersRequest.model_validate(data)
        me = joined_name(client)
        key = requested_key(me, request.room)
        found = await services.chat.rooms.memberships(me, key)
        return MembersAck(
            room=key,
            members=[
                MemberInfo(user_name=m.user_name, role=m.role, muted_until=m.muted_until)
                for m in found
            ],
        ).model_dump(mode="json")

    async def report(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = ReportRequest.model_validate(data)
        made = await services.chat.moderation.report(
            joined_name(client), request.message_id, request.reason, origin=client.origin
        )
        return ReportAck(report=ReportInfo.of(made)).model_dump(mode="json")

    async def reports(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = ReportsRequest.model_validate(data or {})
        found = await services.chat.moderation.open_reports(
            joined_name(client), limit=request.limit
        )
        links = services.files.api_links
        return ReportsAck(
            reports=[
                OpenReportInfo(
                    report=ReportInfo.of(r.report),
                    message=None if r.message is None else MessageEvent.of(r.message, links=links),
                    context=[MessageEvent.of(m, links=links) for m in r.context],
                )
                for r in found
            ]
        ).model_dump(mode="json")

    async def resolve_report(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = ResolveReportRequest.model_validate(data)
        closed = await services.chat.moderation.resolve(
            joined_name(client),
            request.report_id,
            request.action,
            minutes=request.minutes,
            reason=request.reason,
            origin=client.origin,
        )
        return ReportAck(report=ReportInfo.of(closed)).model_dump(mode="json")

    async def audit_log(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = AuditLogRequest.model_validate(data or {})
        entries = await services.chat.moderation.audit_log(
            joined_name(client), limit=request.limit, before=request.before
        )
        return AuditLogAck(entries=[AuditEntryInfo.of(e) for e in entries]).model_dump(mode="json")
