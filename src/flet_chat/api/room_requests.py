"""Socket.IO requests about rooms and messages' later life, and which rooms a client hears.

A client hears a room's events because its sid is in the Socket.IO room named by the room's key.
Sids enter only rooms their user is in (on join, on every membership change, and when someone
opens a direct conversation with them, which reaches this process as a `MembershipChanged` on
the bus), so nothing of a direct conversation reaches a third person's client. Every request
is checked again by the core on the server (RoomService, MessageActions): the Socket.IO rooms
decide who hears, never who may act.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

from flet_chat.api.acks import Ack
from flet_chat.api.clients import ApiClient
from flet_chat.api.feed import Change
from flet_chat.api.schemas import (
    CreateRoomRequest,
    DeleteRequest,
    EditRequest,
    JoinRoomAck,
    LinkMaker,
    MarkReadRequest,
    MembershipEvent,
    MessageAck,
    MessageChangedEvent,
    MessageEvent,
    OkAck,
    OpenDirectRequest,
    ReactRequest,
    RoomAck,
    RoomChangedEvent,
    RoomCreatedEvent,
    RoomInfo,
    RoomRequest,
    RoomsAck,
    RoomStateInfo,
)
from flet_chat.bootstrap import Services
from flet_chat.core.errors import JOIN_FIRST, NotJoinedError, ValidationError
from flet_chat.core.events import MembershipChanged, MessageChanged, RoomChanged
from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import AuthorKind, Room, RoomKind
from flet_chat.core.rooms import direct_key, room_key, user_key


def joined_name(client: ApiClient) -> str:
    if client.user_name is None:
        raise NotJoinedError(JOIN_FIRST)
    return client.user_name


def requested_key(user_name: str, raw: str | None) -> str:
    """A room's key from a request: "@Bob" is the user's conversation with Bob."""
    if raw is not None and raw.strip().startswith("@"):
        return direct_key(user_name, raw.strip()[1:])
    return room_key(raw)


async def spelled(services: Services, name: str) -> str:
    """`name` as its owner writes it when they are online ("bob" is Bob), since a direct
    conversation keeps its two names as first given."""
    wanted = user_key(name.strip())
    online = await services.chat.online_users()
    return next((n for n in online if user_key(n) == wanted), name)


class RoomRequests:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        clients: dict[str, ApiClient],
        links: Callable[[], LinkMaker | None] = lambda: None,
    ) -> None:
        self._sio = sio
        self._clients = clients
        self._links = links  # the attachments' API links, once the services have started

    # -- who hears what -------------------------------------------------------------------------

    def _sids_of(self, user_name: str) -> list[str]:
        """This process's clients of one user (sids are per process; other processes do this
        for theirs when the same bus event reaches them)."""
        key = user_key(user_name)
        return [
            sid
            for sid, c in self._clients.items()
            if c.user_name is not None and user_key(c.user_name) == key
        ]

    async def enter_all(self, client: ApiClient, services: Services) -> None:
        """Put a client that just joined the chat in every room its user is in."""
        for state in await services.chat.rooms.rooms_of(joined_name(client)):
            await self._sio.enter_room(client.sid, state.room.key)

    async def _enter(self, user_name: str, key: str) -> None:
        for sid in self._sids_of(user_name):
            await self._sio.enter_room(sid, key)

    async def _leave(self, user_name: str, key: str) -> None:
        if key == DEFAULT_ROOM:
            return  # everyone hears #general
        for sid in self._sids_of(user_name):
            await self._sio.leave_room(sid, key)

    async def on_change(self, change: Change) -> None:
        """A bus event about rooms or a message's later life (the feed calls this, in order)."""
        if isinstance(change, MessageChanged):
            event = MessageChangedEvent.of(change.message, links=self._links())
            await self._sio.emit("message_changed", event.model_dump(mode="json"), room=event.room)
        elif isinstance(change, MembershipChanged):
            if change.joined:
                await self._enter(change.user_name, change.room.key)
            else:
                await self._leave(change.user_name, change.room.key)
            for sid in self._sids_of(change.user_name):
                client = self._clients.get(sid)  # it may have gone during an await
                if client is None:
                    continue
                membership = MembershipEvent(
                    room=RoomInfo.of(change.room, client.user_name),
                    user_name=change.user_name,
                    joined=change.joined,
                )
                await self._sio.emit("membership", membership.model_dump(mode="json"), to=sid)
        elif isinstance(change, RoomChanged):
            await self._room_changed(change)

    async def _room_changed(self, change: RoomChanged) -> None:
        room = change.room
        info = RoomInfo.of(room, None)
        if change.created:
            if room.kind is RoomKind.PUBLIC:  # every joined client is in #general
                created = RoomCreatedEvent(room=info)
                await self._sio.emit(
                    "room_created", created.model_dump(mode="json"), room=DEFAULT_ROOM
                )
            return
        # A public room's change is everyone's news (an archived one leaves the directory); a
        # private room's reaches its members only.
        audience = DEFAULT_ROOM if room.kind is RoomKind.PUBLIC else room.key
        changed = RoomChangedEvent(room=info)
        await self._sio.emit("room_changed", changed.model_dump(mode="json"), room=audience)

    # -- requests (each behind SocketApi's guard) -----------------------------------------------

    async def room_ack(self, client: ApiClient, services: Services, room: Room) -> JoinRoomAck:
        me = joined_name(client)
        latest = await services.chat.latest(room.key, reader=me)
        return JoinRoomAck(
            room=RoomInfo.of(room, me),
            topic=await services.chat.topic(room.key),
            messages=[MessageEvent.of(m, links=services.files.api_links) for m in latest.messages],
            has_older=latest.has_older,
        )

    async def join_room(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = RoomRequest.model_validate(data)
        me = joined_name(client)
        room = await services.chat.rooms.join(me, requested_key(me, request.room))
        await self._enter(me, room.key)  # this client hears it from the ack on
        return (await self.room_ack(client, services, room)).model_dump(mode="json")

    async def leave_room(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = RoomRequest.model_validate(data)
        me = joined_name(client)
        room = await services.chat.rooms.readable(me, requested_key(me, request.room))
        await services.chat.rooms.leave(me, room.key)
        await self._leave(me, room.key)
        return RoomAck(room=RoomInfo.of(room, me)).model_dump(mode="json")

    async def create_room(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = CreateRoomRequest.model_validate(data)
        me = joined_name(client)
        room = await services.chat.rooms.create(
            me, request.name, private=request.private, origin=client.origin
        )
        await self._enter(me, room.key)
        return RoomAck(room=RoomInfo.of(room, me)).model_dump(mode="json")

    async def open_direct(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = OpenDirectRequest.model_validate(data)
        me = joined_name(client)
        if client.author_kind is not AuthorKind.USER:
            raise ValidationError("Bots cannot have direct conversations.")
        other = await spelled(services, request.user_name)
        room = await services.chat.rooms.open_direct(me, other, origin=client.origin)
        for member in room.members:  # the other's clients on this process hear it at once too
            await self._enter(member, room.key)
        return RoomAck(room=RoomInfo.of(room, me)).model_dump(mode="json")

    async def rooms(self, client: ApiClient, services: Services, data: Any) -> Ack:
        del data  # no payload
        me = joined_name(client)
        states = await services.chat.rooms.rooms_of(me)
        public = await services.chat.rooms.public_rooms()
        return RoomsAck(
            rooms=[RoomStateInfo.of_state(s, me) for s in states],
            public=[RoomInfo.of(r, me) for r in public],
        ).model_dump(mode="json")

    async def mark_read(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = MarkReadRequest.model_validate(data)
        me = joined_name(client)
        room = await services.chat.rooms.readable(me, requested_key(me, request.room))
        await services.chat.rooms.mark_read(me, room.key, request.message_id)
        return OkAck().model_dump(mode="json")

    async def edit(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = EditRequest.model_validate(data)
        changed = await services.chat.actions.edit(
            joined_name(client), request.message_id, request.text, origin=client.origin
        )
        links = services.files.api_links
        return MessageAck(message=MessageEvent.of(changed, links=links)).model_dump(mode="json")

    async def delete(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = DeleteRequest.model_validate(data)
        changed = await services.chat.actions.delete(
            joined_name(client), request.message_id, origin=client.origin
        )
        links = services.files.api_links
        return MessageAck(message=MessageEvent.of(changed, links=links)).model_dump(mode="json")

    async def react(self, client: ApiClient, services: Services, data: Any) -> Ack:
        request = ReactRequest.model_validate(data)
        changed = await services.chat.actions.toggle_reaction(
            joined_name(client), request.message_id, request.emoji, origin=client.origin
        )
        links = services.files.api_links
        return MessageAck(message=MessageEvent.of(changed, links=links)).model_dump(mode="json")
