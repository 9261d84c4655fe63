"""The report's layout with xlsxwriter: its cell formats, the printed page, the heading and signature blocks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import xlsxwriter

from .presentation import Scale, scale
from .report_rows import Column

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

    def __init__(self, wb: xlsxwriter.Workbook, tiers: Scale | None = None):
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
        self.text = fmt(cell, text_wrap=True)
        self.digest = fmt(cell, font_size=8)  # a SHA-256 on one line of the methodology sheet
        self.text_center = fmt(cell, align="center")
        self.integer = fmt(cell, align="center", num_format="0")
        self.score = fmt(cell, num_format="0.00")
        self.score_bold = fmt(cell, num_format="0.00", bold=True)
        self.percent = fmt(cell, num_format="0.00%")
        self.note = fmt(cell, text_wrap=True, font_size=11)
        self.tiers = tiers or scale()  # the scale of the year reported
        self.tier = {code: fmt(cell, bg_color=fill, text_wrap=True) for code, fill in self.tiers.fill.items()}
        self.label = fmt(base, bold=True)
        self.wrap = fmt(base, text_wrap=True, valign="top")


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


def _table_header(ws, f: _Formats, row: int, columns: list[Column]) -> None:
    ws.set_row(row, 48)
    for c, column in enumerate(columns):
        ws.set_column(c, c, column.width)
        ws.write_string(row, c, column.heading, f.header)


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
