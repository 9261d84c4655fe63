"""Interpret the scoresheets offices exchange (docs/input.md) as validated tables of one or more years.

Files → Book (workbook.py) → per sheet: header found by its "Mã đơn vị" cell (reading/headers.py), columns
parsed column by column (reading/table.py, reading/form.py) → YearData per year (reading/consolidate.py).
Every problem is collected with its file, sheet, Excel row and column; nothing raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import workbook
from .dataset import ORIGIN_ACTIVE, ORIGIN_CHOSEN, ORIGIN_FILE, ORIGIN_PRESET, YearData
from .framework import Framework, load_preset
from .reading.consolidate import Part, consolidate
from .reading.framework_sheet import framework_from_books, read_framework_bytes, read_framework_sheet
from .reading.table import read_book
from .validation import Issue, Issues, Sorted
from .workbook import Book, UnreadableFile

__all__ = ["ReadResult", "read_files", "read_paths", "read_framework_bytes", "read_framework_sheet"]


@dataclass
class ReadResult(Sorted):
    """What a set of files gave: one YearData per year, the framework used and every problem."""

    years: dict[int, YearData]
    framework: Framework
    issues: list[Issue] = field(default_factory=list)
    framework_origin: str = ORIGIN_CHOSEN


def read_files(
    files: list[tuple[str, bytes]] | workbook.Loading,
    framework: Framework | None = None,
    default_year: int | None = None,
    fallback: Framework | None = None,
) -> ReadResult:
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
        framework, origin = framework_from_books(books, issues), ORIGIN_FILE
        if framework is None:
            framework, origin = (fallback, ORIGIN_ACTIVE) if fallback is not None else (load_preset(), ORIGIN_PRESET)
    parts: list[Part] = []
    for book in books:
        parts.extend(read_book(book, framework, default_year, issues.at(file=book.name)))
    years = consolidate(parts, framework, issues)
    for data in years.values():
        names = {s.name for s in data.sources}
        data.warnings = [w for w in issues.warnings if w.file in names]
    return ReadResult(years, framework, issues.items, origin)


def read_paths(
    paths: list[str | Path], framework: Framework | None = None, default_year: int | None = None
) -> ReadResult:
    files, issues = workbook.read_bytes(paths)
    result = read_files(files, framework, default_year)
    result.issues[:0] = issues
    return result
