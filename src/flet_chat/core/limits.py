"""Every user-facing limit in one place, so the UI and the server agree."""

MAX_NAME_LENGTH = 32
MAX_MESSAGE_LENGTH = 4000
HISTORY_PAGE_SIZE = 50
# Flet re-diffs a whole ListView on every update, so a session's rendered rows are capped.
MAX_RENDERED_MESSAGES = 200
# Token bucket per user: a burst of RATE_BURST messages, refilled at RATE_PER_SECOND.
RATE_BURST = 10
RATE_PER_SECOND = 2.0
