"""The ranked report read back cell by cell (openpyxl) and printed through LibreOffice."""

import io
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from builders import FW, unit, year_data
from conftest import convert

from scoring import rate_all, rate_year, read_paths
from scoring.framework import TIER_CODES, TIER_NAMES
from scoring.presentation import rank_change_text
from scoring.report import RANKING_COLUMNS, SHEETS, VN_TIME, ReportSettings, report_bytes

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sorted((ROOT / "sample_data").glob("tong_hop_*.xlsx"))
NAMES = {code: TIER_NAMES[t] for t, code in TIER_CODES.items()}
NOW = datetime(2025, 12, 20, 9, 30, tzinfo=VN_TIME)
SETTINGS = ReportSettings(
    superior_body="ĐẢNG BỘ TỈNH ĐÔNG NGUYÊN",
    issuing_body="ĐẢNG ỦY PHƯỜNG THUẬN HÀ",
    place="Thuận Hà",
    signer_name="Nguyễn Văn Minh",
)


@pytest.fixture(scope="module")
def results():
    return rate_all(read_paths(SAMPLE))


@pytest.fixture(scope="module")
def book(results):
    return openpyxl.load_workbook(io.BytesIO(report_bytes(results[-1], settings=SETTINGS, now=NOW)))


def header_row(ws) -> int:
    return next(r for r in range(1, 20) if ws.cell(r, 1).value == "STT")


def test_sheets_in_order(book):
    assert book.sheetnames == SHEETS


def test_header_block_and_title(book):
    ws = book["Xếp hạng"]
    assert ws["A1"].value == "ĐẢNG BỘ TỈNH ĐÔNG NGUYÊN"
    assert ws["A2"].value == "ĐẢNG ỦY PHƯỜNG THUẬN HÀ" and ws["A2"].font.b
    assert ws["A3"].value == "*"
    right = [c for c in ws[1] if c.value == "ĐẢNG CỘNG SẢN VIỆT NAM"][0]
    assert right.font.b
    date = [c for c in ws[2] if c.value and str(c.value).startswith("Thuận Hà, ngày")][0]
    assert date.value == "Thuận Hà, ngày 20 tháng 12 năm 2025" and date.font.i
    assert ws["A5"].value == "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ, XẾP LOẠI CÔNG TÁC DÂN VẬN NĂM 2025"


def test_ranking_columns_and_every_unit_equal_to_the_engine(book, results):
    ws = book["Xếp hạng"]
    h = header_row(ws)
    assert [ws.cell(h, c).value for c in range(1, 15)] == RANKING_COLUMNS
    units = results[-1].units
    for i, u in enumerate(units.itertuples()):
        row = [ws.cell(h + 1 + i, c).value for c in range(1, 15)]
        assert row[0] == i + 1
        assert row[1:4] == [u.code, u.name, u.cluster]
        assert row[4] == pytest.approx(u.self_score)
        assert row[5] == (pytest.approx(u.review_score) if u.appraised else None)
        assert row[6:9] == pytest.approx([u.bonus, u.penalty, u.total])
        assert row[9] == NAMES[u.tier]
        assert (row[10], row[11]) == (u.rank, u.cluster_rank)
        assert row[12] == rank_change_text(u.rank_change, True)
        assert (row[13] or "") == "; ".join(p for p in (u.reason, "" if u.appraised else "Chưa thẩm định", u.note) if p)
    assert ws.cell(h + 1 + len(units), 2).value is None  # nothing after the last unit but the signature


def test_tier_fill_colours(book):
    ws = book["Xếp hạng"]
    h = header_row(ws)
    fills = {}
    for r in range(h + 1, ws.max_row + 1):
        tier = ws.cell(r, 10).value
        if tier:
            fills.setdefault(tier, set()).add(ws.cell(r, 10).fill.fgColor.rgb)
    assert all(len(v) == 1 for v in fills.values())
    assert len({next(iter(v)) for v in fills.values()}) == len(fills) >= 3


def test_fonts_and_print_settings(book):
    for name in ("Xếp hạng", "Chi tiết tiêu chí", "Người đứng đầu"):
        ws = book[name]
        h = header_row(ws) if name != "Chi tiết tiêu chí" else 4
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1 = default
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows and f"${h}" in ws.print_title_rows
        assert "&P" in ws.oddFooter.center.text
        assert ws.freeze_panes is not None and ws.auto_filter.ref
    ws = book["Xếp hạng"]
    h = header_row(ws)
    for row in ws.iter_rows(min_row=1, max_row=h + 5):
        for c in row:
            if c.value is not None:
                assert c.font.name == "Times New Roman", c.coordinate
    assert ws.cell(h + 1, 9).number_format == "0.00"
    assert ws.column_dimensions["C"].width >= 25 and ws.column_dimensions["N"].width >= 35


