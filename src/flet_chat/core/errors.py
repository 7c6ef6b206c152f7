"""Errors the core raises; every one carries a message fit to show the user."""


class ChatError(Exception):
    """Base class: `str(error)` is what the user sees."""


class ValidationError(ChatError):
    """The input breaks a rule (length, characters, blank)."""


class RateLimitedError(ChatError):
    """The user sends faster than the server allows."""


class NotJoinedError(ChatError):
    """Posting before joining the chat."""


class ForbiddenError(ChatError):
    """The user may not do this here: not a moderator, muted, banned, an archived room
    (answered over Socket.IO as `forbidden`)."""


class UnauthorizedError(ChatError):
    """What was shown proves no account: a wrong name or password, an ended session."""


# Refusal texts more than one place shows: written once, here.
JOIN_FIRST = "Join the chat first."
STARTING = "The server is starting. Try again."
SOMETHING_WENT_WRONG = "Something went wrong. Try again."
NO_SUCH_MESSAGE = "That message no longer exists."
JOIN_BEFORE_SENDING = "Join the chat before sending messages."


class NameTakenError(ChatError):
    """An unauthenticated client asked for the name of a user who is online right now."""
