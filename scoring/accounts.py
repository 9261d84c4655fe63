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

import hashlib
import logging
import os
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from . import schema as t
from .access import ROLE_LABELS, Actor, Right, Role
from .formats import stored_time as _utc
from .signing import data_folder
from .store import Store, record
from .text import unit_code

log = logging.getLogger(__name__)

ADMIN_LOGIN = "quantri"
MIN_PASSWORD = 10
MAX_PASSWORD = 256  # a hash of megabytes of "password" is work for an attacker to hand us
CLIENT_LIMIT = 5  # failures from one address within LOCK_WINDOW, after which that address waits
LOCK_AFTER = 20  # failures of one account within LOCK_WINDOW, from any addresses, that lock it
LOCK_WINDOW = timedelta(minutes=15)
LOCK_FOR = timedelta(minutes=15)
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common_passwords.txt"
CODE_LIFETIME = timedelta(seconds=60)
TEMPORARY_FOR = timedelta(days=1)  # a password set by someone else (or the first one) lasts this long, unused
TOUCH_EVERY = timedelta(seconds=60)  # a session's last use is written at most this often
_LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."

_hasher = PasswordHasher()


class AccountError(Exception):
    """An account change refused; the message is for users, in Vietnamese."""


class TooManyFailures(AccountError):
    """Sign-ins from this address are paused after CLIENT_LIMIT failures (the password was not even tried)."""


@dataclass(frozen=True)
class AccountInfo:
    login: str
    full_name: str
    role: Role
    unit_code: str | None
    email: str | None
    active: bool
    locked: bool
    must_change_password: bool
    created_at: datetime
    created_by: str
    changed_at: datetime
    changed_by: str


def idle_timeout() -> timedelta:
    """How long a session lasts without use: DANVAN_SESSION_IDLE_MINUTES, 30 by default."""
    try:
        minutes = float(os.environ.get("DANVAN_SESSION_IDLE_MINUTES", "30"))
    except ValueError:
        minutes = 30
    return timedelta(minutes=minutes if minutes > 0 else 30)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normal_login(login: str) -> str:
    return unicodedata.normalize("NFC", login or "").strip().lower()


def check_password(password: str, login: str = "") -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"Mật khẩu dài quá {MAX_PASSWORD} ký tự.")
    if login and normal_login(password) == normal_login(login):
        raise AccountError("Mật khẩu không được trùng tên đăng nhập.")
    if login and len(login) >= 4 and normal_login(login) in password.casefold():
        raise AccountError("Mật khẩu không được chứa tên đăng nhập.")
    if len(set(password)) == 1:
        raise AccountError("Mật khẩu không được chỉ lặp lại một ký tự.")
    if password.casefold() in _common_passwords():
        raise AccountError(
            "Mật khẩu này nằm trong danh sách mật khẩu phổ biến, dễ bị đoán: hãy chọn mật khẩu khác "
            "(ví dụ vài từ ghép với số và dấu)."
        )


