"""End to end in a real browser: Playwright drives Debian's Chromium against `python app.py` on 127.0.0.1.

Signs in (the form, the cookie route, the lockout, the first-start administrator), checks what each role may
open, also by typing addresses; uploads a consolidated workbook and a set of per-unit forms, saves them, opens
the ranking, downloads "Tải báo cáo Excel" and checks its ranking against the engine; screenshots every page
into tests/artifacts/ (ignored by git) to be looked at.
"""

from datetime import UTC
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import delete

from scoring import schema, service
from scoring.accounts import FIRST_PASSWORD_FILE, Accounts
from scoring.framework import TIER_CODES, TIER_NAMES
from scoring.store import Store
from tests.servers import CHROMIUM, app_server
from tests.signing import PASSWORD, add_account, session_token

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
ARTIFACTS = ROOT / "tests" / "artifacts"
PAGES = {
    "tong-quan": "",
    "tai-len": "tai-len",
    "xep-hang": "xep-hang",
    "don-vi": "don-vi",
    "nguoi-dung-dau": "nguoi-dung-dau",
    "xu-huong": "xu-huong",
    "tieu-chi": "tieu-chi",
    "bao-cao": "bao-cao",
    "dot-danh-gia": "dot-danh-gia",
    "tham-dinh": "tham-dinh",
    "tai-khoan": "tai-khoan",
}
CONTENT = (
    ", ".join(f'[data-testid="{t}"]' for t in ("stDataFrame", "stFileUploader", "stAlert"))
    + ", a.danvan-tai, .js-plotly-plot"
)  # a.danvan-tai: a file offered for download (scoring/web/downloads.py)


TITLES = {
    "": "Tổng quan đánh giá công tác dân vận",
    "tai-len": "Tải lên bảng điểm",
    "xep-hang": "Xếp hạng các đơn vị",
    "don-vi": "Hồ sơ đơn vị",
    "nguoi-dung-dau": "Đánh giá người đứng đầu",
    "xu-huong": "Xu hướng qua các năm",
    "tieu-chi": "Bộ tiêu chí",
    "bao-cao": "Báo cáo và văn bản",
    "dot-danh-gia": "Đợt đánh giá",
    "tu-cham": "Tự chấm điểm",
    "tham-dinh": "Thẩm định",
    "tai-khoan": "Tài khoản và nhật ký",
}
TAB_TITLES = {
    "": "Tổng quan",
    "tai-len": "Tải lên",
    "xep-hang": "Xếp hạng",
    "don-vi": "Đơn vị",
    "nguoi-dung-dau": "Người đứng đầu",
    "xu-huong": "Xu hướng",
    "tieu-chi": "Tiêu chí",
    "bao-cao": "Báo cáo",
    "dot-danh-gia": "Đợt đánh giá",
    "tu-cham": "Tự chấm",
    "tham-dinh": "Thẩm định",
    "tai-khoan": "Tài khoản",
}
REFUSED = "Không có quyền truy cập"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    assert Path(CHROMIUM).exists(), "Chromium is required: run `make test`, which installs it"
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'e2e.sqlite'}"
    with app_server(url, seed=False) as base:
        yield base, url


def new_context(browser, https: bool = False):
    """A browser profile of its own (cookies included), at 1,400 px as on an office screen, in English: whatever the
    browser's language, the app's texts, dates and numbers are Vietnamese. `https`: trusting the deployment test's
    self-signed certificate."""
    return browser.new_context(
        viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="en-US", ignore_https_errors=https
    )


def signed_in(browser, base: str, url: str, login: str = "canbo", role: str = "can_bo", unit: str | None = None):
    """A browser profile holding a session of this account (created when missing): the sign-in form itself is
    tested in `test_sign_in_form_cookie_and_lockout`."""
    accounts = add_account(url, login, role, unit) if not _exists(url, login) else None
    from scoring.accounts import Accounts

    token = session_token(accounts or Accounts(Store(url)), login)
    context = new_context(browser)
    context.add_cookies([{"name": "danvan_phien", "value": token, "url": base, "httpOnly": True, "sameSite": "Strict"}])
    return context


def _exists(url: str, login: str) -> bool:
    from scoring.access import operator
    from scoring.accounts import Accounts

    return any(a.login == login for a in Accounts(Store(url)).list(operator("kiểm thử")))


