"""A per-unit form (Phiếu chấm điểm): labelled cells ("Mã đơn vị: …") above a table TT | Tiêu chí | Điểm tối đa |
Tự chấm | Thẩm định, read as one unit (and its leader)."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

import numpy as np
import pandas as pd

from .. import conditions as cond
from ..dataset import Source
from ..flags import FLAG_LABELS, LEADER_FLAGS, UNIT_FLAGS
from ..framework import LEADER, UNIT, Framework
from ..text import code_key, fold, heading_matches, number_text, parse_number, unit_code
from ..validation import Issues
from ..vocabulary import (
    CONDITION,
    FORM_LABELS,
    HEADER_SCAN_ROWS,
    REVIEW,
    REVIEW_KEYS,
    SELF,
    SELF_KEYS,
    condition_meta,
    not_rated_reason,
)
from ..workbook import Book, Grid, column_letter
from .consolidate import Part
from .headers import CODE, cell_text, has_key, leading_code


def _form_header(grid: Grid) -> tuple[int, dict[str, int]] | None:
    """The score table's header: its last row and the column of each role. The header may take two
    rows: "Điểm đánh giá" merged over "Tự chấm" | "Thẩm định", the other cells merged down."""
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        cols = _form_roles(grid, r)
        if {"criterion", SELF}.issubset(cols):
            return r, cols
        if "criterion" in cols and r + 1 < grid.height:
            both = _form_roles(grid, r + 1) | cols
            if SELF in both:
                return r + 1, both
    return None


def _form_roles(grid: Grid, r: int) -> dict[str, int]:
    cols = {}
    for c in range(grid.width):
        key = fold(cell_text(grid, r, c))
        for role, keys in (
            ("tt", ("tt", "stt", "matieuchi")),
            ("criterion", ("tieuchi", "noidung")),
            ("max", ("diemtoida", "thangdiem", "diemchuan")),
            (SELF, SELF_KEYS),
            (REVIEW, REVIEW_KEYS),
        ):
            # "Điểm tự chấm", "Điểm cấp trên chấm": score keys may follow other words.
            found = has_key(key, keys) and len(key) <= 30 if role in (SELF, REVIEW) else key.startswith(keys)
            if found and role not in cols:
                cols[role] = c
                break
    return cols


def find_form(book: Book) -> tuple[Grid | None, tuple[int, dict[str, int]] | None]:
    """The first sheet laid out as a per-unit form, with its table header."""
    for grid in book.sheets:
        header = _form_header(grid)
        if header is not None:
            return grid, header
    return None, None


def read_form(
    grid: Grid, header: tuple[int, dict[str, int]], fw: Framework, fallback_year, issues: Issues, source: Source
) -> list[Part]:
    header_row, cols = header
    extra = tuple(condition_meta(fw))
    labels = _form_labels(grid, header_row, cols, extra)
    all_criteria = {code_key(c.code): c for c in fw.criteria}
    found: dict[str, tuple[int, float, float]] = {}
    bonus = penalty = (None, 0.0)
    for r in range(header_row + 1, grid.height):
        tt = cell_text(grid, r, cols["tt"]) if "tt" in cols else ""
        name = cell_text(grid, r, cols["criterion"])
        if fold(tt).startswith("tongcong") or fold(name).startswith("tongcong"):
            break
        code = _form_code(tt, name, fw)
        if code is None:
            key = fold(name)
            if key.startswith(("diemthuong", "diemcong")):
                bonus = (r, _form_score(grid, r, cols, fw.bonus_max, header_row, issues))
            elif key.startswith("diemtru"):
                penalty = (r, _form_score(grid, r, cols, fw.penalty_max, header_row, issues))
            # "1" over "1.1", "1.2" … is a group row with its subtotals, not an unknown criterion.
            elif (
                tt
                and (m := CODE.match(tt))
                and code_key(m.group(1)) not in all_criteria
                and not any(c.code.startswith(m.group(1) + ".") for c in fw.criteria)
                and _has_number(grid, r, cols)
            ):
                issues.error(
                    f"Mã tiêu chí “{tt}” không có trong bộ tiêu chí “{fw.name}”",
                    row=r + 1,
                    column=_header_label(grid, header_row, cols["tt"]),
                    value=tt,
                )
            continue
        crit = all_criteria[code_key(code)]
        if crit.code in fw.parents:  # a criterion's row summing its components: the components are read
            continue
        if crit.code in found:
            issues.error(f"Tiêu chí {crit.code} xuất hiện hai lần trên phiếu", row=r + 1)
            continue
        if "max" in cols:
            stated = grid.value(r, cols["max"])
            try:
                stated_number = parse_number(stated)
            except ValueError:
                stated_number = None
            if stated_number is not None and stated_number != float(crit.max_points):
                issues.warning(
                    f"Điểm tối đa trên phiếu ({number_text(stated_number)}) khác bộ tiêu chí "
                    f"({number_text(float(crit.max_points))}) ở tiêu chí {crit.code}",
                    row=r + 1,
                    column=_header_label(grid, header_row, cols["max"]),
                )
        self_score = _cell_score(grid, r, cols.get(SELF), crit.max_points, header_row, issues)
        review = _cell_score(grid, r, cols.get(REVIEW), crit.max_points, header_row, issues)
        found[crit.code] = (r, self_score, review)

    unit_codes = fw.codes(UNIT)
    for code in unit_codes:
        if code not in found:
            issues.error(f"Phiếu thiếu tiêu chí {code}")
    code = unit_code(labels.get("code", ""))
    if not code:
        issues.error("Phiếu không ghi “Mã đơn vị”")
    year = fallback_year
    if labels.get("year"):
        try:
            year = int(parse_number(labels["year"]))
        except (ValueError, TypeError):
            issues.error("Năm không hợp lệ", value=labels["year"])
    if year is None:
        issues.error("Không xác định được năm đánh giá của phiếu")
    row = (found[unit_codes[0]][0] + 1) if unit_codes and unit_codes[0] in found else header_row + 1
    unit = {
        "code": code,
        "row": row,
        "name": labels.get("name", ""),
        "file": source.name,
        "sheet": grid.name,
        "year": year,
        "cluster": labels.get("cluster", ""),
        "bonus": bonus[1],
        "penalty": penalty[1],
        **{f.code: _label_value(labels, f.code, f.parse, f.none, issues) for f in UNIT_FLAGS},
        "note": labels.get("note", ""),
        "not_rated": not_rated_reason(labels.get("not_rated", "")),
        "conditions": _condition_values(labels, fw, issues),
        "has_self_columns": SELF in cols,
    }
    parts = [_form_part("units", unit, found, unit_codes, source)]
    leader_codes = fw.codes(LEADER)
    if any(c in found for c in leader_codes):
        for c in leader_codes:
            if c not in found:
                issues.error(f"Phiếu thiếu tiêu chí {c} của người đứng đầu")
        leader = {
            "code": code,
            "unit_code": code,
            "row": found[next(c for c in leader_codes if c in found)][0] + 1,
            "name": labels.get("leader_name", ""),
            "title": labels.get("leader_title", ""),
            "file": source.name,
            "sheet": grid.name,
            "year": year,
            "discipline": unit["head_discipline"],
            **{f.code: _label_value(labels, f.code, f.parse, f.none, issues) for f in LEADER_FLAGS},
            "has_self_columns": SELF in cols,
        }
        parts.append(_form_part("leaders", leader, found, leader_codes, source))
    return parts


def _form_part(kind, row: dict, found, codes, source) -> Part:
    """One form's row as plain records: thousands of forms are framed once, in consolidate."""
    return Part(
        kind,
        [row],
        [[found[c][1] if c in found else np.nan for c in codes]],
        [[found[c][2] if c in found else np.nan for c in codes]],
        source,
    )


