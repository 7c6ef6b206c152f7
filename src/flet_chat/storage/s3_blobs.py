"""`S3BlobStore`: attachments' bytes in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), so
the servers of several machines share files. Chosen by FLET_CHAT_S3_BUCKET (settings.py); the
client (aiobotocore, async) is opened at start and closed at stop. Keys are server-made and
checked (storage/blobs.check_key), under an optional prefix so one bucket can hold several
chats. Tested against moto's S3 server (tests/adapters/test_blob_stores.py)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError

from flet_chat.storage.blobs import check_key

_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3BlobStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        prefix: str = "",
    ) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._options: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region or "us-east-1",
            "aws_access_key_id": access_key_id,
            "aws_secret_access_key": secret_access_key,
            "config": Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                # Path-style addressing works with every S3-compatible server.
                s3={"addressing_style": "path"},
            ),
        }
        self._stack: AsyncExitStack | None = None
        self._client: Any = None

    async def start(self) -> None:
        if self._client is not None:
            return
        stack = AsyncExitStack()
        self._client = await stack.enter_async_context(
            get_session().create_client("s3", **self._options)
        )
        self._stack = stack

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self._client = None, None

    def _key(self, key: str) -> str:
        return self._prefix + check_key(key)

    def _started(self) -> Any:
        if self._client is None:
            raise RuntimeError("the S3 blob store is not started")
        return self._client

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._started().put_object(
            Bucket=self._bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes | None:
        try:
            answer = await self._started().get_object(Bucket=self._bucket, Key=self._key(key))
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in _MISSING:
                return None
            raise
        async with answer["Body"] as body:
            data: bytes = await body.read()
        return data

    async def delete(self, key: str) -> None:
        await self._started().delete_object(Bucket=self._bucket, Key=self._key(key))
