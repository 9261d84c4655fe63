"""Each rule of docs/rules.md with numbers computed by hand."""

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from builders import FW, by_code, leader, spread, unit, year_data

from scoring import rate_year
from scoring.arithmetic import exact_order, to_cents
from scoring.framework import (
    QUOTA_OF_GOOD,
    TIERS_TABLE,
    Criterion,
    Framework,
    Group,
    from_toml,
    load_preset,
    presets,
    to_toml,
)
from scoring.ranking import competition_rank, quota_allowed

ALL_TEN = {"1.1": 10, "1.2": 10, "1.3": 10, "2.1": 20, "2.2": 15, "2.3": 15, "2.4": 15, "2.5": 5}  # 100 points


def rate(units, leaders=(), fw=FW, **kw):
    return rate_year(year_data(units, leaders, fw=fw, **kw), fw)


# §4.1 score used per criterion


def test_review_score_wins_then_self_then_zero_with_warning():
    review = dict(ALL_TEN, **{"2.1": np.nan, "2.2": np.nan})
    r = rate([unit("A", review=review, self={"2.1": 12, "2.2": 15})], has_self_columns=True)
    u = by_code(r).loc["A"]
    points = r.unit_scores.points.iloc[0]
    assert points["2.1"] == 12  # self used where review is blank
    assert points["1.1"] == 10  # review used
    assert u.total == 92.0  # 100 − 20 + 12 (2.1 from self) − 15 + 15 (2.2 from self)
    r = rate([unit("A", review=dict(ALL_TEN, **{"2.5": np.nan}))])
    assert by_code(r).loc["A"].total == 95.0  # 2.5 counted 0
    assert any("2.5" in w.message and "tính 0 điểm" in w.message and w.row == 5 for w in r.warnings)


# §4.2 weights


def test_custom_criterion_weights():
    fw = Framework(
        "W",
        (Criterion("A", "a", Decimal(10), "I", Decimal(1)), Criterion("B", "b", Decimal(20), "I", Decimal(1))),
        (Group("I", "I"),),
        tie_break_group="I",
    )
    r = rate([unit("X", review={"A": 5, "B": 20})], fw=fw)
    assert by_code(r).loc["X"].total == 75.0  # 100 × (5/10×1 + 20/20×1) / 2


def test_group_weight_split_by_max_points():
    fw = Framework(
        "G",
        (
            Criterion("A", "a", Decimal(10), "I"),
            Criterion("B", "b", Decimal(20), "I"),
            Criterion("C", "c", Decimal(50), "II"),
        ),
        (Group("I", "I", Decimal(60)), Group("II", "II", Decimal(40))),
    )
    assert fw.weights("unit") == {"A": 20, "B": 40, "C": 40}
    r = rate([unit("X", review={"A": 10, "B": 10, "C": 25})], fw=fw)
    assert by_code(r).loc["X"].total == 60.0  # 10/10×20 + 10/20×40 + 25/50×40


def test_default_weights_give_the_plain_sum():
    r = rate(
        [
            unit(
                "X",
                review={"1.1": 8.5, "1.2": 9, "1.3": 7.25, "2.1": 18, "2.2": 13.5, "2.3": 12, "2.4": 14, "2.5": 4.5},
            )
        ]
    )
    assert by_code(r).loc["X"].total == 86.75


# §4.3 total = base + bonus − penalty, floor 0


def test_bonus_and_penalty_applied():
    r = rate([unit("X", total=80, bonus=2.5, penalty=1), unit("Y", total=2, penalty=3)])
    assert by_code(r).loc["X"].total == 81.5
    assert by_code(r).loc["Y"].total == 0.0  # 2 − 3 floored at 0


# §4.4 rounding half-up on decimals


def test_rounding_half_up_at_x_xx5_where_floats_round_down():
    fw = Framework("R", (Criterion("A", "a", Decimal(200), "I"),), (Group("I", "I"),), tie_break_group="I")
    assert round(99.99 / 2, 2) == 49.99  # float rounding gets this wrong …
    x = by_code(rate([unit("X", review={"A": 99.99})], fw=fw)).loc["X"]
    assert x.total == 50.0 and x.tier == "HTNV"  # … decimal half-up: 49.995 → 50.00
    assert round(179.97 / 2, 2) == 89.98
    assert by_code(rate([unit("X", review={"A": 179.97})], fw=fw)).loc["X"].total == 89.99


