"""Attachments over HTTP against a real server: POST /api/rooms/{room}/files with the token a
join answers with, and GETs of the links it hands out, by members, strangers and nobody."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from PIL import ExifTags, Image

from flet_chat.core.attachments import LinkMode, LinkSigner
from flet_chat.storage.s3_blobs import S3BlobStore
from tests.integration.conftest import Connect
from tests.support.accounts import sign_up
from tests.support.s3 import ACCESS_KEY, SECRET_KEY, make_bucket, moto_s3
from tests.support.server import ServerProcess
from tests.support.sio import RecordingClient, sio_client

pytestmark = pytest.mark.integration

LIMIT = 1024 * 1024  # FLET_CHAT_MAX_UPLOAD_BYTES for these servers


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory(env={"FLET_CHAT_MAX_UPLOAD_BYTES": str(LIMIT)})


@asynccontextmanager
async def people(server: ServerProcess, *names: str) -> AsyncIterator[list[RecordingClient]]:
    async with AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(sio_client(server)) for _ in names]
        for client, name in zip(clients, names, strict=True):
            assert (await client.join(name))["ok"]
        yield clients


def photo_with_gps() -> bytes:
    image = Image.new("RGB", (1600, 1200), (200, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.52)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def bearer(client: RecordingClient) -> dict[str, str]:
    assert client.token
    return {"Authorization": f"Bearer {client.token}"}


async def post_files(
    server: ServerProcess,
    room: str,
    files: list[tuple[str, bytes, str]],
    *,
    text: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.post(
            f"{server.base_url}/api/rooms/{room}/files",
            files=[("file", f) for f in files],
            data={"text": text} if text is not None else None,
            headers=headers or {},
        )


async def get(
    server: ServerProcess, url: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.get(f"{server.base_url}{url}", headers=headers or {})


async def test_members_send_and_fetch_files_and_nobody_else_does(server: ServerProcess) -> None:
    async with people(server, "Ann", "Bob") as (ann, bob):
        photo = photo_with_gps()
        sent = await post_files(
            server,
            "general",
            [("../holiday.jpg", photo, "image/jpeg"), ("notes.txt", b"bring towels", "x/y")],
            text="from the beach",
            headers=bearer(ann),
        )
        assert sent.status_code == 201, sent.text
        body = sent.json()
        assert body["ok"] is True
        message = body["message"]
        assert (message["user_name"], message["text"]) == ("Ann", "from the beach")
        image, notes = message["attachments"]
        assert (image["name"], image["content_type"]) == ("holiday.jpg", "image/jpeg")
        assert (notes["name"], notes["content_type"]) == ("notes.txt", "text/plain")
        assert image["thumbnail_url"]
        assert notes["thumbnail_url"] is None
        # Bob hears it with its files.
        heard = await bob.wait_for(
            lambda: [m for m in bob.received("message") if m["id"] == message["id"]],
            what="the message with files",
        )
        assert [a["name"] for a in heard[0]["attachments"]] == ["holiday.jpg", "notes.txt"]

        full = await get(server, image["url"], bearer(bob))
        assert full.status_code == 200
        # The photo as sent, but for the metadata that said where it was taken.
        assert len(full.content) == image["size"] < len(photo)
        assert b"PhoneMaker" not in full.content
        with Image.open(io.BytesIO(full.content)) as kept, Image.open(io.BytesIO(photo)) as sent:
            assert kept.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
            assert kept.tobytes() == sent.tobytes()
        assert full.headers["content-type"] == "image/jpeg"
        assert full.headers["x-content-type-options"] == "nosniff"
        assert full.headers["content-disposition"].startswith("inline;")
        thumbnail = await get(server, image["thumbnail_url"], bearer(bob))
        assert thumbnail.status_code == 200
        with Image.open(io.BytesIO(thumbnail.content)) as small:
            assert small.format == "WEBP"
            assert max(small.size) == 1024
            assert dict(small.getexif()) == {}
        assert b"PhoneMaker" not in thumbnail.content
        download = await get(server, notes["url"], bearer(bob))
        assert download.content == b"bring towels"
        assert download.headers["content-disposition"] == (
            "attachment; filename=\"notes.txt\"; filename*=UTF-8''notes.txt"
        )
        assert "sandbox" in download.headers["content-security-policy"]

        # Without credentials, with a made-up token, or with a link whose expiry was pushed.
        assert (await get(server, image["url"])).status_code == 403
        assert (
            await get(server, image["url"], {"Authorization": "Bearer forged"})
        ).status_code == 403
        later = image["url"].replace("exp=", "exp=9")
        assert (await get(server, later, bearer(bob))).status_code == 403
        other_id = image["url"].replace(image["id"], notes["id"])
        assert (await get(server, other_id, bearer(bob))).status_code == 403


async def test_a_direct_conversation_s_files_are_its_two_people_s(server: ServerProcess) -> None:
    async with people(server, "Ann", "Bob", "Carol") as (ann, bob, carol):
        opened = await ann.call("open_direct", {"user_name": "Bob"})
        assert opened["ok"], opened
        key = opened["room"]["key"]
        sent = await post_files(
            server, key, [("s.txt", b"for bob", "text/plain")], headers=bearer(ann)
        )
        assert sent.status_code == 201, sent.text
        [secret] = sent.json()["message"]["attachments"]
        assert (await get(server, secret["url"], bearer(bob))).content == b"for bob"
        # Carol holds a valid link and a valid token of her own: the file does not exist for her.
        refused = await get(server, secret["url"], bearer(carol))
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == "There is no such file."
        # Nor can she post into it, or into a room she is not in.
        into = await post_files(server, key, [("x", b"x", "text/plain")], headers=bearer(carol))
        assert into.status_code == 404
        assert (await bob.call("create_room", {"name": "bobs"}))["ok"]
        not_in = await post_files(
            server, "bobs", [("x", b"x", "text/plain")], headers=bearer(carol)
        )
        assert not_in.status_code == 403
        anonymous = await post_files(server, "general", [("x", b"x", "text/plain")])
        assert anonymous.status_code == 401


async def test_head_and_byte_ranges_after_the_same_checks(server: ServerProcess) -> None:
    """A player seeking in a file, or a resumed download: HEAD and one byte range, for those who
    may read the file; a range never gets anyone else a byte."""
    content = bytes(range(256)) * 40  # 10,240 bytes
    async with people(server, "Ann", "Bob", "Carol") as (ann, bob, carol):
        opened = await ann.call("open_direct", {"user_name": "Bob"})
        assert opened["ok"], opened
        sent = await post_files(
            server,
            opened["room"]["key"],
            [("track.bin", content, "application/octet-stream")],
            headers=bearer(ann),
        )
        assert sent.status_code == 201, sent.text
        [track] = sent.json()["message"]["attachments"]
        url = f"{server.base_url}{track['url']}"
        async with httpx.AsyncClient(timeout=10) as http:
            head = await http.head(url, headers=bearer(bob))
            assert head.status_code == 200
            assert head.content == b""
            assert head.headers["content-length"] == str(len(content))
            assert head.headers["accept-ranges"] == "bytes"
            assert head.headers["content-disposition"].startswith("attachment;")

            middle = await http.get(url, headers={**bearer(bob), "Range": "bytes=100-199"})
            assert middle.status_code == 206
            assert middle.content == content[100:200]
            assert middle.headers["content-range"] == f"bytes 100-199/{len(content)}"
            tail = await http.get(url, headers={**bearer(bob), "Range": "bytes=-10"})
            assert (tail.status_code, tail.content) == (206, content[-10:])
            # Several ranges: the whole file once (never its bytes repeated many times over).
            several = {**bearer(bob), "Range": "bytes=0-0,0-0,0-0"}
            assert (await http.get(url, headers=several)).content == content
            past = await http.get(url, headers={**bearer(bob), "Range": "bytes=20000-"})
            assert past.status_code == 416
            assert past.headers["content-range"] == f"bytes */{len(content)}"

            # Carol, with a valid token of her own, and nobody at all: no bytes, no size.
            for headers, status in ((bearer(carol), 404), ({}, 403)):
                for method in ("HEAD", "GET"):
                    refused = await http.request(
                        method, url, headers={**headers, "Range": "bytes=0-9"}
                    )
                    assert refused.status_code == status, (method, headers)
                    assert "content-range" not in refused.headers
                    assert content[:10] not in refused.content


def web_link(data_dir: Path, url: str, viewer: str) -> str:
    """The link the browser UI gets for `viewer`, signed with the server's own secret."""
    signer = LinkSigner((data_dir / "secret_key").read_text().strip())
    path = urlsplit(url).path
    file_id = path.split("/")[3]
    return signer.url(file_id, LinkMode.WEB, viewer, thumbnail=path.endswith("/thumbnail"))