def open_page(context, base: str, path: str, outside: list | None = None):
    """A page of this profile; requests leaving this machine are recorded in `outside`."""
    page = context.new_page()
    if outside is not None:
        page.on(
            "request",
            lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else outside.append(r.url),
        )
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
        if path == "tu-cham":  # a unit's own page: the unit account opens it in test_each_role_…
            continue
        with app_server(url, seed=True) as base:
            page = open_page(signed_in(browser, base, url, "quantri2", "quan_tri"), base, path, outside)
            page.get_by_role("heading", name=title, level=1).wait_for(timeout=90_000)
            page.wait_for_timeout(1000)  # the dialog, when it comes, follows the first script run
            assert page.get_by_text("Page not found").count() == 0, path
            assert page.locator('[role="dialog"]').count() == 0, path
            assert page.title() == TAB_TITLES[path], path
            page.context.close()
    assert outside == []  # no font, icon or script fetched from the internet: offices may be offline


def test_upload_rank_download_and_screenshots(server, browser, tmp_path):
    base, url = server
    ARTIFACTS.mkdir(exist_ok=True)
    officer = signed_in(browser, base, url)
    page = open_page(officer, base, "")
    page.get_by_text("Chưa có dữ liệu năm nào").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "trong.png"), full_page=True)
    page.close()

    page = open_page(officer, base, "tai-len")
    upload_and_save(page, [SAMPLE / "tong_hop_2024.xlsx"], "Năm 2024: năm mới", "45 đơn vị sau khi lưu")
    page.close()
    forms = sorted((SAMPLE / "phieu_2025").glob("*.xlsx"))
    page = open_page(officer, base, "tai-len")
    upload_and_save(page, forms, "Năm 2025: năm mới", f"{len(forms)} đơn vị sau khi lưu")
    page.screenshot(path=str(ARTIFACTS / "tai-len-da-luu.png"), full_page=True)
    page.close()

    store = Store(url)
    assert sorted(store.years()["year"]) == [2024, 2025]
    assert {d.imported_by for y in (2024, 2025) for d in store.history(y)} == {"canbo"}
    expected = service.rate_stored_year(store, 2025).units

    page = open_page(officer, base, "xep-hang")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=60_000)
    assert page.get_by_text(f"{len(forms)} đơn vị").count() >= 1
    page.close()

    page = open_page(officer, base, "bao-cao")
    page.get_by_label("Người ký", exact=True).fill("Trần Thị Bình")  # no Enter: the form takes what is typed
    page.get_by_role("button", name="Lưu thông tin cấp ủy").click()
    page.get_by_text("Đã lưu thông tin cấp ủy.").wait_for(timeout=60_000)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("link", name="Tải báo cáo Excel").click(timeout=120_000)
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

    admin = signed_in(browser, base, url, "quantri2", "quan_tri")
    for name, path in PAGES.items():
        page = open_page(admin, base, path)
        page.locator(CONTENT).filter(visible=True).first.wait_for(timeout=90_000)  # (one may be in a closed expander)
        page.wait_for_timeout(1500)  # let plotly finish drawing
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        errors = page.locator('[data-testid="stException"]').count()
        page.close()
        assert errors == 0, name


# ---------------------------------------------------------------- signing in and roles

NAV = '[data-testid="stSidebarNav"] a'
ROLE_PAGES = {  # the menu each role sees; every other path is refused
    "quan_tri": [t for p, t in TAB_TITLES.items() if p != "tu-cham"],
    "can_bo": [t for p, t in TAB_TITLES.items() if p not in ("tai-khoan", "tu-cham")],
    "lanh_dao": [t for p, t in TAB_TITLES.items() if p not in ("tai-khoan", "tai-len", "tu-cham", "tham-dinh")],
    "don_vi": ["Xếp hạng", "Đơn vị", "Tự chấm"],
}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'roles.sqlite'}"
    with app_server(url, seed=True) as base:
        yield base, url


def heading(page) -> str:
    page.wait_for_selector("h1", timeout=90_000)
    return page.locator("h1").first.inner_text().strip()


