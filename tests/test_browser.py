"""End to end in a real browser: Playwright drives Debian's Chromium against `streamlit run` on 127.0.0.1.

Uploads a consolidated workbook and a set of per-unit forms, saves them, opens the ranking, downloads
"Tải báo cáo Excel" and checks its ranking against the engine; screenshots every page into
tests/artifacts/ (ignored by git) to be looked at.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from scoring.framework import TIER_CODES, TIER_NAMES
from scoring import service
from scoring.store import Store

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic"]
PAGES = {"tong-quan": "", "tai-len": "tai-len", "xep-hang": "xep-hang", "don-vi": "don-vi",
         "nguoi-dung-dau": "nguoi-dung-dau", "xu-huong": "xu-huong", "tieu-chi": "tieu-chi", "bao-cao": "bao-cao"}
CONTENT = ", ".join(f"[data-testid=\"{t}\"]" for t in ("stDataFrame", "stFileUploader", "stAlert", "stDownloadButton")) + ", .js-plotly-plot"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert Path(CHROMIUM).exists(), "Chromium is required: run `make test`, which installs it"
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'e2e.sqlite'}"
    port = free_port()
    env = dict(os.environ, DANVAN_DATABASE_URL=url, DANVAN_SEED_SAMPLE="0")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port",
                             str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            break
        except OSError:
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}", url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, base: str, path: str):
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page.goto(f"{base}/{path}")
    page.wait_for_selector("h1", timeout=90_000)
    return page


def upload_and_save(page, files: list[Path], year: int, units: int) -> None:
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', [str(f) for f in files])
    page.get_by_text(f"Xem trước năm {year}: {units} đơn vị").wait_for(timeout=120_000)
    page.get_by_role("button", name="Lưu", exact=True).click()
    page.get_by_text("Đã lưu: năm").wait_for(timeout=60_000)


def test_upload_rank_download_and_screenshots(server, browser, tmp_path):
    base, url = server
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, base, "")
    page.get_by_text("Chưa có dữ liệu năm nào").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "trong.png"), full_page=True)
    page.close()

    page = open_page(browser, base, "tai-len")
    upload_and_save(page, [SAMPLE / "tong_hop_2024.xlsx"], 2024, 45)
    page.close()
    forms = sorted((SAMPLE / "phieu_2025").glob("*.xlsx"))
    page = open_page(browser, base, "tai-len")
    upload_and_save(page, forms, 2025, len(forms))
    page.screenshot(path=str(ARTIFACTS / "tai-len-da-luu.png"), full_page=True)
    page.close()

    store = Store(url)
    assert sorted(store.years()["year"]) == [2024, 2025]
    expected = service.rate_stored_year(store, 2025).units

    page = open_page(browser, base, "xep-hang")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    assert page.get_by_text(f"{len(forms)} đơn vị").count() >= 1
    page.close()

    page = open_page(browser, base, "bao-cao")
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Tải báo cáo Excel").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    page.close()
    assert saved.name == "bao_cao_dan_van_2025.xlsx"
    ws = openpyxl.load_workbook(saved)["Xếp hạng"]
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "STT")
    names = {code: TIER_NAMES[t] for t, code in TIER_CODES.items()}
    got = [[ws.cell(header + 1 + i, c).value for c in (2, 9, 10, 11)] for i in range(len(expected))]
    assert got == [[u.code, u.total, names[u.tier], u.rank] for u in expected.itertuples()]
    assert ws.cell(header + 1 + len(expected), 2).value is None

    for name, path in PAGES.items():
        page = open_page(browser, base, path)
        page.wait_for_selector(CONTENT, timeout=90_000)
        page.wait_for_timeout(1500)  # let plotly finish drawing
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        errors = page.locator('[data-testid="stException"]').count()
        page.close()
        assert errors == 0, name
