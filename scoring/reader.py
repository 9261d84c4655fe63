"""Interpret the scoresheets offices exchange (domain §5) as validated tables of one or more years.

Files → Book (workbook.py) → per sheet: header block found by its "Mã đơn vị" cell, columns
recognised by folded names, cells parsed column by column → YearData per year. Every problem is
collected with its file, sheet, Excel row and column; nothing raises on bad input.
"""
from __future__ import annotations

import re
from itertools import takewhile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from . import workbook
from .dataset import (LEADER_COLUMNS, ORIGIN_ACTIVE, ORIGIN_CHOSEN, ORIGIN_FILE, ORIGIN_PRESET, UNIT_COLUMNS, Source,
                      YearData)
from .framework import (LEADER, QUOTA_BASE_ROW, QUOTA_ROW, RULES_GROUP, THRESHOLD_ROWS, UNIT, Criterion, Framework,
                        Group, load_preset, quota_base_of)
from .text import code_key, fold, nfc, number_text, parse_discipline, parse_flag, parse_number
from .validation import Issue, Issues
from .workbook import Book, Grid, UnreadableFile, column_letter

SHEET_UNITS, SHEET_LEADERS, SHEET_FRAMEWORK = "Tổ chức", "Người đứng đầu", "Tiêu chí"
HEADER_SCAN_ROWS = 40
_CODE = re.compile(r"^\s*([A-Za-z]{0,2}\d+(?:\.\d+)*)(?=$|[\s.:)(\-–])")
_TOKEN = re.compile(r"^\s*([^\s(:\-–]+)")
_YEAR_IN_TEXT = re.compile(r"năm\s*(\d{4})", re.IGNORECASE)
_DATE_BEFORE_YEAR = re.compile(r"tháng\s*\d{1,2}\s*[,/]?\s*$", re.IGNORECASE)
_YEAR_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_NUMBERING = re.compile(r"^\(\s*[\dA-Za-z]+\s*\)$")

SELF, REVIEW = "self", "review"
_SELF_KEYS = ("tucham", "tudanhgia")
_REVIEW_KEYS = ("thamdinh", "captrencham", "captren", "danhgiacuacaptren")

# Column roles by folded header prefix; the first matching entry wins, so longer keys go first.
UNIT_META = [
    ("code", ("madonvi", "madv", "matochuc", "matccsd", "maso")),
    ("name", ("tendonvi", "tentochuc", "tentccsd", "ten")),
    ("cluster", ("khoithidua", "cumthidua", "khoi", "cum")),
    ("year", ("namdanhgia", "nam")),
    ("bonus", ("diemthuong", "diemcong")),
    ("penalty", ("diemtru",)),
    ("collective_discipline", ("kyluattapthe", "kyluattochuc")),
    ("head_discipline", ("kyluatnguoidungdau",)),
    ("disunity", ("matdoanket",)),
    ("corruption", ("thamnhung",)),
    ("note", ("ghichu",)),
    ("ignored", ("stt", "tt", "tongdiem", "tongcong", "xeploai", "xephang", "diemtuchamtong", "tong")),
]
LEADER_META = [
    ("code", ("madonvi", "madv", "matochuc", "matccsd", "maso")),
    ("unit_name", ("tendonvi", "tentochuc", "tentccsd")),
    ("name", ("hovaten", "hoten", "nguoidungdau", "ten")),
    ("title", ("chucvu",)),
    ("year", ("namdanhgia", "nam")),
    ("discipline", ("kyluat",)),
    ("low_confidence", ("tinnhiemthap", "phieutinnhiemthap")),
    ("note", ("ghichu",)),
    ("ignored", ("stt", "tt", "tongdiem", "tongcong", "xeploai", "xephang", "tong")),
]
_TOTAL_ROW = ("tongcong", "cong", "tong")
_TOTAL_PREFIXES = {"tổng", "tong", "cộng", "cong", "ngườ", "nguo", "nơi ", "noi ", "xác ", "xac ", "t/m ", "tm. "}
_SIGNATURE_TITLE = re.compile(r"^(T/M|TM\.)\s", re.IGNORECASE)


@dataclass
class ReadResult:
    """What a set of files gave: one YearData per year, the framework used and every problem."""

    years: dict[int, YearData]
    framework: Framework
    issues: list[Issue] = field(default_factory=list)
    framework_origin: str = ORIGIN_CHOSEN

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]


# ---------------------------------------------------------------- entry points


def read_files(files: list[tuple[str, bytes]] | workbook.Loading, framework: Framework | None = None,
               default_year: int | None = None, fallback: Framework | None = None) -> ReadResult:
    """Read files (name, bytes), or a Loading already under way, of one or more years.

    The framework: `framework` when the user chose one, else a "Tiêu chí" sheet in the files, else
    `fallback` (the store's active framework), else the default preset; the result says which.
    default_year is used only for inputs that state no year.
    """
    issues = Issues()
    loading = files if isinstance(files, workbook.Loading) else workbook.Loading(list(files))
    books: list[Book] = []
    for (name, _), result in zip(loading.files, loading.books()):
        if isinstance(result, UnreadableFile):
            issues.at(file=Path(name).name).error(str(result))
        else:
            books.append(result)
    origin = ORIGIN_CHOSEN
    if framework is None:
        framework, origin = _framework_from_books(books, issues), ORIGIN_FILE
        if framework is None:
            framework, origin = (fallback, ORIGIN_ACTIVE) if fallback is not None else (load_preset(), ORIGIN_PRESET)
    parts: list[_Part] = []
    for book in books:
        parts.extend(_read_book(book, framework, default_year, issues.at(file=book.name)))
    years = _consolidate(parts, framework, issues)
    for data in years.values():
        names = {s.name for s in data.sources}
        data.warnings = [w for w in issues.warnings if w.file in names]
    return ReadResult(years, framework, issues.items, origin)


