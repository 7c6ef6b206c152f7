"""The BlobStore contract, on a local directory and on an S3 bucket (moto's S3 server, started
here on a free port: a real HTTP server speaking the S3 protocol, not a mock of the client)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from flet_chat.core.attachments import blob_key, new_attachment_id
from flet_chat.core.ports import BlobStore
from flet_chat.storage.blobs import LocalBlobStore
from flet_chat.storage.s3_blobs import S3BlobStore
from tests.support.s3 import make_bucket, moto_s3

BUCKET = "flet-chat-files"
CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
async def blobs(
    request: pytest.FixtureRequest, tmp_path: Path, s3_endpoint: str
) -> AsyncIterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "files")
        return
    await make_bucket(s3_endpoint, BUCKET)
    store = S3BlobStore(BUCKET, endpoint_url=s3_endpoint, prefix=f"{tmp_path.name}/", **CREDENTIALS)
    await store.start()
    yield store
    await store.stop()


async def test_a_blob_is_put_read_back_and_deleted(blobs: BlobStore) -> None:
    key = blob_key(new_attachment_id())
    data = os.urandom(300_000)
    await blobs.put(key, data, "application/octet-stream")
    assert await blobs.get(key) == data
    await blobs.put(key, b"replaced", "text/plain")
    assert await blobs.get(key) == b"replaced"
    await blobs.delete(key)
    assert await blobs.get(key) is None
    await blobs.delete(key)  # already gone: no error


async def test_a_thumbnail_is_a_blob_of_its_own(blobs: BlobStore) -> None:
    file_id = new_attachment_id()
    await blobs.put(blob_key(file_id), b"full", "image/png")
    await blobs.put(blob_key(file_id, thumbnail=True), b"small", "image/webp")
    assert await blobs.get(blob_key(file_id)) == b"full"
    assert await blobs.get(blob_key(file_id, thumbnail=True)) == b"small"
    assert await blobs.get(blob_key(new_attachment_id())) is None


@pytest.mark.parametrize(
    "key", ["../../secret_key", "/etc/passwd", "a" * 22 + "/..", "", "a" * 21, "a" * 22 + ".exe"]
)
async def test_keys_that_are_not_server_made_are_refused(blobs: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="not a blob key"):
        await blobs.put(key, b"x", "text/plain")
    with pytest.raises(ValueError, match="not a blob key"):
        await blobs.get(key)
    with pytest.raises(ValueError, match="not a blob key"):
        await blobs.delete(key)


async def test_concurrent_writers_of_many_blobs_all_land(blobs: BlobStore) -> None:
    keys = [blob_key(new_attachment_id()) for _ in range(20)]
    await asyncio.gather(*(blobs.put(k, k.encode(), "text/plain") for k in keys))
    assert await asyncio.gather(*(blobs.get(k) for k in keys)) == [k.encode() for k in keys]


async def test_local_files_stay_in_their_directory_and_are_private(tmp_path: Path) -> None:
    root = tmp_path / "files"
    store = LocalBlobStore(root)
    key = blob_key(new_attachment_id())
    await store.put(key, b"secret", "text/plain")
    # One file (no temporary one left behind), in a private directory under the root.
    [written] = await asyncio.to_thread(lambda: [p for p in root.rglob("*") if p.is_file()])
    assert written.name == key
    assert written.parent.parent == root
    assert stat.S_IMODE(written.parent.stat().st_mode) == 0o700


async def test_two_s3_stores_on_one_bucket_share_files(s3_endpoint: str) -> None:
    """What several machines do: one writes, another reads and deletes."""
    await make_bucket(s3_endpoint, BUCKET)
    machines = [
        S3BlobStore(BUCKET, endpoint_url=s3_endpoint, prefix="shared/", **CREDENTIALS)
        for _ in range(2)
    ]
    for machine in machines:
        await machine.start()
    key = blob_key(new_attachment_id())
    await machines[0].put(key, b"from one", "text/plain")
    assert await machines[1].get(key) == b"from one"
    await machines[1].delete(key)
    assert await machines[0].get(key) is None
    for machine in machines:
        await machine.stop()
