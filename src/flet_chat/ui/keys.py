"""Stable control keys: tests and the benchmark find controls by these, never by id."""

# The first dialog (ui/views/join_dialog.py): one form for a guest, signing in and signing up.
NAME_INPUT = "name_input"
PASSWORD_INPUT = "password_input"
PASSWORD_REPEAT_INPUT = "password_repeat_input"
JOIN_BUTTON = "join_button"  # "Join chat", "Sign in" or "Create account", by the chosen tab
JOIN_TABS = "join_tabs"
JOIN_NOTICE = "join_notice"
JOIN_EXTERNAL = "join_external"  # the "Sign in with <provider>" buttons and what went wrong
JOIN_EXTERNAL_ERROR = "join_external_error"
MESSAGE_INPUT = "message_input"
SEND_BUTTON = "send_button"
ATTACH_BUTTON = "attach_button"
IMAGE_DIALOG = "image_dialog"  # an attachment's image, full size
IMAGE_DIALOG_CLOSE = "image_dialog_close"
MESSAGE_LIST = "message_list"
LOAD_OLDER_BUTTON = "load_older_button"
JUMP_TO_NEWEST_BUTTON = "jump_to_newest_button"
UNREAD_DIVIDER = "unread_divider"  # "New messages" above the first unread message
MEMBER_LIST = "member_list"
MEMBER_LIST_MORE = "member_list_more"
MEMBER_PANEL = "member_panel"
MEMBERS_TOGGLE = "members_toggle"
TYPING_INDICATOR = "typing_indicator"
ROOM_LIST = "room_list"
ROOM_PANEL = "room_panel"
ROOM_DIRECTORY = "room_directory"
NEW_ROOM_INPUT = "new_room_input"
ROOMS_TOGGLE = "rooms_toggle"
ROOM_TITLE = "room_title"
ROOM_TOPIC = "room_topic"
LEAVE_ROOM_BUTTON = "leave_room_button"
# Search (ui/views/search_dialog.py): the header's button, then its dialog.
SEARCH_BUTTON = "search_button"
SEARCH_INPUT = "search_input"
SEARCH_STATUS = "search_status"
SEARCH_RESULTS = "search_results"
SEARCH_MORE = "search_more"
SEARCH_CLOSE = "search_close"


def search_result(message_id: int) -> str:
    """A result in the search dialog: "search-result-42"; a click opens its room there."""
    return f"search-result-{message_id}"


def sign_in_with(provider: str) -> str:
    """A "Sign in with <provider>" button of the first dialog: "sign-in-github"."""
    return f"sign-in-{provider}"


def join_tab(mode: str) -> str:
    """A tab of the first dialog: "join_tab-guest", "join_tab-sign_in", "join_tab-sign_up"."""
    return f"join_tab-{mode}"


# The account menu in the header (ui/views/account_menu.py) and its dialogs.
ACCOUNT_MENU = "account_menu"
ACCOUNT_PROFILE = "account_profile"
ACCOUNT_PASSWORD = "account_password"  # "Change password", or a guest's "Choose a password"
ACCOUNT_SIGN_OUT = "account_sign_out"
ACCOUNT_SIGN_OUT_EVERYWHERE = "account_sign_out_everywhere"
ACCOUNT_SNACK = "account_snack"
CURRENT_PASSWORD_INPUT = "current_password_input"
NEW_PASSWORD_INPUT = "new_password_input"
NEW_PASSWORD_REPEAT_INPUT = "new_password_repeat_input"
PASSWORD_SAVE = "password_save"
PASSWORD_CANCEL = "password_cancel"
SIGN_OUT_CONFIRM = "sign_out_confirm"
SIGN_OUT_CANCEL = "sign_out_cancel"


def room_entry(key: str) -> str:
    """A room in the room list ("room-general"); its unread badge is "room-unread-general"."""
    return f"room-{key}"


def room_lock(key: str) -> str:
    """The lock before a private room's name in the room list."""
    return f"room-lock-{key}"


def room_unread(key: str) -> str:
    return f"room-unread-{key}"


def directory_entry(key: str) -> str:
    return f"join-room-{key}"


