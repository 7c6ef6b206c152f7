"""Errors the core raises; every one carries a message fit to show the user."""


class ChatError(Exception):
    """Base class: `str(error)` is what the user sees."""


class ValidationError(ChatError):
    """The input breaks a rule (length, characters, blank)."""


class RateLimitedError(ChatError):
    """The user sends faster than the server allows."""


class NotJoinedError(ChatError):
    """Posting before joining the chat."""


JOIN_FIRST = "Join the chat first."


class NameTakenError(ChatError):
    """An unauthenticated client asked for the name of a user who is online right now."""