def test_rounding_with_three_decimal_scores():
    review = dict(ALL_TEN, **{"2.1": 19.995, "2.2": 10})  # 100 − 0.005 − 5 = 94.995
    assert by_code(rate([unit("X", review=review)])).loc["X"].total == 95.0
    review = dict(ALL_TEN, **{"2.1": 19.994, "2.2": 10})  # 94.994
    assert by_code(rate([unit("X", review=review)])).loc["X"].total == 94.99


def test_to_cents_exact_path_on_ties():
    from fractions import Fraction

    raw = np.array([1.005, 2.675, 0.125])  # all below the true decimal as floats
    exact = [Fraction("1.005"), Fraction("2.675"), Fraction("0.125")]
    assert to_cents(raw, lambda i: exact[i]).tolist() == [101, 268, 13]


# §4.5 thresholds and the zero-criterion rule


@pytest.mark.parametrize(
    "total, tier",
    [(90, "HTXSNV"), (89.99, "HTTNV"), (70, "HTTNV"), (69.99, "HTNV"), (50, "HTNV"), (49.99, "KHTNV"), (0, "KHTNV")],
)
def test_thresholds(total, tier):
    review = dict(ALL_TEN, **{"2.1": 20 - (100 - total)})
    if total < 80:
        review = spread(total)
    r = rate([unit("X", review=review)], fw=replace(FW, quota_percent=Decimal(100)))
    assert by_code(r).loc["X"].total == pytest.approx(total)
    assert by_code(r).loc["X"].score_tier == tier


def test_zero_criterion_bars_top_tiers_in_the_95_85_75_preset():
    fw = load_preset("dan_van_chinh_quyen")
    fw = replace(fw, quota_percent=Decimal(100))
    review = dict(ALL_TEN, **{"2.5": 0})  # 95 points, top tier by score
    r = rate([unit("X", review=review), unit("Y", review=dict(ALL_TEN, **{"2.5": 4.5}))], fw=fw)
    x, y = by_code(r).loc["X"], by_code(r).loc["Y"]
    assert (x.score_tier, x.tier) == ("HTXSNV", "HTNV")
    assert x.reason == "Đủ điểm HTXSNV (95,00) nhưng tiêu chí 2.5 bị 0 điểm → HTNV"
    assert (y.total, y.tier) == (99.5, "HTXSNV")
    assert (
        by_code(rate([unit("X", review=review)], fw=replace(FW, quota_percent=Decimal(100)))).loc["X"].tier == "HTXSNV"
    )


# §4.6 disqualifiers


@pytest.mark.parametrize(
    "facts, cause",
    [
        ({"collective_discipline": 1}, "tổ chức bị kỷ luật khiển trách"),
        ({"collective_discipline": -1}, "tổ chức bị kỷ luật"),
        ({"disunity": True}, "mất đoàn kết"),
        ({"corruption": True}, "có vi phạm tham nhũng"),
    ],
)
def test_disqualifiers_rate_khtnv_whatever_the_score(facts, cause):
    r = rate([unit("X", total=96, **facts)])
    x = by_code(r).loc["X"]
    assert (x.score_tier, x.tier) == ("HTXSNV", "KHTNV")
    assert x.reason == f"Đủ điểm HTXSNV (96,00) nhưng {cause} → KHTNV"


def test_no_self_assessment_is_disqualifying_only_when_the_sheet_has_self_columns():
    with_self = rate([unit("X", total=80), unit("Y", total=80, self=spread(85))], has_self_columns=True)
    assert by_code(with_self).loc["X"].tier == "KHTNV"
    assert by_code(with_self).loc["X"].reason == "Đủ điểm HTTNV (80,00) nhưng không tự chấm → KHTNV"
    assert by_code(with_self).loc["Y"].tier == "HTTNV"
    assert by_code(rate([unit("X", total=80)])).loc["X"].tier == "HTTNV"


# §4.7 caps for a disciplined head


@pytest.mark.parametrize("level, tier", [(1, "HTTNV"), (2, "HTNV"), (3, "KHTNV"), (4, "KHTNV")])
def test_head_discipline_caps(level, tier):
    x = by_code(rate([unit("X", total=95, head_discipline=level)])).loc["X"]
    assert x.tier == tier
    assert "người đứng đầu bị kỷ luật" in x.reason


