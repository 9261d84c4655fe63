"""The summary across committees (docs/access.md, "Committees"): the committees at a glance, how each rated its
units, and the ranking of every unit of the subtree where the committees' frameworks agree. The same columns make
the page's tables and the workbook's sheets."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pandas as pd

from . import __version__
from .formats import VN_TIME, format_vn
from .presentation import TIERS, Scale, scale
from .report import report_book
from .report_layout import ReportSettings, _Formats, _header_block, _page_setup, _signature, _table_header
from .report_rows import TIER, Column, cell_text, field, serial

ROUND_STATES = {"open": "Đang mở", "published": "Đã công bố", "": "Chưa mở"}
FULL_MARKS_NOTICE = 0.5  # a committee appraising at least half its units at the maximum is pointed out


def overview_columns(codes: tuple[str, ...] = tuple(TIERS)) -> list[Column]:
    """The committees' table: a column per tier the committees rated in (`province.tiers_of`)."""
    return [
        Column("STT", 6, serial, "integer", number=True),
        Column("Mã cấp ủy", 12, field("committee"), "text_center"),
        Column("Tên cấp ủy", 30, field("name"), "text", wraps=1),
        Column("Số đơn vị", 8, field("units"), "integer", number=True),
        *(Column(code, 9, field(code), "integer", number=True) for code in codes),
        Column("Đợt đánh giá", 12, lambda t: [ROUND_STATES[s] for s in t["round"]], "text_center"),
        Column("Trong đợt", 8, field("in_round"), "integer", number=True),
        Column("Đã nộp", 8, field("submitted"), "integer", number=True),
        Column("Chờ thẩm định", 10, field("waiting"), "integer", number=True),
        Column("Đã thẩm định", 10, field("appraised"), "integer", number=True),
        Column("Quá hạn chưa nộp", 10, field("late"), "integer", number=True),
    ]


def _share(name: str):
    return lambda t: (t[name] * 100).round(1).tolist()


def attention(table: pd.DataFrame) -> list[str]:
    """Why a committee's way of rating deserves a look: most units appraised at the maximum, or an appraisal that
    raises the units' own scores on average."""
    notes = []
    for full, gap in zip(table["full_marks"], table["gap"]):
        said = []
        if full >= FULL_MARKS_NOTICE:
            said.append(f"thẩm định điểm tối đa cho {format_vn(full * 100, 0)} % đơn vị")
        if not np.isnan(gap) and gap > 0:
            said.append(f"thẩm định cao hơn tự chấm bình quân {format_vn(gap)} điểm")
        notes.append("; ".join(said).capitalize())
    return notes


COMPARISON = [
    Column("STT", 6, serial, "integer", number=True),
    Column("Mã cấp ủy", 12, field("committee"), "text_center"),
    Column("Tên cấp ủy", 30, field("name"), "text", wraps=1),
    Column("Số đơn vị", 8, field("units"), "integer", number=True),
    Column("Tổng điểm: trung vị", 10, field("median"), "score", number=True),
    Column("Tứ phân vị dưới", 10, field("q1"), "score", number=True),
    Column("Tứ phân vị trên", 10, field("q3"), "score", number=True),
    Column("Thẩm định − tự chấm (bình quân)", 12, field("gap"), "score", number=True),
    Column("HTXSNV sau tỷ lệ (%)", 10, _share("top_share"), "score", number=True),
    Column("Thẩm định điểm tối đa (%)", 10, _share("full_marks"), "score", number=True),
    Column("Cần xem", 36, attention, "note", wraps=1.1),
]

RANKING = [
    Column("Xếp hạng chung", 8, field("rank"), "integer", number=True),
    Column("Cấp ủy", 22, field("committee_name"), "text", wraps=1),
    Column("Mã đơn vị", 10, field("code"), "text_center"),
    Column("Tên đơn vị", 30, field("name"), "text", wraps=1),
    Column("Khối", 16, field("cluster"), "text", wraps=1),
    Column("Tổng điểm", 9, field("total"), "score_bold", number=True),
    Column("Xếp loại", 17, field("tier"), TIER, wraps=1),
    Column("Hạng trong cấp ủy", 9, field("committee_rank"), "integer", number=True),
]


def shown(columns: list[Column], table: pd.DataFrame, tiers: Scale | None = None) -> pd.DataFrame:
    """A table as the page shows it: the workbook's columns, tiers by name (of `tiers`, the committees' scale)."""
    table = table.reset_index(drop=True)
    out = pd.DataFrame({c.heading: c.values(table) for c in columns})
    for c in columns:
        if c.style == TIER:
            out[c.heading] = out[c.heading].map((tiers or scale()).label)
    return out


def summary_bytes(
    year: int,
    overview: pd.DataFrame,
    comparison: pd.DataFrame,
    ranking: pd.DataFrame | None,
    why_no_ranking: str,
    settings: ReportSettings,
    now: datetime | None = None,
    tiers: Scale | None = None,
) -> bytes:
    """The province's summary of a year as a workbook: one sheet per table, each with the header and signature
    blocks; in place of the common ranking, the reason it cannot be made."""
    now = now or datetime.now(VN_TIME)
    buffer = io.BytesIO()
    book = report_book(buffer)
    title = f"TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ CÔNG TÁC DÂN VẬN CỦA CÁC CẤP ỦY NĂM {year}"
    book.workbook.set_properties({"title": title, "comments": f"Tạo bởi công cụ đánh giá dân vận {__version__}"})
    f = _Formats(book.workbook, tiers)
    sheets = [
        ("Các cấp ủy", overview_columns((tiers or scale()).codes), overview, title),
        ("So sánh", COMPARISON, comparison, f"SO SÁNH CÁCH ĐÁNH GIÁ CỦA CÁC CẤP ỦY NĂM {year}"),
    ]
    if ranking is not None:
        sheets.append(("Xếp hạng chung", RANKING, ranking, f"XẾP HẠNG CHUNG CÁC ĐƠN VỊ NĂM {year}"))
    for name, columns, table, heading in sheets:
        ws = book.workbook.add_worksheet(name)
        header_row = _header_block(ws, f, len(columns), cell_text(heading), settings, now)
        _table_header(ws, f, header_row, columns)
        book.table(ws, header_row + 1, columns, table.reset_index(drop=True), f)
        _signature(ws, f, header_row + len(table) + 2, len(columns), settings)
        _page_setup(ws, header_row)
    if ranking is None:
        ws = book.workbook.add_worksheet("Xếp hạng chung")
        ws.set_column(0, 0, 120)
        ws.write_string(0, 0, cell_text(why_no_ranking), f.wrap)
    book.close()
    return buffer.getvalue()
