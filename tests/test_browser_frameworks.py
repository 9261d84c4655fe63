"""Frameworks as provinces write them, in Chromium (issue 26): Quy định 366's conditions on Thẩm định, a criterion
only the superior scores left out of Tự chấm, and a unit not rated on Xếp hạng and Đơn vị. Screenshots go to
tests/artifacts for a person to look at."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from playwright.sync_api import expect

from scoring import service
from scoring.access import Actor, Role
from scoring.framework import load_preset
from scoring.rounds import Rounds, key
from scoring.store import Store
from tests.servers import app_server
from tests.test_browser import ARTIFACTS, open_page, signed_in
from tests.test_conditions_files import filled_template
from tests.test_round_browser import SCREEN, idle, main_text, no_english, shot

Q366 = load_preset("quy_dinh_366")
FW = replace(Q366, criteria=tuple(replace(c, scored_by="superior") if c.code == "2.3" else c for c in Q366.criteria))


@pytest.fixture
def server(tmp_path):
    url = f"sqlite:///{tmp_path / 'khung.sqlite'}"
    store = Store(url)
    service.import_files(store, [("tong_hop_2025.xlsx", filled_template())], framework=Q366)
    now = datetime.now(UTC)
    rounds = Rounds(store)
    roster = pd.DataFrame({"code": ["CB01", "CB02"], "name": ["Chi bộ Trường Tiểu học", "Chi bộ Trạm Y tế"],
                           "cluster": "Khối cơ quan"})  # fmt: skip
    rounds.open(Actor("canbo", Role.OFFICER), 2026, FW, roster, now + timedelta(days=5), now + timedelta(days=10))
    unit = Actor("cb01", Role.UNIT, "CB01")
    marks = {key(c.target, c.code): float(c.max_points) - 1 for c in FW.self_scored("unit")}
    rounds.save_draft(unit, 2026, "CB01", marks, {}, {"name": "", "title": ""})
    rounds.submit(unit, 2026, "CB01")
    with app_server(url, seed=False) as base:
        yield base, url


@pytest.mark.xdist_group("whole_flows")  # never beside the whole round in Chromium: two cores, two browsers
def test_conditions_superior_criteria_and_a_unit_not_rated_in_the_browser(server, browser):
    base, url = server
    ARTIFACTS.mkdir(exist_ok=True)
    officer = signed_in(browser, base, url, "canbo", "can_bo")
    page = open_page(officer, base, "tham-dinh")
    page.set_viewport_size(SCREEN)
    page.get_by_text("Hoàn tất thẩm định").first.click()
    idle(page)
    for label in ("Điều kiện xếp loại ngoài điểm", "Tỷ lệ nhiệm vụ vượt mức (%)", "Không xếp loại (lý do)"):
        page.get_by_text(label).first.wait_for(timeout=30_000)  # drawn as the expander opens, later under load
    no_english(page, "tham-dinh")
    shot(page, "khung-tham-dinh-dieu-kien")
    page.close()

    page = open_page(officer, base, "xep-hang")
    assert "7 đơn vị" in main_text(page)  # the one not rated is listed (its row: the screenshot)
    shot(page, "khung-xep-hang-khong-xep-loai")
    page.get_by_text("Độ ổn định của xếp loại và xếp hạng (tham khảo)").click()
    page.get_by_text("không thay đổi kết quả chính thức").wait_for(timeout=60_000)
    switch = page.get_by_label("Tính độ ổn định cho năm này")
    for _ in range(3):  # a click while the page still runs may be lost: again until the switch holds
        page.get_by_text("Tính độ ổn định cho năm này").click()
        try:
            expect(switch).to_be_checked(timeout=20_000)
            break
        except AssertionError:
            continue
    page.get_by_text("giữ xếp loại dưới 80 %").wait_for(timeout=60_000)
    assert "không thay đổi kết quả chính thức" in main_text(page)
    page.get_by_text("giữ xếp loại dưới 80 %").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "khung-on-dinh.png"))
    page.close()

    unit = signed_in(browser, base, url, "cb02", "don_vi", "CB02")
    page = open_page(unit, base, "tu-cham")
    idle(page)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=30_000)
    shot(page, "khung-tu-cham-cap-tren-cham")
    assert "2.3" not in page.locator('[data-testid="stDataFrame"]').first.inner_text()
    assert "Do cấp trên chấm, đơn vị không tự chấm: 2.3 Thực hiện nhiệm vụ đột xuất" in main_text(page)
    page.close()
