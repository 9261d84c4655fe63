"""E-mail reminders (scoring.reminders) against a real SMTP server the test starts on 127.0.0.1 (aiosmtpd): a unit's
accounts before its self-assessment deadline and when asked to explain, an officer's daily digest of what waits;
each sent once, a refused one tried again, nothing sent where nothing is configured."""

import email
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from scoring import reminders
from scoring.access import Actor, Role
from scoring.accounts import Accounts
from scoring.committees import Committees
from scoring.formats import deadline
from scoring.rounds import Rounds
from scoring.store import Store
from tests.builders import START
from tests.servers import free_port
from tests.test_rounds import FW, ROSTER, submitted

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Actor("quantri", Role.ADMIN)
PASSWORD = "Mat-khau-du-dai-2026"


class Inbox:
    """What the SMTP server received."""

    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, reminders.Mailer("127.0.0.1", controller.port, "none", sender="nhacviec@danvan.vn")
    finally:
        controller.stop()


def _commune(tmp_path, clock):
    """A commune with a round of two units (deadline in ten days), their accounts with e-mail, an officer with
    e-mail, an officer without, and the other commune's officer."""
    store = Store(f"sqlite:///{tmp_path / 'r.sqlite'}")
    xa = Committees(store).add(ADMIN, "XA01", "Đảng ủy xã An Phú")
    other = Committees(store).add(ADMIN, "XA02", "Đảng ủy xã Bình Minh")
    officer = Actor("canbo-xa01", Role.OFFICER, committee_id=xa.id)
    rounds = Rounds(store.within(xa.id), clock)
    rounds.open(officer, 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    accounts = Accounts(store)
    for login, role, unit, mail, committee in (
        ("dv-a", Role.UNIT, "DVA", "dva@xa.vn", xa.id),
        ("dv-b", Role.UNIT, "DVB", "dvb@xa.vn", xa.id),
        ("canbo-xa01", Role.OFFICER, None, "canbo@xa.vn", xa.id),
        ("canbo-khong-thu", Role.OFFICER, None, None, xa.id),
        ("canbo-xa02", Role.OFFICER, None, "canbo@xa02.vn", other.id),
    ):
        accounts.create(ADMIN, login, role, PASSWORD, unit=unit, email=mail, committee_id=committee)
    return store, rounds, officer, xa.id


def _sent(store, mailer, clock):
    return reminders.send_due(store, mailer, clock(), rounds_of=lambda c: Rounds(store.within(c), clock))


def test_units_and_officers_are_reminded_once_each(tmp_path, clock, smtp):
    inbox, mailer = smtp
    store, rounds, officer, xa = _commune(tmp_path, clock)
    assert _sent(store, mailer, clock) == 0  # ten days before the deadline: nothing yet
    clock.advance(days=8)
    submitted(rounds, Actor("dv-a", Role.UNIT, "DVA", committee_id=xa), "DVA")
    assert _sent(store, mailer, clock) == 2
    by_address = {m["To"]: m for m in inbox.messages}
    assert set(by_address) == {"dvb@xa.vn", "canbo@xa.vn"}  # DVA submitted; the other commune has nothing waiting
    reminder = by_address["dvb@xa.vn"]
    assert reminder["Subject"] == f"[Đánh giá dân vận] Hạn tự chấm năm 2026: {deadline(START + timedelta(days=10))}"
    assert "Chi bộ B (DVB) chưa nộp bản tự chấm năm 2026" in reminder.get_content()
    assert reminder["From"] == "nhacviec@danvan.vn"
    assert "1 đơn vị chờ thẩm định" in by_address["canbo@xa.vn"].get_content()

    assert _sent(store, mailer, clock) == 0  # once each
    rounds.ask(officer, 2026, "DVA", ["1.1"], "Đề nghị gửi biên bản hội nghị")
    assert _sent(store, mailer, clock) == 1
    assert inbox.messages[-1]["To"] == "dva@xa.vn"
    assert "Đề nghị gửi biên bản hội nghị" in inbox.messages[-1].get_content()
    clock.advance(days=1)  # a new day: the digest again if anything still waits (the question: nothing waits)
    assert _sent(store, mailer, clock) == 0


def test_a_refused_reminder_is_tried_again_and_nothing_goes_unconfigured(tmp_path, clock, smtp, monkeypatch):
    inbox, mailer = smtp
    store, rounds, _, _ = _commune(tmp_path, clock)
    clock.advance(days=8)
    closed = reminders.Mailer("127.0.0.1", 9, "none")  # nothing listens on the discard port
    assert _sent(store, closed, clock) == 0
    assert len(reminders.pending(store, clock(), rounds_of=lambda c: Rounds(store.within(c), clock))) == 2
    assert _sent(store, mailer, clock) == 2 and len(inbox.messages) == 2

    monkeypatch.delenv("DANVAN_SMTP_HOST", raising=False)
    assert reminders.Mailer.from_env() is None
    secret = tmp_path / "smtp_password"
    secret.write_text("bi-mat\n", "utf-8")
    monkeypatch.setenv("DANVAN_SMTP_HOST", "mail.tinh.vn")
    monkeypatch.setenv("DANVAN_SMTP_PASSWORD_FILE", str(secret))
    assert reminders.Mailer.from_env().password == "bi-mat"

    run = subprocess.run(
        [sys.executable, "-m", "scoring", "remind", "--database", store.url, "--dry-run", "--days", "30"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""  # what is due was sent already
