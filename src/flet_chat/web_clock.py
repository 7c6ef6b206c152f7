"""The viewer's clock: a script in index.html (`add_clock_script`, one of the index patches of
web_client/index_page.py) puts the browser's time zone and hour cycle in a cookie before the
Flutter app connects; the session reads it from its websocket's upgrade request
(`viewer_clock`). ui/clock.py validates it."""

from __future__ import annotations

import logging
from typing import Any

from flet_chat.flet_compat import upgrade_cookies
from flet_chat.ui.clock import CLOCK_COOKIE, Clock, clock_from_cookie, system_clock

logger = logging.getLogger(__name__)

# Only a plain zone name goes in (IANA names are letters, digits, "/", "_", "+", "-"); the
# server checks it again. A session cookie: every load of the page sets it afresh.
CLOCK_SCRIPT = f"""<script>
    // Flet Chat: the viewer's time zone and hour cycle, for local times (ui/clock.py).
    (function () {{
      try {{
        var zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
        var hours = new Intl.DateTimeFormat(undefined, {{ hour: "numeric" }}).resolvedOptions();
        var cycle = hours.hourCycle || (hours.hour12 ? "h12" : "h23");
        cycle = cycle === "h11" || cycle === "h12" ? "h12" : "h23";
        if (/^[A-Za-z0-9_+\\-\\/]{{1,60}}$/.test(zone)) {{
          document.cookie = "{CLOCK_COOKIE}=" + zone + "|" + cycle + "; path=/; SameSite=Lax";
        }}
      }} catch (error) {{}}
    }})();
  </script>
"""


def add_clock_script(html: str) -> str:
    """index.html with the clock script at the end of its head (before the app's scripts run:
    the Flutter app starts from a deferred script in the body)."""
    if CLOCK_COOKIE in html:
        return html
    head_end = html.find("</head>")
    if head_end < 0:
        logger.warning("index.html has no </head>: times will be shown in UTC")
        return html
    return html[:head_end] + CLOCK_SCRIPT + html[head_end:]


def viewer_clock(page: Any) -> Clock:
    """The clock of the person on `page`: a browser's from its cookie (UTC, said so, when it
    sent none or a bad one), a desktop window's the machine's own."""
    if not page.web:
        return system_clock()
    return clock_from_cookie(upgrade_cookies(page).get(CLOCK_COOKIE))