def read_paths(paths: list[str | Path], framework: Framework | None = None,
               default_year: int | None = None) -> ReadResult:
    files, issues = workbook.read_bytes(paths)
    result = read_files(files, framework, default_year)
    result.issues[:0] = issues
    return result


# ---------------------------------------------------------------- sheets and headers


def find_sheet(book: Book, title: str) -> Grid | None:
    key = fold(title)
    return next((g for g in book.sheets if fold(g.name) == key), None)


@dataclass
class _Column:
    index: int
    label: str  # as shown to users in messages
    role: str  # meta role, "criterion", or "unknown"
    code: str = ""
    kind: str = REVIEW  # for criteria: SELF or REVIEW


@dataclass
class _Header:
    row: int  # first header row (0-based)
    data_start: int  # first data row (0-based)
    columns: list[_Column]

    def of(self, role: str) -> _Column | None:
        return next((c for c in self.columns if c.role == role), None)


def _cell_text(grid: Grid, row: int, col: int) -> str:
    value = grid.value(row, col)
    if value is None:
        return ""
    return number_text(value) if isinstance(value, float) else nfc(value)


def _find_header(grid: Grid, meta) -> int | None:
    code_keys = dict(meta)["code"]
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        for c in range(grid.width):
            if fold(_cell_text(grid, r, c)) in code_keys:
                return r
    return None


def leading_code(text: str, known: set[str]) -> tuple[str, int] | None:
    """The criterion code a header or "TT" cell starts with, and where it ends.

    A framework's own codes match whatever they look like ("A", "N1"); anything else that looks like
    a code ("2.9", "3") is returned too, so that an unknown code can be reported."""
    m = _TOKEN.match(text)
    if m and code_key(m.group(1)) in known:
        return m.group(1).rstrip("."), m.end()
    m = _CODE.match(text)
    return (m.group(1), m.end()) if m else None


def _criteria_row(grid: Grid, codes: set[str]) -> int | None:
    """The row of the title block that names the most criterion codes (at least two)."""
    best, count = None, 1
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        n = sum(1 for c in range(grid.width)
                if (found := leading_code(_cell_text(grid, r, c), codes)) and code_key(found[0]) in codes)
        if n > count:
            best, count = r, n
    return best


def _is_sub_header_row(grid: Grid, row: int, code_col: int, codes: set[str]) -> bool:
    """A row under the header that continues it: no unit code, some text, no numbers used as scores.

    Numbers are allowed when every one of them is a criterion code (2.1 typed in a cell is a number),
    and a numbering row "(1) (2) (3)" is not a header row."""
    if row >= grid.height or _cell_text(grid, row, code_col) or _is_numbering_row(grid, row):
        return False
    texts = [_cell_text(grid, row, c) for c in range(grid.width)]
    keys = [fold(t) for t in texts if t]
    numbers = [v for v in grid.row_values(row) if isinstance(v, float)]
    if numbers and not all(code_key(number_text(v)) in codes for v in numbers):
        return False
    return any(_has_key(k, _SELF_KEYS + _REVIEW_KEYS) for k in keys) or (
        bool(keys) and all(leading_code(t, codes) or not t[0].isdigit() for t in texts if t))


def _has_key(folded: str, keys: tuple[str, ...]) -> bool:
    """"Tự chấm", "Điểm tự chấm", "ĐV tự chấm" all name the self score: the key may be anywhere."""
    return any(k in folded for k in keys)


def _header(grid: Grid, meta, criteria: dict[str, Criterion], other_codes: set[str]) -> _Header | None:
    top = _find_header(grid, meta)
    if top is None:
        return None
    code_col = next(c for c in range(grid.width) if fold(_cell_text(grid, top, c)) in dict(meta)["code"])
    rows = [top]
    codes = {code_key(k) for k in criteria} | other_codes
    while len(rows) < 4 and _is_sub_header_row(grid, rows[-1] + 1, code_col, codes):
        rows.append(rows[-1] + 1)
    # Merged header cells carry their text in the first cell only: spread it to the right over
    # columns that have text in a lower header row (or over the merged range when the file says).
    spans = {(r0, c): c0 for (r0, c0), (r1, c1) in grid.merged for c in range(c0, c1 + 1)}
    parts = []
    for i, r in enumerate(rows):
        line = [_cell_text(grid, r, c) for c in range(grid.width)]
        for c in range(1, grid.width):
            lower = any(_cell_text(grid, rr, c) for rr in rows[i + 1:])
            if not line[c] and ((r, c) in spans or lower):
                line[c] = line[spans.get((r, c), c - 1)] if (r, c) in spans else line[c - 1]
        parts.append(line)
    columns = [_classify(c, [p[c] for p in parts], meta, criteria, other_codes) for c in range(grid.width)]
    data_start = rows[-1] + 1
    # A numbering row may sit right under the header or after a blank row.
    probe = data_start
    while probe < grid.height and not any(v is not None for v in grid.row_values(probe)):
        probe += 1
    while probe < grid.height and _is_numbering_row(grid, probe):
        data_start = probe = probe + 1
    return _Header(top, data_start, columns)


def _classify(index: int, parts: list[str], meta, criteria, other_codes) -> _Column:
    label = " / ".join(dict.fromkeys(p for p in parts if p))
    folded = [fold(p) for p in parts if p]
    if not folded:
        return _Column(index, column_letter(index), "empty")
    # The lowest header cell that starts with a code names the criterion ("1. Tiêu chí chung" above
    # "1.1" is a group); what follows the code ("2.1 (tự chấm)") or lies below it says self or review.
    # Group names above the code are not part of the label users see.
    known = {code_key(k) for k in criteria} | other_codes
    for i in reversed(range(len(parts))):
        found = leading_code(parts[i], known)
        if found:
            code, end = found
            below = [fold(parts[i][end:])] + [fold(p) for p in parts[i + 1:]]
            kind = SELF if any(_has_key(f, _SELF_KEYS) for f in below) and \
                not any(_has_key(f, _REVIEW_KEYS) for f in below) else REVIEW
            label = " / ".join(dict.fromkeys(p for p in parts[i:] if p))
            match = next((k for k in criteria if code_key(k) == code_key(code)), None)
            if match:
                return _Column(index, label, "criterion", match, kind)
            role = "other_target" if code_key(code) in other_codes else "unknown_code"
            return _Column(index, label, role, code, kind)
    joined = "".join(folded)
    for f in list(reversed(folded)) + [joined]:
        for role, keys in meta:
            if f.startswith(keys):
                return _Column(index, label, role)
    return _Column(index, label, "unknown")


