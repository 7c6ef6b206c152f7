"""Display names, statuses and avatar versions, read once per process and shared by every session.

Every message row, member row and direct conversation shows its person's profile. Reading it per
row would be a query per message per session; instead rows ask this cache, which answers from
memory. Names it does not know yet are read together, in one query per batch, either ahead of
time (`ensure`, awaited before a page of history is drawn) or in the background (`prefetch`, for
someone who just came online or posted). A `ProfileChanged` from the bus (any process) updates
the entry at once; sessions hear which people changed, at most once per `coalesce` seconds.

Bounded: the least recently used entries are forgotten past `capacity` (read again if needed).
Plain asyncio, no Flet: listeners are sync callables that render their own session.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence

from flet_chat.core.accounts.models import Profile
from flet_chat.core.events import LocalEvent, MessagePosted, PresenceChanged, ProfileChanged
from flet_chat.core.models import AuthorKind
from flet_chat.core.rooms import user_key
from flet_chat.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

NO_PROFILE = Profile()
CAPACITY = 10_000
# Names per query: one IN list this long is cheap on SQLite and PostgreSQL alike.
BATCH = 500
COALESCE_SECONDS = 0.1
RETRY_SECONDS = 2.0  # after a failed read (the store away), before the next one
# Listeners run in slices so one change seen by 1,000 sessions does not hold the loop.
SLICE = 50

Load = Callable[[Sequence[str]], Awaitable[dict[str, Profile]]]
ChangeListener = Callable[[frozenset[str]], None]  # told the user keys whose profile changed


def profile_stamp(profile: Profile) -> int:
    """0 for no profile, else a number that changes with it: part of the key of a row drawn with
    it, so that a row drawn anew is a new control to Flet (see ui/keys.py). Derived from the
    profile alone, so every process agrees on it."""
    if profile == NO_PROFILE:
        return 0
    shown = f"{profile.display_name}\x00{profile.status}\x00{profile.avatar_version}"
    return int.from_bytes(hashlib.blake2b(shown.encode(), digest_size=4).digest(), "big") or 1


_NOTHING_SHOWN = (NO_PROFILE, 0)


class ProfileCache:
    def __init__(
        self,
        load: Load,
        *,
        capacity: int = CAPACITY,
        batch: int = BATCH,
        coalesce: float = COALESCE_SECONDS,
    ) -> None:
        self._load = load
        self._capacity = capacity
        self._batch = batch
        self._coalesce = coalesce
        # By user key: the profile and its stamp (worked out once, not per row drawn).
        self._profiles: OrderedDict[str, tuple[Profile, int]] = OrderedDict()
        # Goes up whenever `shown` may answer differently for some name (a profile read or
        # changed, one forgotten): what was drawn from it before may be out of date.
        self.version = 0
        self._wanted: dict[str, str] = {}  # user key -> name, to read in the background
        self._loading: dict[str, asyncio.Future[None]] = {}  # user key -> its read in flight
        self._changed: set[str] = set()
        self._listeners: dict[ChangeListener, None] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- reading --------------------------------------------------------------------------------

    def get(self, user_name: str) -> Profile | None:
        """The profile if known (NO_PROFILE for a name without an account), else None."""
        key = user_key(user_name)
        entry = self._profiles.get(key)
        if entry is None:
            return None
        self._profiles.move_to_end(key)
        return entry[0]

    def shown(self, user_name: str) -> tuple[Profile, int]:
        """What to draw now, with its stamp: the known profile, or none while it is read in the
        background."""
        key = user_key(user_name)
        entry = self._profiles.get(key)
        if entry is None:
            self.prefetch([user_name])
            return _NOTHING_SHOWN
        self._profiles.move_to_end(key)
        return entry

    def prefetch(self, user_names: Iterable[str]) -> None:
        """Read these names in the background if they are not known (cheap: call it freely)."""
        for name in user_names:
            key = user_key(name)
            if key not in self._profiles and key not in self._loading:
                self._wanted[key] = name
        if self._wanted:
            self._wake.set()

    async def ensure(self, user_names: Iterable[str]) -> None:
        """Have these names' profiles known before returning: the missing ones are read in one
        query per batch (names another caller is reading are waited for, not read again)."""
        missing: dict[str, str] = {}
        waits: list[asyncio.Future[None]] = []
        for name in user_names:
            key = user_key(name)
            if key in self._profiles or key in missing:
                continue
            loading = self._loading.get(key)
            if loading is not None:
                waits.append(loading)
            else:
                missing[key] = name
        if missing:
            await self._read(missing)
        if waits:
            await asyncio.gather(*waits, return_exceptions=True)

    async def _read(self, wanted: dict[str, str]) -> None:
        loop = asyncio.get_running_loop()
        items = list(wanted.items())
        for start in range(0, len(items), self._batch):
            chunk = dict(items[start : start + self._batch])
            done: asyncio.Future[None] = loop.create_future()
            for key in chunk:
                self._loading[key] = done
                self._wanted.pop(key, None)
            try:
                found = await self._load(list(chunk.values()))
                by_key = {user_key(name): profile for name, profile in found.items()}
                for key in chunk:
                    self._remember(key, by_key.get(key, NO_PROFILE))
            finally:
                for key in chunk:
                    self._loading.pop(key, None)
                done.set_result(None)

    # -- changing -------------------------------------------------------------------------------

    def on_event(self, event: LocalEvent) -> None:
        """The bus's listener for this process: applies a change, or notes names to read."""
        if isinstance(event, ProfileChanged):
            self._remember(user_key(event.user_name), event.profile)
        elif isinstance(event, PresenceChanged):
            if event.online:
                self.prefetch([event.user_name])  # who comes online is who posts next
        elif isinstance(event, MessagePosted):
            message = event.message
            if message.author_kind is AuthorKind.USER and user_key(message.user_name) not in (
                self._profiles
            ):
                self.prefetch([message.user_name])

    def _remember(self, key: str, profile: Profile) -> None:
        before = self._profiles.get(key, _NOTHING_SHOWN)[0]
        self._profiles[key] = (profile, profile_stamp(profile))
        self._profiles.move_to_end(key)
        while len(self._profiles) > self._capacity:
            self._profiles.popitem(last=False)
            self.version += 1
        # Rows drawn while the name was unknown show no profile: that is a change too.
        if before != profile:
            self.version += 1
            self._changed.add(key)
            self._wake.set()

    # -- telling sessions ---------------------------------------------------------------------

    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners[listener] = None

    def unsubscribe(self, listener: ChangeListener) -> None:
        self._listeners.pop(listener, None)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="profile-cache")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            pause = self._coalesce
            if self._wanted:
                try:
                    await self._read(dict(self._wanted))
                except Exception as error:  # the store is away: names show without profiles
                    logger.warning("could not read profiles: %r", error)
                    pause = RETRY_SECONDS
            if self._changed:
                changed, self._changed = frozenset(self._changed), set()
                await self._notify(changed)
            # Changes and names that arrive meanwhile are taken together at the end of this.
            await asyncio.sleep(pause)

    async def _notify(self, changed: frozenset[str]) -> None:
        for i, listener in enumerate(list(self._listeners)):
            if i and i % SLICE == 0:
                await asyncio.sleep(0)  # let message deliveries run in between
            try:
                listener(changed)
            except Exception:
                logger.exception("a profile listener failed")
