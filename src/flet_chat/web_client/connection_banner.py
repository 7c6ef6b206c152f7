"""A "Reconnecting…" banner while the app's websocket is down, and "Connected" for a moment
after it is back.

While the socket is down the server cannot draw anything, and Flet 1.0.5's web client covers
the page with a spinner and "Working...", drawn on the canvas: nothing says the connection is
gone, and nothing says it is back. So the page watches its own socket: a script in index.html
wraps `window.WebSocket`, and a socket opened to Flet's endpoint (`flet.webSocketEndpoint`)
reports its `close` and `open`. The banner is a live region (role=status, aria-live=polite)
that exists from the start, empty and invisible, so screen readers announce its text when it
changes; it sits over the canvas and lets clicks through. Closing or reloading the tab shows
nothing.

Back after a drop, the page reloads once (the banner keeps saying "Reconnecting…" through it).
Flet 1.0.5's client resumes the server's session in place but then draws none of the patches
the server sends it (checked with a bare Flet app: the frames arrive, the screen never
changes). A reload resumes the same session (Flet keeps its id in sessionStorage) and draws
it, drafts and all, so the reload is the reconnect. The socket that found the server back is
closed before Flet's client can register on it: the reloaded page registers once.

The reload carries a short-lived cookie, `flet_chat_back`, on its socket's upgrade request: the
server then knows this tab is coming back from a drop, not opening the chat anew (after a
restart it is not announced as joining again: core/service.py, RETURN_WINDOW_SECONDS). The
page clears it once connected. It is the client's to forge, and all it can do is spare its own
user a join notice."""

from __future__ import annotations

from typing import Any

from flet_chat.flet_compat import upgrade_cookies

BANNER_ID = "flet-chat-connection"
BACK_COOKIE = "flet_chat_back"
RECONNECTING = "Reconnecting…"
CONNECTED = "Connected"
CONNECTED_SECONDS = 3

_SCRIPT = """
<style>
  #__ID__ {
    position: fixed; top: 8px; left: 50%; transform: translateX(-50%); z-index: 2147483647;
    padding: 6px 16px; border-radius: 16px; pointer-events: none;
    font: 500 14px/20px system-ui, sans-serif; color: #ffffff; background: #b3261e;
    box-shadow: 0 2px 6px rgba(0, 0, 0, 0.3);
  }
  #__ID__[data-state="connected"] { background: #146c2e; }
  #__ID__:empty { padding: 0; box-shadow: none; }
</style>
<script>
  (() => {
    const Native = window.WebSocket;
    const RELOADED = "__ID__-reloaded";
    // "up", "down" (lost here: reload once it is back) or "back" (this page is that reload).
    let state = "up", banner = null, leaving = false, clearing = 0;
    if (sessionStorage.getItem(RELOADED)) {
      sessionStorage.removeItem(RELOADED);
      state = "back";
    }
    const endpoint = () =>
      new URL((window.flet && window.flet.webSocketEndpoint) || "/ws", location.href).pathname;
    const say = (text, kind) => {
      if (!banner) return;
      clearTimeout(clearing);
      banner.dataset.state = kind;
      banner.textContent = text;
    };
    addEventListener("DOMContentLoaded", () => {
      banner = document.createElement("div");
      banner.id = "__ID__";
      banner.setAttribute("role", "status");
      banner.setAttribute("aria-live", "polite");
      document.body.appendChild(banner);
      if (state !== "up") say("__RECONNECTING__", "reconnecting");
    });
    addEventListener("pagehide", () => { leaving = true; });
    addEventListener("beforeunload", () => { leaving = true; });
    const watch = (socket) => {
      socket.addEventListener("close", () => {
        if (leaving || state !== "up") return;
        state = "down";
        say("__RECONNECTING__", "reconnecting");
      });
      socket.addEventListener("open", () => {
        if (state === "down") {
          sessionStorage.setItem(RELOADED, "1");
          document.cookie = "__BACK__=1; max-age=60; path=/; SameSite=Strict";
          leaving = true;
          // Closed before Flet's own "open" handler (added after this one) registers on it:
          // a closing socket drops what is sent. Otherwise a restarted server would build a
          // whole page for a socket the reload drops at once, for every tab coming back.
          socket.close(1000);
          location.reload();
        } else if (state === "back") {
          state = "up";
          document.cookie = "__BACK__=; max-age=0; path=/; SameSite=Strict";
          say("__CONNECTED__", "connected");
          clearing = setTimeout(() => say("", "idle"), __CONNECTED_MS__);
        }
      });
    };
    function ChatWebSocket(url, protocols) {
      const socket = protocols === undefined ? new Native(url) : new Native(url, protocols);
      try {
        if (new URL(url, location.href).pathname === endpoint()) watch(socket);
      } catch (error) {
        console.warn("connection banner:", error);
      }
      return socket;
    }
    ChatWebSocket.prototype = Native.prototype;
    for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) {
      ChatWebSocket[name] = Native[name];
    }
    window.WebSocket = ChatWebSocket;
  })();
</script>
"""
_SCRIPT = (
    _SCRIPT.replace("__ID__", BANNER_ID)
    .replace("__RECONNECTING__", RECONNECTING)
    .replace("__CONNECTED__", CONNECTED)
    .replace("__CONNECTED_MS__", str(CONNECTED_SECONDS * 1000))
    .replace("__BACK__", BACK_COOKIE)
)


def add_connection_banner(html: str) -> str:
    """Put the banner's script at the end of <head>: after Flet's own settings (the endpoint),
    before the Flutter client loads and opens its socket."""
    if BANNER_ID in html:
        return html  # patched already
    head_end = html.index("</head>")
    return html[:head_end] + _SCRIPT + html[head_end:]


def came_back(page: Any) -> bool:
    """Whether this tab's socket came from the banner's reload after a drop (its cookie)."""
    return upgrade_cookies(page).get(BACK_COOKIE) == "1"
