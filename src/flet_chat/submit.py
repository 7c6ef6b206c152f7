"""One path for text a person submits, from every client: the Flet composer, Socket.IO `send`,
the seed's console and the webhook. A `/command` goes to the bots (an integration's text is always
a message); anything else is posted through the ChatService. Each
caller shows the outcome its own way; the rules, limits and refusal texts are the same for all.
"""

from __future__ import annotations

from dataclasses import dataclass

from flet_chat.bots.dispatcher import BotDispatcher, is_command
from flet_chat.core.models import AuthorKind, Message
from flet_chat.core.rate_limit import Origin
from flet_chat.core.service import ChatService


@dataclass(frozen=True, slots=True)
class Submitted:
    """What came of it: the stored message, or a command's private answer (or neither: a
    command whose bot posted in the room itself)."""

    message: Message | None = None
    hint: str | None = None


class Submissions:
    def __init__(self, chat: ChatService, bots: BotDispatcher) -> None:
        self._chat = chat
        self._bots = bots

    async def submit(
        self,
        user_name: str,
        text: str,
        *,
        room: str,
        client_id: str | None = None,
        author_kind: AuthorKind = AuthorKind.USER,
        origin: Origin | None = None,
        is_retry: bool = False,
    ) -> Submitted:
        """Raises ChatError (refused: its text is for the user) like ChatService.post."""
        if author_kind is not AuthorKind.INTEGRATION and is_command(text):
            # Commands run where they were typed, which the user must be in, not muted there,
            # the room not archived (a bot's answer would be said on the caller's behalf).
            where = await self._chat.rooms.writable(user_name, room)
            if where.slow_mode_seconds > 0 and author_kind is AuthorKind.USER:
                # A command counts as a message in slow mode, as it does for the rate limit:
                # /me, /topic and /ask post as the caller, /roll makes the bot speak for them.
                await self._chat.moderation.slow_down(user_name, where, origin)
            reply = await self._bots.run(text, user_name=user_name, room=where.key, origin=origin)
            return Submitted(hint=reply.hint)
        message = await self._chat.post(
            user_name,
            text,
            client_id=client_id,
            is_retry=is_retry,
            author_kind=author_kind,
            room=room,
            origin=origin,
        )
        return Submitted(message=message)
