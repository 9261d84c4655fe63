"""Load: N signed-in sessions against one app server started the README's way: all of them at once open the
ranking page from the menu, then all at once switch the year. Measured twice on the same server:

- over the protocol alone (bench/protocol.py: the websocket messages a browser's front end sends and reads), so
  that what is timed is the server: the time to content is the time until the page run has finished sending;
- in Debian's Chromium (Playwright contexts, loopback): the time until the ranking table and the year's caption
  are visible. Thirty headless renderers share the two cores with the server, so this measures the machine.

The browsers are opened one by one first, on Tổng quan: a fresh headless Chromium spends 1.5–2 s of CPU starting
Streamlit's front end and 2–3 s more loading plotly for its first chart, so thirty started at once on the two cores
that also run the server measure the browsers, not the server (tried: no page showed within 120 s; opened on a page
without charts, the first chart page opened at once took 57 s p50). What thirty people do with the app open is what
the server must bear.

Prints, per store (the sample years; the sample years plus a 60,000-unit 2025) and per client: p50/p95 time to
content, the server's memory before, with the sessions open (idle, then after their clicks), and up to a minute
after they close. Bounded: at most 30 sessions, each browser step given 120 s (a step past it counts as "> 120 s").
Usage: python bench/bench_load.py [--sessions 30] [--units 60000]   (--units 0: the sample store only)
"""

from __future__ import annotations

import argparse
import asyncio
import math
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
from playwright.async_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from protocol import Session, select, shown_text  # noqa: E402

from tests.servers import ARGS, CHROMIUM, free_port  # noqa: E402

MAX_SESSIONS = 30
STEP_TIMEOUT = 120_000  # ms


