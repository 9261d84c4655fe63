"""Downloads made and checked at the moment the browser asks for them.

A page offers a file by a link to this server's route `/_danvan/tai-ve/<offer>`, never by Streamlit's download
button (whose `/media/…` address answers anyone who has it, without a cookie). When the link is followed the route
reads the session cookie, checks that it is the account the offer was made for and that the account (as it is
now: disabled, demoted or signed out since, it gets nothing) still has the right, then builds the file for that
account, records the download in the audit log, and sends it. Offers live in this process (the sticky route
cookie brings a browser back to its replica) and expire after OFFER_LIFETIME.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from scoring.access import Actor, Forbidden, Right
from scoring.store import ROOT_ID, record
from scoring.web.opened import accounts, store
from scoring.web.session_routes import COOKIE

DOWNLOAD_ROUTE = "/_danvan/tai-ve"
OFFER_LIFETIME = 30 * 60  # seconds: a page left open longer is drawn again before its links work
log = logging.getLogger("scoring.app")


@dataclass(frozen=True)
class _Offer:
    account_id: int | None
    right: Right
    build: Callable[[Actor], bytes]
    file_name: str
    mime: str
    year: int | None
    made: float
    committee_id: int


_offers: dict[str, _Offer] = {}
_lock = threading.Lock()


def offer(
    token: str | None,
    who: Actor,
    right: Right,
    build: Callable[[Actor], bytes],
    file_name: str,
    mime: str,
    year: int | None = None,
    committee_id: int = ROOT_ID,
) -> str:
    """Offer `build(account)`, a file of the committee `committee_id`, as `file_name` to `who` under `token` (a new
    one if None); returns the token, the last part of the link."""
    token = token or secrets.token_urlsafe(24)
    now = time.monotonic()
    with _lock:
        for old in [t for t, o in _offers.items() if now - o.made > OFFER_LIFETIME]:
            del _offers[old]
        _offers[token] = _Offer(who.account_id, right, build, file_name, mime, year, now, committee_id)
    return token


def _answer(text: str, status: int) -> HTMLResponse:
    """A page of one Vietnamese sentence, instead of the file."""
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>Không tải được</title><p>{text}</p>",
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _refused(why: str) -> HTMLResponse:
    log.warning("download refused: %s", why)
    return _answer(
        "Không tải được tệp: phiên đăng nhập đã hết, tài khoản không còn quyền, hoặc liên kết đã cũ. "
        "Hãy mở lại trang và tải lại.",
        403,
    )


def _serve(token: str, cookie: str | None) -> Response:
    with _lock:
        found = _offers.get(token)
    if found is None or time.monotonic() - found.made > OFFER_LIFETIME:
        return _refused("unknown or expired offer")
    who = accounts().session(cookie)
    if who is None or who.account_id != found.account_id or not who.may(found.right):
        return _refused(f"offer of account {found.account_id} asked by {who.login if who else 'no session'}")
    inside = store().within(found.committee_id)
    try:
        inside.require(who)  # still in the committee's subtree (an account moved since gets nothing)
        content = found.build(who)
    except Forbidden as e:
        return _refused(f"{who.login}: {e}")
    except Exception:  # noqa: BLE001 - the person gets a sentence, the log the details
        log.exception("download %s for %s failed", found.file_name, who.login)
        return _answer("Không tạo được tệp. Hãy thử lại; nếu vẫn lỗi, báo quản trị viên.", 500)
    with inside.writing() as conn:
        record(conn, who.login, "download", found.year, detail=f"Tải về {found.file_name} ({len(content)} byte)")
    return Response(
        content,
        media_type=found.mime,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.file_name)}",
            "Cache-Control": "no-store",
        },
    )


async def _serve_route(request: Request) -> Response:
    return await run_in_threadpool(_serve, request.path_params["offer"], request.cookies.get(COOKIE))


ROUTES = [Route(DOWNLOAD_ROUTE + "/{offer}", _serve_route)]
