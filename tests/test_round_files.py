"""A round as the consolidated workbook and back (scoring/round_files.py): the export rates exactly as the round,
and an officer's edited copy imports only its changed cells, each with a reason, all or none."""

import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from scoring.access import Forbidden
from scoring.engine import rate
from scoring.framework import UNIT
from scoring.reader import read_files
from scoring.round_files import REASON_HEADING, import_workbook, round_workbook
from scoring.rounds import APPRAISED, REVIEWING, Rounds, key
from scoring.store import Store
from scoring.template import TABLE_TOP
from tests.builders import START, Clock
from tests.test_rounds import FW, OFFICER, ROSTER, UNIT_A, UNIT_B, submitted

FIRST_ROW = TABLE_TOP + 2


@pytest.fixture
def rounds(database_url):
    rounds = Rounds(Store(database_url), Clock())
    rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})  # self 98
    submitted(rounds, UNIT_B, "DVB", {"2.2": 15, "2.3": 10})  # self 75
    rounds.appraise(OFFICER, 2026, "DVA", {key(UNIT, "2.1"): 16}, {key(UNIT, "2.1"): "Thiếu minh chứng"})
    return rounds


def columns(ws) -> dict[str, int]:
    """Column index by header: "Mã đơn vị", "2.1 Thẩm định", "Lý do thay đổi"…"""
    out, top = {}, ""
    for c in range(1, ws.max_column + 1):
        top = ws.cell(TABLE_TOP, c).value or top
        sub = ws.cell(TABLE_TOP + 1, c).value
        out[f"{top} {sub}" if sub else top] = c
    return out


def edited(content: bytes, edits: dict[tuple[str, str], object], sheet: str = "Tổ chức") -> bytes:
    """The workbook with cells set by (unit code, header)."""
    wb = openpyxl.load_workbook(io.BytesIO(content))
    ws = wb[sheet]
    where = columns(ws)
    rows = {ws.cell(r, where["Mã đơn vị"]).value: r for r in range(FIRST_ROW, ws.max_row + 1)}
    for (code, header), value in edits.items():
        ws.cell(rows[code], where[header]).value = value  # cell(…, value=None) would not clear it
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_export_rates_as_the_round_and_carries_states_and_reasons(rounds):
    rounds.complete(OFFICER, 2026, "DVB", {"penalty": 2, "collective_discipline": 1}, "Khiếu nại đông người")
    content = round_workbook(rounds, OFFICER, 2026)
    read = read_files([("vong_2026.xlsx", content)])
    assert not read.errors and not read.warnings, read.issues
    from_file = rate(read.years[2026], read.framework).units.set_index("code")
    data, fw = rounds.year_data(2026)
    from_round = rate(data, fw).units.set_index("code")
    for column in ("total", "tier", "rank", "cluster_rank", "reason", "appraised"):
        assert from_file[column].to_dict() == from_round[column].to_dict(), column
    # DVA: 98 − 2 (2.1 appraised 16, not 18) = 96; DVB appraised as scored (75), −2 penalty = 73
    assert from_round["total"].to_dict() == {"DVA": 96.0, "DVB": 73.0}
    assert from_round.loc["DVB", "appraised"]  # completed without changes: appraised at its own scores
    ws = openpyxl.load_workbook(io.BytesIO(content))["Tổ chức"]
    where = columns(ws)
    assert [ws.cell(r, where["Trạng thái"]).value for r in (FIRST_ROW, FIRST_ROW + 1)] == [
        "Đang thẩm định",
        "Đã thẩm định",
    ]
    assert ws.cell(FIRST_ROW, where["Ghi chú"]).value == "Thẩm định: 2.1 16,00 (Thiếu minh chứng)"
    assert ws.cell(FIRST_ROW, where["2.1 Tự chấm"]).value == 18
    assert ws.cell(FIRST_ROW, where["2.1 Thẩm định"]).value == 16
    assert ws.cell(FIRST_ROW, where["1.1 Thẩm định"]).value is None  # not appraised yet: blank, counts as self
    assert ws.cell(FIRST_ROW + 1, where["1.1 Thẩm định"]).value == 10  # appraised as scored
    assert ws.cell(FIRST_ROW + 1, where["Kỷ luật tập thể"]).value == "Khiển trách"


def test_an_edited_export_imports_only_changed_cells_with_their_reasons(rounds):
    content = edited(
        round_workbook(rounds, OFFICER, 2026),
        {("DVA", "2.2 Thẩm định"): 12, ("DVA", REASON_HEADING): "Hồ sơ mô hình chưa đủ", ("DVB", "Điểm thưởng"): 1.5},
    )
    before = len(rounds.history(OFFICER, 2026, "DVA")) + len(rounds.history(OFFICER, 2026, "DVB"))
    changes, issues = import_workbook(rounds, OFFICER, 2026, [("sua.xlsx", content)], "Theo biên bản họp tổ thẩm định")
    assert not [i for i in issues if i.severity == "error"], issues
    assert {(c.code, c.target, c.value, c.reason) for c in changes} == {
        ("DVA", key(UNIT, "2.2"), 12.0, "Hồ sơ mô hình chưa đủ"),
        ("DVB", "bonus", 1.5, "Theo biên bản họp tổ thẩm định"),
    }
    a, b = rounds.sheet(OFFICER, 2026, "DVA"), rounds.sheet(OFFICER, 2026, "DVB")
    assert a.review_scores == {key(UNIT, "2.1"): 16, key(UNIT, "2.2"): 12} and b.settings["bonus"] == 1.5
    assert b.state == REVIEWING  # submitted → under appraisal, as by the page
    after = len(rounds.history(OFFICER, 2026, "DVA")) + len(rounds.history(OFFICER, 2026, "DVB"))
    assert after == before + 3  # two changes and one state entry
    assert rounds.store.audit(actions=["round_import"])["detail"].tolist() == ["Nhập 2 ô thay đổi của 2 đơn vị từ tệp"]
    again, _ = import_workbook(rounds, OFFICER, 2026, [("sua.xlsx", content)], "lần hai")
    assert again == []  # nothing differs any more


