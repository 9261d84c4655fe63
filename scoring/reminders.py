"""Reminders by e-mail (optional, off unless an SMTP server is configured; docs/access.md, "Reminders").

What is due, in every committee's open rounds:
- a unit's accounts, DAYS days (DANVAN_REMIND_DAYS, default 3) or less before the unit's own self-assessment
  deadline while it has not submitted: once per deadline (an extension brings a new one);
- a unit's accounts, when the committee asks it to explain: once per question;
- an officer (Cán bộ, Quản trị) of a committee, what waits for them there (the pages' work list): once a day.

Each reminder is claimed in the store (table `reminders`, its key unique) before it is sent, so two replicas never
send the same one, and given back if the server refuses it, to be tried again next time. The server sends in a
background thread (`scoring.web.server`), never while a page waits; `python -m scoring remind` sends from cron.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from . import schema as t
from .access import Actor, Role
from .committees import Committees
from .formats import VN_TIME, deadline
from .rounds import EXPLAINING, NOT_SUBMITTED, Rounds
from .store import Store

log = logging.getLogger("scoring.reminders")
DEFAULT_DAYS = 3
SUBJECT = "[Đánh giá dân vận] "


@dataclass(frozen=True)
class Mailer:
    """An SMTP server to send through: DANVAN_SMTP_HOST (none: reminders are off), DANVAN_SMTP_PORT (587),
    DANVAN_SMTP_SECURITY (starttls, ssl or none), DANVAN_SMTP_USER, the password in the file DANVAN_SMTP_PASSWORD_FILE
    (never in the environment), DANVAN_SMTP_FROM."""

    host: str
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password: str = ""
    sender: str = "danvan@localhost"

    @classmethod
    def from_env(cls) -> Mailer | None:
        host = os.environ.get("DANVAN_SMTP_HOST", "").strip()
        if not host:
            return None
        secret = os.environ.get("DANVAN_SMTP_PASSWORD_FILE")
        return cls(
            host,
            int(os.environ.get("DANVAN_SMTP_PORT", "587")),
            os.environ.get("DANVAN_SMTP_SECURITY", "starttls"),
            os.environ.get("DANVAN_SMTP_USER", ""),
            Path(secret).read_text("utf-8").strip() if secret else "",
            os.environ.get("DANVAN_SMTP_FROM", "danvan@localhost"),
        )

    def send(self, message: Message) -> None:
        message["From"] = self.sender
        context = ssl.create_default_context()
        if self.security == "ssl":
            server = smtplib.SMTP_SSL(self.host, self.port, timeout=30, context=context)
        else:
            server = smtplib.SMTP(self.host, self.port, timeout=30)
        with server:
            if self.security == "starttls":
                server.starttls(context=context)
            if self.user:
                server.login(self.user, self.password)
            server.send_message(message)


@dataclass(frozen=True)
class Reminder:
    key: str  # what makes it once: kind, round or day, unit or account
    to: str
    subject: str
    body: str


def remind_days() -> int:
    return int(os.environ.get("DANVAN_REMIND_DAYS", DEFAULT_DAYS))


def due(store: Store, now: datetime, days: int | None = None, rounds_of: Callable[[int], Rounds] | None = None):
    """Every reminder due now in every committee (already sent or not: `send_due` skips those it sent)."""
    days = remind_days() if days is None else days
    rounds_of = rounds_of or (lambda c: Rounds(store.within(c), lambda: now))
    people = _people(store)
    found: list[Reminder] = []
    for committee in Committees(store).all():
        rounds = rounds_of(committee.id)
        staff = [p for p in people if p["committee_id"] == committee.id and p["role"] in _STAFF]
        for year in rounds.open_years():
            found += _unit_reminders(rounds, committee.id, year, now, days, people)
        for person in staff:
            actor = Actor(person["login"], Role(person["role"]), committee_id=committee.id)
            work = rounds.work_list(actor)
            if work:
                day = now.astimezone(VN_TIME).date()
                found.append(
                    Reminder(
                        f"digest:{person['id']}:{committee.id}:{day.isoformat()}",
                        person["email"],
                        SUBJECT + f"Việc cần làm ngày {day:%d/%m/%Y} – {committee.name}",
                        _letter(person["full_name"], [text for text, _ in work], committee.name),
                    )
                )
    return found


_STAFF = {Role.OFFICER.value, Role.ADMIN.value}


def _people(store: Store) -> list[dict]:
    """Active accounts with an e-mail address."""
    a = t.accounts.c
    with store.reading() as conn:
        rows = conn.execute(
            select(a.id, a.login, a.full_name, a.role, a.unit_code, a.email, a.committee_id).where(
                a.active.is_(True), a.email.is_not(None)
            )
        )
        return [dict(r._mapping) for r in rows]


def _unit_reminders(rounds: Rounds, committee: int, year: int, now: datetime, days: int, people) -> list[Reminder]:
    """The deadline and explanation reminders of one open round, to each of a unit's accounts."""
    clerk = Actor("nhắc việc", Role.OFFICER, committee_id=committee)  # reads the round as its committee's staff
    info, sheets = rounds.snapshot(clerk, year)
    found = []
    for person in people:
        sheet = sheets.get(person["unit_code"] or "")
        if person["committee_id"] != committee or sheet is None:
            continue
        own = sheet.deadline or info.self_deadline
        if sheet.state == NOT_SUBMITTED and now <= own <= now + timedelta(days=days):
            found.append(
                Reminder(
                    f"deadline:{info.id}:{sheet.code}:{own.isoformat()}:{person['id']}",
                    person["email"],
                    SUBJECT + f"Hạn tự chấm năm {year}: {deadline(own)}",
                    _letter(
                        person["full_name"],
                        [f"{sheet.name} ({sheet.code}) chưa nộp bản tự chấm năm {year}; hạn nộp {deadline(own)}."],
                    ),
                )
            )
        if sheet.state == EXPLAINING and sheet.questions:
            asked = sheet.questions[-1]
            found.append(
                Reminder(
                    f"question:{info.id}:{sheet.code}:{asked['asked_at'].isoformat()}:{person['id']}",
                    person["email"],
                    SUBJECT + f"Yêu cầu giải trình năm {year}",
                    _letter(
                        person["full_name"],
                        [f"Cấp ủy yêu cầu {sheet.name} ({sheet.code}) giải trình: {asked['question']}"],
                    ),
                )
            )
    return found


