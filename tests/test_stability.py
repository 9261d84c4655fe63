"""Stability beside the score (issue 27 §1): the year rated again with weights and appraised scores shaken. Advisory:
the official result never changes; with no noise every run is the official result."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from builders import FW, by_code, unit, year_data
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import rate_year
from scoring.stability import Settings, stability

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "tong_hop_2025.xlsx"
years = st.lists(
    st.tuples(st.integers(30, 100), st.sampled_from(["K1", "K2"]), st.sampled_from([0, 0, 0, 1, 2])),
    min_size=1,
    max_size=14,
)


def _year(rows, fw=FW):
    return year_data([unit(f"U{i:02d}", t, c, head_discipline=h) for i, (t, c, h) in enumerate(rows)], fw=fw)


@given(rows=years, seed=st.integers(0, 2**31))
@settings(max_examples=40, deadline=None)
def test_with_no_noise_every_run_is_the_official_result(rows, seed):
    data = _year(rows)
    result = rate_year(data, FW)
    table = stability(data, FW, result, Settings(runs=20, weight_noise=0, score_noise=0, seed=seed))
    official = by_code(result)
    assert (table["keep_tier"] == 1).all()
    for code, row in table.iterrows():
        assert row[official.loc[code, "tier"]] == 1
        assert row["rank_median"] == row["rank_p5"] == row["rank_p95"] == official.loc[code, "rank"]


@given(rows=years, seed=st.integers(0, 2**31))
@settings(max_examples=25, deadline=None)
def test_the_same_seed_gives_the_same_figures_and_the_official_result_is_untouched(rows, seed):
    data = _year(rows)
    result = rate_year(data, FW)
    before = result.units.copy()
    shaken = Settings(runs=60, seed=seed)
    first, second = stability(data, FW, result, shaken), stability(data, FW, result, shaken)
    assert first.equals(second)
    assert result.units.equals(before) and rate_year(data, FW).units.equals(before)
    shares = first[[t.code for t in FW.tiers]].sum(axis=1)
    assert ((shares - 1).abs() < 1e-9).all() and (first["rank_p5"] <= first["rank_median"]).all()
    assert (first["rank_median"] <= first["rank_p95"]).all()


@given(rows=years, raise_by=st.integers(1, 8), seed=st.integers(0, 2**31))
@settings(max_examples=40, deadline=None)
def test_a_unit_further_above_the_top_threshold_never_has_a_lower_chance_of_keeping_it(rows, raise_by, seed):
    """All else equal (the same seed draws the same noise), a first-tier unit given more points keeps its tier in
    at least as many runs: every run's total, its rank and its place in the quota can only improve."""
    rows = [(90, "K1", 0), *rows]
    higher = [(90 + raise_by, "K1", 0), *rows[1:]]
    shaken = Settings(runs=80, seed=seed)
    low, high = _year(rows), _year(higher)
    a = stability(low, FW, rate_year(low, FW), shaken).loc["U00"]
    b = stability(high, FW, rate_year(high, FW), shaken).loc["U00"]
    assert b["HTXSNV"] >= a["HTXSNV"]
    assert b["rank_median"] <= a["rank_median"]


def test_a_unit_not_rated_has_no_stability_and_a_unit_on_the_threshold_is_a_coin_toss():
    """D sits exactly on 90 among units far from any threshold: about half the runs put it below (HTTNV)."""
    rows = [unit("A", 60), unit("B", 75), unit("C", 40), unit("D", 90), unit("E", 79, not_rated="Mới thành lập")]
    fw = replace(FW, quota_percent=100)
    data = year_data(rows, fw=fw)
    table = stability(data, fw, rate_year(data, fw), Settings(runs=1000))
    assert table.loc["E"].isna().all()
    assert 0.3 < table.loc["D", "keep_tier"] < 0.7
    assert (table.loc[["A", "B", "C"], "keep_tier"] == 1).all()


