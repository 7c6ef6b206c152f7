"""Accounts straight in a data dir's database, for tests of what a signed-in member sees (the
sign-up dialog is another part's): the services a server would build, on its database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flet_chat.bootstrap import bootstrap
from flet_chat.bus.fanout import Fanout
from flet_chat.core.accounts.models import Authenticated, SessionKind
from flet_chat.settings import Settings
from flet_chat.storage.migrate import upgrade_to_head_async


@dataclass(frozen=True)
class Member:
    name: str
    token: str  # the browser session's token, as client storage keeps it
    upload_ticket: str  # what the profile dialog puts in its upload URL


async def sign_up(data_dir: Path, name: str, password: str = "correct horse battery") -> Member:
    """A member with a browser session, as the sign-up dialog would make. Uses the server's
    secret key (kept in the data dir), so the server accepts the ticket."""
    settings = Settings(data_dir=data_dir)
    await upgrade_to_head_async(settings.resolved_database_url())
    services = bootstrap(settings, Fanout())
    try:
        signed = await services.accounts.sign_up(name, password)
        auth = Authenticated(signed.account, signed.session_id, SessionKind.BROWSER)
        return Member(name, signed.token, services.accounts.upload_ticket(auth))
    finally:
        assert services.engine is not None
        await services.engine.dispose()
