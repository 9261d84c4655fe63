"""Builders of messy workbooks, made the way offices make them (openpyxl, written into tmp_path).

No binary fixture is committed: every test builds its files from the data below. `units_sheet`,
`leaders_sheet` and `form_sheet` write a table with the quirks real files have (title block, merged
multi-row headers, numbering row, blank rows, "Tổng cộng" row, signature lines, numbers as text,
decomposed Unicode, hidden rows and columns) and return a `Layout` that tells the test where each
unit and column ended up, as Excel row numbers and header labels.
"""

from __future__ import annotations

import csv
import io
import os
import struct
import subprocess
import sys
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parents[1]

CRITERIA = [("1.1", 10), ("1.2", 10), ("1.3", 10), ("2.1", 20), ("2.2", 15), ("2.3", 15), ("2.4", 15), ("2.5", 5)]
CODES = [c for c, _ in CRITERIA]
MAX = dict(CRITERIA)
GROUPS = [("I. Tiêu chí chung", CODES[:3]), ("II. Kết quả thực hiện nhiệm vụ", CODES[3:])]
CRITERION_NAMES = {
    "1.1": "Quán triệt, cụ thể hóa chủ trương, nghị quyết, quy chế về công tác dân vận",
    "1.2": "Lãnh đạo Mặt trận Tổ quốc, các đoàn thể; thực hiện quy chế phối hợp",
    "1.3": "Người đứng đầu tiếp dân, đối thoại trực tiếp với Nhân dân",
    "2.1": "Thực hiện dân chủ ở cơ sở",
    "2.2": "Tiếp công dân, giải quyết kiến nghị, khiếu nại, tố cáo",
    "2.3": "Dân vận chính quyền, cải cách hành chính, văn hóa công vụ",
    "2.4": "Phong trào thi đua “Dân vận khéo”",
    "2.5": "Chế độ thông tin, báo cáo",
}
LEADER_CRITERIA = [("N1", 20), ("N2", 30), ("N3", 30), ("N4", 20)]
LEADER_CODES = [c for c, _ in LEADER_CRITERIA]

TITLE_BLOCK = [
    "ĐẢNG BỘ XÃ TÂN YÊN",
    "BAN XÂY DỰNG ĐẢNG",
    "",
    "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ CÔNG TÁC DÂN VẬN NĂM 2025",
    "(Kèm theo Báo cáo số 12-BC/ĐU ngày 05/01/2026)",
    "",
]
SIGNATURE = [
    ["", "Người lập biểu", "", "", "", "T/M ĐẢNG ỦY"],
    ["", "", "", "", "", "BÍ THƯ"],
    [],
    ["", "Nguyễn Thị Hoa", "", "", "", "Trần Văn Bình"],
]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def is_nfc(text: str) -> bool:
    return unicodedata.normalize("NFC", text) == text


@dataclass
class Unit:
    code: str | int
    name: str
    cluster: str
    self_scores: list[float | None]
    review: list[float | None]
    bonus: float | None = None
    penalty: float | None = None
    collective: str = ""
    head: str = ""
    disunity: str = ""
    corruption: str = ""
    note: str = ""


@dataclass
class Leader:
    unit_code: str | int
    name: str
    title: str
    self_scores: list[float | None]
    review: list[float | None]
    discipline: str = ""
    low_confidence: str = ""


