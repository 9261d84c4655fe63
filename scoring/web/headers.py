"""Security headers on every response of the app's server (its own routes and Streamlit's alike), so that a page
can neither load nor send anything outside this site, nor be framed by another.

The Content-Security-Policy allows scripts of this site only, plus the one inline script of Streamlit's
index.html (by its hash, read from the installed file); styles inline (Streamlit's components set them); images,
fonts and connections (the WebSocket included) from this site, and data:/blob: images that charts and downloads
make in the page. The app's own moves of the browser (to the sign-in and sign-out routes) go through a script
file of this site (`BROWSER_SCRIPT`), never an inline one.
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import cache
from urllib.parse import urlsplit

from starlette.responses import Response

from scoring.web.front_end import STATIC

INDEX = STATIC / "index.html"
BROWSER_SCRIPT = "/_danvan/chuyen-trang.js"

# Sends the browser on: to `data-den` (GET), or posts an empty form to `data-gui` (POST).
_SCRIPT = """(function () {
  var me = document.currentScript;
  if (!me) { return; }
  var target = me.getAttribute("data-gui");
  if (target) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = target;
    document.body.appendChild(form);
    form.submit();
    return;
  }
  window.location.replace(me.getAttribute("data-den") || "/");
})();
"""


async def browser_script(_request) -> Response:
    return Response(_SCRIPT, media_type="text/javascript", headers={"Cache-Control": "no-cache"})


@cache
def policy() -> str:
    inline = re.findall(r"<script>(.*?)</script>", INDEX.read_text("utf-8"), flags=re.S)
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline)
    return (
        "default-src 'self'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; "
        "frame-src 'self'; "
        "frame-ancestors 'none'; "
        "form-action 'self'; "
        "base-uri 'self'; "
        "object-src 'none'"
    )


HEADERS = [
    (b"content-security-policy", policy().encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def same_origin(scope) -> bool:
    """A WebSocket opened by a page of this site: its Origin names the host (and port) the browser asked for.
    Another site, or another port of this host, may not drive a session. A client without an Origin is no
    browser, so no page could have been tricked into it."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    origin = headers.get("origin")
    return origin is None or urlsplit(origin).netloc == headers.get("host", "")


class SecurityHeaders:
    """ASGI middleware: the headers above added to every HTTP response; a WebSocket from another origin refused
    (403) before Streamlit sees it."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not same_origin(scope):
            await receive()  # the connection request, answered with a refusal
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *((n, v) for n, v in HEADERS if n not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
