"""The evaluation round in the library (scoring/rounds.py), on SQLite and PostgreSQL: each step's role, state and
deadline checks, the append-only history, evidence checked by content, publication as the year's new version,
and two people working at once. Totals are worked out by hand from the default framework (unit maxima 100)."""

import io
import threading
import zipfile
from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.access import Actor, Forbidden, Role
from scoring.engine import rate
from scoring.framework import LEADER, UNIT, load_preset
from scoring.rounds import (
    APPRAISED,
    EXPLAINING,
    NOT_SUBMITTED,
    REVIEWING,
    SUBMITTED,
    RoundError,
    RoundInfo,
    Rounds,
    evidence_type,
    key,
)
from scoring.store import Store
from tests.builders import START

OFFICER = Actor("canbo", Role.OFFICER)
OFFICER2 = Actor("canbo2", Role.OFFICER)
LEADER_ACCOUNT = Actor("lanhdao", Role.LEADERSHIP)
UNIT_A = Actor("dv-a", Role.UNIT, "DVA")
UNIT_B = Actor("dv-b", Role.UNIT, "DVB")
FW = load_preset()
NAN = float("nan")
ROSTER = pd.DataFrame({"code": ["dva", "DVB"], "name": ["Chi bộ A", "Chi bộ B"], "cluster": ["Khối 1", "Khối 1"]})
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def rounds(database_url, clock):
    rounds = Rounds(Store(database_url), clock)
    rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    return rounds


def full_marks(less: dict[str, float] | None = None) -> dict[str, float]:
    """Every criterion at its maximum, but the given ones lowered by the given points."""
    less = less or {}
    return {key(c.target, c.code): float(c.max_points) - less.get(c.code, 0) for c in FW.criteria}


def submitted(rounds, actor, code, less=None):
    rounds.save_draft(
        actor,
        2026,
        code,
        full_marks(less),
        {key(UNIT, "1.1"): "Đã tổ chức 4 hội nghị"},
        {"name": f"Bí thư {code}", "title": "Bí thư chi bộ"},
    )
    rounds.submit(actor, 2026, code)


def test_only_an_officer_opens_one_round_a_year(database_url, clock):
    rounds = Rounds(Store(database_url), clock)
    with pytest.raises(Forbidden):
        rounds.open(UNIT_A, 2026, FW, ROSTER, START, START + timedelta(days=1))
    with pytest.raises(RoundError, match="sau hạn tự chấm"):
        rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=2), START + timedelta(days=1))
    rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=1), START + timedelta(days=2))
    with pytest.raises(RoundError, match="đã có đợt"):
        rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=1), START + timedelta(days=2))
    info = rounds.get(2026)
    assert info.units["code"].tolist() == ["DVA", "DVB"] and info.framework.codes(UNIT) == FW.codes(UNIT)
    vietnam = timezone(timedelta(hours=7))
    rounds.open(
        OFFICER,
        2027,
        FW,
        ROSTER,
        datetime(2027, 12, 6, 23, 59, tzinfo=vietnam),
        datetime(2027, 12, 20, 23, 59, tzinfo=vietnam),
    )
    assert rounds.get(2027).self_deadline == datetime(2027, 12, 6, 16, 59, tzinfo=UTC)  # the same moment