UNITS = [
    Unit(
        "DV01",
        "Đảng bộ xã Tân Thịnh",
        "Khối xã",
        [9, 9, 8.5, 18, 14, 13, 14, 5],
        [9, 8.5, 8, 18, 13.5, 13, 14, 5],
        bonus=2,
    ),
    Unit(
        "DV02",
        "Chi bộ thôn Đồng Quýt",
        "Khối xã",
        [8, 8, 8, 16, 12, 12, 12, 4],
        [7.5, 8, 8, 15, 12, 11.5, 12, 4],
        penalty=1,
        disunity="x",
    ),
    Unit(
        "DV03",
        "Đảng bộ phường Trần Nguyên Hãn",
        "Khối phường",
        [10, 10, 10, 20, 15, 15, 15, 5],
        [9.5, 9.5, 9, 19, 14.5, 14, 14, 5],
        bonus=3,
        note="Điển hình “Dân vận khéo”",
    ),
    Unit(
        "DV04",
        "Chi bộ Trường THCS Lê Lợi",
        "Khối phường",
        [7, 7, 6.5, 14, 10, 10, 11, 3],
        [None, 7, 6, 14, 10, 9.5, 11, 3],
        head="khiển trách",
        corruption="có",
    ),
    Unit(
        "DV05",
        "Đảng bộ Công an phường",
        "Khối phường",
        [9, 9, 9, 18, 13, 13, 13, 4.5],
        [8.5, 9, 9, 17.5, 13, 12.5, 13, 4.5],
        penalty=0.5,
        collective="x",
        disunity="✓",
    ),
]
LEADERS = [
    Leader("DV01", "Nguyễn Văn An", "Bí thư", [18, 27, 27, 18], [17.5, 26, 27, 18]),
    Leader("DV02", "Lê Thị Bình", "Bí thư chi bộ", [16, 24, 25, 15], [15, 24, 24.5, 15], discipline="khiển trách"),
    Leader("DV03", "Phạm Đức Cường", "Bí thư", [19, 29, 28, 19], [19, 28.5, 28, 19]),
    Leader("DV04", "Hoàng Thị Dung", "Bí thư chi bộ", [14, 20, 20, 14], [14, 20, 19, 13], low_confidence="x"),
]

FLAG_COLUMNS = [
    ("collective", "Kỷ luật tập thể"),
    ("head", "Kỷ luật người đứng đầu"),
    ("disunity", "Mất đoàn kết"),
    ("corruption", "Tham nhũng"),
]


def flag(text: str) -> bool:
    return text.strip().lower() in ("x", "có", "✓")


DISCIPLINE = {"": 0, "khiển trách": 1, "cảnh cáo": 2, "cách chức": 3, "x": -1}


# ---------------------------------------------------------------- tables


@dataclass
class Layout:
    """Where a table was written: Excel rows (1-based) and column letters by label."""

    sheet: str
    header_row: int = 0
    data_row: int = 0
    unit_rows: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # label as a user reads it → letter
    total_row: int | None = None

    def cell(self, code: str, label: str) -> str:
        return f"{self.columns[label]}{self.unit_rows[code]}"


def _score_cell(value, text_numbers: bool):
    if value is None:
        return None
    if text_numbers:
        text = f"{value:g}".replace(".", ",")
        return text + "  "
    return value


def _labels(header: str, code: str, kind: str) -> tuple[list[str], str]:
    """Header cells (top to bottom) for one score column and the label a user would quote."""
    word = {"self": "Tự chấm", "review": "Thẩm định", "captren": "Cấp trên chấm"}[kind]
    if header == "suffix":
        text = f"{code} ({'tự chấm' if kind == 'self' else 'thẩm định'})"
        return [text], text
    if header == "review_only":
        return [code], code
    return [code, word], f"{code} / {word}"


def _score(unit: Unit, source: str, code: str):
    return getattr(unit, source)[CODES.index(code)] if code in CODES else 1


