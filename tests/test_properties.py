"""Invariants of the rules, checked on random years (hypothesis)."""

import sys
from decimal import Decimal
from fractions import Fraction

import numpy as np
from builders import FW, leader, unit, year_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import rate_year
from scoring.framework import UNIT
from scoring.text import OTHER_BLANKS, exact, nfc, nfc_all, unit_code, unit_codes
from scoring.workbook import _column

TIER_ORDER = {"HTXSNV": 1, "HTTNV": 2, "HTNV": 3, "KHTNV": 4}
UNIT_CRITERIA = FW.of(UNIT)


def quarter_points(maximum):
    return st.integers(0, int(maximum * 4)).map(lambda q: q / 4)


@st.composite
def units_strategy(draw, min_size=1, max_size=24):
    n = draw(st.integers(min_size, max_size))
    high = draw(st.booleans())  # many strong units make the quota bite
    out = []
    for i in range(n):
        review = {}
        for c in UNIT_CRITERIA:
            m = float(c.max_points)
            if high:
                review[c.code] = draw(st.integers(int(m * 3), int(m * 4)).map(lambda q: q / 4))
            else:
                review[c.code] = draw(quarter_points(m))
        out.append(
            unit(
                f"U{i:02d}",
                review=review,
                cluster=draw(st.sampled_from(["K1", "K2", "K3"])),
                bonus=draw(st.sampled_from([0, 0, 0.5, 1, 3])),
                penalty=draw(st.sampled_from([0, 0, 0, 1, 2.5])),
                head_discipline=draw(st.sampled_from([0] * 12 + [1, 2, 3])),
                disunity=draw(st.sampled_from([False] * 15 + [True])),
            )
        )
    return out


def with_leaders(draw_units, draw):
    totals = st.sampled_from([99, 97, 95, 95, 92, 90, 85, 80, 60])
    return [
        leader(
            u["code"],
            draw(totals),
            discipline=draw(st.sampled_from([0] * 8 + [1])),
            low_confidence=draw(st.sampled_from([False] * 9 + [True])),
        )
        for u in draw_units
    ]


common = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@common
@given(units_strategy(), st.data())
def test_raising_one_score_never_lowers_rank_or_tier(units, data):
    i = data.draw(st.integers(0, len(units) - 1))
    crit = data.draw(st.sampled_from(UNIT_CRITERIA))
    before = rate_year(year_data(units), FW).units.set_index("code").loc[units[i]["code"]]
    m = float(crit.max_points)
    old = units[i]["review"][crit.code]
    new = data.draw(st.integers(int(old * 4), int(m * 4)).map(lambda q: q / 4))
    units[i]["review"][crit.code] = new
    after = rate_year(year_data(units), FW).units.set_index("code").loc[units[i]["code"]]
    assert after["total"] >= before["total"]
    assert after["rank"] <= before["rank"]
    assert TIER_ORDER[after["tier"]] <= TIER_ORDER[before["tier"]]


@common
@given(units_strategy(min_size=5), st.sampled_from([Decimal(20), Decimal(10), Decimal(35)]))
def test_quota_invariant_per_cluster(units, percent):
    from dataclasses import replace

    fw = replace(FW, quota_percent=percent)
    r = rate_year(year_data(units), fw).units
    for _, group in r.groupby("cluster"):
        top_two = int((group.tier.isin(["HTXSNV", "HTTNV"])).sum())
        given_ = int((group.tier == "HTXSNV").sum())
        assert given_ <= top_two * percent // 100
        # Units tied on rank are never split by the quota.
        dropped = group[group.reason.str.contains("vượt chỉ tiêu")]
        kept = group[group.tier == "HTXSNV"]
        assert not set(dropped["rank"]) & set(kept["rank"])
        # Whoever keeps HTXSNV ranks ahead of everyone the quota dropped.
        if len(kept) and len(dropped):
            assert kept["rank"].max() < dropped["rank"].min()


@common
@given(units_strategy(), st.randoms(use_true_random=False))
def test_permuting_input_rows_changes_nothing(units, rnd):
    leaders = [leader(u["code"], 90 - i % 7) for i, u in enumerate(units)]
    a = rate_year(year_data(units, leaders), FW)
    order = list(range(len(units)))
    rnd.shuffle(order)
    b = rate_year(year_data([units[k] for k in order], [leaders[k] for k in order]), FW)
    cols = ["code", "total", "tier", "rank", "cluster_rank", "reason"]
    assert (
        a.units[cols]
        .sort_values("code")
        .reset_index(drop=True)
        .equals(b.units[cols].sort_values("code").reset_index(drop=True))
    )
    lcols = ["unit_code", "total", "tier", "rank", "reason"]
    assert (
        a.leaders[lcols]
        .sort_values("unit_code")
        .reset_index(drop=True)
        .equals(b.leaders[lcols].sort_values("unit_code").reset_index(drop=True))
    )


@common
@given(units_strategy())
def test_ranks_are_competition_ranks_of_the_keys(units):
    result = rate_year(year_data(units), FW)
    # Default weights: a criterion's factor is 1, so group II's contribution is the exact sum of its points.
    group_ii = [c.code for c in FW.of("unit") if c.group == "II"]
    exact_ii = [sum(Fraction(exact(p)) for p in row) for row in result.unit_scores.points[group_ii].to_numpy()]
    r = result.units.assign(group_II=exact_ii)
    key = list(zip(-r.total.round(2), [-v for v in r["group_II"]], r.penalty))
    for k, rank in zip(key, r["rank"]):
        assert rank == 1 + sum(other < k for other in key)
    for _, g in r.groupby("cluster"):
        gk = list(zip(-g.total.round(2), [-v for v in g["group_II"]], g.penalty))
        for k, rank in zip(gk, g["cluster_rank"]):
            assert rank == 1 + sum(other < k for other in gk)


