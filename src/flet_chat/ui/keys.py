"""Stable control keys: tests and the benchmark find controls by these, never by id."""

NAME_INPUT = "name_input"
JOIN_BUTTON = "join_button"
MESSAGE_INPUT = "message_input"
SEND_BUTTON = "send_button"
MESSAGE_LIST = "message_list"
LOAD_OLDER_BUTTON = "load_older_button"
JUMP_TO_NEWEST_BUTTON = "jump_to_newest_button"