def start_server(url: str, script: Path | None = None) -> tuple[subprocess.Popen, str]:
    """The app (or a bare Streamlit `script`, with the project's Streamlit settings) on a free local port."""
    port = free_port()
    env = dict(os.environ, DANVAN_DATABASE_URL=url, DANVAN_SEED_SAMPLE="1")
    command = ["app.py"] if script is None else ["-m", "streamlit", "run", str(script)]
    proc = subprocess.Popen(
        [sys.executable, *command, "--server.port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
    """A signed-in browser with the app open on Tổng quan, its charts drawn (not timed: see the module's
    docstring): plotly's script is loaded, as in the browser of anyone who has used the app for a minute."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    context.set_default_timeout(STEP_TIMEOUT)
    await context.add_cookies([{"name": "danvan_phien", "value": token, "url": base}])
    page = await context.new_page()
    await page.goto(f"{base}/")
    await page.locator(FRESH + ".js-plotly-plot").first.wait_for()
    return context, page


async def to_ranking(page, base: str, first: str) -> float:
    """From the menu to Xếp hạng: seconds until its table and the year's caption show."""
    start = time.perf_counter()
    await page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/xep-hang"]').click()
    await page.locator(FRESH + '[data-testid="stDataFrame"]').first.wait_for()
    await page.locator(FRESH + '[data-testid="stCaptionContainer"]', has_text=first).first.wait_for()
    return time.perf_counter() - start


async def switch_year(page, second: tuple[str, str]) -> float:
    """Another year in the year box: seconds until that year's caption and table show. The box's list is drawn
    again when a run's last elements arrive, so a click that finds its option gone is tried again."""
    start = time.perf_counter()
    for _attempt in range(5):
        try:
            await page.locator('[data-testid="stSelectbox"]').first.click()
            await page.get_by_role("option", name=second[1], exact=True).click(timeout=STEP_TIMEOUT / 5)
            break
        except PlaywrightTimeout:
            await page.keyboard.press("Escape")
    await page.locator(FRESH + '[data-testid="stCaptionContainer"]', has_text=second[0]).first.wait_for()
    await page.locator(FRESH + '[data-testid="stDataFrame"]').first.wait_for()
    return time.perf_counter() - start


async def timed(steps) -> list[float]:
    """Run the steps at once; a step past its timeout counts as infinitely long (shown as "> 120 s")."""
    done = await asyncio.gather(*steps, return_exceptions=True)
    for outcome in done:
        if isinstance(outcome, BaseException) and not isinstance(outcome, PlaywrightTimeout):
            raise outcome
    return [math.inf if isinstance(outcome, BaseException) else outcome for outcome in done]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def seconds(value: float) -> str:
    return f"> {STEP_TIMEOUT / 1000:.0f} s" if math.isinf(value) else f"{value:.2f} s"


def quantiles(values: list[float]) -> str:
    return f"p50 {seconds(statistics.median(values))}, p95 {seconds(p95(values))}, max {seconds(max(values))}"


async def back_to(proc: subprocess.Popen, baseline: float) -> tuple[float, int]:
    """Server memory once back within 5 % of `baseline`, or after a minute: (MB, seconds waited)."""
    waited = 0
    while waited < 60:
        await asyncio.sleep(5)
        waited += 5
        if rss_mb(proc) <= baseline * 1.05:
            break
    return rss_mb(proc), waited


async def over_protocol(
    base: str, proc: subprocess.Popen, keys: list[str], first: str, second: tuple[str, str]
) -> dict:
    """The sessions over the websocket alone: opened one by one on Tổng quan, then all at once Xếp hạng, then
    all at once the other year."""
    baseline = rss_mb(proc)
    sessions = [await Session.open(base, key) for key in keys]
    for session in sessions:
        await session.run("")
    idle = rss_mb(proc)
    opened = await asyncio.gather(*[s.run("xep-hang") for s in sessions])
    assert all(first in shown_text(elements) for _, elements in opened), "the ranking page did not show the year"
    switch = [select(elements, "Năm", second[1]) for _, elements in opened]
    switched = await asyncio.gather(*[s.run("xep-hang", [w]) for s, w in zip(sessions, switch)])
    assert all(second[0] in shown_text(elements) for _, elements in switched), "the other year did not show"
    loaded = rss_mb(proc)
    sent = sum(s.received for s in sessions) / len(sessions) / 2**20
    for session in sessions:
        await session.close()
    after, waited = await back_to(proc, baseline)
    return {
        "ranking": [t for t, _ in opened],
        "switch": [t for t, _ in switched],
        "baseline": baseline,
        "idle": idle,
        "loaded": loaded,
        "after": after,
        "waited": waited,
        "sent": sent,
    }


async def in_browsers(base: str, proc: subprocess.Popen, keys: list[str], first: str, second: tuple[str, str]) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        baseline = rss_mb(proc)
        opened = [await open_session(browser, base, k) for k in keys]  # one by one: see the docstring
        idle = rss_mb(proc)
        pages = [page for _, page in opened]
        ranking = await timed([to_ranking(page, base, first) for page in pages])
        switched = await timed([switch_year(page, second) for page in pages])
        loaded = rss_mb(proc)
        for context, _ in opened:
            await context.close()
        await browser.close()
    after, waited = await back_to(proc, baseline)
    return {
        "ranking": ranking,
        "switch": switched,
        "baseline": baseline,
        "idle": idle,
        "loaded": loaded,
        "after": after,
        "waited": waited,
    }


def report(label: str, how: str, count: int, found: dict, target: float, before: str) -> None:
    print(f"\n{label}: {count} sessions at once, {how}")
    print(f"  open Xếp hạng from the menu, all at once:  {quantiles(found['ranking'])}")
    print(f"  switch the year, all at once:               {quantiles(found['switch'])}")
    per = (found["idle"] - found["baseline"]) / count
    print(
        f"  server memory: {found['baseline']:.0f} MB before, {found['idle']:.0f} MB with the sessions open idle "
        f"({per:.1f} MB per session), {found['loaded']:.0f} MB after their clicks, {found['after']:.0f} MB "
        f"{found['waited']} s after they closed"
        + (f"; {found['sent']:.1f} MB sent per session" if "sent" in found else "")
    )
    name = f"{count} sessions, {label}, {how}"
    figure(f"{name}: p95 opening Xếp hạng", seconds(p95(found["ranking"])), f"≤ {target:g} s", before)
    figure(f"{name}: p95 switching the year", seconds(p95(found["switch"])), f"≤ {target:g} s", before)
    figure(f"{name}: memory per idle session", f"{per:.1f} MB", "≤ 20 MB")
    figure(
        f"{name}: memory a minute after closing",
        f"{found['after']:.0f} MB (baseline {found['baseline']:.0f} MB)",
        "back to the baseline",
        "not returned (498 → 868 MB)",
    )


async def run(base: str, proc: subprocess.Popen, url: str, count: int, label: str, target: float, before: str) -> None:
    from scoring.store import Store

    store = Store(url)
    years = sorted(store.active_versions(), reverse=True)
    units = {y: len(store.load(y)[0].units) for y in years}
    other = next(y for y in years[1:] if units[y] != units[years[0]])  # its caption tells the switch is done
    first, second = f"{units[years[0]]} đơn vị", (f"{units[other]} đơn vị", str(other))
    keys = tokens(url, 2 * count + 1)
    warm = await Session.open(base, keys[-1])  # the first visit fills the shared caches
    await warm.run("")
    _, elements = await warm.run("xep-hang")
    await warm.run("xep-hang", [select(elements, "Năm", second[1])])
    await warm.close()
    await asyncio.sleep(2)
    report(label, "protocol only", count, await over_protocol(base, proc, keys[:count], first, second), target, before)
    report(
        label, "Chromium", count, await in_browsers(base, proc, keys[count : 2 * count], first, second), target, before
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--units", type=int, default=60_000)
    args = parser.parse_args()
    sessions = max(1, min(args.sessions, MAX_SESSIONS))
    stores = (
        ("sample store", 0, 2, "20 s p50 (protocol only)"),
        (f"sample store + {args.units}-unit 2025", args.units, 4, "2.4–3 s of server CPU a session"),
    )
    for label, units, target, before in stores[: 2 if args.units else 1]:  # --units 0: the sample store only
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