@cache
def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text("utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


FIRST_PASSWORD_FILE = "mat_khau_quan_tri_dau_tien.txt"


def hand_over_first_password(password: str, database_url: str) -> Path:
    """Where the first administrator's password goes when no terminal shows it (a service's output is a journal
    or a container log, kept and read by others): a file only its owner can read, beside the data
    (`signing.data_folder`: DANVAN_DATA_DIR, else the SQLite file's folder). The password in it expires after
    its first sign-in or TEMPORARY_FOR."""
    folder = data_folder(database_url)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FIRST_PASSWORD_FILE
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # also when the file was there before, with other rights
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(
            f"Tài khoản quản trị đầu tiên\nTên đăng nhập: {ADMIN_LOGIN}\nMật khẩu: {password}\n"
            "Mật khẩu này chỉ dùng được một lần, trong 24 giờ: đăng nhập và đặt mật khẩu mới ngay, rồi xoá "
            "tệp này.\n"
        )
    return path


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the login does not exist, so that the answer takes as long."""
    return _hasher.hash(secrets.token_urlsafe(16))


class Accounts:
    """Accounts of one store. `clock` is injectable so that lock and expiry rules are tested by the minute."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.clock = store, clock

    # ------------------------------------------------------------ administration

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
    ) -> None:
        actor.require(Right.ACCOUNTS)
        login, role = normal_login(login), _role(role)
        unit = self._unit(role, unit)
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
        with self.store.writing() as conn:
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
                )
            )
            record(
                conn,
                actor.login,
                "account_add",
                detail=f"Tạo tài khoản {login} ({ROLE_LABELS[role]}{f', đơn vị {unit}' if unit else ''})",
            )

    def list(self, actor: Actor) -> list[AccountInfo]:
        actor.require(Right.ACCOUNTS)
        now = self.clock()
        with self.store.reading() as conn:
            rows = conn.execute(select(t.accounts).order_by(t.accounts.c.login)).mappings().all()
        return [
            AccountInfo(
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
            )
            for r in rows
        ]

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
        unit = self._unit(role, unit)
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

    def _unit(self, role: Role, unit: str | None) -> str | None:
        """The unit code of a Đơn vị account, in its normal form, known to a round or a stored year."""
        if role != Role.UNIT:
            if unit:
                raise AccountError("Chỉ tài khoản Đơn vị mới gắn với một mã đơn vị.")
            return None
        code = unit_code(unit or "")
        if not code:
            raise AccountError("Tài khoản Đơn vị cần mã đơn vị (--unit).")
        if self.store.unit_name(code) is None:
            raise AccountError(
                f"Mã đơn vị “{code}” không có trong đợt đánh giá hay năm dữ liệu nào; kiểm tra lại "
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
        with self.store.writing() as conn:
            row = conn.execute(select(a.c.id, a.c.role, a.c.active).where(a.c.login == login)).first()
            if row is None:
                raise AccountError(f"Không có tài khoản “{login}”.")
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

    # ------------------------------------------------------------ signing in

    def sign_in(self, login: str, password: str, client: str = "") -> Actor | None:
        """The account if the login and password are right and it is neither disabled nor locked; else None,
        whatever the cause, after as much work as a right answer. An address (`client`) with CLIENT_LIMIT failures
        within LOCK_WINDOW waits (TooManyFailures, nothing tried), so that one address cannot lock an account for
        everyone. Every success and failure goes to the audit log with the address."""
        login, now, client = normal_login(login), self.clock(), (client or "")[:64]
        self._check_client(client, now)
        with self.store.reading() as conn:
            row = conn.execute(select(t.accounts).where(t.accounts.c.login == login)).mappings().first()
        if row is None or row["password_hash"] is None:
            _verifies(_dummy_hash(), password or "")
            self._failed(None, "", client, now)
            return None
        right = _verifies(row["password_hash"], password or "")
        locked = bool(row["locked_until"] and _utc(row["locked_until"]) > now)
        expired = bool(row["password_expires_at"] and _utc(row["password_expires_at"]) < now)
        if right and row["active"] and not locked and not expired:
            with self.store.writing() as conn:
                conn.execute(delete(t.sign_in_failures).where(t.sign_in_failures.c.account_id == row["id"]))
                if row["password_expires_at"]:  # a temporary password opens one session: this one, to change it
                    conn.execute(update(t.accounts).where(t.accounts.c.id == row["id"]).values(password_expires_at=now))
                if _hasher.check_needs_rehash(row["password_hash"]):
                    conn.execute(
                        update(t.accounts)
                        .where(t.accounts.c.id == row["id"])
                        .values(password_hash=_hasher.hash(password))
                    )
                record(conn, login, "sign_in", detail=f"Đăng nhập {_whence(client)}")
            return _actor(row)
        self._failed(
            row["id"] if not right else None,
            login,
            client,
            now,
            ""
            if not right
            else " (tài khoản đang khoá)"
            if locked
            else " (mật khẩu tạm đã hết hạn)"
            if expired
            else " (tài khoản đã khoá hẳn)",
        )
        return None

    def _check_client(self, client: str, now: datetime) -> None:
        f = t.sign_in_failures
        with self.store.reading() as conn:
            recent = (
                conn.execute(
                    select(f.c.at)
                    .where(f.c.client == client, f.c.at >= now - LOCK_WINDOW)
                    .order_by(f.c.at.desc())
                    .limit(CLIENT_LIMIT)
                )
                .scalars()
                .all()
            )
        if len(recent) >= CLIENT_LIMIT:
            minutes = max(1, -int(-(_utc(recent[-1]) + LOCK_WINDOW - now).total_seconds() // 60))
            raise TooManyFailures(f"Đã đăng nhập sai nhiều lần từ máy này; hãy thử lại sau {minutes} phút.")

    def _failed(self, account_id: int | None, login: str, client: str, now: datetime, why: str = "") -> None:
        """A failure: counted for the address, and for the account when its password was wrong (which locks it
        after LOCK_AFTER of them); audited either way."""
        f = t.sign_in_failures
        with self.store.writing() as conn:
            conn.execute(delete(f).where(f.c.at < now - LOCK_WINDOW))
            conn.execute(insert(f).values(account_id=account_id, client=client, at=now))
            record(
                conn,
                login or "(không rõ)",
                "sign_in_failed",
                detail=f"Đăng nhập sai{why}{'' if login else ': tên đăng nhập không có'}, {_whence(client)}",
            )
            if account_id is None:
                return
            recent = conn.execute(
                select(func.count()).select_from(f).where(f.c.account_id == account_id, f.c.at >= now - LOCK_WINDOW)
            ).scalar()
            if recent >= LOCK_AFTER:
                conn.execute(
                    update(t.accounts).where(t.accounts.c.id == account_id).values(locked_until=now + LOCK_FOR)
                )
                conn.execute(delete(f).where(f.c.account_id == account_id))
                record(
                    conn,
                    login,
                    "sign_in_lock",
                    detail=f"{login}: khoá {int(LOCK_FOR.total_seconds() // 60)} phút sau {recent} lần đăng nhập sai",
                )
                log.warning("account %s locked until %s after %d failed sign-ins", login, now + LOCK_FOR, recent)

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

    def issue_code(self, actor: Actor) -> str:
        """A one-time code that the cookie route exchanges for a new session of this account."""
        code = secrets.token_urlsafe(32)
        with self.store.writing() as conn:
            conn.execute(delete(t.sign_in_codes).where(t.sign_in_codes.c.expires_at < self.clock()))
            conn.execute(
                insert(t.sign_in_codes).values(
                    code_sha256=_sha256(code), account_id=actor.account_id, expires_at=self.clock() + CODE_LIFETIME
                )
            )
        return code

    def redeem_code(self, code: str) -> str | None:
        """A new session token for a valid code (which is used up), else None."""
        c, now = t.sign_in_codes, self.clock()
        token = secrets.token_urlsafe(32)
        with self.store.writing() as conn:
            row = conn.execute(
                select(c.c.account_id, c.c.expires_at).where(c.c.code_sha256 == _sha256(code or ""))
            ).first()
            if row is None:
                return None
            conn.execute(delete(c).where(c.c.code_sha256 == _sha256(code)))
            if _utc(row.expires_at) < now:
                return None
            conn.execute(
                insert(t.sessions).values(
                    token_sha256=_sha256(token), account_id=row.account_id, created_at=now, last_seen_at=now
                )
            )
        return token

    def session(self, token: str | None) -> Actor | None:
        """The account a session token stands for, if the session is live and the account active."""
        if not token:
            return None
        s, a, now = t.sessions, t.accounts, self.clock()
        digest = _sha256(token)
        with self.store.reading() as conn:
            row = (
                conn.execute(
                    select(a, s.c.last_seen_at)
                    .join(s, s.c.account_id == a.c.id)
                    .where(s.c.token_sha256 == digest, s.c.ended_at.is_(None), a.c.active.is_(True))
                )
                .mappings()
                .first()
            )
        if row is None or _utc(row["last_seen_at"]) < now - idle_timeout():
            return None
        if _utc(row["last_seen_at"]) < now - TOUCH_EVERY:
            self._touch(digest, now)
        return _actor(row, session=digest)

    def _touch(self, digest: str, now: datetime) -> None:
        """Best effort: a page must not wait behind a long import just to note that a session is in use."""
        try:
            with self.store.engine.begin() as conn:
                if self.store.sqlite:
                    conn.exec_driver_sql("PRAGMA busy_timeout=200")
                try:
                    conn.execute(update(t.sessions).where(t.sessions.c.token_sha256 == digest).values(last_seen_at=now))
                finally:
                    if self.store.sqlite:
                        conn.exec_driver_sql("PRAGMA busy_timeout=60000")
        except OperationalError:
            log.info("session use not recorded: the store is busy")

    def sign_out(self, token: str | None) -> None:
        if not token:
            return
        s, a = t.sessions, t.accounts
        with self.store.writing() as conn:
            login = conn.execute(
                select(a.c.login)
                .join(s, s.c.account_id == a.c.id)
                .where(s.c.token_sha256 == _sha256(token), s.c.ended_at.is_(None))
            ).scalar()
            if login is not None:
                conn.execute(update(s).where(s.c.token_sha256 == _sha256(token)).values(ended_at=self.clock()))
                record(conn, login, "sign_out", detail="Đăng xuất")

    # ------------------------------------------------------------ single sign-on

    def by_email(self, email: str | None, verified: bool | None = True) -> Actor | None:
        """The active account an identity provider's e-mail belongs to. An address the provider says it has
        not verified matches nothing."""
        email = _email(email) if email and _EMAIL.fullmatch(email.strip()) else None
        if email is None or verified is False:
            return None
        with self.store.reading() as conn:
            row = (
                conn.execute(select(t.accounts).where(t.accounts.c.email == email, t.accounts.c.active.is_(True)))
                .mappings()
                .first()
            )
        return None if row is None else _actor(row)


def _actor(row, session: str = "") -> Actor:
    return Actor(
        login=row["login"],
        role=Role(row["role"]),
        unit_code=row["unit_code"],
        full_name=row["full_name"],
        account_id=row["id"],
        must_change_password=row["must_change_password"],
        session=session,
    )


def _verifies(hashed: str | None, password: str) -> bool:
    if not hashed:
        return False
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _whence(client: str) -> str:
    return f"từ {client}" if client else "(không rõ địa chỉ)"


def _role(role: Role | str | None) -> Role:
    if not role:
        raise AccountError("Chưa chọn vai trò.")
    try:
        return Role(role)
    except ValueError:
        raise AccountError(
            f"Vai trò “{role}” không có; chọn một trong: " + ", ".join(f"{r.value} ({ROLE_LABELS[r]})" for r in Role)
        ) from None


def _email(email: str | None) -> str | None:
    if not email or not email.strip():
        return None
    email = unicodedata.normalize("NFC", email.strip()).lower()
    if not _EMAIL.fullmatch(email):
        raise AccountError(f"E-mail “{email}” không hợp lệ.")
    return email
