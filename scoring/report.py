"""The ranked report (docs/report.md): one workbook per year, ready to print, sign and send up.

Sheets in order: "Xếp hạng", "Chi tiết tiêu chí", "Người đứng đầu" (when there are leaders),
"Thống kê", "Phương pháp". Each table is a list of columns (scoring.report_rows.Column), its rows written as
sheet XML; text is always written as a string cell, never as a formula, whatever it starts with.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import __version__
from .components import shown, summed
from .engine import YearResult
from .formats import VN_TIME, format_vn, moment, number_setting
from .framework import LEADER, QUOTA_BASES, SUPERIOR, UNIT
from .presentation import TIERS, rank_change_text, scale, unit_notes
from .report_layout import FONT, ReportSettings, _Formats, _header_block, _page_setup, _paper, _signature, _table_header
from .report_rows import TIER, Book, Column, cell_text, field, serial

NO_SETTINGS = ReportSettings()  # dotted blanks where the committee has not filled its details
SHEETS = ["Xếp hạng", "Chi tiết tiêu chí", "Người đứng đầu", "Thống kê", "Phương pháp"]
RANKING = [
    Column("STT", 6, serial, "integer", number=True),
    Column("Mã đơn vị", 10, field("code"), "text_center"),
    Column("Tên đơn vị", 30, field("name"), "text", wraps=1),
    Column("Khối", 19, field("cluster"), "text", wraps=1),
    Column("Điểm tự chấm", 9, field("self_score"), "score", number=True),
    Column("Điểm thẩm định", 10, field("review_score"), "score", number=True),
    Column("Điểm thưởng", 8, field("bonus"), "score", number=True),
    Column("Điểm trừ", 7, field("penalty"), "score", number=True),
    Column("Tổng điểm", 9, field("total"), "score_bold", number=True),
    Column("Xếp loại", 17, field("tier"), TIER, wraps=1),
    Column("Xếp hạng", 8, field("rank"), "integer", number=True),
    Column("Hạng trong khối", 8, field("cluster_rank"), "integer", number=True),
    Column("Thay đổi hạng", 8, field("rank_change_text"), "text_center"),
    Column("Ghi chú", 40, field("notes"), "note", wraps=1.1),
]
RANKING_COLUMNS = [c.heading for c in RANKING]
TITLE = "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CÔNG TÁC DÂN VẬN NĂM {year}"


def report_bytes(
    result: YearResult, cluster: str | None = None, settings: ReportSettings = NO_SETTINGS, now: datetime | None = None
) -> bytes:
    buffer = io.BytesIO()
    write_report(result, buffer, cluster, settings, now)
    return buffer.getvalue()


def write_report(
    result: YearResult,
    target: str | Path | io.BytesIO,
    cluster: str | None = None,
    settings: ReportSettings = NO_SETTINGS,
    now: datetime | None = None,
) -> None:
    """Write the report of one year, optionally for one cluster only."""
    now = now or datetime.now(VN_TIME)
    units = result.units if cluster is None else result.units[result.units["cluster"] == cluster]
    leaders = result.leaders if cluster is None else result.leaders[result.leaders["cluster"] == cluster]
    quota = result.quota if cluster is None else result.quota[result.quota["cluster"] == cluster]
    book = report_book(target)
    wb = book.workbook
    wb.set_properties(
        {
            "title": TITLE.format(year=result.year),
            "author": settings.issuing_body,
            "comments": f"Tạo bởi công cụ đánh giá dân vận {__version__}",
        }
    )
    f = _Formats(wb, scale(result.framework))
    title = cell_text(TITLE.format(year=result.year) + (f" – {cluster.upper()}" if cluster else ""))
    _ranking_sheet(book, f, result, units, title, settings, now)
    _detail_sheet(book, f, result, units, title)
    if len(leaders):
        _leaders_sheet(book, f, result, leaders, title)
    _statistics_sheet(wb, f, result, units, leaders, quota, title, cluster)
    _method_sheet(wb, f, result, cluster, now)
    book.close()


def report_book(target: str | Path | io.BytesIO) -> Book:
    """A workbook of ours: text stays text (never a formula, a link or a number), in the report's font."""
    return Book(
        target,
        {
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": {"font_name": FONT, "font_size": 12},
        },
    )


