"""The web client's files: index.html patches, the fallback font route and the font fetcher."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import tarfile
from pathlib import Path

import flet_web
import httpx
import pytest
from fastapi import FastAPI

from flet_chat.web_client import fetch_fonts
from flet_chat.web_client.connection_banner import BANNER_ID
from flet_chat.web_client.fonts import ROUTE, build_font_route
from flet_chat.web_client.index_page import (
    INDEX_PATCHES,
    RIVE_CDN,
    RIVE_STUB_ROUTE,
    THEME_COLOR,
    apply_index_patches,
)

WEB = Path(flet_web.__file__).with_name("web")
ROOT = Path(__file__).resolve().parents[2]


def test_every_patch_applies_to_flets_index_page() -> None:
    page = apply_index_patches((WEB / "index.html").read_text(encoding="utf-8"))
    assert f'<meta name="theme-color" content="{THEME_COLOR}">' in page
    assert RIVE_STUB_ROUTE.lstrip("/") in page
    assert f'banner.id = "{BANNER_ID}"' in page  # the connection banner's script
    assert len(INDEX_PATCHES) == 4


def test_a_patch_whose_anchor_is_gone_says_which() -> None:
    with pytest.raises(ValueError, match="theme colour"):
        apply_index_patches("<html><head></head><head></head></html>", INDEX_PATCHES[1:2])


def test_the_rive_url_we_redirect_is_the_one_the_client_loads() -> None:
    # If a Flet upgrade moves Rive elsewhere, the browser test would see the request; this
    # says why sooner.
    assert RIVE_CDN in (WEB / "main.dart.js").read_text(encoding="utf-8")


def test_the_lock_names_only_paths_the_client_asks_for() -> None:
    lock = json.loads(fetch_fonts.LOCK_PATH.read_text())
    engine = (WEB / "main.dart.js").read_text(encoding="utf-8")
    assert len(lock["fonts"]) > 500
    for path, (package, member) in lock["fonts"].items():
        assert f'"{path}"' in engine, path
        assert package in lock["packages"]
        assert member.startswith("files/")
    for pin in lock["packages"].values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", pin["version"])
        assert pin["integrity"].startswith("sha512-")


def test_the_manifest_names_the_chat_and_its_icons_exist() -> None:
    manifest = json.loads((ROOT / "assets" / "manifest.json").read_text())
    assert manifest["name"] == "Flet Chat"
    assert manifest["theme_color"] == THEME_COLOR
    for icon in manifest["icons"]:
        assert (ROOT / "assets" / icon["src"]).is_file(), icon


@pytest.fixture
def fonts_dir(tmp_path: Path) -> Path:
    root = tmp_path / "fonts"
    (root / "notosanssc" / "v37").mkdir(parents=True)
    (root / "notosanssc" / "v37" / "abc.87.woff2").write_bytes(b"wOF2 slice")
    (tmp_path / "secret.woff2").write_bytes(b"not a font of ours")
    return root


async def get(fonts_dir: Path, path: str) -> httpx.Response:
    app = FastAPI()
    app.add_api_route(ROUTE, build_font_route(fonts_dir), methods=["GET"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
        return await client.get(path)


async def test_a_bundled_font_is_served_for_good(fonts_dir: Path) -> None:
    response = await get(fonts_dir, "/assets/fonts/notosanssc/v37/abc.87.woff2")
    assert response.status_code == 200
    assert response.content == b"wOF2 slice"
    assert response.headers["content-type"] == "font/woff2"
    assert "immutable" in response.headers["cache-control"]


@pytest.mark.parametrize(
    "path",
    [
        "/assets/fonts/notosansarabic/v28/xyz.woff2",  # a family we do not bundle
        "/assets/fonts/notosanssc/v37/abc.86.woff2",
        "/assets/fonts/notosanssc/v37/..%2F..%2F..%2Fsecret.woff2",
        "/assets/fonts/notosanssc/..%2F..%2F/secret.woff2",
        "/assets/fonts/%2E%2E/v1/secret.woff2",
        "/assets/fonts/notosanssc/v37/abc.87.woff2%00.txt",
    ],
)
async def test_anything_else_is_a_plain_404(fonts_dir: Path, path: str) -> None:
    response = await get(fonts_dir, path)
    assert response.status_code == 404
    assert b"not a font" not in response.content


def npm_tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def write_registry(tmp_path: Path, tarball: bytes, *, integrity_of: bytes) -> Path:
    """A registry on disk (file:// URLs) holding @fontsource/demo 1.0.0, and a lock for it."""
    package_dir = tmp_path / "registry" / "@fontsource" / "demo" / "-"
    package_dir.mkdir(parents=True)
    (package_dir / "demo-1.0.0.tgz").write_bytes(tarball)
    digest = base64.b64encode(hashlib.sha512(integrity_of).digest()).decode()
    lock = {
        "packages": {"@fontsource/demo": {"version": "1.0.0", "integrity": f"sha512-{digest}"}},
        "fonts": {"demo/v1/abc.3.woff2": ["@fontsource/demo", "files/demo-3-400-normal.woff2"]},
    }
    lock_path = tmp_path / "fonts.lock.json"
    lock_path.write_text(json.dumps(lock))
    return lock_path


def test_fetch_lays_out_the_engine_paths_with_the_licence(tmp_path: Path) -> None:
    tarball = npm_tarball({"files/demo-3-400-normal.woff2": b"slice 3", "LICENSE": b"OFL 1.1"})
    lock_path = write_registry(tmp_path, tarball, integrity_of=tarball)
    dest = tmp_path / "web-fonts"
    registry = (tmp_path / "registry").as_uri()
    fetch_fonts.lay_out(dest, registry=registry, lock_path=lock_path)
    assert (dest / "demo" / "v1" / "abc.3.woff2").read_bytes() == b"slice 3"
    assert (dest / "LICENSES" / "@fontsource__demo.txt").read_bytes() == b"OFL 1.1"
    assert fetch_fonts.is_complete(dest, lock_path)


def test_fetch_refuses_a_tarball_that_is_not_the_pinned_one(tmp_path: Path) -> None:
    tarball = npm_tarball({"files/demo-3-400-normal.woff2": b"tampered"})
    lock_path = write_registry(tmp_path, tarball, integrity_of=b"the real tarball")
    dest = tmp_path / "web-fonts"
    with pytest.raises(ValueError, match="integrity mismatch"):
        fetch_fonts.lay_out(dest, registry=(tmp_path / "registry").as_uri(), lock_path=lock_path)
    assert not dest.exists()


def test_a_lock_entry_cannot_write_outside_the_fonts_directory(tmp_path: Path) -> None:
    tarball = npm_tarball({"files/demo-3-400-normal.woff2": b"slice 3"})
    lock_path = write_registry(tmp_path, tarball, integrity_of=tarball)
    lock = json.loads(lock_path.read_text())
    lock["fonts"] = {"demo/v1/../../../escaped.woff2": lock["fonts"]["demo/v1/abc.3.woff2"]}
    lock_path.write_text(json.dumps(lock))
    with pytest.raises(ValueError, match="not a font path"):
        fetch_fonts.lay_out(tmp_path / "web-fonts", registry="file:///nowhere", lock_path=lock_path)
    assert not (tmp_path / "escaped.woff2").exists()
