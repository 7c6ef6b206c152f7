"""Real-time API beside the Flet app: Socket.IO (bots, consoles, the seed's client) and HTTP
webhooks. Payloads are pydantic models (`schemas.py`); handlers go through ChatService."""