def _ranking_sheet(
    book: Book, f: _Formats, result: YearResult, units: pd.DataFrame, title: str, settings: ReportSettings, now
) -> None:
    ws = book.workbook.add_worksheet(SHEETS[0])
    width = len(RANKING)
    header_row = _header_block(ws, f, width, title, settings, now)
    _table_header(ws, f, header_row, RANKING)
    has_previous = result.previous_year is not None
    shown = units.assign(
        rank_change_text=[rank_change_text(c, has_previous) for c in units["rank_change"].tolist()],
        notes=unit_notes(units),
    )
    book.table(ws, header_row + 1, RANKING, shown, f)
    last = header_row + len(units)
    ws.autofilter(header_row, 0, max(last, header_row), width - 1)
    _signature(ws, f, last + 2, width, settings)
    _page_setup(ws, header_row)


def _detail_lines(result: YearResult, units: pd.DataFrame) -> tuple[pd.DataFrame, list[Column]]:
    """Per unit and criterion: self score, review score and points used; group subtotals; bonus, penalty, total."""
    scores = result.unit_scores.take(units.index)
    fw = result.framework
    frames = [summed(fw, UNIT, f) for f in (scores.self_scores, scores.review_scores, scores.points)]
    parts = {
        f"{c.code} {part}": frame[c.code].to_numpy(dtype=float)
        for c in shown(fw, UNIT)
        for part, frame in zip(("TC", "TĐ", "Tính"), frames)
    }
    groups = result.unit_groups.loc[units.index]
    parts |= {f"Cộng nhóm {g.key}": groups[g.key].to_numpy(dtype=float) for g in fw.groups}
    parts |= {"Điểm thưởng": units["bonus"].to_numpy(dtype=float), "Điểm trừ": units["penalty"].to_numpy(dtype=float)}
    lines = pd.concat([units[["code", "name", "cluster", "total"]], pd.DataFrame(parts, index=units.index)], axis=1)
    columns = [
        Column("STT", 6, serial, "integer", number=True),
        Column("Mã đơn vị", 11, field("code"), "text_center"),
        Column("Tên đơn vị", 32, field("name"), "text", wraps=1),
        Column("Khối", 19, field("cluster"), "text", wraps=1),
        *(Column(heading, 7.5, field(heading), "score", number=True) for heading in parts),
        Column("Tổng điểm", 7.5, field("total"), "score_bold", number=True),
    ]
    return lines, columns


def _detail_sheet(book: Book, f: _Formats, result: YearResult, units: pd.DataFrame, title: str) -> None:
    """A criterion's heading spans its three columns (TC, TĐ, Tính) over a second header row."""
    fw = result.framework
    ws = book.workbook.add_worksheet(SHEETS[1])
    criteria = shown(fw, UNIT)
    lines, columns = _detail_lines(result, units)
    width = len(columns)
    ws.merge_range(0, 0, 0, width - 1, title, f.title)
    ws.set_row(0, 36)
    ws.merge_range(
        1,
        0,
        1,
        width - 1,
        "CHI TIẾT ĐIỂM THEO TIÊU CHÍ (TC: tự chấm; TĐ: thẩm định; Tính: điểm dùng để tính)",
        f.subtitle,
    )
    top, sub = 3, 4
    ws.set_row(top, 32)
    for k, c in enumerate(criteria):
        ws.merge_range(top, 4 + 3 * k, top, 6 + 3 * k, f"{c.code} ({format_vn(c.max_points, 0)}đ)", f.header)
        for j, name in enumerate(("TC", "TĐ", "Tính")):
            ws.write_string(sub, 4 + 3 * k + j, name, f.header)
    for c, column in enumerate(columns):
        ws.set_column(c, c, column.width)
        if not 4 <= c < 4 + 3 * len(criteria):  # a heading of its own, over both rows
            ws.merge_range(top, c, sub, c, column.heading, f.header)
    book.table(ws, sub + 1, columns, lines, f)
    ws.autofilter(sub, 0, sub + max(len(units), 1), width - 1)
    _page_setup(ws, sub, freeze_col=4)
    ws.repeat_rows(top, sub)


