"""Conditions beside the score (Quy định 366, Điều 11) and units not rated this year (issue 26 §3–§4), with
numbers computed by hand."""

from dataclasses import replace

import pytest
from builders import FW, by_code, leader, spread, unit, year_data
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import rate_year
from scoring.conditions import FLAG, Condition, parse_value
from scoring.framework import from_toml, load_preset, to_toml

Q366 = load_preset("quy_dinh_366")
DONE, LATE, EXCEEDED = "Tỷ lệ nhiệm vụ hoàn thành", "Tỷ lệ nhiệm vụ chậm tiến độ", "Tỷ lệ nhiệm vụ vượt mức"
DISCIPLINED = "Có tổ chức đảng trực thuộc hoặc cấp ủy viên bị kỷ luật"
ALL_HELD = {DONE: 100, LATE: 0, EXCEEDED: 40, DISCIPLINED: 0}


def u366(code: str, total: float, **facts) -> dict:
    """A unit of the Quy định 366 preset scoring `total`, meeting every condition unless `facts` say otherwise."""
    values = ALL_HELD | facts.pop("values", {})
    return unit(code, review=spread(total, Q366), conditions=values, **facts)


def rate366(units, leaders=()):
    return by_code(rate_year(year_data(units, leaders, fw=Q366), Q366))


def test_the_preset_carries_the_conditions_of_dieu_11():
    assert [(c.tier, c.name, c.bound) for c in Q366.conditions] == [
        ("HTXSNV", DONE, "≥ 100 %"),
        ("HTXSNV", LATE, "≤ 0 %"),
        ("HTXSNV", EXCEEDED, "≥ 30 %"),
        ("HTXSNV", DISCIPLINED, "không"),
        ("HTTNV", DONE, "≥ 100 %"),
        ("HTTNV", LATE, "≤ 0 %"),
        ("HTNV", DONE, "≥ 100 %"),
        ("HTNV", LATE, "≤ 20 %"),
    ]
    assert Q366.problems() == [] and from_toml(to_toml(Q366)) == Q366
    assert all(load_preset(p).conditions == () for p in ("dan_van_tccsd", "dan_van_chinh_quyen"))


def test_a_percentage_below_its_minimum_caps_at_the_best_tier_whose_conditions_hold():
    """93,50 reaches HTXSNV by score; 25 % exceeded < 30 % fails HTXSNV only, HTTNV's conditions hold."""
    r = rate366([u366("A", 93.5, values={EXCEEDED: 25})])
    assert (r.loc["A", "score_tier"], r.loc["A", "tier"]) == ("HTXSNV", "HTTNV")
    assert r.loc["A", "reason"] == "Đủ điểm HTXSNV (93,50) nhưng tỷ lệ nhiệm vụ vượt mức 25 % (cần ≥ 30 %) → HTTNV"


def test_a_percentage_above_its_maximum_and_a_flag_that_fails():
    """B: 10 % late fails HTXSNV's and HTTNV's ≤ 0 %, holds HTNV's ≤ 20 % → HTNV (one clause, not two).
    C: a subordinate organisation disciplined fails HTXSNV → HTTNV. D: 25 % late fails every tier's → KHTNV.
    E: 80 points (HTTNV by score) with 30 % exceeded: HTXSNV's conditions do not matter below it."""
    r = rate366(
        [
            u366("B", 95, values={LATE: 10}),
            u366("C", 95, values={DISCIPLINED: 1}),
            u366("D", 95, values={LATE: 25}),
            u366("E", 80, values={EXCEEDED: 0}),
        ]
    )
    assert r["tier"].to_dict() == {"B": "HTNV", "C": "HTTNV", "D": "KHTNV", "E": "HTTNV"}
    assert r.loc["B", "reason"] == "Đủ điểm HTXSNV (95,00) nhưng tỷ lệ nhiệm vụ chậm tiến độ 10 % (cần ≤ 0 %) → HTNV"
    assert r.loc["C", "reason"] == f"Đủ điểm HTXSNV (95,00) nhưng {DISCIPLINED[0].lower()}{DISCIPLINED[1:]} → HTTNV"
    assert r.loc["D", "reason"].endswith("tỷ lệ nhiệm vụ chậm tiến độ 25 % (cần ≤ 20 %) → KHTNV")
    assert r.loc["E", "reason"] == ""


