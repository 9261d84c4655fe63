"""Bad input, one case per kind: the reader names file, sheet, Excel row, column and value, and
`python -m scoring rank FILE` exits 2 with that message on stderr and no traceback.

Each case builds its files and states the issues expected. All cases are built once and run through
the command line a few at a time (each run starts Python, pandas and a parser process), then each
test checks its own case: the issues read in-process, and the command's exit code and stderr.
"""

from __future__ import annotations

import contextlib
import faulthandler
import io
import os
import random
import re
import subprocess
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import psutil
import pytest
import xlsxwriter
from openpyxl import Workbook

from scoring import read_paths
from tests.fixtures import (
    LEADERS,
    ROOT,
    UNITS,
    consolidated,
    cp1258,
    csv_rows,
    edit,
    errors,
    leaders_sheet,
    nfd,
    units_sheet,
    workbook,
    zip_bomb,
)

FILE = "tong_hop.xlsx"
SHEET = "Tổ chức"


@dataclass
class Expect:
    message: str  # a part of the message
    file: str = FILE
    sheet: str = SHEET
    row: int | None = None
    column: str = ""
    value: str = ""


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float


CASES = {}


def case(build):
    """Register a builder: (folder) → (files to read, issues expected, in any order)."""
    CASES[build.__name__] = build
    return build


def _cli(paths: list[Path]) -> Run:
    folder = paths[0].parent
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with open(folder / ".stdout", "w+b") as out, open(folder / ".stderr", "w+b") as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "scoring", "rank", *map(str, paths)], stdout=out, stderr=err, cwd=ROOT, env=env
        )
        peak = _peak_memory_mb(proc)
        seconds = time.monotonic() - started
        out.seek(0), err.seek(0)
        return Run(proc.returncode, out.read().decode(), err.read().decode(), seconds, peak)


def _peak_memory_mb(proc: subprocess.Popen) -> float:
    """The largest peak resident memory (VmHWM) of the command or any process it started, sampled until it exits.

    Not wait4's ru_maxrss: Linux carries a process's peak across exec, so a child spawned by a large pytest worker
    reports the worker's own memory (512 MB seen in CI for a command that used far less)."""
    peak = 0
    while proc.poll() is None:
        with contextlib.suppress(psutil.Error, OSError, AttributeError):  # gone, or a zombie without memory
            for p in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
                status = Path(f"/proc/{p.pid}/status").read_text()
                peak = max(peak, int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)))
        time.sleep(0.01)
    return peak / 1024


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    cases = {}
    for name, build in CASES.items():
        folder = root / name
        folder.mkdir()
        cases[name] = build(folder)
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(cases, pool.map(lambda item: _cli(item[0]), cases.values())))
    return {name: (paths, expected, runs[name]) for name, (paths, expected) in cases.items()}


@contextmanager
def parser_may_crash():
    """The parser's child process dies on purpose on some files; pytest's faulthandler, which holds its
    own copy of stderr, would print a crash dump from the child although the reader handles it."""
    enabled = faulthandler.is_enabled()
    faulthandler.disable()
    try:
        yield
    finally:
        if enabled:
            faulthandler.enable(file=sys.__stderr__)


def check(built, name: str) -> tuple[list, Run]:
    paths, expected, run = built[name]
    with parser_may_crash():
        found = errors(read_paths(paths))
    assert len(found) == len(expected), "\n".join(map(str, found))
    for want in expected:
        match = [i for i in found if want.message in i.message and i.file == want.file]
        assert match, f"no issue “{want.message}” in:\n" + "\n".join(map(str, found))
        issue = match[0]
        assert (issue.sheet, issue.row, issue.column, issue.value) == (want.sheet, want.row, want.column, want.value), (
            str(issue)
        )
        assert str(issue) in run.stderr, run.stderr
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout and "panicked" not in run.stderr, run.stderr
    assert run.stdout == ""
    return found, run


# ---------------------------------------------------------------- sheets and columns


