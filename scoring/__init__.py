"""Rating of grassroots party organisations and their heads on dân vận work (domain.md).

Public entry points: `read_files`/`read_paths` (files → validated tables per year), `rate_year`
(one year's tables → ratings and ranks) and `rate_files` (both, for every year in the files).
"""
from __future__ import annotations

from .dataset import YearData
from .engine import YearResult
from .engine import rate as rate_year
from .framework import Framework, load_framework_file, load_preset, presets
from .reader import ReadResult, read_files, read_paths
from .validation import InputError, Issue

__version__ = "0.1.0"


def rate_all(read: ReadResult, previous: YearResult | None = None) -> list[YearResult]:
    """Rate every year of a read, oldest first; a year gets its rank change from year − 1."""
    results: dict[int, YearResult] = {}
    for year in sorted(read.years):
        prior = results.get(year - 1) or (previous if previous is not None and previous.year == year - 1 else None)
        results[year] = rate_year(read.years[year], read.framework, prior)
    return list(results.values())


def rate_files(files: list[tuple[str, bytes]], framework: Framework | None = None,
               default_year: int | None = None) -> list[YearResult]:
    """Read and rate; raises InputError with every problem when any file has an error."""
    read = read_files(files, framework, default_year)
    if read.errors:
        raise InputError(read.issues)
    results = rate_all(read)
    return results


__all__ = [
    "Framework", "InputError", "Issue", "ReadResult", "YearData", "YearResult", "load_framework_file",
    "load_preset", "presets", "rate_all", "rate_files", "rate_year", "read_files", "read_paths", "__version__",
]
