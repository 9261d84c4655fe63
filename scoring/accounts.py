"""Accounts, sign-in and sessions, kept in the store (SQLite or PostgreSQL alike, so every app replica agrees).

- Passwords are kept only as Argon2id hashes (argon2-cffi's defaults: 64 MiB, 3 passes), never logged.
- Five failed sign-ins within 15 minutes lock an account for 15 minutes; a failure says only that the login or
  the password is wrong, whatever the cause.
- A session is a random token the browser keeps in a cookie; the store keeps its SHA-256, the account and when
  it was last used. It ends on sign-out, on a password change, when the account is disabled, or after
  `idle_timeout()` without use. The role is read from the account on every use, never from the cookie.
- A fresh sign-in reaches the cookie through a one-time code that expires within a minute, so that the token
  never appears in a URL or a page.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata

import pandas as pd
from sqlalchemy import delete, func, insert, select, update

from . import schema as t
from .access import ROLE_LABELS, Actor, Right, Role
from .account_rules import (
    _LOGIN,
    ADMIN_LOGIN,
    CLIENT_LIMIT,
    CODE_LIFETIME,
    FIRST_PASSWORD_FILE,
    LOCK_AFTER,
    LOCK_FOR,
    LOCK_WINDOW,
    MAX_PASSWORD,
    MIN_PASSWORD,
    TEMPORARY_FOR,
    WRONG,
    AccountError,
    AccountInfo,
    AccountsBase,
    TooManyFailures,
    _email,
    _hasher,
    _role,
    _verifies,
    check_password,
    hand_over_first_password,
    idle_timeout,
    normal_login,
)
from .committees import ROOT_ID, Committees
from .formats import stored_time as _utc
from .sign_in import Sessions
from .store import record
from .text import unit_code

log = logging.getLogger(__name__)


class Administration(AccountsBase):
    def create(
        self,
        actor: Actor,
        login: str,
        role: Role | str,
        password: str | None,
        full_name: str = "",
        unit: str | None = None,
        email: str | None = None,
        must_change_password: bool = False,
        committee_id: int = 1,
    ) -> None:
        """An account of `committee_id` (the root by default), which must be in the actor's own subtree."""
        actor.require(Right.ACCOUNTS)
        self.store.within(committee_id).require(actor)
        login, role = normal_login(login), _role(role)
        unit = self._unit(role, unit, committee_id)
        if not _LOGIN.fullmatch(login):
            raise AccountError(
                f"Tên đăng nhập “{login}” không hợp lệ: 2–64 ký tự chữ thường không dấu, số, "
                "dấu chấm, gạch dưới hoặc gạch ngang, bắt đầu bằng chữ hoặc số."
            )
        if password is None and not email:
            raise AccountError("Cần mật khẩu, hoặc e-mail để đăng nhập một lần (SSO).")
        if password is not None:
            check_password(password, login)
        email = _email(email)
        now = self.clock()
        with self.store.within(committee_id).writing() as conn:
            if conn.execute(select(t.accounts.c.id).where(t.accounts.c.login == login)).first():
                raise AccountError(f"Đã có tài khoản “{login}”.")
            if email and conn.execute(select(t.accounts.c.id).where(t.accounts.c.email == email)).first():
                raise AccountError(f"E-mail {email} đã gắn với một tài khoản khác.")
            conn.execute(
                insert(t.accounts).values(
                    login=login,
                    full_name=unicodedata.normalize("NFC", full_name.strip()) or login,
                    role=role.value,
                    unit_code=unit,
                    email=email,
                    active=True,
                    password_hash=None if password is None else _hasher.hash(password),
                    must_change_password=must_change_password,
                    created_at=now,
                    created_by=actor.login,
                    password_expires_at=now + TEMPORARY_FOR if must_change_password and password else None,
                    changed_at=now,
                    changed_by=actor.login,
                    committee_id=committee_id,
                )
            )
            record(
                conn,
                actor.login,
                "account_add",
                detail=f"Tạo tài khoản {login} ({ROLE_LABELS[role]}{f', đơn vị {unit}' if unit else ''})",
            )

    def audit(self, actor: Actor, limit: int = 200, **filters) -> pd.DataFrame:
        """The audit log of the actor's committee and the committees under it (filters: `StoreCore.audit`)."""
        actor.require(Right.ACCOUNTS)
        return self.store.audit(limit, committees=Committees(self.store).subtree(actor.committee_id), **filters)

    def list(self, actor: Actor) -> list[AccountInfo]:
        """The accounts of the actor's committee and the committees under it."""
        actor.require(Right.ACCOUNTS)
        now, codes = self.clock(), {c.id: c.code for c in Committees(self.store).all(under=actor.committee_id)}
        with self.store.reading() as conn:
            rows = (
                conn.execute(
                    select(t.accounts).where(t.accounts.c.committee_id.in_(list(codes))).order_by(t.accounts.c.login)
                )
                .mappings()
                .all()
            )
        return [_info(r, now, codes[r["committee_id"]]) for r in rows]

    def set_password(self, actor: Actor, login: str, password: str, must_change_password: bool = True) -> None:
        """An administrator sets someone's password (by default to be changed at the next sign-in)."""
        actor.require(Right.ACCOUNTS)
        check_password(password, login)
        self._change(
            actor,
            login,
            "account_password",
            "Đặt lại mật khẩu",
            password_hash=_hasher.hash(password),
            must_change_password=must_change_password,
            password_expires_at=self.clock() + TEMPORARY_FOR if must_change_password else None,
            locked_until=None,
        )

    def change_own_password(self, actor: Actor, current: str | None, new: str) -> None:
        """The signed-in person changes their password; the current one is asked unless it must be changed."""
        check_password(new, actor.login)
        with self.store.reading() as conn:
            row = conn.execute(
                select(t.accounts.c.password_hash, t.accounts.c.must_change_password).where(
                    t.accounts.c.id == actor.account_id
                )
            ).first()
        if row is None:
            raise AccountError("Không tìm thấy tài khoản.")
        if not row.must_change_password and not _verifies(row.password_hash, current or ""):
            raise AccountError("Mật khẩu hiện tại không đúng.")
        if _verifies(row.password_hash, new):
            raise AccountError("Mật khẩu mới phải khác mật khẩu cũ.")
        self._change(
            actor,
            actor.login,
            "account_password",
            "Tự đổi mật khẩu",
            keep_session=True,
            password_hash=_hasher.hash(new),
            must_change_password=False,
            password_expires_at=None,
        )

    def set_role(self, actor: Actor, login: str, role: Role | str, unit: str | None = None) -> None:
        actor.require(Right.ACCOUNTS)
        role = _role(role)
        unit = self._unit(role, unit, self._committee_of(login))
        self._change(
            actor,
            login,
            "account_role",
            f"Vai trò {ROLE_LABELS[role]}{f', đơn vị {unit}' if unit else ''}",
            leaves_admins=role != Role.ADMIN,
            role=role.value,
            unit_code=unit,
        )

    def set_active(self, actor: Actor, login: str, active: bool) -> None:
        actor.require(Right.ACCOUNTS)
        self._change(
            actor,
            login,
            "account_enable" if active else "account_disable",
            "Mở lại tài khoản" if active else "Khoá tài khoản",
            leaves_admins=not active,
            active=active,
            locked_until=None,
        )

    def _committee_of(self, login: str) -> int:
        """The committee of an account (the root for none: `_change` then says there is no such account)."""
        a = t.accounts.c
        with self.store.reading() as conn:
            found = conn.execute(select(a.committee_id).where(a.login == normal_login(login))).scalar()
        return ROOT_ID if found is None else found

    def _unit(self, role: Role, unit: str | None, committee_id: int) -> str | None:
        """The unit code of a Đơn vị account, in its normal form, known to a round or a stored year of its
        committee (another committee may use the same code for another unit)."""
        if role != Role.UNIT:
            if unit:
                raise AccountError("Chỉ tài khoản Đơn vị mới gắn với một mã đơn vị.")
            return None
        code = unit_code(unit or "")
        if not code:
            raise AccountError("Tài khoản Đơn vị cần mã đơn vị (--unit).")
        if self.store.within(committee_id).unit_name(code) is None:
            raise AccountError(
                f"Mã đơn vị “{code}” không có trong đợt đánh giá hay năm dữ liệu nào của cấp ủy; kiểm tra lại "
                "mã, hoặc mở đợt đánh giá có đơn vị này trước khi tạo tài khoản."
            )
        return code

    def _change(
        self,
        actor: Actor,
        login: str,
        action: str,
        detail: str,
        keep_session: bool = False,
        leaves_admins: bool = False,
        **values,
    ) -> None:
        """One account change, its sessions ended and the audit entry, in one serialised write. A change that takes
        the account out of the active administrators is refused for the last one (checked inside the same
        transaction, so two administrators demoting each other at once cannot leave none)."""
        login, a = normal_login(login), t.accounts
        scope = Committees(self.store).subtree(actor.committee_id)
        with self.store.within(actor.committee_id).writing() as conn:  # audited in the administrator's committee
            row = conn.execute(select(a.c.id, a.c.role, a.c.active, a.c.committee_id).where(a.c.login == login)).first()
            if row is None or row.committee_id not in scope:  # another committee's account is none of its business
                raise AccountError(f"Không có tài khoản “{login}” trong cấp ủy của bạn.")
            if (
                leaves_admins
                and row.role == Role.ADMIN.value
                and row.active
                and not conn.execute(
                    select(func.count())
                    .select_from(a)
                    .where(a.c.role == Role.ADMIN.value, a.c.active.is_(True), a.c.id != row.id)
                ).scalar()
            ):
                raise AccountError("Không thể bỏ quyền hoặc khoá quản trị viên cuối cùng.")
            conn.execute(
                update(a).where(a.c.id == row.id).values(changed_at=self.clock(), changed_by=actor.login, **values)
            )
            # Sessions end with any change but one's own new password (that session goes on; others end).
            ended = update(t.sessions).where(t.sessions.c.account_id == row.id, t.sessions.c.ended_at.is_(None))
            if keep_session:
                ended = ended.where(t.sessions.c.token_sha256 != actor.session)
            conn.execute(ended.values(ended_at=self.clock()))
            record(conn, actor.login, action, detail=f"{login}: {detail}")

    def ensure_admin(self) -> str | None:
        """The first start: with no account at all, create `quantri` with a random password, to be changed at
        the first sign-in, and return that password (once) for the terminal. Replicas starting together agree:
        the check and the insert are one serialised write."""
        now = self.clock()
        password = secrets.token_urlsafe(12)
        with self.store.writing() as conn:
            if conn.execute(select(func.count()).select_from(t.accounts)).scalar():
                return None
            conn.execute(
                insert(t.accounts).values(
                    login=ADMIN_LOGIN,
                    full_name="Quản trị viên",
                    role=Role.ADMIN.value,
                    unit_code=None,
                    email=None,
                    active=True,
                    password_hash=_hasher.hash(password),
                    must_change_password=True,
                    password_expires_at=now + TEMPORARY_FOR,
                    created_at=now,
                    created_by="khởi tạo",
                    changed_at=now,
                    changed_by="khởi tạo",
                )
            )
            record(conn, "khởi tạo", "account_add", detail=f"Tạo tài khoản {ADMIN_LOGIN} (Quản trị) lần đầu khởi động")
        return password

    def unlock(self, actor: Actor, login: str) -> None:
        """An administrator lifts a lock of failed sign-ins at once."""
        actor.require(Right.ACCOUNTS)
        self._change(actor, login, "account_unlock", "Mở khoá đăng nhập", locked_until=None)
        with self.store.writing() as conn:
            conn.execute(
                delete(t.sign_in_failures).where(
                    t.sign_in_failures.c.account_id
                    == select(t.accounts.c.id).where(t.accounts.c.login == normal_login(login)).scalar_subquery()
                )
            )


def _info(r, now, committee: str) -> AccountInfo:
    """What an administrator reads of an account."""
    return AccountInfo(
        r["login"],
        r["full_name"],
        Role(r["role"]),
        r["unit_code"],
        r["email"],
        r["active"],
        bool(r["locked_until"] and _utc(r["locked_until"]) > now),
        r["must_change_password"],
        _utc(r["created_at"]),
        r["created_by"],
        _utc(r["changed_at"]),
        r["changed_by"],
        committee,
    )


class Accounts(Administration, Sessions):
    """Accounts of one store: their administration and sign-in."""


__all__ = [
    "ADMIN_LOGIN",
    "AccountError",
    "AccountInfo",
    "Accounts",
    "CLIENT_LIMIT",
    "CODE_LIFETIME",
    "FIRST_PASSWORD_FILE",
    "LOCK_AFTER",
    "LOCK_FOR",
    "LOCK_WINDOW",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "TEMPORARY_FOR",
    "TooManyFailures",
    "WRONG",
    "check_password",
    "hand_over_first_password",
    "idle_timeout",
    "normal_login",
]
