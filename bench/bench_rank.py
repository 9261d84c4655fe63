"""National-scale benchmark: python-calamine parsing a 60,000-unit sheet vs `rank --json` end to end.

Both are measured side by side in one run, alternating, several rounds; the figure that matters is
their ratio (target ≤ 1.8) and the peak memory of the whole process tree (target ≤ 400 MiB).
Usage: python bench/bench_rank.py [--units N] [--rounds R]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import xlsxwriter

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import figure  # noqa: E402

from scoring.framework import UNIT, load_preset  # noqa: E402

OUT = ROOT / "bench" / "out"
CLUSTERS = [f"Khối {i:02d}" for i in range(1, 41)]
PARSE_ONLY = (
    "import sys, time, python_calamine as pc\n"
    "t = time.perf_counter()\n"
    "wb = pc.CalamineWorkbook.from_path(sys.argv[1])\n"
    "rows = wb.get_sheet_by_name('Tổ chức').to_python()\n"
    "print(time.perf_counter() - t, len(rows))\n"
)


def make_workbook(path: Path, units: int, seed: int = 1) -> None:
    """A consolidated sheet as offices make it: title rows, two-row header, self and review columns."""
    rnd = random.Random(seed)
    criteria = load_preset().of(UNIT)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Tổ chức")
    bold = wb.add_format({"bold": True, "align": "center", "border": 1})
    ws.write(0, 0, "ĐẢNG BỘ TỈNH ĐÔNG NGUYÊN")
    ws.write(1, 0, "BẢNG TỔNG HỢP ĐIỂM CÔNG TÁC DÂN VẬN NĂM 2025")
    # constant_memory writes a row when the next one starts: every row must be written in order.
    head = ["STT", "Mã đơn vị", "Tên đơn vị", "Khối"]
    tail = [
        "Điểm thưởng",
        "Điểm trừ",
        "Kỷ luật tập thể",
        "Kỷ luật người đứng đầu",
        "Mất đoàn kết",
        "Tham nhũng",
        "Ghi chú",
    ]
    top = head + [x for c in criteria for x in (c.code, "")] + tail
    sub = [""] * len(head) + ["Tự chấm", "Thẩm định"] * len(criteria) + [""] * len(tail)
    ws.write_row(3, 0, top, bold)
    ws.write_row(4, 0, sub, bold)
    for i in range(units):
        r = 5 + i
        level = rnd.uniform(0.6, 1.0)
        ws.write_number(r, 0, i + 1)
        ws.write_string(r, 1, f"DV{i + 1:05d}")
        ws.write_string(r, 2, f"Chi bộ cơ sở số {i + 1}")
        ws.write_string(r, 3, CLUSTERS[i % len(CLUSTERS)])
        col = len(head)
        for c in criteria:
            m = float(c.max_points)
            review = round(min(m, max(0.0, m * rnd.gauss(level, 0.08))) * 4) / 4
            ws.write_number(r, col, min(m, review + rnd.choice([0, 0, 0.25, 0.5])))
            ws.write_number(r, col + 1, review)
            col += 2
        ws.write_number(r, col, rnd.choice([0, 0, 0, 0.5, 1]))
        ws.write_number(r, col + 1, rnd.choice([0, 0, 0, 0, 1]))
        if rnd.random() < 0.01:
            ws.write_string(r, col + 3, rnd.choice(["Khiển trách", "Cảnh cáo"]))
        if rnd.random() < 0.005:
            ws.write_string(r, col + 4, "x")
    wb.close()


class PeakMemory:
    """Peak resident memory of a process and all its descendants, sampled every 10 ms."""

    def __init__(self, pid: int):
        self.proc, self.peak, self._stop = psutil.Process(pid), 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                procs = [self.proc] + self.proc.children(recursive=True)
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.01)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def time_rank(path: Path, watch_memory: bool = False) -> tuple[float, int]:
    """Wall time of `rank --json`, and with `watch_memory` the peak memory of its process tree (sampling costs CPU
    on a two-core machine, so the timed rounds do not sample)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "scoring", "rank", "--json", str(path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watch = PeakMemory(proc.pid) if watch_memory else None
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    peak = watch.stop() if watch else 0
    assert proc.returncode == 0, err.decode()[-2000:]
    assert out.count(b'"code"') >= 1
    return elapsed, peak


def time_parse(path: Path) -> float:
    out = subprocess.run([sys.executable, "-c", PARSE_ONLY, str(path)], capture_output=True, check=True, text=True)
    return float(out.stdout.split()[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=60_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"national_{args.units}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        make_workbook(path, args.units)
        print(f"generated {path.name} ({path.stat().st_size / 2**20:.1f} MB) in {time.perf_counter() - t:.1f} s")
    parse, rank = [], []
    for _ in range(args.rounds):
        parse.append(time_parse(path))
        rank.append(time_rank(path)[0])
    peak = time_rank(path, watch_memory=True)[1]
    p, r = statistics.median(parse), statistics.median(rank)
    print(f"units: {args.units}, rounds: {args.rounds}")
    print(f"calamine parse only (in process): {p:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in parse)})")
    print(f"rank --json end to end (new process): {r:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in rank)})")
    print(f"ratio rank/parse: {r / p:.2f}  (target ≤ 1.8)")
    print(f"peak memory of rank (process tree): {peak / 2**20:.0f} MiB  (target ≤ 400 MiB)")
    figure(f"rank --json / bare parse, {args.units} units", f"{r / p:.2f}×", "≤ 1.8×", "3.6–4.0× (2026-12-06)")
    figure("rank --json peak memory, process tree", f"{peak / 2**20:.0f} MiB", "≤ 400 MiB", "393 MiB")


if __name__ == "__main__":
    main()
