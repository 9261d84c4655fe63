"""The committee's documents at scale: the decision with its attached list of a 5,000-unit year against the Excel
report of the same year (side by side, alternating, median of rounds), then the list printed to PDF by LibreOffice
(seconds and pages), and a letter to every unit. Usage: python bench/bench_documents.py [--units N] [--rounds R]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_rank import OUT, make_workbook  # noqa: E402
from figures import figure  # noqa: E402

from scoring import rate_all, read_paths  # noqa: E402
from scoring.documents import DECISION, LETTER, CommitteeDetails, document, to_pdf  # noqa: E402
from scoring.formats import VN_TIME  # noqa: E402
from scoring.report import report_bytes  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=5_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    source = OUT / f"national_{args.units}.xlsx"
    if not source.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        make_workbook(source, args.units)
    result = rate_all(read_paths([source]))[-1]
    details, now = CommitteeDetails(decision_number="125"), datetime.now(VN_TIME)
    word, excel = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        docx = document(DECISION, result, details, now)
        word.append(time.perf_counter() - t)
        t = time.perf_counter()
        report_bytes(result)
        excel.append(time.perf_counter() - t)
    t = time.perf_counter()
    letters = document(LETTER, result, details, now)
    lettering = time.perf_counter() - t
    t = time.perf_counter()
    pdf = to_pdf(docx)
    printing = time.perf_counter() - t
    path = OUT / "quyet_dinh.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    w, e = statistics.median(word), statistics.median(excel)
    print(f"units: {len(result.units)}, leaders: {len(result.leaders)}, rounds: {args.rounds}")
    runs = ", ".join(f"{x:.2f}" for x in word)
    print(f"decision and list (.docx, {len(docx) / 2**20:.1f} MB): {w:.2f} s  (runs: {runs})")
    print(f"Excel report of the same year: {e:.2f} s  (runs: {', '.join(f'{x:.2f}' for x in excel)})")
    print(f"printed to PDF by LibreOffice: {printing:.1f} s, {pages} pages ({pages / printing:.1f} pages/s)")
    each = lettering / len(result.units) * 1000
    print(f"a letter to every unit (.zip, {len(letters) / 2**20:.0f} MB): {lettering:.1f} s, {each:.0f} ms a letter")
    figure(f"decision and list (.docx) / Excel report, {args.units} units", f"{w / e:.2f}×", "≤ 2×")
    figure(f"decision and list to PDF, {args.units} units", f"{printing:.0f} s, {pages} pages", "≤ 120 s")
    figure(f"letters to every unit (.docx in a .zip), {args.units} units", f"{lettering:.0f} s", "≤ 600 s")


if __name__ == "__main__":
    main()
