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
# A room's key: a public room's name, or a direct conversation's "dm:<n>:" and its two people's
# casefolded names (casefolding can triple a name's length: "ß" is "ss").
MAX_ROOM_KEY_LENGTH = 300
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
# A tab coming back from a dropped connection (with its stored session) this soon after the
# process started is one of the tabs a restart (a deploy) dropped: it is not announced again.
# One process keeps presence in memory, so every returning user was "first" again, and a
# hundred "has joined" notices pushed what was said before the restart off every screen.
RETURN_WINDOW_SECONDS = 60.0
# The member list renders at most this many names, then "and N more": a session's diff stays
# small in a crowded room.
MAX_MEMBERS_SHOWN = 50

# Rate limits beyond the per-user bucket (RATE_BURST, RATE_PER_SECOND). A made-up name gets a
# fresh user bucket, so every action is also counted per connection (a browser tab, a Socket.IO
# client, the webhook's token) and per client IP. An IP gets a few people's worth: a household or
# an office shares one. Each pair is (burst, refill per second); see core/rate_limit.py.
# Messages (commands, edits, deletes and reactions count as messages too).
CONNECTION_MESSAGE_BUDGET = (RATE_BURST, RATE_PER_SECOND)
IP_MESSAGE_BUDGET = (30, 6.0)
# Joining the chat under a name, refused attempts (a taken name) included.
CONNECTION_JOIN_BUDGET = (10, 0.2)
IP_JOIN_BUDGET = (60, 1.0)
# Creating a public room: a few in a row, then one a minute per person...
ROOM_BUDGET = (3, 1 / 60)
IP_ROOM_BUDGET = (10, 1 / 30)
# ...and a daily cap: per user counted in the database, per IP in the limiter (IPs are not stored).
ROOMS_PER_USER_PER_DAY = 10
ROOMS_PER_IP_PER_DAY = 30
# Opening a direct conversation that does not exist yet (opening an existing one is free).
DIRECT_BUDGET = (10, 1 / 6)
IP_DIRECT_BUDGET = (30, 0.5)
# The webhook as a whole, whatever `name` each request gives: per token and per caller's IP.
WEBHOOK_BUDGET = (30, 5.0)
IP_WEBHOOK_BUDGET = (30, 5.0)
# The room directory a client is sent: the most recently active public rooms, at most this many.
MAX_ROOM_DIRECTORY = 500

# Search (core/search.py): what one query may hold, and how many results one page of them shows.
MAX_SEARCH_LENGTH = 200
MAX_SEARCH_TERMS = 8
SEARCH_PAGE_SIZE = 25
# A search costs more than reading a page of history: a few in a row, then about one a second.
SEARCH_BUDGET = (10, 1.0)
IP_SEARCH_BUDGET = (30, 3.0)
# Opening a search result shows this many messages around it (about half before, half after).
AROUND_PAGE_SIZE = 50

# Message ids are 64-bit signed integers in SQLite and PostgreSQL: a bigger one names no message
# (and the databases refuse to even compare with it).
MAX_MESSAGE_ID = 2**63 - 1

# Accounts (core/accounts/). A password's length is bounded both ways: hashing a megabyte would be
# a cheap way to keep the server busy.
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_DISPLAY_NAME_LENGTH = 48
MAX_STATUS_LENGTH = 120
MAX_TOKEN_LABEL_LENGTH = 40
MAX_ACCESS_TOKENS = 20
# A browser session lasts this long after its last use; a new one comes with each sign-in.
SESSION_DAYS = 30
# Sign-in attempts: per account (whoever tries it), per connection and per client IP; refused
# attempts count too. Per account: a few tries, then one a minute, so guessing a password online
# takes forever while its owner, who gets it wrong twice, is not locked out.
ACCOUNT_SIGN_IN_BUDGET = (5, 1 / 60)
CONNECTION_SIGN_IN_BUDGET = (10, 0.1)
IP_SIGN_IN_BUDGET = (30, 0.5)
# New accounts per client IP: a household or a class signing up at once, not a farm of names.
IP_SIGN_UP_BUDGET = (10, 1 / 60)
# Profile changes (display name, status, avatar, tokens, password) per user.
PROFILE_BUDGET = (10, 1 / 10)

# Attachments (core/attachments.py). The size limit is a setting (FLET_CHAT_MAX_UPLOAD_BYTES);
# this is its default. A file's name is shown and offered as the download's name: cleaned, and
# at most this many characters (the extension kept).
DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_FILE_NAME_LENGTH = 120
MAX_ATTACHMENTS_PER_MESSAGE = 10
# Thumbnails fit in this square; images with more pixels than this are refused undecoded (a
# "decompression bomb": a few kilobytes that decode to gigabytes).
THUMBNAIL_MAX_PX = 1024
MAX_IMAGE_PIXELS = 50_000_000
# A download link works this long after it was handed out (to a member of the room).
ATTACHMENT_LINK_SECONDS = 3600
# A thumbnail's link in a message row (shared by the room's sessions): rows are drawn anew after
# half of this, so a row on screen holds a link that works for at least the other half.
ROW_LINK_SECONDS = 2 * 24 * 3600
# Uploads per user (each costs a message too): a few in a row, then one every few seconds.
UPLOAD_BUDGET = (10, 0.2)
IP_UPLOAD_BUDGET = (30, 1.0)

# Moderation (core/moderation.py).
MAX_MUTE_MINUTES = 60 * 24 * 30  # a month; longer is a ban
MAX_SLOW_MODE_SECONDS = 3600
MAX_REASON_LENGTH = 500  # a report's or a moderation action's reason
REPORT_CONTEXT = 5  # messages shown on each side of a reported one
MAX_AUDIT_PAGE = 200
REPORT_BUDGET = (5, 1 / 60)  # reports per user: a few at once, then one a minute
MODERATION_BUDGET = (30, 1.0)  # moderation actions per moderator