# Message rows and what can be done to a message (ui/controls/chat_message.py,
# ui/message_actions_session.py).
MESSAGE_ACTIONS_SHEET = "message_actions_sheet"
ACTION_EDIT = "message_edit"
ACTION_DELETE = "message_delete"
ACTION_ERROR = "message_action_error"
ACTION_SNACK = "message_action_snack"
EDIT_MESSAGE_INPUT = "edit_message_input"
EDIT_SAVE = "edit_save"
EDIT_CANCEL = "edit_cancel"
DELETE_CONFIRM = "delete_confirm"
DELETE_CANCEL = "delete_cancel"
DELETE_ERROR = "delete_error"
# Moderation (ui/session/room_standing.py, ui/views/room_menu.py, ui/views/report_dialog.py).
MODERATION_NOTICE = "moderation_notice"  # "You were removed from #dev"
ACTION_REMOVE = "message_remove"  # a moderator removes someone else's message
ACTION_REPORT = "message_report"
REMOVE_REASON = "remove_reason"
REMOVE_CONFIRM = "remove_confirm"
REMOVE_CANCEL = "remove_cancel"
REMOVE_ERROR = "remove_error"
REPORT_REASON = "report_reason"
REPORT_SEND = "report_send"
REPORT_CANCEL = "report_cancel"
REPORT_SNACK = "report_snack"
ROOM_MENU_BUTTON = "room_menu_button"  # the header's "Manage room"
ROOM_MENU_STATUS = "room_menu_status"
ROOM_MENU_CLOSE = "room_menu_close"
ROOM_MEMBERS = "room_members"
INVITE_INPUT = "invite_input"
INVITE_BUTTON = "invite_button"
ARCHIVE_BUTTON = "archive_button"
TRANSFER_INPUT = "transfer_input"
TRANSFER_BUTTON = "transfer_button"
MODERATE_REASON = "moderate_reason"
MODERATE_NAME = "moderate_name"  # #general's "Moderate someone" (admins)
MODERATE_NAME_BUTTON = "moderate_name_button"
MODERATE_ERROR = "moderate_error"
MODERATE_CANCEL = "moderate_cancel"
MODERATION_DONE = "moderation_done"  # the snack saying what was done
NEW_ROOM_PRIVATE = "new_room_private"  # the switch by the create field


def slow_mode(seconds: int) -> str:
    return f"slow-mode-{seconds}"


def member_role(user_name: str) -> str:
    """A member's role and mute in the room menu: "role-Bob"."""
    return f"role-{user_name}"


def moderate_member(user_name: str) -> str:
    return f"moderate-{user_name}"


def moderate_action(action: str) -> str:
    """One action of the member dialog: "moderate-action-mute-60", "moderate-action-kick"."""
    return f"moderate-action-{action}"


def message_row(
    message_id: int, revision: int, profile_stamp: int = 0, *, continued: bool = False
) -> str:
    """A changed message is a new row with a new key: Flet then replaces the row instead of
    reconciling the old shared row into the new one (which would move its id between them).
    So is a row drawn again for its author's new profile (live/profile_cache.profile_stamp),
    and a row that continues its author's group ("msg-7-c", no avatar or name), which becomes
    a whole row when it is the first one shown."""
    key = f"msg-{message_id}" if revision == 0 else f"msg-{message_id}-r{revision}"
    if continued:
        return f"{key}-c"
    return key if profile_stamp == 0 else f"{key}-p{profile_stamp}"


def group_head(message_id: int, profile_stamp: int = 0) -> str:
    """The author line shown above a group's first row on screen when the group's start fell
    off the top (ui/controls/chat_message.GroupHead)."""
    return f"group-{message_id}" if profile_stamp == 0 else f"group-{message_id}-p{profile_stamp}"


# A member row is shared like a message row, so its key changes with the profile it shows too.
# The stamp goes before the name, which may hold any visible character ("-" too).
MEMBER_ROW = "member-"
_MEMBER_WITH_PROFILE = "member~"


_GUEST_ROW = "guest-"
_GUEST_WITH_PROFILE = "guest~"
_ROW_PREFIXES = ((MEMBER_ROW, _MEMBER_WITH_PROFILE), (_GUEST_ROW, _GUEST_WITH_PROFILE))


