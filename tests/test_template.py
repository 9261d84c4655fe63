"""Blank templates: the layout the reader expects, validation bounds from the framework, protection,
and a filled-in template reads back exactly what was typed."""

import io
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from scoring import load_preset, read_files
from scoring.cli import main
from scoring.template import FORM_SHEET, TEMPLATE_ROWS, write_template

FW = load_preset()
UNIT_CODES, LEADER_CODES = FW.codes("unit"), FW.codes("leader")
MAX = {c.code: c.max_points for c in FW.criteria}
FIRST_ROW = 8  # first input row of the consolidated sheets


def _validation(ws, coordinate: str):
    found = [dv for dv in ws.data_validations.dataValidation if coordinate in dv.sqref]
    assert len(found) == 1, f"{ws.title}!{coordinate}: {len(found)} data validations"
    return found[0]


def _assert_score_rule(ws, coordinate: str, maximum) -> None:
    dv = _validation(ws, coordinate)
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", str(maximum))
    assert dv.showErrorMessage


def _columns(ws) -> dict:
    """(top header, sub header) → column letter, the top text carried over merged cells."""
    out, top = {}, None
    for c in range(1, ws.max_column + 1):
        top = ws.cell(6, c).value or top
        out[(top, ws.cell(7, c).value)] = openpyxl.utils.get_column_letter(c)
    return out