def test_head_cap_does_not_raise_a_lower_tier():
    x = by_code(rate([unit("X", total=60, head_discipline=1)])).loc["X"]
    assert (x.tier, x.reason) == ("HTNV", "")


# §4.8 the quota


def test_quota_floor_of_20_percent_of_top_two_tiers_in_rank_order():
    # 10 units HTXSNV/HTTNV → floor(2) HTXSNV; 4 candidates at 98, 96, 94, 92.
    units = [unit(f"A{i}", total=t) for i, t in enumerate([98, 96, 94, 92, 80, 80, 75, 75, 72, 71])]
    units.append(unit("LOW", total=60))  # HTNV: not counted in the base
    r = by_code(rate(units))
    assert r.loc[["A0", "A1", "A2", "A3"], "tier"].tolist() == ["HTXSNV", "HTXSNV", "HTTNV", "HTTNV"]
    assert r.loc["A2"].reason == "Đủ điểm HTXSNV (94,00) nhưng vượt chỉ tiêu 20% của khối → HTTNV"


def test_quota_with_a_tie_straddling_the_cut_drops_all_tied_units():
    # 10 eligible → 2 allowed; candidates ranked 1, 2, 2: the tie at 2 straddles the cut.
    units = [unit("A", total=98), unit("B", total=95), unit("C", total=95)] + [
        unit(f"X{i}", total=80) for i in range(7)
    ]
    r = by_code(rate(units))
    assert r.loc["B", "rank"] == r.loc["C", "rank"] == 2
    assert r.loc[["A", "B", "C"], "tier"].tolist() == ["HTXSNV", "HTTNV", "HTTNV"]
    assert "đồng hạng tại ngưỡng chỉ tiêu" in r.loc["B"].reason


def test_tie_note_only_for_a_tie_at_the_cut_of_its_own_cluster():
    # K1: 10 eligible → 2 allowed; candidates 99, 98, 96, 96: the tie at 96 lies wholly past the cut.
    k1 = [unit("A", total=99), unit("B", total=98), unit("C", total=96), unit("D", total=96)] + [
        unit(f"X{i}", total=80) for i in range(6)
    ]
    # K2: a unit tied overall with C and D, alone above the cut of its cluster (allowed 0).
    k2 = [unit("E", total=96, cluster="K2"), unit("F", total=80, cluster="K2")]
    r = by_code(rate(k1 + k2))
    assert r.loc[["A", "B", "C", "D", "E"], "tier"].tolist() == ["HTXSNV", "HTXSNV", "HTTNV", "HTTNV", "HTTNV"]
    for code in "CDE":
        assert r.loc[code].reason == "Đủ điểm HTXSNV (96,00) nhưng vượt chỉ tiêu 20% của khối → HTTNV"


def test_quota_tie_resolved_by_tie_break_is_not_a_tie():
    # B and C equal on total; C has more points in group II, so ranks 2 and 3: C keeps, B drops.
    b = dict(ALL_TEN, **{"2.1": 15})  # 95, group II = 65
    c = dict(ALL_TEN, **{"1.1": 5})  # 95, group II = 70
    units = [unit("A", total=98), unit("B", review=b), unit("C", review=c)] + [
        unit(f"X{i}", total=80) for i in range(7)
    ]
    r = by_code(rate(units))
    assert (r.loc["C", "rank"], r.loc["B", "rank"]) == (2, 3)
    assert r.loc[["A", "C", "B"], "tier"].tolist() == ["HTXSNV", "HTXSNV", "HTTNV"]


def test_quota_is_per_cluster_and_counts_tiers_after_caps():
    # Cluster K1: 5 eligible → 1 allowed. K2: 4 eligible → 0 allowed.
    k1 = [unit("A", total=99), unit("B", total=97)] + [unit(f"P{i}", total=75) for i in range(3)]
    k2 = [unit("C", total=99, cluster="K2")] + [unit(f"Q{i}", total=75, cluster="K2") for i in range(3)]
    # A disqualified unit is not in the base: K1 would have 6 eligible without the cap (still 1).
    k1.append(unit("D", total=99, disunity=True))
    r = rate(k1 + k2)
    u = by_code(r)
    assert u.loc[["A", "B", "C", "D"], "tier"].tolist() == ["HTXSNV", "HTTNV", "HTTNV", "KHTNV"]
    q = r.quota.set_index("cluster")
    assert q.loc["K1"].tolist() == [5, 1, 2, 1, 1]  # eligible, allowed, candidates, given, moved_down
    assert q.loc["K2"].tolist() == [4, 0, 1, 0, 1]


