"""The one path from files to stored years: the framework in force, merging per-unit forms, rating once."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from builders import unit, year_data
from streamlit.testing.v1 import AppTest

from scoring import engine, rating, service
from scoring.access import operator
from scoring.dataset import ORIGIN_ACTIVE, ORIGIN_CHOSEN, ORIGIN_FILE, ORIGIN_PRESET
from scoring.framework import load_preset, to_toml
from scoring.output import UNIT_FIELDS
from scoring.store import Store, StoreError
from tests.signing import sign_in_apptest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
Y2024, Y2025 = SAMPLE / "tong_hop_2024.xlsx", SAMPLE / "tong_hop_2025.xlsx"
FORMS = sorted((SAMPLE / "phieu_2025").glob("*.xlsx"))
STRICT = replace(load_preset(), name="Ngưỡng cao", thresholds=(Decimal(95), Decimal(85), Decimal(75)))


def files(*paths: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in paths]


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'svc.sqlite'}")


def test_the_framework_in_force_and_where_it_came_from(store):
    forms = service.read_upload(store, files(*FORMS))
    assert (forms.framework_origin, forms.framework) == (ORIGIN_PRESET, load_preset())
    store.save_framework(STRICT, "cán bộ")  # as the Tiêu chí page does
    forms = service.read_upload(store, files(*FORMS))
    assert (forms.framework_origin, forms.framework.name) == (ORIGIN_ACTIVE, "Ngưỡng cao")
    own = service.read_upload(store, files(Y2025))  # the sample workbook has its own "Tiêu chí" sheet
    assert own.framework_origin == ORIGIN_FILE
    chosen = service.read_upload(store, files(Y2025), load_preset("dan_van_chinh_quyen"))
    assert chosen.framework_origin == ORIGIN_CHOSEN

    plan = service.import_files(store, files(Y2025), actor=operator("cán bộ"))
    assert plan.ok and store.history(2025)[0].framework_origin == ORIGIN_FILE
    assert store.framework().name == "Ngưỡng cao"  # importing a file with its own sheet changes nothing active


def test_forms_merge_into_the_active_version(store):
    first = service.import_files(store, files(Y2025)).datasets[2025]
    plan = service.plan_import(store, service.read_upload(store, files(*FORMS[:3])))
    (year,) = plan.years.values()
    assert year.mode == service.MERGE and year.base_version == first
    assert len(year.replaced) == 3 and year.added == [] and len(year.kept) == 42
    service.save(store, plan, operator("cán bộ"))
    merged = service.rate_stored_year(store, 2025).units.set_index("code")
    alone = engine.rate(*_read_year(store, FORMS[:3])).units.set_index("code")
    assert len(merged) == 45
    assert merged.loc[alone.index, "self_score"].tolist() == alone["self_score"].tolist()


def _read_year(store, paths):
    read = service.read_upload(store, files(*paths))
    return read.years[2025], read.framework


def test_a_plan_made_before_another_import_stores_nothing(store):
    service.import_files(store, files(Y2025))
    plan = service.plan_import(store, service.read_upload(store, files(*FORMS[:2])))
    service.import_files(store, files(Y2025))  # someone else saved the year in between
    before = store.active_versions()
    with pytest.raises(StoreError, match="vừa được người khác thay đổi"):
        service.save(store, plan, operator("cán bộ"))
    assert store.active_versions() == before


def test_forms_read_with_other_criteria_are_not_merged(store):
    base = load_preset()
    extra = replace(base.criteria[0], code="2.6", group="II", name="Tiêu chí bổ sung")
    other = replace(base, name="Có thêm 2.6", criteria=base.criteria + (extra,))
    store.store_years([year_data([unit("DV27", total=80)], fw=other)], other, ORIGIN_CHOSEN)  # 2025 with 2.6
    plan = service.plan_import(store, service.read_upload(store, files(*FORMS[:2]), base))
    assert not plan.ok and "không gộp được" in plan.errors[-1].message and not plan.years


def test_rerate_a_year_with_the_saved_framework(store):
    service.import_files(store, files(Y2025))
    new = service.rerate_year(store, 2025, STRICT, operator("cán bộ"))
    info = store.dataset(new)
    assert info.active and info.framework_name == "Ngưỡng cao" and info.framework_origin == ORIGIN_CHOSEN
    assert service.rate_stored_year(store, 2025).framework.thresholds[0] == 95


def test_rate_stored_rates_each_year_once_in_one_snapshot(store, monkeypatch):
    service.import_files(store, files(Y2024, Y2025))
    calls, real = [], engine.rate
    monkeypatch.setattr(rating, "rate", lambda data, *a, **k: calls.append(data.year) or real(data, *a, **k))
    results = service.rate_stored(store)
    assert calls == [2024, 2025] and results[2025].previous_year == 2024


def test_same_forms_same_result_through_page_db_import_and_rank(tmp_path, monkeypatch):
    """After a framework was saved on the Tiêu chí page, the upload page, `db import` and `rank` agree."""
    page_db, cli_db = (f"sqlite:///{tmp_path / name}" for name in ("page.sqlite", "cli.sqlite"))
    for url in (page_db, cli_db):
        Store(url).save_framework(STRICT, "cán bộ")

    monkeypatch.setenv("DANVAN_DATABASE_URL", page_db)
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    sign_in_apptest(monkeypatch, page_db, "canbo", "can_bo")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/tai_len.py").run()
    at.file_uploader(key="files").set_value([(p.name, p.read_bytes(), "application/octet-stream") for p in FORMS]).run()
    at.button(key="save").click().run()
    assert not at.exception and any("Đã lưu" in s.value for s in at.success)
    from_page = _units(service.rate_stored_year(Store(page_db), 2025))

    run = [sys.executable, "-m", "scoring"]
    out = subprocess.run(
        [*run, "db", "--database", cli_db, "import", *map(str, FORMS)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    from_db = _units(service.rate_stored_year(Store(cli_db), 2025))

    toml = tmp_path / "tieu_chi.toml"
    toml.write_text(to_toml(STRICT), "utf-8")
    out = subprocess.run(
        [*run, "rank", *map(str, FORMS), "--framework", str(toml), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr
    from_rank = json.loads(out.stdout)["years"][0]["units"]
    assert from_page == from_db
    assert [[u[f] for f in ("code", "total", "tier", "rank")] for u in from_rank] == [
        [u[f] for f in ("code", "total", "tier", "rank")] for u in from_page
    ]
    assert {u["tier"] for u in from_page} != {"HTXSNV"} and STRICT.thresholds[0] == 95


def _units(result) -> list[dict]:
    return result.units[UNIT_FIELDS].astype(object).where(result.units[UNIT_FIELDS].notna(), None).to_dict("records")


def test_a_page_visit_after_a_save_rates_each_year_at_most_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DANVAN_DATABASE_URL", f"sqlite:///{tmp_path / 'visit.sqlite'}")
    sign_in_apptest(monkeypatch, f"sqlite:///{tmp_path / 'visit.sqlite'}", "canbo", "can_bo")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()  # seeds 2023–2025
    at.switch_page("pages/tai_len.py").run()
    at.file_uploader(key="files").set_value([(Y2025.name, Y2025.read_bytes(), "application/octet-stream")]).run()
    at.button(key="save").click().run()
    calls, real = [], engine.rate
    monkeypatch.setattr(rating, "rate", lambda data, *a, **k: calls.append(data.year) or real(data, *a, **k))
    for page in ("pages/xep_hang.py", "pages/tong_quan.py", "pages/xu_huong.py", "pages/don_vi.py"):
        at.switch_page(page).run()
        assert not at.exception
    assert sorted(calls) == [2023, 2024, 2025]