def _leaders_sheet(book: Book, f: _Formats, result: YearResult, leaders: pd.DataFrame, title: str) -> None:
    points = summed(result.framework, LEADER, result.leader_scores.points.loc[leaders.index])
    headings = {f"{c.code} ({format_vn(c.max_points, 0)}đ)": c.code for c in shown(result.framework, LEADER)}
    scores = {heading: points[code].to_numpy(dtype=float) for heading, code in headings.items()}
    lines = pd.concat([leaders, pd.DataFrame(scores, index=leaders.index)], axis=1)
    columns = [
        Column("STT", 6, serial, "integer", number=True),
        Column("Mã đơn vị", 10, field("unit_code"), "text_center"),
        Column("Tên đơn vị", 30, field("unit_name"), "text", wraps=1),
        Column("Họ và tên", 22, field("name"), "text", wraps=1),
        Column("Chức vụ", 14, field("title"), "text", wraps=1),
        *(Column(heading, 8, field(heading), "score", number=True) for heading in headings),
        Column("Tổng điểm", 9, field("total"), "score_bold", number=True),
        Column("Xếp loại", 19, field("tier"), TIER, wraps=1),
        Column("Xếp hạng", 8, field("rank"), "integer", number=True),
        Column("Ghi chú", 44, field("reason"), "note", wraps=1.1),
    ]
    ws = book.workbook.add_worksheet(SHEETS[2])
    ws.merge_range(0, 0, 0, len(columns) - 1, title, f.title)
    ws.set_row(0, 36)
    ws.merge_range(1, 0, 1, len(columns) - 1, "KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI NGƯỜI ĐỨNG ĐẦU", f.bold_center)
    header_row = 3
    _table_header(ws, f, header_row, columns)
    book.table(ws, header_row + 1, columns, lines, f)
    ws.autofilter(header_row, 0, header_row + len(leaders), len(columns) - 1)
    _page_setup(ws, header_row)


TOTAL_LABEL = "Toàn bộ các khối"


def tier_counts(units: pd.DataFrame, codes=tuple(TIERS)) -> list[tuple[str, pd.Series, bool]]:
    """Units per cluster and tier (of the scale's `codes`) with a total column, then the total row (label, counts,
    is_total): the total is a row of its own, so that a cluster named like it is never overwritten."""
    codes = list(codes)
    tiers = pd.Categorical(units["tier"].where(units["tier"].isin(codes)), categories=codes)  # others: not counted
    table = pd.crosstab(units["cluster"], tiers).reindex(columns=codes)
    table = table.fillna(0).astype(int)
    table["Tổng"] = table.sum(axis=1)
    return [(str(name), row, False) for name, row in table.iterrows()] + [(TOTAL_LABEL, table.sum(axis=0), True)]


