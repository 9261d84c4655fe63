"""Accounts, sign-in, lockout, sessions and rights, on SQLite and PostgreSQL; the `users` command line; the
single sign-on mapping. Times are driven by an injected clock, minute by minute."""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import service
from scoring.access import PAGE_RIGHTS, RIGHTS, Actor, Forbidden, Right, Role, operator
from scoring.accounts import CLIENT_LIMIT, LOCK_AFTER, AccountError, Accounts, TooManyFailures, idle_timeout
from scoring.framework import load_preset
from scoring.rounds import Rounds
from scoring.store import Store, StoreError

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
ADMIN = operator("kiểm thử")
PASSWORD = "mat-khau-dung-123"


@pytest.fixture
def accounts(database_url, clock):
    accounts = Accounts(Store(database_url), clock)
    accounts.create(ADMIN, "canbo", "can_bo", PASSWORD, "Nguyễn Văn An")
    return accounts


def session_of(accounts: Accounts, login: str, password: str = PASSWORD) -> str:
    return accounts.redeem_code(accounts.issue_code(accounts.sign_in(login, password)))


def test_password_is_kept_only_as_an_argon2id_hash(accounts):
    backup = accounts.store.engine.connect()
    try:
        stored = backup.exec_driver_sql("SELECT password_hash FROM accounts WHERE login = 'canbo'").scalar()
    finally:
        backup.close()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.sign_in("canbo", PASSWORD).role is Role.OFFICER
    assert accounts.sign_in(" CanBo ", PASSWORD) is not None  # the login is not case-sensitive
    assert accounts.sign_in("canbo", PASSWORD.upper()) is None


def test_short_passwords_and_bad_logins_are_refused(accounts):
    with pytest.raises(AccountError, match="ít nhất 10 ký tự"):
        accounts.create(ADMIN, "ngan", "can_bo", "123456789")
    with pytest.raises(AccountError, match="trùng tên đăng nhập"):
        accounts.create(ADMIN, "trung-ten-dn", "can_bo", "trung-ten-dn")
    with pytest.raises(AccountError, match="không hợp lệ"):
        accounts.create(ADMIN, "Nguyễn", "can_bo", PASSWORD)
    with pytest.raises(AccountError, match="Đã có"):
        accounts.create(ADMIN, "CANBO", "can_bo", PASSWORD)
    with pytest.raises(AccountError, match="cần mã đơn vị"):
        accounts.create(ADMIN, "dv1", "don_vi", PASSWORD)
    with pytest.raises(AccountError, match="Chỉ tài khoản Đơn vị"):
        accounts.create(ADMIN, "ld", "lanh_dao", PASSWORD, unit="DV01")


def test_a_unit_account_needs_a_unit_known_to_a_round_or_a_stored_year(accounts):
    store = accounts.store
    with pytest.raises(AccountError, match="“DV 99” không có trong đợt đánh giá hay năm dữ liệu nào"):
        accounts.create(ADMIN, "dv99", "don_vi", PASSWORD, unit="dv 99")
    roster = pd.DataFrame({"code": ["DV 99"], "name": ["Chi bộ Thôn Mới"], "cluster": ["Khối Dân cư"]})
    soon = datetime.now(UTC) + timedelta(days=10)
    Rounds(store).open(operator("kiểm thử"), 2026, load_preset(), roster, soon, soon)
    assert store.unit_name("DV 99") == "Chi bộ Thôn Mới"
    accounts.create(ADMIN, "dv99", "don_vi", PASSWORD, unit=" dv  99 ")  # the same code in its normal form
    assert [a.unit_code for a in accounts.list(ADMIN) if a.login == "dv99"] == ["DV 99"]
    with pytest.raises(AccountError, match="“DV07” không có"):
        accounts.set_role(ADMIN, "dv99", "don_vi", "DV07")
    service.seed(store, SAMPLE)  # a stored year knows DV07
    accounts.set_role(ADMIN, "dv99", "don_vi", "dv07")
    assert store.unit_name("DV07") == "Chi bộ Tổ dân phố Số 2"


def test_common_repeated_and_login_passwords_are_refused_saying_why(accounts):
    for password, why in (
        ("aaaaaaaaaa", "chỉ lặp lại một ký tự"),
        ("1234567890", "mật khẩu phổ biến"),
        ("QwertyUIOP", "mật khẩu phổ biến"),
        ("Matkhau@123", "mật khẩu phổ biến"),
        ("canbo-2026-moi", "chứa tên đăng nhập"),
    ):
        with pytest.raises(AccountError, match=why):
            accounts.set_password(ADMIN, "canbo", password)
    accounts.set_password(ADMIN, "canbo", "bốn mùa 2026 xanh")  # a phrase is fine