def _is_numbering_row(grid: Grid, row: int) -> bool:
    """The "(1) (2) (3)", "A B 1 2 3" or "1 2 3 …" row some offices put under the header; numbers may be
    text (CSV) and a cell may say how it is computed ("(7)=(5)+(6)")."""
    if row >= grid.height:
        return False
    present = [v for v in grid.row_values(row) if v is not None]
    if len(present) < 3:
        return False
    if all(isinstance(v, str) and _NUMBERING.match(v.split("=")[0].strip()) for v in present):
        return True
    numbers = []
    for v in present:
        text = number_text(v) if isinstance(v, float) else v.split("=")[0].strip()
        if not text.isdigit():
            if numbers or len(text) != 1 or not text.isalpha():
                return False  # letters ("A", "B") only before the numbers
            continue
        numbers.append(int(text))
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


# ---------------------------------------------------------------- consolidated tables


@dataclass
class _Part:
    """Rows read from one sheet or form, before years are consolidated."""

    kind: str  # "units" or "leaders"
    rows: pd.DataFrame  # meta columns + year
    self_scores: pd.DataFrame
    review_scores: pd.DataFrame
    source: Source


def _read_book(book: Book, fw: Framework, default_year: int | None, issues: Issues) -> list[_Part]:
    source = Source(book.name, book.sha256, book.size, "csv" if book.kind == "csv" else "consolidated")
    title_year = _year_from_titles(book) or _year_from_name(book.name)
    fallback = title_year or default_year
    units_sheet = find_sheet(book, SHEET_UNITS)
    leaders_sheet = find_sheet(book, SHEET_LEADERS)
    if book.kind == "csv":
        grid = book.sheets[0]
        if _header(grid, LEADER_META, _criteria(fw, LEADER), set()) and _find_header(grid, UNIT_META) is not None \
                and any(fold(_cell_text(grid, r, c)).startswith(("hovaten", "hoten"))
                        for r in range(min(grid.height, HEADER_SCAN_ROWS)) for c in range(grid.width)):
            leaders_sheet, units_sheet = grid, None
        elif not _is_framework_grid(grid):
            units_sheet = grid
        else:
            return []
    parts = []
    if units_sheet is not None:
        part = _read_table(units_sheet, fw, UNIT, fallback, issues.at(sheet=units_sheet.name), source)
        if part is not None:
            parts.append(part)
    elif book.kind != "csv":
        form, header = _find_form(book)
        if form is None:
            names = ", ".join(f"“{g.name}”" for g in book.sheets)
            issues.error(f"Không tìm thấy trang “{SHEET_UNITS}” hoặc phiếu chấm điểm của đơn vị "
                         f"(tệp có các trang: {names})")
            return []
        part_list = _read_form(form, header, fw, fallback, issues.at(sheet=form.name),
                               Source(book.name, book.sha256, book.size, "form"))
        return part_list
    if leaders_sheet is not None:
        part = _read_table(leaders_sheet, fw, LEADER, fallback, issues.at(sheet=leaders_sheet.name), source)
        if part is not None:
            parts.append(part)
    return parts


def _criteria(fw: Framework, target: str) -> dict[str, Criterion]:
    return {c.code: c for c in fw.of(target)}


