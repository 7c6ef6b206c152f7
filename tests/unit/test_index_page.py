"""The served index.html carries our patches (web_client/index_page.py): the connection
banner's script sits in <head>, before the Flutter client loads, on every path that serves
the page."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from flet_chat.web_client.connection_banner import BANNER_ID, add_connection_banner
from flet_chat.web_client.index_page import (
    IndexPatch,
    PatchedFletStaticFiles,
    apply_index_patches,
)

FLET_INDEX = "<html><head><script>var flet = {};</script></head><body></body></html>"


def test_the_banner_script_goes_at_the_end_of_head_once() -> None:
    patched = apply_index_patches(
        FLET_INDEX, [IndexPatch("connection banner", add_connection_banner)]
    )
    assert patched.count(f'banner.id = "{BANNER_ID}"') == 1
    assert (
        patched.index("var flet") < patched.index("window.WebSocket = ") < patched.index("</head>")
    )
    assert add_connection_banner(patched) == patched


async def test_the_served_page_is_patched_on_every_route() -> None:
    app = Starlette()
    app.mount(
        "/", PatchedFletStaticFiles(app_name="Flet Chat", websocket_endpoint_path="ws", no_cdn=True)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://chat.test") as client:
        pages = [await client.get(path) for path in ("/", "/index.html", "/some/route", "/")]
    for page in pages:
        assert page.status_code == 200
        assert page.text.count(f'banner.id = "{BANNER_ID}"') == 1
        assert '"/ws"' in page.text  # Flet's own substitutions are still there
    assert "flutter_bootstrap.js" in pages[0].text
