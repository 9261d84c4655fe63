"""`python -m scoring` as other programs call it: JSON shape, exit codes, no tracebacks."""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
CODES = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "2.5"]
MAX = [10, 10, 10, 20, 15, 15, 15, 5]


def run(*args, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "scoring", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def consolidated(path: Path, units: list[tuple], title_year: int | None = None, with_leaders=()):
    """units: (code, name, cluster, share of max per criterion, bonus, penalty)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổ chức"
    ws.append(["ĐẢNG ỦY PHƯỜNG THỬ NGHIỆM"])
    ws.append([f"BẢNG TỔNG HỢP NĂM {title_year}" if title_year else "BẢNG TỔNG HỢP"])
    ws.append(["Mã đơn vị", "Tên đơn vị", "Khối", *CODES, "Điểm thưởng", "Điểm trừ"])
    for code, name, cluster, share, bonus, penalty in units:
        ws.append([code, name, cluster, *[m * share for m in MAX], bonus, penalty])
    if with_leaders:
        ls = wb.create_sheet("Người đứng đầu")
        ls.append(["Mã đơn vị", "Họ và tên", "Chức vụ", "N1", "N2", "N3", "N4"])
        for code, name, share in with_leaders:
            ls.append([code, name, "Bí thư", 20 * share, 30 * share, 30 * share, 20 * share])
    wb.save(path)
    return path


@pytest.fixture
def two_years(tmp_path):
    a = consolidated(
        tmp_path / "tong_hop_2024.xlsx",
        [
            ("DV01", "Chi bộ Một", "K1", 0.95, 0, 0),
            ("DV02", "Chi bộ Hai", "K1", 0.80, 0, 0),
            ("DV03", "Chi bộ Ba", "K2", 0.70, 0, 0),
        ],
    )
    b = consolidated(
        tmp_path / "bang_diem.xlsx",
        [
            ("DV01", "Chi bộ Một", "K1", 0.75, 0, 0),
            ("DV02", "Chi bộ Hai", "K1", 0.925, 0.5, 0),
            ("DV03", "Chi bộ Ba", "K2", 0.85, 0, 1),
            ("DV04", "Chi bộ Bốn", "K2", 0.60, 0, 0),
        ],
        title_year=2025,
        with_leaders=[("DV02", "Trần Thị Hoa", 0.97)],
    )
    return a, b


def test_rank_json_shape_and_rank_change(two_years):
    out = run("rank", *two_years, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == ["years"]
    assert [y["year"] for y in data["years"]] == [2024, 2025]
    y = data["years"][1]
    assert set(y) == {"year", "units", "leaders", "warnings"}
    units = {u["code"]: u for u in y["units"]}
    assert set(units["DV01"]) == {
        "code",
        "name",
        "cluster",
        "total",
        "score_tier",
        "tier",
        "tier_name",
        "rank",
        "cluster_rank",
        "rank_change",
        "reason",
    }
    # 2025: DV02 93.0 (92.5 + 0.5), DV03 84.0 (85 − 1), DV01 75.0, DV04 60.0.
    assert [(u["code"], u["total"], u["rank"]) for u in y["units"]] == [
        ("DV02", 93.0, 1),
        ("DV03", 84.0, 2),
        ("DV01", 75.0, 3),
        ("DV04", 60.0, 4),
    ]
    # 2024 ranks: DV01 1, DV02 2, DV03 3.
    assert (units["DV02"]["rank_change"], units["DV01"]["rank_change"], units["DV04"]["rank_change"]) == (1, -2, None)
    assert units["DV02"]["tier"] == "HTTNV" and units["DV02"]["score_tier"] == "HTXSNV"  # K1: floor(0.4) = 0
    assert units["DV02"]["reason"] == "Đủ điểm HTXSNV (93,00) nhưng vượt chỉ tiêu 20% của khối → HTTNV"
    assert units["DV03"]["cluster_rank"] == 1
    assert y["leaders"] == [
        {
            "unit_code": "DV02",
            "name": "Trần Thị Hoa",
            "total": 97.0,
            "tier": "HTTNV",
            "rank": 1,
            "reason": "Đủ điểm HTXSNV (97,00) nhưng đơn vị xếp loại HTTNV (không cao hơn đơn vị) → HTTNV",
        }
    ]
    assert data["years"][0]["units"][0]["rank_change"] is None


def test_year_option_only_for_inputs_without_a_year(tmp_path):
    f = consolidated(tmp_path / "bang.xlsx", [("A", "Chi bộ A", "K", 0.9, 0, 0)])
    assert run("rank", f, "--json").returncode == 2  # no year anywhere
    data = json.loads(run("rank", f, "--json", "--year", "2023").stdout)
    assert data["years"][0]["year"] == 2023
    g = consolidated(tmp_path / "x.xlsx", [("A", "Chi bộ A", "K", 0.9, 0, 0)], title_year=2025)
    data = json.loads(run("rank", g, "--json", "--year", "2023").stdout)
    assert data["years"][0]["year"] == 2025  # the file's own year wins


def test_preset_option_changes_thresholds(tmp_path):
    f = consolidated(tmp_path / "b_2025.xlsx", [("A", "Chi bộ A", "K", 0.92, 0, 0)])
    default = json.loads(run("rank", f, "--json").stdout)["years"][0]["units"][0]
    other = json.loads(run("rank", f, "--json", "--preset", "dan_van_chinh_quyen").stdout)["years"][0]["units"][0]
    assert (default["score_tier"], other["score_tier"]) == ("HTXSNV", "HTTNV")  # 92 vs thresholds 90 / 95


def test_invalid_input_exit_2_with_location_and_no_traceback(tmp_path):
    f = consolidated(tmp_path / "b_2025.xlsx", [("A", "Chi bộ A", "K", 0.9, 5, 0)])  # bonus 5 > 3
    out = run("rank", f, "--json")
    assert out.returncode == 2 and out.stdout == ""
    assert "b_2025.xlsx, trang “Tổ chức”, dòng 4, cột “Điểm thưởng”" in out.stderr
    assert "Traceback" not in out.stderr
    for args in (["rank"], ["rank", tmp_path / "missing.xlsx"], ["nonsense"], ["rank", f, "--preset", "không có"]):
        out = run(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr, (args, out.stderr)


def test_validate_lists_warnings_and_succeeds(tmp_path):
    wb_path = consolidated(tmp_path / "b_2025.xlsx", [("A", "Chi bộ A", "K", 0.9, 0, 0)])
    wb = openpyxl.load_workbook(wb_path)
    wb["Tổ chức"]["D4"] = None  # 1.1 blank → counted 0, a warning
    wb.save(wb_path)
    out = run("validate", wb_path)
    assert out.returncode == 0, out.stderr
    assert "Hợp lệ: năm 2025, 1 đơn vị, 1 cảnh báo." in out.stdout
    assert "dòng 4" in out.stderr and "1.1" in out.stderr and "tính 0 điểm" in out.stderr


def test_text_output_lists_units(two_years):
    out = run("rank", *two_years)
    assert out.returncode == 0
    assert "Năm 2025: 4 đơn vị" in out.stdout and "DV02" in out.stdout
