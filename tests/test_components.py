"""Criteria only the superior scores and criteria with components (issue 26 §2), by hand, through the template,
the form, the reader and a whole round."""

import io
from datetime import timedelta

import openpyxl
import pandas as pd
import pytest
from builders import START, by_code, year_data

from scoring import rate_year, read_files
from scoring.access import Actor, Role
from scoring.framework import UNIT, from_toml
from scoring.rounds import RoundError, Rounds, key
from scoring.store import Store
from scoring.template import template_bytes

TOML = """
name = "Có thành phần và tiêu chí cấp trên chấm"
tie_break_group = "II"
[[groups]]
key = "I"
name = "I. Tiêu chí chung"
[[groups]]
key = "II"
name = "II. Kết quả"
[[groups]]
key = "III"
name = "III. Cấp trên đánh giá"
[[criteria]]
code = "1.1"
group = "I"
name = "Quán triệt"
max = 30
[[criteria]]
code = "2.1"
group = "II"
name = "Dân chủ ở cơ sở"
max = 20
{weight}
[[criteria]]
code = "2.1.a"
parent = "2.1"
name = "Công khai"
max = 12
[[criteria]]
code = "2.1.b"
parent = "2.1"
name = "Đối thoại"
max = 8
[[criteria]]
code = "2.2"
group = "II"
name = "Tiếp công dân"
max = 40
[[criteria]]
code = "3.1"
group = "III"
name = "Cấp trên đánh giá chung"
max = 10
scored_by = "superior"
"""
FW = from_toml(TOML.format(weight=""))


def test_the_framework_scores_leaves_and_reads_them_as_criteria():
    assert [c.code for c in FW.of(UNIT)] == ["1.1", "2.1.a", "2.1.b", "2.2", "3.1"]
    assert [c.code for c in FW.headings(UNIT)] == ["1.1", "2.1", "2.2", "3.1"]
    assert [c.code for c in FW.self_scored(UNIT)] == ["1.1", "2.1.a", "2.1.b", "2.2"]
    assert {c.code: c.group for c in FW.components("2.1")} == {"2.1.a": "II", "2.1.b": "II"}
    assert FW.problems() == [] and from_toml(__import__("scoring.framework").framework.to_toml(FW)) == FW
    # 2.1 weighing 30 shares it by maxima: 2.1.a 30 × 12/20 = 18, 2.1.b 12
    weighted = from_toml(TOML.format(weight="weight = 30"))
    assert {k: float(v) for k, v in weighted.weights(UNIT).items()} == {
        "1.1": 30, "2.1.a": 18, "2.1.b": 12, "2.2": 40, "3.1": 10}  # fmt: skip
    bad = from_toml(
        TOML.format(weight="")
        .replace("max = 8", "max = 9")
        .replace('parent = "2.1"\nname = "Công', 'parent = "9.9"\nname = "Công')
    )
    assert "Tiêu chí 2.1: điểm tối đa 20 khác tổng các thành phần (9)" in bad.problems()
    assert "Tiêu chí 2.1.a: không có tiêu chí “9.9” để làm thành phần" in bad.problems()


def test_components_are_summed_and_the_superior_criterion_ignores_self_scores():
    """A: self 1.1 25, 2.1.a 10, 2.1.b 6, 2.2 35 and a self 3.1 of 10 a sheet should not hold; the committee gives
    3.1 = 8 → 25 + 16 + 35 + 8 = 84 (self total 76: the self 3.1 never counts). B: the same without 3.1 appraised
    → 3.1 counts 0 with a warning: 76. C: appraised at A's scores but self-assessed only 3.1 → no
    self-assessment of its own criteria → KHTNV.
    With 2.1 weighing 30 (weights 30, 18, 12, 40, 10 of 110): A = 100 × (25 + 10/12×18 + 6/8×12 + 35 + 8)/110
    = 100 × 92/110 = 83,64."""
    own = {"1.1": 25, "2.1.a": 10, "2.1.b": 6, "2.2": 35, "3.1": 10}
    units = [
        {"code": "A", "cluster": "K", "self": own, "review": {"3.1": 8}},
        {"code": "B", "cluster": "K", "self": own, "review": {}},
        {"code": "C", "cluster": "K", "self": {"3.1": 10}, "review": own | {"3.1": 8}},
    ]
    result = rate_year(year_data(units, fw=FW, has_self_columns=True), FW)
    r = by_code(result)
    assert r["total"].to_dict() == {"A": 84.0, "B": 76.0, "C": 84.0}
    assert r.loc["A", "self_score"] == 76.0 and r.loc["C", "tier"] == "KHTNV"
    assert (
        r.loc["C", "reason"] == "Đủ điểm HTTNV (84,00) nhưng không tự chấm → KHTNV"
        and r.loc["A", "reason"] == r.loc["B", "reason"] == ""
    )
    assert any(w.message == "B: tiêu chí 3.1 trống cả tự chấm và thẩm định, tính 0 điểm" for w in result.warnings)
    weighted = from_toml(TOML.format(weight="weight = 30"))
    assert by_code(rate_year(year_data(units[:1], fw=weighted, has_self_columns=True), weighted)).loc[
        "A", "total"
    ] == pytest.approx(83.64)


