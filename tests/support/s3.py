"""A local S3 for tests: moto's S3 server (a real HTTP server speaking the S3 protocol) on a free
port in a thread of the test process, and a bucket on it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer

ACCESS_KEY = SECRET_KEY = "testing"


@contextlib.contextmanager
def moto_s3() -> Iterator[str]:
    """The server's endpoint URL while the block runs."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


async def make_bucket(endpoint: str, bucket: str) -> None:
    async with get_session().create_client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    ) as client:
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            await client.create_bucket(Bucket=bucket)
