"""A round's roster (code, name, cluster) as offices really hand it over: rows pasted from Excel (tab-separated) or
typed with semicolons, a plain list workbook (Mã / Tên / Khối in any sheet, under any sheet name), or the app's own
blank template with the codes filled. Nothing here asks for a year: the year is the round's.

Every problem is an issue with file, sheet, row, column and value: a duplicate or missing code is an error (the
round would not open), an empty name a warning. `summary` is what a person checks before opening the round.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .reading.headers import cell_text
from .text import fold, heading_matches, nfc, unit_code
from .validation import Issue, Issues, Sorted
from .vocabulary import FOOTER_STARTS, HEADER_SCAN_ROWS, SHEET_FRAMEWORK, SHEET_LEADERS, SHEET_UNITS, UNIT_META
from .workbook import Grid, Loading, UnreadableFile

COLUMNS = ["code", "name", "cluster"]
PASTED = "Danh sách dán vào"
# The scoresheet's headings, and what list workbooks also say ("Mã chi bộ", "Tên chi bộ", "Tên đảng bộ").
_KEYS = dict(UNIT_META) | {
    "code": (*dict(UNIT_META)["code"], "machibo", "madangbo"),
    "name": (*dict(UNIT_META)["name"], "tenchibo", "tendangbo", "ten"),
}
_NOT_ROSTERS = {fold(SHEET_FRAMEWORK), fold(SHEET_LEADERS), fold("Hướng dẫn")}
NO_CLUSTER = "(không ghi khối)"


@dataclass(frozen=True)
class Roster(Sorted):
    units: pd.DataFrame  # code (normal form), name, cluster, and where each came from: file, sheet, row
    issues: list[Issue]

    @property
    def table(self) -> pd.DataFrame:
        return self.units[COLUMNS]

    def summary(self) -> pd.DataFrame:
        """Units per cluster, with how many have no name, as a person checks a list before opening a round."""
        clusters = self.units["cluster"].where(self.units["cluster"] != "", NO_CLUSTER)
        counts = pd.DataFrame({"cluster": clusters, "unnamed": self.units["name"].eq("")})
        return (
            counts.groupby("cluster", sort=False)
            .agg(units=("unnamed", "size"), unnamed=("unnamed", "sum"))
            .reset_index()
        )


def from_text(text: str) -> Roster:
    """Rows pasted from Excel (tab-separated) or typed "mã; tên đơn vị; khối", one unit a line. A first line of
    headings (Mã, Tên, Khối in any order, an STT column too) says which column is which."""
    rows = [_split(line) for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    return _roster([(i + 1, r) for i, r in enumerate(rows)], Issues(file=PASTED))


def from_files(files: list[tuple[str, bytes]]) -> Roster:
    """The roster of a list workbook, the app's blank template with codes filled, or a consolidated scoresheet:
    the first sheet (a "Tổ chức" sheet first) with a column of unit codes under a heading."""
    issues = Issues()
    for (name, _), book in zip(files, Loading(files).books()):
        at = issues.at(name, "")
        if isinstance(book, UnreadableFile):
            at.error(str(book))
            continue
        grids = sorted(
            (g for g in book.sheets if fold(g.name) not in _NOT_ROSTERS),
            key=lambda g: fold(g.name) != fold(SHEET_UNITS),
        )
        for grid in grids:
            rows = _grid_rows(grid)
            if rows:
                return _roster(rows, at.at(sheet=grid.name))
        at.error("Không thấy danh sách đơn vị: cần một trang có cột “Mã đơn vị” (và “Tên đơn vị”, “Khối”)")
    return Roster(pd.DataFrame(columns=[*COLUMNS, "row"]), issues.items)


def from_file(name: str, content: bytes) -> Roster:
    """A roster file: a workbook (see `from_files`), or a text file of pasted rows (see `from_text`)."""
    if name.lower().endswith(".txt"):
        try:
            return from_text(content.decode("utf-8-sig"))
        except UnicodeDecodeError:  # an old Windows editor's Vietnamese
            return from_text(content.decode("cp1258", errors="replace"))
    return from_files([(name, content)])


def _split(line: str) -> list[str]:
    for mark in ("\t", ";"):
        if mark in line:
            return [nfc(part) for part in line.split(mark)]
    return [nfc(line)]


def _grid_rows(grid: Grid) -> list[tuple[int, list[str]]]:
    """The rows from the heading row down, as text, with their Excel row numbers."""
    for r in range(min(grid.height, HEADER_SCAN_ROWS)):
        cells = [cell_text(grid, r, c) for c in range(grid.width)]
        if any(heading_matches(c, _KEYS["code"]) for c in cells):
            return [(row + 1, [cell_text(grid, row, c) for c in range(grid.width)]) for row in range(r, grid.height)]
    return []


def _columns(rows: list[tuple[int, list[str]]]) -> tuple[dict[str, int], bool]:
    """Which column holds the code, name and cluster: by the headings of the first row, else in that order (after
    a numbering column 1, 2, 3… pasted with them)."""
    first = rows[0][1]
    found = {}
    for what in COLUMNS:
        at = next(
            (i for i, cell in enumerate(first) if i not in found.values() and heading_matches(cell, _KEYS[what])), None
        )
        if at is not None:
            found[what] = at
    if "code" in found:
        return found, True
    numbered = all(len(cells) > 2 and cells[0] == str(i) for i, (_, cells) in enumerate(rows, start=1))
    return dict(zip(COLUMNS, range(int(numbered), int(numbered) + 3))), False


def _roster(rows: list[tuple[int, list[str]]], at: Issues) -> Roster:
    where, headed = _columns(rows) if rows else ({}, False)
    records, seen = [], {}
    for number, cells in rows[1:] if headed else rows:

        def cell(what: str, cells: list[str] = cells) -> str:
            i = where.get(what)
            return cells[i] if i is not None and i < len(cells) else ""

        if any(fold(c).startswith(FOOTER_STARTS) for c in cells[: where["code"] + 1]):  # totals, signatures: the end
            break
        code, name, cluster = unit_code(cell("code")), cell("name"), cell("cluster")
        if not code:
            if name:
                at.error("Dòng có tên đơn vị nhưng thiếu mã", number, "Mã đơn vị", name)
            continue
        if code.startswith("("):  # a numbering row under the headings: (1), (2)…
            continue
        if code in seen:
            at.error(f"Trùng mã đơn vị với dòng {seen[code]}", number, "Mã đơn vị", code)
            continue
        seen[code] = number
        if not name:
            at.warning("Đơn vị chưa có tên", number, "Tên đơn vị", code)
        records.append((code, name, cluster, number))
    if not records and not at.errors:
        at.error("Danh sách không có đơn vị nào")
    return Roster(pd.DataFrame(records, columns=[*COLUMNS, "row"]), at.items)
