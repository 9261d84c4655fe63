"""Conditions and "Không xếp loại" as offices enter them: the template's columns and the form's labels, read back,
bad cells reported with their row and column, and `rank --preset quy_dinh_366` on a filled sheet (issue 26)."""

import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
from builders import spread

from scoring import rate_year, read_files
from scoring.framework import load_preset
from scoring.template import template_bytes

ROOT = Path(__file__).resolve().parents[1]
Q366 = load_preset("quy_dinh_366")
HEADINGS = [
    "Tỷ lệ nhiệm vụ hoàn thành (%)",
    "Tỷ lệ nhiệm vụ chậm tiến độ (%)",
    "Tỷ lệ nhiệm vụ vượt mức (%)",
    "Có tổ chức đảng trực thuộc hoặc cấp ủy viên bị kỷ luật",
]
# code, total, conditions as typed (done, late, exceeded, disciplined), not rated
ROWS = [
    ("CB01", 96, (100, 0, 35, "Không"), None),
    ("CB02", 95, (100, 0, "25%", "Không"), None),  # exceeded 25 % < 30 % → HTTNV
    ("CB03", 94, (100, 0.1, 40, "Không"), None),  # 10 % late (a percent-formatted cell) → HTNV
    ("CB04", 93, (100, 0, 40, "x"), None),  # a subordinate disciplined → HTTNV
    ("CB05", 92, (100, 0, 40, None), None),  # flag left blank: missing → not HTXSNV nor … HTTNV's holds
    ("CB06", 91, (100, 0, 40, "Không"), "Mới thành lập tháng 9"),
    ("CB07", 75, (100, 0, 0, "Không"), None),
]


