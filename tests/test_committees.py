"""A province's tree of committees (scoring.committees), on SQLite and PostgreSQL: the migration that makes an
existing store one root committee with everything in it, the tree's rules, accounts bound to a committee and acting
in its subtree only, and the command line."""

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from scoring import service
from scoring.access import Actor, Forbidden, Role
from scoring.accounts import Accounts
from scoring.committees import ROOT_ID, Committees
from scoring.rounds import Rounds
from scoring.signing import signing_key
from scoring.store import MIGRATIONS, Store, StoreError
from tests.builders import START
from tests.test_rounds import FW, OFFICER, ROSTER, submitted
from tests.test_rounds import UNIT_A as UNIT_ACCOUNT

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sorted((ROOT / "sample_data").glob("tong_hop_*.xlsx"))
ADMIN = Actor("quantri", Role.ADMIN)
PASSWORD = "Mat-khau-du-dai-2026"


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("datasets", "unit_rows", "leader_rows", "rounds", "round_entries", "accounts")
        }


def test_an_existing_store_becomes_the_root_committee_with_everything_in_it(database_url, clock, tmp_path):
    store = Store(database_url)
    service.import_files(store, [(p.name, p.read_bytes()) for p in SAMPLE])
    Accounts(store).create(ADMIN, "canbo", Role.OFFICER, PASSWORD)
    rounds = Rounds(store, clock)
    rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    submitted(rounds, UNIT_ACCOUNT, "DVA")
    service.set_disclosure(store, ADMIN, "tiers")
    store.save_framework(FW)
    framework = store.framework()
    assert framework == FW
    before = _counts(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with store.engine.connect() as conn:  # back to the store as it was before committees …
        if store.sqlite:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            config.attributes["connection"] = conn
            command.downgrade(config, "0007")
    store.engine.dispose()
    with store.engine.connect() as conn:
        assert "committees" not in {r[0] for r in conn.execute(text(_TABLES[store.engine.dialect.name]))}
    upgraded = Store(database_url)  # … and forward again, as a deployment that updates
    assert _counts(database_url) == before
    assert [(c.id, c.code, c.parent_id) for c in Committees(upgraded).all()] == [(ROOT_ID, "GOC", None)]
    with upgraded.engine.connect() as conn:
        for table in ("datasets", "rounds", "accounts"):
            assert conn.execute(text(f"SELECT DISTINCT committee_id FROM {table}")).scalars().all() == [ROOT_ID]
    assert sorted(upgraded.active_versions()) == [2023, 2024, 2025]
    assert upgraded.framework() == framework and service.committee_disclosure(upgraded) == "tiers"
    assert Rounds(upgraded, clock).years() == {2026: "open"}


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
}