def _statistics_sheet(wb, f: _Formats, result: YearResult, units, leaders, quota, title, cluster) -> None:
    ws = wb.add_worksheet(SHEETS[3])
    ws.set_column(0, 0, 30)
    ws.set_column(1, 12, 12)
    ws.merge_range(0, 0, 0, 10, title, f.title)
    ws.set_row(0, 36)
    codes, k = f.tiers.codes, len(f.tiers.codes)
    counts = tier_counts(units, codes)
    ws.write_string(2, 0, "1. Số đơn vị theo xếp loại và khối", f.label)
    head = ["Khối", *[f"{f.tiers.label[t]} ({t})" for t in codes], "Tổng", *[f"Tỷ lệ {t}" for t in codes]]
    ws.set_row(3, 64)
    for c, name in enumerate(head):
        ws.write_string(3, c, name, f.header)
    first = 4
    for i, (name, row, is_total) in enumerate(counts):
        r = first + i
        ws.write_string(r, 0, cell_text(name), f.header if is_total else f.text)
        for j, t in enumerate(codes):
            ws.write_number(r, 1 + j, int(row[t]), f.integer)
        ws.write_number(r, 1 + k, int(row["Tổng"]), f.integer)
        for j, t in enumerate(codes):
            ws.write_number(r, 2 + k + j, row[t] / row["Tổng"] if row["Tổng"] else 0, f.percent)
    total_row = first + len(counts) - 1
    r = total_row + 2
    fw = result.framework
    ws.write_string(
        r,
        0,
        "2. Kiểm tra chỉ tiêu HTXSNV theo khối "
        f"(tối đa {number_setting(fw.quota_percent)}% {QUOTA_BASES[fw.quota_base]})",
        f.label,
    )
    quota_head = [
        "Khối",
        "Số đơn vị HTXSNV + HTTNV",
        "Chỉ tiêu HTXSNV tối đa",
        "Đủ điểm HTXSNV",
        "Được xếp HTXSNV",
        "Bị hạ do chỉ tiêu",
    ]
    ws.set_row(r + 1, 48)
    for c, name in enumerate(quota_head):
        ws.write_string(r + 1, c, name, f.header)
    for i, q in enumerate(quota.itertuples()):
        rr = r + 2 + i
        ws.write_string(rr, 0, cell_text(q.cluster), f.text)
        for j, value in enumerate((q.eligible, q.allowed, q.candidates, q.given, q.moved_down)):
            ws.write_number(rr, 1 + j, int(value), f.integer)
    r = r + 2 + len(quota) + 1
    if len(leaders) and cluster is None:
        lq = result.leader_quota
        ws.write_string(r, 0, "3. Chỉ tiêu HTXSNV của người đứng đầu (toàn bộ)", f.label)
        ws.set_row(r + 1, 48)
        for c, name in enumerate(["", *quota_head[1:]]):
            ws.write_string(r + 1, c, name, f.header)
        ws.write_string(r + 2, 0, "Người đứng đầu", f.text)
        for j, key in enumerate(("eligible", "allowed", "candidates", "given", "moved_down")):
            ws.write_number(r + 2, 1 + j, lq[key], f.integer)
        r += 4
    chart = wb.add_chart({"type": "column"})
    chart.add_series(
        {
            "name": "Số đơn vị",
            "categories": [SHEETS[3], 3, 1, 3, k],
            "values": [SHEETS[3], total_row, 1, total_row, k],
            "points": [{"fill": {"color": f.tiers.fill[t]}, "border": {"color": "#555555"}} for t in codes],
            "data_labels": {"value": True},
        }
    )
    chart.set_title({"name": "Phân bố xếp loại", "name_font": {"name": FONT, "size": 13}})
    chart.set_legend({"none": True})
    chart.set_x_axis({"num_font": {"name": FONT, "size": 9}})
    chart.set_y_axis(
        {
            "name": "Số đơn vị",
            "name_font": {"name": FONT},
            "num_font": {"name": FONT},
            "major_gridlines": {"visible": True},
        }
    )
    chart.set_size({"width": 720, "height": 340})
    ws.insert_chart(r + 1, 0, chart)
    _paper(ws, pages_high=1)


