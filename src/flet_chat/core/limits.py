"""Every user-facing limit in one place, so the UI and the server agree."""

MAX_NAME_LENGTH = 32
MAX_MESSAGE_LENGTH = 4000
HISTORY_PAGE_SIZE = 50
# Flet re-diffs a whole ListView on every update, so a session's rendered rows are capped.
MAX_RENDERED_MESSAGES = 200
# Token bucket per user: a burst of RATE_BURST messages, refilled at RATE_PER_SECOND.
RATE_BURST = 10
RATE_PER_SECOND = 2.0
# Presence and typing (one room for now; rooms will pass their own name).
DEFAULT_ROOM = "general"
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
