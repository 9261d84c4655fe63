"""Finding a table's header in a sheet: the row of its "Mã đơn vị" cell, the rows under it that continue it,
and what each column holds (a field, a criterion's self or appraisal score, or something unknown)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..framework import Criterion
from ..text import code_key, fold, heading_matches, number_text
from ..validation import Issues
from ..vocabulary import HEADER_SCAN_ROWS, REVIEW, REVIEW_KEYS, SELF, SELF_KEYS
from ..workbook import Book, Grid, column_letter

CODE = re.compile(r"^\s*([A-Za-z]{0,2}\d+(?:\.\d+)*)(?=$|[\s.:)(\-–])")


TOKEN = re.compile(r"^\s*([^\s(:\-–]+)")


NUMBERING = re.compile(r"^\(\s*[\dA-Za-z]+\s*\)$")


def find_sheet(book: Book, title: str) -> Grid | None:
    key = fold(title)
    return next((g for g in book.sheets if fold(g.name) == key), None)


_COPY_SUFFIX = re.compile(r"^(\d+|copy\d*|bansao\d*|moi|new)$")


def choose_sheet(book: Book, title: str, issues: Issues) -> Grid | None:
    """The sheet named `title` (ignoring case, accents and spaces), or a copy of it ("Tổ chức (2)"). A visible
    sheet wins over a hidden one and the exact name over a copy; when several could be the table, a warning
    says which one was used and why."""
    key = fold(title)
    candidates = [
        g
        for g in book.sheets
        if fold(g.name) == key or (fold(g.name).startswith(key) and _COPY_SUFFIX.match(fold(g.name)[len(key) :]))
    ]
    if not candidates:
        return None
    chosen = min(candidates, key=lambda g: (g.hidden, fold(g.name) != key))
    others = [g for g in candidates if g is not chosen]
    if others:
        why = "trang đang hiện" if any(g.hidden for g in others) and not chosen.hidden else "đúng tên"
        skipped = ", ".join(f"“{g.name}”" + (" (ẩn)" if g.hidden else "") for g in others)
        issues.warning(f"Có nhiều trang có thể là bảng “{title}”: dùng trang “{chosen.name}” ({why}), bỏ qua {skipped}")
    return chosen


@dataclass
class Column:
    index: int
    label: str  # as shown to users in messages
    role: str  # meta role, "criterion", or "unknown"
    code: str = ""
    kind: str = REVIEW  # for criteria: SELF or REVIEW


@dataclass
class Header:
    row: int  # first header row (0-based)
    data_start: int  # first data row (0-based)
    columns: list[Column]

    def of(self, role: str) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)


def cell_text(grid: Grid, row: int, col: int) -> str:
    """A cell as text; texts are NFC and trimmed already (workbook._grid)."""
    value = grid.value(row, col)
    if value is None:
        return ""
    return number_text(value) if isinstance(value, float) else value


def code_keys(meta) -> set[str]:
    """Folded headings of the unit code column, matched whole: the cell that anchors a table's header."""
    return {k.rstrip("$") for k in dict(meta)["code"]}


def find_header(grid: Grid, meta) -> int | None:
    keys = code_keys(meta)
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        for c in range(grid.width):
            if fold(cell_text(grid, r, c)) in keys:
                return r
    return None


def leading_code(text: str, known: set[str]) -> tuple[str, int] | None:
    """The criterion code a header or "TT" cell starts with, and where it ends.

    A framework's own codes match whatever they look like ("A", "N1"); anything else that looks like
    a code ("2.9", "3") is returned too, so that an unknown code can be reported."""
    m = TOKEN.match(text)
    if m and code_key(m.group(1)) in known:
        return m.group(1).rstrip("."), m.end()
    m = CODE.match(text)
    return (m.group(1), m.end()) if m else None


def criteria_row(grid: Grid, codes: set[str]) -> int | None:
    """The row of the title block that names the most criterion codes (at least two)."""
    best, count = None, 1
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        n = sum(
            1
            for c in range(grid.width)
            if (found := leading_code(cell_text(grid, r, c), codes)) and code_key(found[0]) in codes
        )
        if n > count:
            best, count = r, n
    return best


def is_sub_header_row(grid: Grid, row: int, code_col: int, codes: set[str]) -> bool:
    """A row under the header that continues it: no unit code, some text, no numbers used as scores.

    Numbers are allowed when every one of them is a criterion code (2.1 typed in a cell is a number),
    and a numbering row "(1) (2) (3)" is not a header row."""
    if (
        row >= grid.height
        or cell_text(grid, row, code_col)
        or is_numbering_row(grid, row)
        or section_title(grid, row) is not None
    ):
        return False
    texts = [cell_text(grid, row, c) for c in range(grid.width)]
    keys = [fold(t) for t in texts if t]
    numbers = [v for v in grid.row_values(row) if isinstance(v, float)]
    if numbers and not all(code_key(number_text(v)) in codes for v in numbers):
        return False
    return any(has_key(k, SELF_KEYS + REVIEW_KEYS) for k in keys) or (
        bool(keys) and all(leading_code(t, codes) or not t[0].isdigit() for t in texts if t)
    )


