"""Signing in and out in the browser and the refusal of pages a role may not open. The session cookie and the
routes that set and clear it: scoring.web.session_routes."""

from __future__ import annotations

import html
import ipaddress
import logging
from urllib.parse import quote

import streamlit as st

from pages._ui import ACTOR_KEY, COMMITTEE_KEY, rounds, store, visible_committees
from scoring.access import HOME, ROLE_LABELS, Actor
from scoring.accounts import MIN_PASSWORD, WRONG, AccountError, TooManyFailures
from scoring.presentation import literal, markdown
from scoring.web.headers import BROWSER_SCRIPT
from scoring.web.opened import accounts
from scoring.web.session_routes import COOKIE, SIGN_IN_ROUTE, SIGN_OUT_ROUTE, sign_out_proof

log = logging.getLogger("scoring.app")


# ------------------------------------------------------------ who is signed in


def sso_configured() -> bool:
    """Single sign-on is offered when `.streamlit/secrets.toml` has an [auth] section (see README)."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return False


def _token() -> str | None:
    value = st.context.cookies.get(COOKIE)
    return value if isinstance(value, str) else None


def signed_in() -> Actor | None:
    """The account of this browser's session cookie, or of its single sign-on identity; checked on every run."""
    if st.session_state.pop("_danvan_signed_out", False):
        if sso_configured() and st.user.is_logged_in:
            st.logout()  # ends the single sign-on identity (Streamlit's own cookie)
        _go(f"{SIGN_OUT_ROUTE}?ma={sign_out_proof(_token())}", post=True)  # ended in the store; clears the cookie
    found = accounts().session(_token())
    if found is None and sso_configured() and st.user.is_logged_in:
        found = accounts().by_email(st.user.get("email"), st.user.get("email_verified"))
        if found is not None:  # a session cookie of its own too, which the download route checks
            _go(f"{SIGN_IN_ROUTE}?ma={accounts().issue_code(found)}&tiep=/")
    st.session_state[ACTOR_KEY] = found
    return found


def _go(url: str, post: bool = False) -> None:
    """Send the browser to one of this server's routes, by the site's own script file (the Content-Security-Policy
    allows no inline script); for a GET, a link too, for a browser that blocks scripts."""
    st.html(
        f'<script src="{BROWSER_SCRIPT}" data-{"gui" if post else "den"}="{html.escape(url)}"></script>',
        unsafe_allow_javascript=True,
    )
    if not post:
        st.link_button("Tiếp tục", url)
    st.stop()


def client_address() -> str:
    """The browser's address, for slowing failed sign-ins and for the audit log: the one nginx appended to
    X-Forwarded-For when the connection comes from a proxy on this machine or a private network, else the peer."""
    peer = st.context.ip_address or ""
    forwarded = st.context.headers.get("X-Forwarded-For", "")
    if forwarded and (not peer or ipaddress.ip_address(peer).is_private):
        return forwarded.split(",")[-1].strip()
    return peer or "máy chủ này"


# ------------------------------------------------------------ forms


def sign_in_form(url_path: str) -> None:
    st.title("Đăng nhập")
    st.caption("Đánh giá công tác dân vận · chỉ người có tài khoản mới xem được kết quả.")
    with st.form("sign_in", width=420):
        login = st.text_input("Tên đăng nhập", autocomplete="username")
        password = st.text_input("Mật khẩu", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Đăng nhập", type="primary")
    st.caption("Nhập sai 5 lần trong 15 phút thì máy này phải chờ trước khi thử tiếp.")
    if sso_configured() and st.button("Đăng nhập bằng tài khoản cơ quan", icon=":material/badge:"):
        st.login()
    if not submitted:
        return
    try:
        found = accounts().sign_in(login, password, client_address())
    except TooManyFailures as e:
        st.error(literal(e))
        return
    if found is None:
        st.error(WRONG)
        return
    _go(f"{SIGN_IN_ROUTE}?ma={accounts().issue_code(found)}&tiep={quote('/' + url_path)}")


def _new_password_fields(key: str) -> str | None:
    new = st.text_input(
        "Mật khẩu mới",
        type="password",
        key=f"{key}_new",
        autocomplete="new-password",
        help=markdown("Ít nhất {} ký tự.", MIN_PASSWORD),
    )
    again = st.text_input("Nhập lại mật khẩu mới", type="password", key=f"{key}_again", autocomplete="new-password")
    return new if new == again else None


def forced_password_change(who: Actor) -> None:
    st.title("Đổi mật khẩu")
    st.info(
        markdown(
            "Xin chào {}. Trước khi dùng, hãy đặt mật khẩu mới cho tài khoản **{}**.",
            who.full_name or who.login,
            who.login,
        )
    )
    with st.form("forced_password", width=420):
        new = _new_password_fields("forced")
        submitted = st.form_submit_button("Lưu mật khẩu mới", type="primary")
    if submitted:
        _change_password(who, None, new)
    st.button("Đăng xuất", on_click=_sign_out, key="forced_sign_out")


def _change_password(who: Actor, current: str | None, new: str | None) -> None:
    if new is None:
        st.error("Hai lần nhập mật khẩu mới không khớp.")
        return
    try:
        accounts().change_own_password(who, current, new)
    except AccountError as e:
        st.error(literal(e))
        return
    st.toast("Đã đổi mật khẩu.", icon=":material/check:")
    st.rerun()


def _sign_out() -> None:
    accounts().sign_out(_token())
    st.session_state["_danvan_signed_out"] = True


def account_sidebar(who: Actor, pages: dict) -> None:
    with st.sidebar:
        committee_chooser()
        work = rounds().work_list(who)
        if work:
            st.markdown("**Việc cần làm**")
            for text, path in work:
                st.page_link(pages[path], label=literal(text), icon=":material/assignment_late:")
        st.caption(markdown("Đăng nhập: **{}** · {} {}", who.login, ROLE_LABELS[who.role], who.unit_code or ""))
        with st.popover("Đổi mật khẩu", icon=":material/key:", width="stretch"), st.form("own_password"):
            current = st.text_input("Mật khẩu hiện tại", type="password", autocomplete="current-password")
            new = _new_password_fields("own")
            if st.form_submit_button("Lưu"):
                _change_password(who, current, new)
        st.button("Đăng xuất", on_click=_sign_out, icon=":material/logout:", key="sign_out", width="stretch")


def committee_chooser() -> None:
    """For an account that works in several committees: which one the pages show (the library checks the choice
    again on every run)."""
    committees = visible_committees()
    if len(committees) < 2:
        return
    names = {c.id: c.name for c in committees}  # the sidebar is narrow: names only
    ids = list(names)
    st.selectbox(
        "Cấp ủy",
        ids,
        index=ids.index(store().committee_id) if store().committee_id in names else 0,
        format_func=names.get,
        key=COMMITTEE_KEY,
        help="Các trang hiển thị dữ liệu, đợt đánh giá và văn bản của cấp ủy được chọn.",
    )


def refuse(who: Actor, url_path: str, pages: dict) -> None:
    """A page the role may not open: the home page of the role for the bare address, else a refusal."""
    if url_path == "" and who.role in HOME:
        st.switch_page(pages[HOME[who.role]])
    log.warning("refused /%s to %s (%s)", url_path, who.login, who.role.value)
    account_sidebar(who, pages)
    st.title("Không có quyền truy cập")
    st.error(markdown("Tài khoản **{}** ({}) không được mở trang này.", who.login, ROLE_LABELS[who.role]))
    home = pages[HOME.get(who.role, "")]
    st.page_link(home, label="Về trang của tôi", icon=":material/arrow_back:")
