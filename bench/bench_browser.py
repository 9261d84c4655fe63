"""What a person waits for: every page of the app in Debian's Chromium (Playwright, headless, loopback only), against
one app server started the README's way, on a store holding the sample years (and with --units N a N-unit 2025).

For each page, from navigation to its main table or chart visible: cold (a fresh browser, empty cache, typing the
page's address; median of three) and warm (from the menu of the open app, as people move between pages; median of
three rounds, after one round that loads the chart library). The cold figure is divided by its floor, measured in
the same run and browser, alternating with the pages: a bare Streamlit page with one plotly chart (bench/floors/
chart.py) for a page whose main element is a chart, a bare page with one table (bench/floors/table.py) for the
others. Prints a table and the server's memory after the visits.
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
    "bao-cao": '[data-testid="stButton"]',  # the report is made on a click: its button
    "tai-len": '[data-testid="stFileUploader"]',
    "dot-danh-gia": "h1",
}


# Warm page loads a reviewer measured in Chromium on a store with a 60,000-unit year, before this work.
BEFORE = {"xep-hang": "≈ 40 s", "don-vi": "≈ 13 s", "": "≈ 10 s", "xu-huong": "≈ 5 s", "tieu-chi": "≈ 4 s"}


FLOORS = {CHART: ROOT / "bench" / "floors" / "chart.py", DATAFRAME: ROOT / "bench" / "floors" / "table.py"}
ROUNDS = 3


def floor_of(path: str) -> str:
    """The floor a page is divided by: the chart floor for a page whose main element is a chart, else the table's."""
    return CHART if PAGES[path] == CHART else DATAFRAME


async def cold(browser, base: str, token: str | None, path: str, main: str | None = None) -> tuple[float, str]:
    """A first visit in a fresh browser: (seconds to the main element, the page's title)."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    if token:
        await context.add_cookies([{"name": "danvan_phien", "value": token, "url": base}])
    page = await context.new_page()
    start = time.perf_counter()
    await page.goto(f"{base}/{path}", timeout=STEP_TIMEOUT)
    shown = await _shown(page, path, start, main)
    title = await page.locator(FRESH + "h1").first.inner_text()
    await context.close()
    return shown, title


async def warm(page, base: str, path: str, title: str) -> float:
    """The page opened from the menu of the open app: seconds to its main element."""
    start = time.perf_counter()
    await page.locator(f'[data-testid="stSidebarNav"] a[href="{base}/{path}"]').click()
    await page.locator(FRESH + "h1", has_text=title).first.wait_for(timeout=STEP_TIMEOUT)
    return await _shown(page, path, start)


async def _shown(page, path: str, start: float, main: str | None = None) -> float:
    main = main or PAGES[path]
    try:
        await page.locator(FRESH + main.replace(", ", ", " + FRESH)).first.wait_for(
            state="visible", timeout=STEP_TIMEOUT
        )
    except Exception:
        await page.screenshot(path=str(OUT / f"browser-failed-{path or 'tong-quan'}.png"), full_page=True)
        raise
    return time.perf_counter() - start


async def run(
    base: str, proc, url: str, paths: list[str], floors: dict[str, str], rounds: int = ROUNDS
) -> dict[str, tuple[float, float]]:
    """Per page: (cold seconds, warm seconds); the floors' cold seconds and each page's ratio printed."""
    from playwright.async_api import async_playwright

    token = tokens(url, 1)[0]
    baseline = rss_mb(proc)
    colds, titles, warm_visits = {p: [] for p in [*floors, *paths]}, {}, {path: [] for path in paths}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(rounds):  # alternating: each page beside the floors, round after round
            for kind, floor in floors.items():
                colds[kind].append((await cold(browser, floor, None, "", kind))[0])
                print(f"  cold floor {kind}: {colds[kind][-1]:.2f} s", file=sys.stderr)
            for path in paths:
                seconds, titles[path] = await cold(browser, base, token, path)
                colds[path].append(seconds)
                print(f"  cold /{path}: {seconds:.2f} s", file=sys.stderr)
        context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        await context.add_cookies([{"name": "danvan_phien", "value": token, "url": base}])
        page = await context.new_page()
        await page.goto(f"{base}/dot-danh-gia", timeout=STEP_TIMEOUT)
        for round_ in range(rounds + 1):
            for path in paths:
                seconds = await warm(page, base, path, titles[path])
                if round_:  # the first round loads the chart library into the page
                    warm_visits[path].append(seconds)
        await browser.close()
    floor = {kind: statistics.median(colds[kind]) for kind in floors}
    figures = {path: (statistics.median(colds[path]), statistics.median(warm_visits[path])) for path in paths}
    print(f"\nfloors ({rounds} cold opens, median): chart {floor[CHART]:.2f} s, table {floor[DATAFRAME]:.2f} s")
    print(f"{'page':<16}{'cold':>8}{'÷ floor':>9}{'warm':>8}   (seconds to the main table or chart)")
    for path, (first, again) in figures.items():
        print(f"/{path:<15}{first:>8.2f}{first / floor[floor_of(path)]:>8.2f}×{again:>8.2f}")
    print("targets: cold ≤ 1.15× the floor of its kind (a fresh browser typing the address); warm ≤ 1 s (the menu)")
    print(f"server memory: {baseline:.0f} MB before the visits, {rss_mb(proc):.0f} MB after")
    for path, (first, again) in figures.items():
        kind = "chart" if floor_of(path) == CHART else "table"
        figure(f"browser /{path} warm (from the menu)", f"{again:.2f} s", "≤ 1 s", BEFORE.get(path, "—"))
        figure(f"browser /{path} cold ÷ bare {kind} page", f"{first / floor[floor_of(path)]:.2f}×", "≤ 1.15×")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=0, help="add a year of this many units (0: the sample years only)")
    ap.add_argument("--pages", nargs="+", default=list(PAGES))
    args = ap.parse_args()
    paths = ["" if p in ("", "tong-quan") else p for p in args.pages]
    url = f"sqlite:///{tempfile.mkdtemp()}/browser.sqlite"
    from scoring import service
    from scoring.store import Store
    from scoring.web.opened import SAMPLE_DIR

    service.seed(Store(url), SAMPLE_DIR)
    if args.units:
        source = OUT / f"national_{args.units}.xlsx"
        if not source.exists():
            OUT.mkdir(parents=True, exist_ok=True)
            make_workbook(source, args.units)
        t = time.perf_counter()
        assert service.import_files(Store(url), [(source.name, source.read_bytes())]).ok
        print(f"store: the sample years and a {args.units}-unit 2025 (imported in {time.perf_counter() - t:.1f} s)")
    else:
        print("store: the sample years")
    servers = [start_server(url)]  # on a store that already holds the years, as after an import yesterday
    try:
        floors = {}
        for kind, script in FLOORS.items():
            servers.append(start_server(url, script))
            floors[kind] = servers[-1][1]
        asyncio.run(run(servers[0][1], servers[0][0], url, paths, floors))
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
