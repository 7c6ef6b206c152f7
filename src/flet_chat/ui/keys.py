"""Stable control keys: tests and the benchmark find controls by these, never by id."""

# The first dialog (ui/views/join_dialog.py): one form for a guest, signing in and signing up.
NAME_INPUT = "name_input"
PASSWORD_INPUT = "password_input"
PASSWORD_REPEAT_INPUT = "password_repeat_input"
JOIN_BUTTON = "join_button"  # "Join chat", "Sign in" or "Create account", by the chosen tab
JOIN_TABS = "join_tabs"
JOIN_NOTICE = "join_notice"
MESSAGE_INPUT = "message_input"
SEND_BUTTON = "send_button"
MESSAGE_LIST = "message_list"
LOAD_OLDER_BUTTON = "load_older_button"
JUMP_TO_NEWEST_BUTTON = "jump_to_newest_button"
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


def message_row(message_id: int, revision: int) -> str:
    """A changed message is a new row with a new key: Flet then replaces the row instead of
    reconciling the old shared row into the new one (which would move its id between them)."""
    return f"msg-{message_id}" if revision == 0 else f"msg-{message_id}-r{revision}"


def message_actions(message_id: int) -> str:
    return f"message_actions-{message_id}"


def react(emoji: str) -> str:
    return f"react-{emoji}"


def reaction_chip(message_id: int, emoji: str) -> str:
    return f"reaction-{message_id}-{emoji}"