def test_a_missing_value_is_a_warning_and_not_a_pass():
    """F has no value of "chậm tiến độ" nor of the flag: no tier asking them can be given, so 95 points rate
    KHTNV, with a warning per condition left unchecked (its row, its file). G (95, all held) is the pool of one:
    floor(20 % × 1) = 0 kept → HTTNV."""
    data = year_data([u366("F", 95, values={LATE: None}), u366("G", 95)], fw=Q366)
    data.units.loc[0, "conditions"] = '{"Tỷ lệ nhiệm vụ hoàn thành": 100, "Tỷ lệ nhiệm vụ vượt mức": 40}'
    result = rate_year(data, Q366)
    r = by_code(result)
    assert (r.loc["F", "tier"], r.loc["G", "tier"]) == ("KHTNV", "HTTNV")
    assert r.loc["F", "reason"] == (
        "Đủ điểm HTXSNV (95,00) nhưng chưa có số liệu “Tỷ lệ nhiệm vụ chậm tiến độ”, “Có tổ chức đảng trực thuộc "
        "hoặc cấp ủy viên bị kỷ luật” (không tính là đạt) → KHTNV"
    )
    missing = [w for w in result.warnings if w.message.startswith("F: chưa có")]
    assert {(w.row, w.file) for w in missing} == {(5, "test.xlsx")}
    assert any("Tỷ lệ nhiệm vụ chậm tiến độ” (điều kiện của HTNV)" in w.message for w in missing)


def test_a_condition_failing_with_the_quota_and_the_heads_discipline():
    """One cluster of ten, all at HTTNV's conditions or better. Score tiers: A 98, B 96, C 95, D 94, E 92 HTXSNV;
    F 85 … J 72 HTTNV. C exceeded only 20 % → HTTNV (condition). D's head is reprimanded → HTTNV, and D is 10 %
    late, which fails HTTNV's ≤ 0 % → HTNV. Before the quota: A, B, E HTXSNV; the pool of HTXSNV and HTTNV is
    A, B, C, E, F, G, H, I, J = 9 → floor(20 % × 9) = 1 kept: A; B and E → HTTNV. C, held down by its condition,
    takes none of the quota."""
    units = [
        u366("A", 98),
        u366("B", 96),
        u366("C", 95, values={EXCEEDED: 20}),
        u366("D", 94, head_discipline=1, values={LATE: 10}),
        u366("E", 92),
        *(u366(code, total) for code, total in zip("FGHIJ", (85, 80, 78, 75, 72))),
    ]
    r = rate366(units)
    assert r["tier"].to_dict() == {
        "A": "HTXSNV", "B": "HTTNV", "C": "HTTNV", "D": "HTNV", "E": "HTTNV",
        "F": "HTTNV", "G": "HTTNV", "H": "HTTNV", "I": "HTTNV", "J": "HTTNV",
    }  # fmt: skip
    assert r.loc["D", "reason"] == (
        "Đủ điểm HTXSNV (94,00) nhưng người đứng đầu bị kỷ luật khiển trách; "
        "tỷ lệ nhiệm vụ chậm tiến độ 10 % (cần ≤ 0 %) → HTNV"
    )
    assert r.loc["B", "reason"] == "Đủ điểm HTXSNV (96,00) nhưng vượt chỉ tiêu 20% của khối → HTTNV"
    assert r.loc["C", "reason"] == "Đủ điểm HTXSNV (95,00) nhưng tỷ lệ nhiệm vụ vượt mức 20 % (cần ≥ 30 %) → HTTNV"


def test_values_as_offices_write_them():
    assert [parse_value("percent", v) for v in (25, "25%", "25 %", "25,5", 0.25, "", None)][:5] == [
        25,
        25,
        25,
        25.5,
        25,
    ]
    assert [parse_value(FLAG, v) for v in ("x", "Có", "Không", 0)] == [1, 1, 0, 0]
    for bad in ("nhiều", 150, -5):
        with pytest.raises(ValueError):
            parse_value("percent", bad)
    with pytest.raises(ValueError):
        parse_value(FLAG, "có lẽ")