def _read_table(grid: Grid, fw: Framework, target: str, fallback_year: int | None, issues: Issues,
                source: Source) -> _Part | None:
    meta = UNIT_META if target == UNIT else LEADER_META
    criteria = _criteria(fw, target)
    other = {code_key(c.code) for c in fw.criteria if c.target != target}
    header = _header(grid, meta, criteria, other)
    if header is None:
        # Without its "Mã đơn vị" cell the header is still the row that names the criteria.
        row = _criteria_row(grid, {code_key(k) for k in criteria})
        if row is None:
            issues.error("Không tìm thấy dòng tiêu đề có cột “Mã đơn vị”")
        else:
            issues.error(f"Thiếu cột bắt buộc “{_ROLE_LABEL[target]['code']}”", row=row + 1)
        return None
    roles = {c.role: c for c in reversed(header.columns)}
    for role in ("code", "name"):
        if role not in roles:
            issues.error(f"Thiếu cột bắt buộc “{_ROLE_LABEL[target][role]}”", row=header.row + 1)
    by_code: dict[str, dict[str, _Column]] = {}
    reported: set[str] = set()  # a code merged over "Tự chấm" and "Thẩm định" is one mistake
    for col in header.columns:
        if col.role == "criterion":
            if col.kind in by_code.setdefault(col.code, {}):
                issues.error(f"Cột tiêu chí {col.code} ({'tự chấm' if col.kind == SELF else 'thẩm định'}) bị lặp",
                             row=header.row + 1, column=col.label)
            by_code[col.code][col.kind] = col
        elif col.role in ("unknown_code", "other_target") and col.code not in reported:
            reported.add(col.code)
            if col.role == "unknown_code":
                issues.error(f"Mã tiêu chí “{col.code}” không có trong bộ tiêu chí “{fw.name}”",
                             row=header.row + 1, column=col.code, value=col.code)
            else:
                issues.error(f"Tiêu chí {col.code} là tiêu chí của "
                             f"{'người đứng đầu' if target == UNIT else 'tổ chức'}, không thuộc trang này",
                             row=header.row + 1, column=col.code, value=col.code)
    for code in criteria:
        if code not in by_code:
            issues.error(f"Thiếu cột tiêu chí {code}", row=header.row + 1)
    # Header problems do not stop the reading: every problem of the file is reported at once.
    # Without a code column no row can be told apart, so nothing more can be checked.
    if "code" not in roles:
        return None

    rows = _data_rows(grid, header, roles["code"], roles.get("name"))
    if not len(rows):
        issues.warning("Không có dòng dữ liệu nào", row=header.data_start + 1)
    excel_rows = rows + 1
    codes = [c.upper() for c in _texts(grid, roles["code"], rows)]
    table = pd.DataFrame({"code": codes, "row": excel_rows})
    table["name"] = _texts(grid, roles.get("name"), rows)
    table["file"], table["sheet"] = source.name, grid.name
    table["year"] = _years(grid, roles.get("year"), rows, fallback_year, issues)
    if target == UNIT:
        table["cluster"] = _clusters(grid, roles.get("cluster"), rows, issues)
        table["bonus"] = _adjustment(grid, roles.get("bonus"), rows, fw.bonus_max, "thưởng", issues)
        table["penalty"] = _adjustment(grid, roles.get("penalty"), rows, fw.penalty_max, "trừ", issues)
        table["collective_discipline"] = _disciplines(grid, roles.get("collective_discipline"), rows, True, issues)
        table["head_discipline"] = _disciplines(grid, roles.get("head_discipline"), rows, False, issues)
        table["disunity"] = _flags(grid, roles.get("disunity"), rows, issues)
        table["corruption"] = _flags(grid, roles.get("corruption"), rows, issues)
        table["note"] = _texts(grid, roles.get("note"), rows)
    else:
        table["unit_code"] = table["code"]
        table["title"] = _texts(grid, roles.get("title"), rows)
        table["discipline"] = _disciplines(grid, roles.get("discipline"), rows, False, issues)
        table["low_confidence"] = _flags(grid, roles.get("low_confidence"), rows, issues)
    has_self = any(SELF in kinds for kinds in by_code.values())
    table["has_self_columns"] = has_self
    self_scores = pd.DataFrame(index=table.index)
    review = pd.DataFrame(index=table.index)
    for code, kinds in by_code.items():
        for kind, col in kinds.items():
            values = _scores(grid, col, rows, criteria[code].max_points, issues)
            (self_scores if kind == SELF else review)[code] = values
    for code in criteria:
        for frame in (self_scores, review):
            if code not in frame:
                frame[code] = np.nan
    return _Part("units" if target == UNIT else "leaders", table, self_scores[list(criteria)],
                 review[list(criteria)], source)


_ROLE_LABEL = {
    UNIT: {"code": "Mã đơn vị", "name": "Tên đơn vị"},
    LEADER: {"code": "Mã đơn vị", "name": "Họ và tên"},
}


def _code(value) -> str:
    return nfc(value).upper()


def _data_rows(grid: Grid, header: _Header, code_col: _Column, name_col: _Column | None) -> np.ndarray:
    """Rows holding a unit: up to a "Tổng cộng" row or the signature block ("Người lập biểu",
    "Nơi nhận:", "T/M …"), skipping blank rows and rows without a code or any number (notes).
    Rows without a code but with numbers are kept so that validation reports them."""
    start = header.data_start
    codes = grid.texts[code_col.index]
    code_numbers = grid.numbers[code_col.index][start:]
    end = grid.height
    # The label may be in any column left of the scores: STT (the table need not start in column A),
    # code, name, cluster.
    first_score = min((c.index for c in header.columns if c.role == "criterion"), default=grid.width)
    label_cols = sorted({*range(first_score), code_col.index} | ({name_col.index} if name_col else set()))
    # Cheap prefix test first: folding every name of a 60,000-row sheet costs seconds.
    candidates = sorted(r for c in label_cols for r, t in grid.texts[c].items()
                        if r >= start and t[:4].lower() in _TOTAL_PREFIXES and _is_total_label(t))
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
    return np.flatnonzero(has_code | has_number) + start


def _is_total_label(text: str) -> bool:
    """"Tổng cộng", "Cộng", or the first line of the signature block; not "Tổng công ty …"."""
    key = fold(text)
    if key.startswith("tongcongty"):
        return False
    return key in _TOTAL_ROW or key.startswith(("tongcong", "nguoilap", "noinhan", "xacnhan")) or \
        _SIGNATURE_TITLE.match(text) is not None


def _texts(grid: Grid, col: _Column | None, rows: np.ndarray) -> list[str]:
    if col is None:
        return [""] * len(rows)
    texts = grid.texts[col.index]
    out = [texts.get(r, "") for r in rows.tolist()]
    numbers = grid.numbers[col.index][rows]
    for i in np.flatnonzero(~np.isnan(numbers)).tolist():
        out[i] = out[i] or number_text(float(numbers[i]))
    return out


def _parsed(grid: Grid, col: _Column | None, rows: np.ndarray, parse, default, issues: Issues, message: str):
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


def _flags(grid, col, rows, issues) -> list[bool]:
    return _parsed(grid, col, rows, parse_flag, False, issues,
                   "Giá trị không hợp lệ: ghi “x” hoặc “có” nếu đúng, để trống nếu không")


def _disciplines(grid, col, rows, allow_flag: bool, issues) -> list[int]:
    message = "Hình thức kỷ luật không hợp lệ: khiển trách, cảnh cáo, cách chức, khai trừ/giải tán" + (
        " hoặc “x”" if allow_flag else "")
    return _parsed(grid, col, rows, lambda v: parse_discipline(v, allow_flag), 0, issues, message)


