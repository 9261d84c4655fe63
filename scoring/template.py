"""Blank scoresheets to hand out (docs/input.md): the consolidated workbook and the per-unit form.

The layouts written here are the ones scoring/reader.py reads. scoring/sample.py fills the same
layouts with generated data through write_table and write_form, so the two never drift apart.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import groupby
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from .conditions import PERCENT, measures
from .flags import FLAG, FLAG_LABELS, LEADER_FLAGS, RULE_FLAGS, UNIT_FLAGS, Flag
from .framework import LEADER, SUPERIOR, UNIT, Framework, Group
from .framework_rows import BONUS_ROW, PENALTY_ROW, to_rows
from .sheet_style import (
    BORDER,
    LOCKED,
    SHADED,
    UNLOCKED,
    Heading,
    _fit_height,
    _header_cell,
    _heading,
    _input_style,
    _page,
    _protect,
    _title,
    _validate,
    font,
    put,
    save,
)
from .template_guide import BLANK_YEAR, consolidated_guide, form_guide, write_guide
from .text import number_text
from .vocabulary import CONDITION, NOT_RATED_HEADING, REVIEW, SELF, SHEET_FRAMEWORK, SHEET_LEADERS, SHEET_UNITS

SELF_LABEL, REVIEW_LABEL = "Tự chấm", "Thẩm định"
GUIDE_SHEET, FORM_SHEET = "Hướng dẫn", "Phiếu chấm điểm"
UNITS_TITLE = "BẢNG TỔNG HỢP ĐIỂM CÔNG TÁC DÂN VẬN NĂM {year}"
LEADERS_TITLE = "BẢNG TỔNG HỢP ĐIỂM ĐÁNH GIÁ NGƯỜI ĐỨNG ĐẦU NĂM {year}"
FORM_TITLE = "PHIẾU CHẤM ĐIỂM CÔNG TÁC DÂN VẬN"
TEMPLATE_ROWS = 200
TABLE_TOP = 6  # the two header rows of a consolidated table; data from TABLE_TOP + 2
META_COLUMNS = 4  # STT, code, name, cluster (or title): kept in view when scrolling
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


@dataclass
class Column:
    """A column of a consolidated table. `sub` is the second header row ("Tự chấm"/"Thẩm định");
    columns without one are merged over both header rows."""

    key: object  # key of the value in a record: a reader role, or (SELF|REVIEW, criterion code)
    top: str
    sub: str = ""
    width: float = 9
    align: str = "center"
    validation: DataValidation | None = None


# ---------------------------------------------------------------- data validation


def score_rule(maximum: Decimal, what: str) -> DataValidation:
    top = number_text(float(maximum))
    return DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2=top,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Điểm không hợp lệ",
        error=f"{what}: nhập số từ 0 đến {top}.",
    )


def choice_rule(options: tuple[str, ...], what: str) -> DataValidation:
    shown = ", ".join(f"“{o}”" for o in options)
    return DataValidation(
        type="list",
        formula1='"' + ",".join(options) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Giá trị không hợp lệ",
        error=f"{what}: chọn {shown} hoặc để trống.",
    )


def year_rule() -> DataValidation:
    return DataValidation(
        type="whole",
        operator="between",
        formula1="2000",
        formula2="2100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Năm không hợp lệ",
        error="Ghi năm bằng bốn chữ số.",
    )


def flag_rule(flag: Flag, label: str = "") -> DataValidation:
    return choice_rule(flag.choices, label or flag.label)


# ---------------------------------------------------------------- consolidated tables


def _score_columns(fw: Framework, target: str) -> list[Column]:
    """Two columns per criterion scored (self, appraisal); one (appraisal) for a criterion the superior scores."""
    return [
        Column((kind, c.code), c.code, label, 8, validation=score_rule(c.max_points, f"Tiêu chí {c.code}"))
        for c in fw.of(target)
        for kind, label in ((SELF, SELF_LABEL), (REVIEW, REVIEW_LABEL))
        if kind == REVIEW or c.scored_by != SUPERIOR
    ]


def unit_columns(fw: Framework) -> list[Column]:
    """The "Tổ chức" sheet: meta columns, two columns per criterion, then adjustments and facts."""
    return [
        Column("stt", "STT", width=5),
        Column("code", "Mã đơn vị", width=10),
        Column("name", "Tên đơn vị", width=36, align="left"),
        Column("cluster", "Khối", width=22, align="left"),
        *_score_columns(fw, UNIT),
        Column("bonus", "Điểm thưởng", validation=score_rule(fw.bonus_max, "Điểm thưởng")),
        Column("penalty", "Điểm trừ", validation=score_rule(fw.penalty_max, "Điểm trừ")),
        *(Column(f.code, f.label, width=f.width, validation=flag_rule(f)) for f in UNIT_FLAGS),
        *condition_columns(fw),
        Column("not_rated", NOT_RATED_HEADING, width=18, align="left"),
        Column("note", "Ghi chú", width=28, align="left"),
    ]


def condition_columns(fw: Framework) -> list[Column]:
    """One column per value the framework's conditions ask (Quy định 366): its name as the heading."""
    return [
        Column(CONDITION + name, condition_heading(name, kind), width=14, validation=condition_rule(name, kind))
        for name, kind in measures(fw.conditions).items()
    ]