# A member row showing a room role ("owner", "moderator") starts with it: "owner:member-Bob".
_ROLE_PREFIXES = ("owner:", "moderator:")


def member_row(
    user_name: str, profile_stamp: int = 0, *, guest: bool = False, role: str | None = None
) -> str:
    plain, with_profile = _ROW_PREFIXES[1] if guest else _ROW_PREFIXES[0]
    marked = f"{role}:" if role else ""
    if profile_stamp == 0:
        return f"{marked}{plain}{user_name}"
    return f"{marked}{with_profile}{profile_stamp}-{user_name}"


def member_of(key: str) -> str | None:
    """The user name of a member row's key, or None if it is not one."""
    for role in _ROLE_PREFIXES:
        key = key.removeprefix(role)
    for plain, with_profile in _ROW_PREFIXES:
        if key.startswith(plain):
            return key.removeprefix(plain)
        if key.startswith(with_profile):
            stamp, dash, name = key.removeprefix(with_profile).partition("-")
            return name if dash and stamp.isdigit() else None
    return None


def react(emoji: str) -> str:
    return f"react-{emoji}"


def reaction_chip(message_id: int, emoji: str) -> str:
    return f"reaction-{message_id}-{emoji}"


# The profile (ui/views/profile_dialog.py).
PROFILE_DIALOG = "profile_dialog"
PROFILE_AVATAR = "profile_avatar"
PROFILE_CHOOSE_AVATAR = "profile_choose_avatar"
PROFILE_REMOVE_AVATAR = "profile_remove_avatar"
PROFILE_AVATAR_STATUS = "profile_avatar_status"
PROFILE_DISPLAY_NAME = "profile_display_name"
PROFILE_STATUS = "profile_status"
PROFILE_SAVE = "profile_save"
PROFILE_SAVED = "profile_saved"
PROFILE_CLOSE = "profile_close"
TOKEN_LABEL = "token_label"
TOKEN_CREATE = "token_create"
TOKEN_SECRET = "token_secret"
TOKEN_DONE = "token_done"
TOKEN_COPY = "token_copy"
TOKEN_LIST = "token_list"
TOKEN_NOTE = "token_note"


def token_row(session_id: int) -> str:
    return f"token-{session_id}"


def token_revoke(session_id: int) -> str:
    return f"token-revoke-{session_id}"


# The composer's emoji (ui/views/emoji_picker.py, ui/session/emoji_input.py).
EMOJI_BUTTON = "emoji_button"
EMOJI_SUGGESTIONS = "emoji_suggestions"  # `:smi` completion, under the composer
EMOJI_SEARCH = "emoji_search"
EMOJI_GRID = "emoji_grid"


def emoji_suggestion(name: str) -> str:
    return f"emoji_suggestion-{name}"


def emoji_choice(name: str) -> str:
    """A picker grid's emoji, by its shortcode: "emoji-smile"."""
    return f"emoji-{name}"


# The admin view (the route /admin: ui/views/admin_view.py, ui/session/admin.py).
ADMIN_BUTTON = "admin_button"  # the header's "Admin", for admins only
ADMIN_VIEW = "admin_view"
ADMIN_BACK = "admin_back"
ADMIN_BODY = "admin_body"
ADMIN_STATUS = "admin_status"
ADMIN_EMPTY = "admin_empty"
ADMINS_ONLY = "admins_only"
AUDIT_OLDER = "audit_older"


def admin_section(section: str) -> str:
    """ "admin-reports", "admin-audit", "admin-banned"."""
    return f"admin-{section}"


def report_card(report_id: int) -> str:
    return f"report-{report_id}"


def report_reason(report_id: int) -> str:
    return f"report-reason-{report_id}"


def report_message(report_id: int) -> str:
    """The reported message among those around it, highlighted."""
    return f"report-message-{report_id}"


def resolve_report(report_id: int, resolution: str) -> str:
    """ "resolve-7-dismiss", "resolve-7-delete", "resolve-7-mute", ..."""
    return f"resolve-{report_id}-{resolution}"


def audit_entry(entry_id: int) -> str:
    return f"audit-{entry_id}"


def unban(user_name: str) -> str:
    return f"unban-{user_name}"
