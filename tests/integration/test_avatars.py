"""GET /avatars/{name} and PUT /avatars/upload against a real server: what others fetch is only
ever the server's own 128x128 WebP, with headers that keep a browser from reading it as anything
else; uploads are refused before they are read when they cannot be kept."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from PIL import ExifTags, Image

from flet_chat.core.avatar import avatar_url
from flet_chat.media.avatars import AVATAR_MAX_BYTES, CHOOSE_AN_IMAGE
from tests.support.accounts import Member, sign_up
from tests.support.server import ServerProcess

pytestmark = pytest.mark.integration

HOME = (51.0, 30.0, 26.52)  # somebody's latitude: degrees, minutes, seconds


def photo_with_gps() -> bytes:
    """A phone photo as phones save them: a JPEG whose EXIF says where it was taken."""
    image = Image.new("RGB", (640, 480), (200, 40, 40))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = HOME
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert b"PhoneMaker" in data
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def upload(
    server: ServerProcess, ticket: str | None, body: bytes, **headers: str
) -> httpx.Response:
    query = f"?t={quote(ticket, safe='')}" if ticket is not None else ""
    return httpx.put(
        f"{server.base_url}/avatars/upload{query}", content=body, headers=headers, timeout=30
    )


def fetch(server: ServerProcess, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers=headers, timeout=10)


@pytest.fixture
def member(server: ServerProcess) -> Member:
    return asyncio.run(sign_up(server.data_dir, "Ann Lee"))


def test_an_uploaded_photo_is_served_as_a_small_webp_without_its_metadata(
    server: ServerProcess, member: Member
) -> None:
    raw = photo_with_gps()
    assert upload(server, member.upload_ticket, raw).status_code == 204

    response = fetch(server, avatar_url("Ann Lee", 1))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]
    # The URL names the version: this picture never changes, so it may be kept for good.
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=31536000" in response.headers["cache-control"]
    served = response.content
    assert served != raw
    picture = Image.open(io.BytesIO(served))
    assert (picture.format, picture.size) == ("WEBP", (128, 128))
    assert not picture.getexif()
    assert not picture.info.get("exif")
    assert not picture.info.get("xmp")
    assert b"PhoneMaker" not in served
    assert b"Exif" not in served
    # What the upload was is nowhere: only the server's re-encoding is kept.
    assert picture.getpixel((64, 64))[0] > 150  # still the photo's red, though
    # The name in the URL is escaped, and found in any case.
    assert avatar_url("Ann Lee", 1) == "/avatars/Ann%20Lee?v=1"
    assert fetch(server, "/avatars/ann%20lee?v=1").content == served


def test_another_version_is_served_but_not_cached_for_good(
    server: ServerProcess, member: Member
) -> None:
    assert upload(server, member.upload_ticket, photo_with_gps()).status_code == 204
    for path in ("/avatars/Ann%20Lee", "/avatars/Ann%20Lee?v=7", "/avatars/Ann%20Lee?v=x"):
        response = fetch(server, path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache", path
        assert response.headers["x-content-type-options"] == "nosniff", path
    # Revalidation: the browser's copy is still the current one.
    etag = fetch(server, "/avatars/Ann%20Lee").headers["etag"]
    assert fetch(server, "/avatars/Ann%20Lee", **{"If-None-Match": etag}).status_code == 304
    # A second upload is a new version: the old URL no longer gets the long cache.
    assert upload(server, member.upload_ticket, photo_with_gps()).status_code == 204
    assert fetch(server, avatar_url("Ann Lee", 2)).headers["cache-control"].endswith("immutable")
    assert fetch(server, avatar_url("Ann Lee", 1)).headers["cache-control"] == "no-cache"


def test_unknown_people_and_people_without_a_picture_are_404(
    server: ServerProcess, member: Member
) -> None:
    for path in ("/avatars/nobody?v=1", "/avatars/Ann%20Lee?v=0", "/avatars/"):
        response = fetch(server, path)
        assert response.status_code == 404, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert not response.headers["content-type"].startswith("image/"), path


def test_uploads_that_cannot_be_kept_are_refused_and_change_nothing(
    server: ServerProcess, member: Member, tmp_path: Path
) -> None:
    ticket = member.upload_ticket
    # The same name on another server (another key): its ticket is worthless here.
    elsewhere = asyncio.run(sign_up(tmp_path / "elsewhere", "Ann Lee")).upload_ticket
    page = b"<html><script>alert(document.cookie)</script></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = [
        (upload(server, None, photo_with_gps()), 403),  # no ticket
        (upload(server, "forged", photo_with_gps()), 403),
        (upload(server, ticket + "x", photo_with_gps()), 403),  # tampered
        (upload(server, elsewhere, photo_with_gps()), 403),
        (upload(server, ticket, page), 422),
        (upload(server, ticket, svg), 422),
        (upload(server, ticket, photo_with_gps()[:300]), 422),  # cut short
    ]
    for response, status in cases:
        assert response.status_code == status, (response.status_code, response.text)
        assert response.headers["x-content-type-options"] == "nosniff"
    # Plain words: the dialog shows them as they are.
    assert cases[4][0].text == CHOOSE_AN_IMAGE  # the page
    assert fetch(server, "/avatars/Ann%20Lee").status_code == 404  # still no picture


def test_a_body_declared_too_large_is_refused_before_it_is_sent(
    server: ServerProcess, member: Member
) -> None:
    """The answer comes after the request's head alone: not a byte of the body was needed."""
    head = (
        f"PUT /avatars/upload?t={quote(member.upload_ticket, safe='')} HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nContent-Length: {AVATAR_MAX_BYTES + 1}\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(head.encode())
        answer = ""
        while CHOOSE_AN_IMAGE not in answer:
            received = conn.recv(4096)
            if not received:
                break
            answer += received.decode(errors="replace")
    status_line, _, rest = answer.partition("\r\n")
    assert status_line == "HTTP/1.1 413 Request Entity Too Large"
    assert rest.endswith(CHOOSE_AN_IMAGE)


def test_a_body_larger_than_it_said_is_cut_off_at_the_limit(
    server: ServerProcess, member: Member
) -> None:
    """A client that sends more than the limit without saying so in advance (chunked): the
    server stops reading at the limit."""

    def chunks() -> object:
        for _ in range(AVATAR_MAX_BYTES // 65536 + 4):
            yield b"\xff" * 65536

    response = httpx.put(
        f"{server.base_url}/avatars/upload?t={quote(member.upload_ticket, safe='')}",
        content=chunks(),  # type: ignore[arg-type]
        timeout=30,
    )
    assert response.status_code == 413
    assert fetch(server, "/avatars/Ann%20Lee").status_code == 404


def test_a_flood_of_uploads_is_refused_by_the_profile_budget(
    server: ServerProcess, member: Member
) -> None:
    statuses = [
        upload(server, member.upload_ticket, photo_with_gps()).status_code for _ in range(14)
    ]
    assert statuses.count(204) >= 1
    assert 429 in statuses
    refused = upload(server, member.upload_ticket, photo_with_gps())
    assert refused.status_code == 429
    assert "too fast" in refused.text