def condition_heading(name: str, kind: str) -> str:
    return f"{name} (%)" if kind == PERCENT else name


def condition_rule(name: str, kind: str) -> DataValidation:
    return score_rule(Decimal(100), name) if kind == PERCENT else choice_rule(("Có", "Không"), name)


def leader_columns(fw: Framework) -> list[Column]:
    """The "Người đứng đầu" sheet."""
    return [
        Column("stt", "STT", width=5),
        Column("code", "Mã đơn vị", width=10),
        Column("name", "Họ và tên", width=24, align="left"),
        Column("title", "Chức vụ", width=20, align="left"),
        *_score_columns(fw, LEADER),
        Column("discipline", "Kỷ luật", width=12, validation=flag_rule(FLAG["head_discipline"], "Kỷ luật")),
        *(Column(f.code, f.label, width=f.width, validation=flag_rule(f)) for f in LEADER_FLAGS),
    ]


def write_table(
    ws: Worksheet, columns: list[Column], heading: Heading, title: str, records: list[dict], blank_rows: int = 0
) -> None:
    """Header block, title, two-row header, one row per record and `blank_rows` empty input rows.
    Data cells are unlocked and validated; the sheet is protected (no password)."""
    n = len(columns)
    _heading(ws, heading, (1, META_COLUMNS), (max(META_COLUMNS + 1, n - 7), n))
    _title(ws, title, 4, n)
    _table_header(ws, columns, TABLE_TOP)
    first = TABLE_TOP + 2
    last = first + len(records) + blank_rows - 1
    for r, record in enumerate(records, start=first):
        for c, col in enumerate(columns, start=1):
            put(ws, r, c, record.get(col.key))
        _fit_height(ws, r, [(record.get(col.key), col.width) for col in columns if col.align == "left"])
    for c, col in enumerate(columns, start=1):
        letter = get_column_letter(c)
        ws.column_dimensions[letter].width = col.width
        style = _input_style(ws, col.align)
        for r in range(first, last + 1):
            ws.cell(r, c).style = style
        if col.validation is not None and last >= first:
            _validate(ws, col.validation, f"{letter}{first}:{letter}{last}")
    ws.freeze_panes = ws.cell(first, META_COLUMNS + 1)
    ws.print_title_rows = f"{TABLE_TOP}:{TABLE_TOP + 1}"
    _page(ws, landscape=True)
    _protect(ws)


def _table_header(ws: Worksheet, columns: list[Column], row: int) -> None:
    for (top, split), members in groupby(enumerate(columns, start=1), key=lambda p: (p[1].top, bool(p[1].sub))):
        indexes = [i for i, _ in members]
        put(ws, row, indexes[0], top)
        if split:
            for i in indexes:
                put(ws, row + 1, i, columns[i - 1].sub)
            ws.merge_cells(start_row=row, start_column=indexes[0], end_row=row, end_column=indexes[-1])
        else:
            ws.merge_cells(start_row=row, start_column=indexes[0], end_row=row + 1, end_column=indexes[0])
    for r in (row, row + 1):
        ws.row_dimensions[r].height = 32
        for c in range(1, len(columns) + 1):
            _header_cell(ws.cell(r, c))


