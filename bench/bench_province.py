"""A province on one deployment: 120 committees × 40 units (4,800 units), 600 accounts, three years.

1. Warm pages (AppTest runs the real scripts in process): every page of a commune's officer, and the province's
   Các cấp ủy and Tổng quan of a commune chosen in the sidebar; each opened once to warm the caches, then timed.
2. What a commune officer's pages read: every statement their page runs sent to the database, explained
   (SQLite's EXPLAIN QUERY PLAN); a statement on a table that grows with the province (datasets, their rows,
   rounds and their entries, the audit log, settings, accounts) must find its rows through an index or a key.
3. Thirty sessions of thirty committees at once against one server started the README's way, over the protocol
   (bench/protocol.py), as bench_load.py does it: opened one by one on Tổng quan, then all at once Xếp hạng, then
   all at once the year before; p50/p95. Twice: the committees' first visits (each page run makes its
   committee's charts and tables), then new sessions once every committee's pages have been seen (bench_load.py's
   premise: "the first visit fills the shared caches").

Usage: python bench/bench_province.py [--committees 120] [--units 40] [--sessions 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_load import p95, start_server  # noqa: E402
from figures import figure  # noqa: E402
from protocol import Session, select, shown_text  # noqa: E402

YEARS = (2023, 2024, 2025)
VARIANTS = 6  # sample rosters of different seeds, dealt round the committees
COMMUNE_PAGES = ["tong_quan", "xep_hang", "don_vi", "nguoi_dung_dau", "xu_huong", "tieu_chi", "bao_cao"]
GROWING = {
    "datasets",
    "unit_rows",
    "leader_rows",
    "active_years",
    "rounds",
    "round_entries",
    "round_units",
    "audit_log",
}
GROWING |= {"settings", "accounts", "active_framework", "dataset_files", "sessions", "committees"}
PASSWORD = "mat-khau-do-tinh-2026"


def make_province(url: str, committees: int, units: int) -> list[int]:
    """The store: committees under the root, each with three years of its own units, five accounts each."""
    from argon2 import PasswordHasher
    from sqlalchemy import insert

    from scoring import schema as t
    from scoring import service
    from scoring.access import operator
    from scoring.committees import Committees
    from scoring.sample import write_sample
    from scoring.store import Store

    store, who = Store(url), operator("đo tỉnh")
    reads = []
    for seed in range(VARIANTS):
        folder = Path(tempfile.mkdtemp())
        write_sample(folder, units=units, years=YEARS, seed=seed)
        files = [(p.name, p.read_bytes()) for p in sorted(folder.glob("tong_hop_*.xlsx"))]
        read = service.read_upload(store, files)
        assert not read.errors, read.errors[:3]
        reads.append(read)
    ids = []
    for k in range(committees):
        committee = Committees(store).add(who, f"XA{k:03d}", f"Đảng ủy xã số {k + 1}")
        read = reads[k % VARIANTS]
        store.within(committee.id).store_years(list(read.years.values()), read.framework, "preset", "đo tỉnh")
        ids.append(committee.id)
    digest, now = PasswordHasher().hash(PASSWORD), datetime.now(UTC)
    rows = []
    for committee in ids:  # five accounts a committee, one password hash (hashing 600 takes a minute)
        for n, role in enumerate(("quan_tri", "can_bo", "can_bo", "lanh_dao", "lanh_dao")):
            rows.append(
                {
                    "login": f"tk-{committee}-{n}",
                    "full_name": f"Người {committee}-{n}",
                    "role": role,
                    "active": True,
                    "password_hash": digest,
                    "must_change_password": False,
                    "created_at": now,
                    "created_by": "đo tỉnh",
                    "changed_at": now,
                    "changed_by": "đo tỉnh",
                    "committee_id": committee,
                }
            )
    with store.writing() as conn:
        conn.execute(insert(t.accounts), rows)
    return ids


def token(url: str, login: str) -> str:
    from scoring.accounts import Accounts
    from scoring.store import Store

    accounts = Accounts(Store(url))
    return accounts.redeem_code(accounts.issue_code(accounts.sign_in(login, PASSWORD)))


def app_as(url: str, login: str):
    """The app run in process (AppTest) for this account: AppTest sends no cookie, so the app's cookie reader
    returns the account's session token, as the tests sign in."""
    from streamlit.testing.v1 import AppTest

    import pages._auth

    session = token(url, login)
    pages._auth._token = lambda: session
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()


def warm_pages(url: str, commune: int) -> dict[str, float]:
    """Each page of the commune's officer, then the province's Các cấp ủy and a commune's Tổng quan, warm."""
    from pages._ui import COMMITTEE_KEY
    from tests.signing import add_account

    found = {}
    at = app_as(url, f"tk-{commune}-1")
    for timed in (False, True):
        for page in COMMUNE_PAGES:
            start = time.perf_counter()
            at.switch_page(f"pages/{page}.py").run()
            assert not at.exception, (page, [e.value for e in at.exception])
            if timed:
                found[f"xã: {page}"] = time.perf_counter() - start
    add_account(url, "can-bo-tinh", "can_bo", password=PASSWORD)
    at = app_as(url, "can-bo-tinh")
    for timed in (False, True):
        start = time.perf_counter()
        at.switch_page("pages/cap_uy.py").run()
        assert not at.exception, [e.value for e in at.exception]
        if timed:
            found["tỉnh: cap_uy"] = time.perf_counter() - start
    at.sidebar.selectbox(key=COMMITTEE_KEY).set_value(commune).run()
    for timed in (False, True):
        start = time.perf_counter()
        at.switch_page("pages/tong_quan.py").run()
        if timed:
            found["tỉnh chọn xã: tong_quan"] = time.perf_counter() - start
    return found


