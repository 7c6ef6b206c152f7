"""Composition root: builds the store, bus and services from settings. Nothing runs at import."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from flet_chat.bots.dispatcher import BotDispatcher, load_entry_point_bots
from flet_chat.bots.helper import HelperBot
from flet_chat.bots.who import online_users_from
from flet_chat.bus.fanout import Fanout
from flet_chat.bus.local import LocalBus, ProcessListener, TopicHub
from flet_chat.bus.presence import LocalPresence, RedisPresence
from flet_chat.bus.redis_bus import RedisBus
from flet_chat.bus.redis_rate_limit import RedisRateLimiter
from flet_chat.core.accounts.passwords import Argon2Hasher
from flet_chat.core.accounts.ports import AccountStore
from flet_chat.core.accounts.service import AccountService, PasswordHasher
from flet_chat.core.accounts.tickets import UploadTickets
from flet_chat.core.attachments import AttachmentService, LinkSigner
from flet_chat.core.identity import IdentitySigner
from flet_chat.core.limits import DEFAULT_ROOM
from flet_chat.core.models import HistoryPage, MessageKind
from flet_chat.core.moderation_models import EVERYWHERE
from flet_chat.core.names import ReservedNames
from flet_chat.core.ports import (
    BlobStore,
    EventBus,
    MessageStore,
    ModerationStore,
    Presence,
    RoomStore,
)
from flet_chat.core.rate_limit import LocalRateLimiter, RateLimits
from flet_chat.core.service import ChatService
from flet_chat.core.standing_cache import StandingCache
from flet_chat.live.newest_page import NewestPage, opening_with_posted
from flet_chat.live.presence_cache import POLL_SECONDS, PresenceCache
from flet_chat.live.profile_cache import ProfileCache
from flet_chat.live.room_directory import RoomDirectory
from flet_chat.live.session_watch import SessionWatch
from flet_chat.live.typing_board import TypingBoard
from flet_chat.media.files import FileInspector
from flet_chat.memory import MemoryTrimmer
from flet_chat.settings import Settings
from flet_chat.storage.account_store import SqlAccountStore
from flet_chat.storage.blobs import LocalBlobStore
from flet_chat.storage.engine import (
    create_engine,
    create_writer_engine,
    expect_cancelled_resets,
    private_dir,
)
from flet_chat.storage.migrate import upgrade_to_head_async
from flet_chat.storage.moderation_store import SqlModerationStore
from flet_chat.storage.room_store import SqlRoomStore
from flet_chat.storage.s3_blobs import S3BlobStore
from flet_chat.storage.sql_store import SqlStore
from flet_chat.submit import Submissions


class ProcessBus(EventBus, Protocol):
    """The core's EventBus plus what the process does with it (LocalBus, RedisBus, a fake)."""

    def add_listener(self, listener: ProcessListener) -> None: ...

    def describe(self) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class ProcessPresence(Presence, Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def dispose_engines(services: Services) -> None:
    """Close the database connections: the writer's (when it has its own), then the pool's,
    that one even if the first fails."""
    try:
        writer = services.writer_engine
        if writer is not None and writer is not services.engine:
            await writer.dispose()
    finally:
        if services.engine is not None:
            await services.engine.dispose()


@dataclass(slots=True)
class Services:
    settings: Settings
    engine: AsyncEngine | None  # None when the stores were substitutes
    writer_engine: AsyncEngine | None  # SQLite's writer's own connection (else `engine`)
    store: MessageStore
    bus: ProcessBus
    presence: ProcessPresence
    accounts: AccountService
    chat: ChatService
    presence_cache: PresenceCache
    profile_cache: ProfileCache  # display names and avatars every row and list shows
    room_directory: RoomDirectory  # the public rooms every join lists
    general_page: NewestPage[tuple[HistoryPage, str | None]]  # what every tab opens on
    typing_board: TypingBoard
    session_watch: SessionWatch  # signs out connections whose account session ended
    bots: BotDispatcher
    submissions: Submissions  # what people type: a command or a message
    blobs: BlobStore  # attachments' bytes: a directory, or an S3 bucket
    files: AttachmentService  # sending and fetching attachments


def blob_store(settings: Settings) -> BlobStore:
    """An S3-compatible bucket when FLET_CHAT_S3_BUCKET is set, else data_dir/files."""
    if settings.s3_bucket:
        secret = settings.s3_secret_access_key
        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=secret.get_secret_value() if secret is not None else None,
            prefix=settings.s3_prefix,
        )
    return LocalBlobStore(settings.resolved_files_dir())