def test_a_unit_drafts_many_times_submits_once_and_only_for_itself(rounds):
    rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "1.1"): 6})
    rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "1.1"): 7.5})
    with pytest.raises(RoundError, match="Chưa chấm các tiêu chí: 1.2"):
        rounds.submit(UNIT_A, 2026, "DVA")
    with pytest.raises(RoundError, match="ngoài khoảng 0–10"):
        rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "1.1"): 10.5})
    with pytest.raises(RoundError, match="đơn vị của mình"):
        rounds.save_draft(UNIT_A, 2026, "DVB", {key(UNIT, "1.1"): 5})
    with pytest.raises(RoundError, match="không xem được"):
        rounds.sheet(UNIT_A, 2026, "DVB")
    submitted(rounds, UNIT_A, "DVA")
    sheet = rounds.sheet(UNIT_A, 2026, "DVA")
    assert sheet.state == SUBMITTED and sheet.self_scores[key(UNIT, "1.1")] == 10
    assert sheet.leader == {"name": "Bí thư DVA", "title": "Bí thư chi bộ"}
    with pytest.raises(RoundError, match="Đã nộp"):
        rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "1.1"): 9})
    history = rounds.history(UNIT_A, 2026, "DVA")
    drafts = history[(history["kind"] == "self") & (history["target"] == key(UNIT, "1.1"))]
    assert drafts["value"].tolist() == ["6.0", "7.5", "10.0"] and set(drafts["who"]) == {"dv-a"}  # nothing overwritten


def test_after_the_deadline_only_an_officer_extends_it_for_one_unit(rounds, clock):
    clock.now = START + timedelta(days=11)
    with pytest.raises(RoundError, match="quá hạn tự chấm"):
        rounds.save_draft(UNIT_B, 2026, "DVB", {key(UNIT, "1.1"): 5})
    with pytest.raises(Forbidden):
        rounds.extend(UNIT_B, 2026, "DVB", START + timedelta(days=12), "xin gia hạn")
    with pytest.raises(RoundError, match="lý do"):
        rounds.extend(OFFICER, 2026, "DVB", START + timedelta(days=12), " ")
    rounds.extend(OFFICER, 2026, "DVB", START + timedelta(days=12), "Đơn vị mới kiện toàn cấp ủy")
    submitted(rounds, UNIT_B, "DVB")
    with pytest.raises(RoundError, match="quá hạn tự chấm"):
        rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "1.1"): 5})  # the other unit's deadline is unchanged


def test_appraisal_needs_reasons_questions_wait_for_answers(rounds):
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})
    with pytest.raises(Forbidden):
        rounds.appraise(UNIT_A, 2026, "DVA", {key(UNIT, "2.1"): 15}, {})
    with pytest.raises(RoundError, match="cần ghi lý do"):
        rounds.appraise(OFFICER, 2026, "DVA", {key(UNIT, "2.1"): 17}, {})
    rounds.appraise(
        OFFICER,
        2026,
        "DVA",
        {key(UNIT, "2.1"): 17, key(UNIT, "1.1"): 10},
        {key(UNIT, "2.1"): "Chưa có biên bản đối thoại quý IV"},
    )
    sheet = rounds.sheet(OFFICER, 2026, "DVA")
    assert sheet.state == REVIEWING and sheet.review_scores == {key(UNIT, "2.1"): 17}  # 1.1 unchanged: not stored
    rounds.ask(OFFICER, 2026, "DVA", ["2.1"], "Đề nghị gửi biên bản đối thoại quý IV")
    assert rounds.sheet(UNIT_A, 2026, "DVA").state == EXPLAINING
    with pytest.raises(RoundError, match="Chờ giải trình"):
        rounds.complete(OFFICER, 2026, "DVA", {}, "xong")
    with pytest.raises(RoundError, match="Chờ giải trình"):
        rounds.save_draft(UNIT_A, 2026, "DVA", {key(UNIT, "2.1"): 20})  # an answer never changes scores
    rounds.add_evidence(UNIT_A, 2026, "DVA", "bien_ban.pdf", PDF, key(UNIT, "2.1"))
    rounds.answer(UNIT_A, 2026, "DVA", "Biên bản gửi kèm")
    sheet = rounds.sheet(OFFICER, 2026, "DVA")
    assert sheet.state == REVIEWING and sheet.questions[0]["answer"] == "Biên bản gửi kèm"
    assert sheet.self_scores[key(UNIT, "2.1")] == 18 and sheet.evidence[0]["name"] == "bien_ban.pdf"
    with pytest.raises(RoundError, match="Điểm thưởng phải từ 0 đến 3"):
        rounds.complete(OFFICER, 2026, "DVA", {"bonus": 4}, "Thưởng")
    rounds.complete(OFFICER, 2026, "DVA", {"bonus": 1}, "Có mô hình Dân vận khéo cấp tỉnh")
    assert rounds.sheet(OFFICER, 2026, "DVA").state == APPRAISED


