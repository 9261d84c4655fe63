"""A province in a real browser (Chromium against `python app.py`): the provincial officer sees two communes side by
side on Các cấp ủy and works in either through the sidebar's chooser; a commune's officer sees only their commune,
whatever they type in the address bar. Screenshots go to tests/artifacts/."""

import io
from pathlib import Path

import openpyxl
import pytest

from scoring import service
from scoring.access import Actor, Role
from scoring.accounts import Accounts
from scoring.committees import ROOT_ID, Committees
from scoring.store import Store
from tests.servers import app_server
from tests.signing import PASSWORD, session_token
from tests.test_browser import ARTIFACTS, new_context

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = sorted((ROOT / "sample_data").glob("tong_hop_*.xlsx"))
ADMIN = Actor("quantri", Role.ADMIN)


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    """Two communes with the sample's last two years; a provincial officer and the officer of the first commune."""
    url = f"sqlite:///{tmp_path_factory.mktemp('province') / 'p.sqlite'}"
    store = Store(url)
    accounts = Accounts(store)
    accounts.create(ADMIN, "canbo-tinh", Role.OFFICER, PASSWORD, "Cán bộ Ban Dân vận Tỉnh ủy", committee_id=ROOT_ID)
    for code, name in (("XA01", "Đảng ủy xã An Phú"), ("XA02", "Đảng ủy xã Bình Minh")):
        committee = Committees(store).add(ADMIN, code, name)
        service.import_files(store.within(committee.id), [(p.name, p.read_bytes()) for p in SAMPLE[-2:]])
        if code == "XA01":
            accounts.create(ADMIN, "canbo-xa01", Role.OFFICER, PASSWORD, "Cán bộ xã An Phú", committee_id=committee.id)
    with app_server(url, seed=False) as base:
        yield base, accounts


def _as(browser, base: str, accounts: Accounts, login: str):
    context = new_context(browser)
    token = session_token(accounts, login)
    context.add_cookies([{"name": "danvan_phien", "value": token, "url": base, "httpOnly": True, "sameSite": "Strict"}])
    return context


def _open(context, base: str, path: str):
    page = context.new_page()
    page.goto(f"{base}/{path}")
    page.wait_for_selector("h1", timeout=90_000)
    return page


def test_the_provincial_officer_sees_two_communes_side_by_side(province, browser):
    base, accounts = province
    context = _as(browser, base, accounts, "canbo-tinh")
    page = _open(context, base, "cap-uy")
    page.get_by_text("Xếp hạng chung các đơn vị").wait_for(timeout=90_000)
    page.locator('[data-testid="stDataFrame"]').nth(2).wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    body = page.inner_text("body")
    assert "Đảng ủy xã An Phú" in body and "Đảng ủy xã Bình Minh" in body
    assert "Tải báo cáo tổng hợp các cấp ủy (Excel)" in body
    page.screenshot(path=str(ARTIFACTS / "cap-uy.png"), full_page=True)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_text("Tải báo cáo tổng hợp các cấp ủy (Excel)").click()
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["Các cấp ủy", "So sánh", "Xếp hạng chung"]
    assert book["Xếp hạng chung"].max_row > 90

    # the sidebar's chooser: the province works in a commune's pages
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').click()
    page.get_by_role("option", name="Đảng ủy xã Bình Minh").click()
    page.get_by_role("link", name="Tổng quan").click()
    page.get_by_text("Tổng quan đánh giá công tác dân vận").wait_for(timeout=60_000)
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=60_000)
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "45"
    page.screenshot(path=str(ARTIFACTS / "tong-quan-xa02.png"), full_page=True)
    context.close()


def test_a_commune_officer_sees_only_their_commune(province, browser):
    base, accounts = province
    context = _as(browser, base, accounts, "canbo-xa01")
    page = _open(context, base, "")
    page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=90_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Các cấp ủy" not in sidebar.inner_text()
    assert not sidebar.locator('[data-testid="stSelectbox"]').count()
    page = _open(context, base, "cap-uy")  # typed: the page has nothing of other communes for them
    page.get_by_text("không có cấp ủy trực thuộc").wait_for(timeout=60_000)
    assert "Bình Minh" not in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "cap-uy-xa.png"), full_page=True)
    context.close()