def _years(grid, col, rows, fallback, issues) -> list[int | None]:
    def parse(value):
        number = parse_number(value)
        if number is None or not number.is_integer() or not 1900 < number < 2200:
            raise ValueError(value)
        return int(number)

    years = _parsed(grid, col, rows, parse, fallback, issues, "Năm không hợp lệ")
    if any(y is None for y in years):
        missing = [int(r) + 1 for r, y in zip(rows, years) if y is None]
        issues.error("Không xác định được năm đánh giá: thêm cột “Năm”, ghi “NĂM 2025” ở tiêu đề, "
                     "đặt năm trong tên tệp hoặc chọn năm khi tải lên", row=missing[0])
    return years


def _clusters(grid, col, rows, issues) -> list[str]:
    """Cluster per row; a blank cell under a cluster continues it (a merged "Khối" cell)."""
    if col is None:
        return [""] * len(rows)
    values = _texts(grid, col, rows)
    merged = {(r, c) for (r0, c0), (r1, c1) in grid.merged if c0 <= col.index <= c1 for r in range(r0, r1 + 1)
              for c in [col.index]}
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


def _scores(grid: Grid, col: _Column, rows: np.ndarray, maximum: Decimal, issues: Issues,
            range_message: str | None = None) -> np.ndarray:
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
    top = float(maximum)
    bad = np.flatnonzero((values < 0) | (values > top))
    message = range_message or f"Điểm phải từ 0 đến {number_text(top)} (điểm tối đa của tiêu chí)"
    for i in bad:
        issues.error(message, row=int(rows[i]) + 1, column=col.label, value=typed.get(int(i), float(values[i])))
        values[i] = np.nan
    return values


def _index(rows: np.ndarray, r: int) -> int | None:
    i = int(np.searchsorted(rows, r))
    return i if i < len(rows) and rows[i] == r else None


# ---------------------------------------------------------------- years


def _year_from_titles(book: Book) -> int | None:
    """"… NĂM 2025" in the title block, read top to bottom, the data sheets first. A signing date
    ("Tân Yên, ngày 10 tháng 01 năm 2026") is not the year evaluated."""
    main = (fold(SHEET_UNITS), fold(SHEET_LEADERS))
    for grid in sorted(book.sheets, key=lambda g: fold(g.name) not in main):
        # Texts are stored by row, in order: stop at the first row past the title block.
        cells = sorted((r, c, text) for c, col in enumerate(grid.texts)
                       for r, text in takewhile(lambda item: item[0] < HEADER_SCAN_ROWS, col.items()))
        for _, _, text in cells:
            for m in _YEAR_IN_TEXT.finditer(text):
                if not _DATE_BEFORE_YEAR.search(text[:m.start()]):
                    return int(m.group(1))
    return None


def _year_from_name(name: str) -> int | None:
    m = _YEAR_IN_NAME.search(Path(name).stem)
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- per-unit forms

_FORM_LABELS = [
    ("code", ("madonvi", "madv", "matochuc", "matccsd")),
    ("name", ("tendonvi", "tentochuc", "tentccsd", "donvi", "tochuccosodang")),
    ("cluster", ("khoithidua", "cumthidua", "khoi", "cum")),
    ("year", ("namdanhgia", "nam")),
    ("leader_name", ("hovatennguoidungdau", "nguoidungdau", "hovaten", "hoten")),
    ("leader_title", ("chucvu",)),
    ("collective_discipline", ("kyluattapthe", "kyluattochuc")),
    ("head_discipline", ("kyluatnguoidungdau",)),
    ("disunity", ("matdoanket",)),
    ("corruption", ("thamnhung",)),
    ("low_confidence", ("tinnhiemthap",)),
    ("note", ("ghichu",)),
]


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
        key = fold(_cell_text(grid, r, c))
        for role, keys in (("tt", ("tt", "stt", "matieuchi")), ("criterion", ("tieuchi", "noidung")),
                           ("max", ("diemtoida", "thangdiem", "diemchuan")),
                           (SELF, _SELF_KEYS), (REVIEW, _REVIEW_KEYS)):
            # "Điểm tự chấm", "Điểm cấp trên chấm": score keys may follow other words.
            found = _has_key(key, keys) and len(key) <= 30 if role in (SELF, REVIEW) else key.startswith(keys)
            if found and role not in cols:
                cols[role] = c
                break
    return cols


def _find_form(book: Book) -> tuple[Grid | None, tuple[int, dict[str, int]] | None]:
    """The first sheet laid out as a per-unit form, with its table header."""
    for grid in book.sheets:
        header = _form_header(grid)
        if header is not None:
            return grid, header
    return None, None


