"""A consolidated sheet ("Tổ chức", "Người đứng đầu", or a CSV): its data rows and each column parsed, vectorised,
every bad cell reported with its row and column."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import compress, repeat
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd

from .. import conditions as cond
from ..dataset import Source
from ..flags import FLAG, LEADER_FLAGS, UNIT_FLAGS, YES, Flag
from ..framework import LEADER, UNIT, Criterion, Framework
from ..text import code_key, fold, number_text, parse_number, unit_codes
from ..validation import Issues
from ..vocabulary import (
    CONDITION,
    FOOTER_STARTS,
    HEADER_SCAN_ROWS,
    LEADER_META,
    REVIEW,
    ROLE_LABEL,
    RULE_LIKE,
    SELF,
    SHEET_LEADERS,
    SHEET_UNITS,
    TOTAL_PREFIXES,
    TOTAL_ROW,
    UNIT_META,
    condition_meta,
    not_rated_reason,
)
from ..workbook import Book, Grid, column_letter
from .consolidate import Part
from .form import find_form, read_form
from .framework_sheet import is_framework_grid
from .headers import Column, Header, cell_text, choose_sheet, criteria_row, find_header, read_header, section_title

_YEAR_IN_TEXT = re.compile(r"năm\s*(\d{4})(?!\d)", re.IGNORECASE)


_DATE_WORDS = re.compile(r"\b(ngày|tháng)\b", re.IGNORECASE)


_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


SCORE_DECIMALS = 9  # float noise of a spreadsheet's cached values lies far below this
_SIGNATURE_TITLE = re.compile(r"^(T/M|TM\.)\s", re.IGNORECASE)


def read_book(book: Book, fw: Framework, default_year: int | None, issues: Issues) -> list[Part]:
    source = Source(book.name, book.sha256, book.size, "csv" if book.kind == "csv" else "consolidated")
    units_sheet = choose_sheet(book, SHEET_UNITS, issues)
    leaders_sheet = choose_sheet(book, SHEET_LEADERS, issues)
    if book.kind == "csv":
        grid = book.sheets[0]
        if (
            read_header(grid, LEADER_META, criteria_of(fw, LEADER), set())
            and find_header(grid, UNIT_META) is not None
            and any(
                fold(cell_text(grid, r, c)).startswith(("hovaten", "hoten"))
                for r in range(min(grid.height, HEADER_SCAN_ROWS))
                for c in range(grid.width)
            )
        ):
            leaders_sheet, units_sheet = grid, None
        elif not is_framework_grid(grid):
            units_sheet = grid
        else:
            return []
    if units_sheet is None and book.kind != "csv":
        form, header = find_form(book)
        if form is None:
            names = ", ".join(f"“{g.name}”" for g in book.sheets)
            issues.error(
                f"Không tìm thấy trang “{SHEET_UNITS}” hoặc phiếu chấm điểm của đơn vị (tệp có các trang: {names})"
            )
            return []
        year = book_year(book.name, form, header[0], default_year, issues.at(sheet=form.name))
        return read_form(
            form, header, fw, year, issues.at(sheet=form.name), Source(book.name, book.sha256, book.size, "form")
        )
    # The year of a workbook is decided once, from its "Tổ chức" sheet (else the leaders sheet of a lone CSV);
    # a sheet with its own "Năm" column says its own, and a "Tổ chức" sheet's one year is its leaders' too.
    first = units_sheet if units_sheet is not None else leaders_sheet
    year = book_year(book.name, first, _header_top(first), default_year, issues.at(sheet=first.name))
    parts = []
    for grid, target in ((units_sheet, UNIT), (leaders_sheet, LEADER)):
        if grid is not None:
            part = _read_table(grid, fw, target, year, issues.at(sheet=grid.name), source)
            if part is not None:
                parts.append(part)
                year = _one_year(part.rows["year"], year) if target == UNIT else year
    return parts


def _one_year(years: pd.Series, book: int | None) -> int | None:
    """The year of the units sheet when all its rows state one (its Năm column), else the workbook's."""
    stated = years.dropna().unique()
    return int(stated[0]) if len(stated) == 1 and years.notna().all() else book


def _header_top(grid: Grid) -> int:
    top = find_header(grid, UNIT_META)
    return min(grid.height, HEADER_SCAN_ROWS) if top is None else top