def _label_value(labels, key, parse, default, issues: Issues):
    if key not in labels or labels[key] == "":
        return default
    try:
        return parse(labels[key])
    except ValueError:
        issues.error(f"Giá trị “{FLAG_LABELS.get(key, key)}” không hợp lệ", value=labels[key])
        return default


def _condition_values(labels: dict[str, str], fw: Framework, issues: Issues) -> str:
    """The form's values of the framework's conditions ("Tỷ lệ nhiệm vụ vượt mức: 35%"), as JSON."""
    values = {}
    for name, kind in cond.measures(fw.conditions).items():
        text = labels.get(CONDITION + name, "")
        try:
            values[name] = cond.parse_value(kind, text)
        except ValueError:
            issues.error(f"Giá trị điều kiện “{name}” không hợp lệ", value=text)
    return cond.encode(pd.DataFrame([values]))[0] if values else cond.NO_VALUES


def _form_labels(grid: Grid, header_row: int, cols: dict[str, int], extra: tuple) -> dict[str, str]:
    """Labelled cells ("Mã đơn vị: DV01", or "Mã đơn vị" then the value in a cell to its right)
    anywhere outside the score table's label columns."""
    table_cols = {cols.get("tt"), cols.get("criterion")}
    out: dict[str, str] = {}
    for r in range(grid.height):
        if (
            r >= header_row
            and any(cell_text(grid, r, c) for c in table_cols if c is not None)
            and not _is_label_row(grid, r)
        ):
            continue
        for c in range(grid.width):
            text = cell_text(grid, r, c)
            if not text:
                continue
            role = _label_role(text, extra)
            if role is None or role in out:
                continue
            value = text.partition(":")[2].strip()
            if not value:
                # The value is the next filled cell, unless that cell is the next label ("Tham nhũng:").
                value = next((cell_text(grid, r, cc) for cc in range(c + 1, grid.width) if cell_text(grid, r, cc)), "")
                value = "" if value.endswith(":") and _label_role(value, extra) else value
            if value:
                out[role] = value
    return out