def test_conditions_that_cannot_rate_are_refused():
    bad = (
        Condition("XS", "A", min=30),
        Condition("KHTNV", "B", min=30),
        Condition("HTXSNV", "C"),
        Condition("HTXSNV", "D", kind=FLAG, min=1),
        Condition("HTXSNV", "E", kind="so"),
        Condition("HTXSNV", EXCEEDED, kind=FLAG),
        Condition("HTTNV", EXCEEDED, min=10),
    )
    text = " | ".join(replace(FW, conditions=bad).problems())
    for part in ("mức “XS” không có", "mức cuối (KHTNV)", "“C”: cần “min” hoặc “max”", "“D”: điều kiện có/không",
                 "“E”: loại “so”", "cùng tên nhưng khác loại"):  # fmt: skip
        assert part in text
    with pytest.raises(ValueError, match="khóa không biết “minimum”"):
        from_toml(to_toml(FW) + '\n[[conditions]]\ntier = "HTXSNV"\nname = "X"\nminimum = 3\n')


# §3 units not rated this year


def test_a_unit_not_rated_is_listed_with_its_scores_but_no_tier_no_rank_and_no_quota():
    """A 95, B 94 (not rated), C 93, D 91, E 85, F 80, G 77, H 75, I 72, J 70 in one cluster. The rated pool of
    HTXSNV and HTTNV is 9 → floor(1,8) = 1 kept (had B counted: 10 → 2, and C would keep HTXSNV). Ranks skip B:
    A 1, C 2, D 3 …; B keeps its total and no tier, no rank, no cluster rank; its head is not capped by it."""
    reason = "Thành lập chưa đủ 6 tháng"
    totals = dict(zip("ABCDEFGHIJ", (95, 94, 93, 91, 85, 80, 77, 75, 72, 70)))
    units = [unit(c, t, not_rated=reason if c == "B" else "") for c, t in totals.items()]
    result = rate_year(year_data(units, [leader("B", 95)]), FW)
    r = by_code(result)
    assert r["tier"].to_dict() == {"A": "HTXSNV", "B": "", "C": "HTTNV", "D": "HTTNV"} | dict.fromkeys(
        "EFGHIJ", "HTTNV"
    )
    assert r.loc["B", "total"] == 94 and r.loc["B", "score_tier"] == "" and r.loc["B", "tier_name"] == "Không xếp loại"
    assert r.loc["B", "reason"] == f"Không xếp loại: {reason}"
    assert r["rank"].isna().tolist() == [c == "B" for c in r.index] and r["cluster_rank"].isna()["B"]
    assert r["rank"].dropna().tolist() == list(range(1, 10)) and result.units["code"].iloc[-1] == "B"
    assert result.quota.iloc[0][["eligible", "allowed", "given"]].tolist() == [9, 1, 1]
    head = result.leaders.iloc[0]  # 95 points: HTXSNV by score, the quota of one leader keeps none
    assert (head["tier"], head["reason"]) == (
        "HTTNV",
        "Đủ điểm HTXSNV (95,00) nhưng vượt chỉ tiêu 20% của người đứng đầu → HTTNV",
    )


# In a round: the committee enters the conditions and "Không xếp loại" when it completes a unit