async def test_the_browser_s_links_name_their_viewer(server: ServerProcess) -> None:
    async with people(server, "Ann", "Bob", "Carol") as (ann, _bob, _carol):
        opened = await ann.call("open_direct", {"user_name": "Bob"})
        sent = await post_files(
            server, opened["room"]["key"], [("a.bin", b"\x00\x01", "x/y")], headers=bearer(ann)
        )
        [file] = sent.json()["message"]["attachments"]
        assert file["content_type"] == "application/octet-stream"
        for_bob = web_link(server.data_dir, file["url"], "Bob")
        assert (await get(server, for_bob)).content == b"\x00\x01"  # no header: the link is enough
        as_carol = for_bob.replace("u=Bob", "u=Carol")
        assert (await get(server, as_carol)).status_code == 403
        # A link made for Carol (as if she had found a way to get one) opens nothing either.
        assert (
            await get(server, web_link(server.data_dir, file["url"], "Carol"))
        ).status_code == 404
        # A web link with Bob's API token: bearer links and web links are not interchangeable.
        assert (await get(server, file["url"])).status_code == 403


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    boundary = b"--cut\r\n"
    yield boundary + b'Content-Disposition: form-data; name="file"; filename="big.bin"\r\n'
    yield b"Content-Type: application/octet-stream\r\n\r\n"
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size
    yield b"\r\n--cut--\r\n"