def test_custom_quota_percent():
    units = [unit(f"A{i}", total=95 - i) for i in range(4)] + [unit(f"X{i}", total=80) for i in range(6)]
    r = by_code(rate(units, fw=replace(FW, quota_percent=Decimal(35))))  # floor(3.5) = 3
    assert (r.tier == "HTXSNV").sum() == 3


def test_quota_base_literal_reading_counts_those_finally_httnv():
    # 10 units HTXSNV/HTTNV, p = 20%. Default: floor(0.2 × 10) = 2. Literal reading: the largest k with
    # k ≤ 0.2 × (10 − k): k = 1 (1 ≤ 1.8), k = 2 fails (2 > 1.6); floor(0.2 × 10 / 1.2) = floor(1.67) = 1.
    units = [unit(f"A{i}", total=t) for i, t in enumerate([98, 96, 94, 92, 80, 80, 75, 75, 72, 71])]
    r = rate(units, fw=replace(FW, quota_base=QUOTA_OF_GOOD))
    u = by_code(r)
    assert u.loc[["A0", "A1", "A2"], "tier"].tolist() == ["HTXSNV", "HTTNV", "HTTNV"]
    assert r.quota.iloc[0][["eligible", "allowed", "given"]].tolist() == [10, 1, 1]
    assert any(line.startswith("Bước 8") and "số đơn vị còn lại ở mức HTTNV" in line for line in r.log)
    # 30 units at p = 20%: default 6; literal floor(0.2 × 30 / 1.2) = 5, and 5 ≤ 0.2 × 25 = 5 holds.
    units = [unit(f"B{i:02}", total=99 - i * 0.5) for i in range(30)]
    assert (by_code(rate(units, fw=replace(FW, quota_base=QUOTA_OF_GOOD))).tier == "HTXSNV").sum() == 5
    assert (by_code(rate(units)).tier == "HTXSNV").sum() == 6


def test_quota_base_applies_to_leaders_too():
    # 10 units at 99.0 … 98.1 and their leaders at 99 … 90, all HTXSNV by score; p = 20%.
    units = [unit(f"U{i}", total=99 - i / 10) for i in range(10)]
    leaders = [leader(f"U{i}", 99 - i) for i in range(10)]
    literal = rate(units, leaders, fw=replace(FW, quota_base=QUOTA_OF_GOOD))
    # Units: floor(0.2 × 10 / 1.2) = 1 keeps HTXSNV; leaders: 10 eligible → 1 allowed, L0 is the one.
    assert literal.leader_quota == {"eligible": 10, "allowed": 1, "candidates": 1, "given": 1, "moved_down": 0}
    default = rate(units, leaders)
    assert default.leader_quota == {"eligible": 10, "allowed": 2, "candidates": 2, "given": 2, "moved_down": 0}


def test_quota_allowed_in_exact_arithmetic():
    eligible = np.array([0, 1, 5, 6, 10, 12, 100])
    assert quota_allowed(eligible, Decimal(20)).tolist() == [0, 0, 1, 1, 2, 2, 20]
    assert quota_allowed(eligible, Decimal(20), QUOTA_OF_GOOD).tolist() == [0, 0, 0, 1, 1, 2, 16]
    assert quota_allowed(eligible, Decimal("12.5"), QUOTA_OF_GOOD).tolist() == [0, 0, 0, 0, 1, 1, 11]  # p n/(1+p)


# The appraised score (Điểm thẩm định)


def test_appraised_score_only_where_the_committee_gave_one():
    self_only = unit("S", review={}, self=dict(ALL_TEN, **{"2.1": 15}))  # 95 by self only
    partly = unit("P", review={"2.1": 10}, self=dict(ALL_TEN))  # appraised 2.1 only: others accepted
    r = rate([self_only, partly], has_self_columns=True)
    u = by_code(r)
    assert not u.loc["S", "appraised"] and np.isnan(u.loc["S", "review_score"])
    assert u.loc["S", "self_score"] == 95 and u.loc["S", "base_score"] == 95 and u.loc["S", "total"] == 95
    assert u.loc["P", "appraised"] and u.loc["P", "review_score"] == 90  # 100 − 20 + 10
    assert u.loc["P", "self_score"] == 100


