"""Password rules and hashing (argon2id).

The parameters are OWASP's recommendation for argon2id (19 MiB, 2 passes, 1 lane): about 50 ms
a hash on one core of the test machine. 32 MiB doubled that and, four sign-ins at a time on two
cores, put the p95 past the 300 ms budget (bench/sign_in.py; bench/changes.md, "Issue 14").
Hashes run in threads, at most `MAX_CONCURRENT_HASHES` at once, so a burst of sign-ins queues
instead of taking every core and 19 MiB each.
"""

from __future__ import annotations

import asyncio
import gzip
import unicodedata
from functools import cache
from importlib import resources

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from flet_chat.core.errors import ValidationError
from flet_chat.core.limits import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

TIME_COST = 2
MEMORY_COST_KIB = 19 * 1024
PARALLELISM = 1
MAX_CONCURRENT_HASHES = 2

TOO_SHORT = f"Use at least {MIN_PASSWORD_LENGTH} characters for your password."
TOO_LONG = f"Use at most {MAX_PASSWORD_LENGTH} characters for your password."
TOO_COMMON = "That password is too common: people guess it first. Choose another."
SAME_AS_NAME = "Your password must not be your name. Choose another."


@cache
def _common_passwords() -> frozenset[str]:
    # Django's list of 20,000 common passwords (BSD licence, see NOTICE), lower-cased.
    raw = resources.files(__package__).joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(raw).decode().split())


def normalise_password(password: str) -> str:
    """NFKC, as the name rules: the same password typed on a phone's keyboard must match."""
    return unicodedata.normalize("NFKC", password)


def check_new_password(password: object, user_name: str) -> str:
    """The password to hash, or ValidationError saying what to change."""
    if not isinstance(password, str):
        raise ValidationError(TOO_SHORT)
    password = normalise_password(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(TOO_SHORT)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(TOO_LONG)
    lowered = password.casefold()
    if lowered in _common_passwords():
        raise ValidationError(TOO_COMMON)
    if user_name.casefold() in lowered:
        raise ValidationError(SAME_AS_NAME)
    return password


class Argon2Hasher:
    """argon2id through argon2-cffi, off the event loop."""

    def __init__(
        self,
        *,
        time_cost: int = TIME_COST,
        memory_cost: int = MEMORY_COST_KIB,
        parallelism: int = PARALLELISM,
        max_concurrent: int = MAX_CONCURRENT_HASHES,
    ) -> None:
        self._argon2 = _Argon2(
            time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism
        )
        self._slots = asyncio.Semaphore(max_concurrent)
        # Verified when a name has no password, so a wrong name takes as long as a wrong
        # password: the time of an answer must not tell which names exist.
        self._decoy = self._argon2.hash("a decoy that matches nothing")

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash or self._decoy, password) and bool(
                password_hash
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True for a hash made with weaker parameters than today's (rehashed at sign-in)."""
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True