def test_publication_end_to_end(database_url, clock):
    rounds = Rounds(Store(database_url), clock)
    rounds.open(OFFICER, 2026, FW, ROSTER, START + timedelta(days=10), START + timedelta(days=20))
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})  # self 98
    submitted(rounds, UNIT_B, "DVB", {"2.2": 15, "2.3": 10})  # self 75
    rounds.appraise(OFFICER, 2026, "DVA", {key(UNIT, "2.1"): 16}, {key(UNIT, "2.1"): "Thiếu minh chứng"})  # 96
    rounds.complete(OFFICER, 2026, "DVA", {"bonus": 1}, "Mô hình tốt")  # 97
    with pytest.raises(RoundError, match="Còn 1 đơn vị chưa thẩm định xong: DVB"):
        rounds.publish(LEADER_ACCOUNT, 2026)
    rounds.complete(OFFICER, 2026, "DVB", {"penalty": 2}, "Để xảy ra khiếu nại đông người")  # 73
    with pytest.raises(Forbidden):
        rounds.publish(OFFICER, 2026)
    provisional = rounds.provisional(LEADER_ACCOUNT, 2026)
    assert provisional.units.set_index("code")["total"].to_dict() == {"DVA": 97.0, "DVB": 73.0}
    dataset_id = rounds.publish(LEADER_ACCOUNT, 2026)
    store = Store(database_url)
    assert store.active_versions()[2026] == dataset_id
    data, fw, _ = store.load(2026)
    published = rate(data, fw).units.set_index("code")
    assert published["total"].to_dict() == {"DVA": 97.0, "DVB": 73.0}
    assert published["appraised"].all()  # DVB was completed without a changed score: appraised, not "chưa thẩm định"
    # Two units in the cluster: 20 % of 2 rounds down to 0, so 97 points is HTXSNV by score, HTTNV by the quota.
    assert published.loc["DVA", "score_tier"] == "HTXSNV" and published.loc["DVA", "tier"] == "HTTNV"
    assert "vượt chỉ tiêu" in published.loc["DVA", "reason"] and published.loc["DVB", "tier"] == "HTTNV"
    assert len(data.leaders) == 2 and data.leaders["name"].tolist() == ["Bí thư DVA", "Bí thư DVB"]
    from scoring.presentation import unit_notes

    notes = dict(zip(published.index, unit_notes(published.reset_index())))
    assert notes["DVA"].endswith("Thẩm định: 2.1 16,00 (Thiếu minh chứng)")  # the report's Ghi chú
    assert "Thẩm định:" not in notes["DVB"]
    assert store.audit(1)["who"].tolist() == ["lanhdao"]
    with pytest.raises(RoundError, match="đã công bố"):
        rounds.appraise(OFFICER, 2026, "DVA", {key(UNIT, "2.1"): 20}, {key(UNIT, "2.1"): "x"})
    assert rounds.get(2026).state == "published"