def book_year(name: str, grid: Grid, header_row: int, caller: int | None, issues: Issues) -> int | None:
    """The year of a workbook: the title lines above the table (never a data cell nor a date line), else the file
    name, else the caller's; conflicting sources are a warning that names both."""
    title, from_name = _title_year(grid, header_row), _year_from_name(name)
    stated = title or from_name
    if title and from_name and title != from_name:
        issues.warning(f"Năm ở tiêu đề ({title}) khác năm trong tên tệp ({from_name}): dùng năm {title} của tiêu đề")
    if stated and caller and stated != caller:
        issues.warning(f"Tệp ghi năm {stated}: năm {caller} được chọn chỉ dùng cho tệp không ghi năm")
    return stated or caller


def criteria_of(fw: Framework, target: str) -> dict[str, Criterion]:
    return {c.code: c for c in fw.of(target)}


def _read_table(
    grid: Grid, fw: Framework, target: str, fallback_year: int | None, issues: Issues, source: Source
) -> Part | None:
    meta = condition_meta(fw) + UNIT_META if target == UNIT else LEADER_META
    criteria = criteria_of(fw, target)
    other = {code_key(c.code) for c in fw.criteria if c.target != target}
    header = read_header(grid, meta, criteria, other)
    if header is None:
        # Without its "Mã đơn vị" cell the header is still the row that names the criteria.
        row = criteria_row(grid, {code_key(k) for k in criteria})
        if row is None:
            issues.error(f"Không tìm thấy dòng tiêu đề có cột “Mã đơn vị” trong {HEADER_SCAN_ROWS} dòng đầu của trang")
        else:
            issues.error(f"Thiếu cột bắt buộc “{ROLE_LABEL[target]['code']}”", row=row + 1)
        return None
    roles = {c.role: c for c in reversed(header.columns)}
    for role in ("code", "name"):
        if role not in roles:
            issues.error(f"Thiếu cột bắt buộc “{ROLE_LABEL[target][role]}”", row=header.row + 1)
    by_code: dict[str, dict[str, Column]] = {}
    reported: set[str] = set()  # a code merged over "Tự chấm" and "Thẩm định" is one mistake
    for col in header.columns:
        if col.role == "criterion":
            if col.kind in by_code.setdefault(col.code, {}):
                issues.error(
                    f"Cột tiêu chí {col.code} ({'tự chấm' if col.kind == SELF else 'thẩm định'}) bị lặp",
                    row=header.row + 1,
                    column=col.label,
                )
            by_code[col.code][col.kind] = col
        elif col.role in ("unknown_code", "other_target") and col.code not in reported:
            reported.add(col.code)
            if col.role == "unknown_code":
                issues.error(
                    f"Mã tiêu chí “{col.code}” không có trong bộ tiêu chí “{fw.name}”",
                    row=header.row + 1,
                    column=col.code,
                    value=col.code,
                )
            else:
                issues.error(
                    f"Tiêu chí {col.code} là tiêu chí của "
                    f"{'người đứng đầu' if target == UNIT else 'tổ chức'}, không thuộc trang này",
                    row=header.row + 1,
                    column=col.code,
                    value=col.code,
                )
    for code in criteria:
        if code not in by_code:
            issues.error(f"Thiếu cột tiêu chí {code}", row=header.row + 1)
    # Header problems do not stop the reading: every problem of the file is reported at once.
    # Without a code column no row can be told apart, so nothing more can be checked.
    if "code" not in roles:
        return None

    for col in header.columns:
        if col.role == "unknown" and any(k in fold(col.label) for k in RULE_LIKE):
            issues.warning(
                f"Cột “{col.label}” không được nhận ra nên không được tính. Nếu là cột điểm hay quy tắc "
                "(kỷ luật, mất đoàn kết, tham nhũng, điểm thưởng, điểm trừ…), hãy đặt tiêu đề như mẫu",
                row=header.row + 1,
                column=col.label,
            )
    rows, end = _data_rows(grid, header, roles["code"], roles.get("name"), issues)
    if not len(rows):
        issues.error(
            f"Không có đơn vị nào: bảng chỉ có dòng tiêu đề (cần ít nhất một dòng có “{ROLE_LABEL[target]['code']}”)",
            row=header.data_start + 1,
        )
    excel_rows = rows + 1
    codes = unit_codes(_texts(grid, roles["code"], rows))
    table = pd.DataFrame({"code": codes, "row": excel_rows})
    table["name"] = _texts(grid, roles.get("name"), rows)
    table["file"], table["sheet"] = source.name, grid.name
    table["year"] = _years(grid, roles.get("year"), rows, fallback_year, issues)
    if target == UNIT:
        table["cluster"] = (
            _clusters(grid, roles.get("cluster"), rows, issues)
            if "cluster" in roles
            else _section_clusters(grid, header, rows, end)
        )
        table["bonus"] = _adjustment(grid, roles.get("bonus"), rows, fw.bonus_max, "thưởng", issues)
        table["penalty"] = _adjustment(grid, roles.get("penalty"), rows, fw.penalty_max, "trừ", issues)
        for flag in UNIT_FLAGS:
            table[flag.code] = _flag_column(grid, roles.get(flag.code), rows, flag, issues)
        table["note"] = _texts(grid, roles.get("note"), rows)
        table["not_rated"] = [not_rated_reason(t) if t else "" for t in _texts(grid, roles.get("not_rated"), rows)]
        table["conditions"] = _conditions(grid, roles, rows, fw, issues)
    else:
        table["unit_code"] = table["code"]
        table["title"] = _texts(grid, roles.get("title"), rows)
        table["discipline"] = _flag_column(grid, roles.get("discipline"), rows, FLAG["head_discipline"], issues)
        for flag in LEADER_FLAGS:
            table[flag.code] = _flag_column(grid, roles.get(flag.code), rows, flag, issues)
    has_self = any(SELF in kinds for kinds in by_code.values())
    table["has_self_columns"] = has_self
    # Columns gathered first and framed once: one insert per criterion makes pandas slow (and warn) past 64.
    scores = {SELF: {}, REVIEW: {}}
    for code, kinds in by_code.items():
        for kind, col in kinds.items():
            scores[kind][code] = _scores(grid, col, rows, criteria[code].max_points, issues)
    blank = np.full(len(rows), np.nan)
    self_scores, review = (
        pd.DataFrame(
            {c: scores[kind].get(c, blank) for c in criteria}, index=table.index, columns=list(criteria), dtype=float
        )
        for kind in (SELF, REVIEW)
    )
    return Part("units" if target == UNIT else "leaders", table, self_scores, review, source)