# §4.9 ranking


def test_competition_ranking_with_tie_breaks():
    b = dict(ALL_TEN, **{"2.1": 15})  # 95, group II 65
    c = dict(ALL_TEN, **{"1.1": 5})  # 95, group II 70
    d = dict(ALL_TEN, **{"1.1": 5, "2.1": 20})  # same as C
    units = [
        unit("A", total=99),
        unit("B", review=b),
        unit("C", review=c),
        unit("D", review=d),
        unit("E", review=dict(c), bonus=1, penalty=1),
        unit("F", total=50),
    ]
    r = by_code(rate(units, fw=replace(FW, quota_percent=Decimal(100))))
    # C and D equal on all keys; E equals them on total and group II but has more penalty.
    assert r.loc[["A", "C", "D", "E", "B", "F"], "rank"].tolist() == [1, 2, 2, 4, 5, 6]


def test_cluster_ranks_and_one_cluster_without_khoi():
    units = [unit("A", total=90, cluster="K1"), unit("B", total=80, cluster="K2"), unit("C", total=70, cluster="K1")]
    r = by_code(rate(units))
    assert r.loc[["A", "B", "C"], "rank"].tolist() == [1, 2, 3]
    assert r.loc[["A", "B", "C"], "cluster_rank"].tolist() == [1, 1, 2]


def test_competition_rank_function():
    assert competition_rank([np.array([-5, -3, -3, -1])]).tolist() == [1, 2, 2, 4]
    groups = np.array([0, 1, 0, 1])
    assert competition_rank([np.array([-5, -3, -3, -1])], groups).tolist() == [1, 1, 2, 2]


def test_rank_change_against_previous_year():
    prev = rate([unit("A", total=90), unit("B", total=80), unit("C", total=70)])
    now = rate_year(year_data([unit("A", total=70), unit("B", total=90), unit("N", total=80)], year=2026), FW, prev)
    r = by_code(now)
    # Among the units of both years (A, B): A was 1st and is 2nd, B was 2nd and is 1st; N is new.
    assert r.loc["B"].rank_change == 1
    assert r.loc["A"].rank_change == -1  # 3rd overall now, but only N came between: 1 → 2 among A and B
    assert r.loc["N"].rank_change is pd_na()


def test_rank_change_compares_positions_among_the_units_of_both_years():
    prev = rate(
        [unit("X", total=95), unit("A", total=90), unit("Y", total=85), unit("B", total=80), unit("C", total=70)]
    )
    now = rate_year(
        year_data([unit("N", total=99), unit("C", total=90), unit("A", total=80), unit("B", total=70)], year=2026),
        FW,
        prev,
    )
    r = by_code(now)
    # Before, among A, B, C: A 1, B 2, C 3. Now: C 1, A 2, B 3. (Ranks among all units would say C +3, B 0.)
    assert r.loc[["A", "B", "C"], "rank_change"].tolist() == [-1, -1, 2]
    assert r.loc["N"].rank_change is pd_na()


def pd_na():
    import pandas as pd

    return pd.NA


def test_tie_break_compares_contributions_exactly():
    # Both total 100.00. A's group II is 69.9999999 (2.1 = 19.9999999, made up by 1.1 = 10.0000001): less than B's 70,
    # though the two agree to 6 decimals. B ranks first, A second: not a tie.
    a = dict(ALL_TEN, **{"2.1": 19.9999999, "1.1": 10.0000001})
    r = by_code(
        rate([unit("A", review=a), unit("B", review=dict(ALL_TEN))], fw=replace(FW, quota_percent=Decimal(100)))
    )
    assert r.loc["A", "total"] == r.loc["B", "total"] == 100
    assert (r.loc["B", "rank"], r.loc["A", "rank"]) == (1, 2)


def test_exact_order_keys():
    values = np.array([0.1 + 0.2, 0.3, 1.0, 0.3 + 1e-12])
    exact = [Fraction(3, 10), Fraction(3, 10), Fraction(1), Fraction(3, 10) + Fraction(1, 10**12)]
    keys = exact_order(values, lambda i: exact[i])
    assert keys[0] == keys[1] < keys[3] < keys[2]


# §4.10 leaders