def test_a_published_round_reopens_only_with_a_reason_and_publishes_a_new_version(rounds, clock):
    for actor, code in ((UNIT_A, "DVA"), (UNIT_B, "DVB")):
        submitted(rounds, actor, code)
        rounds.complete(OFFICER, 2026, code, {}, "Đạt")
    first = rounds.publish(LEADER_ACCOUNT, 2026)
    assert rounds.published_versions() == {2026: first} and rounds.years() == {2026: "published"}
    later = START + timedelta(days=40)
    with pytest.raises(Forbidden):
        rounds.reopen(UNIT_A, 2026, "Khiếu nại", later)
    with pytest.raises(RoundError, match="Cần ghi lý do"):
        rounds.reopen(OFFICER, 2026, "  ", later)
    with pytest.raises(RoundError, match="Đã quá hạn thẩm định mới"):
        rounds.reopen(OFFICER, 2026, "Khiếu nại", START - timedelta(days=1))
    clock.now = START + timedelta(days=30)  # the first appraisal deadline has passed
    rounds.reopen(OFFICER, 2026, "Đơn khiếu nại của chi bộ B ngày 5/4", later)
    assert rounds.get(2026).state == "open" and rounds.get(2026).review_deadline == later
    assert rounds.published_versions() == {} and rounds.open_years() == [2026]
    with pytest.raises(RoundError, match="đang mở"):
        rounds.reopen(OFFICER, 2026, "Lần nữa", later)
    with pytest.raises(RoundError, match="Đã thẩm định"):
        rounds.appraise(OFFICER, 2026, "DVB", {key(UNIT, "2.1"): 15}, {key(UNIT, "2.1"): "Sai sót"})
    rounds.reopen_unit(OFFICER, 2026, "DVB", "Xem lại theo đơn khiếu nại")
    rounds.appraise(OFFICER, 2026, "DVB", {key(UNIT, "2.1"): 15}, {key(UNIT, "2.1"): "Biên bản không hợp lệ"})
    with pytest.raises(RoundError, match="chưa thẩm định xong: DVB"):
        rounds.publish(LEADER_ACCOUNT, 2026)
    rounds.complete(OFFICER, 2026, "DVB", {}, "Đã xem lại")
    second = rounds.publish(LEADER_ACCOUNT, 2026)
    assert second != first and rounds.published_versions() == {2026: second}
    data, fw, _ = rounds.store.load(2026)
    assert rate(data, fw).units.set_index("code")["total"].to_dict() == {"DVA": 100.0, "DVB": 95.0}
    round_history = rounds.history(OFFICER, 2026, None)
    assert round_history["kind"].tolist() == ["opened", "published", "reopened", "published"]
    assert round_history["reason"].iloc[2] == "Đơn khiếu nại của chi bộ B ngày 5/4"
    assert rounds.store.audit(actions=["round_reopen"])["who"].tolist() == ["canbo"]
    with pytest.raises(Forbidden):
        rounds.history(UNIT_A, 2026, None)


def test_history_keeps_who_when_and_why(rounds, clock):
    submitted(rounds, UNIT_A, "DVA", {"2.1": 2})
    clock.now += timedelta(hours=3)
    rounds.appraise(OFFICER, 2026, "DVA", {key(UNIT, "2.1"): 16}, {key(UNIT, "2.1"): "Thiếu minh chứng"})
    history = rounds.history(OFFICER, 2026, "DVA")
    change = history[history["kind"] == "review"].iloc[0]
    assert (change["who"], change["target"], change["value"], change["reason"]) == (
        "canbo",
        key(UNIT, "2.1"),
        "16.0",
        "Thiếu minh chứng",
    )
    at = pd.Timestamp(change["at"])
    assert (at if at.tzinfo else at.tz_localize("UTC")) == START + timedelta(hours=3)
    assert list(history["kind"]).count("state") == 2  # submitted, then under appraisal


def test_evidence_is_judged_by_its_content():
    assert evidence_type("a.pdf", PDF) == "application/pdf"
    assert evidence_type("anh.PNG", b"\x89PNG\r\n\x1a\n" + b"\0" * 20) == "image/png"
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    assert evidence_type("bao_cao.docx", docx.getvalue()).endswith("wordprocessingml.document")
    for name, content in (
        ("a.pdf", b"<html><script>alert(1)</script>"),
        ("a.exe", PDF),
        ("bao_cao.xlsx", docx.getvalue()),
        ("a.pdf", b"MZ\x90\x00"),
        ("zip.docx", b"PK\x03\x04xx"),
    ):
        with pytest.raises(RoundError, match="không phải PDF"):
            evidence_type(name, content)
    with pytest.raises(RoundError, match="lớn hơn 20 MB"):
        evidence_type("to.pdf", PDF + b"\0" * (20 * 2**20))


