"""The report and the command line at their edges: many criteria, huge texts, odd cluster names, places that
cannot be written, settings with decimals."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest
from builders import FW, unit, year_data
from fixtures import consolidated, run_cli

from scoring import rate_year
from scoring.framework import QUOTA_OF_GOOD, Criterion, Group, to_toml
from scoring.report import report_bytes


def many_criteria(n: int = 70):
    criteria = tuple(Criterion(f"C{i}", f"Tiêu chí {i}", Decimal(1), "II") for i in range(1, n + 1))
    return replace(FW, name="Bộ 70 tiêu chí", criteria=criteria, groups=(Group("II", "II. Kết quả"),))


def test_seventy_criteria_report_and_json_without_warnings(tmp_path):
    fw = many_criteria()
    codes = [c.code for c in fw.criteria]
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path, codes=codes)
    toml = tmp_path / "bo.toml"
    toml.write_text(to_toml(fw), "utf-8")
    out = run_cli("rank", path, "--framework", toml, "--json", "-o", tmp_path / "bao_cao.xlsx")
    assert out.returncode == 0 and out.stderr == "", out.stderr  # no traceback, no PerformanceWarning
    ws = openpyxl.load_workbook(tmp_path / "bao_cao.xlsx")["Chi tiết tiêu chí"]
    assert ws.max_column == 4 + 3 * 70 + 1 + 3


def test_huge_texts_are_clipped_with_a_note_and_rows_stay_printable():
    name = "Chi bộ " + "rất dài " * 5000  # 40,007 characters
    result = rate_year(year_data([unit("A", total=95, name=name), unit("B", total=80)]), FW)
    book = openpyxl.load_workbook(io.BytesIO(report_bytes(result)))
    ws = book["Xếp hạng"]
    cell = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("Chi bộ"))
    assert len(cell.value) == 32_767 and cell.value.endswith("(đã cắt bớt: ô Excel chứa tối đa 32.767 ký tự)")
    assert max(d.height or 0 for d in ws.row_dimensions.values()) <= 409


@pytest.mark.parametrize("cluster", ["Toàn bộ", "Toàn bộ các khối"])
def test_a_cluster_named_like_the_total_row_keeps_its_own_row(cluster):
    result = rate_year(year_data([unit("A", total=95, cluster=cluster), unit("B", total=80, cluster="Khối xã")]), FW)
    ws = openpyxl.load_workbook(io.BytesIO(report_bytes(result)))["Thống kê"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=7)]
    assert rows[0][0] == "Khối xã" and rows[1][0] == cluster and rows[2][0] == "Toàn bộ các khối"
    assert (rows[1][5], rows[2][5]) == (1, 2)


def test_method_sheet_writes_settings_as_set():
    fw = replace(
        FW,
        thresholds=(Decimal("92.5"), Decimal("72.5"), Decimal("52.5")),
        quota_percent=Decimal("12.5"),
        quota_base=QUOTA_OF_GOOD,
    )
    result = rate_year(year_data([unit("A", total=95), unit("B", total=80)]), fw)
    book = openpyxl.load_workbook(io.BytesIO(report_bytes(result)))
    method = {r[0].value: r[1].value for r in book["Phương pháp"].iter_rows() if r[0].value}
    assert method["Ngưỡng xếp loại"].startswith("HTXSNV ≥ 92,5; HTTNV ≥ 72,5; HTNV ≥ 52,5")
    assert method["Chỉ tiêu HTXSNV"].startswith("12,5% số đơn vị còn lại ở mức HTTNV")
    stats = [c.value for row in book["Thống kê"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any("tối đa 12,5%" in s for s in stats) and not any("20%" in s for s in stats)


def test_places_that_cannot_be_written_are_messages(tmp_path):
    path = tmp_path / "tong_hop.xlsx"
    consolidated(path)
    cases = [
        ("rank", path, "-o", tmp_path),
        ("rank", path, "-o", tmp_path / "khong_co" / "bc.xlsx"),
        ("template", "-o", tmp_path / "khong_co" / "mau.xlsx"),
        ("sample", "-o", "/proc/mau"),
        ("sample", "-o", tmp_path / "s", "--units", "3"),
        ("rank", path, "--year", "-2025"),
    ]
    for args in cases:
        out = run_cli(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.startswith(("Lỗi", "Cách dùng")), (
            args,
            out.stderr,
        )
    assert not (tmp_path / "khong_co").exists()  # no folder the user did not ask for


def test_template_output_with_no_units_is_invalid_not_an_empty_year(tmp_path):
    mau = tmp_path / "mau.xlsx"
    assert run_cli("template", "-o", mau).returncode == 0
    for command in (("validate", mau), ("rank", mau, "-o", tmp_path / "bc.xlsx")):
        out = run_cli(*command)
        assert out.returncode == 2 and "Không có đơn vị nào" in out.stderr and "Traceback" not in out.stderr
