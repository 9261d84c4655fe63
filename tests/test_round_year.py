"""The round in a real year (scoring/rounds.py): a unit that never submits is appraised after its deadline and
completed as "Không tự chấm" (KHTNV by docs/rules.md step 6), units are withdrawn or added with a reason, a round
nobody worked in is cancelled, a leader is never dropped, a wrong evidence file is withdrawn, and what a person
typed is kept on the server until saved. Totals by hand from the default framework (unit maxima sum to 100)."""

from datetime import UTC, timedelta

import pandas as pd
import pytest

from scoring.access import Forbidden
from scoring.engine import rate
from scoring.framework import LEADER, UNIT
from scoring.presentation import unit_notes
from scoring.round_files import import_workbook, round_workbook
from scoring.rounds import APPRAISED, NO_SELF, NOT_SUBMITTED, REVIEWING, WITHDRAWN, RoundError, Rounds, key
from scoring.store import Store
from tests.builders import START
from tests.test_round_files import edited
from tests.test_rounds import FW, LEADER_ACCOUNT, OFFICER, PDF, UNIT_A, UNIT_B, full_marks, submitted

ROSTER3 = pd.DataFrame(
    {"code": ["DVA", "DVB", "DVC"], "name": ["Chi bộ A", "Chi bộ B", "Chi bộ C"], "cluster": ["Khối 1"] * 3}
)
SELF_DEADLINE, REVIEW_DEADLINE = START + timedelta(days=10), START + timedelta(days=20)
NAN = float("nan")


@pytest.fixture
def rounds(database_url, clock):
    rounds = Rounds(Store(database_url), clock)
    rounds.open(OFFICER, 2026, FW, ROSTER3, SELF_DEADLINE, REVIEW_DEADLINE)
    return rounds


def eighty_percent() -> dict[str, float]:
    """Every unit criterion at 80 % of its maximum: 80 points."""
    return {key(UNIT, c.code): float(c.max_points) * 0.8 for c in FW.of(UNIT)}


def test_a_unit_that_never_submits_is_completed_as_no_self_assessment_and_rated_khtnv(rounds, clock):
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})  # 98
    rounds.save_draft(UNIT_B, 2026, "DVB", full_marks(), leader={"name": "Bí thư B"})  # a draft, never submitted
    with pytest.raises(RoundError, match="còn hạn tự chấm"):
        rounds.appraise(OFFICER, 2026, "DVB", eighty_percent(), {})
    with pytest.raises(RoundError, match="còn hạn tự chấm"):
        rounds.complete(OFFICER, 2026, "DVC", {}, "Không nộp")
    clock.now = SELF_DEADLINE + timedelta(hours=1)
    # No own score to differ from: the committee's findings need no reason per criterion, the completion does.
    rounds.appraise(OFFICER, 2026, "DVB", eighty_percent(), {})
    assert rounds.sheet(OFFICER, 2026, "DVB").state == REVIEWING
    with pytest.raises(RoundError, match="lý do"):
        rounds.complete(OFFICER, 2026, "DVB", {}, " ")
    rounds.complete(OFFICER, 2026, "DVB", {}, "Không nộp tự chấm; thẩm định theo biên bản kiểm tra")
    assert rounds.complete_all(OFFICER, 2026, None, "Chốt theo hồ sơ của Ban") == ["DVA", "DVC"]
    states = rounds.board(OFFICER, 2026).set_index("code")["state"].to_dict()
    assert states == {"DVA": APPRAISED, "DVB": NO_SELF, "DVC": NO_SELF}
    data, _ = rounds.year_data(2026)
    assert data.unit_self.iloc[1].isna().all()  # DVB's draft is no self-assessment
    rounds.publish(LEADER_ACCOUNT, 2026)
    stored, fw, _ = rounds.store.load(2026)
    result = rate(stored, fw).units.set_index("code")
    assert result["total"].to_dict() == {"DVA": 98.0, "DVB": 80.0, "DVC": 0.0}
    assert result.loc["DVB", "score_tier"] == "HTTNV" and result.loc["DVB", "tier"] == "KHTNV"
    assert result.loc["DVC", "tier"] == "KHTNV"
    # Only DVA is HTXSNV or HTTNV after steps 5–7: 20 % of 1 is 0, so DVA drops to HTTNV by the quota.
    assert result.loc["DVA", "tier"] == "HTTNV"
    notes = dict(zip(result.index, unit_notes(result.reset_index())))
    assert notes["DVB"] == (
        "Đủ điểm HTTNV (80,00) nhưng không tự chấm → KHTNV; Không tự chấm, cấp ủy thẩm định: "
        "Không nộp tự chấm; thẩm định theo biên bản kiểm tra"
    )
    assert notes["DVC"] == "Không tự chấm, cấp ủy thẩm định: Chốt theo hồ sơ của Ban"  # 0 points: KHTNV by score