def test_rank_json_with_stability_and_db_rank(tmp_path):
    def run(*args):
        done = subprocess.run(
            [sys.executable, "-m", "scoring", *args], capture_output=True, text=True, cwd=ROOT, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["years"][0]["units"]

    units = run("rank", str(SAMPLE), "--json", "--stability", "--runs", "300", "--seed", "7")
    whole = json.loads(subprocess.run([sys.executable, "-m", "scoring", "rank", str(SAMPLE), "--json", "--stability",
                                       "--runs", "300", "--seed", "7"], capture_output=True, text=True, cwd=ROOT,
                                      timeout=300).stdout)  # fmt: skip
    shaken = whole["years"][0]["stability_settings"]
    assert shaken["runs"] == 300 and shaken["seed"] == 7 and shaken["weight_noise"] == 0.1
    assert "không thay đổi kết quả" in shaken["note"]
    again = run("rank", str(SAMPLE), "--json", "--stability", "--runs", "300", "--seed", "7")
    assert units == again
    for u in units:
        s = u["stability"]
        assert set(s) == {"keep_tier", "tiers", "rank_median", "rank_p5", "rank_p95"}
        assert s["keep_tier"] == s["tiers"][u["tier"]] and s["rank_p5"] <= s["rank_median"] <= s["rank_p95"]
    plain = run("rank", str(SAMPLE), "--json")
    assert [{k: v for k, v in u.items() if k != "stability"} for u in units] == plain

    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    env = {**os.environ, "DANVAN_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "scoring", "db", "import", str(SAMPLE)], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=300)  # fmt: skip
    stored = subprocess.run(
        [sys.executable, "-m", "scoring", "db", "rank", "2025", "--json", "--stability", "--runs", "300",
         "--seed", "7"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    assert [u["stability"] for u in json.loads(stored.stdout)["years"][0]["units"]] == [u["stability"] for u in units]


@pytest.mark.parametrize("bad", ["0", "-3", "nhiều"])
def test_runs_must_be_a_positive_number(bad):
    done = subprocess.run([sys.executable, "-m", "scoring", "rank", str(SAMPLE), "--json", "--stability", "--runs",
                           bad], capture_output=True, text=True, cwd=ROOT, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_xep_hang_shows_the_least_sure_units_on_demand_and_the_round_marks_them(tmp_path, monkeypatch):
    from scoring import read_files, views
    from tests.test_dashboard import as_role, frame_with, visit

    read = read_files([(SAMPLE.name, SAMPLE.read_bytes())], FW)
    data = read.years[2025]
    result = rate_year(data, FW)
    table = stability(data, FW, result)
    shaky = views.stability_table(result, table)
    assert len(shaky) == int((table["keep_tier"] < 0.8).sum()) > 0
    assert shaky["Giữ xếp loại"].str.endswith(" %").all()
    marks = views.decision_marks(result.units, FW, keep=table["keep_tier"])
    flagged = {c for c, m in zip(result.units["code"], marks) if "khả năng giữ xếp loại" in m}
    assert flagged == set(shaky["Mã"])

    as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    at = visit("xep_hang")
    at.toggle(key="stability_2025").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = frame_with(at, "Giữ xếp loại")
    assert len(shown) > 0 and any("không thay đổi kết quả chính thức" in c.value for c in at.caption)


# §2: years rated with different frameworks are not compared as if they were alike


def test_rank_changes_and_trends_across_different_frameworks_say_what_differs(tmp_path, monkeypatch):
    """2024 under the TCCSĐ preset (90/70/50), 2025 under chính quyền (95/85/75): the 2025 result, its report and
    Xu hướng say the two years are not compared like for like, naming the thresholds; the same framework twice says
    nothing."""
    import io

    import openpyxl

    from scoring import service
    from scoring.comparability import caveat, framework_differences
    from scoring.framework import load_preset
    from scoring.report import report_bytes
    from scoring.store import Store
    from tests.test_dashboard import as_role, visit

    tccsd, cq = load_preset("dan_van_tccsd"), load_preset("dan_van_chinh_quyen")
    assert framework_differences(tccsd, cq)[0] == "ngưỡng xếp loại 90–70–50 / 95–85–75"
    assert caveat(tccsd, tccsd, 2024, 2025) == "" and caveat(None, cq, None, 2025) == ""
    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    store = Store(url)
    files = {y: ROOT / "sample_data" / f"tong_hop_{y}.xlsx" for y in (2024, 2025)}
    service.import_files(store, [(files[2024].name, files[2024].read_bytes())], framework=tccsd)
    service.import_files(store, [(files[2025].name, files[2025].read_bytes())], framework=cq)
    result = service.rate_stored_year(store, 2025)
    said = result.comparison_caveat
    assert said.startswith("Năm 2024 và năm 2025 xếp loại theo bộ tiêu chí khác nhau (ngưỡng xếp loại 90–70–50")
    assert "không phải so sánh ngang nhau" in said
    method = {r[0].value: r[1].value for r in openpyxl.load_workbook(io.BytesIO(report_bytes(result)))["Phương pháp"]
              .iter_rows() if r[0].value}  # fmt: skip
    assert method["Lưu ý khi so sánh"] == said
    for page in ("xep_hang", "xu_huong"):
        at = visit(page)
        assert any("không phải so sánh ngang nhau" in w.value for w in at.warning), page
    same = service.rate_stored_year(store, 2024)
    assert same.comparison_caveat == ""
    from datetime import datetime

    from scoring.documents import CommitteeDetails, context

    note = context.report(result, same, CommitteeDetails(), datetime(2026, 1, 15))["comparison_note"]
    assert note == said