def _data_rows(
    grid: Grid, header: Header, code_col: Column, name_col: Column | None, issues: Issues
) -> tuple[np.ndarray, int]:
    """Rows holding a unit, and where the table ends: at a footer ("Tổng cộng", "Bình quân", "Trung bình", "Trong
    đó"…) or the signature block ("Người lập biểu", "Nơi nhận:", "T/M …"). Blank rows and notes are skipped. A row
    without a unit code is never a unit: inside the table one with scores is an error (a forgotten code), below the
    last unit (a summary block) it is left out with a warning."""
    start = header.data_start
    codes = grid.texts[code_col.index]
    code_numbers = grid.numbers[code_col.index][start:]
    end = grid.height
    # The label may be in any column left of the scores: STT (the table need not start in column A),
    # code, name, cluster.
    first_score = min((c.index for c in header.columns if c.role == "criterion"), default=grid.width)
    label_cols = sorted({*range(first_score), code_col.index} | ({name_col.index} if name_col else set()))
    candidates = sorted(
        r
        for c in label_cols
        for r, t in _total_like(grid.texts[c])
        if r >= start and _is_total_label(t) and grid.value(r, code_col.index) in (None, t)
    )  # a row with a unit code is a unit
    if candidates:
        end = candidates[0]
    has_code = np.zeros(end - start, dtype=bool)
    has_code |= ~np.isnan(code_numbers[: end - start])
    for r in codes:
        if start <= r < end:
            has_code[r - start] = True
    has_number = np.zeros(end - start, dtype=bool)
    for c, col in enumerate(header.columns):
        if col.role == "criterion":
            has_number |= ~np.isnan(grid.numbers[c][start:end])
    coded = np.flatnonzero(has_code)
    last = coded[-1] if len(coded) else -1
    below = np.flatnonzero(has_number[last + 1 :] & ~has_code[last + 1 :]) + last + 1 + start
    if len(below):
        shown = ", ".join(str(r + 1) for r in below[:10]) + ("…" if len(below) > 10 else "")
        issues.warning(
            f"Dòng {shown} dưới đơn vị cuối cùng không có mã đơn vị: không tính là đơn vị (dòng tổng hợp, bình quân…)",
            row=int(below[0]) + 1,
        )
    inside = has_code | has_number
    inside[last + 1 :] = False
    return np.flatnonzero(inside) + start, end


def _section_clusters(grid: Grid, header: Header, rows: np.ndarray, end: int) -> list[str]:
    """Without a "Khối" column, the section rows ("I | KHỐI XÃ, PHƯỜNG") name the cluster of the units below them;
    without those either, every unit is in one cluster."""
    sections = {r: t for r in range(header.data_start, end) if (t := section_title(grid, r)) is not None}
    if not sections:
        return [""] * len(rows)
    starts = np.array(sorted(sections))
    at = np.searchsorted(starts, rows, side="right") - 1
    return [sections[starts[i]] if i >= 0 else "" for i in at.tolist()]