def query_plans(url: str, commune: int) -> list[tuple[str, str]]:
    """(statement, plan) of every statement a commune officer's warm pages send; raises on a scan of a growing
    table (a plan line "SCAN <table>" without an index)."""
    from sqlalchemy import event

    from scoring.store import Store
    from scoring.web import opened

    seen: dict[str, tuple] = {}

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and not executemany:
            seen.setdefault(statement, parameters)

    import streamlit as st

    st.cache_data.clear()  # cold: the years are read from the database, not from the shared caches
    st.cache_resource.clear()
    opened._rounds_of.cache_clear()
    engine = opened.store().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        warm_pages_commune_only(url, commune)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    plans, scans = [], []
    with Store(url).engine.connect() as conn:
        for statement, parameters in seen.items():
            plan = " | ".join(r[-1] for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            plans.append((" ".join(statement.split())[:110], plan))
            for line in plan.split(" | "):
                words = line.split()
                if words[:1] == ["SCAN"] and words[1] in GROWING and "INDEX" not in line:
                    scans.append((statement, line))
    if scans:
        raise AssertionError("full scans: " + "; ".join(f"{line} in {s[:200]}" for s, line in scans))
    return plans


def warm_pages_commune_only(url: str, commune: int) -> None:
    at = app_as(url, f"tk-{commune}-2")
    for page in COMMUNE_PAGES:
        at.switch_page(f"pages/{page}.py").run()


async def sessions_at_once(base: str, url: str, committees: list[int]) -> tuple[list[float], list[float]]:
    """One officer of each committee: sessions opened one by one on Tổng quan (people who have the app open), then
    all at once Xếp hạng, then all at once the year before. Seconds until each run finished."""
    opened = [await Session.open(base, token(url, f"tk-{c}-1")) for c in committees]
    for session in opened:
        await session.run("")
    ranking = await asyncio.gather(*[s.run("xep-hang") for s in opened])
    assert all("40 đơn vị" in shown_text(elements) for _, elements in ranking), "a ranking did not show its units"
    other = [select(elements, "Năm", str(YEARS[-2])) for _, elements in ranking]
    switched = await asyncio.gather(*[s.run("xep-hang", [w]) for s, w in zip(opened, other)])
    for session in opened:
        await session.close()
    return [t for t, _ in ranking], [t for t, _ in switched]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--committees", type=int, default=120)
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--sessions", type=int, default=30)
    args = parser.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/province.sqlite"
    os.environ["DANVAN_DATABASE_URL"], os.environ["DANVAN_SEED_SAMPLE"] = url, "0"
    start = time.perf_counter()
    ids = make_province(url, args.committees, args.units)
    total = args.committees * args.units
    print(f"{args.committees} committees × {args.units} units ({total} units), {len(YEARS)} years, "
          f"{5 * args.committees} accounts: built in {time.perf_counter() - start:.1f} s")  # fmt: skip
    commune = ids[len(ids) // 2]

    times = warm_pages(url, commune)
    for name, seconds in times.items():
        print(f"  warm {name:<28} {seconds:5.2f} s")
    worst = max(times.values())
    figure("province: slowest warm page (commune officer and province)", f"{worst:.2f} s", "≤ 1 s")

    plans = query_plans(url, commune)
    print(f"\nA commune officer's pages: {len(plans)} distinct statements, none scans a growing table:")
    for statement, plan in plans:
        print(f"  {statement}\n      → {plan}")
    figure("province: commune pages' statements scanning a growing table", "0", "0")

    proc, base = start_server(url)
    try:
        count = min(args.sessions, len(ids))
        cold = asyncio.run(sessions_at_once(base, url, ids[:count]))  # each committee's first visit of the day
        warm = asyncio.run(sessions_at_once(base, url, ids[:count]))  # as bench_load.py: its pages seen once
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print(f"\n{count} sessions of {count} committees at once (protocol only):")
    for label, (ranking, switched) in (("first visits", cold), ("pages seen before", warm)):
        print(f"  {label:<18} open Xếp hạng p50 {statistics.median(ranking):.2f} s, p95 {p95(ranking):.2f} s; "
              f"switch the year p50 {statistics.median(switched):.2f} s, p95 {p95(switched):.2f} s")  # fmt: skip
    figure(
        f"province: {count} sessions of {count} committees at once, p95 open Xếp hạng / switch the year",
        f"{p95(warm[0]):.2f} s / {p95(warm[1]):.2f} s",
        "≤ 2 s",
    )
    figure(
        "province: the same, every committee's first visit (its charts and tables made), p95",
        f"{p95(cold[0]):.2f} s / {p95(cold[1]):.2f} s",
        "—",
    )


if __name__ == "__main__":
    main()