def units_sheet(
    ws,
    units=UNITS,
    *,
    header="two_row",
    self_scores=True,
    review_word="review",
    title=TITLE_BLOCK,
    left=1,
    numbering=None,
    blank_rows=(),
    total_row=False,
    signature=False,
    text_numbers=False,
    year=None,
    merge_cluster=False,
    total_column=False,
    hide_columns=(),
    hide_rows=(),
    text=str,
    extra=None,
    meta=("code", "name", "cluster"),
    total_label="Tên đơn vị",
    codes=CODES,
) -> Layout:
    """A consolidated "Tổ chức" table.

    header: "two_row" (code merged over Tự chấm / Thẩm định), "suffix" ("2.1 (tự chấm)"), "review_only"
    (one column per criterion) or "grouped" (group names merged above the codes, three rows).
    numbering: None, "paren" ("(1) (2) …") or "plain" (1 2 3 … as numbers).
    text: applied to every string written (e.g. nfd). extra: {label: [values per unit]} more columns.
    codes: the criterion columns, in order (a code not in the preset gets 1 point everywhere).
    blank_rows: indexes of units that get a blank row before them. total_label: the column holding
    "Tổng cộng". total_column: a "Tổng điểm" formula column (and formulas in the total row).
    """
    layout = Layout(ws.title)
    kinds = (["self"] if self_scores and header != "review_only" else []) + [
        "captren" if review_word == "captren" and header != "suffix" else "review"
    ]
    meta_labels = {"code": "Mã đơn vị", "name": "Tên đơn vị", "cluster": "Khối", "year": "Năm"}
    columns: list[tuple[list[str], str, object]] = [(["STT"], "STT", lambda i, u: i + 1)]
    for key in meta:
        columns.append(
            (
                [meta_labels[key]],
                meta_labels[key],
                {"code": lambda i, u: u.code, "name": lambda i, u: u.name, "cluster": lambda i, u: u.cluster}[key],
            )
        )
    if year is not None:
        columns.append((["Năm"], "Năm", lambda i, u: year))
    score_cols = []
    for code in codes:
        for kind in kinds:
            parts, label = _labels(header, code, kind)
            source = "self_scores" if kind == "self" else "review"
            columns.append(
                (parts, label, (lambda s, c: lambda i, u: _score_cell(_score(u, s, c), text_numbers))(source, code))
            )
            score_cols.append((code, kind, len(columns) - 1))
    columns.append((["Điểm thưởng"], "Điểm thưởng", lambda i, u: _score_cell(u.bonus, text_numbers)))
    columns.append((["Điểm trừ"], "Điểm trừ", lambda i, u: _score_cell(u.penalty, text_numbers)))
    for key, label in FLAG_COLUMNS:
        columns.append(([label], label, (lambda k: lambda i, u: getattr(u, k) or None)(key)))
    for label, values in (extra or {}).items():
        columns.append(([label], label, (lambda vs: lambda i, u: vs[i])(values)))
    if total_column:
        columns.append((["Tổng điểm"], "Tổng điểm", None))
    columns.append((["Ghi chú"], "Ghi chú", lambda i, u: u.note or None))

    depth = {"two_row": 2, "suffix": 1, "review_only": 1, "grouped": 3}[header]
    r = 1
    for line in title:
        if line:
            ws.cell(r, left, text(line))
            ws.merge_cells(start_row=r, start_column=left, end_row=r, end_column=left + 8)
        r += 1
    layout.header_row = r
    col_of = {}
    c = left
    i = 0
    while i < len(columns):
        parts, label, _ = columns[i]
        letter = get_column_letter(c)
        col_of[i] = c
        layout.columns[label] = letter
        if len(parts) == 1:
            ws.cell(r, c, text(parts[0]))
            if depth > 1:
                ws.merge_cells(start_row=r, start_column=c, end_row=r + depth - 1, end_column=c)
        i += 1
        c += 1
    # multi-row criterion headers
    if depth > 1:
        code_row = r + depth - 2
        kind_row = r + depth - 1
        for code in codes:
            idx = [k for k, (cd, _, _) in enumerate(score_cols) if cd == code]
            first, last = col_of[score_cols[idx[0]][2]], col_of[score_cols[idx[-1]][2]]
            ws.cell(code_row, first, text(code))
            if last > first:
                ws.merge_cells(start_row=code_row, start_column=first, end_row=code_row, end_column=last)
            for k in idx:
                ws.cell(kind_row, col_of[score_cols[k][2]], text(columns[score_cols[k][2]][0][1]))
        if header == "grouped":
            for name, members in GROUPS:
                cols = [col_of[k] for cd, _, k in score_cols if cd in members]
                ws.cell(r, min(cols), text(name))
                ws.merge_cells(start_row=r, start_column=min(cols), end_row=r, end_column=max(cols))
    r += depth
    if numbering:
        for k in range(len(columns)):
            ws.cell(r, left + k, f"({k + 1})" if numbering == "paren" else k + 1)
        r += 1
    layout.data_row = r
    first_data = r
    for i, u in enumerate(units):
        if i in blank_rows:  # a blank row before this unit
            r += 1
        for k, (_, label, get) in enumerate(columns):
            if get is None:
                continue
            value = get(i, u)
            if label == "Khối" and merge_cluster and i > 0 and units[i - 1].cluster == u.cluster:
                value = None
            if value is not None and value != "":
                ws.cell(r, col_of[k], text(value) if isinstance(value, str) else value)
        if total_column:
            k = next(k for k, (_, label, _) in enumerate(columns) if label == "Tổng điểm")
            review = [get_column_letter(col_of[k2]) for cd, kind, k2 in score_cols if kind != "self"]
            bonus, penalty = layout.columns["Điểm thưởng"], layout.columns["Điểm trừ"]
            ws.cell(r, col_of[k], f"=SUM({','.join(f'{x}{r}' for x in review)})+{bonus}{r}-{penalty}{r}")
        layout.unit_rows[str(u.code)] = r
        r += 1
    if merge_cluster:
        cc = col_of[next(k for k, (_, label, _) in enumerate(columns) if label == "Khối")]
        start = 0
        for i in range(1, len(units) + 1):
            if i == len(units) or units[i].cluster != units[start].cluster:
                rows = [layout.unit_rows[str(units[j].code)] for j in range(start, i)]
                if len(rows) > 1:
                    ws.merge_cells(start_row=rows[0], start_column=cc, end_row=rows[-1], end_column=cc)
                start = i
    if total_row:
        layout.total_row = r
        ws.cell(r, left + [label for _, label, _ in columns].index(total_label), text("Tổng cộng"))
        for cd, kind, k in score_cols:
            letter = get_column_letter(col_of[k])
            if total_column:
                ws.cell(r, col_of[k], f"=SUM({letter}{first_data}:{letter}{r - 1})")
            else:
                values = [_score(u, "self_scores" if kind == "self" else "review", cd) for u in units]
                ws.cell(r, col_of[k], sum(v or 0 for v in values))
        r += 2
    if signature:
        for line in SIGNATURE:
            for k, value in enumerate(line):
                if value:
                    ws.cell(r, left + k, text(value))
            r += 1
    for label in hide_columns:
        ws.column_dimensions[layout.columns[label]].hidden = True
    for code in hide_rows:
        ws.row_dimensions[layout.unit_rows[code]].hidden = True
    return layout