def test_failures_from_one_address_make_that_address_wait_not_everyone(accounts, clock):
    for _ in range(CLIENT_LIMIT):
        assert accounts.sign_in("canbo", "sai-mat-khau-1", "203.0.113.7") is None
        clock.advance(minutes=1)
    with pytest.raises(TooManyFailures, match=r"thử lại sau 10 phút"):  # 15 minutes after its first failure
        accounts.sign_in("canbo", PASSWORD, "203.0.113.7")
    assert accounts.sign_in("canbo", PASSWORD, "198.51.100.2") is not None  # the account is not locked for others
    clock.advance(minutes=11)
    assert accounts.sign_in("canbo", PASSWORD, "203.0.113.7") is not None  # the address may try again
    log = accounts.store.audit(20)
    failed = log[log["action"] == "sign_in_failed"]
    assert len(failed) == CLIENT_LIMIT and set(failed["who"]) == {"canbo"}
    assert all("từ 203.0.113.7" in d for d in failed["detail"])
    assert "Đăng nhập từ 198.51.100.2" in set(log[log["action"] == "sign_in"]["detail"])
    with pytest.raises(TooManyFailures):  # unknown logins count for the address too
        for _ in range(CLIENT_LIMIT + 1):
            accounts.sign_in("khong-co-ai", "sai-mat-khau-1", "192.0.2.9")
    assert "(không rõ)" in set(accounts.store.audit(5)["who"])


def test_failures_from_many_addresses_lock_the_account_until_an_admin_unlocks_it(accounts, clock):
    for i in range(LOCK_AFTER):
        assert accounts.sign_in("canbo", "sai-mat-khau-1", f"10.0.{i}.1") is None
    assert accounts.sign_in("canbo", PASSWORD, "10.9.9.9") is None  # locked: even the right password
    log = accounts.store.audit(5)
    assert "sign_in_lock" in set(log["action"]) and "20 lần" in " ".join(log["detail"])
    assert [a.locked for a in accounts.list(ADMIN) if a.login == "canbo"] == [True]
    accounts.unlock(ADMIN, "canbo")
    assert accounts.sign_in("canbo", PASSWORD, "10.9.9.9") is not None
    assert accounts.store.audit(3)["action"].tolist()[1] == "account_unlock"
    for i in range(LOCK_AFTER):
        accounts.sign_in("canbo", "sai-mat-khau-1", f"10.1.{i}.1")
    clock.advance(minutes=16)  # or the lock ends by itself
    assert accounts.sign_in("canbo", PASSWORD, "10.9.9.9") is not None


def test_a_temporary_password_opens_one_session_within_a_day(accounts, clock):
    accounts.set_password(ADMIN, "canbo", "tam-thoi-2026-xyz")  # set by an administrator: to be changed
    clock.advance(hours=25)
    assert accounts.sign_in("canbo", "tam-thoi-2026-xyz") is None  # a day later: expired, unused
    assert "mật khẩu tạm đã hết hạn" in accounts.store.audit(1)["detail"].iloc[0]
    accounts.set_password(ADMIN, "canbo", "tam-thoi-2026-xyz")
    first = accounts.sign_in("canbo", "tam-thoi-2026-xyz")
    assert first is not None and first.must_change_password
    clock.advance(minutes=1)
    assert accounts.sign_in("canbo", "tam-thoi-2026-xyz") is None  # used once: that session changes it
    accounts.change_own_password(first, None, "mat-khau-rieng-cua-toi")
    clock.advance(days=30)
    assert accounts.sign_in("canbo", "mat-khau-rieng-cua-toi") is not None  # one's own password does not expire


def test_failures_older_than_the_window_do_not_count(accounts, clock):
    for _ in range(CLIENT_LIMIT - 1):
        accounts.sign_in("canbo", "sai-mat-khau-1", "203.0.113.7")
    clock.advance(minutes=16)
    for _ in range(CLIENT_LIMIT - 1):
        assert accounts.sign_in("canbo", "sai-mat-khau-1", "203.0.113.7") is None  # 4 in the window, not 8
    assert accounts.sign_in("canbo", PASSWORD, "203.0.113.7") is not None