def _save(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- consolidated


@pytest.fixture(scope="module")
def consolidated(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "mau_tong_hop.xlsx"
    write_template(path, FW)
    return path


def test_consolidated_sheets_and_headers(consolidated):
    wb = openpyxl.load_workbook(consolidated)
    assert wb.sheetnames == ["Hướng dẫn", "Tổ chức", "Người đứng đầu", "Tiêu chí"]
    ws = wb["Tổ chức"]
    assert [ws.cell(6, c).value for c in range(1, 6)] == ["STT", "Mã đơn vị", "Tên đơn vị", "Khối", "1.1"]
    assert (ws["E7"].value, ws["F7"].value, ws["G6"].value) == ("Tự chấm", "Thẩm định", "1.2")
    assert {"E6:F6", "A6:A7", "B6:B7"} <= {str(r) for r in ws.merged_cells.ranges}
    assert any("NĂM ...." in str(ws.cell(r, 1).value) for r in range(1, 6))
    cols = _columns(ws)
    for code in UNIT_CODES:
        assert (code, "Tự chấm") in cols and (code, "Thẩm định") in cols
    for title in (
        "Điểm thưởng",
        "Điểm trừ",
        "Kỷ luật tập thể",
        "Kỷ luật người đứng đầu",
        "Mất đoàn kết",
        "Tham nhũng",
        "Ghi chú",
    ):
        assert (title, None) in cols
    leaders = _columns(wb["Người đứng đầu"])
    assert {
        ("Mã đơn vị", None),
        ("Họ và tên", None),
        ("Chức vụ", None),
        ("Kỷ luật", None),
        ("Tín nhiệm thấp trên 50%", None),
        ("N4", "Thẩm định"),
    } <= set(leaders)
    assert wb["Tiêu chí"]["A1"].value == "Mã tiêu chí" and wb["Tiêu chí"].max_row >= len(FW.criteria) + 1
    assert ws["B6"].font.name == ws["B8"].font.name == wb["Hướng dẫn"]["A1"].font.name == "Times New Roman"


def test_consolidated_guide_explains_the_columns(consolidated):
    guide = " ".join(
        str(c.value) for row in openpyxl.load_workbook(consolidated)["Hướng dẫn"].iter_rows() for c in row if c.value
    )
    for phrase in (
        "Tự chấm",
        "Thẩm định",
        "khiển trách",
        "cảnh cáo",
        "cách chức",
        "khai trừ",
        "“x”",
        "8,5",
        "Mã đơn vị",
        "Người đứng đầu",
    ):
        assert phrase in guide


def test_consolidated_validations_and_protection(consolidated):
    wb = openpyxl.load_workbook(consolidated)
    ws = wb["Tổ chức"]
    cols = _columns(ws)
    last = FIRST_ROW + TEMPLATE_ROWS - 1
    for code in UNIT_CODES:
        for kind in ("Tự chấm", "Thẩm định"):
            for row in (FIRST_ROW, last):
                _assert_score_rule(ws, f"{cols[(code, kind)]}{row}", MAX[code])
    assert not [dv for dv in ws.data_validations.dataValidation if f"{cols[('1.1', 'Tự chấm')]}{last + 1}" in dv.sqref]
    _assert_score_rule(ws, f"{cols[('Điểm thưởng', None)]}{FIRST_ROW}", FW.bonus_max)
    _assert_score_rule(ws, f"{cols[('Điểm trừ', None)]}{last}", FW.penalty_max)
    head = _validation(ws, f"{cols[('Kỷ luật người đứng đầu', None)]}{FIRST_ROW}")
    assert head.type == "list" and head.formula1 == '"Khiển trách,Cảnh cáo,Cách chức,Khai trừ"'
    collective = _validation(ws, f"{cols[('Kỷ luật tập thể', None)]}{FIRST_ROW}")
    assert collective.type == "list" and "Giải tán" in collective.formula1 and ",x" in collective.formula1
    for flag in ("Mất đoàn kết", "Tham nhũng"):
        assert _validation(ws, f"{cols[(flag, None)]}{FIRST_ROW}").formula1 == '"x"'
    leaders = wb["Người đứng đầu"]
    lcols = _columns(leaders)
    for code in LEADER_CODES:
        _assert_score_rule(leaders, f"{lcols[(code, 'Thẩm định')]}{FIRST_ROW}", MAX[code])
    assert _validation(leaders, f"{lcols[('Tín nhiệm thấp trên 50%', None)]}{last}").formula1 == '"x"'
    for sheet in (ws, leaders):
        assert sheet.protection.sheet and not sheet.protection.password
        assert sheet.freeze_panes == "E8"
        assert sheet["B6"].protection.locked and sheet["E7"].protection.locked and sheet["A1"].protection.locked
        assert not sheet["B8"].protection.locked and not sheet[f"E{last}"].protection.locked


def test_filled_consolidated_reads_back_exactly(consolidated):
    wb = openpyxl.load_workbook(consolidated)
    ws, leaders = wb["Tổ chức"], wb["Người đứng đầu"]
    title = next(c for row in ws.iter_rows(max_row=5) for c in row if "NĂM" in str(c.value or ""))
    title.value = title.value.replace("....", "2025")
    cols, lcols = _columns(ws), _columns(leaders)
    units = [
        {
            "code": "A01",
            "name": "Chi bộ Thôn Một",
            "cluster": "Khối thôn",
            "self": dict(zip(UNIT_CODES, [9, 9, 8, 18, 14, 14, 13, 5])),
            "review": dict(zip(UNIT_CODES, ["8,5", 9, 7.5, 17, 13, 14, 12.5, 4.5])),
            "bonus": 1.5,
            "penalty": None,
            "head": "Khiển trách",
            "disunity": "x",
        },
        {
            "code": "A02",
            "name": "Chi bộ Trường Mầm non Nắng Mai",
            "cluster": "Khối trường học",
            "self": {},
            "review": dict(zip(UNIT_CODES, [10, 10, 10, 20, 15, 15, 15, 5])),
            "bonus": None,
            "penalty": "0,5",
            "head": None,
            "disunity": None,
        },
    ]
    for r, u in enumerate(units, start=FIRST_ROW):
        for key, title in (
            ("code", "Mã đơn vị"),
            ("name", "Tên đơn vị"),
            ("cluster", "Khối"),
            ("bonus", "Điểm thưởng"),
            ("penalty", "Điểm trừ"),
            ("head", "Kỷ luật người đứng đầu"),
            ("disunity", "Mất đoàn kết"),
        ):
            ws[f"{cols[(title, None)]}{r}"] = u[key]
        for kind, label in (("self", "Tự chấm"), ("review", "Thẩm định")):
            for code, value in u[kind].items():
                ws[f"{cols[(code, label)]}{r}"] = value
        leaders[f"B{r}"], leaders[f"C{r}"], leaders[f"D{r}"] = u["code"], f"Người {r}", "Bí thư Chi bộ"
        for code, value in zip(LEADER_CODES, (18, 27.5, 26, "15,5")):
            leaders[f"{lcols[(code, 'Thẩm định')]}{r}"] = value
    leaders[f"{lcols[('Tín nhiệm thấp trên 50%', None)]}{FIRST_ROW + 1}"] = "x"

    read = read_files([("mau_tong_hop.xlsx", _save(wb))])
    assert read.errors == []
    data = read.years[2025]
    assert list(data.units["code"]) == ["A01", "A02"]
    assert list(data.units["name"]) == [u["name"] for u in units]
    assert list(data.units["cluster"]) == ["Khối thôn", "Khối trường học"]
    assert list(data.units["bonus"]) == [1.5, 0.0] and list(data.units["penalty"]) == [0.0, 0.5]
    assert list(data.units["head_discipline"]) == [1, 0] and list(data.units["disunity"]) == [True, False]
    assert data.unit_self.iloc[0].tolist() == [9, 9, 8, 18, 14, 14, 13, 5]
    assert data.unit_self.iloc[1].isna().all()
    assert data.unit_review.to_numpy().tolist() == [
        [8.5, 9, 7.5, 17, 13, 14, 12.5, 4.5],
        [10, 10, 10, 20, 15, 15, 15, 5],
    ]
    assert list(data.leaders["name"]) == ["Người 8", "Người 9"]
    assert list(data.leaders["low_confidence"]) == [False, True]
    assert data.leader_review.to_numpy().tolist() == [[18, 27.5, 26, 15.5]] * 2
    assert np.isnan(data.leader_self.to_numpy()).all()


# ---------------------------------------------------------------- per-unit form


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "mau_phieu.xlsx"
    write_template(path, FW, form=True)
    return path


def _rows_by_tt(ws) -> dict:
    return {ws.cell(r, 1).value: r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value}


def _label_rows(ws) -> dict:
    return {
        str(ws.cell(r, 2).value).rstrip(":"): r
        for r in range(1, ws.max_row + 1)
        if str(ws.cell(r, 2).value or "").endswith(":")
    }


def test_form_layout_validations_and_protection(form):
    wb = openpyxl.load_workbook(form)
    assert wb.sheetnames == [FORM_SHEET, "Hướng dẫn"]
    ws = wb[FORM_SHEET]
    rows = _rows_by_tt(ws)
    header = rows["TT"]
    assert [ws.cell(header, c).value for c in range(1, 6)] == ["TT", "Tiêu chí", "Điểm tối đa", "Tự chấm", "Thẩm định"]
    labels = _label_rows(ws)
    assert list(labels) == [
        "Mã đơn vị",
        "Tên đơn vị",
        "Khối",
        "Năm",
        "Người đứng đầu",
        "Chức vụ",
        "Kỷ luật tập thể",
        "Kỷ luật người đứng đầu",
        "Mất đoàn kết",
        "Tham nhũng",
        "Tín nhiệm thấp trên 50%",
        "Ghi chú",
        "Không xếp loại (lý do)",  # under the table, beside the score
    ]
    assert all(ws.cell(r, 3).value is None and not ws.cell(r, 3).protection.locked for r in labels.values())
    assert max(labels[k] for k in labels if k != "Không xếp loại (lý do)") < header < labels["Không xếp loại (lý do)"]
    assert _validation(ws, f"C{labels['Kỷ luật người đứng đầu']}").type == "list"
    assert _validation(ws, f"C{labels['Tham nhũng']}").formula1 == '"x"'
    for code in UNIT_CODES + LEADER_CODES:
        r = rows[code]
        assert rows[code] > header and ws.cell(r, 3).value == MAX[code]
        for c in "DE":
            _assert_score_rule(ws, f"{c}{r}", MAX[code])
            assert not ws[f"{c}{r}"].protection.locked
    assert rows["I"] < rows["1.1"] < rows["II"] < rows["2.1"] < rows["N1"]
    names = {ws.cell(r, 2).value: r for r in range(header, ws.max_row + 1)}
    _assert_score_rule(ws, f"E{names['Điểm thưởng']}", FW.bonus_max)
    _assert_score_rule(ws, f"D{names['Điểm trừ']}", FW.penalty_max)
    assert rows["2.5"] < names["Điểm thưởng"] < names["Điểm trừ"] < rows["N1"]
    assert str(ws.cell(ws.max_row - 2, 2).value).startswith("Tổng cộng")  # then a blank row and "Không xếp loại"
    assert ws.protection.sheet and ws["B1"].protection.locked and ws[f"C{rows['1.1']}"].protection.locked
    assert ws["A1"].font.name == ws[f"B{rows['1.1']}"].font.name == "Times New Roman"


def test_filled_form_reads_back_exactly(form):
    wb = openpyxl.load_workbook(form)
    ws = wb[FORM_SHEET]
    labels, rows = _label_rows(ws), _rows_by_tt(ws)
    names = {ws.cell(r, 2).value: r for r in range(rows["TT"], ws.max_row + 1)}
    for label, value in (
        ("Mã đơn vị", "dv07"),
        ("Tên đơn vị", "Chi bộ Tổ dân phố Số 7"),
        ("Khối", "Khối thôn"),
        ("Năm", 2024),
        ("Người đứng đầu", "Trần Thị Mai"),
        ("Chức vụ", "Bí thư Chi bộ"),
        ("Kỷ luật người đứng đầu", "Cảnh cáo"),
        ("Tham nhũng", "x"),
        ("Tín nhiệm thấp trên 50%", "x"),
        ("Ghi chú", "Nộp muộn"),
    ):
        ws[f"C{labels[label]}"] = value
    self_scores = dict(zip(UNIT_CODES + LEADER_CODES, [9, 9, 8, 18, 14, 14, 13, 5, 19, 28, 27, 18]))
    review = dict(zip(UNIT_CODES + LEADER_CODES, ["8,5", 9, 7.5, 17, 13, 14, 12.5, 4.5, 18, 27.5, 26, "15,5"]))
    for code in self_scores:
        ws[f"D{rows[code]}"], ws[f"E{rows[code]}"] = self_scores[code], review[code]
    ws[f"D{names['Điểm thưởng']}"], ws[f"E{names['Điểm thưởng']}"] = 2, 1.5
    ws[f"E{names['Điểm trừ']}"] = "0,5"

    read = read_files([("mau_phieu.xlsx", _save(wb))])
    assert read.errors == []
    unit = read.years[2024].units.iloc[0]
    assert (unit["code"], unit["name"], unit["cluster"], unit["note"]) == (
        "DV07",
        "Chi bộ Tổ dân phố Số 7",
        "Khối thôn",
        "Nộp muộn",
    )
    assert (unit["bonus"], unit["penalty"], unit["head_discipline"], unit["corruption"], unit["disunity"]) == (
        1.5,
        0.5,
        2,
        True,
        False,
    )
    data = read.years[2024]
    assert data.unit_self.iloc[0].tolist() == [self_scores[c] for c in UNIT_CODES]
    assert data.unit_review.iloc[0].tolist() == [8.5, 9, 7.5, 17, 13, 14, 12.5, 4.5]
    leader = data.leaders.iloc[0]
    assert (leader["unit_code"], leader["name"], leader["title"], leader["discipline"], leader["low_confidence"]) == (
        "DV07",
        "Trần Thị Mai",
        "Bí thư Chi bộ",
        2,
        True,
    )
    assert data.leader_self.iloc[0].tolist() == [19, 28, 27, 18]
    assert data.leader_review.iloc[0].tolist() == [18, 27.5, 26, 15.5]


def test_cli_writes_both_templates(tmp_path):
    assert main(["template", "-o", str(tmp_path / "a.xlsx")]) == 0
    assert main(["template", "-o", str(tmp_path / "b.xlsx"), "--form"]) == 0
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").sheetnames[1] == "Tổ chức"
    assert openpyxl.load_workbook(tmp_path / "b.xlsx").sheetnames[0] == FORM_SHEET


def test_total_column_is_locked_and_computes_the_engine_total(consolidated, tmp_path, soffice):
    from conftest import convert

    from scoring import rate_all, read_paths

    wb = openpyxl.load_workbook(consolidated)
    ws = wb["Tổ chức"]
    total_col = ws.max_column
    assert ws.cell(6, total_col).value == "Tổng điểm (tự tính)"
    first = 8
    assert ws.cell(first, total_col).data_type == "f" and ws.cell(first, total_col).protection.locked
    ws.cell(first, 2, "DV01")
    ws.cell(first, 3, "Chi bộ A")
    ws.cell(first, 4, "K")
    scores = [10, 9.5, 9, None, 8, 8, 20, 18, 14, 13.25, 14, 14, 15, 14, 5, 4.5]  # 1.2 review blank → self 9
    for i, v in enumerate(scores):
        ws.cell(first, 5 + i, v)
    ws.cell(first, 5 + len(scores), 1)  # bonus
    ws.cell(first, 6 + len(scores), 0.5)  # penalty
    path = tmp_path / "filled_2025.xlsx"
    wb.save(path)
    recalculated = convert(soffice, path, "xlsx", tmp_path / "lo")
    shown = openpyxl.load_workbook(recalculated, data_only=True)["Tổ chức"].cell(first, total_col).value
    engine = rate_all(read_paths([recalculated]))[0].units.total.iloc[0]
    assert shown == pytest.approx(engine) == 90.75  # 9.5+9+8+18+13.25+14+14+4.5 = 90.25, + 1 − 0.5