def leaders_sheet(
    ws, leaders=LEADERS, *, header="two_row", self_scores=True, title=(), text=str, numbering=None
) -> Layout:
    """A "Người đứng đầu" table: Mã đơn vị | Họ và tên | Chức vụ | N1..N4 | Kỷ luật | Tín nhiệm thấp trên 50%."""
    layout = Layout(ws.title)
    r = 1
    for line in title:
        if line:
            ws.cell(r, 1, text(line))
        r += 1
    layout.header_row = r
    kinds = ["self", "review"] if self_scores and header != "review_only" else ["review"]
    depth = 2 if header == "two_row" else 1
    heads = ["STT", "Mã đơn vị", "Họ và tên", "Chức vụ"]
    c = 1
    for h in heads:
        ws.cell(r, c, text(h))
        layout.columns[h] = get_column_letter(c)
        if depth == 2:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
        c += 1
    score_cols = []
    for j, code in enumerate(LEADER_CODES):
        first = c
        for kind in kinds:
            parts, label = _labels(header, code, kind)
            if depth == 2:
                ws.cell(r + 1, c, text(parts[1]))
            else:
                ws.cell(r, c, text(parts[0]))
            layout.columns[label] = get_column_letter(c)
            score_cols.append((j, kind, c))
            c += 1
        if depth == 2:
            ws.cell(r, first, code)
            if c - 1 > first:
                ws.merge_cells(start_row=r, start_column=first, end_row=r, end_column=c - 1)
    tail = ["Kỷ luật", "Tín nhiệm thấp trên 50%"]
    for h in tail:
        ws.cell(r, c, text(h))
        layout.columns[h] = get_column_letter(c)
        if depth == 2:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
        c += 1
    r += depth
    if numbering:
        for k in range(1, c):
            ws.cell(r, k, f"({k})" if numbering == "paren" else k)
        r += 1
    layout.data_row = r
    for i, ld in enumerate(leaders):
        ws.cell(r, 1, i + 1)
        ws.cell(r, 2, text(ld.unit_code) if isinstance(ld.unit_code, str) else ld.unit_code)
        ws.cell(r, 3, text(ld.name))
        ws.cell(r, 4, text(ld.title))
        for j, kind, col in score_cols:
            value = (ld.self_scores if kind == "self" else ld.review)[j]
            if value is not None:
                ws.cell(r, col, value)
        if ld.discipline:
            ws.cell(r, c - 2, text(ld.discipline))
        if ld.low_confidence:
            ws.cell(r, c - 1, text(ld.low_confidence))
        layout.unit_rows[str(ld.unit_code)] = r
        r += 1
    return layout


