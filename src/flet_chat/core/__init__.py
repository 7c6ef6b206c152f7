"""Framework-free domain: models, validation, ports and the ChatService.

Nothing here imports flet, sqlalchemy, redis or socketio.
"""
