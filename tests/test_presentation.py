"""How results are shown: tier labels, Vietnamese numbers, the rank-change arrow, a unit's note, and text people
typed kept literal inside Markdown."""

import math

import pandas as pd
import pytest

from scoring.presentation import (
    TIER_LABEL,
    TIERS,
    literal,
    markdown,
    markdown_list,
    rank_change_text,
    unit_note,
    unit_notes,
    vn,
)


def test_tiers_best_first_with_their_names():
    assert TIERS == ["HTXSNV", "HTTNV", "HTNV", "KHTNV"]
    assert TIER_LABEL["HTXSNV"] == "Hoàn thành xuất sắc nhiệm vụ"
    assert TIER_LABEL["KHTNV"] == "Không hoàn thành nhiệm vụ"


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [(92.5, 2, "92,50"), (1234.5, 2, "1234,50"), (3, 0, "3"), (None, 2, ""), (math.nan, 2, ""), (pd.NA, 2, "")],
)
def test_numbers_with_a_decimal_comma_and_blanks_empty(value, decimals, shown):
    assert vn(value, decimals) == shown


@pytest.mark.parametrize(
    ("change", "has_previous", "shown"),
    [(2, True, "▲ 2"), (-1, True, "▼ 1"), (0, True, "="), (3.0, True, "▲ 3"), (pd.NA, True, "Mới"), (None, False, "")],
)
def test_rank_change_arrows(change, has_previous, shown):
    assert rank_change_text(change, has_previous) == shown


def test_a_units_note_joins_the_reason_the_missing_appraisal_and_its_own_note():
    assert unit_note("Bị hạ do chỉ tiêu", False, "Thiếu minh chứng") == (
        "Bị hạ do chỉ tiêu; Chưa thẩm định; Thiếu minh chứng"
    )
    assert unit_note("", True, "") == ""
    units = pd.DataFrame({"reason": ["", "Kỷ luật"], "appraised": [True, False], "note": [None, "x"]})
    assert unit_notes(units) == ["", "Kỷ luật; Chưa thẩm định; x"]
    assert unit_notes(units.drop(columns="note")) == ["", "Kỷ luật; Chưa thẩm định"]


def test_typed_text_stays_literal_inside_markdown():
    assert literal("**đậm** [liên kết](http://x)\n  dòng") == r"\*\*đậm\*\* \[liên kết\]\(http\://x\) dòng"
    assert markdown("Đơn vị **{}**: {} điểm", "Chi bộ *A*", 8.5) == r"Đơn vị **Chi bộ \*A\***: 8\.5 điểm"
    assert markdown("{name}", name="<b>") == r"\<b\>"
    assert markdown_list("{}: {}", [("Chưa nộp", 2), ("Đã nộp", 1)]) == "Chưa nộp: 2 · Đã nộp: 1"
    assert markdown_list("{} {}", [("HTXSNV", 1)], ", ") == "HTXSNV 1"