def test_a_refused_cell_anywhere_writes_nothing_and_every_problem_is_named(rounds):
    rounds.complete(OFFICER, 2026, "DVB", {}, "Đạt")
    content = edited(
        round_workbook(rounds, OFFICER, 2026),
        {
            ("DVA", "1.1 Tự chấm"): 9,
            ("DVA", "2.1 Thẩm định"): None,
            ("DVA", "2.2 Thẩm định"): 12,
            ("DVB", "2.2 Thẩm định"): 14,
        },
    )
    before = rounds.history(OFFICER, 2026, "DVA")
    changes, issues = import_workbook(rounds, OFFICER, 2026, [("sua.xlsx", content)])
    assert changes == []
    errors = {(i.row, i.column, i.value): i.message for i in issues if i.severity == "error"}
    assert "không sửa bằng tệp" in errors[(FIRST_ROW, "1.1 / Tự chấm", "9")]
    assert "bị xoá" in errors[(FIRST_ROW, "2.1 / Thẩm định", "")]
    assert "cần lý do" in errors[(FIRST_ROW, "2.2 / Thẩm định", "12")]
    assert "Đã thẩm định" in errors[(FIRST_ROW + 1, "2.2 / Thẩm định", "")]
    assert all(i.file == "sua.xlsx" and i.sheet == "Tổ chức" for i in issues if i.severity == "error")
    assert rounds.history(OFFICER, 2026, "DVA").equals(before)
    assert rounds.sheet(OFFICER, 2026, "DVB").state == APPRAISED


def test_units_outside_the_round_and_other_years_are_refused(rounds):
    content = round_workbook(rounds, OFFICER, 2026)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    for ws in (wb["Tổ chức"], wb["Người đứng đầu"]):
        ws.cell(FIRST_ROW + 1, columns(ws)["Mã đơn vị"], "DVX")
    out = io.BytesIO()
    wb.save(out)
    _, issues = import_workbook(rounds, OFFICER, 2026, [("la.xlsx", out.getvalue())], "x")
    assert any("DVX không có trong đợt" in i.message for i in issues)
    with pytest.raises(Forbidden):
        import_workbook(rounds, UNIT_A, 2026, [("la.xlsx", content)], "x")
    _, issues = import_workbook(rounds, OFFICER, 2025, [("la.xlsx", content)], "x")
    assert issues[0].message == "Năm 2025 chưa có đợt đánh giá."


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scoring", *args],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_round_export_and_import_from_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'vong.sqlite'}"
    rounds = Rounds(Store(url), Clock())
    rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=10000), START + timedelta(days=20000))
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})
    path = tmp_path / "vong_2026.xlsx"
    out = run("round", "--database", url, "export", "2026", "-o", str(path))
    assert out.returncode == 0 and path.exists(), out.stderr
    ranked = json.loads(run("rank", str(path), "--json").stdout)
    assert {u["code"]: u["total"] for u in ranked["years"][0]["units"]} == {"DVA": 98.0, "DVB": 0.0}
    path.write_bytes(edited(path.read_bytes(), {("DVA", "2.1 Thẩm định"): 15}))
    refused = run("round", "--database", url, "import", "2026", str(path))
    assert refused.returncode == 2 and "cần lý do" in refused.stderr and "dòng 8" in refused.stderr
    done = run("round", "--database", url, "import", "2026", str(path), "--reason", "Thiếu biên bản")
    assert done.returncode == 0 and "1 ô" in done.stdout, done.stderr
    assert Rounds(Store(url)).sheet(OFFICER, 2026, "DVA").review_reasons == {key(UNIT, "2.1"): "Thiếu biên bản"}


def test_an_import_after_the_appraisal_deadline_is_refused_whole(rounds):
    content = edited(round_workbook(rounds, OFFICER, 2026), {("DVA", "2.2 Thẩm định"): 12})
    rounds.clock.now = START + timedelta(days=21)  # the appraisal deadline was day 20
    changes, issues = import_workbook(rounds, OFFICER, 2026, [("muon.xlsx", content)], "Theo biên bản")
    assert changes == [] and [(i.file, i.message[:22]) for i in issues] == [("muon.xlsx", "Đã quá hạn thẩm định (")]
    assert key(UNIT, "2.2") not in rounds.sheet(OFFICER, 2026, "DVA").review_scores
