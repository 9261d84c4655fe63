"""Rating several years: each year once, oldest first, its rank change taken from the year before it."""

import pandas as pd
from builders import FW, unit, year_data

from scoring.engine import rate
from scoring.rating import rate_years


def year(y: int, totals: dict[str, float]):
    return year_data([unit(code, total) for code, total in totals.items()], year=y), FW


def changes(result) -> dict[str, object]:
    return dict(zip(result.units["code"], result.units["rank_change"]))


def test_each_year_takes_its_rank_change_from_the_year_before():
    # 2024: A 90 (1st), B 80 (2nd), C 60 (3rd). 2025: B 85 (1st), A 70 (2nd), C 50 (3rd), D new.
    results = rate_years(
        {2025: year(2025, {"A": 70, "B": 85, "C": 50, "D": 40}), 2024: year(2024, {"A": 90, "B": 80, "C": 60})}
    )
    assert list(results) == [2024, 2025]
    assert results[2024].previous_year is None
    assert results[2025].previous_year == 2024
    assert changes(results[2025]) == {"B": 1, "A": -1, "C": 0, "D": pd.NA}


def test_a_gap_year_has_no_rank_change_unless_the_year_before_is_given():
    alone = rate_years({2023: year(2023, {"A": 90, "B": 80}), 2025: year(2025, {"A": 80, "B": 90})})
    assert alone[2025].previous_year is None
    before = {2024: rate(*year(2024, {"A": 90, "B": 80}))}
    chained = rate_years({2025: year(2025, {"A": 80, "B": 90})}, before)
    assert chained[2025].previous_year == 2024
    assert changes(chained[2025]) == {"B": 1, "A": -1}


def test_a_year_rated_here_wins_over_the_one_given():
    before = {2024: rate(*year(2024, {"A": 80, "B": 90}))}  # B ahead in the stored 2024
    results = rate_years({2024: year(2024, {"A": 90, "B": 80}), 2025: year(2025, {"A": 90, "B": 80})}, before)
    assert changes(results[2025]) == {"A": 0, "B": 0}  # against the 2024 read here: A stays first