def workbook(path: Path, build, sheet="Tổ chức", **kwargs) -> Layout:
    """A workbook with one units sheet built by `units_sheet(**kwargs)`; `build` may add sheets."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    layout = units_sheet(ws, **kwargs)
    if build:
        build(wb)
    wb.save(path)
    return layout


def consolidated(path: Path, *, leaders=False, leader_kwargs=None, sheet="Tổ chức", **kwargs) -> Layout:
    def add(wb):
        if leaders:
            leaders_sheet(wb.create_sheet("Người đứng đầu"), **(leader_kwargs or {}))

    return workbook(path, add, sheet=sheet, **kwargs)


def edit(path: Path, changes: dict[str, object], sheet: str | None = None) -> None:
    """Overwrite cells ("D9": value) of a saved workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    for ref, value in changes.items():
        ws[ref] = value
    wb.save(path)


# ---------------------------------------------------------------- per-unit forms


def form_sheet(
    ws,
    unit: Unit,
    *,
    labels="next_cell",
    year_label: int | None = None,
    title_year=2025,
    group_rows=True,
    total_row=True,
    signature=True,
    text=str,
    self_word="Tự chấm",
    review_word="Thẩm định",
    leader: Leader | None = None,
    arabic_groups=False,
    two_row_header=False,
) -> Layout:
    """A "Phiếu chấm điểm" of one unit: header block, labelled cells, then
    TT | Tiêu chí | Điểm tối đa | Tự chấm | Thẩm định with group rows, bonus/penalty rows and a total."""
    layout = Layout(ws.title)
    ws["A1"] = text("ĐẢNG BỘ XÃ TÂN YÊN")
    ws["D1"] = text("ĐẢNG CỘNG SẢN VIỆT NAM")
    ws["A2"] = text("BAN XÂY DỰNG ĐẢNG")
    ws["D2"] = text("Tân Yên, ngày 05 tháng 01 năm 2026")
    ws["A4"] = text(
        f"PHIẾU CHẤM ĐIỂM CÔNG TÁC DÂN VẬN NĂM {title_year}" if title_year else "PHIẾU CHẤM ĐIỂM CÔNG TÁC DÂN VẬN"
    )
    ws.merge_cells("A4:E4")
    pairs = [("Mã đơn vị", unit.code), ("Tên đơn vị", unit.name), ("Khối", unit.cluster)]
    if year_label:
        pairs.append(("Năm đánh giá", year_label))
    if leader:
        pairs += [("Họ và tên người đứng đầu", leader.name), ("Chức vụ", leader.title)]
    for key, label in FLAG_COLUMNS + [("note", "Ghi chú")]:
        if getattr(unit, key):
            pairs.append((label, getattr(unit, key)))
    r = 6
    for label, value in pairs:
        if labels == "next_cell":
            ws.cell(r, 1, text(label + ":"))
            ws.cell(r, 2, text(value) if isinstance(value, str) else value)
        else:
            ws.cell(r, 1, text(f"{label}: {value}"))
        r += 1
    r += 1
    layout.header_row = r
    if two_row_header:  # "Điểm đánh giá" merged over "Tự chấm" | "Thẩm định", the rest merged down
        for c, h in enumerate(["TT", "Tiêu chí", "Điểm tối đa"], start=1):
            ws.cell(r, c, text(h))
            ws.merge_cells(start_row=r, start_column=c, end_row=r + 1, end_column=c)
        ws.cell(r, 4, text("Điểm đánh giá"))
        ws.merge_cells(start_row=r, start_column=4, end_row=r, end_column=5)
        ws.cell(r + 1, 4, text(self_word))
        ws.cell(r + 1, 5, text(review_word))
        r += 1
    else:
        for c, h in enumerate(["TT", "Tiêu chí", "Điểm tối đa", self_word, review_word], start=1):
            ws.cell(r, c, text(h))
    for c, h in enumerate(["TT", "Tiêu chí", "Điểm tối đa", self_word, review_word], start=1):
        layout.columns[h] = get_column_letter(c)
    r += 1
    layout.data_row = r

    def score_row(tt, name, maximum, s, v, key):
        nonlocal r
        ws.cell(r, 1, tt)
        ws.cell(r, 2, text(name))
        ws.cell(r, 3, maximum)
        if s is not None:
            ws.cell(r, 4, s)
        if v is not None:
            ws.cell(r, 5, v)
        layout.unit_rows[key] = r
        r += 1

    for gi, (group, codes) in enumerate(GROUPS):
        if group_rows:
            roman, name = group.split(". ", 1)
            ws.cell(r, 1, gi + 1 if arabic_groups else roman)  # 1, 2 typed as numbers, or I, II
            ws.cell(r, 2, text(name.upper()))
            ws.cell(r, 3, sum(MAX[c] for c in codes))
            ws.cell(r, 4, sum(unit.self_scores[CODES.index(c)] or 0 for c in codes))
            ws.cell(r, 5, sum(unit.review[CODES.index(c)] or 0 for c in codes))
            r += 1
        for code in codes:
            j = CODES.index(code)
            score_row(code, CRITERION_NAMES[code], MAX[code], unit.self_scores[j], unit.review[j], code)
    if leader:
        ws.cell(r, 1, "III")
        ws.cell(r, 2, text("NGƯỜI ĐỨNG ĐẦU"))
        r += 1
        for j, (code, maximum) in enumerate(LEADER_CRITERIA):
            score_row(code, f"Tiêu chí người đứng đầu {code}", maximum, leader.self_scores[j], leader.review[j], code)
    ws.cell(r, 1, "IV" if leader else "III")
    ws.cell(r, 2, text("ĐIỀU CHỈNH"))
    r += 1
    score_row(None, "Điểm thưởng", 3, unit.bonus, unit.bonus, "bonus")
    score_row(None, "Điểm trừ", 3, unit.penalty, unit.penalty, "penalty")
    if total_row:
        ws.cell(r, 2, text("Tổng cộng"))
        ws.cell(r, 3, 100)
        ws.cell(r, 4, sum(v or 0 for v in unit.self_scores))
        ws.cell(r, 5, sum(v or 0 for v in unit.review))
        layout.total_row = r
        r += 2
    if signature:
        ws.cell(r, 2, text("Người lập phiếu"))
        ws.cell(r, 4, text("T/M CHI BỘ"))
        ws.cell(r + 1, 4, text("BÍ THƯ"))
        ws.cell(r + 4, 2, text("Nguyễn Thị Hoa"))
        ws.cell(r + 4, 4, text("Trần Văn Bình"))
    return layout


