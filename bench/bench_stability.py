"""Stability benchmark (issue 27): 1,000 runs of the stability analysis over a year of 5,000 units, measured side
by side with one rating of the same year, alternating, several rounds. The figure that matters is their ratio
(target ≤ 20×: the analysis is about twenty ratings' worth of work for a thousand of them).
Usage: python bench/bench_stability.py [--units N] [--runs R] [--rounds K]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))
from builders import unit, year_data  # noqa: E402
from figures import figure  # noqa: E402

from scoring import rate_year  # noqa: E402
from scoring.framework import UNIT, load_preset  # noqa: E402
from scoring.stability import Settings, stability  # noqa: E402


def make_year(units: int, seed: int = 1):
    """A year as offices fill it: scores near the thresholds, some appraised, 40 clusters, a few disciplined."""
    rnd = random.Random(seed)
    fw = load_preset()
    rows = []
    for i in range(units):
        quality = rnd.uniform(0.55, 1.0)
        scores = {c.code: round(min(float(c.max_points), float(c.max_points) * rnd.gauss(quality, 0.05)) * 2) / 2
                  for c in fw.of(UNIT)}  # fmt: skip
        scores = {k: max(0.0, v) for k, v in scores.items()}
        appraised = {k: v for k, v in scores.items() if rnd.random() < 0.6}
        rows.append(
            unit(f"DV{i:05d}", cluster=f"Khối {i % 40:02d}", review=appraised, self=scores,
                 head_discipline=1 if rnd.random() < 0.02 else 0)
        )  # fmt: skip
    return year_data(rows, fw=fw, has_self_columns=True), fw


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data, fw = make_year(args.units)
    result = rate_year(data, fw)
    settings = Settings(runs=args.runs)
    one, many = [], []
    for _ in range(args.rounds):  # alternating, so that a noisy moment weighs on both
        t = time.perf_counter()
        result = rate_year(data, fw)
        one.append(time.perf_counter() - t)
        t = time.perf_counter()
        table = stability(data, fw, result, settings)
        many.append(time.perf_counter() - t)
    rating, analysis = statistics.median(one), statistics.median(many)
    shaky = int((table["keep_tier"] < 0.8).sum())
    print(f"{args.units} units: one rating {rating:.3f} s; {args.runs} stability runs {analysis:.3f} s (medians of "
          f"{args.rounds}); units below 80 % chance of keeping their tier: {shaky}")  # fmt: skip
    figure(f"stability, {args.runs} runs × {args.units} units ÷ one rating", f"{analysis / rating:.1f}×", "≤ 20×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
