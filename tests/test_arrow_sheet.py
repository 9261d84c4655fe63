"""The Arrow path (scoring/arrow_sheet.py) types every cell as the general path (python-calamine's cells) does.

Each workbook is parsed both ways — `arrow_from=0` sends every .xlsx sheet through Arrow, a huge `arrow_from` none —
and the grids must be equal cell by cell: numbers, texts, merged ranges, hidden sheets, uncalculated formulas."""

from __future__ import annotations

import datetime
import random
import unicodedata

import numpy as np
import openpyxl
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import arrow_sheet
from scoring.workbook import parse_spreadsheet
from tests.conftest import convert

GENERAL = 10**15


def assert_same(data: bytes) -> None:
    general, arrow = parse_spreadsheet(data, arrow_from=GENERAL), parse_spreadsheet(data, arrow_from=0)
    assert [(g.name, g.height, g.width, g.hidden) for g in general] == [
        (a.name, a.height, a.width, a.hidden) for a in arrow
    ]
    for g, a in zip(general, arrow):
        for c in range(g.width):
            assert np.array_equal(g.numbers[c], a.numbers[c], equal_nan=True), (g.name, c)
            assert g.texts[c] == a.texts[c], (g.name, c)
        assert (g.merged, g.uncalculated) == (a.merged, a.uncalculated)


TRICKY_TEXTS = [
    "1.1",  # a criterion's code: a text a float parser takes
    "8.5",
    "-3",
    ".5",
    "1e3",
    "inf",
    "NaN",
    " 7 ",
    "8,5",
    'a "quoted" \\ back\\slash',
    "line\nbreak\ttab",
    unicodedata.normalize("NFD", "Chi bộ Trường Tiểu học"),
    "\u0301 a combining mark first",
    "no\u00a0break\u200bzero width",
    "Điểm thưởng & trừ <x>",
    "_x000D_ escaped",
    "",
    "   ",
]


def _tricky_workbook(path, rows: int = 40) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws["C3"] = "BẢNG TỔNG HỢP"
    ws.merge_cells("C3:F3")
    ws.merge_cells("H1:H400")  # a merged range past the last row: clipped to the sheet
    rnd = random.Random(7)
    for r in range(5, 5 + rows):
        ws.cell(r, 2, f"DV{r:03d}")
        ws.cell(r, 3, rnd.choice(TRICKY_TEXTS))
        ws.cell(r, 4, rnd.choice([1.1, 8.5, 0.1 + 0.2, 5e-324, 1e20, -0.000123456789, 123456.78901234567, 0, 7]))
        ws.cell(r, 5, rnd.choice([True, False, None, "x"]))
        ws.cell(r, 6, f"=D{r}*2")
        ws.cell(r, 7, f'=IF(D{r}>1,"1.5","thấp")')
    ws["J2"] = "=1/0"
    hidden = wb.create_sheet("Ẩn")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "2.5"
    wb.save(path)


def test_tricky_cells_as_libreoffice_saves_them(soffice, tmp_path, monkeypatch):
    """Shared strings that read as numbers, booleans, formula texts, escapes, NFD, merged ranges, a hidden sheet,
    error cells: saved by LibreOffice (which computes the formulas), both paths agree and the Arrow path was taken."""
    source = tmp_path / "tricky.xlsx"
    _tricky_workbook(source)
    saved = convert(soffice, source, "xlsx", tmp_path / "lo")
    data = saved.read_bytes()
    fallbacks = []
    monkeypatch.setattr("scoring.workbook.log.info", lambda *a: fallbacks.append(a))
    assert_same(data)
    assert not fallbacks
    grid = parse_spreadsheet(data, arrow_from=0)[0]
    assert {"1.1", "8.5", "-3"} & set(grid.texts[2].values())  # texts that read as numbers stayed texts
    assert "1.5" in grid.texts[6].values()  # a formula's text result


def test_tricky_cells_as_openpyxl_writes_them(tmp_path):
    """Formulas without cached values (written by a program), every tricky text as a shared string."""
    source = tmp_path / "tricky.xlsx"
    _tricky_workbook(source, rows=len(TRICKY_TEXTS) * 3)
    assert_same(source.read_bytes())


def test_inline_strings_and_the_arrow_path_taken(tmp_path, monkeypatch):
    """xlsxwriter's constant-memory mode writes inline strings; "1.1" headings stay texts, numbers stay numbers, and
    the sheet really went through Arrow (no fallback logged)."""
    path = tmp_path / "inline.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Tổ chức")
    ws.write_row(3, 0, ["STT", "Mã", "1.1", "", "1.2", "TRUE"])
    ws.write_row(4, 0, ["", "", "Tự chấm", "Thẩm định", 2.5, True])
    for i in range(5, 60):
        ws.write_row(i, 0, [i - 4, f"DV{i}", 1.1, "8.5", 2.5, False])
    wb.close()
    fallbacks = []
    monkeypatch.setattr("scoring.workbook.log.info", lambda *a: fallbacks.append(a))
    assert_same(path.read_bytes())
    assert not fallbacks
    grid = parse_spreadsheet(path.read_bytes(), arrow_from=0)[0]
    assert grid.texts[2][3] == "1.1" and grid.numbers[2][10] == 1.1
    assert grid.texts[3][10] == "8.5" and np.isnan(grid.numbers[3][10])
    assert grid.texts[5][10] == "False" and grid.texts[5][3] == "TRUE"


def test_dates_go_the_general_way(tmp_path, monkeypatch):
    """Date and time cells are typed as python-calamine types them: the sheet is read the general way."""
    path = tmp_path / "dates.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = datetime.date(2025, 12, 15)
    wb.active["A2"] = 3.5
    wb.save(path)
    fallbacks = []
    monkeypatch.setattr("scoring.workbook.log.info", lambda *a: fallbacks.append(a))
    assert_same(path.read_bytes())
    assert fallbacks and "DateTime" in str(fallbacks[0])


def test_chunks_cut_at_row_ends(tmp_path, monkeypatch):
    """The XML is scanned in chunks: a text that reads as a number on a chunk's edge is still found."""
    monkeypatch.setattr(arrow_sheet, "CHUNK", 257)
    path = tmp_path / "chunks.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    for i in range(300):
        ws.write_row(i, 0, [f"{i}.5", i + 0.25, "tên đơn vị " * (i % 7)])
    wb.close()
    assert_same(path.read_bytes())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.floats(allow_nan=False, allow_infinity=False),
                st.booleans(),
                st.text(max_size=12),
                st.sampled_from(TRICKY_TEXTS),
            ),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=12,
    )
)
def test_any_cells(tmp_path, rows):
    """Any mix of numbers, booleans and texts (control characters aside: Excel cannot hold them)."""
    path = tmp_path / "any.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    ws = wb.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                value = "".join(ch for ch in value if ch.isprintable() or ch == " ")
                ws.write_string(r + 1, c + 1, value)
            elif value is not None:
                ws.write(r + 1, c + 1, value)
    wb.close()
    assert_same(path.read_bytes())