def filled_template(rows=ROWS) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(Q366)))
    ws = book["Tổ chức"]
    header = {ws.cell(6, c).value: c for c in range(1, ws.max_column + 1)}
    assert [h for h in HEADINGS if h in header] == HEADINGS and "Không xếp loại (lý do)" in header
    ws.cell(4, 1).value = "BẢNG TỔNG HỢP ĐIỂM NĂM 2025"
    codes = [c.code for c in Q366.criteria]
    review_col = {ws.cell(6, c).value: c + 1 for c in range(1, ws.max_column + 1) if ws.cell(6, c).value in codes}
    for r, (code, total, values, reason) in enumerate(rows, start=8):
        ws.cell(r, header["Mã đơn vị"]).value = code
        ws.cell(r, header["Tên đơn vị"]).value = f"Chi bộ {code}"
        ws.cell(r, header["Khối"]).value = "Khối cơ quan"
        for crit, score in spread(total, Q366).items():  # self-assessed, and appraised at the same score
            ws.cell(r, review_col[crit] - 1).value = ws.cell(r, review_col[crit]).value = score
        for heading, value in zip(HEADINGS, values):
            ws.cell(r, header[heading]).value = value
        ws.cell(r, header["Không xếp loại (lý do)"]).value = reason
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_template_s_condition_columns_read_back_and_rate_by_hand(tmp_path):
    data = filled_template()
    read = read_files([("tong_hop_2025.xlsx", data)], Q366)
    assert [i for i in read.issues if i.severity == "error"] == []
    units = read.years[2025].units.set_index("code")
    assert json.loads(units.loc["CB02", "conditions"]) == {
        "Tỷ lệ nhiệm vụ hoàn thành": 100,
        "Tỷ lệ nhiệm vụ chậm tiến độ": 0,
        "Tỷ lệ nhiệm vụ vượt mức": 25,
        "Có tổ chức đảng trực thuộc hoặc cấp ủy viên bị kỷ luật": 0,
    }
    assert units.loc["CB06", "not_rated"] == "Mới thành lập tháng 9" and units.loc["CB01", "not_rated"] == ""
    # By hand: score tiers HTXSNV for CB01–CB06, HTTNV for CB07; conditions: CB02 HTTNV, CB03 HTNV, CB04 HTTNV,
    # CB05 HTTNV (its flag is missing); CB06 not rated. Pool of the first two tiers (rated): CB01, CB02, CB04, CB05,
    # CB07 = 5 → floor(1) = 1 kept: CB01.
    tiers = {"CB01": "HTXSNV", "CB02": "HTTNV", "CB03": "HTNV", "CB04": "HTTNV", "CB05": "HTTNV", "CB06": "",
             "CB07": "HTTNV"}  # fmt: skip
    result = rate_year(read.years[2025], Q366)
    assert result.units.set_index("code")["tier"].to_dict() == tiers
    assert any(w.message.startswith("CB05: chưa có “Có tổ chức đảng") and w.row == 12 for w in result.warnings)

    path = tmp_path / "tong_hop_2025.xlsx"
    path.write_bytes(data)
    run = subprocess.run(
        [sys.executable, "-m", "scoring", "rank", str(path), "--preset", "quy_dinh_366", "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    units = {u["code"]: u for u in json.loads(run.stdout)["years"][0]["units"]}
    assert {c: u["tier"] for c, u in units.items()} == tiers
    assert units["CB06"]["rank"] is None and units["CB06"]["tier_name"] == "Không xếp loại"
    assert units["CB02"]["reason"] == ("Đủ điểm HTXSNV (95,00) nhưng tỷ lệ nhiệm vụ vượt mức 25 % (cần ≥ 30 %) → HTTNV")


def test_bad_condition_cells_and_a_missing_column_are_reported_where_they_are():
    rows = [("CB01", 96, (100, "nhiều", 35, "có lẽ"), None), ("CB02", 80, (150, 0, 0, "Không"), None)]
    read = read_files([("tong_hop_2025.xlsx", filled_template(rows))], Q366)
    errors = {(i.row, i.column, str(i.value)) for i in read.issues if i.severity == "error"}
    assert errors == {
        (8, "Tỷ lệ nhiệm vụ chậm tiến độ (%)", "nhiều"),
        (8, "Có tổ chức đảng trực thuộc hoặc cấp ủy viên bị kỷ luật", "có lẽ"),
        (9, "Tỷ lệ nhiệm vụ hoàn thành (%)", "150"),
    }

    book = openpyxl.load_workbook(io.BytesIO(filled_template(ROWS[:1])))
    book["Tổ chức"].delete_cols([c.column for c in book["Tổ chức"][6] if c.value == "Tỷ lệ nhiệm vụ vượt mức (%)"][0])
    out = io.BytesIO()
    book.save(out)
    read = read_files([("tong_hop_2025.xlsx", out.getvalue())], Q366)
    assert any("Thiếu cột điều kiện “Tỷ lệ nhiệm vụ vượt mức”" in i.message for i in read.issues)


def test_the_form_carries_the_conditions_and_reads_them_back():
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(Q366, form=True)))
    ws = book.active
    labels = {ws.cell(r, 2).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value}
    for heading in HEADINGS:
        assert f"{heading}:" in labels
    values = {HEADINGS[0]: 100, HEADINGS[1]: 5, HEADINGS[2]: 40, HEADINGS[3]: "Không"}
    for heading, value in values.items():
        ws.cell(labels[f"{heading}:"], 3).value = value
    ws.cell(labels["Không xếp loại (lý do):"], 3).value = "x"
    code_row = next(r for label, r in labels.items() if str(label).startswith("Mã đơn vị"))
    ws.cell(code_row, 3).value = "CB09"
    out = io.BytesIO()
    book.save(out)
    read = read_files([("phieu_CB09_2025.xlsx", out.getvalue())], Q366, default_year=2025)
    unit = read.years[2025].units.iloc[0]
    assert json.loads(unit["conditions"]) == {
        "Tỷ lệ nhiệm vụ hoàn thành": 100,
        "Tỷ lệ nhiệm vụ chậm tiến độ": 5,
        "Tỷ lệ nhiệm vụ vượt mức": 40,
        "Có tổ chức đảng trực thuộc hoặc cấp ủy viên bị kỷ luật": 0,
    }
    assert unit["not_rated"] == "không ghi lý do"


