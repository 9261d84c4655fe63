"""The rules accounts follow, shared by their administration (`accounts`) and sign-in (`sign_in`): logins, the
password rules and hashes, the limits on failed sign-ins, sessions' lifetimes, and the first password's hand-over.
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

from .access import ROLE_LABELS, Actor, Role
from .signing import data_folder
from .store import Store

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
    committee: str = ""  # the code of its committee (scoring.committees)


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


def _actor(row, session: str = "") -> Actor:
    return Actor(
        login=row["login"],
        role=Role(row["role"]),
        unit_code=row["unit_code"],
        full_name=row["full_name"],
        account_id=row["id"],
        must_change_password=row["must_change_password"],
        session=session,
        committee_id=row.get("committee_id", 1),
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


class AccountsBase:
    """Accounts of one store. `clock` is injectable so that lock and expiry rules are tested by the minute."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.clock = store, clock
