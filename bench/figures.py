"""The figures the benchmarks report, collected by `bench/run_all.py` (`make bench`) into one table: each
benchmark prints its own details, then one FIGURE line per figure with its target and its baseline (the figure
before the national-scale work, as measured then; "—" when it was never measured)."""

from __future__ import annotations

import sys

MARK = "FIGURE\t"


def figure(name: str, value: str, target: str, baseline: str = "—") -> None:
    print(f"{MARK}{name}\t{value}\t{target}\t{baseline}", flush=True)
    sys.stdout.flush()
