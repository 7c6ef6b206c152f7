"""The composer: what the user types goes to `services.submissions` (a message is posted, a
command goes to the bots), retried with backoff while the store is away; Enter pressed twice
sends once; refusals, retries and private answers show under the field."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from flet_chat.core.errors import JOIN_BEFORE_SENDING, ChatError
from flet_chat.core.rate_limit import Origin
from flet_chat.retry import RETRY_DELAYS, with_backoff
from flet_chat.submit import Submitted
from flet_chat.ui.session.drafts import Drafts
from flet_chat.ui.session.screen import Screen, show_under_field
from flet_chat.ui.views.chat_view import ChatView

logger = logging.getLogger(__name__)

SEND_FAILED = "Could not send the message. Check your connection and try again."
SEND_RETRYING = "Not sent yet: retrying..."


class Submit(Protocol):
    """`Submissions.submit`: one path for what people type."""

    async def __call__(
        self,
        user_name: str,
        text: str,
        *,
        room: str,
        client_id: str,
        is_retry: bool,
        origin: Origin | None,
    ) -> Submitted: ...


class Composer:
    def __init__(
        self,
        *,
        submit: Submit,
        view: ChatView,
        screen: Screen,
        me: Callable[[], str | None],
        room: Callable[[], str],
        restored: Callable[[], Awaitable[None]],
        posted: Callable[[], Awaitable[None]],
        origin: Origin | None = None,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        drafts: Drafts | None = None,
    ) -> None:
        """`restored` waits for a stored identity still being read; `posted` follows a message
        the user posted (to the newest row); `drafts` are the other rooms' unsent texts."""
        self._submit = submit
        self._view = view
        self._screen = screen
        self._me = me
        self._room = room
        self._restored = restored
        self._posted = posted
        self._origin = origin
        self._retry_delays = retry_delays
        self._drafts = drafts if drafts is not None else Drafts()
        self._sending: set[str] = set()

    async def send(self, event: object) -> None:
        field = self._view.message_input
        if self._me() is None:
            # Typed before the stored identity came back (one round trip): wait for it.
            await self._restored()
        user_name = self._me()
        if user_name is None:
            return show_under_field(self._view, self._screen, JOIN_BEFORE_SENDING)
        # Flet applies typed text before it runs a handler, so by now field.value may already
        # hold what the user typed next; a submit event carries the text as it was on Enter.
        data = getattr(event, "data", None)
        text = data if isinstance(data, str) else field.value
        if not text.strip():
            return  # Enter on an empty composer is not an error worth showing.
        if text in self._sending:
            return  # Enter pressed twice, or Enter and the button: it is already on its way
        self._sending.add(text)
        # The room it was typed in, for every attempt: the user may switch rooms meanwhile.
        room = self._room()
        try:
            done = await self._submit_with_retries(user_name, text, room)
        finally:
            self._sending.discard(text)
        if done is None:
            return  # refused or failed: the text stays, the reason shows under it
        if self._room() != room:
            self._drafts.sent(room, text)  # the user moved on: that room's draft is sent
        elif field.value == text:  # keep whatever the user has typed since
            field.value = ""
        # A command's private answer (unknown command, /help) shows here only, never stored.
        self._view.show_composer_status(done.hint)
        self._screen.refresh(field)
        if done.message is not None and done.message.room == self._room():
            await self._posted()  # to the newest row, if its room is still the one on screen
        await self._screen.focus(field)

    async def _submit_with_retries(self, user_name: str, text: str, room: str) -> Submitted | None:
        """Submit (a message or a command), retrying while the store is unreachable; None if it
        was refused or kept failing. One client id for every attempt: an attempt that committed
        although its answer was lost is stored once."""
        client_id = uuid.uuid4().hex

        async def attempt(number: int) -> Submitted:
            return await self._submit(
                user_name,
                text,
                room=room,
                client_id=client_id,
                is_retry=number > 0,
                origin=self._origin,
            )

        def failed(number: int, error: Exception, wait: float | None) -> None:
            if wait is None:
                logger.warning("send failed after %d attempts: %r", number + 1, error)
            elif number == 0:
                logger.warning("send failed, retrying: %r", error)
                self._view.show_composer_status(SEND_RETRYING)
                self._screen.refresh(self._view.message_input)

        try:
            return await with_backoff(
                attempt, steps=self._retry_delays, fatal=(ChatError,), on_failure=failed
            )
        except ChatError as error:
            show_under_field(self._view, self._screen, str(error))
        except Exception:
            show_under_field(self._view, self._screen, SEND_FAILED)  # the text stays in the field
        return None