def test_a_round_of_quy_dinh_366_carries_conditions_and_a_unit_not_rated_to_the_published_year(database_url, clock):
    """Three units submit full marks (100, HTXSNV by score). The committee completes A with every condition held,
    B with 25 % exceeded (→ HTTNV by its condition), C as not rated. Pool of the first two tiers: A, B → floor(0,4)
    = 0 kept, so A → HTTNV by the quota; C keeps its 100 points and no tier. The stored year rates the same."""
    from datetime import timedelta

    import pandas as pd

    from scoring.access import Actor, Role
    from scoring.engine import rate
    from scoring.rounds import RoundError, Rounds, key
    from scoring.store import Store
    from tests.builders import START

    officer, head = Actor("canbo", Role.OFFICER), Actor("lanhdao", Role.LEADERSHIP)
    roster = pd.DataFrame({"code": ["A", "B", "C"], "name": ["Chi bộ A", "Chi bộ B", "Chi bộ C"], "cluster": "K"})
    rounds = Rounds(Store(database_url), clock)
    rounds.open(officer, 2026, Q366, roster, START + timedelta(days=10), START + timedelta(days=20))
    marks = {key(c.target, c.code): float(c.max_points) for c in Q366.criteria}
    for code in "ABC":
        unit_account = Actor(f"dv-{code}", Role.UNIT, code)
        rounds.save_draft(unit_account, 2026, code, marks, {}, {"name": "", "title": ""})
        rounds.submit(unit_account, 2026, code)
    held = {f"condition:{name}": value for name, value in ALL_HELD.items()}
    with pytest.raises(RoundError, match="không hợp lệ"):
        rounds.complete(officer, 2026, "A", held | {f"condition:{EXCEEDED}": 140}, "Theo báo cáo")
    with pytest.raises(RoundError, match="không có điều kiện “Tỷ lệ lạ”"):
        rounds.complete(officer, 2026, "A", {"condition:Tỷ lệ lạ": 1}, "Theo báo cáo")
    rounds.complete(officer, 2026, "A", held, "Theo báo cáo tổng kết")
    rounds.complete(officer, 2026, "B", held | {f"condition:{EXCEEDED}": 25}, "Theo báo cáo tổng kết")
    rounds.complete(officer, 2026, "C", {"not_rated": "Thành lập tháng 10/2026"}, "Mới thành lập")
    provisional = by_code(rounds.provisional(head, 2026))
    assert provisional["tier"].to_dict() == {"A": "HTTNV", "B": "HTTNV", "C": ""}
    assert provisional.loc["B", "reason"].startswith("Đủ điểm HTXSNV (100,00) nhưng tỷ lệ nhiệm vụ vượt mức 25 %")
    assert provisional.loc["C", "reason"] == "Không xếp loại: Thành lập tháng 10/2026"
    assert provisional.loc["C", "total"] == 100 and pd.isna(provisional.loc["C", "rank"])
    rounds.publish(head, 2026)
    data, fw, _ = Store(database_url).load(2026)
    assert fw.conditions == Q366.conditions
    assert by_code(rate(data, fw))[["tier", "reason"]].equals(provisional[["tier", "reason"]])


def test_the_round_s_workbook_carries_the_conditions_and_takes_their_changes_back(database_url, clock):
    """Exported: A's conditions as entered, B not rated. Edited in the file: A's "vượt mức" 40 → 20, B rated again
    (with no condition values: KHTNV, missing is no pass), C (nothing entered) given its values; imported with a
    reason, the round rates A HTTNV (its condition) and C HTXSNV by score → HTTNV by the quota (pool A, C: 0 kept)."""
    from datetime import timedelta

    import pandas as pd

    from scoring.access import Actor, Role
    from scoring.round_files import import_workbook, round_workbook
    from scoring.rounds import Rounds, key
    from scoring.store import Store
    from tests.builders import START
    from tests.test_round_files import edited

    officer, head = Actor("canbo", Role.OFFICER), Actor("lanhdao", Role.LEADERSHIP)
    roster = pd.DataFrame({"code": ["A", "B", "C"], "name": ["Chi bộ A", "Chi bộ B", "Chi bộ C"], "cluster": "K"})
    rounds = Rounds(Store(database_url), clock)
    rounds.open(officer, 2026, Q366, roster, START + timedelta(days=10), START + timedelta(days=20))
    marks = {key(c.target, c.code): float(c.max_points) for c in Q366.criteria}
    for code in "ABC":
        unit_account = Actor(f"dv-{code}", Role.UNIT, code)
        rounds.save_draft(unit_account, 2026, code, marks, {}, {"name": "", "title": ""})
        rounds.submit(unit_account, 2026, code)
    held = {f"condition:{name}": value for name, value in ALL_HELD.items()}
    rounds.complete(officer, 2026, "A", held, "Theo báo cáo tổng kết")
    rounds.complete(officer, 2026, "B", {"not_rated": "Mới thành lập"}, "Theo quyết định thành lập")
    content = round_workbook(rounds, officer, 2026)
    sheet = __import__("openpyxl").load_workbook(__import__("io").BytesIO(content))["Tổ chức"]
    values = {c.value for row in sheet.iter_rows() for c in row}
    assert {"Tỷ lệ nhiệm vụ vượt mức (%)", "Mới thành lập", "Không"} <= values
    changed = edited(
        content,
        {
            ("A", "Tỷ lệ nhiệm vụ vượt mức (%)"): 20,
            ("B", "Không xếp loại (lý do)"): None,
            **{("C", f"{name} (%)" if name != DISCIPLINED else name): v for name, v in ALL_HELD.items()},
            ("C", DISCIPLINED): "Không",
        },
    )
    _, refused = import_workbook(rounds, officer, 2026, [("sua.xlsx", changed)], "Theo biên bản họp")
    assert {i.message.split(" đang")[0] for i in refused} == {"Đơn vị A", "Đơn vị B"}  # appraised: reopen first
    for code in "AB":
        rounds.reopen_unit(officer, 2026, code, "Xem lại điều kiện")
    changes, issues = import_workbook(rounds, officer, 2026, [("sua.xlsx", changed)], "Theo biên bản họp")
    assert [i for i in issues if i.severity == "error"] == []
    assert {(c.code, c.target) for c in changes} == {
        ("A", f"condition:{EXCEEDED}"), ("B", "not_rated"), *(("C", f"condition:{n}") for n in ALL_HELD)}  # fmt: skip
    tiers = by_code(rounds.provisional(head, 2026))["tier"].to_dict()
    assert tiers == {"A": "HTTNV", "B": "KHTNV", "C": "HTTNV"}
    reasons = by_code(rounds.provisional(head, 2026))["reason"]
    assert reasons["A"].endswith("(cần ≥ 30 %) → HTTNV") and reasons["C"].endswith("vượt chỉ tiêu 20% của khối → HTTNV")