def _total_like(texts: dict[int, str]) -> list[tuple[int, str]]:
    """The (row, text) cells whose first four characters, in lower case, begin a footer label.

    A cheap test before folding: folding every name of a 60,000-row sheet costs seconds, and even lower-casing each
    name costs a tenth of one. The prefixes are lower-cased as one string (cell texts hold no line break) and tested
    in C; the few found are tested again one by one."""
    values, rows = list(texts.values()), list(texts)
    heads = "\n".join(map(itemgetter(slice(0, 4)), values)).lower().split("\n")
    found = (
        compress(range(len(values)), map(TOTAL_PREFIXES.__contains__, heads))
        if len(heads) == len(values)
        else range(len(values))
    )
    return [(rows[i], values[i]) for i in found if values[i][:4].lower() in TOTAL_PREFIXES]


def _is_total_label(text: str) -> bool:
    """ "Tổng cộng", "Cộng", or the first line of the signature block; not "Tổng công ty …"."""
    key = fold(text)
    if key.startswith("tongcongty"):
        return False
    return key in TOTAL_ROW or key.startswith(FOOTER_STARTS) or _SIGNATURE_TITLE.match(text) is not None


def _texts(grid: Grid, col: Column | None, rows: np.ndarray) -> list[str]:
    if col is None:
        return [""] * len(rows)
    texts = grid.texts[col.index]
    out = list(map(texts.get, rows.tolist(), repeat("")))
    numbers = grid.numbers[col.index][rows]
    for i in np.flatnonzero(~np.isnan(numbers)).tolist():
        out[i] = out[i] or number_text(float(numbers[i]))
    return out


def _parsed(grid: Grid, col: Column | None, rows: np.ndarray, parse, default, issues: Issues, message: str):
    """Column values through `parse`; an error per cell that does not parse."""
    out = [default] * len(rows)
    if col is None:
        return out
    # Only non-blank cells are parsed: flag and discipline columns are mostly empty.
    numbers = grid.numbers[col.index][rows]
    filled = {int(i) for i in np.flatnonzero(~np.isnan(numbers))}
    filled.update(i for r in grid.texts[col.index] if (i := _index(rows, r)) is not None)
    for i in sorted(filled):
        value = grid.value(int(rows[i]), col.index)
        try:
            out[i] = parse(value)
        except ValueError:
            issues.error(message, row=int(rows[i]) + 1, column=col.label, value=value)
    return out


def _conditions(grid: Grid, roles: dict[str, Column], rows: np.ndarray, fw: Framework, issues: Issues) -> list[str]:
    """Each row's values of the framework's conditions, as JSON; a missing column is a warning (the engine says
    per unit what it could not check)."""
    values = {}
    for name, kind in cond.measures(fw.conditions).items():
        col = roles.get(CONDITION + name)
        if col is None:
            issues.warning(f"Thiếu cột điều kiện “{name}”: không đơn vị nào được tính là đạt điều kiện này")
            continue
        message = (
            "Giá trị không hợp lệ: ghi “Có” hoặc “Không”"
            if kind == cond.FLAG
            else "Tỷ lệ không hợp lệ: ghi số phần trăm từ 0 đến 100 (ví dụ 25 hoặc 25%)"
        )
        values[name] = _parsed(grid, col, rows, lambda v, k=kind: cond.parse_value(k, v), np.nan, issues, message)
    return cond.encode(pd.DataFrame(values, index=range(len(rows))))


def _flag_column(grid, col, rows, flag: Flag, issues) -> list[int | bool]:
    message = (
        "Hình thức kỷ luật không hợp lệ: khiển trách, cảnh cáo, cách chức, khai trừ/giải tán"
        + (" hoặc “x”" if YES in flag.choices else "")
        if flag.levels
        else "Giá trị không hợp lệ: ghi “x” hoặc “có” nếu đúng, để trống nếu không"
    )
    return _parsed(grid, col, rows, flag.parse, flag.none, issues, message)


def _years(grid, col, rows, fallback, issues) -> list[int | None]:
    def parse(value):
        number = parse_number(value)
        if number is None or not number.is_integer() or not 1900 < number < 2200:
            raise ValueError(value)
        return int(number)

    years = _parsed(grid, col, rows, parse, fallback, issues, "Năm không hợp lệ")
    if any(y is None for y in years):
        missing = [int(r) + 1 for r, y in zip(rows, years) if y is None]
        issues.error(
            "Không xác định được năm đánh giá: thêm cột “Năm”, ghi “NĂM 2025” ở tiêu đề, "
            "đặt năm trong tên tệp hoặc chọn năm khi tải lên",
            row=missing[0],
        )
    return years