def test_evidence_is_kept_once_and_only_its_unit_and_officers_read_it(rounds):
    first = rounds.add_evidence(UNIT_A, 2026, "DVA", "a.pdf", PDF)
    assert rounds.add_evidence(UNIT_A, 2026, "DVA", "b.pdf", PDF) == first
    assert rounds.evidence_file(OFFICER, 2026, "DVA", first) == ("application/pdf", PDF)
    with pytest.raises(RoundError):
        rounds.evidence_file(UNIT_B, 2026, "DVA", first)
    with pytest.raises(RoundError, match="Không có tệp"):
        rounds.evidence_file(UNIT_B, 2026, "DVB", first)


def run_together(*jobs) -> list[Exception]:
    errors = []

    def guarded(job):
        try:
            job()
        except Exception as e:  # noqa: BLE001 - reported by the test
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in jobs]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    return errors


def test_two_officers_appraising_different_units_at_once_lose_nothing(rounds):
    submitted(rounds, UNIT_A, "DVA")
    submitted(rounds, UNIT_B, "DVB")

    def appraise(actor, code, criterion):
        return lambda: [
            rounds.appraise(
                actor, 2026, code, {key(UNIT, criterion): 5 - step / 2}, {key(UNIT, criterion): f"lần {step}"}
            )
            for step in range(5)
        ]

    assert not run_together(appraise(OFFICER, "DVA", "1.1"), appraise(OFFICER2, "DVB", "1.2"))
    assert rounds.sheet(OFFICER, 2026, "DVA").review_scores == {key(UNIT, "1.1"): 3.0}
    assert rounds.sheet(OFFICER, 2026, "DVB").review_scores == {key(UNIT, "1.2"): 3.0}
    for code, who in (("DVA", "canbo"), ("DVB", "canbo2")):
        history = rounds.history(OFFICER, 2026, code)
        assert history[history["kind"] == "review"]["who"].tolist() == [who] * 5


def test_a_draft_saved_while_an_officer_reads_it_loses_nothing(rounds):
    seen = []

    def drafts():
        return [rounds.save_draft(UNIT_B, 2026, "DVB", {key(UNIT, "1.1"): i / 2}) for i in range(1, 11)]

    def reads():
        return [seen.append(rounds.sheet(OFFICER, 2026, "DVB").self_scores.get(key(UNIT, "1.1"))) for _ in range(10)]

    assert not run_together(drafts, reads)
    assert rounds.sheet(OFFICER, 2026, "DVB").self_scores[key(UNIT, "1.1")] == 5.0
    assert all(v is None or v in {i / 2 for i in range(1, 11)} for v in seen)  # never half a write
    history = rounds.history(OFFICER, 2026, "DVB")
    assert history[history["kind"] == "self"]["value"].tolist() == [str(i / 2) for i in range(1, 11)]


def test_leader_criteria_are_entered_like_the_units(rounds):
    leader_scores = {key(LEADER, c): 10.0 for c in FW.codes(LEADER)}
    rounds.save_draft(UNIT_A, 2026, "DVA", leader_scores, leader={"name": "Nguyễn Văn Tâm", "title": "Bí thư"})
    sheet = rounds.sheet(UNIT_A, 2026, "DVA")
    assert all(sheet.self_scores[k] == 10.0 for k in leader_scores) and sheet.state == NOT_SUBMITTED