def test_sessions_expire_when_idle_and_end_on_sign_out(accounts, clock, monkeypatch):
    monkeypatch.setenv("DANVAN_SESSION_IDLE_MINUTES", "30")
    token = session_of(accounts, "canbo")
    assert accounts.session(token).login == "canbo"
    clock.advance(minutes=29)
    assert accounts.session(token) is not None  # used: the idle time starts again
    clock.advance(minutes=29)
    assert accounts.session(token) is not None
    clock.advance(minutes=31)
    assert accounts.session(token) is None
    other = session_of(accounts, "canbo")
    accounts.sign_out(other)
    assert accounts.session(other) is None
    assert accounts.session("khong-co-phien-nay") is None and accounts.session(None) is None


def test_a_code_opens_one_session_once_within_a_minute(accounts, clock):
    actor = accounts.sign_in("canbo", PASSWORD)
    code = accounts.issue_code(actor)
    assert accounts.redeem_code(code) is not None
    assert accounts.redeem_code(code) is None  # used up
    late = accounts.issue_code(actor)
    clock.advance(seconds=61)
    assert accounts.redeem_code(late) is None
    assert accounts.redeem_code("") is None


def test_disabling_or_a_new_role_ends_sessions_and_takes_effect_at_once(accounts):
    token = session_of(accounts, "canbo")
    accounts.set_role(ADMIN, "canbo", "lanh_dao")
    assert accounts.session(token) is None  # ended with the change: sign in again
    token = session_of(accounts, "canbo")
    assert accounts.session(token).role is Role.LEADERSHIP
    accounts.set_active(ADMIN, "canbo", False)
    assert accounts.session(token) is None and accounts.sign_in("canbo", PASSWORD) is None
    accounts.set_active(ADMIN, "canbo", True)
    assert accounts.sign_in("canbo", PASSWORD) is not None
    log = accounts.store.audit(20, actions=["account_enable", "account_disable", "account_role"])
    assert log["action"].tolist() == ["account_enable", "account_disable", "account_role"]
    assert set(log["who"]) == {"kiểm thử"}


def test_own_password_change_keeps_this_session_and_ends_the_others(accounts):
    mine, other = session_of(accounts, "canbo"), session_of(accounts, "canbo")
    me = accounts.session(mine)
    with pytest.raises(AccountError, match="hiện tại không đúng"):
        accounts.change_own_password(me, "sai-mat-khau-1", "mat-khau-moi-456")
    accounts.change_own_password(me, PASSWORD, "mat-khau-moi-456")
    assert accounts.session(mine) is not None and accounts.session(other) is None
    assert accounts.sign_in("canbo", "mat-khau-moi-456") is not None


def test_first_start_creates_one_admin_who_must_change_the_password(database_url, clock):
    accounts = Accounts(Store(database_url), clock)
    password = accounts.ensure_admin()
    assert password and len(password) >= 16
    assert accounts.ensure_admin() is None  # a second replica, or a restart: nothing more
    admin = accounts.sign_in("quantri", password)
    assert admin.role is Role.ADMIN and admin.must_change_password
    accounts.change_own_password(
        accounts.session(session_of(accounts, "quantri", password)), None, "mat-khau-quan-tri-1"
    )
    assert not accounts.sign_in("quantri", "mat-khau-quan-tri-1").must_change_password


def test_the_last_admin_cannot_be_disabled_or_demoted(database_url, clock):
    accounts = Accounts(Store(database_url), clock)
    accounts.ensure_admin()
    with pytest.raises(AccountError, match="cuối cùng"):
        accounts.set_active(ADMIN, "quantri", False)
    with pytest.raises(AccountError, match="cuối cùng"):
        accounts.set_role(ADMIN, "quantri", "can_bo")


def test_only_an_admin_manages_accounts(accounts):
    officer = accounts.sign_in("canbo", PASSWORD)
    with pytest.raises(Forbidden):
        accounts.create(officer, "khac", "can_bo", PASSWORD)
    with pytest.raises(Forbidden):
        accounts.list(officer)
    with pytest.raises(Forbidden):
        accounts.set_role(officer, "canbo", "quan_tri")