def _read_form(grid: Grid, header: tuple[int, dict[str, int]], fw: Framework, fallback_year, issues: Issues,
               source: Source) -> list[_Part]:
    header_row, cols = header
    labels = _form_labels(grid, header_row, cols, issues)
    all_criteria = {code_key(c.code): c for c in fw.criteria}
    found: dict[str, tuple[int, float, float]] = {}
    bonus = penalty = (None, 0.0)
    for r in range(header_row + 1, grid.height):
        tt = _cell_text(grid, r, cols["tt"]) if "tt" in cols else ""
        name = _cell_text(grid, r, cols["criterion"])
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
            elif tt and (m := _CODE.match(tt)) and code_key(m.group(1)) not in all_criteria and not any(
                    c.code.startswith(m.group(1) + ".") for c in fw.criteria) and _has_number(grid, r, cols):
                issues.error(f"Mã tiêu chí “{tt}” không có trong bộ tiêu chí “{fw.name}”", row=r + 1,
                             column=_header_label(grid, header_row, cols["tt"]), value=tt)
            continue
        crit = all_criteria[code_key(code)]
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
                issues.warning(f"Điểm tối đa trên phiếu ({number_text(stated_number)}) khác bộ tiêu chí "
                               f"({number_text(float(crit.max_points))}) ở tiêu chí {crit.code}",
                               row=r + 1, column=_header_label(grid, header_row, cols["max"]))
        self_score = _cell_score(grid, r, cols.get(SELF), crit.max_points, header_row, issues)
        review = _cell_score(grid, r, cols.get(REVIEW), crit.max_points, header_row, issues)
        found[crit.code] = (r, self_score, review)

    unit_codes = fw.codes(UNIT)
    for code in unit_codes:
        if code not in found:
            issues.error(f"Phiếu thiếu tiêu chí {code}")
    code = _code(labels.get("code", ""))
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
        "code": code, "row": row, "name": labels.get("name", ""), "file": source.name, "sheet": grid.name,
        "year": year, "cluster": labels.get("cluster", ""), "bonus": bonus[1], "penalty": penalty[1],
        "collective_discipline": _label_value(labels, "collective_discipline", lambda v: parse_discipline(v, True), 0, issues),
        "head_discipline": _label_value(labels, "head_discipline", lambda v: parse_discipline(v, False), 0, issues),
        "disunity": _label_value(labels, "disunity", parse_flag, False, issues),
        "corruption": _label_value(labels, "corruption", parse_flag, False, issues),
        "note": labels.get("note", ""), "has_self_columns": SELF in cols,
    }
    parts = [_form_part("units", unit, found, unit_codes, source)]
    leader_codes = fw.codes(LEADER)
    if any(c in found for c in leader_codes):
        for c in leader_codes:
            if c not in found:
                issues.error(f"Phiếu thiếu tiêu chí {c} của người đứng đầu")
        leader = {
            "code": code, "unit_code": code, "row": found[next(c for c in leader_codes if c in found)][0] + 1,
            "name": labels.get("leader_name", ""), "title": labels.get("leader_title", ""),
            "file": source.name, "sheet": grid.name, "year": year,
            "discipline": unit["head_discipline"],
            "low_confidence": _label_value(labels, "low_confidence", parse_flag, False, issues),
            "has_self_columns": SELF in cols,
        }
        parts.append(_form_part("leaders", leader, found, leader_codes, source))
    return parts


def _form_part(kind, row: dict, found, codes, source) -> _Part:
    rows = pd.DataFrame([row])
    self_scores = pd.DataFrame([{c: found[c][1] if c in found else np.nan for c in codes}], columns=codes)
    review = pd.DataFrame([{c: found[c][2] if c in found else np.nan for c in codes}], columns=codes)
    return _Part(kind, rows, self_scores.astype(float), review.astype(float), source)


def _label_value(labels, key, parse, default, issues: Issues):
    if key not in labels or labels[key] == "":
        return default
    try:
        return parse(labels[key])
    except ValueError:
        issues.error(f"Giá trị “{_FORM_LABEL_NAMES.get(key, key)}” không hợp lệ", value=labels[key])
        return default


_FORM_LABEL_NAMES = {"collective_discipline": "Kỷ luật tập thể", "head_discipline": "Kỷ luật người đứng đầu",
                     "disunity": "Mất đoàn kết", "corruption": "Tham nhũng",
                     "low_confidence": "Tín nhiệm thấp trên 50%"}


def _form_labels(grid: Grid, header_row: int, cols: dict[str, int], issues: Issues) -> dict[str, str]:
    """Labelled cells ("Mã đơn vị: DV01", or "Mã đơn vị" then the value in a cell to its right)
    anywhere outside the score table's label columns."""
    table_cols = {cols.get("tt"), cols.get("criterion")}
    out: dict[str, str] = {}
    for r in range(grid.height):
        if r >= header_row and any(_cell_text(grid, r, c) for c in table_cols if c is not None) and \
                not _is_label_row(grid, r):
            continue
        for c in range(grid.width):
            text = _cell_text(grid, r, c)
            if not text:
                continue
            role = _label_role(text)
            if role is None or role in out:
                continue
            value = text.partition(":")[2].strip()
            if not value:
                # The value is the next filled cell, unless that cell is the next label ("Tham nhũng:").
                value = next((_cell_text(grid, r, cc) for cc in range(c + 1, grid.width) if _cell_text(grid, r, cc)), "")
                value = "" if value.endswith(":") and _label_role(value) else value
            if value:
                out[role] = value
    return out


def _label_role(text: str) -> str | None:
    label = text.partition(":")[0]
    key = fold(label)
    if not key:
        return None
    return next((role for role, keys in _FORM_LABELS if key.startswith(keys) and len(key) <= 40), None)


def _is_label_row(grid: Grid, r: int) -> bool:
    return any(":" in _cell_text(grid, r, c) for c in range(grid.width))


def _form_code(tt: str, name: str, fw: Framework) -> str | None:
    codes = {code_key(c.code): c.code for c in fw.criteria}
    for text in (tt, name):
        found = leading_code(text, set(codes))
        if found and code_key(found[0]) in codes:
            return codes[code_key(found[0])]
    key = fold(name)
    return next((c.code for c in fw.criteria if key and fold(c.name) == key), None)


def _has_number(grid, r, cols) -> bool:
    return any(grid.value(r, cols[k]) is not None for k in (SELF, REVIEW) if k in cols)


def _header_label(grid: Grid, header_row: int, col: int) -> str:
    return _cell_text(grid, header_row, col) or column_letter(col)


def _cell_score(grid: Grid, r: int, col: int | None, maximum: Decimal, header_row: int, issues: Issues) -> float:
    if col is None:
        return np.nan
    value = grid.value(r, col)
    label = _header_label(grid, header_row, col)
    try:
        number = parse_number(value)
    except ValueError:
        issues.error("Điểm không phải là số", row=r + 1, column=label, value=value)
        return np.nan
    if number is None:
        return np.nan
    if not 0 <= number <= float(maximum):
        issues.error(f"Điểm phải từ 0 đến {number_text(float(maximum))} (điểm tối đa của tiêu chí)",
                     row=r + 1, column=label, value=number)
        return np.nan
    return number


