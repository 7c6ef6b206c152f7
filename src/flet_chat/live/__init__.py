"""Process-wide live state the bus keeps up to date: who is online, who is typing, and the
notifier that tells sessions it changed. Flet-free: the UI and the API both read it."""