# Invariants, over random years


@given(
    totals=st.lists(st.integers(0, 100), min_size=1, max_size=12),
    values=st.lists(
        st.tuples(
            st.sampled_from([None, 0, 50, 100]),
            st.sampled_from([None, 0, 10, 30]),
            st.sampled_from([None, 0, 25, 40]),
            st.sampled_from([None, 0, 1]),
        ),
        min_size=12,
        max_size=12,
    ),  # fmt: skip
    unrated=st.sets(st.integers(0, 11)),
)
@settings(max_examples=60, deadline=None)
def test_conditions_only_lower_a_tier_and_held_conditions_change_nothing(totals, values, unrated):
    """Against the same framework without conditions: no unit is rated better (before the quota, where a unit
    held down frees a place for another); with every condition held, results are identical; a unit not rated keeps
    no tier and no rank and the others' order is unchanged."""
    from scoring.framework import TIERS_TABLE

    names = [DONE, LATE, EXCEEDED, DISCIPLINED]
    plain = replace(Q366, conditions=())

    def units(held: bool, skip=frozenset()):
        return [
            u366(f"U{i:02d}", t, values={} if held else dict(zip(names, values[i])),
                 not_rated="Mới thành lập" if i in skip else "")
            for i, t in enumerate(totals)
        ]  # fmt: skip

    order = {t.code: t.number for t in TIERS_TABLE}
    with_conditions = rate_year(year_data(units(False), fw=Q366), Q366)
    without = rate_year(year_data(units(False), fw=plain), plain)
    a, b = by_code(with_conditions), by_code(without)
    before_quota = {  # the tier after steps 5–7b: the reason's last code when lowered, else the score's tier
        code: order[r.split("→ ")[-1]] if "→" in r and "chỉ tiêu" not in r else order[s]
        for code, r, s in zip(a.index, a["reason"], a["score_tier"])
    }
    assert all(before_quota[c] >= order[b.loc[c, "score_tier"]] for c in a.index)
    held = by_code(rate_year(year_data(units(True), fw=Q366), Q366))
    assert held[["tier", "rank", "reason"]].equals(by_code(rate_year(year_data(units(True), fw=plain), plain))[
        ["tier", "rank", "reason"]])  # fmt: skip
    skip = frozenset(i for i in unrated if i < len(totals))
    partial = by_code(rate_year(year_data(units(True, skip), fw=Q366), Q366))
    gone = [f"U{i:02d}" for i in skip]
    assert (partial.loc[gone, "tier"] == "").all() and partial.loc[gone, "rank"].isna().all()
    kept = [c for c in held.index if c not in gone]
    relative = [frame.loc[kept, "rank"].astype(float).rank(method="min").tolist() for frame in (partial, held)]
    assert relative[0] == relative[1]
