"""Dashboard tables from small rated years, checked by hand."""

from types import SimpleNamespace

import pandas as pd
from builders import FW, leader, unit, year_data
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import rate_year, views


def two_years():
    a = rate_year(
        year_data(
            [unit("A", total=95, cluster="K1"), unit("B", total=80, cluster="K1"), unit("C", total=60, cluster="K2")],
            year=2024,
        ),
        FW,
    )
    b = rate_year(
        year_data(
            [
                unit("A", total=70, cluster="K1"),
                unit("B", total=92, cluster="K1"),
                unit("C", total=85, cluster="K2"),
                unit("D", total=40, cluster="K2"),
            ],
            [leader("B", 90)],
            year=2025,
        ),
        FW,
        a,
    )
    return a, b


def test_overview_cards_with_changes():
    a, b = two_years()
    o = views.overview(b, a)
    assert (o["units"], o["units_change"]) == (4, 1)
    assert o["mean_total"] == (70 + 92 + 85 + 40) / 4
    assert o["mean_change"] == o["mean_total"] - (95 + 80 + 60) / 3
    # 2025: B 92 → quota floor(0.2 × 2) = 0 → HTTNV; A 70 HTTNV; C 85 HTTNV; D KHTNV.
    assert o["tiers"] == {"HTXSNV": 0, "HTTNV": 3, "HTNV": 0, "KHTNV": 1}
    # 2024: A 95 → HTTNV by quota, B 80 HTTNV, C 60 HTNV.
    assert o["tier_changes"] == {"HTXSNV": 0, "HTTNV": 1, "HTNV": -1, "KHTNV": 1}
    assert views.overview(a, None)["tier_changes"]["HTTNV"] is None


def test_tier_by_cluster_has_every_tier():
    _, b = two_years()
    t = views.tier_by_cluster(b)
    assert len(t) == 2 * 4
    assert t.set_index(["cluster", "tier"]).loc[("K2", "KHTNV"), "units"] == 1


def test_top_bottom_and_filters():
    _, b = two_years()
    top, bottom = views.top_bottom(b, 2)
    assert top["code"].tolist() == ["B", "C"] and bottom["code"].tolist() == ["D", "A"]
    assert views.filter_units(b, cluster="K2")["code"].tolist() == ["C", "D"]
    assert views.filter_units(b, tiers=["KHTNV"])["code"].tolist() == ["D"]


def test_criteria_percent_and_self_vs_review():
    units = [
        unit(
            "A",
            review={"1.1": 5, "1.2": 10, "1.3": 10, "2.1": 20, "2.2": 15, "2.3": 15, "2.4": 15, "2.5": 5},
            self={"1.1": 10, "1.2": 10, "1.3": 10, "2.1": 20, "2.2": 15, "2.3": 15, "2.4": 15, "2.5": 5},
        )
    ]
    r = rate_year(year_data(units, has_self_columns=True), FW)
    p = views.criteria_percent(r)
    assert p.loc["A", "1.1"] == 50 and p.loc["A", "2.1"] == 100
    s = views.self_vs_review(r, margin=3)
    assert (s.iloc[0]["gap"], bool(s.iloc[0]["flagged"])) == (5.0, True)
    assert not views.self_vs_review(r, margin=5).iloc[0]["flagged"]


def test_unit_profile_history_and_leader():
    a, b = two_years()
    prof = views.unit_profile(b, "A").set_index("code")
    assert prof.loc["1.1", "unit_percent"] == 70  # A at 70% of every max
    assert prof.loc["1.1", "cluster_percent"] == (70 + 92) / 2  # K1: A and B
    h = views.unit_history([b, a], "A")
    assert h["year"].tolist() == [2024, 2025] and h["rank"].tolist() == [1, 3]
    assert views.unit_leader(b, "B")["total"].tolist() == [90.0]


def test_trends_transitions_and_movers():
    a, b = two_years()
    m = views.mean_by_cluster([a, b]).set_index(["year", "cluster"])["total"]
    assert m[(2024, "K1")] == 87.5 and m[(2025, "K2")] == 62.5
    ty = views.tiers_by_year([a, b])
    assert ty.groupby("year")["units"].sum().tolist() == [3, 4]
    tr = views.transitions(a, b)
    assert tr.values.tolist() == [["HTTNV", "HTTNV", 2], ["HTNV", "HTTNV", 1]]
    improved, declined = views.movers(a, b)
    assert improved["code"].tolist() == ["C", "B"] and declined["code"].tolist() == ["A"]  # tie on +1: C gained 25
    assert improved.iloc[0]["rank_change"] == 1 and declined.iloc[0]["rank_change"] == -2


