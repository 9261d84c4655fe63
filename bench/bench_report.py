"""Report writing at national scale: `write_report` vs a plain xlsxwriter constant-memory dump of the
same ranking cells (no formats), measured side by side, alternating, median of rounds. Target ≤ 2×.
Usage: python bench/bench_report.py [--units N] [--rounds R]   (uses bench/out/national_N.xlsx)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_rank import OUT, make_workbook  # noqa: E402
from figures import figure  # noqa: E402

from scoring import rate_all, read_paths  # noqa: E402
from scoring.report import RANKING_COLUMNS, write_report  # noqa: E402

FIELDS = [
    "code",
    "name",
    "cluster",
    "self_score",
    "review_score",
    "bonus",
    "penalty",
    "total",
    "tier",
    "rank",
    "cluster_rank",
    "rank_change",
    "reason",
]


def plain_dump(result, path: Path) -> None:
    """The ranking cells and nothing else: header row, then one row per unit."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Xếp hạng")
    ws.write_row(0, 0, RANKING_COLUMNS)
    rows = result.units[FIELDS].astype(object).where(result.units[FIELDS].notna(), "").itertuples(index=False)
    for i, row in enumerate(rows, start=1):
        ws.write_number(i, 0, i)
        ws.write_row(i, 1, row)
    wb.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=60_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    source = OUT / f"national_{args.units}.xlsx"
    if not source.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        make_workbook(source, args.units)
    result = rate_all(read_paths([source]))[-1]
    plain, report = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            t = time.perf_counter()
            plain_dump(result, Path(tmp) / "plain.xlsx")
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            write_report(result, Path(tmp) / "report.xlsx")
            report.append(time.perf_counter() - t)
        size = (Path(tmp) / "report.xlsx").stat().st_size
    p, r = statistics.median(plain), statistics.median(report)
    print(f"units: {args.units}, rounds: {args.rounds}")
    print(f"plain xlsxwriter dump of the ranking cells: {p:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in plain)})")
    print(
        f"write_report, all five sheets: {r:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in report)}), "
        f"{size / 2**20:.1f} MB"
    )
    print(f"ratio report/plain: {r / p:.2f}  (target ≤ 2)")
    figure(f"report / raw xlsxwriter dump, {args.units} units", f"{r / p:.2f}×", "≤ 2×", "1.23×")


if __name__ == "__main__":
    main()
