"""Load: N signed-in browser sessions (Playwright contexts in Debian's Chromium, loopback only), against one app
server started the README's way: all of them at once open the ranking page from the menu, then all at once switch
the year.

The browsers are opened one by one first: a fresh headless Chromium spends 1.5–2 s of CPU starting Streamlit's front
end, so thirty started at once on the two cores that also run the server measure the browsers, not the server
(tried: no page showed within 120 s). What thirty people do with the app open is what the server must bear.

Prints, per store (the sample years; the sample years plus a 60,000-unit 2025): p50/p95 time to content (the
ranking table and the year's caption), the server's memory before, with the sessions open (idle, then after their
clicks), and up to a minute after they close. Bounded: at most 30 sessions, each step given 120 s.
Usage: python bench/bench_load.py [--sessions 30] [--units 60000]
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


FRESH = '[data-testid="stElementContainer"]:not([data-stale="true"]) '  # not left over from the page before


async def open_session(browser, base: str, token: str):
    """A signed-in browser with the app open on a light page (not timed: see the module's docstring)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    context.set_default_timeout(STEP_TIMEOUT)
    await context.add_cookies([{"name": "danvan_phien", "value": token, "url": base}])
    page = await context.new_page()
    await page.goto(f"{base}/dot-danh-gia")
    await page.locator(FRESH + "h1").first.wait_for()
    return context, page


async def to_ranking(page, base: str, first: str) -> float:
    """From the menu to Xếp hạng: seconds until its table and the year's caption show."""
    start = time.perf_counter()
    await page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/xep-hang"]').click()
    await page.locator(FRESH + '[data-testid="stDataFrame"]').first.wait_for()
    await page.locator(FRESH + '[data-testid="stCaptionContainer"]', has_text=first).first.wait_for()
    return time.perf_counter() - start


async def switch_year(page, second: tuple[str, str]) -> float:
    """Another year in the year box: seconds until that year's caption and table show."""
    start = time.perf_counter()
    await page.locator('[data-testid="stSelectbox"]').first.click()
    await page.get_by_role("option", name=second[1], exact=True).click()
    await page.locator(FRESH + '[data-testid="stCaptionContainer"]', has_text=second[0]).first.wait_for()
    await page.locator(FRESH + '[data-testid="stDataFrame"]').first.wait_for()
    return time.perf_counter() - start


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
        context, page = await open_session(browser, base, keys[-1])  # the first visit fills the caches
        await to_ranking(page, base, first)
        await context.close()
        await asyncio.sleep(2)
        baseline = rss_mb(proc)
        opened = [await open_session(browser, base, k) for k in keys[:sessions]]  # one by one: see the docstring
        idle = rss_mb(proc)
        pages = [page for _, page in opened]
        ranking = await asyncio.gather(*[to_ranking(page, base, first) for page in pages])
        switched = await asyncio.gather(*[switch_year(page, second) for page in pages])
        loaded = rss_mb(proc)
        for context, _ in opened:
            await context.close()
        await browser.close()
    results = list(zip(ranking, switched))
    after = []
    for _ in range(12):
        await asyncio.sleep(5)
        after.append(rss_mb(proc))
        if after[-1] <= baseline * 1.05:
            break
    print(f"\n{label}: {sessions} sessions at once")
    print(f"  open Xếp hạng from the menu, all at once:  {quantiles([r[0] for r in results])}")
    print(f"  switch the year, all at once:               {quantiles([r[1] for r in results])}")
    print(f"  server memory: {baseline:.0f} MB before, {loaded:.0f} MB with the sessions open "
          f"({(loaded - baseline) / sessions:.1f} MB per session; {(idle - baseline) / sessions:.1f} MB idle), "
          f"{after[-1]:.0f} MB {5 * len(after)} s after they closed")
    figure(f"{sessions} sessions, {label}: p95 opening Xếp hạng", f"{p95([r[0] for r in results]):.2f} s",
           f"≤ {target:g} s", before)
    figure(f"{sessions} sessions, {label}: p95 switching the year", f"{p95([r[1] for r in results]):.2f} s",
           f"≤ {target:g} s", before)
    figure(f"{sessions} sessions, {label}: memory per idle session", f"{(idle - baseline) / sessions:.1f} MB",
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
