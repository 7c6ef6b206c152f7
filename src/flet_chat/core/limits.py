"""Every user-facing limit in one place, so the UI and the server agree."""

MAX_NAME_LENGTH = 32
MAX_MESSAGE_LENGTH = 4000
HISTORY_PAGE_SIZE = 50
# Flet re-diffs a whole ListView on every update, so a session's rendered rows are capped.
MAX_RENDERED_MESSAGES = 200
# Token bucket per user: a burst of RATE_BURST messages, refilled at RATE_PER_SECOND.
RATE_BURST = 10
RATE_PER_SECOND = 2.0
# The room everyone is in from the start; nobody can leave it.
DEFAULT_ROOM = "general"
MAX_ROOM_NAME_LENGTH = 40
MAX_TOPIC_LENGTH = 200
# Unread counts stop counting here (the room list shows "99+"): a count is one indexed query.
UNREAD_CAP = 100
# Different emoji one message can carry, and the longest emoji sequence accepted.
MAX_REACTIONS_PER_MESSAGE = 20
MAX_EMOJI_LENGTH = 16
# A user's typing reaches the other sessions at most once per this many seconds...
TYPING_INTERVAL_SECONDS = 2.0
# ...and "is typing" disappears this long after the last one (or when their message arrives).
TYPING_SHOWN_SECONDS = 5.0
# Join and leave notices are posted while at most this many people are online. In a bigger crowd
# a notice per arrival would bury the conversation (and reach every one of them); the member list
# shows who is here instead.
NOTICE_CROWD = 100
# The member list renders at most this many names, then "and N more": a session's diff stays
# small in a crowded room.
MAX_MEMBERS_SHOWN = 50
# Message ids are 64-bit signed integers in SQLite and PostgreSQL: a bigger one names no message
# (and the databases refuse to even compare with it).
MAX_MESSAGE_ID = 2**63 - 1
