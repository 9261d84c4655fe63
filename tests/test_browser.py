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
import urllib.request
from contextlib import contextmanager
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


TITLES = {"": "Tổng quan đánh giá công tác dân vận", "tai-len": "Tải lên bảng điểm", "xep-hang": "Xếp hạng các đơn vị",
          "don-vi": "Hồ sơ đơn vị", "nguoi-dung-dau": "Đánh giá người đứng đầu", "xu-huong": "Xu hướng qua các năm",
          "tieu-chi": "Bộ tiêu chí", "bao-cao": "Báo cáo xếp hạng"}
TAB_TITLES = {"": "Tổng quan", "tai-len": "Tải lên", "xep-hang": "Xếp hạng", "don-vi": "Đơn vị",
              "nguoi-dung-dau": "Người đứng đầu", "xu-huong": "Xu hướng", "tieu-chi": "Tiêu chí", "bao-cao": "Báo cáo"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(database_url: str, seed: bool):
    """A fresh server started the README's way (`python app.py`, as `make run` does); fails if it never answers."""
    port = free_port()
    env = dict(os.environ, DANVAN_DATABASE_URL=database_url, DANVAN_SEED_SAMPLE="1" if seed else "0")
    proc = subprocess.Popen([sys.executable, "app.py", "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the app exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise AssertionError("the app never answered on /_stcore/health")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert Path(CHROMIUM).exists(), "Chromium is required: run `make test`, which installs it"
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'e2e.sqlite'}"
    with app_server(url, seed=False) as base:
        yield base, url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, base: str, path: str, outside: list | None = None):
    """A page at 1,400 px, as on an office screen; requests leaving this machine are recorded in `outside`."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="vi-VN")
    if outside is not None:
        page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:"))
                else outside.append(r.url))
    page.goto(f"{base}/{path}")
    page.wait_for_selector("h1", timeout=90_000)
    return page


def upload_and_save(page, files: list[Path], heading: str, units: str) -> None:
    page.set_input_files('[data-testid="stFileUploader"] input[type="file"]', [str(f) for f in files])
    page.get_by_text(heading).wait_for(timeout=120_000)
    page.get_by_text(units).wait_for(timeout=10_000)
    page.get_by_role("button", name="Lưu", exact=True).click()
    page.get_by_text("Đã lưu: năm").wait_for(timeout=60_000)


def test_every_path_works_as_the_first_visit_of_a_fresh_server(browser, tmp_path):
    """Deep links: each page opened as the very first visit after a start, with no "Page not found" dialog."""
    url = f"sqlite:///{tmp_path / 'deep.sqlite'}"
    outside = []
    for path, title in TITLES.items():
        with app_server(url, seed=True) as base:
            page = open_page(browser, base, path, outside)
            page.get_by_role("heading", name=title, level=1).wait_for(timeout=90_000)
            page.wait_for_timeout(1000)  # the dialog, when it comes, follows the first script run
            assert page.get_by_text("Page not found").count() == 0, path
            assert page.locator('[role="dialog"]').count() == 0, path
            assert page.title() == TAB_TITLES[path], path
            page.close()
    assert outside == []  # no font, icon or script fetched from the internet: offices may be offline


def test_upload_rank_download_and_screenshots(server, browser, tmp_path):
    base, url = server
    ARTIFACTS.mkdir(exist_ok=True)
    page = open_page(browser, base, "")
    page.get_by_text("Chưa có dữ liệu năm nào").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "trong.png"), full_page=True)
    page.close()

    page = open_page(browser, base, "tai-len")
    upload_and_save(page, [SAMPLE / "tong_hop_2024.xlsx"], "Năm 2024: năm mới", "45 đơn vị sau khi lưu")
    page.close()
    forms = sorted((SAMPLE / "phieu_2025").glob("*.xlsx"))
    page = open_page(browser, base, "tai-len")
    upload_and_save(page, forms, "Năm 2025: năm mới", f"{len(forms)} đơn vị sau khi lưu")
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
    page.get_by_label("Người ký").fill("Trần Thị Bình")  # no Enter: the form takes what is typed
    page.get_by_role("button", name="Lập báo cáo").click()
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Tải báo cáo Excel").click(timeout=120_000)
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
    assert "Trần Thị Bình" in {c.value for row in ws.iter_rows() for c in row}
    # "Điểm thẩm định" only where the committee appraised the unit; "Chưa thẩm định" in Ghi chú elsewhere.
    for i, u in enumerate(expected.itertuples()):
        appraisal, note = ws.cell(header + 1 + i, 6).value, ws.cell(header + 1 + i, 14).value or ""
        assert (appraisal == u.review_score) if u.appraised else (appraisal is None and "Chưa thẩm định" in note)

    for name, path in PAGES.items():
        page = open_page(browser, base, path)
        page.wait_for_selector(CONTENT, timeout=90_000)
        page.wait_for_timeout(1500)  # let plotly finish drawing
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        errors = page.locator('[data-testid="stException"]').count()
        page.close()
        assert errors == 0, name