@case
def missing_units_sheet(d):
    wb = Workbook()
    wb.active.title = "Sheet1"
    units_sheet(wb.active)
    leaders_sheet(wb.create_sheet("Người đứng đầu"))
    wb.save(d / FILE)
    return [d / FILE], [
        Expect(
            "Không tìm thấy trang “Tổ chức” hoặc phiếu chấm điểm của đơn vị "
            "(tệp có các trang: “Sheet1”, “Người đứng đầu”)",
            sheet="",
        )
    ]


@case
def missing_name_column(d):
    layout = consolidated(d / FILE, meta=("code", "cluster"))
    return [d / FILE], [Expect("Thiếu cột bắt buộc “Tên đơn vị”", row=layout.header_row)]


@case
def missing_code_column(d):
    layout = consolidated(d / FILE, meta=("name", "cluster"))
    return [d / FILE], [Expect("Thiếu cột bắt buộc “Mã đơn vị”", row=layout.header_row)]


@case
def missing_criterion_column(d):
    codes = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.4", "2.5"]
    layout = consolidated(d / FILE, codes=codes)
    return [d / FILE], [Expect("Thiếu cột tiêu chí 2.3", row=layout.header_row)]


@case
def unknown_criterion_code_column(d):
    layout = consolidated(d / FILE, codes=["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "2.9"])
    return [d / FILE], [
        Expect(
            "Mã tiêu chí “2.9” không có trong bộ tiêu chí “Dân vận – TCCSĐ”",
            row=layout.header_row,
            column="2.9",
            value="2.9",
        )
    ]


# ---------------------------------------------------------------- unit codes


@case
def duplicate_unit_code(d):
    units = list(UNITS)
    units[3] = replace(units[3], code="DV01")
    layout = consolidated(d / FILE, units=units)
    first = layout.data_row
    return [d / FILE], [
        Expect(
            f"Mã đơn vị “DV01” bị trùng trong năm 2025 (đã có ở dòng {first})",
            row=layout.unit_rows["DV01"],
            column="Mã đơn vị",
            value="DV01",
        )
    ]


@case
def duplicate_unit_code_across_two_files(d):
    a = consolidated(d / "khoi_xa.xlsx", units=UNITS[:3])
    b = consolidated(d / "khoi_phuong.xlsx", units=UNITS[2:])
    return [d / "khoi_xa.xlsx", d / "khoi_phuong.xlsx"], [
        Expect(
            f"Mã đơn vị “DV03” bị trùng trong năm 2025 (đã có ở khoi_xa.xlsx, dòng {a.unit_rows['DV03']})",
            file="khoi_phuong.xlsx",
            row=b.unit_rows["DV03"],
            column="Mã đơn vị",
            value="DV03",
        )
    ]


@case
def scores_without_unit_code(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV04", "Mã đơn vị"): None})
    return [d / FILE], [Expect("Dòng có điểm nhưng thiếu mã đơn vị", row=layout.unit_rows["DV04"], column="Mã đơn vị")]


@case
def leader_of_unknown_unit(d):
    leaders = list(LEADERS)
    leaders[2] = replace(leaders[2], unit_code="DV09")
    layout = {}

    def build(wb):
        layout["leaders"] = leaders_sheet(wb.create_sheet("Người đứng đầu"), leaders)

    workbook(d / FILE, build)
    return [d / FILE], [
        Expect(
            "Mã đơn vị “DV09” không có trong danh sách tổ chức năm 2025",
            sheet="Người đứng đầu",
            row=layout["leaders"].unit_rows["DV09"],
            column="Mã đơn vị",
            value="DV09",
        )
    ]


# ---------------------------------------------------------------- cells


@case
def non_numeric_score(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV03", "2.1 / Thẩm định"): "abc"})
    return [d / FILE], [
        Expect("Điểm không phải là số", row=layout.unit_rows["DV03"], column="2.1 / Thẩm định", value="abc")
    ]


@case
def score_above_max(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV02", "1.1 / Thẩm định"): 12})
    return [d / FILE], [
        Expect(
            "Điểm phải từ 0 đến 10 (điểm tối đa của tiêu chí)",
            row=layout.unit_rows["DV02"],
            column="1.1 / Thẩm định",
            value="12",
        )
    ]


@case
def score_above_max_typed_as_text(d):
    layout = consolidated(d / FILE, header="suffix")
    edit(d / FILE, {layout.cell("DV05", "1.3 (tự chấm)"): "10,5 "})
    return [d / FILE], [
        Expect(
            "Điểm phải từ 0 đến 10 (điểm tối đa của tiêu chí)",
            row=layout.unit_rows["DV05"],
            column="1.3 (tự chấm)",
            value="10,5",
        )
    ]


@case
def negative_score(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV01", "2.5 / Tự chấm"): -1})
    return [d / FILE], [
        Expect(
            "Điểm phải từ 0 đến 5 (điểm tối đa của tiêu chí)",
            row=layout.unit_rows["DV01"],
            column="2.5 / Tự chấm",
            value="-1",
        )
    ]


@case
def bonus_above_max(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV02", "Điểm thưởng"): 4})
    return [d / FILE], [
        Expect("Điểm thưởng phải từ 0 đến 3", row=layout.unit_rows["DV02"], column="Điểm thưởng", value="4")
    ]


@case
def penalty_above_max(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV03", "Điểm trừ"): 5})
    return [d / FILE], [Expect("Điểm trừ phải từ 0 đến 3", row=layout.unit_rows["DV03"], column="Điểm trừ", value="5")]


@case
def invalid_discipline(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV01", "Kỷ luật tập thể"): "phê bình"})
    return [d / FILE], [
        Expect(
            "Hình thức kỷ luật không hợp lệ", row=layout.unit_rows["DV01"], column="Kỷ luật tập thể", value="phê bình"
        )
    ]


@case
def invalid_flag(d):
    layout = consolidated(d / FILE)
    edit(d / FILE, {layout.cell("DV04", "Mất đoàn kết"): "chưa rõ"})
    return [d / FILE], [
        Expect(
            "Giá trị không hợp lệ: ghi “x” hoặc “có” nếu đúng",
            row=layout.unit_rows["DV04"],
            column="Mất đoàn kết",
            value="chưa rõ",
        )
    ]


@case
def errors_in_a_decomposed_unicode_file(d):
    """Sheet name, header and value typed in NFD are reported in NFC, as users read them."""
    layout = consolidated(d / FILE, text=nfd, sheet=nfd(SHEET))
    edit(d / FILE, {layout.cell("DV02", "Mất đoàn kết"): nfd("chưa rõ ")})
    return [d / FILE], [
        Expect("Giá trị không hợp lệ", row=layout.unit_rows["DV02"], column="Mất đoàn kết", value="chưa rõ")
    ]


@case
def three_errors_at_once(d):
    layout = consolidated(d / FILE)
    edit(
        d / FILE,
        {
            layout.cell("DV01", "1.2 / Tự chấm"): "tám",
            layout.cell("DV03", "2.2 / Thẩm định"): 16,
            layout.cell("DV05", "Tham nhũng"): "?",
        },
    )
    return [d / FILE], [
        Expect("Điểm không phải là số", row=layout.unit_rows["DV01"], column="1.2 / Tự chấm", value="tám"),
        Expect("Điểm phải từ 0 đến 15", row=layout.unit_rows["DV03"], column="2.2 / Thẩm định", value="16"),
        Expect("Giá trị không hợp lệ", row=layout.unit_rows["DV05"], column="Tham nhũng", value="?"),
    ]


@case
def header_and_cell_errors_at_once(d):
    """A header problem does not hide the problems in the rows below it."""
    layout = consolidated(d / FILE, codes=["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5", "2.9"])
    edit(d / FILE, {layout.cell("DV02", "2.4 / Thẩm định"): "x"})
    return [d / FILE], [
        Expect("Mã tiêu chí “2.9”", row=layout.header_row, column="2.9", value="2.9"),
        Expect("Điểm không phải là số", row=layout.unit_rows["DV02"], column="2.4 / Thẩm định", value="x"),
    ]


# ---------------------------------------------------------------- files that are no spreadsheet


def _file_error(d, name: str, data: bytes, message: str):
    (d / name).write_bytes(data)
    return [d / name], [Expect(message, file=name, sheet="")]


NOT_A_SPREADSHEET = "Không phải tệp bảng tính (.xlsx, .xlsm, .xls, .ods hoặc .csv)"


@case
def text_file_named_xlsx(d):
    return _file_error(d, "bao_cao.xlsx", "Báo cáo tổng hợp công tác dân vận năm 2025\n".encode(), NOT_A_SPREADSHEET)


@case
def pdf_named_xlsx(d):
    return _file_error(
        d,
        "bao_cao.xlsx",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        "Tệp PDF, không phải bảng tính",
    )


@case
def random_bytes_named_xlsx(d):
    data = random.Random(2025).randbytes(8192)
    return _file_error(d, "bao_cao.xlsx", b"\x00" + data, NOT_A_SPREADSHEET)


@case
def empty_file(d):
    return _file_error(d, "bao_cao.xlsx", b"", "Tệp rỗng")


@case
def truncated_xlsx(d):
    consolidated(d / "full.xlsx")
    data = (d / "full.xlsx").read_bytes()
    (d / "full.xlsx").unlink()
    return _file_error(
        d, FILE, data[: len(data) // 2], "Tệp bị hỏng (có thể tải lên chưa hết hoặc lỗi khi sao chép), không đọc được"
    )


@case
def corrupt_member_in_xlsx(d):
    """The zip directory is intact but the sheet's compressed bytes are damaged."""
    consolidated(d / "full.xlsx")
    data = bytearray((d / "full.xlsx").read_bytes())
    (d / "full.xlsx").unlink()
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 20, start + info.compress_size - 20, 7):
        data[k] ^= 0x5A
    (d / FILE).write_bytes(bytes(data))
    return [d / FILE], [Expect("Tệp bị hỏng (có thể tải lên chưa hết hoặc lỗi khi sao chép)", sheet="")]


@case
def html_named_xls(d):
    html = (
        "<html><head><meta charset='utf-8'></head><body><table><tr><td>Mã đơn vị</td><td>Tên đơn vị</td></tr>"
        "<tr><td>DV01</td><td>Đảng bộ xã Tân Thịnh</td></tr></table></body></html>"
    ).encode()
    return _file_error(d, "xuat_tu_phan_mem.xls", html, "Tệp là trang web (HTML) đặt đuôi .xls")


@case
def csv_in_cp1258(d):
    text = "\r\n".join(";".join(row) for row in csv_rows()).replace("✓", "x")  # no ✓ in cp1258
    return _file_error(d, "to_chuc.csv", cp1258(text), "Tệp CSV không ở mã UTF-8")


@case
def csv_in_latin1(d):
    """Excel's plain "CSV" on a Western Windows: Latin-1, letters it lacks become "?"."""
    text = "\r\n".join(",".join(row) for row in csv_rows())
    return _file_error(d, "to_chuc.csv", text.encode("latin-1", errors="replace"), "Tệp CSV không ở mã UTF-8")


# ---------------------------------------------------------------- hostile files


@case
def zip_bomb_xlsx(d):
    zip_bomb(d / FILE)
    return [d / FILE], [Expect("có thể là tệp độc hại (zip bomb)", sheet="")]


@case
def dimension_bomb_xlsx(d):
    wb = Workbook()
    units_sheet(wb.active)
    wb.active.title = SHEET
    wb.active["XFD1048576"] = 1
    wb.save(d / FILE)
    return [d / FILE], [Expect("Trang tính có ô dữ liệu ở tận ô XFD1048576", sheet="")]


@case
def dimension_bomb_without_dimension_tag(d):
    """The same far-away cell with the <dimension> tag removed: the sheet is measured by its real cells before the
    parser allocates anything, and refused with what to do."""
    wb = Workbook()
    wb.active.title = SHEET
    wb.active["A1"] = "Mã đơn vị"
    wb.active["XFD1048576"] = 1
    wb.save(d / "full.xlsx")
    with zipfile.ZipFile(d / "full.xlsx") as src, zipfile.ZipFile(d / FILE, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb"<dimension[^>]*>", b"", data)
                assert b"<dimension" not in data
            dst.writestr(info, data)
    (d / "full.xlsx").unlink()
    return [d / FILE], [Expect("Trang “Tổ chức” quá lớn (ô xa nhất ở dòng 1048576, cột XFD)", sheet="")]


@case
def entity_expansion_in_shared_strings(d):
    wb = xlsxwriter.Workbook(d / "plain.xlsx")
    ws = wb.add_worksheet(SHEET)
    ws.write_row(0, 0, ["Mã đơn vị", "Tên đơn vị", "1.1"])
    ws.write_row(1, 0, ["DV01", "LAUGH", 9])
    wb.close()
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)
    )
    with zipfile.ZipFile(d / "plain.xlsx") as src, zipfile.ZipFile(d / FILE, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                declaration, rest = data.decode().split("?>", 1)
                data = (declaration + f"?><!DOCTYPE sst [{entities}]>" + rest.replace("LAUGH", "&lol9;")).encode()
            dst.writestr(info, data)
    (d / "plain.xlsx").unlink()
    return [d / FILE], [Expect("Tệp chứa khai báo XML không được phép (DTD/ENTITY)", sheet="")]


# ---------------------------------------------------------------- one test per kind


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_reported_with_its_place(built, name):
    check(built, name)


def test_three_errors_in_one_file_give_three_issues(built):
    found, run = check(built, "three_errors_at_once")
    assert len(found) == 3 and len(run.stderr.strip().splitlines()) == 3


def test_zip_bomb_is_refused_fast_with_little_memory(built):
    paths, _, run = built["zip_bomb_xlsx"]
    assert paths[0].stat().st_size < 4 * 2**20
    with zipfile.ZipFile(paths[0]) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 2**30
    # Refused from the zip directory: nothing was inflated (little memory); the time bound only catches a hang.
    assert run.seconds < 120 and run.max_rss_mb < 400, (run.seconds, run.max_rss_mb)
    (issue,) = errors(read_paths(paths))
    assert issue.message == "Tệp giải nén quá lớn (1099 MB), có thể là tệp độc hại (zip bomb)"


def test_dimension_bomb_gives_a_clean_error_fast(built):
    for name in ("dimension_bomb_xlsx", "dimension_bomb_without_dimension_tag"):
        _, _, run = built[name]
        assert run.returncode == 2 and run.seconds < 120, (name, run)  # generous: only a hang fails


def test_a_bad_file_does_not_hide_good_ones(built, tmp_path):
    """Reading a good file together with a broken one reports the broken one and still reads the good one."""
    good = tmp_path / "good.xlsx"
    consolidated(good)
    bad_paths, expected, _ = built["truncated_xlsx"]
    result = read_paths([good, *bad_paths])
    (issue,) = errors(result)
    assert issue.file == expected[0].file
    assert list(result.years[2025].units["code"]) == [u.code for u in UNITS]


def test_the_parse_worker_runs_under_a_real_memory_limit():
    """The limit is set inside the worker (getrlimit there), finite, and its size plus CHILD_MEMORY_BYTES."""
    from scoring.workbook import CHILD_MEMORY_BYTES

    out = subprocess.run(
        [sys.executable, "-m", "scoring.parse_worker", "--limits"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=60,
        check=True,
    )
    limit, size = map(int, out.stdout.split())
    assert 0 < limit < 2**63 and size < limit <= size + 768 * 2**20 + 2**26 <= size + CHILD_MEMORY_BYTES, (limit, size)