def test_every_page_the_report_and_the_documents_with_conditions_and_a_unit_not_rated(tmp_path, monkeypatch):
    from datetime import datetime

    from streamlit.testing.v1 import AppTest

    from scoring import service
    from scoring.documents import CommitteeDetails, context
    from scoring.report import report_bytes
    from scoring.store import Store
    from tests.signing import sign_in_apptest

    read = read_files([("tong_hop_2025.xlsx", filled_template())], Q366)
    result = rate_year(read.years[2025], Q366)
    book = openpyxl.load_workbook(io.BytesIO(report_bytes(result)))
    rows = [[c.value for c in row] for row in book["Xếp hạng"].iter_rows()]
    cb06 = next(r for r in rows if "CB06" in r)
    assert "Không xếp loại" in cb06 and any(str(v).startswith("Không xếp loại: Mới thành lập") for v in cb06)
    now = datetime(2026, 1, 15)
    decision = context.decision(result, CommitteeDetails(), now)
    assert all("CB06" not in str(g) for g in decision["unit_groups"])
    context.report(result, None, CommitteeDetails(), now)
    letter = dict(context.letters(result, CommitteeDetails(), now))["CB06"]["unit"]
    assert (letter["tier"], letter["rank"]) == ("Không xếp loại: Mới thành lập tháng 9", "—")

    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    service.import_files(Store(url), [("tong_hop_2025.xlsx", filled_template())], framework=Q366)
    sign_in_apptest(monkeypatch, url, "canbo", "can_bo")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    for page in ("xep_hang", "don_vi", "nguoi_dung_dau", "xu_huong", "tieu_chi", "bao_cao", "dot_danh_gia"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
    at.switch_page("pages/don_vi.py").run()
    at.selectbox(key="unit").set_value("CB06").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [m.value for m in at.metric] == ["91,00", "—", "—/6", "—"]
    assert any(i.value.startswith("Không xếp loại") and "Mới thành lập" in i.value for i in at.info)


def test_the_round_s_pages_ask_the_unit_its_own_criteria_and_the_committee_the_conditions(tmp_path, monkeypatch):
    """Quy định 366 with 2.3 scored by the superior only: Tự chấm lists the unit's own criteria (not 2.3) and the
    unit submits without it; Thẩm định offers the four conditions and "Không xếp loại", and completing through the
    page records them."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    import pandas as pd

    from scoring.access import Actor, Role
    from scoring.rounds import Rounds, key
    from scoring.store import Store
    from tests.signing import sign_in_apptest
    from tests.test_dashboard import as_role, frame_with, visit

    fw = replace(
        Q366, criteria=tuple(replace(c, scored_by="superior") if c.code == "2.3" else c for c in Q366.criteria)
    )
    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    now = datetime.now(UTC)
    rounds = Rounds(Store(url))
    roster = pd.DataFrame({"code": ["CB01"], "name": ["Chi bộ 1"], "cluster": ["Khối cơ quan"]})
    rounds.open(Actor("canbo", Role.OFFICER), 2026, fw, roster, now + timedelta(days=5), now + timedelta(days=10))

    sign_in_apptest(monkeypatch, url, "cb01", "don_vi", "CB01")
    own = visit("tu_cham")
    assert frame_with(own, "Tự chấm")["Mã"].tolist() == ["1.1", "1.2", "1.3", "1.4", "2.1", "2.2"]
    unit = Actor("cb01", Role.UNIT, "CB01")
    marks = {key(c.target, c.code): float(c.max_points) for c in fw.self_scored("unit")}
    rounds.save_draft(unit, 2026, "CB01", marks, {}, {"name": "", "title": ""})
    rounds.submit(unit, 2026, "CB01")

    sign_in_apptest(monkeypatch, url, "canbo2", "can_bo")
    review = visit("tham_dinh")
    table = frame_with(review, "Lý do")
    assert table.set_index("Mã").loc["2.3", "Tự chấm"] == "—"
    labels = [w.label for w in (*review.number_input, *review.selectbox, *review.text_input)]
    for heading in HEADINGS[:3]:
        assert any(heading.replace("(%)", "").strip() in label for label in labels), heading
    review.number_input(key="complete_condition_0").set_value(100.0)
    review.number_input(key="complete_condition_1").set_value(0.0)
    review.number_input(key="complete_condition_2").set_value(25.0)
    review.selectbox(key="complete_condition_3").set_value(0.0)
    review.text_input(key="complete_reason").input("Theo báo cáo tổng kết").run()
    next(b for b in review.button if b.key == "complete").click().run()
    assert not review.exception, [e.value for e in review.exception]
    sheet = rounds.sheet(Actor("canbo", Role.OFFICER), 2026, "CB01")
    settings = sheet.settings
    assert sheet.state == "da_tham_dinh"
    assert settings["condition:Tỷ lệ nhiệm vụ vượt mức"] == 25.0 and settings.get("not_rated", "") == ""