def _form_score(grid, r, cols, maximum: Decimal, header_row: int, issues: Issues) -> float:
    """A bonus or penalty row: the reviewed value, else the self-assessed one, else 0."""
    review = _cell_score(grid, r, cols.get(REVIEW), maximum, header_row, issues)
    value = review if not np.isnan(review) else _cell_score(grid, r, cols.get(SELF), maximum, header_row, issues)
    return 0.0 if np.isnan(value) else value


# ---------------------------------------------------------------- framework sheet


def _is_framework_grid(grid: Grid) -> bool:
    return any(fold(_cell_text(grid, r, c)) == "matieuchi" for r in range(min(grid.height, HEADER_SCAN_ROWS))
               for c in range(grid.width))


def _framework_from_books(books: list[Book], issues: Issues) -> Framework | None:
    found = []
    for book in books:
        grid = find_sheet(book, SHEET_FRAMEWORK)
        if grid is None and book.kind == "csv" and _is_framework_grid(book.sheets[0]):
            grid = book.sheets[0]
        if grid is not None:
            fw = read_framework_sheet(grid, load_preset(), issues.at(file=book.name, sheet=grid.name))
            if fw is not None:
                found.append((book.name, fw))
    if not found:
        return None
    first_name, first = found[0]
    for name, fw in found[1:]:
        if fw != first:
            issues.at(file=name).error(f"Trang “{SHEET_FRAMEWORK}” khác với trang cùng tên trong tệp {first_name}")
    return first


def read_framework_bytes(name: str, data: bytes, base: Framework) -> tuple[Framework | None, list[Issue]]:
    """A framework from a workbook's "Tiêu chí" sheet (or its only sheet), with every problem found."""
    issues = Issues(file=name)
    try:
        book = workbook.load(data, name)
    except UnreadableFile as e:
        issues.error(str(e))
        return None, issues.items
    grid = find_sheet(book, SHEET_FRAMEWORK) or (book.sheets[0] if len(book.sheets) == 1 else None)
    if grid is None:
        issues.error(f"Không tìm thấy trang “{SHEET_FRAMEWORK}”")
        return None, issues.items
    return read_framework_sheet(grid, base, issues.at(sheet=grid.name)), issues.items


def read_framework_sheet(grid: Grid, base: Framework, issues: Issues) -> Framework | None:
    """A "Tiêu chí" sheet as a framework; settings not in the sheet (thresholds, quota) from base."""
    top = next((r for r in range(min(grid.height, HEADER_SCAN_ROWS))
                if any(fold(_cell_text(grid, r, c)) == "matieuchi" for c in range(grid.width))), None)
    if top is None:
        issues.error("Không tìm thấy dòng tiêu đề có cột “Mã tiêu chí”")
        return None
    cols = {}
    for c in range(grid.width):
        key = fold(_cell_text(grid, top, c))
        for role, keys in (("code", ("matieuchi",)), ("group", ("nhom",)), ("name", ("tentieuchi", "tieuchi")),
                           ("max", ("diemtoida", "thangdiem")), ("weight", ("trongso",)), ("target", ("doituong",))):
            if key.startswith(keys) and role not in cols:
                cols[role] = c
    for role, label in (("name", "Tên tiêu chí"), ("max", "Điểm tối đa")):
        if role not in cols:
            issues.error(f"Thiếu cột bắt buộc “{label}”", row=top + 1)
    if issues.errors and any(i.sheet == issues.sheet for i in issues.errors):
        return None
    criteria, groups = [], {}
    settings = {}
    before = len(issues.errors)
    for r in range(top + 1, grid.height):
        cell = {role: _cell_text(grid, r, c) for role, c in cols.items()}
        if not any(cell.values()) or fold(cell.get("name", "")).startswith("tongcong"):
            continue
        target = LEADER if fold(cell.get("target", "")).startswith("nguoidungdau") else UNIT
        maximum = _decimal(grid.value(r, cols["max"]), r, "Điểm tối đa", issues, allow_blank=True)
        weight = _decimal(grid.value(r, cols["weight"]), r, "Trọng số", issues, allow_blank=True) \
            if "weight" in cols else None
        name_key = fold(cell.get("name", ""))
        group_text = cell.get("group", "")
        if not cell.get("code"):
            if name_key.startswith(("diemthuong", "diemcong")) and maximum is not None:
                settings["bonus_max"] = maximum
            elif name_key.startswith("diemtru") and maximum is not None:
                settings["penalty_max"] = maximum
            elif fold(group_text) == fold(RULES_GROUP):
                _rule_setting(cell.get("name", ""), maximum, settings, r, issues)
            elif group_text and weight is not None:
                key = _group_key(group_text)
                groups[key] = Group(key, group_text, weight)
            continue
        if maximum is None:
            issues.error("Thiếu điểm tối đa", row=r + 1, column="Điểm tối đa")
            continue
        if maximum <= 0:
            issues.error(f"Tiêu chí {cell['code']}: điểm tối đa phải lớn hơn 0", row=r + 1, column="Điểm tối đa",
                         value=maximum)
        if weight is not None and weight < 0:
            issues.error(f"Tiêu chí {cell['code']}: trọng số không được âm", row=r + 1, column="Trọng số",
                         value=weight)
        group_key = ""
        if target == UNIT:
            group_key = _group_key(group_text) if group_text else "I"
            if group_key not in groups:
                groups[group_key] = Group(group_key, group_text or group_key)
            elif groups[group_key].name == group_key and group_text:
                groups[group_key] = Group(group_key, group_text, groups[group_key].weight)
        criteria.append(Criterion(cell["code"], cell.get("name", ""), maximum, group_key, weight, target))
    if len(issues.errors) > before:
        return None
    if "thresholds" in settings:
        settings["thresholds"] = tuple(settings["thresholds"].get(i, base.thresholds[i]) for i in range(3))
    tie_break = base.tie_break_group if base.tie_break_group in groups else (list(groups)[-1] if groups else "")
    fw = base.with_criteria(tuple(criteria), tuple(groups.values()), tie_break_group=tie_break,
                            source=f"sheet:{grid.name}", **settings)
    for problem in fw.problems():
        issues.error(problem, row=top + 1)
    return None if fw.problems() else fw