def test_a_backup_keeps_the_tree_and_restores_it(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    tree = Committees(store)
    tree.add(ADMIN, "xa-an-phu", "Đảng ủy xã  An Phú")
    tree.add(ADMIN, "CHI-BO", "Chi bộ thôn 1", parent="XA-AN-PHU")
    key = signing_key(store.url)
    store.backup(tmp_path / "b.json", key)
    fresh = Store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    fresh.restore(tmp_path / "b.json", key, "quantri")
    assert [(c.code, c.name) for c in Committees(fresh).all()] == [
        ("GOC", "Cấp ủy"),
        ("XA-AN-PHU", "Đảng ủy xã An Phú"),
        ("CHI-BO", "Chi bộ thôn 1"),
    ]


def test_the_tree_refuses_cycles_duplicates_and_bad_codes(tmp_path):
    tree = Committees(Store(f"sqlite:///{tmp_path / 't.sqlite'}"))
    tree.add(ADMIN, "A", "Đảng ủy A")
    tree.add(ADMIN, "B", "Đảng ủy B", parent="A")
    with pytest.raises(StoreError, match="chính nó hoặc cấp ủy cấp dưới"):
        tree.move(ADMIN, "A", "B")
    with pytest.raises(StoreError, match="Đã có"):
        tree.add(ADMIN, "a", "Trùng mã")
    with pytest.raises(StoreError, match="không hợp lệ"):
        tree.add(ADMIN, "xã An Phú", "Dấu cách và dấu")
    with pytest.raises(StoreError, match="gốc"):
        tree.move(ADMIN, "GOC", "A")
    with pytest.raises(Forbidden):
        tree.add(Actor("canbo", Role.OFFICER), "C", "Cán bộ không thêm cấp ủy")
    tree.move(ADMIN, "B", "GOC")
    assert {c.code: c.parent_id for c in tree.all()}["B"] == ROOT_ID


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parents=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=8), data=st.data())
def test_an_account_adds_only_within_its_own_subtree(tmp_path_factory, parents, data):
    """Over random trees: an administrator of committee X adds committees and accounts under X's subtree and
    nowhere else."""
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('tree') / 't.sqlite'}")
    tree = Committees(store)
    codes = ["GOC"]
    for k, p in enumerate(parents):
        codes.append(tree.add(ADMIN, f"C{k}", f"Cấp ủy {k}", parent=codes[p % len(codes)]).code)
    ids = {c.code: c.id for c in tree.all()}
    home = data.draw(st.sampled_from(codes))
    target = data.draw(st.sampled_from(codes))
    admin = Actor("qt-" + home.lower(), Role.ADMIN, committee_id=ids[home])
    inside = ids[target] in tree.subtree(ids[home])
    if inside:
        tree.add(admin, "MOI", "Cấp ủy mới", parent=target)
        Accounts(store).create(admin, "cb-moi", Role.OFFICER, PASSWORD, committee_id=ids[target])
    else:
        with pytest.raises(Forbidden):
            tree.add(admin, "MOI", "Cấp ủy mới", parent=target)
        with pytest.raises(Forbidden):
            Accounts(store).create(admin, "cb-moi", Role.OFFICER, PASSWORD, committee_id=ids[target])