@lru_cache(maxsize=1 << 14)
def _label_role(text: str, extra: tuple = ()) -> str | None:
    """The role of a label cell: the framework's conditions first (`extra`, their names may be long), then the
    form's own labels."""
    label = text.partition(":")[0]
    key = fold(label)
    if not key:
        return None
    found = next((role for role, keys in extra if heading_matches(label, keys)), None)
    return found or next((role for role, keys in FORM_LABELS if len(key) <= 40 and heading_matches(label, keys)), None)


def _is_label_row(grid: Grid, r: int) -> bool:
    return any(":" in cell_text(grid, r, c) for c in range(grid.width))


def _form_code(tt: str, name: str, fw: Framework) -> str | None:
    codes, names = _criteria_index(fw)
    for text in (tt, name):
        found = leading_code(text, set(codes))
        if found and code_key(found[0]) in codes:
            return codes[code_key(found[0])]
    return names.get(fold(name)) if name else None


@lru_cache(maxsize=16)
def _criteria_index(fw: Framework) -> tuple[dict[str, str], dict[str, str]]:
    """Criterion code by code key and by folded name, made once per framework (not once per form row)."""
    return {code_key(c.code): c.code for c in fw.criteria}, {fold(c.name): c.code for c in fw.criteria}


def _has_number(grid, r, cols) -> bool:
    return any(grid.value(r, cols[k]) is not None for k in (SELF, REVIEW) if k in cols)


def _header_label(grid: Grid, header_row: int, col: int) -> str:
    return cell_text(grid, header_row, col) or column_letter(col)


def _cell_score(grid: Grid, r: int, col: int | None, maximum: Decimal, header_row: int, issues: Issues) -> float:
    if col is None:
        return np.nan
    value = grid.value(r, col)
    label = _header_label(grid, header_row, col)
    if (r, col) in grid.uncalculated:
        issues.error(
            f"Ô {column_letter(col)}{r + 1} có công thức chưa được tính (tệp chưa mở bằng Excel): hãy mở tệp "
            "bằng Excel/LibreOffice rồi lưu lại",
            row=r + 1,
            column=label,
        )
        return np.nan
    try:
        number = parse_number(value)
    except ValueError:
        issues.error("Điểm không phải là số", row=r + 1, column=label, value=value)
        return np.nan
    if number is None:
        return np.nan
    if not 0 <= number <= float(maximum):
        issues.error(
            f"Điểm phải từ 0 đến {number_text(float(maximum))} (điểm tối đa của tiêu chí)",
            row=r + 1,
            column=label,
            value=number,
        )
        return np.nan
    return number


def _form_score(grid, r, cols, maximum: Decimal, header_row: int, issues: Issues) -> float:
    """A bonus or penalty row: the reviewed value, else the self-assessed one, else 0."""
    review = _cell_score(grid, r, cols.get(REVIEW), maximum, header_row, issues)
    value = review if not np.isnan(review) else _cell_score(grid, r, cols.get(SELF), maximum, header_row, issues)
    return 0.0 if np.isnan(value) else value