def fill_sign_in(page, login: str, password: str) -> None:
    page.get_by_label("Tên đăng nhập").fill(login)
    page.get_by_role("textbox", name="Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()


def test_signed_out_every_path_shows_only_the_sign_in_form(seeded, browser):
    base, _ = seeded
    context = new_context(browser)
    for path in TAB_TITLES:
        page = open_page(context, base, path)
        assert heading(page) == "Đăng nhập", path
        page.wait_for_timeout(500)
        assert page.locator(NAV).count() == 0, path
        assert page.locator(CONTENT).count() == 0, path
        page.close()
    context.close()


def test_sign_in_form_cookie_and_lockout(seeded, browser):
    base, url = seeded
    add_account(url, "bikhoa", "can_bo")
    add_account(url, "lanhdao", "lanh_dao")
    context = new_context(browser)
    page = open_page(context, base, "xep-hang")
    for attempt in range(5):
        fill_sign_in(page, "bikhoa", f"sai-mat-khau-{attempt}")
        page.get_by_text("Tên đăng nhập hoặc mật khẩu không đúng.").wait_for(timeout=30_000)
        page.reload()
        assert heading(page) == "Đăng nhập"
    fill_sign_in(page, "bikhoa", PASSWORD)  # the right password, but this browser's address must wait now
    page.get_by_text("Đã đăng nhập sai nhiều lần từ máy này; hãy thử lại sau 15 phút.").wait_for(timeout=30_000)
    assert not [c for c in context.cookies() if c["name"] == "danvan_phien"]
    failed = Store(url).audit(10, actions=["sign_in_failed"])
    assert len(failed) == 5 and all(d.startswith("Đăng nhập sai, từ ") for d in failed["detail"])
    with Store(url).writing() as conn:  # a quarter of an hour later
        conn.execute(delete(schema.sign_in_failures))

    fill_sign_in(page, "lanhdao", PASSWORD)
    page.get_by_role("heading", name=TITLES["xep-hang"], level=1).wait_for(timeout=90_000)  # the page asked for
    cookie = next(c for c in context.cookies() if c["name"] == "danvan_phien")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and PASSWORD not in cookie["value"]
    assert "lanh_dao" not in cookie["value"] and page.evaluate("document.cookie").find("danvan_phien") == -1
    page.reload()
    assert heading(page) == TITLES["xep-hang"]  # a reload keeps the session
    tab = open_page(context, base, "don-vi")
    assert heading(tab) == TITLES["don-vi"]  # so does a new tab of the same browser
    tab.close()
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("heading", name="Đăng nhập", level=1).wait_for(timeout=60_000)
    page.goto(f"{base}/xep-hang")
    assert heading(page) == "Đăng nhập"
    context.close()
    replay = new_context(browser)  # the old cookie, kept by someone: the session has ended on the server
    replay.add_cookies([{"name": cookie["name"], "value": cookie["value"], "url": base}])
    assert heading(open_page(replay, base, "xep-hang")) == "Đăng nhập"
    replay.close()


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_each_role_sees_its_pages_and_is_refused_the_others(seeded, browser, role):
    base, url = seeded
    context = signed_in(browser, base, url, f"vai-{role}".replace("_", "-"), role, "DV07" if role == "don_vi" else None)
    page = open_page(context, base, "")
    heading(page)
    page.wait_for_timeout(1000)
    menu = [a.inner_text().strip().split("\n")[-1] for a in page.locator(NAV).all()]
    assert menu == (ROLE_PAGES[role] if len(ROLE_PAGES[role]) > 1 else [])  # Streamlit shows no menu of one page
    page.close()
    for path, tab in TAB_TITLES.items():
        page = open_page(context, base, path)  # typed into the address bar
        title = heading(page)
        if tab in ROLE_PAGES[role]:
            assert title == TITLES[path], (role, path)
        elif path == "" and role == "don_vi":
            assert title == TITLES["don-vi"]  # the bare address leads a unit to its own page
        else:
            assert title == REFUSED, (role, path)
            assert page.locator(CONTENT.replace(', [data-testid="stAlert"]', "")).count() == 0, (role, path)
        page.close()
    context.close()


def test_unit_account_sees_only_its_own_unit(seeded, browser):
    base, url = seeded
    names = dict(zip(*[Store(url).load(2025)[0].units[c] for c in ("code", "name")]))
    context = signed_in(browser, base, url, "donvi07", "don_vi", "DV07")
    page = open_page(context, base, "don-vi")
    page.get_by_text(names["DV07"]).first.wait_for(timeout=90_000)
    page.wait_for_timeout(1500)
    text = page.locator("section.main, [data-testid='stMain']").first.inner_text()
    assert "Xếp hạng" not in text and "Hạng trong" not in text
    assert not [n for c, n in names.items() if c != "DV07" and n in text]
    assert page.get_by_role("combobox", name="Đơn vị").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "don-vi-tai-khoan-don-vi.png"), full_page=True)
    context.close()


