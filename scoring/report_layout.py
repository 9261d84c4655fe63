"""The report's layout with xlsxwriter: its cell formats, the printed page, the heading and signature blocks, and
rows written as raw cells for speed (text escaped, clipped to Excel's limit, row heights from the text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

from .presentation import TIER_FILL, TIERS

FONT = "Times New Roman"


DOTS = "…………………"


@dataclass(frozen=True)
class ReportSettings:
    """Names printed in the header block and under the table; offices set their own."""

    superior_body: str = f"ĐẢNG BỘ {DOTS}"
    issuing_body: str = f"ĐẢNG ỦY {DOTS}"
    place: str = DOTS
    on_behalf: str = "T/M BAN THƯỜNG VỤ"
    signer_title: str = "BÍ THƯ"
    signer_name: str = ""
    recipients: tuple[str, ...] = ("- Như trên,", "- Lưu VP.")


class _Formats:
    """Every cell format of the report, made once."""

    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": FONT, "font_size": 12, "valign": "vcenter"}
        cell = base | {"border": 1}

        def fmt(props, **more):
            return wb.add_format({**props, **more})

        self.plain = fmt(base)
        self.bold_center = fmt(base, bold=True, align="center")
        self.center = fmt(base, align="center")
        self.italic_center = fmt(base, italic=True, align="center")
        self.party = fmt(base, bold=True, align="center", underline=1)
        self.title = fmt(base, bold=True, align="center", font_size=14, text_wrap=True)
        self.subtitle = fmt(base, italic=True, align="center")
        self.header = fmt(cell, bold=True, align="center", text_wrap=True, bg_color="#F2F2F2")
        # Two header rows that look merged without a vertical merge (which constant-memory mode cannot
        # write: it would flush the upper row before the rest of it is written).
        self.header_top = fmt(
            base, bold=True, align="center", text_wrap=True, bg_color="#F2F2F2", top=1, left=1, right=1
        )
        self.header_bottom = fmt(base, bg_color="#F2F2F2", bottom=1, left=1, right=1)
        self.text = fmt(cell, text_wrap=True)
        self.digest = fmt(cell, font_size=8)  # a SHA-256 on one line of the methodology sheet
        self.text_center = fmt(cell, align="center")
        self.integer = fmt(cell, align="center", num_format="0")
        self.score = fmt(cell, num_format="0.00")
        self.score_bold = fmt(cell, num_format="0.00", bold=True)
        self.percent = fmt(cell, num_format="0.00%")
        self.note = fmt(cell, text_wrap=True, font_size=11)
        self.tier = {code: fmt(cell, bg_color=TIER_FILL[code], text_wrap=True) for code in TIERS}
        self.label = fmt(base, bold=True)
        self.wrap = fmt(base, text_wrap=True, valign="top")
        # Style indexes of the formats used by raw rows (_RawRows).
        self.index = {
            name: getattr(self, name)._get_xf_index()
            for name in ("integer", "text", "text_center", "score", "score_bold", "note")
        }
        self.index |= {code: fmt._get_xf_index() for code, fmt in self.tier.items()}


def _paper(ws, pages_high: int = 0) -> None:
    """A4 landscape, one page wide (and `pages_high` high, 0 = as many as needed), page numbers."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, pages_high)
    ws.set_footer('&C&"Times New Roman"&10Trang &P/&N')


def _page_setup(ws, header_row: int, freeze_col: int = 3) -> None:
    """A table sheet: paper, margins, header rows repeated on every page, panes frozen under them."""
    _paper(ws)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.repeat_rows(header_row)
    ws.freeze_panes(header_row + 1, freeze_col)


