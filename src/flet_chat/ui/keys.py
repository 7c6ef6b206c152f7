"""Stable control keys: tests and the benchmark find controls by these, never by id."""

NAME_INPUT = "name_input"
JOIN_BUTTON = "join_button"
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


def room_entry(key: str) -> str:
    """A room in the room list ("room-general"); its unread badge is "room-unread-general"."""
    return f"room-{key}"


def room_unread(key: str) -> str:
    return f"room-unread-{key}"


def directory_entry(key: str) -> str:
    return f"join-room-{key}"