def test_completing_the_round_from_the_committee_file_names_every_refusal_and_completes_none(rounds, clock):
    submitted(rounds, UNIT_A, "DVA")
    with pytest.raises(RoundError) as refused:
        rounds.complete_all(OFFICER, 2026, ["DVA", "DVB", "DVX"], "Chốt")
    assert "DVB: đang ở trạng thái “Chưa nộp”, chưa hết hạn tự chấm" in str(refused.value)
    assert "DVX: không có trong đợt" in str(refused.value)
    assert rounds.sheet(OFFICER, 2026, "DVA").state != APPRAISED  # one refusal: none completed
    with pytest.raises(Forbidden):
        rounds.complete_all(UNIT_A, 2026, ["DVA"], "Chốt")


def test_import_takes_appraisal_cells_of_a_unit_past_its_deadline(rounds, clock):
    submitted(rounds, UNIT_A, "DVA")
    content = edited(
        round_workbook(rounds, OFFICER, 2026),
        {("DVC", "2.1 Thẩm định"): 12, ("DVC", "Lý do thay đổi"): "Theo biên bản kiểm tra"},
    )
    changes, issues = import_workbook(rounds, OFFICER, 2026, [("dot.xlsx", content)])
    assert not changes and any("chưa hết hạn tự chấm" in i.message for i in issues)
    clock.now = SELF_DEADLINE + timedelta(days=1)
    changes, issues = import_workbook(rounds, OFFICER, 2026, [("dot.xlsx", content)])
    assert [(c.code, c.target, c.value) for c in changes] == [("DVC", key(UNIT, "2.1"), 12.0)], issues
    assert rounds.sheet(OFFICER, 2026, "DVC").state == REVIEWING
    board = rounds.board(OFFICER, 2026).set_index("code")
    # No self-assessment: blank, not 0; the appraisal counts only what the committee scored (12 of criterion 2.1).
    assert board.loc["DVC", ["self_total", "review_total", "gap"]].tolist() == pytest.approx(
        [NAN, 12.0, NAN], nan_ok=True
    )
    assert board.loc["DVB", ["self_total", "review_total"]].isna().all()  # nothing submitted nor appraised


def test_a_unit_is_withdrawn_and_another_added_with_reasons(rounds, clock):
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})
    with pytest.raises(Forbidden):
        rounds.withdraw(UNIT_A, 2026, "DVC", "Sáp nhập")
    with pytest.raises(RoundError, match="lý do"):
        rounds.withdraw(OFFICER, 2026, "DVC", "")
    rounds.withdraw(OFFICER, 2026, "DVC", "Sáp nhập vào Chi bộ A theo Quyết định 12-QĐ/ĐU")
    with pytest.raises(RoundError, match="Đã rút khỏi đợt"):
        rounds.withdraw(OFFICER, 2026, "DVC", "lần nữa")
    added = pd.DataFrame({"code": ["dvd"], "name": ["Chi bộ D mới thành lập"], "cluster": ["Khối 1"]})
    with pytest.raises(RoundError, match="lý do"):
        rounds.add_units(OFFICER, 2026, added, "")
    with pytest.raises(RoundError, match="Đã có trong đợt: DVA"):
        rounds.add_units(OFFICER, 2026, pd.DataFrame({"code": ["DVA"], "name": ["A"], "cluster": [""]}), "x")
    rounds.provisional(OFFICER, 2026)  # kept tables of the roster before the change must not be reused
    assert rounds.add_units(OFFICER, 2026, added, "Chi bộ thành lập tháng 3") == 1
    board = rounds.board(OFFICER, 2026).set_index("code")
    assert board["state"].to_dict() == {"DVA": "da_nop", "DVB": NOT_SUBMITTED, "DVC": WITHDRAWN, "DVD": NOT_SUBMITTED}
    assert rounds.provisional(OFFICER, 2026).units["code"].tolist() == ["DVA", "DVB", "DVD"]
    unit_d = UNIT_A.__class__("dv-d", UNIT_A.role, "DVD")
    submitted(rounds, unit_d, "DVD")
    submitted(rounds, UNIT_B, "DVB")
    for code in ("DVA", "DVB", "DVD"):
        rounds.complete(OFFICER, 2026, code, {}, "Đạt")
    rounds.publish(LEADER_ACCOUNT, 2026)  # the withdrawn unit does not hold the round
    store = rounds.store
    data, _, _ = store.load(2026)
    assert data.units["code"].tolist() == ["DVA", "DVB", "DVD"]
    details = " ".join(store.audit(20)["detail"])
    assert "Rút DVC khỏi đợt năm 2026: Sáp nhập" in details and "Thêm 1 đơn vị vào đợt năm 2026 (DVD)" in details