def test_every_write_of_the_service_checks_the_role_and_records_the_account(database_url):
    store = Store(database_url)
    files = [(p.name, p.read_bytes()) for p in [SAMPLE / "tong_hop_2025.xlsx"]]
    plan = service.plan_import(store, service.read_upload(store, files))
    for role in (Role.LEADERSHIP, Role.UNIT):
        viewer = Actor("nguoi-xem", role, "DV01" if role is Role.UNIT else None)
        with pytest.raises(Forbidden):
            service.save(store, plan, viewer)
        with pytest.raises(Forbidden):
            service.save_framework(store, plan.read.framework, viewer)
    assert store.is_empty()
    officer = Actor("canbo", Role.OFFICER)
    service.save(store, plan, officer)
    assert store.history(2025)[0].imported_by == "canbo" and store.audit(1)["who"].tolist() == ["canbo"]
    with pytest.raises(Forbidden):
        service.backup(store, Path("/tmp/khong-duoc.json"), officer)


def test_rights_of_each_role():
    assert RIGHTS[Role.ADMIN] == frozenset(Right) - {Right.SELF_ASSESS}
    assert Right.IMPORT in RIGHTS[Role.OFFICER] and Right.ACCOUNTS not in RIGHTS[Role.OFFICER]
    assert RIGHTS[Role.LEADERSHIP] == {Right.VIEW_ALL, Right.VIEW_OWN_UNIT, Right.REPORT, Right.PUBLISH}
    unit = Actor("dv", Role.UNIT, "DV07")
    assert [p for p in PAGE_RIGHTS if unit.may_open(p)] == ["xep-hang", "don-vi", "tu-cham"]
    assert unit.sees_unit("DV07") and not unit.sees_unit("DV08")
    leader = Actor("ld", Role.LEADERSHIP)
    assert {p for p in PAGE_RIGHTS if not leader.may_open(p)} == {"tai-len", "tai-khoan", "tu-cham", "tham-dinh"}
    assert [p for p in PAGE_RIGHTS if not Actor("qt", Role.ADMIN).may_open(p)] == ["tu-cham"]


@settings(max_examples=60, deadline=None)
@given(role=st.sampled_from(list(Role)), path=st.sampled_from(list(PAGE_RIGHTS)))
def test_a_page_opens_only_with_one_of_its_rights(role, path):
    actor = Actor("x", role, "DV01" if role is Role.UNIT else None)
    assert actor.may_open(path) == any(actor.may(r) for r in PAGE_RIGHTS[path])


def test_single_sign_on_matches_a_verified_email_of_an_active_account(accounts):
    accounts.create(ADMIN, "ld", "lanh_dao", None, "Lê Thị Lan", email="Lan.Le@TinhUy.vn")
    assert accounts.by_email("lan.le@tinhuy.vn").login == "ld"
    assert accounts.by_email(" LAN.LE@tinhuy.vn ", verified=None).role is Role.LEADERSHIP
    assert accounts.by_email("lan.le@tinhuy.vn", verified=False) is None  # the provider has not verified it
    assert accounts.by_email("khac@tinhuy.vn") is None and accounts.by_email(None) is None
    assert accounts.sign_in("ld", "") is None  # a single sign-on account has no password
    accounts.set_active(ADMIN, "ld", False)
    assert accounts.by_email("lan.le@tinhuy.vn") is None


def test_idle_timeout_setting(monkeypatch):
    monkeypatch.setenv("DANVAN_SESSION_IDLE_MINUTES", "5")
    assert idle_timeout() == timedelta(minutes=5)
    for bad in ("abc", "-1", "0"):
        monkeypatch.setenv("DANVAN_SESSION_IDLE_MINUTES", bad)
        assert idle_timeout() == timedelta(minutes=30)


def test_backup_keeps_accounts_and_restore_adds_only_new_ones(database_url, tmp_path, clock):
    source = Accounts(Store(f"sqlite:///{tmp_path / 'nguon.sqlite'}"), clock)
    source.create(ADMIN, "canbo", "can_bo", PASSWORD)
    source.create(ADMIN, "quantri", "quan_tri", "mat-khau-cu-quan-tri")
    service.backup(source.store, tmp_path / "sao_luu.json", ADMIN)
    saved = json.loads((tmp_path / "sao_luu.json").read_text("utf-8"))
    assert {a["login"] for a in saved["tables"]["accounts"]} == {"canbo", "quantri"}
    assert "sessions" not in saved["tables"]
    target = Accounts(Store(database_url), clock)
    target.create(ADMIN, "quantri", "quan_tri", "mat-khau-moi-quan-tri")
    assert [a["login"] for a in service.backup_accounts(target.store, tmp_path / "sao_luu.json", ADMIN)] == ["canbo"]
    service.restore(target.store, tmp_path / "sao_luu.json", ADMIN, accounts=True)  # asked for: listed, then added
    assert target.sign_in("canbo", PASSWORD) is not None
    assert target.sign_in("quantri", "mat-khau-moi-quan-tri") is not None  # the restoring admin keeps theirs
    assert "thêm 1 tài khoản: canbo" in target.store.audit(20, actions=["restore"])["detail"].iloc[0]


