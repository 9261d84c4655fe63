"""Streamlit's own texts in Vietnamese. Streamlit has no locale option: its front end comes from its package with
English written into the script files (the table toolbar, the main menu, the select boxes). The app's server serves
the few files that hold them with these texts replaced (`Vietnamese`, a middleware in front of Streamlit); every other
file is Streamlit's, untouched.

Pinned to the Streamlit version the texts were read from: under another version the files are served as shipped
(with a warning in the log), and tests/test_locale.py fails until this list is read again against the new files.
"""

from __future__ import annotations

import logging
import re
from functools import cache

from starlette.middleware import Middleware
from starlette.responses import Response

from scoring.web.front_end import STATIC, STREAMLIT_VERSION

READ_FROM = "1.67.0"  # the Streamlit version whose scripts TEXTS was read from
SCRIPTS = STATIC / "static" / "js"
log = logging.getLogger("scoring.app")

# Script name up to its hash → (the text as written in the script, with enough around it to be that text only,
# and the Vietnamese). Each must be found exactly where listed (tests/test_locale.py).
TEXTS: dict[str, list[tuple[str, str]]] = {
    "index": [
        ("label:`Print`", "label:`In trang`"),
        ("||`Record screen`", "||`Ghi lại màn hình`"),
        ("`Made with Streamlit v`", "`Xây dựng bằng Streamlit v`"),
        # The locale the widgets format dates with (the date picker's months and weekdays), whatever the
        # browser's language.
        ("locale:window.navigator.language,formsData", "locale:`vi-VN`,formsData"),
    ],
    "DataFrame": [
        ("label:`Show/hide columns`", "label:`Hiện/ẩn cột`"),
        ("label:`Download as CSV`", "label:`Tải về tệp CSV`"),
        ("label:`Search`", "label:`Tìm trong bảng`"),
        ("label:`Select all`", "label:`Chọn tất cả`"),
    ],
    "Toolbar": [
        ("label:`Fullscreen`", "label:`Phóng to toàn màn hình`"),
        ("label:`Close fullscreen`", "label:`Thu nhỏ lại`"),
    ],
    "Multiselect": [
        ("label:`Select all`", "label:`Chọn tất cả`"),
        ("return`No results`", "return`Không có kết quả`"),
        ('"aria-label":`Clear all`', '"aria-label":`Bỏ chọn tất cả`'),
    ],
    "FileUploader": [
        ("`Drag and drop files here`", "`Kéo thả các tệp vào đây`"),
        ("`Drag and drop a file here`", "`Kéo thả tệp vào đây`"),
        ("`${T(t,D.Byte,0)} per file`", "`Tối đa ${T(t,D.Byte,0)} mỗi tệp`"),
        (":`Upload`}", ":`Chọn tệp`}"),
    ],
    "StreamlitMarkdown": [("?`Help`:`Help for ${", "?`Hướng dẫn`:`Hướng dẫn: ${")],
    "Selectbox": [("children:`No results`", "children:`Không có kết quả`")],
    "utils": [
        ("`Choose or add an option`", "`Chọn hoặc thêm một mục`"),
        ("`Choose options`", "`Chọn các mục`"),
        ("`Choose an option`", "`Chọn một mục`"),
    ],
}
ENGLISH = [
    "Print",
    "Record screen",
    "Made with Streamlit",
    "Show/hide columns",
    "Download as CSV",
    "Fullscreen",
    "Close fullscreen",
    "Select all",
    "Clear all",
    "No results",
    "Choose options",
    "Choose an option",
    "Drag and drop",
    "per file",
    "Help for",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def stem(name: str) -> str:
    """ "DataFrame.-f9-1zS0.js" → "DataFrame": the script's name without the build's hash."""
    return name.split(".", 1)[0]


def translated(name: str) -> bytes | None:
    """A script of Streamlit's front end with its texts in Vietnamese; None when it holds none of them (or under
    another Streamlit version)."""
    return _scripts().get(name)


@cache
def _scripts() -> dict[str, bytes]:
    """Every script that holds texts of `TEXTS`, translated once: a lookup by the file names that exist, so that a
    request for any other name costs nothing and keeps nothing."""
    if STREAMLIT_VERSION != READ_FROM:
        log.warning("Streamlit %s, not %s: its texts stay in English", STREAMLIT_VERSION, READ_FROM)
        return {}
    out = {}
    for path in SCRIPTS.glob("*.js"):
        pairs = TEXTS.get(stem(path.name))
        if pairs:
            text = path.read_text("utf-8")
            for english, vietnamese in pairs:
                text = text.replace(english, vietnamese)
            out[path.name] = text.encode("utf-8")
    return out


class Vietnamese:
    """ASGI middleware: a request for one of the scripts that hold English texts gets the translated script; every
    other request goes on to Streamlit (which reserves its /static/ paths to itself, so this cannot be a route)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        found = _SCRIPT_PATH.search(scope.get("path", "")) if scope["type"] == "http" else None
        content = translated(found.group(1)) if found else None
        if content is None:
            await self.app(scope, receive, send)
            return
        # The name changes with the content: cached for good, as Streamlit does for its hashed files.
        response = Response(
            content, media_type="text/javascript", headers={"Cache-Control": "public, immutable, max-age=31536000"}
        )
        await response(scope, receive, send)


_SCRIPT_PATH = re.compile(r"/static/js/([^/]+\.js)$")
MIDDLEWARE = [Middleware(Vietnamese)]
