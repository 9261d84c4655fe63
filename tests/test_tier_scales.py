"""A framework's own tier scale through the whole tool (issue 26 §1): the command line's JSON, the Excel report and
every page show the framework's tiers, names and colours — five here — instead of the presets' four."""

import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from scoring import rate_year, read_files, service
from scoring.framework import from_toml, load_preset, to_toml
from scoring.report import report_bytes
from scoring.store import Store
from tests.signing import sign_in_apptest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sorted((ROOT / "sample_data").glob("tong_hop_*.xlsx"))
FIVE = """
[[tiers]]
code = "XS"
name = "Xuất sắc"
min = 95
[[tiers]]
code = "TOT"
name = "Tốt"
min = 85
[[tiers]]
code = "KHA"
name = "Khá"
min = 70
[[tiers]]
code = "TB"
name = "Trung bình"
min = 50
[[tiers]]
code = "YEU"
name = "Yếu"
colour = "#6A1B9A"
"""
CODES = ["XS", "TOT", "KHA", "TB", "YEU"]


@pytest.fixture(scope="module")
def five(tmp_path_factory) -> Path:
    text = to_toml(load_preset()).replace("thresholds = [\n    90,\n    70,\n    50,\n]\n", "") + FIVE
    path = tmp_path_factory.mktemp("khung") / "nam_muc.toml"
    path.write_text(text.replace('name = "Dân vận', 'name = "Năm mức – Dân vận', 1), "utf-8")
    return path


def test_the_json_and_the_report_use_the_framework_s_tiers(five):
    run = subprocess.run(
        [sys.executable, "-m", "scoring", "rank", str(SAMPLE[-1]), "--framework", str(five), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    units = json.loads(run.stdout)["years"][0]["units"]
    assert {u["tier"] for u in units} <= set(CODES) and {u["score_tier"] for u in units} <= set(CODES)
    names = dict(zip(CODES, ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]))
    assert all(u["tier_name"] == names[u["tier"]] for u in units)
    for u in units:  # the score tier by the file's thresholds, computed by hand
        t = u["total"]
        expected = "XS" if t >= 95 else "TOT" if t >= 85 else "KHA" if t >= 70 else "TB" if t >= 50 else "YEU"
        assert u["score_tier"] == expected, u

    fw = from_toml(five.read_text("utf-8"))
    result = rate_year(read_files([(SAMPLE[-1].name, SAMPLE[-1].read_bytes())], fw).years[2025], fw)
    book = openpyxl.load_workbook(io.BytesIO(report_bytes(result)))
    ranking = book["Xếp hạng"]
    tier_cells = [c for row in ranking.iter_rows() for c in row if c.value in names.values()]
    assert tier_cells and {c.value for c in tier_cells} <= set(names.values())
    heading = [c.value for c in book["Thống kê"][4]]
    assert heading[:7] == ["Khối", *(f"{names[c]} ({c})" for c in CODES), "Tổng"]
    method = {r[0].value: r[1].value for r in book["Phương pháp"].iter_rows() if r[0].value}
    assert method["Ngưỡng xếp loại"] == "XS ≥ 95; TOT ≥ 85; KHA ≥ 70; TB ≥ 50; dưới đó YEU"


def test_every_page_shows_the_framework_s_tiers(five, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    store = Store(url)
    fw = from_toml(five.read_text("utf-8"))
    service.import_files(store, [(p.name, p.read_bytes()) for p in SAMPLE], framework=fw)
    sign_in_apptest(monkeypatch, url, "canbo", "can_bo")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.label for m in at.metric][2:] == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]
    for page in ("xep_hang", "don_vi", "nguoi_dung_dau", "xu_huong", "tieu_chi", "bao_cao", "dot_danh_gia"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
    at.switch_page("pages/xep_hang.py").run()
    assert at.multiselect[0].options == ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]


def test_the_committee_s_documents_name_the_framework_s_tiers(five):
    from datetime import datetime

    from scoring.documents import CommitteeDetails, context

    fw = from_toml(five.read_text("utf-8"))
    result = rate_year(read_files([(SAMPLE[-1].name, SAMPLE[-1].read_bytes())], fw).years[2025], fw)
    now = datetime(2026, 1, 15)
    decision = context.decision(result, CommitteeDetails(), now)
    counts = result.units["tier"].value_counts()
    names = dict(zip(CODES, ["Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"]))
    assert [g["title"] for g in decision["unit_groups"]] == [
        f"{k}. {names[c]}: {counts[c]}" for k, c in enumerate((c for c in CODES if c in counts), start=1)
    ]
    assert decision["unit_counts"] == "; ".join(f"{names[c]} {int(counts.get(c, 0))}" for c in CODES)
    report = context.report(result, None, CommitteeDetails(), now)
    assert [r["cells"][0] for r in report["tier_table"]] == [*names.values(), "Tổng số"]
    code, letter = next(context.letters(result, CommitteeDetails(), now))
    assert letter["unit"]["tier"] == names[result.units.set_index("code").loc[code, "tier"]]


def test_the_five_tier_example_in_docs_rates_the_sample():
    """docs/examples' dân vận chính quyền on five tiers, on the 2025 sample: each score tier by the file's
    thresholds (checked by hand below), no tier above it, and per cluster at most floor(20 % × the pool of XS
    and TOT) units keep XS."""
    example = ROOT / "docs" / "examples" / "dan_van_chinh_quyen_5_muc.toml"
    run = subprocess.run(
        [sys.executable, "-m", "scoring", "rank", str(SAMPLE[-1]), "--framework", str(example), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    units = json.loads(run.stdout)["years"][0]["units"]
    order = ["XS", "TOT", "KHA", "TB", "YEU"]
    for u in units:
        t = u["total"]
        assert u["score_tier"] == ("XS" if t >= 95 else "TOT" if t >= 85 else "KHA" if t >= 70 else "TB" if t >= 50
                                   else "YEU"), u  # fmt: skip
        assert order.index(u["tier"]) >= order.index(u["score_tier"])
    for cluster in {u["cluster"] for u in units}:
        mine = [u for u in units if u["cluster"] == cluster]
        pool = sum(u["tier"] in ("XS", "TOT") for u in mine)
        assert sum(u["tier"] == "XS" for u in mine) <= pool * 20 // 100
    assert {u["tier"] for u in units} >= {"TOT", "KHA"}


def test_the_word_report_s_table_by_cluster_has_a_column_per_tier_of_the_scale(five):
    from datetime import datetime

    import docx

    from scoring.documents import REPORT, CommitteeDetails, document

    fw = from_toml(five.read_text("utf-8"))
    result = rate_year(read_files([(SAMPLE[-1].name, SAMPLE[-1].read_bytes())], fw).years[2025], fw)
    report = docx.Document(io.BytesIO(document(REPORT, result, CommitteeDetails(), datetime(2026, 1, 15))))
    table = next(t for t in report.tables if t.rows[0].cells[0].text == "Khối")
    assert [c.text for c in table.rows[0].cells] == ["Khối", "Số tổ chức", *CODES]
    total = [c.text for c in table.rows[-1].cells]
    counts = result.units["tier"].value_counts()
    assert total == ["Tổng số", str(len(result.units)), *(str(int(counts.get(c, 0))) for c in CODES)]
