"""Rating every year found in a set of files, chaining rank changes year to year."""
from __future__ import annotations

from .engine import YearResult, rate
from .reader import ReadResult


def rate_all(read: ReadResult) -> list[YearResult]:
    """Rate every year of a read, oldest first; a year gets its rank change from year − 1."""
    results: dict[int, YearResult] = {}
    for year in sorted(read.years):
        results[year] = rate(read.years[year], read.framework, results.get(year - 1))
    return list(results.values())