def _header_block(ws, f: _Formats, width: int, title: str, settings: ReportSettings, now: datetime) -> int:
    """The official header: issuing bodies on the left, the Party's name and the date on the right,
    then the title. Returns the next free row."""
    left_end = max(2, width // 3)
    right_start = width - max(4, width // 3)
    date_line = f"{settings.place}, ngày {now.day:02d} tháng {now.month:02d} năm {now.year}"
    ws.merge_range(0, 0, 0, left_end, settings.superior_body, f.center)
    ws.merge_range(0, right_start, 0, width - 1, "ĐẢNG CỘNG SẢN VIỆT NAM", f.party)
    ws.merge_range(1, 0, 1, left_end, settings.issuing_body, f.bold_center)
    ws.merge_range(1, right_start, 1, width - 1, date_line, f.italic_center)
    ws.merge_range(2, 0, 2, left_end, "*", f.center)
    ws.set_row(4, 36)
    ws.merge_range(4, 0, 4, width - 1, title, f.title)
    return 6


def _table_header(ws, f: _Formats, row: int, columns: list[str], widths: list[float]) -> None:
    ws.set_row(row, 48)
    for c, (name, width) in enumerate(zip(columns, widths)):
        ws.set_column(c, c, width)
        ws.write_string(row, c, name, f.header)


LINE_HEIGHT = 15.75  # points per line of 12 pt Times New Roman


COLUMN = [xl_col_to_name(c) for c in range(16_384)]  # every column a sheet can have


MAX_CELL_TEXT = 32_767  # Excel's limit on the characters of a cell


CLIPPED = " … (đã cắt bớt: ô Excel chứa tối đa 32.767 ký tự)"


MAX_ROW_HEIGHT = 409  # points, Excel's largest row


class _RawRows:
    """Data rows streamed as sheet XML into a constant-memory worksheet.

    xlsxwriter's cell API costs about 10 µs a cell (argument checks, per-attribute regex escaping);
    a 60,000-unit report has three million cells. The rows here are the same XML xlsxwriter
    writes in constant-memory mode (inline strings escaped by its own escaper, styles by their
    index), written straight after the header rows, which the API writes and flushes first."""

    def __init__(self, ws, first_row: int):
        ws._write_single_row(first_row)  # flush the header rows written through the API
        self.ws, self.fh, self.first, self.row = ws, ws.fh, first_row, first_row

    def write(self, height: float, cells: list[str]) -> None:
        self.fh.write(f'<row r="{self.row + 1}" ht="{height:.16g}" customHeight="1">{"".join(cells)}</row>')
        self.row += 1

    def close(self, last_col: int) -> int:
        """Record the rows' extent; returns the next free row for the API."""
        if self.row > self.first:
            self.ws._check_dimensions(self.row - 1, last_col)
        self.ws.previous_row = self.row
        return self.row


def cell_text(value: object) -> str:
    """A text as a cell can hold it: clipped, with a note, past Excel's 32,767 characters."""
    text = str(value)
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - len(CLIPPED)] + CLIPPED


def xml_text(value: object) -> tuple[str, str]:
    """Escaped text of an inline string and the <t> attribute that keeps its outer spaces."""
    text = XMLwriter._escape_control_characters(cell_text(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text, ' xml:space="preserve"' if text != text.strip() else ""


def text_cell(col: int, row: int, style: int, value: object) -> str:
    """A string cell: never a formula, whatever the text starts with."""
    text, preserve = xml_text(value)
    return f'<c r="{COLUMN[col]}{row + 1}" s="{style}" t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def number_cell(col: int, row: int, style: int, value: float) -> str:
    if value != value:  # NaN: a blank, formatted cell
        return f'<c r="{COLUMN[col]}{row + 1}" s="{style}"/>'
    return f'<c r="{COLUMN[col]}{row + 1}" s="{style}"><v>{value:.16G}</v></c>'


def row_height(texts_and_widths: list[tuple[str, float]]) -> float:
    """Height for wrapped text: LibreOffice and Excel keep a written file's row heights, so the writer
    estimates them (about 1.1 characters of Times New Roman 12 pt per unit of column width)."""
    lines = max((-(-len(text) // max(int(width * 1.1) - 1, 1)) for text, width in texts_and_widths), default=1)
    return min(max(lines, 1) * LINE_HEIGHT + 3, MAX_ROW_HEIGHT)


def _signature(ws, f: _Formats, row: int, width: int, settings: ReportSettings) -> None:
    right = width - max(4, width // 3)
    ws.write_string(row, 1, "Nơi nhận:", f.label)
    ws.merge_range(row, right, row, width - 1, settings.on_behalf, f.bold_center)
    ws.write_string(row + 1, 1, settings.recipients[0] if settings.recipients else "", f.plain)
    ws.merge_range(row + 1, right, row + 1, width - 1, settings.signer_title, f.bold_center)
    for k, line in enumerate(settings.recipients[1:], start=2):
        ws.write_string(row + k, 1, line, f.plain)
    if settings.signer_name:
        ws.merge_range(row + 6, right, row + 6, width - 1, settings.signer_name, f.bold_center)
