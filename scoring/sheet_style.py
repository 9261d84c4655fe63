"""The look shared by every sheet we write with openpyxl: the heading block, titles, header cells, unlocked input
cells, row heights, validation, protection, the printed page, and a byte-stable save."""

from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .text import formula_like

FONT_NAME = "Times New Roman"


LINE_HEIGHT = 15  # points per line of wrapped 11–12 pt text


CHARS_PER_WIDTH = 1.3  # Times New Roman characters per unit of column width, with a margin


_THIN = Side(style="thin")


BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")


UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)
SHADED = PatternFill("solid", fgColor="D9D9D9")  # a cell not to fill in (a self score only the superior gives)


@cache
def font(bold: bool = False, italic: bool = False, size: int = 12) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic)


@dataclass(frozen=True)
class Heading:
    """The official header block above a table (docs/report.md): superior body, issuing body, place and date."""

    superior: str = "ĐẢNG BỘ ............................"
    issuer: str = "ĐẢNG ỦY ............................"
    place_date: str = "............, ngày ..... tháng ..... năm ......."


def put(ws: Worksheet, row: int, column: int, value=None):
    """A cell written with `value` as data, never as a formula: openpyxl takes any text starting with "=" for
    one, so a name typed "=HYPERLINK(…)" is stored as that text. The template's own formulas use `ws.cell`."""
    cell = ws.cell(row, column, value)
    if formula_like(value):
        cell.data_type = "s"
    return cell


def _heading(ws: Worksheet, heading: Heading, left: tuple[int, int], right: tuple[int, int]) -> None:
    """Left: superior body, issuing body (bold), "*"; right: party name (bold), place and date (italic)."""
    cells = [
        (1, left, heading.superior, font()),
        (2, left, heading.issuer, font(bold=True)),
        (3, left, "*", font()),
        (1, right, "ĐẢNG CỘNG SẢN VIỆT NAM", font(bold=True)),
        (3, right, heading.place_date, font(italic=True)),
    ]
    for r, (c0, c1), text, style in cells:
        cell = put(ws, r, c0, text)
        cell.font, cell.alignment = style, Alignment(horizontal="center")
        if c1 > c0:
            ws.merge_cells(start_row=r, start_column=c0, end_row=r, end_column=c1)


def _title(ws: Worksheet, text: str, row: int, width: int) -> None:
    cell = put(ws, row, 1, text)
    cell.font, cell.alignment = font(bold=True, size=14), Alignment(horizontal="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def _header_cell(cell) -> None:
    cell.font, cell.border, cell.fill = font(bold=True, size=11), BORDER, HEADER_FILL
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _input_style(ws: Worksheet, align: str) -> str:
    """A named style for data cells: unlocked, bordered; one lookup per cell instead of four styles."""
    name = "Ô nhập liệu" if align == "center" else "Ô nhập liệu (căn trái)"
    if name not in ws.parent.named_styles:
        ws.parent.add_named_style(
            NamedStyle(
                name,
                font=font(size=11),
                border=BORDER,
                protection=UNLOCKED,
                alignment=Alignment(horizontal=align, vertical="center", wrap_text=True),
            )
        )
    return name


def _fit_height(ws: Worksheet, r: int, texts: list[tuple[object, float]]) -> None:
    """Room for wrapped text: spreadsheets do not grow a row whose height the file leaves unset."""
    lines = max(
        (math.ceil(len(t) / (width * CHARS_PER_WIDTH)) for t, width in texts if isinstance(t, str) and t), default=1
    )
    if lines > 1:
        ws.row_dimensions[r].height = LINE_HEIGHT * lines


def _validate(ws: Worksheet, rule: DataValidation, cells: str) -> None:
    ws.add_data_validation(rule)
    rule.add(cells)


def _protect(ws: Worksheet) -> None:
    """Lock everything but the unlocked input cells; columns and rows may still be resized."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _page(ws: Worksheet, landscape: bool) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _StableZip(zipfile.ZipFile):
    """Zip members with a fixed timestamp, so that the same workbook always gives the same bytes."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        # openpyxl writes each worksheet to a temporary file first: its mtime would end up in the zip.
        self.writestr(arcname or Path(filename).name, Path(filename).read_bytes(), compress_type, compresslevel)


def save(wb: Workbook, path: Path, when: datetime) -> None:
    """Save with `when` as created/modified time (openpyxl's save would stamp the current time)."""
    wb.properties.created = wb.properties.modified = when
    with _StableZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