def test_first_start_creates_the_admin_and_shows_the_sample_after_sign_in(browser, tmp_path):
    """A first start as a service (no terminal): the first password is in a file beside the data that only its
    owner reads, never in the output; the admin must change it, then sees the sample years."""
    terminal = tmp_path / "terminal.txt"
    url = f"sqlite:///{tmp_path / 'first.sqlite'}"
    with app_server(url, seed=True, terminal=terminal) as base:
        handed = tmp_path / FIRST_PASSWORD_FILE
        assert handed.stat().st_mode & 0o777 == 0o600
        password = next(line.split()[-1] for line in handed.read_text("utf-8").splitlines() if "Mật khẩu:" in line)
        context = new_context(browser)
        page = open_page(context, base, "")
        ARTIFACTS.mkdir(exist_ok=True)
        page.get_by_text("Tên đăng nhập").wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "dang-nhap.png"), full_page=True)
        fill_sign_in(page, "quantri", password)
        page.get_by_role("heading", name="Đổi mật khẩu", level=1).wait_for(timeout=90_000)
        page.get_by_text("Nhập lại mật khẩu mới").wait_for(timeout=30_000)
        assert page.locator(NAV).count() == 0  # nothing else before the new password
        page.screenshot(path=str(ARTIFACTS / "doi-mat-khau.png"), full_page=True)
        page.get_by_role("textbox", name="Mật khẩu mới", exact=True).fill("mat-khau-quan-tri-moi")
        page.get_by_role("textbox", name="Nhập lại mật khẩu mới", exact=True).fill("mat-khau-quan-tri-moi")
        page.get_by_role("button", name="Lưu mật khẩu mới").click()
        page.get_by_role("heading", name=TITLES[""], level=1).wait_for(timeout=90_000)
        page.get_by_text("Số đơn vị").first.wait_for(timeout=60_000)
        context.close()
        assert Accounts(Store(url)).sign_in("quantri", password) is None  # the first password opened one session
    assert password not in terminal.read_text("utf-8")


def test_round_pages_in_the_browser(seeded, browser):
    """The round's pages for the people who use them, looked at (screenshots); the full round played through the
    browser comes with the rest of the round's pages."""
    from datetime import datetime, timedelta

    from scoring.access import Actor, Role
    from scoring.framework import UNIT, load_preset
    from scoring.rounds import Rounds, key

    base, url = seeded
    rounds = Rounds(Store(url))
    units = Store(url).load(2025)[0].units.head(4)
    if rounds.get(2026) is None:
        now = datetime.now(UTC)
        rounds.open(
            Actor("canbo", Role.OFFICER), 2026, load_preset(), units, now + timedelta(days=7), now + timedelta(days=14)
        )
        first = Actor("dv", Role.UNIT, units["code"].iloc[0])
        rounds.save_draft(
            first,
            2026,
            first.unit_code,
            {key(c.target, c.code): float(c.max_points) - 1 for c in load_preset().criteria},
            {key(UNIT, "1.1"): "Tổ chức 4 hội nghị"},
            {"name": "Nguyễn Văn Tâm", "title": "Bí thư"},
        )
        rounds.add_evidence(first, 2026, first.unit_code, "bien_ban.pdf", b"%PDF-1.4\n%%EOF\n", key(UNIT, "1.1"))
        rounds.submit(first, 2026, first.unit_code)
        rounds.appraise(
            Actor("canbo", Role.OFFICER),
            2026,
            first.unit_code,
            {key(UNIT, "2.1"): 15},
            {key(UNIT, "2.1"): "Thiếu biên bản đối thoại"},
        )
    ARTIFACTS.mkdir(exist_ok=True)
    for login, role, unit, path, text in (
        ("vong-canbo", "can_bo", None, "tham-dinh", "Thiếu biên bản đối thoại"),
        ("vong-lanhdao", "lanh_dao", None, "dot-danh-gia", "Kết quả tạm tính"),
        ("vong-dv", "don_vi", units["code"].iloc[1], "tu-cham", "Lưu nháp"),
    ):
        context = signed_in(browser, base, url, login, role, unit)
        page = open_page(context, base, path)
        assert heading(page) == TITLES[path]
        page.get_by_text(text).first.wait_for(state="attached", timeout=60_000)  # table cells are drawn on canvas
        page.wait_for_timeout(1500)
        assert page.locator('[data-testid="stException"]').count() == 0, path
        if path == "tham-dinh":  # evidence is read from the store when its button is clicked
            with page.expect_download(timeout=60_000) as download:
                page.get_by_role("link", name="Minh chứng: bien_ban.pdf (tiêu chí 1.1)").click()
            assert Path(download.value.path()).read_bytes() == b"%PDF-1.4\n%%EOF\n"
        if role == "don_vi":
            shown = page.locator("[data-testid='stMain']").first.inner_text()
            assert units["name"].iloc[1] in shown and units["name"].iloc[0] not in shown
            assert "Việc cần làm" in page.locator("[data-testid='stSidebar']").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"{path}.png"), full_page=True)
        context.close()