_SECTION_MARK = re.compile(r"^(?:[IVXLC]+|[A-Z])\.?$")


def section_title(grid: Grid, row: int) -> str | None:
    """The title of a section row between the header and the units ("I | KHỐI XÃ, PHƯỜNG", "A. Khối cơ quan"):
    a numeral or letter and a title, nothing else on the row."""
    texts = [t for t in (cell_text(grid, row, c) for c in range(grid.width)) if t]
    if len(texts) == 2 and _SECTION_MARK.match(texts[0]):
        return texts[1]
    if len(texts) == 1:
        mark, _, title = texts[0].partition(" ")
        if _SECTION_MARK.match(mark) and mark.endswith(".") and title.strip():
            return title.strip()
    return None


def has_key(folded: str, keys: tuple[str, ...]) -> bool:
    """ "Tự chấm", "Điểm tự chấm", "ĐV tự chấm" all name the self score: the key may be anywhere."""
    return any(k in folded for k in keys)


def read_header(grid: Grid, meta, criteria: dict[str, Criterion], other_codes: set[str]) -> Header | None:
    top = find_header(grid, meta)
    if top is None:
        return None
    keys = code_keys(meta)
    code_col = next(c for c in range(grid.width) if fold(cell_text(grid, top, c)) in keys)
    rows = [top]
    codes = {code_key(k) for k in criteria} | other_codes
    while len(rows) < 4 and is_sub_header_row(grid, rows[-1] + 1, code_col, codes):
        rows.append(rows[-1] + 1)
    # Merged header cells carry their text in the first cell only: spread it to the right over
    # columns that have text in a lower header row (or over the merged range when the file says).
    spans = {(r0, c): c0 for (r0, c0), (r1, c1) in grid.merged for c in range(c0, c1 + 1)}
    parts = []
    for i, r in enumerate(rows):
        line = [cell_text(grid, r, c) for c in range(grid.width)]
        for c in range(1, grid.width):
            lower = any(cell_text(grid, rr, c) for rr in rows[i + 1 :])
            if not line[c] and ((r, c) in spans or lower):
                line[c] = line[spans.get((r, c), c - 1)] if (r, c) in spans else line[c - 1]
        parts.append(line)
    columns = [classify(c, [p[c] for p in parts], meta, criteria, other_codes) for c in range(grid.width)]
    data_start = rows[-1] + 1
    # A numbering row may sit right under the header or after a blank row.
    probe = data_start
    while probe < grid.height and not any(v is not None for v in grid.row_values(probe)):
        probe += 1
    while probe < grid.height and is_numbering_row(grid, probe):
        data_start = probe = probe + 1
    return Header(top, data_start, columns)


def classify(index: int, parts: list[str], meta, criteria, other_codes) -> Column:
    label = " / ".join(dict.fromkeys(p for p in parts if p))
    folded = [fold(p) for p in parts if p]
    if not folded:
        return Column(index, column_letter(index), "empty")
    # The lowest header cell that starts with a code names the criterion ("1. Tiêu chí chung" above
    # "1.1" is a group); what follows the code ("2.1 (tự chấm)") or lies below it says self or review.
    # Group names above the code are not part of the label users see.
    known = {code_key(k) for k in criteria} | other_codes
    for i in reversed(range(len(parts))):
        found = leading_code(parts[i], known)
        if found:
            code, end = found
            below = [fold(parts[i][end:])] + [fold(p) for p in parts[i + 1 :]]
            kind = (
                SELF
                if any(has_key(f, SELF_KEYS) for f in below) and not any(has_key(f, REVIEW_KEYS) for f in below)
                else REVIEW
            )
            label = " / ".join(dict.fromkeys(p for p in parts[i:] if p))
            match = next((k for k in criteria if code_key(k) == code_key(code)), None)
            if match:
                return Column(index, label, "criterion", match, kind)
            role = "other_target" if code_key(code) in other_codes else "unknown_code"
            return Column(index, label, role, code, kind)
    # The whole heading first ("Kỷ luật" over "Người đứng đầu"), then its cells from the lowest up.
    for text in [" ".join(p for p in parts if p), *reversed([p for p in parts if p])]:
        for role, keys in meta:
            if heading_matches(text, keys):
                return Column(index, label, role)
    return Column(index, label, "unknown")


def is_numbering_row(grid: Grid, row: int) -> bool:
    """The "(1) (2) (3)", "A B 1 2 3" or "1 2 3 …" row some offices put under the header; numbers may be
    text (CSV) and a cell may say how it is computed ("(7)=(5)+(6)")."""
    if row >= grid.height:
        return False
    present = [v for v in grid.row_values(row) if v is not None]
    if len(present) < 3:
        return False
    if all(isinstance(v, str) and NUMBERING.match(v.split("=")[0].strip()) for v in present):
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