def test_an_account_knows_its_committee_when_it_signs_in(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    xa = Committees(store).add(ADMIN, "XA", "Đảng ủy xã")
    accounts = Accounts(store)
    accounts.create(ADMIN, "canbo-xa", Role.OFFICER, PASSWORD, committee_id=xa.id)
    signed = accounts.sign_in("canbo-xa", PASSWORD)
    assert signed.committee_id == xa.id
    assert accounts.session(accounts.redeem_code(accounts.issue_code(signed))).committee_id == xa.id


def test_an_administrator_of_a_commune_sees_and_changes_only_its_own_accounts(tmp_path):
    from scoring.accounts import AccountError

    store = Store(f"sqlite:///{tmp_path / 'x.sqlite'}")
    tree = Committees(store)
    xa, other = tree.add(ADMIN, "XA-A", "Đảng ủy xã A"), tree.add(ADMIN, "XA-B", "Đảng ủy xã B")
    chi_bo = tree.add(ADMIN, "CB-A1", "Chi bộ A1", parent="XA-A")
    accounts = Accounts(store)
    for login, committee in (("qt-tinh", ROOT_ID), ("cb-a", xa.id), ("cb-a1", chi_bo.id), ("cb-b", other.id)):
        accounts.create(ADMIN, login, Role.OFFICER, PASSWORD, committee_id=committee)
    accounts.create(ADMIN, "qt-goc", Role.ADMIN, PASSWORD)  # not the last administrator whatever happens below
    commune_admin = Actor("qt-a", Role.ADMIN, committee_id=xa.id)
    assert [(a.login, a.committee) for a in accounts.list(commune_admin)] == [("cb-a", "XA-A"), ("cb-a1", "CB-A1")]
    from scoring.views import accounts_table

    assert accounts_table(accounts.list(commune_admin))["Cấp ủy"].tolist() == ["XA-A", "CB-A1"]
    assert {"qt-tinh", "cb-b"} <= {a.login for a in accounts.list(ADMIN)}  # the province sees every committee
    for change in (
        lambda login: accounts.set_password(commune_admin, login, "Mat-khau-moi-2026-dai"),
        lambda login: accounts.set_role(commune_admin, login, Role.ADMIN),
        lambda login: accounts.set_active(commune_admin, login, False),
        lambda login: accounts.unlock(commune_admin, login),
    ):
        for outside in ("qt-tinh", "cb-b"):
            with pytest.raises(AccountError, match="trong cấp ủy của bạn"):
                change(outside)
        change("cb-a1")  # below its own committee: allowed
    assert accounts.sign_in("cb-b", PASSWORD) is not None  # untouched


def test_the_command_line_manages_the_tree(tmp_path):
    url = f"sqlite:///{tmp_path / 'c.sqlite'}"

    def run(*args, stdin=None):
        return subprocess.run(
            [sys.executable, "-m", "scoring", *args],
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "DANVAN_DATABASE_URL": url, "HOME": str(tmp_path)},
        )

    assert run("committee", "add", "XA-AN-PHU", "--name", "Đảng ủy xã An Phú").returncode == 0
    assert run("committee", "add", "CQ", "--name", "Đảng ủy cơ quan").returncode == 0
    assert run("committee", "move", "CQ", "--parent", "XA-AN-PHU").returncode == 0
    listed = json.loads(run("committee", "list", "--json").stdout)
    assert listed == [
        {"code": "GOC", "name": "Cấp ủy", "parent": None},
        {"code": "XA-AN-PHU", "name": "Đảng ủy xã An Phú", "parent": "GOC"},
        {"code": "CQ", "name": "Đảng ủy cơ quan", "parent": "XA-AN-PHU"},
    ]
    cycle = run("committee", "move", "XA-AN-PHU", "--parent", "CQ")
    assert cycle.returncode == 2 and "cấp dưới" in cycle.stderr
    added = run("users", "add", "canbo-xa", "--role", "can_bo", "--committee", "xa-an-phu", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    store = Store(url)
    assert (
        store.engine.connect()
        .execute(
            text("SELECT c.code FROM accounts a JOIN committees c ON c.id = a.committee_id WHERE a.login = 'canbo-xa'")
        )
        .scalar()
        == "XA-AN-PHU"
    )
    missing = run("users", "add", "x", "--role", "can_bo", "--committee", "KHONG", stdin=PASSWORD + "\n")
    assert missing.returncode == 2 and "Không có cấp ủy mã “KHONG”" in missing.stderr


def test_a_backup_made_before_committees_restores_into_the_root(tmp_path, clock):
    """A backup written before committees (no committees table, no committee in any row, the one active framework
    as row 1) comes back as the root committee's: its years, framework, settings and round."""
    from scoring.signing import sign

    store = Store(f"sqlite:///{tmp_path / 'old.sqlite'}")
    service.import_files(store, [(p.name, p.read_bytes()) for p in SAMPLE])
    store.save_framework(FW)
    service.set_disclosure(store, ADMIN, "tiers")
    Rounds(store, clock).open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    key = signing_key(store.url)
    store.backup(tmp_path / "b.json", key)
    content = json.loads((tmp_path / "b.json").read_text("utf-8"))
    del content["signature"], content["tables"]["committees"], content["tables"]["reminders"]
    for rows in content["tables"].values():
        for row in rows:
            row.pop("committee_id", None)
    for row in content["tables"]["active_framework"]:
        row["id"] = 1
    content["signature"] = sign(content, key)
    (tmp_path / "old.json").write_text(json.dumps(content, ensure_ascii=False), "utf-8")

    fresh = Store(f"sqlite:///{tmp_path / 'new.sqlite'}")
    fresh.restore(tmp_path / "old.json", key, "quantri")
    assert sorted(fresh.active_versions()) == [2023, 2024, 2025]
    assert fresh.framework() == FW and service.committee_disclosure(fresh) == "tiers"
    assert Rounds(fresh, clock).years() == {2026: "open"}
    assert [c.code for c in Committees(fresh).all()] == ["GOC"]