def test_the_template_and_the_form_have_no_self_cell_for_the_superior_criterion_and_read_back():
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(FW)))
    ws = book["Tổ chức"]
    top = [ws.cell(6, c).value for c in range(1, ws.max_column + 1)]
    sub = [ws.cell(7, c).value for c in range(1, ws.max_column + 1)]
    assert [t for t in top if t in ("1.1", "2.1", "2.1.a", "2.1.b", "2.2", "3.1")] == [
        "1.1",
        "2.1.a",
        "2.1.b",
        "2.2",
        "3.1",
    ]
    at = {(t, s): c + 1 for c, (t, s) in enumerate(zip(top, sub))}
    assert ("3.1", "Tự chấm") not in at and ("3.1", "Thẩm định") in at
    ws.cell(4, 1).value = "BẢNG TỔNG HỢP NĂM 2025"
    for col, value in (("Mã đơn vị", "A"), ("Tên đơn vị", "Chi bộ A"), ("Khối", "K")):
        ws.cell(8, top.index(col) + 1).value = value
    for code, value in {"1.1": 25, "2.1.a": 10, "2.1.b": 6, "2.2": 35}.items():
        ws.cell(8, at[(code, "Tự chấm")]).value = value
    ws.cell(8, at[("3.1", "Thẩm định")]).value = 8
    out = io.BytesIO()
    book.save(out)
    read = read_files([("tong_hop_2025.xlsx", out.getvalue())], FW)
    assert [i for i in read.issues if i.severity == "error"] == []
    assert by_code(rate_year(read.years[2025], FW)).loc["A", "total"] == 84.0

    form = openpyxl.load_workbook(io.BytesIO(template_bytes(FW, form=True)))
    ws = form.active
    rows = {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}
    assert rows["2.1"] < rows["2.1.a"] < rows["2.1.b"] < rows["2.2"]
    assert ws.cell(rows["2.1"], 4).value == f"=SUM(D{rows['2.1.a']}:D{rows['2.1.b']})"
    assert ws.cell(rows["3.1"], 4).protection.locked and not ws.cell(rows["3.1"], 5).protection.locked
    assert ws.cell(rows["II"], 4).value == f"=SUM(D{rows['2.1.a']}:D{rows['2.2']})"  # the inputs, not 2.1's sum
    for code, value in {"1.1": 25, "2.1.a": 10, "2.1.b": 6, "2.2": 35}.items():
        ws.cell(rows[code], 4).value = value
    ws.cell(rows["2.1"], 4).value = 16  # the subtotal as a spreadsheet computes it: not read
    ws.cell(rows["3.1"], 5).value = 8
    code_row = next(r for r in range(1, 20) if str(ws.cell(r, 2).value).startswith("Mã đơn vị"))
    ws.cell(code_row, 3).value = "A"
    out = io.BytesIO()
    form.save(out)
    read = read_files([("phieu_A.xlsx", out.getvalue())], FW, default_year=2025)
    assert [i for i in read.issues if i.severity == "error"] == []
    assert by_code(rate_year(read.years[2025], FW)).loc["A", "total"] == 84.0


def test_a_unit_submits_without_the_superior_criterion_and_the_committee_scores_it(database_url, clock):
    officer, head, unit_a = Actor("canbo", Role.OFFICER), Actor("lanhdao", Role.LEADERSHIP), Actor("a", Role.UNIT, "A")
    rounds = Rounds(Store(database_url), clock)
    roster = pd.DataFrame({"code": ["A"], "name": ["Chi bộ A"], "cluster": ["K"]})
    rounds.open(officer, 2026, FW, roster, START + timedelta(days=10), START + timedelta(days=20))
    own = {key(UNIT, c): v for c, v in {"1.1": 25, "2.1.a": 10, "2.1.b": 6, "2.2": 35}.items()}
    with pytest.raises(RoundError, match="Không có tiêu chí 3.1"):
        rounds.save_draft(unit_a, 2026, "A", own | {key(UNIT, "3.1"): 10}, {}, {"name": "", "title": ""})
    with pytest.raises(RoundError, match="Không có tiêu chí 2.1"):
        rounds.save_draft(unit_a, 2026, "A", {key(UNIT, "2.1"): 16}, {}, {"name": "", "title": ""})
    rounds.save_draft(unit_a, 2026, "A", own, {}, {"name": "", "title": ""})
    rounds.submit(unit_a, 2026, "A")
    rounds.complete(officer, 2026, "A", {}, "Đã xem xét", {key(UNIT, "3.1"): 8}, {key(UNIT, "3.1"): "Đánh giá chung"})
    provisional = by_code(rounds.provisional(head, 2026))
    assert provisional.loc["A", ["self_score", "total"]].tolist() == [76.0, 84.0]