def test_backup_and_restore_keep_the_round_and_its_evidence(rounds, tmp_path):
    from scoring import service
    from scoring.access import operator

    digest = rounds.add_evidence(UNIT_A, 2026, "DVA", "anh.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    submitted(rounds, UNIT_A, "DVA")
    service.backup(rounds.store, tmp_path / "sao_luu.json", operator("kiểm thử"))
    target = Rounds(Store(f"sqlite:///{tmp_path / 'phuc_hoi.sqlite'}"), rounds.clock)  # from either kind
    service.restore(target.store, tmp_path / "sao_luu.json", operator("kiểm thử"))
    assert target.sheet(OFFICER, 2026, "DVA").state == SUBMITTED
    assert target.evidence_file(OFFICER, 2026, "DVA", digest)[1] == b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    rounds_after = target.history(OFFICER, 2026, "DVA")
    assert len(rounds_after) == len(rounds.history(OFFICER, 2026, "DVA"))
    target.appraise(OFFICER, 2026, "DVA", {key(UNIT, "1.1"): 9}, {key(UNIT, "1.1"): "sau phục hồi"})  # ids go on


def test_work_list_tells_each_person_what_waits(rounds):
    assert rounds.work_list(UNIT_A) == [("Năm 2026: tự chấm và nộp trước 15:00 ngày 11/03/2026", "tu-cham")]
    assert rounds.work_list(OFFICER) == [] and rounds.work_list(LEADER_ACCOUNT) == []
    rounds.extend(OFFICER, 2026, "DVB", START + timedelta(days=12, hours=2), "Kiện toàn cấp ủy")
    assert rounds.work_list(UNIT_B) == [("Năm 2026: tự chấm và nộp trước 17:00 ngày 13/03/2026", "tu-cham")]
    submitted(rounds, UNIT_A, "DVA")
    assert rounds.work_list(UNIT_A) == []
    assert rounds.work_list(OFFICER) == [("Năm 2026: 1 đơn vị chờ thẩm định", "tham-dinh")]
    rounds.ask(OFFICER, 2026, "DVA", ["1.1"], "Đề nghị giải trình")
    assert rounds.work_list(UNIT_A) == [("Năm 2026: trả lời yêu cầu giải trình", "tu-cham")]
    rounds.answer(UNIT_A, 2026, "DVA", "Đã bổ sung")
    rounds.complete(OFFICER, 2026, "DVA", {}, "Đạt")
    submitted(rounds, UNIT_B, "DVB")
    rounds.complete(OFFICER, 2026, "DVB", {}, "Đạt")
    assert rounds.work_list(LEADER_ACCOUNT) == [
        ("Năm 2026: đã thẩm định xong, chờ phê duyệt và công bố", "dot-danh-gia")
    ]
    rounds.publish(LEADER_ACCOUNT, 2026)
    assert rounds.work_list(LEADER_ACCOUNT) == [] and rounds.open_years() == []


def test_what_one_object_keeps_between_steps_is_what_the_store_holds(rounds, database_url, clock):
    """The sheets, board, provisional ranking and state counts a Rounds object keeps (brought up to date with the
    entries appended since, by itself or by another server) equal a fresh fold of the store after every step, and
    what it handed out before a step is never changed by it."""
    import copy

    other = Rounds(Store(database_url), clock)  # a second replica writing to the same store

    def same_as_fresh():
        fresh = Rounds(Store(database_url), clock)
        assert rounds.snapshot(OFFICER, 2026)[1] == fresh.snapshot(OFFICER, 2026)[1]
        pd.testing.assert_frame_equal(rounds.board(OFFICER, 2026), fresh.board(OFFICER, 2026))
        pd.testing.assert_frame_equal(rounds.provisional(OFFICER, 2026).units, fresh.provisional(OFFICER, 2026).units)
        assert [rounds.work_list(a) for a in (OFFICER, LEADER_ACCOUNT)] == [
            fresh.work_list(a) for a in (OFFICER, LEADER_ACCOUNT)
        ]
        return rounds.snapshot(OFFICER, 2026)[1]

    handed_out = same_as_fresh()
    kept = copy.deepcopy(handed_out)
    board = rounds.board(OFFICER, 2026).copy()
    steps = [
        lambda: submitted(rounds, UNIT_A, "DVA", {"1.1": 2}),
        lambda: other.appraise(OFFICER, 2026, "DVA", {key(UNIT, "1.2"): 5}, {key(UNIT, "1.2"): "thiếu hồ sơ"}),
        lambda: submitted(other, UNIT_B, "DVB"),
        lambda: rounds.complete(OFFICER, 2026, "DVA", {"bonus": 1.0}, "Đạt"),
        lambda: other.complete(OFFICER, 2026, "DVB", {}, "Đạt"),
        lambda: other.reopen_unit(OFFICER, 2026, "DVA", "xem lại"),
    ]
    for step in steps:
        step()
        same_as_fresh()
    assert handed_out == kept
    pd.testing.assert_frame_equal(board, _board_of_untouched_round())


def _board_of_untouched_round() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["DVA", "DVB"],
            "name": ["Chi bộ A", "Chi bộ B"],
            "cluster": ["Khối 1", "Khối 1"],
            "state": [NOT_SUBMITTED, NOT_SUBMITTED],
            "self_total": [NAN, NAN],
            "review_total": [NAN, NAN],
            "gap": [NAN, NAN],
        }
    )  # nothing yet, not 0


