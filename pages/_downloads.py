"""Downloads made and checked at the moment the browser asks for them.

A page offers a file by a link to this server's route `/_danvan/tai-ve/<offer>`, never by Streamlit's download
button (whose `/media/…` address answers anyone who has it, without a cookie). When the link is followed the route
reads the session cookie, checks that it is the account the offer was made for and that the account (as it is
now: disabled, demoted or signed out since, it gets nothing) still has the right, then builds the file for that
account, records the download in the audit log, and sends it. Offers live in this process (the sticky route
cookie brings a browser back to its replica) and expire after OFFER_LIFETIME.
"""

from __future__ import annotations

import html
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from pages._ui import COOKIE, XLSX, active_framework, actor, store
from scoring.access import Actor, Forbidden, Right
from scoring.accounts import Accounts
from scoring.store import record
from scoring.template import template_bytes

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


_offers: dict[str, _Offer] = {}
_lock = threading.Lock()


def offer_download(
    label: str,
    file_name: str,
    mime: str,
    right: Right,
    build: Callable[[Actor], bytes],
    key: str,
    year: int | None = None,
    place=st,
    disabled: bool = False,
) -> None:
    """A link that downloads `build(account)` as `file_name`, made when it is followed (see the module's text).
    `build` receives the account as it is at that moment and must check its own rights (the library does)."""
    if disabled:
        place.html(f'<span class="danvan-tai danvan-tai-tat">{html.escape(label)}</span>')
        return
    me = actor()
    token = st.session_state.get(f"_offer_{key}") or secrets.token_urlsafe(24)
    st.session_state[f"_offer_{key}"] = token
    now = time.monotonic()
    with _lock:
        for old in [t for t, o in _offers.items() if now - o.made > OFFER_LIFETIME]:
            del _offers[old]
        _offers[token] = _Offer(me.account_id, right, build, file_name, mime, year, now)
    place.html(
        f'<a class="danvan-tai" href="{DOWNLOAD_ROUTE}/{token}" download="{html.escape(file_name)}">'
        f"{html.escape(label)}</a>"
    )


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
        offer = _offers.get(token)
    if offer is None or time.monotonic() - offer.made > OFFER_LIFETIME:
        return _refused("unknown or expired offer")
    accounts = Accounts(store())
    who = accounts.session(cookie)
    if who is None or who.account_id != offer.account_id or not who.may(offer.right):
        return _refused(f"offer of account {offer.account_id} asked by {who.login if who else 'no session'}")
    try:
        content = offer.build(who)
    except Forbidden as e:
        return _refused(f"{who.login}: {e}")
    except Exception:  # noqa: BLE001 - the person gets a sentence, the log the details
        log.exception("download %s for %s failed", offer.file_name, who.login)
        return _answer("Không tạo được tệp. Hãy thử lại; nếu vẫn lỗi, báo quản trị viên.", 500)
    with store().writing() as conn:
        record(conn, who.login, "download", offer.year, detail=f"Tải về {offer.file_name} ({len(content)} byte)")
    return Response(
        content,
        media_type=offer.mime,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(offer.file_name)}",
            "Cache-Control": "no-store",
        },
    )


async def serve(request: Request) -> Response:
    return await run_in_threadpool(_serve, request.path_params["offer"], request.cookies.get(COOKIE))


def template_buttons() -> None:
    """Downloads of the blank templates of the active framework, built only when clicked."""
    st.subheader("Mẫu bảng điểm trống")
    framework = active_framework()
    c1, c2 = st.columns(2)
    offer_download(
        "Tải mẫu bảng tổng hợp",
        "mau_bang_tong_hop.xlsx",
        XLSX,
        Right.VIEW_ALL,
        lambda _who: template_bytes(framework),
        "template_consolidated",
        place=c1,
    )
    offer_download(
        "Tải mẫu phiếu chấm điểm đơn vị",
        "mau_phieu_cham_diem.xlsx",
        XLSX,
        Right.VIEW_ALL,
        lambda _who: template_bytes(framework, form=True),
        "template_form",
        place=c2,
    )
