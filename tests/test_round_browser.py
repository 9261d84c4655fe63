"""A whole evaluation round played in Chromium with four accounts (an officer, the leadership, two units):
open the round; one unit self-assesses in the web form with a PDF attached, the other fills its draft from its
Excel form; the committee asks the first to explain, it answers; appraisal changes a score with a reason; the
leadership publishes. Then the published ranking equals `python -m scoring rank` on the round's exported
workbook, the units saw nothing of each other before and see the ranking after, and the history names who changed
what, when and why. Screenshots go to tests/artifacts/ (the README's come from here)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from scoring import service
from scoring.access import Actor, Role
from scoring.framework import LEADER, UNIT, load_preset
from scoring.rounds import Rounds
from scoring.store import Store
from scoring.template import FORM_SHEET, Heading, write_form
from tests.servers import app_server
from tests.test_browser import ARTIFACTS, TITLES, heading, new_context, open_page, signed_in

ROOT = Path(__file__).resolve().parents[1]
FW = load_preset()
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
YEAR = 2026
OFFICER = Actor("canbo", Role.OFFICER)
# Unit A types these in the web form (one per criterion, in the framework's order): 96 for the unit, 95 for
# its leader. Unit B's form says 80 and 90.
SELF_A = {"1.1": 10, "1.2": 9, "1.3": 10, "2.1": 19, "2.2": 15, "2.3": 14, "2.4": 14, "2.5": 5,
          "N1": 20, "N2": 28, "N3": 27, "N4": 20}
SELF_B = {"1.1": 8, "1.2": 8, "1.3": 8, "2.1": 16, "2.2": 12, "2.3": 12, "2.4": 12, "2.5": 4,
          "N1": 18, "N2": 27, "N3": 27, "N4": 18}


def wait_toast(page, text: str) -> None:
    page.get_by_text(text).first.wait_for(timeout=90_000)


def idle(page) -> None:
    """The script run triggered by the last action has finished (Streamlit shows a running widget meanwhile)."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=90_000)


def type_column(page, editor_index: int, column_left: int, width: int, values: list[str]) -> None:
    """Type values down one column of a data editor (cells are drawn on a canvas): a click selects the first
    cell, Enter opens its editor, Enter again commits and selects the cell below."""
    grid = page.locator('[data-testid="stDataFrame"], [data-testid="stDataEditor"]').nth(editor_index)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    x, y = box["x"] + column_left + width / 2, box["y"] + 35 + 35 / 2
    page.mouse.click(x, y)
    for value in values:
        page.wait_for_timeout(200)
        page.keyboard.press("Enter")  # open the cell's editor
        page.wait_for_timeout(200)
        page.keyboard.press("Control+A")
        page.keyboard.type(value, delay=20)
        page.keyboard.press("Enter")  # commit; the cell below is selected


def unit_form(path: Path, code: str, name: str) -> Path:
    """Unit B's own filled form (the template's layout), saved as an office would send it."""
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    write_form(ws, FW, Heading(), {"code": code, "name": name, "cluster": "Khối phường", "year": YEAR,
                                   "leader_name": "Lê Thị Hoa", "leader_title": "Bí thư chi bộ"},
               {c: (v, None) for c, v in SELF_B.items()})
    wb.save(path)
    return path


def main_text(page) -> str:
    return page.locator("[data-testid='stMain']").first.inner_text()


@pytest.fixture
def round_server(tmp_path):
    url = f"sqlite:///{tmp_path / 'round.sqlite'}"
    with app_server(url, seed=False) as base:
        yield base, url


def test_a_whole_round_with_four_accounts(round_server, browser, tmp_path):
    base, url = round_server
    ARTIFACTS.mkdir(exist_ok=True)
    officer = signed_in(browser, base, url, "canbo", "can_bo")
    leadership = signed_in(browser, base, url, "lanhdao", "lanh_dao")
    unit_a = signed_in(browser, base, url, "dva", "don_vi", "DVA")
    unit_b = signed_in(browser, base, url, "dvb", "don_vi", "DVB")

    # 1. The officer opens the round with a typed roster.
    page = open_page(officer, base, "dot-danh-gia")
    page.get_by_text("Mở đợt đánh giá mới").click()
    page.get_by_label("Năm đánh giá").fill(str(YEAR))
    page.get_by_label("Danh sách đơn vị").click()
    page.get_by_role("option", name="Nhập tay").click()
    page.get_by_label("Mỗi dòng: mã; tên đơn vị; khối").fill(
        "DVA; Chi bộ Khu phố Đông; Khối phường\nDVB; Chi bộ Khu phố Tây; Khối phường")
    page.keyboard.press("Control+Enter")
    idle(page)
    page.get_by_role("button", name="Mở đợt").click()
    wait_toast(page, f"Đã mở đợt đánh giá năm {YEAR}")
    page.close()
    rounds = Rounds(Store(url))
    assert rounds.get(YEAR).units["code"].tolist() == ["DVA", "DVB"]

    # 2. Unit A types its scores and a statement, names its leader, attaches a PDF and submits.
    page = open_page(unit_a, base, "tu-cham")
    assert heading(page) == TITLES["tu-cham"]
    page.get_by_text("Chi bộ Khu phố Đông").first.wait_for(timeout=60_000)
    assert "Khu phố Tây" not in main_text(page)
    page.wait_for_timeout(1000)
    type_column(page, 0, 95 + 45 + 360 + 55, 85, [str(SELF_A[c.code]).replace(".", ",") for c in FW.criteria])
    type_column(page, 0, 95 + 45 + 360 + 55 + 85, 300, ["Tổ chức 4 hội nghị đối thoại với Nhân dân"])
    page.get_by_label("Người đứng đầu (họ tên)").fill("Nguyễn Văn Tâm")
    page.get_by_label("Chức vụ").fill("Bí thư chi bộ")
    page.keyboard.press("Tab")
    idle(page)
    page.get_by_role("button", name="Lưu nháp").click()
    wait_toast(page, "Đã lưu nháp")
    sheet = rounds.sheet(OFFICER, YEAR, "DVA")
    page.screenshot(path=str(ARTIFACTS / "vong-tu-cham.png"), full_page=True)
    assert {k[2:]: v for k, v in sheet.self_scores.items()} == SELF_A, sheet.self_scores
    page.screenshot(path=str(ARTIFACTS / "vong-tu-cham.png"), full_page=True)
