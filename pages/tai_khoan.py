"""Tài khoản (Quản trị only): the accounts, changes to them, the audit log with filters, a backup download."""

import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

import streamlit as st

from pages._downloads import offer_download
from pages._tables import show_table
from pages._ui import act, actor, store
from scoring import service, views
from scoring.access import ROLE_LABELS, Actor, Right, Role
from scoring.accounts import MIN_PASSWORD, AccountError
from scoring.formats import VN_TIME
from scoring.presentation import AUDIT_ACTIONS, markdown
from scoring.store import ROOT_ID
from scoring.text import unit_code
from scoring.web import opened
from scoring.web.opened import accounts

me = actor()
st.title("Tài khoản và nhật ký")
listed = accounts().list(me)
show_table(views.accounts_table(listed), {"Trạng thái": "medium"}, key="accounts")


def _done(action, message: str) -> None:
    act(action, message, AccountError, rerun=False)


def _of_unit(code: str | None) -> str:
    """— the unit's name, so that the administrator sees which unit a code is."""
    name = store().unit_name(unit_code(code)) if code and code.strip() else None
    return f" — {name}" if name else ""


roles = list(Role)
add, change = st.columns(2)
with add.expander("Tạo tài khoản", icon=":material/person_add:"):
    # A refused form keeps what was typed; a created account gives a fresh form (and the table above shows it).
    made = st.session_state.setdefault("accounts_made", 0)
    with st.form(f"add_account_{made}"):
        login = st.text_input("Tên đăng nhập", help="Chữ thường không dấu, số, dấu chấm, gạch dưới, gạch ngang.")
        name = st.text_input("Họ tên")
        role = st.selectbox(
            "Vai trò", roles, index=None, format_func=lambda r: ROLE_LABELS[r], placeholder="Chọn vai trò"
        )
        unit = st.text_input(
            "Mã đơn vị (chỉ cho vai trò Đơn vị)",
            help="Mã như trong đợt đánh giá hoặc dữ liệu đã nhập; mã không có sẽ bị từ chối.",
        )
        email = st.text_input("E-mail (để đăng nhập một lần, nếu có)")
        password = st.text_input(
            "Mật khẩu tạm",
            type="password",
            autocomplete="new-password",
            help=markdown("Ít nhất {} ký tự; người dùng phải đổi ở lần đăng nhập đầu.", MIN_PASSWORD),
        )
        if st.form_submit_button("Tạo", type="primary"):

            def create() -> None:
                accounts().create(  # in the committee chosen in the sidebar (the library checks it is the admin's)
                    me,
                    login,
                    role,
                    password,
                    name,
                    unit or None,
                    email or None,
                    must_change_password=True,
                    committee_id=store().committee_id,
                )
                st.session_state["accounts_made"] = made + 1

            act(create, f"Đã tạo tài khoản {login}{_of_unit(unit)}.", AccountError)
with change.expander("Sửa tài khoản", icon=":material/manage_accounts:"):
    chosen = st.selectbox("Tài khoản", [a.login for a in listed], key="edit_login")
    account = next((a for a in listed if a.login == chosen), None)
    if account is not None:
        with st.form("edit_role"):
            role = st.selectbox("Vai trò", roles, roles.index(account.role), format_func=lambda r: ROLE_LABELS[r])
            unit = st.text_input("Mã đơn vị (vai trò Đơn vị)", account.unit_code or "")
            if account.unit_code:
                st.caption(markdown("Đơn vị hiện tại: {}{}", account.unit_code, _of_unit(account.unit_code)))
            if st.form_submit_button("Đổi vai trò"):
                _done(
                    lambda: accounts().set_role(me, chosen, role, unit or None),
                    f"Đã đổi vai trò của {chosen}{_of_unit(unit)}.",
                )
        with st.form("reset_password", clear_on_submit=True):
            password = st.text_input("Mật khẩu tạm mới", type="password", autocomplete="new-password")
            if st.form_submit_button("Đặt lại mật khẩu"):
                _done(
                    lambda: accounts().set_password(me, chosen, password),
                    f"Đã đặt lại mật khẩu của {chosen}; phải đổi ở lần đăng nhập sau.",
                )
        if account.locked and st.button(
            "Mở khoá đăng nhập",
            icon=":material/lock_reset:",
            help="Tài khoản đang tạm khoá do nhiều lần nhập sai mật khẩu.",
        ):
            _done(lambda: accounts().unlock(me, chosen), f"Đã mở khoá đăng nhập cho {chosen}.")
        if account.active:
            if st.button("Khoá tài khoản", icon=":material/block:"):
                _done(lambda: accounts().set_active(me, chosen, False), f"Đã khoá {chosen}.")
        elif st.button("Mở lại tài khoản", icon=":material/lock_open:"):
            _done(lambda: accounts().set_active(me, chosen, True), f"Đã mở lại {chosen}.")

st.subheader("Nhật ký thay đổi")
c1, c2, c3 = st.columns([1, 2, 2])
who = c1.selectbox(
    "Người thực hiện",
    [""] + sorted({a.login for a in listed} | set(accounts().audit(me, 1000)["who"])),
    format_func=lambda w: w or "Tất cả",
)
actions = c2.multiselect("Việc", list(AUDIT_ACTIONS), format_func=AUDIT_ACTIONS.get, placeholder="Tất cả")
today = datetime.now(VN_TIME).date()
span = c3.date_input("Từ ngày – đến ngày", (today - timedelta(days=30), today), format="DD/MM/YYYY")
since = until = None
if isinstance(span, tuple) and len(span) == 2:
    since = datetime.combine(span[0], time.min, VN_TIME)
    until = datetime.combine(span[1] + timedelta(days=1), time.min, VN_TIME)
log = accounts().audit(me, 500, who=who or None, actions=actions or None, since=since, until=until)
show_table(views.audit_table(log), {"Chi tiết": "large"}, key="audit")

st.subheader("Sao lưu")
st.caption(
    "Toàn bộ dữ liệu, bộ tiêu chí, nhật ký và tài khoản (mật khẩu chỉ ở dạng băm) trong một tệp JSON. "
    "Tệp được ký bằng khoá sao lưu của máy chủ; phục hồi vào cơ sở dữ liệu trống bằng lệnh "
    "`python -m scoring db restore TỆP` (thêm `--accounts` để phục hồi cả tài khoản)."
)


def _backup_bytes(who: Actor) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sao_luu.json"
        service.backup(opened.store(), path, who)  # the whole store: the library lets only the root's accounts
        return path.read_bytes()


if me.committee_id == ROOT_ID:
    offer_download(
        "Tải bản sao lưu",
        f"sao_luu_danvan_{today:%Y%m%d}.json",
        "application/json",
        Right.BACKUP,
        _backup_bytes,
        "backup",
    )
else:
    st.caption("Bản sao lưu chứa dữ liệu của mọi cấp ủy: chỉ quản trị viên của cấp ủy gốc tải được.")