def bootstrap(
    settings: Settings,
    hub: TopicHub,
    *,
    store: MessageStore | None = None,
    room_store: RoomStore | None = None,
    bus: ProcessBus | None = None,
    presence: ProcessPresence | None = None,
    limits: RateLimits | None = None,
    account_store: AccountStore | None = None,
    hasher: PasswordHasher | None = None,
    blobs: BlobStore | None = None,
    moderation_store: ModerationStore | None = None,
) -> Services:
    """Builds every service from `settings`; a substitute given (tests: in-memory fakes) is used
    instead of what settings would build. `store`, `room_store` and `account_store` come
    together or not at all: the SQL stores share one engine (`moderation_store` too, when
    given; else the SQL one when the SQL stores are built, or none: no bans, reports or
    audit log, for tests of other things)."""
    given = [s is not None for s in (store, room_store, account_store)]
    if any(given) and not all(given):
        raise ValueError("give store, room_store and account_store, or none of them")
    engine: AsyncEngine | None = None
    writer_engine: AsyncEngine | None = None
    if store is None or room_store is None or account_store is None:
        url, synchronous = settings.resolved_database_url(), settings.sqlite_synchronous
        engine = create_engine(url, sqlite_synchronous=synchronous)
        writer_engine = create_writer_engine(engine, url, sqlite_synchronous=synchronous)
        sql_store = SqlStore(engine, writer_engine=writer_engine)
        store, room_store = sql_store, SqlRoomStore(engine, sql_store)
        account_store = SqlAccountStore(engine, sql_store)
        moderation_store = moderation_store or SqlModerationStore(engine, sql_store)
    if limits is None:
        limiter: LocalRateLimiter | RedisRateLimiter = LocalRateLimiter()
        if settings.redis_url:
            # Budgets hold across workers and machines; per process while Redis is away.
            limiter = RedisRateLimiter(
                settings.redis_url, settings.redis_prefix, fallback=LocalRateLimiter()
            )
        limits = RateLimits(limiter, exempt_networks=settings.rate_limit_exempt_networks)
    if bus is None:
        bus = (
            RedisBus(hub, store, settings.redis_url, settings.redis_prefix)
            if settings.redis_url
            else LocalBus(hub)
        )
    if presence is None:
        presence = (
            RedisPresence(
                settings.redis_url, settings.redis_prefix, ttl=settings.presence_ttl_seconds
            )
            if settings.redis_url
            else LocalPresence()
        )
    reserved = ReservedNames()
    blobs = blobs or blob_store(settings)
    # Roles are the accounts' (built just below); an admin may delete anyone's message.
    chat = ChatService(
        store,
        bus,
        limits,
        presence,
        room_store,
        reserved=reserved,
        is_admin=lambda name: accounts.is_admin(name),
        blobs=blobs,
        moderation_store=moderation_store,
        ban_account=lambda name: accounts.end_every_session(name),
        standings=StandingCache(),
    )
    # Before anything else may publish: a mute heard here forgets the standings kept.
    bus.add_listener(chat.rooms.on_event)
    files = AttachmentService(
        chat,
        store,
        blobs,
        FileInspector(),
        LinkSigner(settings.resolved_secret_key()),
        max_bytes=settings.max_upload_bytes,
    )
    accounts = AccountService(
        account_store,
        hasher or Argon2Hasher(),
        limits,
        bus,
        reserved,
        guests=settings.guests,
        admins=settings.admins,
        legacy_tokens=IdentitySigner(settings.resolved_secret_key()),
        upload_tickets=UploadTickets(settings.resolved_secret_key()),
        is_banned=None if moderation_store is None else _banned_everywhere(moderation_store),
    )
    # One process alone hears of every change through its own bus; with Redis, sessions of a
    # process that died only expire, so the list is also re-read every few seconds.
    presence_cache = PresenceCache(
        presence.online_users,
        poll=POLL_SECONDS if isinstance(presence, RedisPresence) else None,
    )
    typing_board = TypingBoard()
    profile_cache = ProfileCache(accounts.profiles)
    bus.add_listener(presence_cache.on_event)
    bus.add_listener(profile_cache.on_event)
    bus.add_listener(typing_board.on_event)
    room_directory = RoomDirectory(chat.rooms.public_rooms)
    bus.add_listener(room_directory.on_event)

    async def general_opening() -> tuple[HistoryPage, str | None]:
        return await chat.latest(DEFAULT_ROOM), await chat.topic(DEFAULT_ROOM)

    general_page = NewestPage(
        DEFAULT_ROOM,
        general_opening,
        opening_with_posted,
        stale=lambda message: message.kind is MessageKind.TOPIC,  # the topic is in the answer
    )
    bus.add_listener(general_page.on_event)
    session_watch = SessionWatch(accounts)
    bus.add_listener(session_watch.on_event)
    bots = BotDispatcher(
        chat,
        [HelperBot(), *load_entry_point_bots()],
        spend=chat.spend,
        online_users=online_users_from(presence, chat.rooms.members),
    )
    chat.add_observer(bots.observe)
    # In-process bots and the bots that connect with a token from settings.
    chat.reserve_names([*bots.names, *settings.bot_tokens])
    return Services(
        settings=settings,
        engine=engine,
        writer_engine=writer_engine,
        store=store,
        bus=bus,
        presence=presence,
        accounts=accounts,
        chat=chat,
        presence_cache=presence_cache,
        profile_cache=profile_cache,
        room_directory=room_directory,
        general_page=general_page,
        typing_board=typing_board,
        session_watch=session_watch,
        bots=bots,
        submissions=Submissions(chat, bots),
        blobs=blobs,
        files=files,
    )


