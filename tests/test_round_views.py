"""The round pages' tables and texts, and reading back numbers typed in them (scoring.round_views), with figures
worked out by hand."""

import json
from datetime import UTC, datetime

import pandas as pd
from builders import FW

from scoring.round_views import (
    appraisal_table,
    board_table,
    criteria_label,
    discipline_label,
    history_table,
    provisional_table,
    running_totals,
    self_table,
    typed_scores,
)
from scoring.rounds import APPRAISED, NO_SELF, NOT_SUBMITTED, SUBMITTED, UnitSheet


def row(table: pd.DataFrame, key: str) -> dict:
    return table.set_index("key").loc[key].to_dict()


def test_self_table_shows_what_was_typed_with_a_decimal_comma():
    sheet = UnitSheet("A", "Chi bộ A", "K1", self_scores={"U:1.1": 8.5, "L:N1": 15.0}, statements={"U:1.1": "Có"})
    table = self_table(FW, sheet)
    assert len(table) == len(FW.criteria) == 12
    assert row(table, "U:1.1") | {"Tiêu chí": ""} == {
        "Đối tượng": "Tổ chức",
        "Mã": "1.1",
        "Tiêu chí": "",
        "Tối đa": "10",
        "Tự chấm": "8,5",
        "Thuyết minh": "Có",
    }
    assert row(table, "L:N1")["Tự chấm"] == "15" and row(table, "L:N1")["Đối tượng"] == "Người đứng đầu"
    assert row(table, "U:2.1")["Tự chấm"] == ""


def test_appraisal_table_starts_from_the_submitted_score_never_from_a_draft():
    draft = UnitSheet("A", "A", "K1", self_scores={"U:1.1": 9.0}, statements={"U:1.1": "nháp"})
    unsent = row(appraisal_table(FW, draft), "U:1.1")
    assert (unsent["Tự chấm"], unsent["Thuyết minh"], unsent["Thẩm định"]) == ("", "", "")
    sent = UnitSheet(
        "A",
        "A",
        "K1",
        state=SUBMITTED,
        submitted=True,
        self_scores={"U:1.1": 9.0, "U:1.2": 7.0},
        statements={"U:1.1": "Đủ"},
        review_scores={"U:1.2": 6.5},
        review_reasons={"U:1.2": "Thiếu minh chứng"},
    )
    table = appraisal_table(FW, sent)
    assert (row(table, "U:1.1")["Tự chấm"], row(table, "U:1.1")["Thẩm định"]) == ("9", "9")  # not appraised yet
    changed = row(table, "U:1.2")
    assert (changed["Tự chấm"], changed["Thẩm định"], changed["Lý do"]) == ("7", "6,5", "Thiếu minh chứng")


def test_running_totals_per_target():
    # Units: 8,5 + 20 = 28,50 of 10+10+10+20+15+15+15+5 = 100; the head: 15 of 20+30+30+20 = 100.
    scores = {"U:1.1": 8.5, "U:2.1": 20.0, "U:1.2": None, "L:N1": 15.0}
    assert running_totals(FW, scores) == (
        "Tổng tự chấm: **28,50**/100 điểm (tổ chức) · **15,00**/100 điểm (người đứng đầu)"
    )


def test_typed_scores_read_the_vietnamese_way_and_name_what_is_not_a_number():
    table = pd.DataFrame({"key": ["U:1.1", "U:1.2", "U:1.3"], "Thẩm định": ["8,5", "", "tám"]})
    scores, problems = typed_scores(table, "Thẩm định")
    assert scores == {"U:1.1": 8.5, "U:1.2": None}
    assert problems == ["Tiêu chí 1.3: “tám” không phải là số (dùng dấu phẩy, ví dụ 8,5)"]


def test_criteria_and_discipline_labels():
    assert criteria_label(FW, ["2.5", "X9"]) == "2.5 Chế độ thông tin, báo cáo; X9"
    assert [discipline_label(level) for level in (0, 1, 3, -1)] == [
        "Không",
        "Khiển trách",
        "Cách chức",
        "Có (không rõ hình thức)",
    ]


def test_the_provisional_ranking_shows_no_figures_for_a_unit_that_has_not_submitted():
    table = pd.DataFrame(
        {
            "Hạng": [1, 2, 3],
            "Tự chấm": [90.0, 0.0, 0.0],
            "Thẩm định": [88.0, 70.0, 0.0],
            "Tổng điểm": [88.0, 70.0, 0.0],
            "Xếp loại": ["HTTNV", "HTNV", "KHTNV"],
        }
    )
    codes = pd.Series(["A", "B", "C"])
    board = pd.DataFrame({"code": ["C", "A", "B"], "state": [NOT_SUBMITTED, APPRAISED, NO_SELF]})
    shown = provisional_table(table, codes, board)
    assert shown.loc[0].tolist() == [1, 90.0, 88.0, 88.0, "HTTNV"]
    assert shown.loc[1].tolist() == [2, None, 70.0, 70.0, "HTNV"]  # completed without a self-assessment
    assert shown.loc[2, "Xếp loại"] == "Chưa nộp"
    assert shown.loc[2, ["Hạng", "Tự chấm", "Thẩm định", "Tổng điểm"]].isna().all()
    everyone = pd.DataFrame({"code": ["A", "B", "C"], "state": [APPRAISED] * 3})
    assert provisional_table(table, codes, everyone) is table


def test_board_table_in_vietnamese():
    board = pd.DataFrame(
        {
            "code": ["A"],
            "name": ["Chi bộ A"],
            "cluster": ["K1"],
            "state": [SUBMITTED],
            "self_total": [90.0],
            "review_total": [85.5],
            "gap": [-4.5],
        }
    )
    assert board_table(board).to_dict("records") == [
        {
            "Mã": "A",
            "Tên đơn vị": "Chi bộ A",
            "Khối": "K1",
            "Trạng thái": "Đã nộp",
            "Tự chấm": 90.0,
            "Thẩm định": 85.5,
            "Chênh lệch": -4.5,
        }
    ]


def test_history_newest_first_in_words():
    at = [datetime(2025, 11, d, 2, 0, tzinfo=UTC) for d in (1, 2, 3, 4, 5)]
    history = pd.DataFrame(
        [
            (at[0], "vp", "opened", "", json.dumps({"units": 3}), ""),
            (at[1], "dv_a", "self", "U:1.1", json.dumps(8.5), ""),
            (at[2], "vp", "setting", "bonus", json.dumps(2), "Mô hình hay"),
            (at[3], "vp", "question", "", json.dumps("Minh chứng 1.1?"), "Minh chứng 1.1?"),
            (at[4], "vp", "state", "", json.dumps(APPRAISED), "Đủ hồ sơ"),
        ],
        columns=["at", "who", "kind", "target", "value", "reason"],
    )
    table = history_table(history)
    assert table["Lúc"].tolist() == [f"0{d}/11/2025 09:00" for d in (5, 4, 3, 2, 1)]  # Vietnam's time, UTC+7
    assert table["Việc"].tolist() == ["Trạng thái", "Yêu cầu giải trình", "Thưởng, trừ, quy tắc", "Tự chấm", "Mở đợt"]
    assert table["Nội dung"].tolist() == ["Đã thẩm định", "Minh chứng 1.1?", "Điểm thưởng: 2", "1.1: 8,5", "3 đơn vị"]
    assert table["Lý do"].tolist() == ["Đủ hồ sơ", "", "Mô hình hay", "", ""]