def _letter(name: str, lines: list[str], committee: str = "") -> str:
    where = f" ({committee})" if committee else ""
    body = "\n".join(f"- {line}" for line in lines)
    return (
        f"Kính gửi {name},\n\nCông cụ đánh giá công tác dân vận{where} xin nhắc:\n\n{body}\n\n"
        "Đăng nhập vào công cụ để thực hiện. Thư này được gửi tự động, xin đừng trả lời.\n"
    )


def pending(store: Store, now: datetime, **options) -> list[Reminder]:
    """What is due and was not sent yet."""
    found = due(store, now, **options)
    with store.reading() as conn:
        sent = set(
            conn.execute(select(t.reminders.c.key).where(t.reminders.c.key.in_([r.key for r in found]))).scalars()
        )
    return [r for r in found if r.key not in sent]


def send_due(store: Store, mailer: Mailer, now: datetime | None = None, **options) -> int:
    """Send what is due and not sent yet; returns how many went. A reminder the server refuses is given back."""
    now = now or datetime.now(UTC)
    sent = 0
    for reminder in pending(store, now, **options):
        if not _claim(store, reminder.key, now):
            continue
        message = MIMEText(reminder.body, "plain", "utf-8")
        # Header, not EmailMessage's folding, which drops the space between two encoded words of a Vietnamese subject
        message["To"], message["Subject"] = reminder.to, Header(reminder.subject, "utf-8")
        try:
            mailer.send(message)
        except (OSError, smtplib.SMTPException):
            log.exception("reminder %s to %s not sent", reminder.key, reminder.to)
            with store.writing() as conn:
                conn.execute(delete(t.reminders).where(t.reminders.c.key == reminder.key))
            continue
        sent += 1
    return sent


def _claim(store: Store, key: str, now: datetime) -> bool:
    """The reminder is ours to send (nobody sent or is sending it)."""
    try:
        with store.writing() as conn:
            if conn.execute(select(t.reminders.c.key).where(t.reminders.c.key == key)).first():
                return False
            conn.execute(insert(t.reminders).values(key=key, sent_at=now))
    except IntegrityError:
        return False
    return True