def test_statistics_and_quota_figures(book, results):
    r = results[-1]
    ws = book["Thống kê"]
    values = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(v for v in values if v[0] == "Toàn bộ các khối")
    counts = r.units["tier"].value_counts()
    assert total[1:6] == [counts.get(t, 0) for t in TIER_CODES.values()] + [len(r.units)]
    for q in r.quota.itertuples():
        row = [v for v in values if v[0] == q.cluster and v[2] is not None and v[6] is None][0]
        assert row[1:6] == [q.eligible, q.allowed, q.candidates, q.given, q.moved_down]
    lq = next(v for v in values if v[0] == "Người đứng đầu")
    assert lq[1:6] == [r.leader_quota[k] for k in ("eligible", "allowed", "candidates", "given", "moved_down")]
    assert len(ws._charts) == 1


def test_detail_and_leaders_sheets(book, results):
    r = results[-1]
    ws = book["Chi tiết tiêu chí"]
    assert ws["E4"].value == "1.1 (10đ)" and [ws.cell(5, c).value for c in (5, 6, 7)] == ["TC", "TĐ", "Tính"]
    first = r.units.iloc[0]
    assert ws["B6"].value == first.code
    assert ws["G6"].value == pytest.approx(r.unit_scores.points.iloc[0]["1.1"])
    assert ws.cell(6, ws.max_column).value == pytest.approx(first.total)
    ws = book["Người đứng đầu"]
    h = header_row(ws)
    for i, ld in enumerate(r.leaders.itertuples()):
        assert ws.cell(h + 1 + i, 2).value == ld.unit_code
        assert ws.cell(h + 1 + i, 10).value == pytest.approx(ld.total)
        assert ws.cell(h + 1 + i, 11).value == NAMES[ld.tier]
        assert ws.cell(h + 1 + i, 12).value == ld.rank
        assert (ws.cell(h + 1 + i, 13).value or "") == ld.reason


def test_methodology_lists_inputs_with_sha256(book, results):
    import hashlib

    ws = book["Phương pháp"]
    cells = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    digest = hashlib.sha256(SAMPLE[-1].read_bytes()).hexdigest()
    assert digest in cells and SAMPLE[-1].name in cells
    assert "Dân vận – TCCSĐ (sheet:Tiêu chí)" in cells
    assert any(str(c).startswith("Bước 8") for c in cells)
    assert "20/12/2025 09:30:00 +0700" in cells


def test_injected_text_stays_text():
    units = [
        unit(code, total=90 - i, name=name)
        for i, (code, name) in enumerate(
            [("A", '=HYPERLINK("http://x","bấm")'), ("B", "+1+1"), ("C", "-2"), ("D", "@SUM(A1:A2)")]
        )
    ]
    data = year_data(units)
    data.units["note"] = ["=1+1", "", "", ""]
    result = rate_year(data, FW)
    wb = openpyxl.load_workbook(io.BytesIO(report_bytes(result, now=NOW)))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
    names = [c.value for c in wb["Xếp hạng"]["C"]]
    assert '=HYPERLINK("http://x","bấm")' in names and "+1+1" in names and "@SUM(A1:A2)" in names


def test_cluster_filter(results):
    r = results[-1]
    cluster = r.units["cluster"].iloc[0]
    wb = openpyxl.load_workbook(io.BytesIO(report_bytes(r, cluster=cluster, now=NOW)))
    ws = wb["Xếp hạng"]
    h = header_row(ws)
    rows = [
        [ws.cell(rr, c).value for c in range(1, 15)] for rr in range(h + 1, h + 1 + (r.units.cluster == cluster).sum())
    ]
    assert {row[3] for row in rows} == {cluster}
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    assert cluster.upper() in ws["A5"].value


def test_rank_change_text():
    assert [rank_change_text(x, True) for x in (2, -1, 0, None)] == ["▲ 2", "▼ 1", "=", "Mới"]
    assert rank_change_text(None, False) == ""


def test_cli_writes_the_report_and_libreoffice_prints_it(tmp_path, soffice, results):
    out = tmp_path / "bao_cao_2025.xlsx"
    proc = subprocess.run(
        [sys.executable, "-m", "scoring", "rank", *SAMPLE, "-o", out, "--issuing-body", "ĐẢNG ỦY PHƯỜNG THUẬN HÀ"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    ws = openpyxl.load_workbook(out)["Xếp hạng"]
    assert ws["A2"].value == "ĐẢNG ỦY PHƯỜNG THUẬN HÀ"
    assert ws.cell(header_row(ws) + 1, 2).value == results[-1].units.iloc[0].code
    pdf = convert(soffice, out, "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= 5  # one or more per sheet
    assert "A4" in info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "BẢNG TỔNG HỢP KẾT QUẢ ĐÁNH GIÁ" in text and "ĐẢNG CỘNG SẢN VIỆT NAM" in text


def test_cli_unknown_cluster_is_an_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "scoring", "rank", SAMPLE[-1], "-o", tmp_path / "x.xlsx", "--cluster", "Khối không có"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Khối không có" in proc.stderr and "Traceback" not in proc.stderr


def test_leaders_sheet_left_out_without_leaders():
    result = rate_year(year_data([unit("A", total=80)]), FW)
    wb = openpyxl.load_workbook(io.BytesIO(report_bytes(result, now=NOW)))
    assert wb.sheetnames == ["Xếp hạng", "Chi tiết tiêu chí", "Thống kê", "Phương pháp"]
