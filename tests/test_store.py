"""The store (scoring/store.py) on SQLite and on PostgreSQL: every test runs on both (fixture `database_url`).

Nothing lost: a bad file, a failure inside the transaction or a kill -9 of the importing process leaves the store
exactly as before; concurrent imports are serialised; a reader never sees half an import; any version can be made
active again; a backup restores into a fresh database of either kind with identical rankings.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scoring import rate_all, read_paths, service
from scoring.access import operator
from scoring.formats import VN_TIME, local_time
from scoring.framework import load_preset, to_toml
from scoring.output import LEADER_FIELDS, UNIT_FIELDS
from scoring.schema import metadata
from scoring.signing import sign, signing_key
from scoring.store import MIGRATIONS, WRITERS_LOCK, Store, StoreError, os_user

KEY = signing_key("sqlite://")  # the tests' one backup key (tests/conftest.py), as the command line reads it

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
Y2023, Y2024, Y2025 = (SAMPLE / f"tong_hop_{y}.xlsx" for y in (2023, 2024, 2025))
FORMS = sorted((SAMPLE / "phieu_2025").glob("*.xlsx"))  # 2025 again, as 8 per-unit forms
BIG_UNITS = 60_000  # the write transaction of this many units lasts over a second (0.7 s for 30,000 on 2026-12-05)
OTHER_PRESET = "dan_van_chinh_quyen"


# ---------------------------------------------------------------- helpers


def as_files(*paths: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in paths]


def imported(store: Store, *paths: Path, **kwargs) -> dict[int, int]:
    outcome = service.import_files(store, as_files(*paths), **kwargs)
    assert outcome.ok, [str(i) for i in outcome.issues]
    return outcome.datasets


def run(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scoring", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_db(url: str, *args, timeout: float = 180) -> subprocess.CompletedProcess:
    out = run("db", "--database", url, *args, timeout=timeout)
    assert "Traceback" not in out.stderr, out.stderr
    return out


def cli(capsys, *args) -> tuple[int, str, str]:
    """`python -m scoring …` in this process (the same code as the child processes, without their start-up
    time); an exception here would be a traceback there."""
    from scoring.cli import main

    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def utc(value) -> str | None:
    """A stored time as UTC text: SQLite gives naive UTC, PostgreSQL aware times in the server's zone."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat()


def records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def rating(result) -> dict:
    """What a rating shows: every unit's and leader's total, tier, ranks, reasons, in rank order."""
    return {
        "year": result.year,
        "units": records(result.units[UNIT_FIELDS].reset_index(drop=True)),
        "leaders": records(result.leaders.reindex(columns=LEADER_FIELDS).reset_index(drop=True)),
    }


def state(store: Store) -> dict:
    """Everything a user can see of the store, with times as UTC text."""
    years = store.years()
    return {
        "years": [{**r, "imported_at": utc(r["imported_at"])} for r in records(years)],
        "history": {
            int(y): [
                (
                    d.id,
                    d.year,
                    utc(d.imported_at),
                    d.imported_by,
                    d.unit_count,
                    d.leader_count,
                    d.framework_id,
                    d.framework_name,
                    d.files,
                    d.active,
                )
                for d in store.history(int(y))
            ]
            for y in years["year"]
        },
        "frameworks": [{**r, "created_at": utc(r["created_at"])} for r in records(store.framework_versions())],
        "audit": [{**r, "at": utc(r["at"])} for r in records(store.audit())],
        "ratings": {int(y): rating(service.rate_stored_year(store, int(y))) for y in years["year"]},
    }