def test_framework_change_matches_units_by_code_when_the_order_changes():
    """A weight change reorders the ranking: units are compared by code, not by position (this once raised
    "Can only compare identically-labeled Series objects" on the Tiêu chí page)."""
    from dataclasses import replace
    from decimal import Decimal

    data = year_data(
        [
            unit("A", review={**{c.code: float(c.max_points) for c in FW.of("unit")}, "2.1": 0}),
            unit("B", total=85),
            unit("C", total=60),
        ]
    )
    now = rate_year(data, FW)  # A 80 (2.1 at 0), B 85, C 60
    heavy = replace(FW, criteria=tuple(replace(c, weight=Decimal(1)) if c.code == "2.1" else c for c in FW.criteria))
    after = rate_year(data, heavy)  # 2.1 weighs 1 of 81: A = 100 × 80/81 = 98.77 → rank 1
    changed = views.framework_change(now, after).set_index("Mã đơn vị")
    assert list(now.units["code"]) == ["B", "A", "C"] and list(after.units["code"]) == ["A", "B", "C"]
    assert changed.loc["A", ["Hạng hiện tại", "Hạng mới"]].tolist() == [2, 1]
    assert changed.loc["A", "Tổng điểm mới"] == 98.77
    assert "C" not in changed.index


def test_ranking_table_keeps_numbers_numeric_and_says_not_appraised():
    data = year_data(
        [
            unit("A", review={}, self={c.code: float(c.max_points) for c in FW.of("unit")}),
            unit("B", total=80, self={"1.1": 8}),
        ],
        has_self_columns=True,
    )
    table = views.ranking_table(rate_year(data, FW).units).set_index("Mã")
    assert table["Tổng điểm"].dtype == float and table.loc["A", "Tổng điểm"] == 100
    assert table.loc["A", "Ghi chú"].endswith("Chưa thẩm định") and table.isna().loc["A", "Thẩm định"]
    assert table.loc["B", "Thẩm định"] == 80 and table.loc["B", "Ghi chú"] == ""


def test_unit_choices_by_code_or_name_ignoring_accents_in_the_given_order():
    units = pd.DataFrame(
        {
            "code": ["DV03", "DV01", "DV02"],
            "name": ["Chi bộ Trường Tân Yên", "Đảng bộ xã Tân Yên", "Chi bộ thôn Đồng Quýt"],
        }
    )
    assert views.unit_choices(units, "tan yen", 10) == {
        "DV03": "DV03 – Chi bộ Trường Tân Yên",
        "DV01": "DV01 – Đảng bộ xã Tân Yên",
    }
    assert list(views.unit_choices(units, "dv02", 10)) == ["DV02"]
    assert list(views.unit_choices(units, "", 2)) == ["DV03", "DV01"]
    assert views.unit_choices(units, "Hà Nội", 10) == {}


def test_decision_marks_name_quota_cuts_and_totals_near_a_threshold():
    # One cluster; the quota counts the units rated HTTNV or better (95, 93, 91, 89.5, 80, 70.25): 20 % of 6 = 1.2,
    # so one HTXSNV: A keeps it, B (93) and C (91) are moved down by the quota.
    # 89.5 is 0.5 short of HTXSNV (90); 70.25 just reaches HTTNV (70); 69 is 1 short of HTTNV; 80 and 60 are far.
    totals = {"A": 95, "B": 93, "C": 91, "D": 89.5, "E": 70.25, "F": 69, "G": 80, "H": 60, "I": 60, "J": 60}
    result = rate_year(year_data([unit(c, total=t) for c, t in totals.items()]), FW)
    marks = dict(zip(result.units["code"], views.decision_marks(result.units, FW)))
    assert marks == {
        "A": "",
        "B": "hạ do chỉ tiêu HTXSNV",
        "C": "hạ do chỉ tiêu HTXSNV",
        "D": "thiếu 0,50 điểm để đạt ngưỡng HTXSNV",
        "E": "vừa đạt ngưỡng HTTNV (hơn 0,25 điểm)",
        "F": "thiếu 1,00 điểm để đạt ngưỡng HTTNV",
        "G": "",
        "H": "",
        "I": "",
        "J": "",
    }


def test_search_by_code_or_name_keeps_the_order():
    units = pd.DataFrame({"code": [f"DV{i:05d}" for i in range(1, 1202)], "name": ["Chi bộ"] * 1201})
    assert views.matching(units, "dv0120")["code"].tolist() == ["DV01200", "DV01201"]
    assert views.matching(units, "CHI BO").equals(units) and views.matching(units, " ").equals(units)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=1, max_size=40), st.integers(1, 12))
def test_top_bottom_are_the_ends_of_the_ranking_sorted_by_rank_then_code(ranks, n):
    """Ties at the n-th place are broken by code, as in the full sort they replace."""
    units = pd.DataFrame({"rank": ranks, "code": [f"U{(i * 7919) % 1000:03d}" for i in range(len(ranks))]})
    top, bottom = views.top_bottom(SimpleNamespace(units=units), n)
    ordered = units.sort_values(["rank", "code"])
    assert top["code"].tolist() == ordered.head(n)["code"].tolist()
    assert bottom["code"].tolist() == ordered.tail(n).iloc[::-1]["code"].tolist()
