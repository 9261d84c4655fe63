"""Framework model: presets as TOML, the "Tiêu chí" sheet both ways, and consistency checks."""

import io
import re
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from scoring import read_files
from scoring.framework import QUOTA_OF_GOOD, Criterion, Group, from_toml, load_preset, presets, to_toml
from scoring.framework_rows import from_table, to_rows, to_table
from scoring.reader import read_framework_sheet
from scoring.validation import Issues
from scoring.workbook import load

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_2025 = ROOT / "sample_data" / "tong_hop_2025.xlsx"


def sheet_bytes(rows, extra=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tiêu chí"
    for r in rows:
        ws.append(r)
    if extra:
        extra(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_presets_match_the_domain():
    assert presets() == {
        "dan_van_chinh_quyen": "Dân vận chính quyền (95/85/75)",
        "dan_van_tccsd": "Dân vận – TCCSĐ",
        "quy_dinh_366": "Quy định 366 – tổ chức đảng",
    }
    fw = load_preset()
    assert [(c.code, int(c.max_points)) for c in fw.of("unit")] == [
        ("1.1", 10),
        ("1.2", 10),
        ("1.3", 10),
        ("2.1", 20),
        ("2.2", 15),
        ("2.3", 15),
        ("2.4", 15),
        ("2.5", 5),
    ]
    assert [(c.code, int(c.max_points)) for c in fw.of("leader")] == [("N1", 20), ("N2", 30), ("N3", 30), ("N4", 20)]
    assert (fw.bonus_max, fw.penalty_max, fw.thresholds, fw.quota_percent) == (3, 3, (90, 70, 50), 20)
    cq = load_preset("dan_van_chinh_quyen")
    assert cq.thresholds == (95, 85, 75) and cq.zero_criterion_bars_top
    assert fw.problems() == [] and cq.problems() == []


@pytest.mark.parametrize("name", ["dan_van_tccsd", "dan_van_chinh_quyen"])
def test_toml_round_trip(name):
    fw = load_preset(name)
    assert from_toml(to_toml(fw)) == fw


def custom_framework():
    fw = load_preset()
    groups = (Group("I", "I. Tiêu chí chung", Decimal(40)), Group("II", "II. Kết quả thực hiện nhiệm vụ"))
    criteria = tuple(replace(c, weight=Decimal("12.5")) if c.code == "2.1" else c for c in fw.criteria)
    return fw.with_criteria(criteria, groups, bonus_max=Decimal(2), penalty_max=Decimal("1.5"))


def test_tieu_chi_sheet_round_trip_with_weights():
    fw = custom_framework()
    book = load(sheet_bytes(to_rows(fw)), "tc.xlsx")
    issues = Issues()
    back = read_framework_sheet(book.sheets[0], load_preset(), issues)
    assert issues.items == []
    assert back.criteria == fw.criteria and back.groups == fw.groups
    assert (back.bonus_max, back.penalty_max) == (2, Decimal("1.5"))
    w = back.weights("unit")
    assert w["1.1"] == Decimal(40) * 10 / 30 and w["2.1"] == Decimal("12.5") and w["2.2"] == 15


def test_tieu_chi_sheet_carries_thresholds_and_the_quota():
    fw = replace(
        load_preset(),
        thresholds=(Decimal("92.5"), Decimal("72.5"), Decimal("52.5")),
        quota_percent=Decimal("12.5"),
        quota_base=QUOTA_OF_GOOD,
    )
    assert from_toml(to_toml(fw)) == fw and "quota_base" in to_toml(fw)
    assert "quota_base" not in to_toml(load_preset())  # the default stays unwritten: stored hashes are kept
    issues = Issues()
    back = read_framework_sheet(load(sheet_bytes(to_rows(fw)), "tc.xlsx").sheets[0], load_preset(), issues)
    assert issues.items == []
    assert back.thresholds == fw.thresholds and back.quota_percent == Decimal("12.5")
    assert back.quota_base == QUOTA_OF_GOOD


def test_editor_rows_use_the_decimal_comma_and_report_bad_numbers():
    fw = custom_framework()
    rows = to_table(fw)
    assert next(r for r in rows if r["code"] == "2.1")["weight"] == "12,5"
    assert next(r for r in rows if r["code"] == "N1")["group"] == ""
    back, problems = from_table(fw, rows)
    assert problems == [] and back == fw
    rows[0]["max_points"] = "mười"
    _, problems = from_table(fw, rows)
    assert problems == ["Tiêu chí 1.1: điểm tối đa “mười” không phải là số"]


def test_framework_problems_are_reported():
    fw = load_preset()
    bad = fw.with_criteria(
        fw.criteria + (Criterion("1.1", "trùng", Decimal(0), "I"),),
        fw.groups,
        thresholds=(Decimal(70), Decimal(90), Decimal(50)),
        quota_percent=Decimal(120),
    )
    problems = bad.problems()
    assert "Mã tiêu chí “1.1” bị trùng" in problems
    assert "Tiêu chí 1.1: điểm tối đa phải lớn hơn 0" in problems
    assert "Ngưỡng xếp loại phải giảm dần: HTXSNV ≥ HTTNV ≥ HTNV ≥ 0" in problems
    assert "Tỷ lệ chỉ tiêu HTXSNV phải trong khoảng 0–100%" in problems


def test_a_files_own_framework_is_used_for_rating():
    rows = [
        ["Mã tiêu chí", "Nhóm", "Tên tiêu chí", "Điểm tối đa", "Trọng số", "Đối tượng"],
        ["A", "I. Chung", "Tiêu chí A", 10, None, "Tổ chức"],
        ["B", "II. Kết quả", "Tiêu chí B", 40, None, "Tổ chức"],
    ]

    def units(wb):
        ws = wb.create_sheet("Tổ chức")
        ws.append(["BẢNG ĐIỂM NĂM 2025"])
        ws.append(["Mã đơn vị", "Tên đơn vị", "Khối", "A", "B"])
        ws.append(["DV1", "Chi bộ 1", "K", 9, 36])  # 100 × 45/50 = 90

    read = read_files([("b.xlsx", sheet_bytes(rows, units))])
    assert read.errors == []
    assert read.framework.codes("unit") == ["A", "B"]
    from scoring import rate_all

    u = rate_all(read)[0].units.iloc[0]
    assert (u.total, u.score_tier) == (90.0, "HTXSNV")


def test_bad_tieu_chi_sheet_rows_are_errors_with_rows():
    rows = [
        ["Mã tiêu chí", "Nhóm", "Tên tiêu chí", "Điểm tối đa"],
        ["A", "I", "Tiêu chí A", "mười"],
        ["B", "I", "Tiêu chí B", 0],
    ]
    read = read_files([("b.xlsx", sheet_bytes(rows))])
    messages = [(i.row, i.column, i.message) for i in read.errors]
    assert (2, "Điểm tối đa", "Điểm tối đa không phải là số") in messages
    assert any("B" in m and "lớn hơn 0" in m for _, _, m in messages)


def test_a_key_the_framework_does_not_know_is_an_error_naming_it_and_its_line(tmp_path):
    """A misspelt key or a table of a newer framework is never ignored (the default thresholds would rate the year)."""
    text = to_toml(load_preset())
    lines = text.splitlines()
    cases = {
        text.replace("thresholds =", "thresold ="): (
            "thresold",
            "phần đầu",
            lines.index(next(x for x in lines if x.startswith("thresholds"))) + 1,
        ),
        text + '\n[[tier]]\ncode = "A"\n': ("tier", "phần đầu", len(lines) + 2),
        text.replace("max = 5", "maxx = 5", 1): (
            "maxx",
            "bảng [[criteria]]",
            next(i for i, x in enumerate(lines) if x.startswith("max = 5")) + 1,
        ),
    }
    for bad, (key, where, line) in cases.items():
        with pytest.raises(ValueError, match=f"khóa không biết “{key}” \\({re.escape(where)}, dòng {line}\\)"):
            from_toml(bad)
    path = tmp_path / "sai.toml"
    path.write_text(text.replace("thresholds =", "thresold ="), "utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "scoring", "rank", str(SAMPLE_2025), "--framework", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert run.returncode == 2 and "thresold" in run.stderr