def run_round(url: str, *args: str, password: str | None = None):
    import subprocess
    import sys
    from pathlib import Path

    return subprocess.run(
        [sys.executable, "-m", "scoring", "round", "--database", url, *args],
        cwd=Path(__file__).resolve().parents[1],
        input=password,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_round_command_line_opens_reports_and_publishes(tmp_path):
    import json
    from pathlib import Path

    from scoring import service
    from scoring.access import operator
    from scoring.accounts import Accounts

    url = f"sqlite:///{tmp_path / 'vong.sqlite'}"
    sample = Path(__file__).resolve().parents[1] / "sample_data" / "tong_hop_2025.xlsx"
    service.import_files(Store(url), [(sample.name, sample.read_bytes())])
    assert (
        run_round(url, "open", "2026", "--self-deadline", "31/12/2099", "--review-deadline", "1/13/2099").returncode
        == 2
    )  # not a date
    opened = run_round(url, "open", "2026", "--self-deadline", "30/12/2099", "--review-deadline", "31/12/2099")
    assert opened.returncode == 0 and "45 đơn vị" in opened.stdout, opened.stderr
    status = json.loads(run_round(url, "status", "2026", "--json").stdout)
    assert status["year"] == 2026 and status["state"] == "open" and len(status["units"]) == 45
    assert set(status["units"][0]) == {"code", "name", "cluster", "state", "self_total", "review_total"}
    assert (status["units"][0]["self_total"], status["units"][0]["review_total"]) == (None, None)  # null: none yet
    rounds = Rounds(Store(url))
    codes = [u["code"] for u in status["units"]]
    for code in codes:
        unit = Actor(f"dv-{code}", Role.UNIT, code)
        rounds.save_draft(unit, 2026, code, full_marks({"2.1": 1}), leader={"name": f"Bí thư {code}"})
        rounds.submit(unit, 2026, code)
        rounds.complete(OFFICER, 2026, code, {}, "Đạt yêu cầu")
    accounts = Accounts(Store(url))
    accounts.create(operator("kiểm thử"), "lanhdao", "lanh_dao", "mat-khau-lanh-dao")
    accounts.create(operator("kiểm thử"), "canbo", "can_bo", "mat-khau-can-bo-1")
    assert run_round(url, "publish", "2026", "--as", "lanhdao", password="sai-mat-khau\n").returncode == 2
    refused = run_round(url, "publish", "2026", "--as", "canbo", password="mat-khau-can-bo-1\n")
    assert refused.returncode == 2 and "không có quyền" in refused.stderr
    done = run_round(url, "publish", "2026", "--as", "lanhdao", password="mat-khau-lanh-dao\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(run_round(url, "status", "2026", "--json").stdout)["state"] == "published"
    assert Store(url).history(2026)[0].imported_by == "lanhdao"
    from_file = run_round(
        url, "open", "2027", "--units", str(sample), "--self-deadline", "30/12/2099", "--review-deadline", "31/12/2099"
    )
    assert from_file.returncode == 0 and "45 đơn vị" in from_file.stdout, from_file.stderr


def test_a_filled_form_fills_the_draft_through_the_same_reader(database_url, clock):
    from pathlib import Path

    from scoring.reader import read_files

    form = Path(__file__).resolve().parents[1] / "sample_data" / "phieu_2025" / "DV26.xlsx"
    read = read_files([(form.name, form.read_bytes())], FW)
    assert not read.errors
    data = next(iter(read.years.values()))
    rounds = Rounds(Store(database_url), clock)
    roster = pd.DataFrame({"code": ["DV26", "DV27"], "name": ["Chi bộ 26", "Chi bộ 27"], "cluster": ["K", "K"]})
    rounds.open(OFFICER, 2026, FW, roster, START + timedelta(days=10), START + timedelta(days=20))
    unit = Actor("dv26", Role.UNIT, "DV26")
    count = rounds.draft_from_form(unit, 2026, "DV26", data)
    sheet = rounds.sheet(unit, 2026, "DV26")
    expected = {key(UNIT, c): v for c, v in data.unit_self.iloc[0].items() if not pd.isna(v)}
    assert count >= len(expected) > 0 and all(sheet.self_scores[k] == v for k, v in expected.items())
    assert sheet.leader["name"] == data.leaders["name"].iloc[0]
    with pytest.raises(RoundError, match="không phải phiếu của đơn vị DV27"):
        rounds.draft_from_form(Actor("dv27", Role.UNIT, "DV27"), 2026, "DV27", data)


_CHANGES = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(["self", "review", "leader", "unleader", "bonus", "flag", "state", "reason"]),
        st.sampled_from([0, 1, 2.5, 7.25]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None)
@given(_CHANGES)
def test_engine_tables_kept_between_runs_equal_tables_made_anew(changes):
    """The round's tables for the engine, brought up to date from the last ones for the units whose sheets changed,
    equal tables made anew from the sheets, after any changes (scores, a leader named or removed, a setting of another
    type, a state, a reason), one at a time or many at once."""
    import copy

    from scoring.rounds import UnitSheet, year_data_of
    from scoring.rounds.tables import _tables_update

    codes = [f"DV{i}" for i in range(6)]
    roster = pd.DataFrame({"code": codes, "name": [f"Chi bộ {c}" for c in codes], "cluster": ["Khối 1"] * 6})
    info = RoundInfo(1, 2026, FW, START, START, "open", roster)
    sheets = {c: UnitSheet(c, f"Chi bộ {c}", "Khối 1") for c in codes}
    sheets["DV0"].leader = {"name": "Nguyễn Văn A", "title": "Bí thư"}
    made: dict = {}
    kept, basis = year_data_of(2026, info, sheets, made), sheets
    for n, (i, what, value) in enumerate(changes):
        sheets = dict(sheets)
        sheet = sheets[codes[i]] = copy.deepcopy(sheets[codes[i]])
        target = key(UNIT, FW.codes(UNIT)[n % 3])
        if what == "self":
            sheet.self_scores[target] = value
        elif what == "review":
            sheet.review_scores[target], sheet.review_reasons[target] = value, "thiếu hồ sơ"
        elif what in ("leader", "unleader"):
            sheet.leader["name"] = "Trần Thị B" if what == "leader" else ""
            sheet.self_scores[key(LEADER, FW.codes(LEADER)[0])] = value
        elif what == "bonus":
            sheet.settings["bonus"] = value  # an int or a float, as JSON gives it back
        elif what == "flag":
            sheet.settings["head_discipline"] = int(value)
        else:
            sheet.state = APPRAISED if what == "state" else sheet.state
        if n % 4 != 3:  # and sometimes several changes before the next tables
            changed = [c for c in codes if sheets[c] is not basis[c]]
            kept, basis = _tables_update(kept, info, sheets, changed, made), sheets
            fresh = year_data_of(2026, info, sheets)
            for name in ("units", "unit_self", "unit_review", "leaders", "leader_self", "leader_review"):
                pd.testing.assert_frame_equal(getattr(kept, name), getattr(fresh, name))
