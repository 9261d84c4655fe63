"""`make bench`: every benchmark in one run, each in its own process (one at a time: they share two cores), then
one table of every figure beside its target and baseline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from figures import MARK

HERE = Path(__file__).resolve().parent
BENCHES = [
    "bench_rank.py",
    "bench_report.py",
    "bench_documents.py",
    "bench_dashboard.py",
    "bench_round.py",
    "bench_upload.py",
    "bench_forms.py",
    "bench_browser.py",
    "bench_load.py",
    "bench_province.py",
    "bench_stability.py",
]


def main() -> int:
    rows, failed = [], []
    for bench in BENCHES:
        print(f"\n===== {bench}", flush=True)
        proc = subprocess.Popen([sys.executable, str(HERE / bench)], stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
        for line in proc.stdout:
            if line.startswith(MARK):
                rows.append(line.rstrip("\n").split("\t")[1:])
            else:
                print(line, end="", flush=True)
        if proc.wait():
            failed.append(bench)
    widths = [max(len(r[i]) for r in rows + [["figure", "measured", "target", "baseline"]]) for i in range(4)]
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(["figure", "measured", "target", "baseline"], widths)))
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