async def test_uploads_over_the_limit_answer_413(server: ServerProcess) -> None:
    async with people(server, "Ann") as (ann,):
        over = await post_files(
            server, "general", [("big.bin", b"x" * (LIMIT + 1), "x/y")], headers=bearer(ann)
        )
        assert over.status_code == 413
        assert over.json()["error"]["message"] == "Files can be at most 1 MB."
        # A body that does not say how long it is (chunked) is cut off as it arrives.
        headers = {**bearer(ann), "Content-Type": "multipart/form-data; boundary=cut"}
        async with httpx.AsyncClient(timeout=30) as http:
            streamed = await http.post(
                f"{server.base_url}/api/rooms/general/files",
                content=_chunks(3 * LIMIT),
                headers=headers,
            )
        assert streamed.status_code == 413
        at_limit = await post_files(
            server, "general", [("ok.bin", b"x" * LIMIT, "x/y")], headers=bearer(ann)
        )
        assert at_limit.status_code == 201


async def test_deleting_the_message_deletes_its_files(server: ServerProcess) -> None:
    async with people(server, "Ann", "Bob") as (ann, bob):
        sent = await post_files(
            server, "general", [("p.jpg", photo_with_gps(), "x")], headers=bearer(ann)
        )
        message: dict[str, Any] = sent.json()["message"]
        [image] = message["attachments"]
        files_dir = server.data_dir / "files"
        assert sorted(p.name for p in files_dir.rglob("*") if p.is_file()) == sorted(
            [image["id"], image["id"] + ".thumb"]
        )
        deleted = await ann.call("delete", {"message_id": message["id"]})
        assert deleted["ok"], deleted
        assert deleted["message"]["attachments"] == []
        assert (await get(server, image["url"], bearer(bob))).status_code == 404
        assert (await get(server, image["thumbnail_url"], bearer(ann))).status_code == 404
        assert [p for p in files_dir.rglob("*") if p.is_file()] == []


async def test_history_carries_fresh_links(server: ServerProcess) -> None:
    async with people(server, "Ann", "Bob") as (ann, bob):
        await post_files(
            server, "general", [("n.txt", b"hello", "text/plain")], headers=bearer(ann)
        )
        history = await bob.call("history", {"room": "general"})
        [with_file] = [m for m in history["messages"] if m["attachments"]]
        url = with_file["attachments"][0]["url"]
        assert dict(parse_qsl(urlsplit(url).query)).keys() == {"exp", "sig"}
        assert (await get(server, url, bearer(bob))).content == b"hello"


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    with moto_s3() as endpoint:
        yield endpoint