def form_file(path: Path, unit: Unit, sheet="Phiếu chấm điểm", **kwargs) -> Layout:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    layout = form_sheet(ws, unit, **kwargs)
    wb.save(path)
    return layout


# ---------------------------------------------------------------- CSV


def csv_rows(units=UNITS, *, title=True, numbering=True, total_row=True) -> list[list[str]]:
    """The consolidated table as CSV rows: a two-row header without merges (as Excel exports it)."""
    rows = []
    if title:
        rows += [["ĐẢNG BỘ XÃ TÂN YÊN"], ["BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ CÔNG TÁC DÂN VẬN NĂM 2025"], []]
    head1 = ["STT", "Mã đơn vị", "Tên đơn vị", "Khối"]
    head2 = ["", "", "", ""]
    for code in CODES:
        head1 += [code, ""]
        head2 += ["Tự chấm", "Thẩm định"]
    tail = ["Điểm thưởng", "Điểm trừ"] + [label for _, label in FLAG_COLUMNS] + ["Ghi chú"]
    rows += [head1 + tail, head2 + [""] * len(tail)]
    if numbering:
        rows.append([f"({k})" for k in range(1, len(head1 + tail) + 1)])

    def num(v):
        return "" if v is None else f"{v:g}".replace(".", ",")

    for i, u in enumerate(units):
        row = [str(i + 1), str(u.code), u.name, u.cluster]
        for j in range(len(CODES)):
            row += [num(u.self_scores[j]), num(u.review[j])]
        row += [num(u.bonus), num(u.penalty), u.collective, u.head, u.disunity, u.corruption, u.note]
        rows.append(row)
    if total_row:
        sums = [
            sum((u.self_scores if k % 2 == 0 else u.review)[k // 2] or 0 for u in units) for k in range(2 * len(CODES))
        ]
        rows.append(["", "", "Tổng cộng", ""] + [num(v) for v in sums])
        rows += [[], ["", "Người lập biểu", "", "", "", "T/M ĐẢNG ỦY"], ["", "Nguyễn Thị Hoa"]]
    return rows


def write_csv(path: Path, rows, delimiter=",", bom=True, encoding="utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom and encoding == "utf-8" else b"") + data)
    return path


# ---------------------------------------------------------------- expectations


def unit_table(read, year: int) -> pd.DataFrame:
    """A year's units as one comparable frame: meta columns, then self_/review_ scores; by code."""
    data = read.years[year]
    units = data.units.drop(columns=["file"])
    scores = pd.concat([data.unit_self.add_prefix("self_"), data.unit_review.add_prefix("review_")], axis=1)
    return pd.concat([units, scores], axis=1).set_index("code").sort_index()


def assert_units(read, year: int, units=UNITS, *, self_scores=True, review_only=False):
    """The year's tables hold exactly `units`, NFC text, scores as given."""
    data = read.years[year]
    assert list(data.units["code"]) == [str(u.code) for u in units]
    for i, u in enumerate(units):
        row = data.units.iloc[i]
        assert row["name"] == u.name and is_nfc(row["name"])
        assert row["cluster"] == u.cluster
        assert row["bonus"] == (u.bonus or 0) and row["penalty"] == (u.penalty or 0)
        assert row["disunity"] == flag(u.disunity) and row["corruption"] == flag(u.corruption)
        assert row["collective_discipline"] == DISCIPLINE[u.collective]
        assert row["head_discipline"] == DISCIPLINE[u.head]
        assert row["note"] == u.note
        review = u.self_scores if review_only else u.review
        got = data.unit_review.iloc[i].tolist()
        assert _same(got, review), (u.code, got, review)
        got_self = data.unit_self.iloc[i].tolist()
        assert _same(got_self, u.self_scores if self_scores and not review_only else [None] * len(CODES)), got_self
    assert bool(data.units["has_self_columns"].all()) == (self_scores and not review_only)


def assert_leaders(read, year: int, leaders=LEADERS, *, self_scores=True):
    data = read.years[year]
    assert list(data.leaders["unit_code"]) == [str(ld.unit_code) for ld in leaders]
    for i, ld in enumerate(leaders):
        row = data.leaders.iloc[i]
        assert row["name"] == ld.name and is_nfc(row["name"])
        assert row["title"] == ld.title
        assert row["discipline"] == DISCIPLINE[ld.discipline]
        assert row["low_confidence"] == flag(ld.low_confidence)
        assert _same(data.leader_review.iloc[i].tolist(), ld.review)
        if self_scores:
            assert _same(data.leader_self.iloc[i].tolist(), ld.self_scores)


def _same(got, expected) -> bool:
    return len(got) == len(expected) and all(
        (e is None and g != g) or (e is not None and g == e) for g, e in zip(got, expected)
    )


def errors(read) -> list:
    return [i for i in read.issues if i.severity == "error"]


# ---------------------------------------------------------------- LibreOffice and the CLI


def convert_many(soffice: str, jobs: dict[str, list[Path]], outdir: Path) -> dict[tuple[str, str], Path]:
    """Save many files through LibreOffice, one soffice process per format, all formats in parallel.

    Returns {(source stem, fmt): new path}. Each format gets its own profile and output folder.
    """
    procs = []
    for fmt, sources in jobs.items():
        out = outdir / fmt
        out.mkdir(parents=True, exist_ok=True)
        profile = outdir / f".lo-profile-{fmt}"
        procs.append(
            (
                fmt,
                sources,
                out,
                subprocess.Popen(
                    [
                        soffice,
                        f"-env:UserInstallation=file://{profile}",
                        "--headless",
                        "--convert-to",
                        fmt,
                        "--outdir",
                        str(out),
                        *map(str, sources),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                ),
            )
        )
    result = {}
    for fmt, sources, out, proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode(errors="replace")
        for src in sources:
            path = out / f"{src.stem}.{fmt}"
            assert path.exists(), f"LibreOffice did not produce {path}: {stdout!r} {stderr!r}"
            result[(src.stem, fmt)] = path
    return result


def run_cli(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "scoring", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


# ---------------------------------------------------------------- hostile files


def zip_bomb(path: Path, inflated: int = 1100 * 2**20) -> Path:
    """A valid-looking .xlsx whose sheet XML inflates to `inflated` bytes from about 1 MB.

    The deflate stream is one compressed MiB of spaces, flushed to a byte boundary and repeated, so
    building it costs a CRC pass and no compression of the whole gigabyte."""
    chunk = b" " * 2**20
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>'
    )
    tail = b"</sheetData></worksheet>"
    count = (inflated - len(head) - len(tail)) // len(chunk)

    def block(data: bytes) -> bytes:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        return c.compress(data) + c.flush(zlib.Z_FULL_FLUSH)

    body = block(chunk)
    final = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = final.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    sheet = (
        b"xl/worksheets/sheet1.xml",
        block(head) + body * count + block(tail) + end,
        len(head) + count * len(chunk) + len(tail),
        crc & 0xFFFFFFFF,
    )
    small = {
        b"[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
        b"_rels/.rels": b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        b"xl/workbook.xml": b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        b'2006/main"><sheets><sheet name="T\xe1\xbb\x95 ch\xe1\xbb\xa9c" sheetId="1" r:id="rId1" '
        b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
        b"</sheets></workbook>",
    }
    members = [(name, zlib.compress(data, 9)[2:-4], len(data), zlib.crc32(data)) for name, data in small.items()]
    members.append(sheet)
    out, central = bytearray(), bytearray()
    for name, packed, size, crc in members:
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(packed), size, len(name), 0)
        out += name + packed
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(packed),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
    start = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0)
    path.write_bytes(bytes(out))
    return path


def cp1258(text: str) -> bytes:
    """Vietnamese text in Windows-1258, as old office PCs save CSV: precomposed where the code page
    has the letter, else base letter + combining tone mark."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            composed = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in "\u0306\u0302\u031b"))
            tones = "".join(m for m in marks if m not in "\u0306\u0302\u031b")
            out += composed.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)