def test_a_round_nobody_worked_in_is_cancelled_and_opened_again(rounds, database_url, clock):
    with pytest.raises(Forbidden):
        rounds.cancel(UNIT_A, 2026, "Sai danh sách")
    with pytest.raises(RoundError, match="lý do"):
        rounds.cancel(OFFICER, 2026, " ")
    rounds.cancel(OFFICER, 2026, "Dán nhầm danh sách đơn vị")
    assert rounds.get(2026) is None and rounds.years() == {}
    assert "Hủy đợt đánh giá năm 2026 (3 đơn vị): Dán nhầm danh sách đơn vị" in rounds.store.audit(5)["detail"].tolist()
    rounds.open(OFFICER, 2026, FW, ROSTER3.head(2), SELF_DEADLINE, REVIEW_DEADLINE)
    assert rounds.board(OFFICER, 2026)["code"].tolist() == ["DVA", "DVB"]  # nothing kept of the cancelled round
    rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "1.1"): 5})
    with pytest.raises(RoundError, match="đã có đơn vị làm việc"):
        rounds.cancel(OFFICER, 2026, "Muộn rồi")


def test_a_leader_is_never_dropped_silently(rounds):
    rounds.save_draft(UNIT_A, 2026, "DVA", full_marks())
    with pytest.raises(RoundError, match="Chưa ghi họ tên người đứng đầu"):
        rounds.submit(UNIT_A, 2026, "DVA")
    rounds.save_draft(UNIT_A, 2026, "DVA", {}, leader={"name": "Nguyễn Thị Hoa", "title": "Bí thư"})
    rounds.submit(UNIT_A, 2026, "DVA")
    data, _ = rounds.year_data(2026)
    assert data.leaders["name"].tolist() == ["Nguyễn Thị Hoa"]


def test_a_wrong_evidence_file_is_withdrawn_and_kept_in_the_history(rounds):
    digest = rounds.add_evidence(UNIT_A, 2026, "DVA", "nham.pdf", PDF, key(UNIT, "1.1"))
    with pytest.raises(RoundError):
        rounds.withdraw_evidence(UNIT_B, 2026, "DVA", digest)
    rounds.withdraw_evidence(UNIT_A, 2026, "DVA", digest, "Gửi nhầm tệp")
    sheet = rounds.sheet(UNIT_A, 2026, "DVA")
    assert sheet.files == [] and sheet.evidence[0]["withdrawn"]
    with pytest.raises(RoundError, match="Không có tệp minh chứng"):
        rounds.evidence_file(OFFICER, 2026, "DVA", digest)
    history = rounds.history(OFFICER, 2026, "DVA")
    assert history["kind"].tolist() == ["evidence", "evidence_withdrawn"]