@common
@given(units_strategy(), st.data())
def test_leaders_never_above_their_unit_and_within_quota(units, data):
    leaders = with_leaders(units, data.draw)
    r = rate_year(year_data(units, leaders), FW)
    unit_tier = r.units.set_index("code").tier
    for ld in r.leaders.itertuples():
        assert TIER_ORDER[ld.tier] >= TIER_ORDER[unit_tier[ld.unit_code]]
    eligible = int(r.leaders.tier.isin(["HTXSNV", "HTTNV"]).sum())
    assert int((r.leaders.tier == "HTXSNV").sum()) <= eligible * 20 // 100


@common
@given(units_strategy())
def test_reason_present_exactly_when_tier_differs_from_score_tier(units):
    r = rate_year(year_data(units), FW).units
    assert ((r.reason != "") == (r.tier != r.score_tier)).all()
    assert np.all([TIER_ORDER[t] >= TIER_ORDER[s] for t, s in zip(r.tier, r.score_tier)])


# Text cells as offices type them: Vietnamese letters precomposed or not, every kind of blank, NUL from old .xls.
_cell_texts = st.text(
    st.sampled_from(list("aAeEiIoOuUyYđĐơƯ ̛̣́̀̉̃̂̆") + list(OTHER_BLANKS) + ["\x00", "İ", "ß", "1", "0"]), max_size=12
)


@given(st.lists(_cell_texts, max_size=30))
def test_column_normalisation_equals_cell_by_cell(texts):
    """`nfc_all` and `unit_codes` (one string per column, for speed) give exactly what `nfc` and `unit_code` give
    cell by cell."""
    assert nfc_all(texts) == [nfc(t) for t in texts]
    assert unit_codes(texts) == [unit_code(t) for t in texts]


def test_other_blanks_are_every_blank_but_the_space():
    splitting = {chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}b".split()) == 2}
    assert set(OTHER_BLANKS) == splitting - {" "}


@given(
    st.lists(
        st.one_of(
            st.just(""),
            _cell_texts,
            st.floats(allow_nan=False),
            st.integers(-(10**6), 10**6),
            st.booleans(),
            st.datetimes(),
        ),
        max_size=40,
    )
)
def test_grid_column_keeps_numbers_and_texts_apart(cells):
    """Each cell is a number (int or float, never a bool) or a text, as `nfc` makes it; blanks are neither."""
    numbers, texts = _column(tuple(cells))
    for i, v in enumerate(cells):
        is_number = type(v) in (int, float)
        assert (numbers[i] == v) if is_number else np.isnan(numbers[i])
        assert texts.get(i) == (None if is_number or not nfc(v) else nfc(v))


_points = st.one_of(
    st.integers(0, 2000).map(lambda n: n / 4),
    st.floats(0, 100, allow_nan=False),
    st.sampled_from([0.1 + 0.2, 1e-40, 2.5e-31, 7.000000000000001, 0.0, -0.0]),
)


@given(st.data(), st.lists(st.fractions(min_value=0, max_value=10, max_denominator=60), min_size=1, max_size=6))
def test_scaled_exact_sums_are_the_exact_sums_times_one_scale(data, factors):
    """The tie-break's integer sums: the exact Σ point × factor (each point at its typed decimal) times one scale,
    so that rows compare and tie as their exact sums do; repeated values reuse their terms."""
    from scoring.arithmetic import _exact_dot

    dot, scale = _exact_dot(factors)
    rows = data.draw(st.lists(st.lists(_points, min_size=len(factors), max_size=len(factors)), min_size=1, max_size=8))
    for row in rows + rows:
        reference = sum((Fraction(exact(p)) * f for p, f in zip(row, factors)), Fraction(0))
        assert dot(np.array(row)) == reference * scale


_typed = st.one_of(
    st.integers(0, 400).map(lambda n: n / 4),
    st.integers(0, 10**5).map(lambda n: n / 1000),
    st.sampled_from([0.1 + 0.2, 0.3, 7.000000000000001, 1e-7, 12.345678, 0.0]),
)


@given(st.data(), st.lists(st.fractions(min_value=0, max_value=10, max_denominator=60), min_size=1, max_size=6))
def test_tie_break_keys_at_numpy_speed_are_the_exact_keys(data, factors):
    """The vectorised tie-break (int64 sums of points of at most 6 decimals) numbers rows exactly as the row-by-row
    exact order does, and declines points it cannot take exactly (more decimals, 0.1 + 0.2)."""
    from scoring.arithmetic import _exact_dot, _scaled_sums, exact_order

    rows = data.draw(st.lists(st.lists(_typed, min_size=len(factors), max_size=len(factors)), min_size=1, max_size=30))
    points = np.array(rows, dtype=float)
    sums = _scaled_sums(points, factors)
    typed = all(len(repr(p).partition(".")[2].rstrip("0")) <= 6 and "e" not in repr(p) for row in rows for p in row)
    assert (sums is not None) == typed
    if sums is None:
        return
    dot, _ = _exact_dot(factors)
    floats = points @ np.array([float(f) for f in factors])
    expected = exact_order(floats, lambda i: dot(points[i]))
    assert np.array_equal(np.unique(sums, return_inverse=True)[1].reshape(-1), expected)