def test_leader_total_tier_and_caps_in_order():
    units = [unit("A", total=95), unit("B", total=80), unit("C", total=95), unit("D", total=95)] + [
        unit(f"X{i}", total=75) for i in range(6)
    ]
    leaders = [
        leader("A", 96),  # unit A keeps HTXSNV (allowed 2 of 10; A, C, D tie → all drop!)
        leader("B", 96),  # unit HTTNV → capped at HTTNV
        leader("C", 96, discipline=1),  # discipline → at most HTNV
        leader("D", 96, low_confidence=True),  # → KHTNV
    ]
    r = rate(units, leaders)
    L = r.leaders.set_index("unit_code")
    assert L.loc["A"].total == 96.0
    assert L.loc["B"].tier == "HTTNV"
    assert L.loc["B"].reason == "Đủ điểm HTXSNV (96,00) nhưng đơn vị xếp loại HTTNV (không cao hơn đơn vị) → HTTNV"
    assert L.loc["C"].tier == "HTNV" and "bị kỷ luật khiển trách trong năm" in L.loc["C"].reason
    assert L.loc["D"].tier == "KHTNV" and "tín nhiệm thấp trên 50%" in L.loc["D"].reason


def test_leader_quota_over_all_leaders_with_a_tie_straddling_the_cut():
    # 4 clusters, each: one unit at 99 and three at 80 → floor(30% × 4) = 1 HTXSNV unit per cluster.
    fw = replace(FW, quota_percent=Decimal(30))
    units, leaders = [], []
    for k, top_leader in enumerate([99, 97, 95, 95]):
        units += [unit(f"T{k}", total=99, cluster=f"K{k}")] + [
            unit(f"M{k}{i}", total=80, cluster=f"K{k}") for i in range(3)
        ]
        leaders.append(leader(f"T{k}", top_leader))
    leaders += [leader(f"M{k}0", 80) for k in range(4)] + [leader("M01", 80), leader("M11", 80)]
    r = rate(units, leaders, fw=fw)
    assert (by_code(r).loc[["T0", "T1", "T2", "T3"], "tier"] == "HTXSNV").all()
    # 10 leaders HTXSNV/HTTNV over the whole year → floor(3) allowed; candidates 99, 97, 95, 95:
    # the two at 95 share rank 3 and straddle the cut (positions 3 and 4) → both drop.
    L = r.leaders.set_index("unit_code")
    assert L.loc[["T0", "T1", "T2", "T3"], "tier"].tolist() == ["HTXSNV", "HTXSNV", "HTTNV", "HTTNV"]
    assert L.loc[["T2", "T3"], "rank"].tolist() == [3, 3]
    assert L.loc["T2"].reason == (
        "Đủ điểm HTXSNV (95,00) nhưng vượt chỉ tiêu 30% của người đứng đầu (đồng hạng tại ngưỡng chỉ tiêu) → HTTNV"
    )
    assert r.leader_quota == {"eligible": 10, "allowed": 3, "candidates": 4, "given": 2, "moved_down": 2}


def test_leader_ranking_equal_totals_share_rank():
    units = [unit(f"U{i}", total=80) for i in range(4)]
    r = rate(units, [leader("U0", 90), leader("U1", 85), leader("U2", 85), leader("U3", 70)])
    assert r.leaders.set_index("unit_code").loc[["U0", "U1", "U2", "U3"], "rank"].tolist() == [1, 2, 2, 4]


def test_head_discipline_from_leaders_sheet_caps_the_unit_too():
    r = rate([unit("A", total=95)], [leader("A", 95, discipline=2)], fw=replace(FW, quota_percent=Decimal(100)))
    assert by_code(r).loc["A"].tier == "HTNV"


# §4.11 explanations


def test_reason_only_when_tier_differs_and_in_vietnamese_number_format():
    units = [unit("A", total=92.5), unit("B", total=92.5), unit("C", total=80)] + [
        unit(f"X{i}", total=75) for i in range(3)
    ]
    r = by_code(rate(units))
    assert (
        r.loc["A"].reason
        == "Đủ điểm HTXSNV (92,50) nhưng vượt chỉ tiêu 20% của khối (đồng hạng tại ngưỡng chỉ tiêu) → HTTNV"
    )
    assert r.loc["C"].reason == ""


