"""Flet UI: one SessionController per session; controls take data and callbacks and do no I/O."""