def scalar(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


ORPHANS = " + ".join(
    f"(SELECT count(*) FROM {table} WHERE dataset_id NOT IN (SELECT id FROM datasets))"
    for table in ("unit_rows", "leader_rows", "dataset_files", "active_years")
)


def assert_consistent(url: str) -> None:
    """The database file is sound and no row belongs to a dataset that is not there."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert scalar(url, f"SELECT {ORPHANS}") == 0
    # Each dataset has exactly the rows it says it has.
    assert (
        scalar(
            url,
            "SELECT count(*) FROM datasets d WHERE d.unit_count <> "
            "(SELECT count(*) FROM unit_rows u WHERE u.dataset_id = d.id) OR d.leader_count <> "
            "(SELECT count(*) FROM leader_rows l WHERE l.dataset_id = d.id)",
        )
        == 0
    )


def writer_busy(url: str) -> bool:
    """Whether another connection holds the writers' lock (an import's write transaction is open)."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(url).database, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            assert "locked" in str(e)
            return True
        finally:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.close()
        return False
    # A bigint advisory key shows in pg_locks as classid (high 32 bits) and objid (low 32 bits).
    return bool(
        scalar(
            url,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
            f"classid = {WRITERS_LOCK >> 32} AND objid = {WRITERS_LOCK & 0xFFFFFFFF} AND "
            "database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
    )


class Importer:
    """`python -m scoring db import …` running in a child process; its stderr read line by line."""

    def __init__(self, url: str, *args):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scoring", "db", "--database", url, "import", *map(str, args)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def wait_writing(self, timeout: float = 120) -> float:
        """Until the child says it starts its write transaction; returns the time it did."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                raise AssertionError(f"the import ended before writing: {''.join(self.stderr)}")
            if "Đang ghi" in line:
                return time.monotonic()

    def finish(self, timeout: float = 180) -> tuple[int, str, str]:
        out = self.proc.stdout.read()
        code = self.proc.wait(timeout=timeout)
        time.sleep(0.05)  # let the pump take the last lines
        err = "".join(self.stderr)
        assert "Traceback" not in err, err
        return code, out, err


def wait_until(condition, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_rank", ROOT / "bench" / "bench_rank.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def big_workbook(tmp_path_factory) -> Path:
    """A consolidated 2025 sheet of BIG_UNITS units, made once and shared by the xdist workers."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the same directory for every worker of this run
    path = root / f"tong_hop_lon_{BIG_UNITS}.xlsx"
    with open(root / f"{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            tmp = root / f"{path.stem}.{os.getpid()}.xlsx"
            _load_bench().make_workbook(tmp, BIG_UNITS)
            tmp.replace(path)
    return path


@pytest.fixture
def other_database(request, tmp_path):
    """A factory of further fresh empty databases, of a given kind."""
    made = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'other_{uuid.uuid4().hex[:8]}.sqlite'}"
        server = request.getfixturevalue("postgres_server")
        url = server.create_database()
        made.append((server, url))
        return url

    yield make
    for server, url in made:
        server.drop_database(url)


_FILE_JSON: dict[tuple[Path, ...], dict] = {}


def rank_json_of_files(capsys, *paths: Path) -> dict:
    """`python -m scoring rank FILES --json`, parsed; the same for both backends, so run once."""
    if paths not in _FILE_JSON:
        code, out, err = cli(capsys, "rank", *paths, "--json")
        assert code == 0, err
        _FILE_JSON[paths] = json.loads(out)
    return _FILE_JSON[paths]


def bad_copy(path: Path, src: Path = Y2025) -> Path:
    """The 2025 sample with one review score above its maximum (1.1 of DV01: 50 of 10)."""
    wb = openpyxl.load_workbook(src)
    ws = wb["Tổ chức"]
    assert (ws["B8"].value, ws["E6"].value, ws["F7"].value) == ("DV01", "1.1", "Thẩm định")
    ws["F8"] = 50
    wb.save(path)
    return path


# ---------------------------------------------------------------- (a) import → rank


@pytest.mark.parametrize("paths", [(Y2024, Y2025), (Y2024, *FORMS)], ids=["consolidated", "forms"])
def test_import_then_rank_equals_rank_of_the_files(database_url, paths, capsys):
    store = Store(database_url)
    datasets = imported(store, *paths)
    assert sorted(datasets) == [2024, 2025]
    expected = {r.year: r for r in rate_all(read_paths(list(paths)))}
    for year in (2024, 2025):
        got = service.rate_stored_year(store, year)
        assert rating(got) == rating(expected[year])
        # every number the engine computes, not only what the JSON shows
        pd.testing.assert_frame_equal(got.units.reset_index(drop=True), expected[year].units.reset_index(drop=True))
        pd.testing.assert_frame_equal(got.leaders.reset_index(drop=True), expected[year].leaders.reset_index(drop=True))
        assert [str(w) for w in got.warnings] == [str(w) for w in expected[year].warnings]
    assert service.rate_stored_year(store, 2025).previous_year == 2024
    changes = [u["rank_change"] for u in rating(service.rate_stored_year(store, 2025))["units"]]
    assert any(c not in (None, 0) for c in changes)  # rank changes come from the stored 2024

    if paths[1] == Y2025:  # once in a child process as other programs call it, else in this process
        out = run_db(database_url, "rank", 2025, "--json")
        code, stdout = out.returncode, out.stdout
    else:
        code, stdout, _ = cli(capsys, "db", "--database", database_url, "rank", 2025, "--json")
    assert code == 0
    from_store = json.loads(stdout)
    from_files = rank_json_of_files(capsys, *paths)
    assert [y["year"] for y in from_store["years"]] == [2025]
    assert from_store["years"][0] == next(y for y in from_files["years"] if y["year"] == 2025)


def test_warnings_of_the_reader_are_kept_with_the_dataset(database_url, tmp_path, capsys):
    """`db rank --json` lists the same warnings as `rank --json`: the reader's are stored with the dataset, the
    engine's are computed again from the stored rows."""
    path = tmp_path / "tong_hop_2025.xlsx"
    wb = openpyxl.load_workbook(Y2025)
    ws = wb["Tổ chức"]
    ws["D9"] = None  # cluster left blank: the reader fills it from the row above, with a warning
    ws["E10"] = ws["F10"] = None  # 1.1 of the third unit blank on both sides: counted 0, an engine warning
    wb.save(path)
    read = read_paths([path])
    (reader_warning,) = read.warnings
    assert "Khối để trống" in str(reader_warning)

    store = Store(database_url)
    imported(store, path)
    code, out, err = cli(capsys, "db", "--database", database_url, "rank", 2025, "--json")
    assert code == 0, err
    (from_store,) = json.loads(out)["years"]
    code, out, err = cli(capsys, "rank", path, "--json")
    assert code == 0, err
    (from_file,) = json.loads(out)["years"]
    assert (from_store["units"], from_store["leaders"]) == (from_file["units"], from_file["leaders"])
    assert from_file["warnings"][0] == str(reader_warning)
    assert from_store["warnings"] == from_file["warnings"]
    assert len(from_store["warnings"]) == 2 and "dòng 10" in from_store["warnings"][1]


def test_stored_files_and_counts(database_url):
    store = Store(database_url)
    start = datetime.now(UTC)
    ids = imported(store, *FORMS, actor=operator("Lê Thị Thu"))
    end = datetime.now(UTC)
    (info,) = store.history(2025)
    # The moment of the import, whichever the backend (SQLite gives it without its zone, UTC).
    shown = local_time(info.imported_at)
    assert start <= shown <= end and shown.utcoffset() == VN_TIME.utcoffset(None)
    assert local_time(store.years()["imported_at"][0]) == shown
    assert info.id == ids[2025] and info.active and info.imported_by == "Lê Thị Thu"
    assert (info.unit_count, info.leader_count) == (8, 8)
    read = read_paths(FORMS)
    assert info.files == tuple(read.years[2025].sources)
    assert [f.name for f in info.files] == [p.name for p in FORMS]
    assert all(len(f.sha256) == 64 and f.kind == "form" for f in info.files)
    assert info.files[0].sha256 == hashlib.sha256(FORMS[0].read_bytes()).hexdigest()
    data, fw, dataset_id = store.load(2025)
    assert dataset_id == info.id and to_toml(fw) == to_toml(read.framework)
    pd.testing.assert_frame_equal(
        data.units.reset_index(drop=True), read.years[2025].units.reset_index(drop=True), check_dtype=False
    )
    pd.testing.assert_frame_equal(
        data.unit_review, read.years[2025].unit_review.reset_index(drop=True), check_dtype=False
    )


# ---------------------------------------------------------------- (b) a bad file stores nothing


def test_bad_file_over_a_good_year_changes_nothing(database_url, tmp_path, monkeypatch):
    store = Store(database_url)
    imported(store, Y2024, Y2025)
    before = state(store)
    bad = bad_copy(tmp_path / "tong_hop_2025.xlsx")

    outcome = service.import_files(store, as_files(bad))
    assert not outcome.ok and outcome.datasets == {}
    assert any(i.severity == "error" and i.row == 8 and "1.1" in (i.column or "") for i in outcome.issues), [
        str(i) for i in outcome.issues
    ]
    # A good year with a bad one in the same import: neither is stored.
    outcome = service.import_files(store, as_files(Y2023, bad))
    assert not outcome.ok and outcome.datasets == {}
    assert state(store) == before

    out = run_db(database_url, "import", Y2023, bad)
    assert out.returncode == 2 and out.stdout == ""
    assert "Không lưu gì" in out.stderr and "tong_hop_2025.xlsx" in out.stderr and "dòng 8" in out.stderr
    assert state(store) == before

    # A failure inside the write transaction (after the framework, the dataset and its rows are written):
    # everything rolls back, the new framework version too.
    real = Store._store_year
    calls = []

    def failing(self, conn, data, *args):
        calls.append(data.year)
        dataset_id = real(self, conn, data, *args)
        if len(calls) == 2:
            raise RuntimeError("hỏng giữa chừng")
        return dataset_id

    monkeypatch.setattr(Store, "_store_year", failing)
    with pytest.raises(RuntimeError):
        service.import_files(store, as_files(Y2023, Y2025), framework=load_preset(OTHER_PRESET))
    assert calls == [2023, 2025]
    monkeypatch.undo()
    assert state(store) == before
    assert_consistent(database_url)


# ---------------------------------------------------------------- (c) kill -9 in the middle of an import


def test_kill_during_import_leaves_the_year_unchanged(database_url, big_workbook):
    store = Store(database_url)
    imported(store, Y2025)
    before = state(store)
    (old,) = store.history(2025)
    rng = random.Random()
    for low, high in ((0.2, 0.4), (0.4, 0.6), (0.6, 0.8)):
        child = Importer(database_url, big_workbook, "--year", 2025)
        child.wait_writing()
        wait_until(lambda c=child: writer_busy(database_url) or c.proc.poll() is not None, what="the write lock")
        time.sleep(rng.uniform(low, high))
        # The kill must land inside the write transaction, else this proves nothing.
        assert child.proc.poll() is None, "the import finished before the kill: make the workbook bigger"
        assert writer_busy(database_url), "the import's write transaction is not open at the kill"
        os.kill(child.proc.pid, signal.SIGKILL)
        assert child.proc.wait(timeout=30) == -signal.SIGKILL
        child.proc.stdout.close()

        reopened = Store(database_url)
        assert_consistent(database_url)
        assert [d.id for d in reopened.history(2025)] == [old.id]
        assert state(reopened) == before
        assert scalar(database_url, "SELECT count(*) FROM datasets") == 1

    # Still writable: the killed writer's lock is gone.
    out = run_db(database_url, "import", Y2025, timeout=120)
    assert out.returncode == 0, out.stderr
    history = Store(database_url).history(2025)
    assert len(history) == 2 and history[-1].active and not history[0].active
    assert_consistent(database_url)


# ---------------------------------------------------------------- (d) concurrent imports, reads during an import


def test_concurrent_imports_on_a_fresh_database_are_serialised(database_url):
    children = [Importer(database_url, path) for path in (Y2024, Y2025, Y2025)]  # all at the same moment
    results = [c.finish() for c in children]
    assert [code for code, _, _ in results] == [0, 0, 0], [err for _, _, err in results]
    store = Store(database_url)
    years = store.years()
    assert list(years["year"]) == [2024, 2025] and list(years["versions"]) == [1, 2]
    history = store.history(2025)
    assert len(history) == 2 and sum(d.active for d in history) == 1
    assert years.set_index("year").loc[2025, "dataset_id"] == next(d.id for d in history if d.active)
    assert scalar(database_url, "SELECT count(*) FROM active_years WHERE year = 2025") == 1
    audit = store.audit()
    assert sorted(audit[audit.action == "import"]["dataset_id"].astype(int)) == sorted(
        d.id for y in (2024, 2025) for d in store.history(y)
    )
    assert len(store.framework_versions()) == 1  # the same framework, saved once
    assert (audit.action == "framework").sum() == 1
    assert_consistent(database_url)


def test_reads_and_writes_during_a_big_import(database_url, big_workbook):
    store = Store(database_url)
    imported(store, Y2025)
    old = rating(service.rate_stored_year(store, 2025))
    reads: list[tuple[float, float, int]] = []
    problems: list[BaseException] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            start = time.monotonic()
            try:
                result = service.rate_stored_year(store, 2025)
            except BaseException as e:  # noqa: BLE001 - any failure of a read is the finding
                problems.append(e)
                return
            reads.append((start, time.monotonic(), len(result.units)))
            if len(result.units) == 45:
                assert rating(result) == old

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    child = Importer(database_url, big_workbook, "--year", 2025)
    writing = child.wait_writing()
    wait_until(lambda: writer_busy(database_url) or child.proc.poll() is not None, what="the write lock")
    assert child.proc.poll() is None, "the import finished before it could be watched"

    # Opening the store does not queue behind the import: it is already at the latest schema.
    opened = Store(database_url)
    assert opened.years()["unit_count"].tolist() == [45]
    assert child.proc.poll() is None  # answered while the import still holds the write lock

    # A second writer waits for the first instead of failing.
    read = read_paths([Y2025])
    assert writer_busy(database_url)
    second = opened.store_years(list(read.years.values()), read.framework, read.framework_origin, "người thứ hai")[2025]
    # It returned only after the first had committed (the first still had seconds of writing to do).
    assert [d.unit_count for d in opened.history(2025)] == [45, BIG_UNITS, 45], "the second did not wait"
    code, _, err = child.finish()
    done = time.monotonic()
    assert code == 0, err
    time.sleep(0.3)
    stop.set()
    thread.join(timeout=60)
    assert not problems, problems
    assert {n for _, _, n in reads} <= {45, BIG_UNITS}
    during = [n for start, end, n in reads if start > writing and end < done]
    assert len(during) >= 3, reads  # the reader really read while the import was writing

    history = opened.history(2025)
    assert [d.unit_count for d in history] == [45, BIG_UNITS, 45]
    assert history[-1].id == second and history[-1].active and sum(d.active for d in history) == 1
    assert_consistent(database_url)


# ---------------------------------------------------------------- (e) versions


def test_activate_an_older_version(database_url, capsys):
    store = Store(database_url)
    first = imported(store, Y2025)[2025]
    second = imported(store, *FORMS)[2025]
    assert second != first
    assert store.years()["dataset_id"].tolist() == [second]
    assert len(service.rate_stored_year(store, 2025).units) == 45  # the forms were merged into the year

    assert store.activate(first, "Phạm Văn Bình") == 2025
    years = store.years()
    assert years["dataset_id"].tolist() == [first] and years["versions"].tolist() == [2]
    assert [(d.id, d.active) for d in store.history(2025)] == [(first, True), (second, False)]
    assert rating(service.rate_stored_year(store, 2025)) == rating(rate_all(read_paths([Y2025]))[0])
    entry = store.audit().iloc[0]
    assert (entry.action, entry.who, int(entry.year), int(entry.dataset_id)) == (
        "activate",
        "Phạm Văn Bình",
        2025,
        first,
    )
    merged = service.rate_stored(store, {2025: second})[2025]  # any version can be rated
    forms = rate_all(read_paths(FORMS))[0].units.set_index("code")["total"]
    assert merged.units.set_index("code")["total"].loc[forms.index].tolist() == forms.tolist()

    before = state(store)
    with pytest.raises(StoreError, match="Không có phiên bản dữ liệu số 999"):
        store.activate(999)
    assert state(store) == before

    code, out, err = cli(capsys, "db", "--database", database_url, "--user", "Phạm Văn Bình", "activate", second)
    assert (code, out.strip()) == (0, f"Năm 2025 dùng phiên bản {second}."), err
    assert Store(database_url).years()["dataset_id"].tolist() == [second]
    after = state(Store(database_url))
    code, out, err = cli(capsys, "db", "--database", database_url, "activate", 999)
    assert (code, out, err.strip()) == (2, "", "Lỗi: Không có phiên bản dữ liệu số 999")
    assert state(Store(database_url)) == after


# ---------------------------------------------------------------- (f) backup and restore


@pytest.mark.parametrize("target", ["sqlite", "postgresql"], ids=["to-sqlite", "to-postgresql"])
def test_backup_restores_into_a_fresh_database(database_url, other_database, target, tmp_path):
    store = Store(database_url)
    imported(store, Y2024, Y2025, actor=operator("Nguyễn Văn An"))
    imported(store, *FORMS)
    imported(store, Y2023, framework=load_preset(OTHER_PRESET))
    store.activate(store.history(2025)[0].id)
    before = state(store)
    assert len(before["frameworks"]) == 2 and len(before["history"][2025]) == 2

    counts = store.backup(tmp_path / "sao_luu.json", KEY)
    units = sum(len(d.units) for p in (Y2023, Y2024, Y2025) for d in read_paths([p]).years.values())
    merged = len(read_paths([Y2025]).years[2025].units)  # the forms are merged into the stored 2025
    assert counts["datasets"] == 4 and counts["unit_rows"] == units + merged and counts["frameworks"] == 2
    assert not list(tmp_path.glob("*.tmp"))

    fresh = Store(other_database(target))
    assert fresh.restore(tmp_path / "sao_luu.json", KEY, "Trần Văn Cường") == counts
    after = state(fresh)
    restore_entry = after["audit"].pop(0)
    assert (restore_entry["action"], restore_entry["who"]) == ("restore", "Trần Văn Cường")
    assert after == before
    assert_consistent(fresh.url)

    # Ids continue after the restored ones.
    new = imported(fresh, Y2025)[2025]
    assert new == max(d.id for y in (2023, 2024, 2025) for d in fresh.history(y))
    assert new > max(d.id for d in store.history(2025))
    fresh.save_framework(replace(load_preset(), name="Bộ tiêu chí mới"))
    assert len(fresh.framework_versions()) == 3

    # Into a database that is not empty: refused, nothing changed.
    with pytest.raises(StoreError, match="Chỉ phục hồi vào cơ sở dữ liệu trống"):
        store.restore(tmp_path / "sao_luu.json", KEY)
    assert state(store) == before
    (tmp_path / "hong.json").write_text('{"format": "khác"}', "utf-8")
    (tmp_path / "cat_cut.json").write_text(json.dumps({"format": "danvan-backup"})[:-5], "utf-8")
    empty = Store(other_database("sqlite"))
    for broken in ("hong.json", "cat_cut.json", "khong_co.json"):
        with pytest.raises(StoreError):
            empty.restore(tmp_path / broken, KEY)
    assert empty.is_empty() and empty.audit().empty


def test_damaged_backup_is_refused_and_restores_nothing(database_url, tmp_path, capsys):
    source = Store(f"sqlite:///{tmp_path / 'nguon.sqlite'}")
    imported(source, Y2025)
    source.backup(tmp_path / "tot.json", KEY)
    good = json.loads((tmp_path / "tot.json").read_text("utf-8"))

    def damaged(name: str, change) -> Path:
        """A backup damaged by someone holding the key: signed again, so that its content is what is judged."""
        data = json.loads(json.dumps(good))
        change(data)
        data["signature"] = sign(data, KEY)
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        return path

    cases = [
        damaged("khong_co_bang", lambda d: d.pop("tables")),
        damaged("bang_sai_kieu", lambda d: d.update(tables=[])),
        damaged("dong_sai_kieu", lambda d: d["tables"].update(datasets=["x"])),
        damaged("thieu_cot", lambda d: d["tables"]["datasets"][0].pop("year")),
        damaged("mat_bo_tieu_chi", lambda d: d["tables"].update(frameworks=[])),  # datasets point to nothing
        damaged("ngay_hong", lambda d: d["tables"]["audit_log"][-1].update(at="hôm qua")),
        damaged("trung_khoa", lambda d: d["tables"]["unit_rows"].append(d["tables"]["unit_rows"][0])),
        # Hand-edited: wrong types, and values that would be stored and mislead later.
        damaged("thuong_chu", lambda d: d["tables"]["unit_rows"][0].update(bonus="ba")),
        damaged("co_chu", lambda d: d["tables"]["unit_rows"][0].update(disunity="không")),
        damaged("diem_khong_json", lambda d: d["tables"]["unit_rows"][0].update(self_scores="{1.1: 9")),
        damaged("diem_chu", lambda d: d["tables"]["unit_rows"][0].update(review_scores='{"1.1": "chín"}')),
        damaged("toml_hong", lambda d: d["tables"]["frameworks"][0].update(definition="name = [")),
        damaged("diem_qua_lon", lambda d: d["tables"]["unit_rows"][0].update(review_scores='{"1.1": 55}')),
        damaged("nam_chu", lambda d: d["tables"]["datasets"][0].update(year="hai nghìn")),
        damaged("phien_ban_la", lambda d: d.update(version=7)),
    ]
    store = Store(database_url)
    for path in cases:
        with pytest.raises(StoreError, match="Tệp sao lưu bị hỏng|không được hỗ trợ"):
            store.restore(path, KEY)
        assert store.is_empty() and store.framework_versions().empty and store.audit().empty, path.name
    code, out, err = cli(capsys, "db", "--database", database_url, "restore", cases[3])
    assert (code, out) == (2, "") and err.startswith("Lỗi: Tệp sao lưu bị hỏng"), err
    store.restore(tmp_path / "tot.json", KEY)
    assert state(store)["ratings"] == state(source)["ratings"]


def test_restore_refused_when_only_a_framework_is_stored(database_url, other_database, tmp_path):
    source = Store(database_url)
    imported(source, Y2025)
    source.backup(tmp_path / "b.json", KEY)
    target = Store(other_database(make_url(database_url).get_backend_name()))
    target.save_framework(load_preset(OTHER_PRESET))
    before = state(target)
    with pytest.raises(StoreError, match="Chỉ phục hồi vào cơ sở dữ liệu trống"):
        target.restore(tmp_path / "b.json", KEY)
    assert state(target) == before


# ---------------------------------------------------------------- (g) migrations


def test_schema_is_at_head_and_matches_the_tables(database_url):
    store = Store(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        assert context.get_current_revision() == head
        assert compare_metadata(context, metadata) == []
    imported(store, Y2025)
    before = state(store)
    again = Store(database_url)  # opening twice changes nothing
    assert state(again) == before
    again.upgrade()
    assert state(again) == before
    assert scalar(database_url, "SELECT count(*) FROM alembic_version") == 1


# ---------------------------------------------------------------- (h) frameworks


def test_framework_versions_are_never_edited(database_url):
    store = Store(database_url)
    default, other = load_preset(), load_preset(OTHER_PRESET)
    first = store.save_framework(default)
    assert store.save_framework(default) == first
    assert imported(store, Y2025) and store.history(2025)[0].framework_id == first  # the sheet's = the preset
    assert len(store.framework_versions()) == 1

    definition = scalar(database_url, f"SELECT definition FROM frameworks WHERE id = {first}")
    ds = imported(store, Y2025, framework=other)[2025]
    info = store.dataset(ds)
    assert info.framework_id != first and info.framework_name == other.name
    assert to_toml(store.framework(info.framework_id)) == to_toml(other)
    assert to_toml(store.framework(first)) == to_toml(default) == definition
    assert to_toml(store.framework()) == to_toml(default)  # importing with another framework leaves the active one
    assert scalar(database_url, f"SELECT definition FROM frameworks WHERE id = {first}") == definition
    assert store.save_framework(other) == info.framework_id
    assert len(store.framework_versions()) == 2
    audit = store.audit()
    assert sorted(audit[audit.action == "framework"]["framework_id"]) == [first, info.framework_id]
    # The rating of each version uses its own framework.
    assert rating(service.rate_stored_year(store, 2025)) == rating(rate_all(read_paths([Y2025], other))[0])
    assert rating(service.rate_stored(store, {2025: store.history(2025)[0].id})[2025]) == rating(
        rate_all(read_paths([Y2025]))[0]
    )
    assert store.framework(12345) is None


# ---------------------------------------------------------------- (i) the db command line


def test_db_commands(database_url, other_database, tmp_path, capsys):
    def db(*args, url=database_url):
        return cli(capsys, "db", "--database", url, *args)

    assert db("years") == (0, "Chưa có năm nào. Nhập dữ liệu bằng: python -m scoring db import TỆP…\n", "")
    assert db("history", 2025) == (2, "", "Lỗi: Chưa có dữ liệu năm 2025\n")

    out = run_db(database_url, "--user", "Nguyễn Văn An", "import", Y2024, Y2025)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "Đã lưu năm 2024: phiên bản 1, 45 đơn vị, 45 người đứng đầu.",
        "Đã lưu năm 2025: phiên bản 2, 45 đơn vị, 45 người đứng đầu.",
    ]
    assert "Đang ghi 2 năm vào cơ sở dữ liệu…" in out.stderr

    code, out, err = db("years")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 2
    shown = f"{local_time(Store(database_url).history(2025)[0].imported_at):%d/%m/%Y %H:%M}"
    assert lines[1] == f"2025: phiên bản 2 (trong 1), 45 đơn vị, 45 người đứng đầu, nhập lúc {shown}"

    code, out, err = db("history", 2025)
    assert code == 0, err
    (line,) = out.splitlines()
    digest = hashlib.sha256(Y2025.read_bytes()).hexdigest()
    # --user names the person; the operating-system user who ran the command stands beside it.
    assert line.startswith(
        f"phiên bản 2 * đang dùng: nhập {shown} bởi Nguyễn Văn An (người dùng máy: {os_user()}); 45 đơn vị; bộ tiêu chí"
    )
    assert line.endswith(f"tệp: tong_hop_2025.xlsx ({digest[:12]}…)")

    backup = tmp_path / "sao luu.json"
    assert db("backup", backup) == (0, f"Đã sao lưu vào {backup}: 2 phiên bản dữ liệu, 90 dòng đơn vị.\n", "")
    other = other_database("postgresql" if database_url.startswith("sqlite") else "sqlite")
    out = run_db(other, "restore", backup)
    assert (out.returncode, out.stdout.strip()) == (0, "Đã phục hồi: 2 phiên bản dữ liệu, 90 dòng đơn vị."), out.stderr
    assert state(Store(other))["ratings"] == state(Store(database_url))["ratings"]
    assert db("restore", backup, url=other) == (2, "", "Lỗi: Chỉ phục hồi vào cơ sở dữ liệu trống\n")
    assert db("restore", tmp_path / "khong_co.json", url=other)[0] == 2


def test_db_command_errors(database_url, tmp_path, capsys):
    report = tmp_path / "bao_cao.xlsx"
    store = Store(database_url)
    imported(store, Y2025)
    before = state(store)
    code, out, err = cli(capsys, "db", "--database", database_url, "import", tmp_path / "khong_co.xlsx")
    assert code == 2 and "khong_co.xlsx" in err and "Không lưu gì" in err
    code, out, err = cli(capsys, "db", "--database", database_url, "rank", 2024, "-o", report)
    assert (code, err.strip()) == (2, "Lỗi: Chưa có dữ liệu năm 2024") and not report.exists()
    code, out, err = cli(capsys, "db", "--database", database_url, "rank", 2025, "-o", report)
    assert code == 0 and report.exists()
    assert state(store) == before
    if database_url.startswith("sqlite"):  # one of each is enough: a database that cannot be opened
        out = run_db("postgresql+psycopg://postgres@127.0.0.1:9/khong_co", "years", timeout=60)
        assert out.returncode == 2 and out.stderr.startswith("Lỗi: không mở được cơ sở dữ liệu"), out.stderr
        code, out, err = cli(capsys, "db", "--database", "khong-phai-url", "years")
        assert code == 2 and err.startswith("Lỗi: không mở được cơ sở dữ liệu"), err
