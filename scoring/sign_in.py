"""Signing in and sessions: the password checked against its hash with the failure limits per client and per
account, the one-time code that carries a fresh sign-in to the cookie, sessions' use and end."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from . import schema as t
from .access import Actor
from .account_rules import (
    _EMAIL,
    CLIENT_LIMIT,
    CODE_LIFETIME,
    LOCK_AFTER,
    LOCK_FOR,
    LOCK_WINDOW,
    TOUCH_EVERY,
    AccountsBase,
    TooManyFailures,
    _actor,
    _dummy_hash,
    _email,
    _hasher,
    _sha256,
    _verifies,
    _whence,
    idle_timeout,
    normal_login,
)
from .formats import stored_time as _utc
from .store import record

log = logging.getLogger(__name__)


class Sessions(AccountsBase):
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