def _clusters(grid, col, rows, issues) -> list[str]:
    """Cluster per row; a blank cell under a cluster continues it (a merged "Khối" cell)."""
    if col is None:
        return [""] * len(rows)
    values = _texts(grid, col, rows)
    merged = {
        (r, c)
        for (r0, c0), (r1, c1) in grid.merged
        if c0 <= col.index <= c1
        for r in range(r0, r1 + 1)
        for c in [col.index]
    }
    out, last = [], ""
    for r, v in zip(rows, values):
        if not v and last:
            if (r, col.index) not in merged:
                issues.warning(f"Khối để trống, lấy theo dòng trên: “{last}”", row=int(r) + 1, column=col.label)
            v = last
        elif not v:
            issues.warning("Đơn vị chưa có khối", row=int(r) + 1, column=col.label)
        out.append(v)
        last = v
    return out


def _adjustment(grid, col, rows, maximum: Decimal, what: str, issues) -> np.ndarray:
    if col is None:
        return np.zeros(len(rows))
    values = _scores(grid, col, rows, maximum, issues, f"Điểm {what} phải từ 0 đến {number_text(float(maximum))}")
    return np.where(np.isnan(values), 0.0, values)


def _scores(
    grid: Grid, col: Column, rows: np.ndarray, maximum: Decimal, issues: Issues, range_message: str | None = None
) -> np.ndarray:
    """A score column as floats (NaN blank), vectorised; text cells parsed one by one."""
    values = grid.numbers[col.index][rows].copy()
    texts = grid.texts[col.index]
    typed: dict[int, str] = {}  # numbers stored as text, shown as typed ("10,5") in messages
    if texts:
        for r, text in texts.items():
            i = _index(rows, r)
            if i is None:
                continue
            try:
                number = parse_number(text)
            except ValueError:
                issues.error("Điểm không phải là số", row=r + 1, column=col.label, value=text)
                continue
            values[i] = np.nan if number is None else number
            typed[i] = text
    if grid.uncalculated:  # rare: checked only for a sheet that has such cells
        _uncalculated(grid, col, [int(r) for r in rows if (int(r), col.index) in grid.uncalculated], issues)
    # At the rules' precision: a cached 10.000000000000002 is the 10 Excel shows.
    values = np.round(values, SCORE_DECIMALS)
    top = float(maximum)
    bad = np.flatnonzero((values < 0) | (values > top))
    message = range_message or f"Điểm phải từ 0 đến {number_text(top)} (điểm tối đa của tiêu chí)"
    for i in bad:
        issues.error(message, row=int(rows[i]) + 1, column=col.label, value=typed.get(int(i), float(values[i])))
        values[i] = np.nan
    return values


def _uncalculated(grid: Grid, col: Column, rows: list[int], issues: Issues) -> None:
    """Score cells holding a formula that was never calculated read as blank: an error naming them."""
    if rows:
        cells = ", ".join(f"{column_letter(col.index)}{r + 1}" for r in rows[:10]) + ("…" if len(rows) > 10 else "")
        issues.error(
            f"Ô có công thức chưa được tính (tệp do phần mềm tạo, chưa mở bằng Excel): {cells}. Hãy mở tệp "
            "bằng Excel/LibreOffice rồi lưu lại",
            row=rows[0] + 1,
            column=col.label,
        )


def _index(rows: np.ndarray, r: int) -> int | None:
    i = int(np.searchsorted(rows, r))
    return i if i < len(rows) and rows[i] == r else None


def _title_year(grid: Grid, header_row: int) -> int | None:
    """ "… NĂM 2025" in the title lines above the header, top to bottom. A date line ("Tân Yên, ngày 10 tháng 01
    năm 2026", or unsigned "ngày … tháng … năm 2026") is not the year evaluated."""
    cells = sorted((r, c, text) for c, col in enumerate(grid.texts) for r, text in col.items() if r < header_row)
    for _, _, text in cells:
        for m in _YEAR_IN_TEXT.finditer(text):
            if not _DATE_WORDS.search(text[: m.start()]):
                return int(m.group(1))
    return None


def _year_from_name(name: str) -> int | None:
    m = _YEAR_IN_NAME.search(Path(name).stem)
    return int(m.group(1)) if m else None
