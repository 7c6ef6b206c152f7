"""SQLAlchemy (async) adapter for the core's MessageStore port, and its Alembic migrations."""