def write_criteria(ws: Worksheet, fw: Framework) -> None:
    """The "Tiêu chí" sheet: the framework in the columns the reader takes back."""
    for r, values in enumerate(to_rows(fw), start=1):
        for c, value in enumerate(values, start=1):
            cell = put(ws, r, c, value if value != "" else None)
            if r == 1:
                _header_cell(cell)
            else:
                cell.font, cell.border = font(), BORDER
                cell.alignment = Alignment(vertical="center", wrap_text=True)
    for letter, width in zip("ABCDEF", (12, 32, 70, 12, 10, 17)):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    _page(ws, landscape=True)


# ---------------------------------------------------------------- per-unit form

FORM_LABELS = (
    ("code", "Mã đơn vị"),
    ("name", "Tên đơn vị"),
    ("cluster", "Khối"),
    ("year", "Năm"),
    ("leader_name", "Người đứng đầu"),
    ("leader_title", "Chức vụ"),
    *FLAG_LABELS.items(),
    ("note", "Ghi chú"),
)
FORM_COLUMNS = (("TT", 7), ("Tiêu chí", 62), ("Điểm tối đa", 11), (SELF_LABEL, 11), (REVIEW_LABEL, 11))
FORM_LABEL_ROW = 6
FORM_HEADER_ROW = FORM_LABEL_ROW + len(FORM_LABELS) + 1
_LABEL_RULES = {"year": year_rule, **{f.code: (lambda f=f: flag_rule(f)) for f in RULE_FLAGS}}


def write_form(
    ws: Worksheet, fw: Framework, heading: Heading, labels: dict | None = None, scores: dict[str, tuple] | None = None
) -> None:
    """One unit's "Phiếu chấm điểm": labelled cells (label in B, value in C), then the table
    TT | Tiêu chí | Điểm tối đa | Tự chấm | Thẩm định. `labels` maps FORM_LABELS keys to values;
    `scores` maps criterion codes, BONUS_ROW and PENALTY_ROW to (self, review)."""
    labels, scores = labels or {}, scores or {}
    _heading(ws, heading, (1, 2), (3, 5))
    _title(ws, FORM_TITLE, 4, 5)
    ws.row_dimensions[4].height = 30
    for r, (key, text) in enumerate(FORM_LABELS, start=FORM_LABEL_ROW):
        label = put(ws, r, 2, f"{text}:")
        label.font, label.alignment = font(), Alignment(horizontal="right")
        value = put(ws, r, 3, labels.get(key))
        value.font, value.protection = font(bold=True), UNLOCKED
        if key in _LABEL_RULES:
            _validate(ws, _LABEL_RULES[key](), value.coordinate)
    for c, (text, width) in enumerate(FORM_COLUMNS, start=1):
        _header_cell(put(ws, FORM_HEADER_ROW, c, text))
        ws.column_dimensions[get_column_letter(c)].width = width
    r, subtotals = FORM_HEADER_ROW + 1, []
    for group in fw.groups:
        subtotals.append(r)
        r = _form_section(
            ws, r, group.key, _group_title(group), [c for c in fw.headings(UNIT) if c.group == group.key], scores, fw
        )
    bonus_row, penalty_row = r, r + 1
    _form_input(ws, bonus_row, ("", BONUS_ROW, fw.bonus_max), scores.get(BONUS_ROW))
    _form_input(ws, penalty_row, ("", PENALTY_ROW, fw.penalty_max), scores.get(PENALTY_ROW))
    r = penalty_row + 1
    if fw.of(LEADER):
        roman = _ROMAN[min(len(fw.groups), len(_ROMAN) - 1)]
        r = _form_section(ws, r, roman, "Đánh giá người đứng đầu", list(fw.headings(LEADER)), scores, fw)
    keys = " + ".join(g.key for g in fw.groups)
    _form_row(ws, r, "", f"Tổng cộng điểm tổ chức ({keys} + điểm thưởng − điểm trừ)", None, bold=True)
    for c in (4, 5):
        letter = get_column_letter(c)
        parts = "+".join(f"{letter}{s}" for s in subtotals)
        ws.cell(r, c, f"={parts}+{letter}{bonus_row}-{letter}{penalty_row}")
    _form_beside_score(ws, r + 2, fw, labels)
    ws.print_title_rows = f"{FORM_HEADER_ROW}:{FORM_HEADER_ROW}"
    _page(ws, landscape=False)
    _protect(ws)