def test_what_was_typed_is_kept_on_the_server_until_saved(rounds, clock):
    typed = {"scores": {key(UNIT, "1.1"): "8,5"}, "leader": {"name": "Lê Văn Bình"}}
    rounds.keep_typed(UNIT_A, 2026, "DVA", "tu-cham", typed)
    assert rounds.typed(UNIT_A, 2026, "DVA", "tu-cham")[0] == typed
    assert rounds.typed(OFFICER, 2026, "DVA", "tu-cham") is None  # each person's own
    with pytest.raises(RoundError):
        rounds.keep_typed(UNIT_B, 2026, "DVA", "tu-cham", typed)
    with pytest.raises(RoundError):
        rounds.keep_typed(OFFICER, 2026, "DVA", "tham-dinh", typed)  # not open for appraisal yet
    rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "1.1"): 8.5})
    assert rounds.typed(UNIT_A, 2026, "DVA", "tu-cham") is None  # saved: in the record now
    submitted(rounds, UNIT_B, "DVB")
    rounds.keep_typed(OFFICER, 2026, "DVB", "tham-dinh", {"scores": {key(LEADER, "N1"): "15"}})
    assert rounds.typed(OFFICER, 2026, "DVB", "tham-dinh")[0]["scores"] == {key(LEADER, "N1"): "15"}
    rounds.complete(OFFICER, 2026, "DVB", {}, "Đạt")
    assert rounds.typed(OFFICER, 2026, "DVB", "tham-dinh") is None


# ---------------------------------------------------------------- the roster as offices hand it over

PASTED_FROM_EXCEL = (
    "Mã đơn vị\tTên đơn vị\tKhối\r\n"
    "dv01\tChi bộ thôn Đông\tKhối nông thôn\r\n"
    "DV02\tChi bộ thôn Tây\tKhối nông thôn\r\n"
    "DV03\tChi bộ Trường Tiểu học\tKhối cơ quan\r\n"
)


def test_a_roster_pasted_from_excel_keeps_names_and_clusters():
    from scoring.roster import from_text

    roster = from_text(PASTED_FROM_EXCEL)
    assert roster.table.values.tolist() == [
        ["DV01", "Chi bộ thôn Đông", "Khối nông thôn"],
        ["DV02", "Chi bộ thôn Tây", "Khối nông thôn"],
        ["DV03", "Chi bộ Trường Tiểu học", "Khối cơ quan"],
    ]
    assert not roster.issues
    assert roster.summary().values.tolist() == [["Khối nông thôn", 2, 0], ["Khối cơ quan", 1, 0]]
    # Semicolons, a numbering column pasted along, no heading row: the same units.
    assert from_text("1\tDV01\tChi bộ thôn Đông\tKhối nông thôn\n2\tDV02\tChi bộ thôn Tây\tKhối nông thôn").table[
        "code"
    ].tolist() == ["DV01", "DV02"]
    typed = from_text("DV01; Chi bộ thôn Đông; Khối nông thôn\n\nDV02;Chi bộ thôn Tây")
    assert typed.table.values.tolist() == [
        ["DV01", "Chi bộ thôn Đông", "Khối nông thôn"],
        ["DV02", "Chi bộ thôn Tây", ""],
    ]


def test_roster_problems_are_named_with_their_line():
    from scoring.roster import from_text

    roster = from_text(
        "Khối\tMã\tTên\nKhối 1\tDV01\tChi bộ 1\nKhối 1\tdv01\tChi bộ 1 (trùng)\nKhối 2\tDV02\t\n"
        "Khối 2\t\tChi bộ không mã"
    )
    assert [(i.severity, i.row, i.message, i.value) for i in roster.issues] == [
        ("error", 3, "Trùng mã đơn vị với dòng 2", "DV01"),
        ("warning", 4, "Đơn vị chưa có tên", "DV02"),
        ("error", 5, "Dòng có tên đơn vị nhưng thiếu mã", "Chi bộ không mã"),
    ]
    assert from_text("\n \n").errors[0].message == "Danh sách không có đơn vị nào"


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_a_plain_list_workbook_and_the_filled_template_give_the_roster(tmp_path, soffice, fmt):
    import openpyxl

    from scoring.framework import load_preset
    from scoring.roster import from_files
    from scoring.template import template_bytes
    from tests.conftest import convert

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DS chi bo 2026"  # any sheet name
    ws.append(["DANH SÁCH CÁC CHI BỘ TRỰC THUỘC"])
    ws.append([])
    ws.append(["STT", "Mã", "Tên chi bộ", "Khối thi đua"])
    ws.append([1, "DV01", "Chi bộ thôn Đông", "Khối nông thôn"])
    ws.append([2, "DV02", "Chi bộ thôn Tây", "Khối nông thôn"])
    ws.append(["Tổng cộng", None, "2 chi bộ"])
    wb.save(tmp_path / "ds.xlsx")
    template = openpyxl.load_workbook(io_bytes(template_bytes(load_preset())))
    units = template["Tổ chức"]
    for row, (code, name) in enumerate((("DV01", "Chi bộ thôn Đông"), ("DV02", "Chi bộ thôn Tây")), start=9):
        units.cell(row, 2, code), units.cell(row, 3, name), units.cell(row, 4, "Khối nông thôn")
    template.save(tmp_path / "mau.xlsx")  # its leaders sheet stays empty; no year anywhere
    for name in ("ds.xlsx", "mau.xlsx"):
        saved = convert(soffice, tmp_path / name, fmt, tmp_path / fmt)
        roster = from_files([(saved.name, saved.read_bytes())])
        assert not roster.issues, (name, roster.issues)
        assert roster.table.values.tolist() == [
            ["DV01", "Chi bộ thôn Đông", "Khối nông thôn"],
            ["DV02", "Chi bộ thôn Tây", "Khối nông thôn"],
        ], name


