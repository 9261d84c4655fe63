"""Rating every year found in a set of files, chaining rank changes year to year."""
from __future__ import annotations

from .engine import YearResult, rate
from .framework import Framework
from .reader import ReadResult, read_files
from .validation import InputError


def rate_all(read: ReadResult, previous: YearResult | None = None) -> list[YearResult]:
    """Rate every year of a read, oldest first; a year gets its rank change from year − 1."""
    results: dict[int, YearResult] = {}
    for year in sorted(read.years):
        prior = results.get(year - 1) or (previous if previous is not None and previous.year == year - 1 else None)
        results[year] = rate(read.years[year], read.framework, prior)
    return list(results.values())


def rate_files(files: list[tuple[str, bytes]], framework: Framework | None = None,
               default_year: int | None = None) -> list[YearResult]:
    """Read and rate; raises InputError with every problem when any file has an error."""
    read = read_files(files, framework, default_year)
    if read.errors:
        raise InputError(read.issues)
    return rate_all(read)