def _form_beside_score(ws: Worksheet, r: int, fw: Framework, labels: dict) -> None:
    """Under the table, labelled like the cells above it: the framework's conditions (Quy định 366) and whether
    the unit is not rated this year."""
    rows = [(CONDITION + name, condition_heading(name, kind), condition_rule(name, kind))
            for name, kind in measures(fw.conditions).items()]  # fmt: skip
    if rows:
        put(ws, r, 2, "Điều kiện xếp loại ngoài điểm").font = font(bold=True)
        r += 1
    for key, text, rule in [*rows, ("not_rated", NOT_RATED_HEADING, None)]:
        label = put(ws, r, 2, f"{text}:")
        label.font, label.alignment = font(), Alignment(horizontal="right", wrap_text=True)
        value = put(ws, r, 3, labels.get(key))
        value.font, value.protection = font(bold=True), UNLOCKED
        if rule is not None:
            _validate(ws, rule, value.coordinate)
        r += 1


def _group_title(group: Group) -> str:
    return group.name.removeprefix(f"{group.key}.").strip() or group.name


def _form_section(ws: Worksheet, r: int, tt: str, title: str, headings: list, scores: dict, fw: Framework) -> int:
    """A group row summing its criteria, then per criterion an input row, or a row summing its components and
    an input row per component (scores are entered at the lowest level); returns the next free row."""
    total = sum((c.max_points for c in headings), Decimal(0))
    _form_row(ws, r, tt, title, total, bold=True)
    inputs, row = [], r + 1
    for heading in headings:
        parts = fw.components(heading.code)
        if parts:
            _form_row(ws, row, heading.code, heading.name, heading.max_points)
            _sums(ws, row, list(range(row + 1, row + 1 + len(parts))))
            row += 1
        for criterion in parts or (heading,):
            _form_input(ws, row, criterion, scores.get(criterion.code))
            inputs.append(row)
            row += 1
    _sums(ws, r, inputs)
    return row


def _sums(ws: Worksheet, r: int, rows: list[int]) -> None:
    """Row r's self and appraisal cells sum the given rows."""
    if not rows:
        return
    for c in (4, 5):
        letter = get_column_letter(c)
        contiguous = rows == list(range(rows[0], rows[-1] + 1))
        parts = f"SUM({letter}{rows[0]}:{letter}{rows[-1]})" if contiguous else "+".join(f"{letter}{i}" for i in rows)
        ws.cell(r, c, f"={parts}")


def _form_input(ws: Worksheet, r: int, criterion, values: tuple | None) -> None:
    """A criterion's input row (a bonus or penalty row is a criterion-like (code "", name, maximum)); a criterion
    only the superior scores has its self cell locked and shaded."""
    code, text, maximum = criterion if isinstance(criterion, tuple) else (criterion.code, criterion.name,
                                                                          criterion.max_points)  # fmt: skip
    _form_row(ws, r, code, text, maximum)
    for c, value in zip((4, 5), values or (None, None)):
        put(ws, r, c, value).protection = UNLOCKED
    if getattr(criterion, "scored_by", "") == SUPERIOR:
        cell = ws.cell(r, 4, None)
        cell.protection, cell.fill = LOCKED, SHADED
    _validate(ws, score_rule(maximum, code or text), f"D{r}:E{r}")


def _form_row(ws: Worksheet, r: int, tt: str, text: str, maximum: Decimal | None, bold: bool = False) -> None:
    put(ws, r, 1, tt or None)
    put(ws, r, 2, text)
    _fit_height(ws, r, [(text, FORM_COLUMNS[1][1])])
    put(ws, r, 3, cell_number(maximum))
    for c in range(1, 6):
        cell = ws.cell(r, c)
        cell.font, cell.border = font(bold=bold), BORDER
        cell.alignment = Alignment(horizontal="left" if c == 2 else "center", vertical="center", wrap_text=True)


def cell_number(value: Decimal | float | None) -> int | float | None:
    """A number as a person types it in a cell: 9 rather than 9.0; None (a blank cell) for no value or NaN."""
    if value is None or value != value:
        return None
    return int(value) if float(value).is_integer() else float(value)