def _rule_setting(name: str, value: Decimal | None, settings: dict, r: int, issues: Issues) -> None:
    """A row of the group "Quy tắc": a threshold, the quota percentage or what the quota is taken on."""
    key = fold(name)
    for i, label in enumerate(THRESHOLD_ROWS):
        if key == fold(label) and value is not None:
            settings.setdefault("thresholds", {})[i] = value
            return
    if key == fold(QUOTA_ROW) and value is not None:
        settings["quota_percent"] = value
    elif key.startswith(fold(QUOTA_BASE_ROW)):
        base = quota_base_of(name)
        if base is None:
            issues.error(f"Không hiểu cách tính chỉ tiêu “{name}”", row=r + 1, column="Tên tiêu chí", value=name)
        else:
            settings["quota_base"] = base


def _group_key(text: str) -> str:
    m = re.match(r"^\s*([IVXLC]+)[.\s)]", text + " ")
    return m.group(1) if m else nfc(text)


def _decimal(value, r, column, issues: Issues, allow_blank=False) -> Decimal | None:
    try:
        number = parse_number(value)
    except ValueError:
        issues.error(f"{column} không phải là số", row=r + 1, column=column, value=value)
        return None
    if number is None:
        if not allow_blank:
            issues.error(f"Thiếu {column.lower()}", row=r + 1, column=column)
        return None
    return Decimal(repr(number)).normalize() if not number.is_integer() else Decimal(int(number))


# ---------------------------------------------------------------- consolidation


def _consolidate(parts: list[_Part], fw: Framework, issues: Issues) -> dict[int, YearData]:
    """Parts of all files → one YearData per year; duplicates and orphan leaders are errors."""
    years: dict[int, YearData] = {}
    unit_parts = [p for p in parts if p.kind == "units"]
    leader_parts = [p for p in parts if p.kind == "leaders"]
    all_years = sorted({int(y) for p in parts for y in p.rows["year"].dropna()})
    for year in all_years:
        units, unit_self, unit_review, sources = _stack(unit_parts, year, fw.codes(UNIT))
        leaders, leader_self, leader_review, leader_sources = _stack(leader_parts, year, fw.codes(LEADER))
        _duplicates(units, "code", "Mã đơn vị", issues, "Mã đơn vị “{}” bị trùng trong năm {} (đã có ở {})", year)
        _duplicates(leaders, "unit_code", "Mã đơn vị", issues,
                    "Đơn vị “{}” có hơn một người đứng đầu trong năm {} (đã có ở {})", year)
        blank = units["code"] == ""
        for _, row in units[blank].iterrows():
            issues.at(file=row["file"], sheet=row["sheet"]).error("Dòng có điểm nhưng thiếu mã đơn vị", row=int(row["row"]),
                                                                 column="Mã đơn vị")
        if len(leaders):
            orphan = ~leaders["unit_code"].isin(set(units["code"]))
            for _, row in leaders[orphan].iterrows():
                issues.at(file=row["file"], sheet=row["sheet"]).error(
                    f"Mã đơn vị “{row['unit_code']}” không có trong danh sách tổ chức năm {year}",
                    row=int(row["row"]), column="Mã đơn vị", value=row["unit_code"])
        if not len(units):
            if len(leaders):
                issues.error(f"Năm {year} có người đứng đầu nhưng không có trang “{SHEET_UNITS}”")
            continue
        all_sources = list({s.name: s for s in sources + leader_sources}.values())
        years[year] = YearData(
            year=year,
            units=units[UNIT_COLUMNS].reset_index(drop=True),
            unit_self=unit_self.reset_index(drop=True), unit_review=unit_review.reset_index(drop=True),
            leaders=leaders.reindex(columns=LEADER_COLUMNS).reset_index(drop=True),
            leader_self=leader_self.reset_index(drop=True), leader_review=leader_review.reset_index(drop=True),
            sources=all_sources,
        )
    return years


def _stack(parts: list[_Part], year: int, codes: list[str]):
    chosen = [(p, p.rows["year"] == year) for p in parts]
    chosen = [(p, m) for p, m in chosen if m.any()]
    if not chosen:
        empty = pd.DataFrame(columns=UNIT_COLUMNS + ["unit_code", "title", "discipline", "low_confidence", "year"])
        scores = pd.DataFrame(columns=codes, dtype=float)
        return empty, scores, scores.copy(), []
    rows = pd.concat([p.rows[m] for p, m in chosen], ignore_index=True)
    self_scores = pd.concat([p.self_scores[m] for p, m in chosen], ignore_index=True)
    review = pd.concat([p.review_scores[m] for p, m in chosen], ignore_index=True)
    return rows, self_scores, review, [p.source for p, _ in chosen]


def _duplicates(rows: pd.DataFrame, key: str, column: str, issues: Issues, message: str, year: int) -> None:
    if not len(rows):
        return
    present = rows[rows[key] != ""]
    dup = present[present.duplicated(key, keep=False)]
    for code, group in dup.groupby(key, sort=False):
        first = group.iloc[0]
        for _, row in group.iloc[1:].iterrows():
            where = f"{first['file']}, dòng {first['row']}" if first["file"] != row["file"] else f"dòng {first['row']}"
            issues.at(file=row["file"], sheet=row["sheet"]).error(message.format(code, year, where),
                                                                  row=int(row["row"]), column=column, value=code)
