"""Rating several years, chaining rank changes year to year: the one place a year gets its year − 1."""

from __future__ import annotations

from .dataset import YearData
from .engine import YearResult, rate
from .framework import Framework
from .reader import ReadResult


def rate_years(
    tables: dict[int, tuple[YearData, Framework]], before: dict[int, YearResult] | None = None
) -> dict[int, YearResult]:
    """Rate each year once, oldest first; a year's rank change comes from year − 1 rated here, else from `before`
    (results already at hand, e.g. the stored years under an upload's preview)."""
    results: dict[int, YearResult] = {}
    for year in sorted(tables):
        data, fw = tables[year]
        results[year] = rate(data, fw, results.get(year - 1) or (before or {}).get(year - 1))
    return results


def rate_all(read: ReadResult) -> list[YearResult]:
    """Rate every year of a read, oldest first."""
    return list(rate_years({y: (d, read.framework) for y, d in read.years.items()}).values())
