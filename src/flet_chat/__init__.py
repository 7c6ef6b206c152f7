"""Flet Chat: a real-time multi-session chat built on Flet."""

__version__ = "0.1.0"
