"""What a person waits for: every page of the app in Debian's Chromium (Playwright, headless, loopback only), on a
store holding the sample years and a 60,000-unit 2025, against one app server started the README's way.

For each page, from navigation to its main table or chart visible: cold (a fresh browser, empty cache, typing
the page's address: the first visit after the server started) and warm (from the menu of the open app, as people
move between pages; median of three rounds, after one round that loads the chart library). Prints a table and the
server's memory after the visits.
Usage: python bench/bench_browser.py [--units 60000] [--pages tong-quan xep-hang …]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_load import FRESH, rss_mb, start_server, tokens  # noqa: E402
from bench_rank import OUT, make_workbook  # noqa: E402
from figures import figure  # noqa: E402

from tests.servers import ARGS, CHROMIUM  # noqa: E402

STEP_TIMEOUT = 180_000  # ms: a bound against a hang, not a target
DATAFRAME, CHART = '[data-testid="stDataFrame"]', ".js-plotly-plot"
# URL path → what shows that the page is there: its main table or chart (or, for forms, the form itself).
PAGES = {
    "": CHART,
    "xep-hang": DATAFRAME,
    "don-vi": CHART,
    "nguoi-dung-dau": f'{DATAFRAME}, [data-testid="stAlert"]',  # the 60,000-unit year has no leaders sheet
    "xu-huong": CHART,
    "tieu-chi": DATAFRAME,
    "bao-cao": '[data-testid="stDownloadButton"]',
    "tai-len": '[data-testid="stFileUploader"]',
    "dot-danh-gia": "h1",
}


# Warm page loads a reviewer measured in Chromium on a store with a 60,000-unit year, before this work.
BEFORE = {"xep-hang": "≈ 40 s", "don-vi": "≈ 13 s", "": "≈ 10 s", "xu-huong": "≈ 5 s", "tieu-chi": "≈ 4 s"}


async def cold(browser, base: str, token: str, path: str) -> tuple[float, str]:
    """A first visit in a fresh browser: (seconds to the main element, the page's title)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    await context.add_cookies([{"name": "danvan_phien", "value": token, "url": base}])
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(f"{base}/{path}", timeout=STEP_TIMEOUT)
    shown = await _shown(page, path, start)
    title = await page.locator(FRESH + "h1").first.inner_text()
    await context.close()
    return shown, title


async def warm(page, base: str, path: str, title: str) -> float:
    """The page opened from the menu of the open app: seconds to its main element."""
    start = time.perf_counter()
    await page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/{path}"]').click()
    await page.locator(FRESH + "h1", has_text=title).first.wait_for(timeout=STEP_TIMEOUT)
    return await _shown(page, path, start)


async def _shown(page, path: str, start: float) -> float:
    try:
        await page.locator(FRESH + PAGES[path].replace(", ", ", " + FRESH)).first.wait_for(
            state="visible", timeout=STEP_TIMEOUT
        )
    except Exception:
        await page.screenshot(path=str(OUT / f"browser-failed-{path or 'tong-quan'}.png"), full_page=True)
        raise
    return time.perf_counter() - start


async def run(base: str, proc, url: str, paths: list[str], rounds: int = 3) -> dict[str, tuple[float, float]]:
    """Per page: (cold seconds, warm seconds)."""
    from playwright.async_api import async_playwright

    token = tokens(url, 1)[0]
    baseline = rss_mb(proc)
    cold_visits, warm_visits = {}, {path: [] for path in paths}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for path in paths:
            cold_visits[path] = await cold(browser, base, token, path)
            print(f"  cold /{path}: {cold_visits[path][0]:.2f} s", file=sys.stderr)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        await context.add_cookies([{"name": "danvan_phien", "value": token, "url": base}])
        page = await context.new_page()
        await page.goto(f"{base}/dot-danh-gia", timeout=STEP_TIMEOUT)
        for round_ in range(rounds + 1):
            for path in paths:
                seconds = await warm(page, base, path, cold_visits[path][1])
                if round_:  # the first round loads the chart library into the page
                    warm_visits[path].append(seconds)
        await browser.close()
    figures = {path: (cold_visits[path][0], statistics.median(warm_visits[path])) for path in paths}
    print(f"\n{'page':<16}{'cold':>8}{'warm':>8}   (seconds to the main table or chart)")
    for path, (first, again) in figures.items():
        print(f"/{path:<15}{first:>8.2f}{again:>8.2f}")
    print("targets: ≤ 3 s cold (a fresh browser typing the address), ≤ 1 s warm (from the menu)")
    print(f"server memory: {baseline:.0f} MB before the visits, {rss_mb(proc):.0f} MB after")
    for path, (first, again) in figures.items():
        before = BEFORE.get(path, "—")
        figure(f"browser /{path} warm (from the menu)", f"{again:.2f} s", "≤ 1 s", before)
        figure(f"browser /{path} cold (fresh browser)", f"{first:.2f} s", "≤ 3 s")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=60_000)
    ap.add_argument("--pages", nargs="+", default=list(PAGES))
    args = ap.parse_args()
    paths = ["" if p in ("", "tong-quan") else p for p in args.pages]
    url = f"sqlite:///{tempfile.mkdtemp()}/browser.sqlite"
    from scoring import service
    from scoring.store import Store
    from scoring.web.opened import SAMPLE_DIR

    source = OUT / f"national_{args.units}.xlsx"
    if not source.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        make_workbook(source, args.units)
    service.seed(Store(url), SAMPLE_DIR)
    t = time.perf_counter()
    assert service.import_files(Store(url), [(source.name, source.read_bytes())]).ok
    print(f"store: the sample years and a {args.units}-unit 2025 (imported in {time.perf_counter() - t:.1f} s)")
    proc, base = start_server(url)  # on a store that already holds the year, as after an import yesterday
    try:
        asyncio.run(run(base, proc, url, paths))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