async def test_two_machines_share_files_through_s3(
    postgres_url: str,
    s3_endpoint: str,
    server_factory: Callable[..., ServerProcess],
    tmp_path: Path,
) -> None:
    """Two servers with a database, a secret and a bucket in common, and nothing else (each its
    own data dir): a file sent through one is fetched through the other, and deleted with its
    message from the bucket."""
    await make_bucket(s3_endpoint, "chat-files")
    env = {
        "DATABASE_URL": postgres_url,
        "FLET_CHAT_SECRET_KEY": "a secret both machines share, long enough",
        "FLET_CHAT_S3_BUCKET": "chat-files",
        "FLET_CHAT_S3_ENDPOINT_URL": s3_endpoint,
        "FLET_CHAT_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "FLET_CHAT_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "FLET_CHAT_S3_PREFIX": f"{tmp_path.name}/",
    }
    a = server_factory(env=env, name="a", data_dir=tmp_path / "a")
    b = server_factory(env=env, name="b", data_dir=tmp_path / "b")
    async with people(a, "Ann") as (ann,), people(b, "Bob") as (bob,):
        sent = await post_files(
            a, "general", [("p.jpg", photo_with_gps(), "x")], headers=bearer(ann)
        )
        assert sent.status_code == 201, sent.text
        message = sent.json()["message"]
        [image] = message["attachments"]
        assert (await get(b, image["thumbnail_url"], bearer(bob))).status_code == 200
        fetched = (await get(b, image["url"], bearer(bob))).content
        assert len(fetched) == image["size"]
        assert fetched.startswith(b"\xff\xd8")
        assert not (tmp_path / "a" / "files").exists()
        assert (await ann.call("delete", {"message_id": message["id"]}))["ok"]
        store = S3BlobStore(
            "chat-files",
            endpoint_url=s3_endpoint,
            access_key_id=ACCESS_KEY,
            secret_access_key=SECRET_KEY,
            prefix=f"{tmp_path.name}/",
        )
        await store.start()
        try:
            assert await store.get(image["id"]) is None
            assert await store.get(image["id"] + ".thumb") is None
        finally:
            await store.stop()


async def test_the_browser_s_upload_and_the_row_s_thumbnail(server: ServerProcess) -> None:
    """What the composer's attach button does (a PUT of the file with the session's upload
    ticket) and what a row shows (a thumbnail link that opens the thumbnail, and only it)."""
    ann = await sign_up(server.data_dir, "Ann Lee")
    async with people(server, "Bob") as (bob,):
        query = {"t": ann.upload_ticket, "room": "general", "name": "../beach.jpg"}
        async with httpx.AsyncClient(timeout=30) as http:
            url = f"{server.base_url}/api/uploads/files"
            put = await http.put(url, params=query, content=photo_with_gps())
            assert put.status_code == 204, put.text
            forged = await http.put(url, params={**query, "t": "forged"}, content=b"x")
            assert forged.status_code == 403
            big = await http.put(url, params=query, content=b"x" * (LIMIT + 1))
            assert big.status_code == 413
            assert big.text == "Files can be at most 1 MB."
            nowhere = await http.put(url, params={**query, "room": "nope"}, content=b"x")
            assert nowhere.status_code == 422
            assert nowhere.text == "There is no room #nope."
        heard = await bob.wait_for(
            lambda: [m for m in bob.received("message") if m["attachments"]],
            what="the uploaded photo",
        )
        [image] = heard[0]["attachments"]
        assert (heard[0]["user_name"], image["name"]) == ("Ann Lee", "beach.jpg")
        signer = LinkSigner((server.data_dir / "secret_key").read_text().strip())
        row_link = signer.url(image["id"], LinkMode.ROW, thumbnail=True)
        thumbnail = await get(server, row_link)
        assert thumbnail.status_code == 200
        assert thumbnail.headers["content-type"] == "image/webp"
        # The same signature does not open the full-size file.
        assert (await get(server, row_link.replace("/thumbnail", ""))).status_code == 403


async def test_a_browser_session_shows_the_files_and_opens_the_image(
    server: ServerProcess, connect: Connect
) -> None:
    async with connect(server) as bob, people(server, "Ann") as (ann,):
        await bob.join("Bob")
        sent = await post_files(
            server,
            "general",
            [("beach.jpg", photo_with_gps(), "x"), ("notes.txt", b"towels", "x")],
            text="from the beach",
            headers=bearer(ann),
        )
        image, notes = sent.json()["message"]["attachments"]
        await bob.wait_for(
            lambda: bob.find(f"attachment-{notes['id']}"), what="the file chip in Bob's row"
        )
        assert bob.texts(bob.get(f"attachment-{notes['id']}")) == ["notes.txt", "6 B"]
        thumbnail = bob.get(f"attachment-{image['id']}")
        [src] = [c["src"] for c in bob.walk(thumbnail) if c.get("src")]
        # The row's thumbnail link works in the browser, which sends no token.
        shown = await get(server, src)
        assert shown.status_code == 200
        assert shown.headers["content-type"] == "image/webp"
        await bob.click(thumbnail)
        dialog = await bob.wait_for(lambda: bob.find("image_dialog"), what="the full-size image")
        [full] = [c["src"] for c in bob.walk(dialog) if c.get("src")]
        assert "u=Bob" in full
        opened = await get(server, full)
        assert opened.status_code == 200
        assert opened.headers["content-type"] == "image/jpeg"
