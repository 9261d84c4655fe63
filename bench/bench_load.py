"""Load: N signed-in browser sessions at once (Playwright contexts in Debian's Chromium, loopback only) open the
ranking page and switch the year, against one app server started the README's way.

Prints, per store (the sample years; the sample years plus a 60,000-unit 2025): p50/p95 time to content (the
ranking table and its caption for the year), the server's memory before, with the sessions open, and up to a
minute after they close. Bounded: at most 30 sessions, each step given 120 s.
Usage: python bench/bench_load.py [--sessions 30] [--units 5000]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_rank import OUT, make_workbook  # noqa: E402
from figures import figure  # noqa: E402
from tests.servers import ARGS, CHROMIUM, free_port  # noqa: E402

MAX_SESSIONS = 30
STEP_TIMEOUT = 120_000  # ms


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, DANVAN_DATABASE_URL=url, DANVAN_SEED_SAMPLE="1")
    proc = subprocess.Popen([sys.executable, "app.py", "--server.port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as answer:
                if answer.read() == b"ok":
                    return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the app did not start")


def rss_mb(proc: subprocess.Popen) -> float:
    p = psutil.Process(proc.pid)
    return sum(x.memory_info().rss for x in [p, *p.children(recursive=True)]) / 2**20


def tokens(url: str, count: int) -> list[str]:
    from scoring.access import operator
    from scoring.accounts import Accounts
    from scoring.store import Store

    accounts = Accounts(Store(url))
    accounts.create(operator("đo tải"), "tai-thu", "can_bo", "mat-khau-do-tai")
    actor = accounts.sign_in("tai-thu", "mat-khau-do-tai")
    return [accounts.redeem_code(accounts.issue_code(actor)) for _ in range(count)]


async def one_session(browser, base: str, token: str, first: str, second: str) -> tuple[float, float, object]:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    await context.add_cookies([{"name": "danvan_phien", "value": token, "url": base}])
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(f"{base}/xep-hang", timeout=STEP_TIMEOUT)
    await page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=STEP_TIMEOUT)
    await page.get_by_text(first).first.wait_for(timeout=STEP_TIMEOUT)
    opened = time.perf_counter() - start
    start = time.perf_counter()
    await page.locator('[data-testid="stSelectbox"]').first.click()
    await page.get_by_role("option", name=second[1], exact=True).click(timeout=STEP_TIMEOUT)
    await page.get_by_text(second[0]).first.wait_for(timeout=STEP_TIMEOUT)
    await page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=STEP_TIMEOUT)
    switched = time.perf_counter() - start
    return opened, switched, context


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def quantiles(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.2f} s, p95 {p95(values):.2f} s, max {max(values):.2f} s"


async def run(base: str, proc: subprocess.Popen, url: str, sessions: int, label: str, target: float,
              before: str) -> None:
    from playwright.async_api import async_playwright

    from scoring.store import Store

    store = Store(url)
    years = sorted(store.active_versions(), reverse=True)
    counts = {y: len(store.load(y)[0].units) for y in years}
    other = next(y for y in years[1:] if counts[y] != counts[years[0]])  # its caption tells the switch is done
    first, second = f"{counts[years[0]]} đơn vị", (f"{counts[other]} đơn vị", str(other))
    keys = tokens(url, sessions + 1)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        warm = await one_session(browser, base, keys[-1], first, second)  # the first visit fills the caches
        await warm[2].close()
        await asyncio.sleep(2)
        baseline = rss_mb(proc)
        results = await asyncio.gather(*[one_session(browser, base, k, first, second) for k in keys[:sessions]])
        loaded = rss_mb(proc)
        for _, _, context in results:
            await context.close()
        await browser.close()
    after = []
    for _ in range(12):
        await asyncio.sleep(5)
        after.append(rss_mb(proc))
        if after[-1] <= baseline * 1.05:
            break
    print(f"\n{label}: {sessions} sessions at once")
    print(f"  open Xếp hạng:  {quantiles([r[0] for r in results])}")
    print(f"  switch year:    {quantiles([r[1] for r in results])}")
    print(f"  server memory: {baseline:.0f} MB before, {loaded:.0f} MB with the sessions open "
          f"({(loaded - baseline) / sessions:.1f} MB per session), {after[-1]:.0f} MB {5 * len(after)} s after "
          "they closed")
    worst = max(p95([r[0] for r in results]), p95([r[1] for r in results]))
    figure(f"{sessions} sessions, {label}: p95 open Xếp hạng / switch year", f"{worst:.2f} s", f"≤ {target:g} s",
           before)
    figure(f"{sessions} sessions, {label}: memory per session", f"{(loaded - baseline) / sessions:.1f} MB",
           "≤ 20 MB")
    figure(f"{sessions} sessions, {label}: memory a minute after closing",
           f"{after[-1]:.0f} MB (baseline {baseline:.0f} MB)", "back to the baseline", "not returned (498 → 868 MB)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--units", type=int, default=60_000)
    args = parser.parse_args()
    sessions = max(1, min(args.sessions, MAX_SESSIONS))
    stores = (("sample store", 0, 2, "20 s p50 (protocol only)"),
              (f"sample store + {args.units}-unit 2025", args.units, 4, "2.4–3 s of server CPU a session"))
    for label, units, target, before in stores:
        url = f"sqlite:///{tempfile.mkdtemp()}/load.sqlite"
        proc, base = start_server(url)
        try:
            if units:
                from scoring import service
                from scoring.store import Store
                source = OUT / f"national_{units}.xlsx"
                if not source.exists():
                    OUT.mkdir(parents=True, exist_ok=True)
                    make_workbook(source, units)
                assert service.import_files(Store(url), [(source.name, source.read_bytes())]).ok
            asyncio.run(run(base, proc, url, sessions, label, target, before))
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