def _banned_everywhere(store: ModerationStore) -> Callable[[str], Awaitable[bool]]:
    async def banned(user_name: str) -> bool:
        return await store.is_banned(EVERYWHERE, user_name)

    return banned


class Runtime:
    """Starts the services once per process (migrations first) and stops them on shutdown."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # Sessions whose controller is alive; counted by /healthz so leaks are visible.
        self.live_sessions: set[Any] = set()
        # How events reach this process's sessions (see bus/fanout.py for why not Flet's hub).
        self.fanout = Fanout()
        self.memory = MemoryTrimmer()
        self._services: Services | None = None
        self._lock = asyncio.Lock()

    @property
    def services(self) -> Services | None:
        return self._services

    async def start(self) -> Services:
        async with self._lock:
            if self._services is None:
                private_dir(self.settings.data_dir)  # the database, the secret key
                if self.settings.migrate_on_start:
                    await upgrade_to_head_async(self.settings.resolved_database_url())
                services = bootstrap(self.settings, self.fanout)
                if isinstance(services.blobs, S3BlobStore):
                    await services.blobs.start()
                await services.accounts.settle_roles()
                await services.bus.start()
                await services.presence.start()
                await services.presence_cache.start()
                await services.profile_cache.start()
                await services.typing_board.start()
                await services.session_watch.start()
                self._services = services
            return self._services

    async def stop(self) -> None:
        expect_cancelled_resets()  # sessions still mid-query are cancelled from here on
        await self.memory.stop()
        if self._services is not None:
            await self._services.session_watch.stop()
            await self._services.typing_board.stop()
            await self._services.presence_cache.stop()
            await self._services.profile_cache.stop()
            await self._services.bots.stop()
            await self._services.bus.stop()
            await self._services.presence.stop()
            if isinstance(self._services.chat.limits.limiter, RedisRateLimiter):
                await self._services.chat.limits.limiter.close()
            if isinstance(self._services.blobs, S3BlobStore):
                await self._services.blobs.stop()
            await self._services.chat.rooms.stop()
            await dispose_engines(self._services)
            self._services = None
