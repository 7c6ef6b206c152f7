"""Bots: Python classes that answer slash commands and see messages, through the ChatService.

`base.py` is what a bot author writes against; `dispatcher.py` routes `/commands` typed by any
client (the composer, Socket.IO) to the bot that owns them; `helper.py` is the built-in bot.
"""