def test_several_causes_listed_in_one_line():
    fw = replace(load_preset("dan_van_chinh_quyen"), quota_percent=Decimal(100))
    review = dict(ALL_TEN, **{"2.5": 0})
    x = by_code(rate([unit("X", review=review, disunity=True, corruption=True)], fw=fw)).loc["X"]
    assert (
        x.reason == "Đủ điểm HTXSNV (95,00) nhưng tiêu chí 2.5 bị 0 điểm; mất đoàn kết, có vi phạm tham nhũng → KHTNV"
    )


# Tier scales of a framework's own (issue 26 §1)

FIVE = """
[[tiers]]
code = "XS"
name = "Xuất sắc"
min = 90
[[tiers]]
code = "TOT"
name = "Tốt"
min = 80
[[tiers]]
code = "KHA"
name = "Khá"
min = 65
[[tiers]]
code = "TB"
name = "Trung bình"
min = 50
[[tiers]]
code = "YEU"
name = "Yếu"

[caps]
reprimand = "KHA"
warning = "TB"
"""


def five_tiers() -> Framework:
    base = to_toml(FW).replace("thresholds = [\n    90,\n    70,\n    50,\n]\n", "")
    return from_toml(base + FIVE)


def test_a_five_tier_scale_rates_by_its_thresholds_caps_and_quota():
    """Totals 95, 93, 91, 85, 70, 55, 40 in one cluster (hand-computed): score tiers XS, XS, XS, TOT, KHA, TB, YEU.
    Quota: 20 % of the 4 units in the first two tiers = 0 (floor 0.8), so the three XS drop to TOT. A reprimanded
    head caps at KHA (the framework's cap, not the default second tier), a warning at TB; collective discipline →
    the last tier, YEU."""
    fw = five_tiers()
    assert [t.code for t in fw.tiers] == ["XS", "TOT", "KHA", "TB", "YEU"] and fw.thresholds == (90, 80, 65, 50)
    assert fw.problems() == [] and from_toml(to_toml(fw)) == fw
    units = [unit("A", 95), unit("B", 93), unit("C", 91), unit("D", 85), unit("E", 70), unit("F", 55), unit("G", 40)]
    r = by_code(rate(units, fw=fw))
    assert r["score_tier"].tolist() == ["XS", "XS", "XS", "TOT", "KHA", "TB", "YEU"]
    assert r["tier"].tolist() == ["TOT", "TOT", "TOT", "TOT", "KHA", "TB", "YEU"]
    assert r.loc["A", "reason"] == "Đủ điểm XS (95,00) nhưng vượt chỉ tiêu 20% của khối → TOT"

    capped = by_code(
        rate(
            [
                unit("A", 95, head_discipline=1),
                unit("B", 95, head_discipline=2),
                unit("C", 95, collective_discipline=1),
                unit("D", 85),
            ],
            fw=fw,
        )
    )
    assert capped["tier"].tolist() == ["KHA", "TB", "YEU", "TOT"]
    assert capped.loc["A", "reason"] == "Đủ điểm XS (95,00) nhưng người đứng đầu bị kỷ luật khiển trách → KHA"


def test_the_four_tier_presets_are_unchanged_by_the_scale():
    for name in presets():
        fw = load_preset(name)
        assert fw.tiers == TIERS_TABLE and fw.caps == () and "tiers" not in to_toml(fw)
        assert [fw.cap(e) for e in ("reprimand", "warning", "dismissal", "zero_criterion")] == [2, 3, 4, 3]


def test_a_scale_that_cannot_rate_is_refused():
    fw = five_tiers()
    assert "Ngưỡng xếp loại phải giảm dần" in " ".join(replace(fw, thresholds=(90, 95, 65, 50)).problems())
    assert "không có trong thang" in " ".join(replace(fw, caps=(("warning", "HTNV"),)).problems())
    assert "từ 2 đến 6 mức" in " ".join(replace(fw, tiers=fw.tiers[:1], thresholds=()).problems())
    base = to_toml(FW).replace("thresholds = [\n    90,\n    70,\n    50,\n]\n", "")
    with pytest.raises(ValueError, match="mức cuối không có"):
        from_toml(base + FIVE.replace('name = "Yếu"', 'name = "Yếu"\nmin = 0'))
    with pytest.raises(ValueError, match="cả “thresholds” và"):
        from_toml(to_toml(FW) + FIVE)
