"""Blob stores for attachments' bytes (the core's BlobStore port).

`LocalBlobStore` keeps each blob as a file under a directory (by default `files/` in the data
dir); one process or several on one machine share it. Keys are only ever server-made
(core/attachments.blob_key) and are checked again here against that shape, so no key can
name a path outside the directory. Files are written to a temporary name and renamed into
place, so a reader never sees half a file. File I/O runs in a thread.

For several machines, `storage/s3_blobs.py` keeps them in an S3-compatible bucket.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
from pathlib import Path

# An attachment id (22 URL-safe characters), optionally with ".thumb".
_KEY = re.compile(r"[A-Za-z0-9_-]{22}(\.thumb)?")


def check_key(key: str) -> str:
    if _KEY.fullmatch(key) is None:
        raise ValueError("not a blob key")
    return key


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        check_key(key)
        # A level of directories by the key's first two characters keeps any one small.
        return self._root / key[:2] / key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._write, self._path(key), data)

    async def get(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._read, self._path(key))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        try:
            with open(draft, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(draft, path)
        except BaseException:
            with contextlib.suppress(OSError):
                draft.unlink()
            raise

    @staticmethod
    def _read(path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