def test_pages_and_the_report_show_the_criterion_and_on_demand_its_components(tmp_path, monkeypatch):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from scoring import views
    from scoring.report import report_bytes
    from tests.signing import sign_in_apptest

    own = {"1.1": 25, "2.1.a": 10, "2.1.b": 6, "2.2": 35}
    data = year_data([{"code": "A", "cluster": "K", "self": own, "review": {"3.1": 8}}], fw=FW, has_self_columns=True)
    result = rate_year(data, FW)
    table = views.unit_criteria(result, "A")
    assert table["Mã"].tolist() == ["1.1", "2.1", "2.2", "3.1"]
    assert table.set_index("Mã").loc["2.1", ["Tối đa", "Tự chấm", "Điểm tính"]].tolist() == [20, 16, 16]
    assert table.set_index("Mã")["Tự chấm"].isna().tolist() == [False, False, False, True]
    detailed = views.unit_criteria(result, "A", components=True)
    assert detailed["Mã"].tolist() == ["1.1", "2.1", "2.1.a", "2.1.b", "2.2", "3.1"]
    assert detailed.set_index("Mã").loc["2.1.b", "Điểm tính"] == 6
    book = openpyxl.load_workbook(io.BytesIO(report_bytes(result)))
    headings = [c.value for row in book["Chi tiết tiêu chí"].iter_rows(max_row=6) for c in row if c.value]
    assert "2.1 (20đ)" in headings and not any(str(h).startswith("2.1.a") for h in headings)
    method = [r[1].value for r in book["Phương pháp"].iter_rows() if r[0].value == "3.1"]
    assert method == ["Cấp trên đánh giá chung (cấp trên chấm)"]

    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    Store(url).store_years([data], FW, "chosen", "test")
    sign_in_apptest(monkeypatch, url, "canbo", "can_bo")
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=180).run()
    for page in ("xep_hang", "don_vi", "tieu_chi", "bao_cao"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
    at.switch_page("pages/don_vi.py").run()
    at.toggle(key="unit_components").set_value(True).run()
    assert not at.exception
    tables = [d.value for d in at.dataframe if "Mã" in d.value.columns]
    assert tables and tables[0]["Mã"].tolist() == ["1.1", "2.1", "2.1.a", "2.1.b", "2.2", "3.1"]


def test_the_tieu_chi_sheet_and_the_editor_keep_components_scorers_tiers_caps_and_conditions():
    """Both ways: a framework written as a "Tiêu chí" sheet (and as the page's editable rows) reads back equal,
    with its components, its superior-only criterion, a five-tier scale with caps, and Quy định 366's conditions."""
    from dataclasses import replace

    from scoring.framework import load_framework_file, load_preset
    from scoring.framework_rows import from_table, to_rows, to_table
    from scoring.reader import read_framework_bytes
    from tests.test_framework import sheet_bytes

    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    five = load_framework_file(root / "docs" / "examples" / "dan_van_chinh_quyen_5_muc.toml")
    q366 = load_preset("quy_dinh_366")
    for fw in (FW, five, q366, replace(five, criteria=FW.criteria, groups=FW.groups, conditions=())):
        back, issues = read_framework_bytes("tc.xlsx", sheet_bytes(to_rows(fw)), load_preset())
        assert issues == [] and back is not None
        assert replace(back, source="", name=fw.name, tie_break_group=fw.tie_break_group) == replace(fw, source="")
        edited, problems = from_table(fw, to_table(fw))
        assert problems == [] and edited == fw
    rows = [r[2] for r in to_rows(q366)]
    assert "Điều kiện HTXSNV: Tỷ lệ nhiệm vụ vượt mức ≥ 30 %" in rows
    assert "Điều kiện HTXSNV: Có tổ chức đảng trực thuộc hoặc cấp ủy viên bị kỷ luật không" in rows
    assert "Mức XS: Xuất sắc" in [r[2] for r in to_rows(five)]
    assert "Giới hạn: người đứng đầu bị khiển trách → KHA" in [r[2] for r in to_rows(five)]