def test_a_workbook_without_a_code_column_is_refused_with_its_name():
    from scoring.roster import from_files

    roster = from_files([("ghi_chu.csv", "Họ tên,Ghi chú\nA,B\n".encode())])
    assert [str(i) for i in roster.errors] == [
        "Lỗi: ghi_chu.csv: Không thấy danh sách đơn vị: cần một trang có cột “Mã đơn vị” (và “Tên đơn vị”, “Khối”)"
    ]


def io_bytes(content: bytes):
    import io

    return io.BytesIO(content)


def test_command_line_opens_from_a_pasted_list_completes_and_withdraws(tmp_path):
    import json

    from tests.test_rounds import run_round

    url = f"sqlite:///{tmp_path / 'dot.sqlite'}"
    (tmp_path / "ds.txt").write_text(PASTED_FROM_EXCEL, "utf-8")
    opened = run_round(
        url,
        "open",
        "2026",
        "--units",
        str(tmp_path / "ds.txt"),
        "--self-deadline",
        "01/01/2020",
        "--review-deadline",
        "31/12/2099",
    )  # self-assessment closed already: nobody submitted
    assert opened.returncode == 0 and "3 đơn vị" in opened.stdout, opened.stderr
    refused = run_round(url, "complete", "2026", "DV01", "DVX", "--reason", "Chốt")
    assert refused.returncode == 2 and "DVX: không có trong đợt" in refused.stderr
    assert run_round(url, "withdraw", "2026", "DV03", "--reason", "Giải thể").returncode == 0
    done = run_round(url, "complete", "2026", "--all", "--reason", "Không nộp; theo biên bản kiểm tra")
    assert done.returncode == 0 and "2 đơn vị: DV01, DV02" in done.stdout, done.stderr
    status = json.loads(run_round(url, "status", "2026", "--json").stdout)
    assert [u["state"] for u in status["units"]] == ["khong_tu_cham", "khong_tu_cham", "rut_khoi"]
    assert run_round(url, "cancel", "2026", "--reason", "x").returncode == 2  # units were worked on
    usage = run_round(url, "complete", "2026", "--reason", "x")
    assert usage.returncode == 2 and "cần một trong các tham số --all MÃ" in usage.stderr


def test_what_people_typed_stays_text_in_the_question_and_answer():
    from datetime import datetime

    from scoring.round_views import question_text

    at = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    shown = question_text(
        FW,
        {
            "criteria": ["2.1"],
            "question": "Xem ![o](/_danvan/dang-xuat)",
            "asked_by": "cb_1",
            "asked_at": at,
            "answer": "<b>*đủ*</b>",
            "answered_by": "dv",
            "answered_at": at,
        },
    )
    assert "![o](" not in shown and "<b>" not in shown and "*đủ*" not in shown
    assert r"\!\[o\]\(/\_danvan/dang\-xuat\)" in shown and "2.1 Thực hiện dân chủ ở cơ sở" in shown.replace("\\", "")