def test_a_backup_edited_by_hand_is_refused_and_accounts_come_back_only_when_asked(tmp_path, clock):
    source = Accounts(Store(f"sqlite:///{tmp_path / 'nguon.sqlite'}"), clock)
    source.create(ADMIN, "canbo", "can_bo", PASSWORD)
    service.import_files(source.store, [(p.name, p.read_bytes()) for p in [SAMPLE / "tong_hop_2025.xlsx"]])
    service.backup(source.store, tmp_path / "sao_luu.json", ADMIN)
    saved = json.loads((tmp_path / "sao_luu.json").read_text("utf-8"))
    smuggled = json.loads(json.dumps(saved))
    admin = dict(smuggled["tables"]["accounts"][0], id=99, login="ke-gian", role="quan_tri")
    smuggled["tables"]["accounts"].append(admin)
    smuggled["tables"]["audit_log"].append(
        dict(smuggled["tables"]["audit_log"][0], id=9999, who="quantri", detail="Tạo tài khoản ke-gian")
    )
    (tmp_path / "sua_tay.json").write_text(json.dumps(smuggled, ensure_ascii=False), "utf-8")
    unsigned = {k: v for k, v in saved.items() if k != "signature"}
    (tmp_path / "khong_ky.json").write_text(json.dumps(unsigned, ensure_ascii=False), "utf-8")
    for name in ("sua_tay.json", "khong_ky.json"):
        target = Store(f"sqlite:///{tmp_path / name}.sqlite")
        with pytest.raises(StoreError, match="Chữ ký của bản sao lưu không đúng"):
            service.restore(target, tmp_path / name, ADMIN, accounts=True)
        assert target.is_empty() and target.audit().empty
    url = f"sqlite:///{tmp_path / 'dich.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-m", "scoring", "db", "--database", url, "restore", str(tmp_path / "sao_luu.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "canbo (Cán bộ)" in done.stdout and "Không phục hồi các tài khoản này" in done.stdout
    assert [a.login for a in Accounts(Store(url)).list(ADMIN)] == []  # data back, accounts not
    assert not Store(url).is_empty()


def run_users(url: str, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scoring", "users", "--database", url, *args],
        cwd=ROOT,
        input=password,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_users_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    refused = run_users(url, "add", "dv07", "--role", "don_vi", "--unit", "dv07", password=PASSWORD + "\n")
    assert refused.returncode == 2 and "Mã đơn vị “DV07” không có" in refused.stderr  # no year or round has it
    service.seed(Store(url), SAMPLE)
    done = run_users(
        url, "add", "dv07", "--role", "don_vi", "--unit", "dv07", "--name", "Đơn vị 7", password=PASSWORD + "\n"
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    listed = run_users(url, "list")
    assert "dv07" in listed.stdout and "Đơn vị (don_vi, đơn vị DV07)" in listed.stdout
    assert run_users(url, "add", "x1", "--role", "can_bo", password="ngan\n").returncode == 2
    assert run_users(url, "add", "x1", "--role", "vua", password=PASSWORD + "\n").returncode == 2
    assert run_users(url, "add", "x1", "--role", "can_bo", password="").returncode == 2  # nothing on stdin
    assert run_users(url, "role", "dv07", "can_bo").returncode == 0
    assert run_users(url, "passwd", "dv07", password="mat-khau-tam-thoi\n").returncode == 0
    assert run_users(url, "disable", "dv07").returncode == 0
    assert run_users(url, "disable", "khong-co").returncode == 2
    accounts = Accounts(Store(url))
    assert accounts.sign_in("dv07", "mat-khau-tam-thoi") is None  # disabled
    assert run_users(url, "enable", "dv07").returncode == 0
    assert run_users(url, "unlock", "dv07").returncode == 0
    actor = accounts.sign_in("dv07", "mat-khau-tam-thoi")
    assert actor.role is Role.OFFICER and actor.must_change_password
    usage = subprocess.run(
        [sys.executable, "-m", "scoring", "users", "add", "x", "--role", "can_bo", "--password", "lo-mat-khau"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2 and "không hiểu các tham số" in usage.stderr  # no password argument exists