def _method_sheet(wb, f: _Formats, result: YearResult, cluster: str | None, now: datetime) -> None:
    """Everything needed to reproduce the report: framework, rules, inputs with SHA-256, version, time."""
    fw = result.framework
    ws = wb.add_worksheet(SHEETS[4])
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 60)
    ws.set_column(2, 5, 14)
    rows: list[tuple[str, str]] = [
        ("Năm đánh giá", str(result.year)),
        ("Phạm vi", f"Khối “{cluster}”" if cluster else "Toàn bộ các khối"),
        ("Bộ tiêu chí", fw.name + (f" ({fw.source})" if fw.source else "")),
        (
            "Ngưỡng xếp loại",
            "; ".join(f"{t.code} ≥ {number_setting(m)}" for t, m in zip(fw.tiers, fw.thresholds))
            + f"; dưới đó {fw.tier_code(fw.last)}",
        ),
        (
            "Chỉ tiêu HTXSNV",
            f"{number_setting(fw.quota_percent)}% {QUOTA_BASES[fw.quota_base]} của mỗi khối "
            "(người đứng đầu: toàn bộ), làm tròn xuống; đồng hạng tại ngưỡng thì cùng hạ",
        ),
        ("Tiêu chí 0 điểm", _zero_rule(fw)),
        ("Điểm thưởng, điểm trừ tối đa", f"{number_setting(fw.bonus_max)} / {number_setting(fw.penalty_max)}"),
        (
            "Điểm thẩm định",
            "Điểm cấp trên chấm; tiêu chí cấp trên để trống tính theo điểm tự chấm. Đơn vị chưa "
            "được thẩm định để trống cột này, ghi “Chưa thẩm định” ở Ghi chú",
        ),
        ("Phân định đồng điểm", f"Điểm nhóm {fw.tie_break_group}, rồi điểm trừ ít hơn"),
        ("Làm tròn", "Tổng điểm làm tròn nửa lên 2 chữ số thập phân (số thập phân chính xác)"),
        ("So sánh thứ hạng với năm", str(result.previous_year) if result.previous_year else "Không có"),
        *((("Lưu ý khi so sánh", result.comparison_caveat),) if result.comparison_caveat else ()),
        ("Phiên bản phần mềm", __version__),
        ("Thời điểm lập", f"{moment(now, seconds=True)} {now:%z}"),
    ]
    ws.merge_range(0, 0, 0, 5, "PHƯƠNG PHÁP TÍNH VÀ DỮ LIỆU ĐẦU VÀO", f.title)
    r = 2
    for label, value in rows:
        ws.write_string(r, 0, label, f.label)
        ws.write_string(r, 1, value, f.wrap)
        r += 1
    r += 1
    ws.write_string(r, 0, "Các bước tính", f.label)
    for line in result.log:
        ws.write_string(r, 1, line, f.wrap)
        r += 1
    r += 1
    ws.write_string(r, 0, "Bộ tiêu chí", f.label)
    r += 1
    for c, name in enumerate(["Mã tiêu chí", "Tên tiêu chí", "Nhóm", "Đối tượng", "Điểm tối đa", "Trọng số"]):
        ws.write_string(r, c, name, f.header)
    for c in fw.criteria:
        r += 1
        ws.write_string(r, 0, c.code, f.text_center)
        scorer = " (cấp trên chấm)" if c.scored_by == SUPERIOR else ""
        ws.write_string(r, 1, cell_text(c.name + scorer), f.text)
        ws.write_string(r, 2, fw.group(c.group).name if c.group else "", f.text)
        ws.write_string(r, 3, "Tổ chức" if c.target == UNIT else "Người đứng đầu", f.text)
        ws.write_number(r, 4, float(c.max_points), f.score)
        ws.write_number(r, 5, float(fw.weight_of(c.code)), f.score)
    r += 2
    ws.write_string(r, 0, "Tệp đầu vào", f.label)
    r += 1
    ws.set_row(r, 32)
    for c, name in enumerate(["Tên tệp", "SHA-256", "Kích thước (byte)", "Loại"]):
        ws.write_string(r, c, name, f.header)
    for s in result.sources:
        r += 1
        ws.write_string(r, 0, s.name, f.text)
        ws.write_string(r, 1, s.sha256, f.digest)
        ws.write_number(r, 2, s.size, f.integer)
        ws.write_string(r, 3, {"consolidated": "Bảng tổng hợp", "form": "Phiếu đơn vị", "csv": "CSV"}[s.kind], f.text)
    _paper(ws)


def _zero_rule(fw) -> str:
    """The zero-criterion bar in the year's own tiers."""
    if not fw.zero_criterion_bars_top:
        return "Không áp dụng"
    return "Không được " + ", ".join(fw.tier_code(t) for t in range(1, fw.cap("zero_criterion")))