# ---------------------------------------------------------------- template entry point


def framework_sheet_bytes(framework: Framework) -> bytes:
    """A workbook with only the "Tiêu chí" sheet of a framework, as bytes."""
    wb = Workbook()
    wb.active.title = SHEET_FRAMEWORK
    write_criteria(wb.active, framework)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def template_bytes(framework: Framework, form: bool = False) -> bytes:
    """The template as bytes, for a download button."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mau.xlsx"
        write_template(path, framework, form)
        return path.read_bytes()


def write_template(path: Path, framework: Framework, form: bool = False) -> None:
    """An empty consolidated workbook (or, with form, one unit's form) ready to fill in."""
    wb = Workbook()
    if form:
        ws = wb.active
        ws.title = FORM_SHEET
        write_form(
            ws,
            framework,
            Heading(superior="ĐẢNG ỦY ............................", issuer="CHI BỘ ............................"),
        )
        write_guide(
            wb.create_sheet(GUIDE_SHEET), "HƯỚNG DẪN ĐIỀN PHIẾU CHẤM ĐIỂM CÔNG TÁC DÂN VẬN", form_guide(framework)
        )
    else:
        guide = wb.active
        guide.title = GUIDE_SHEET
        write_guide(guide, "HƯỚNG DẪN NHẬP BẢNG TỔNG HỢP ĐIỂM CÔNG TÁC DÂN VẬN", consolidated_guide(framework))
        units = wb.create_sheet(SHEET_UNITS)
        write_table(units, unit_columns(framework), Heading(), UNITS_TITLE.format(year=BLANK_YEAR), [], TEMPLATE_ROWS)
        _total_column(units, framework, unit_columns(framework), TEMPLATE_ROWS)
        if framework.of(LEADER):  # a framework that rates no heads (Quy định 366's organisations) has no such sheet
            write_table(
                wb.create_sheet(SHEET_LEADERS),
                leader_columns(framework),
                Heading(),
                LEADERS_TITLE.format(year=BLANK_YEAR),
                [],
                TEMPLATE_ROWS,
            )
        write_criteria(wb.create_sheet(SHEET_FRAMEWORK), framework)
    save(wb, Path(path), datetime.now().replace(microsecond=0))


def _total_column(ws: Worksheet, fw: Framework, columns: list[Column], rows: int) -> None:
    """A locked "Tổng điểm (tự tính)" column after the table: the weighted total of docs/rules.md (review
    score, else self score; bonus minus penalty; not below 0), so that offices see totals as they type.
    The reader ignores it and always computes the total itself."""
    letter = {col.key: get_column_letter(i) for i, col in enumerate(columns, start=1)}
    weights = fw.weights(UNIT)
    total_weight = sum(weights.values())
    c = len(columns) + 1
    put(ws, TABLE_TOP, c, "Tổng điểm (tự tính)")
    ws.merge_cells(start_row=TABLE_TOP, start_column=c, end_row=TABLE_TOP + 1, end_column=c)
    for r in (TABLE_TOP, TABLE_TOP + 1):
        _header_cell(ws.cell(r, c))
    ws.column_dimensions[get_column_letter(c)].width = 11
    for r in range(TABLE_TOP + 2, TABLE_TOP + 2 + rows):
        terms = []
        for crit in fw.of(UNIT):
            review_cell = f"{letter[(REVIEW, crit.code)]}{r}"
            factor = 100 * weights[crit.code] / (crit.max_points * total_weight)
            used = (
                f"N({review_cell})"  # only the superior scores it: no self cell
                if (SELF, crit.code) not in letter
                else f'IF({review_cell}<>"",{review_cell},N({letter[(SELF, crit.code)]}{r}))'
            )
            terms.append(used if factor == 1 else f"{used}*{float(factor):.12g}")
        body = "+".join(terms) + f"+N({letter['bonus']}{r})-N({letter['penalty']}{r})"
        cell = ws.cell(r, c, f'=IF({letter["code"]}{r}="","",ROUND(MAX(0,{body}),2))')
        cell.font, cell.border, cell.number_format = font(bold=True, size=11), BORDER, "0.00"
        cell.alignment = Alignment(horizontal="center", vertical="center")


# ---------------------------------------------------------------- shared helpers
