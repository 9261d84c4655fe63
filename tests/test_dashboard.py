"""Every dashboard page through Streamlit's AppTest, on a real SQLite store seeded with the sample years."""

import html
import io
import re
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from scoring.access import Forbidden
from scoring.store import Store
from tests.signing import sign_in_apptest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
SAMPLE = ROOT / "sample_data"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'dash.sqlite'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    sign_in_apptest(monkeypatch, url, "canbo", "can_bo")
    return url


def plain(markdown: str) -> str:
    """The text a Markdown source of the app shows: what people typed comes escaped (`presentation.markdown`)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def offered(at: AppTest) -> list[str]:
    """The labels of the files a page offers (links to the download route, scoring.web.downloads)."""
    return [
        html.unescape(m)
        for e in at.get("html")
        for m in re.findall(r'class="danvan-tai"[^>]*>([^<]*)</a>', e.proto.body)
    ]


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_overview_shows_cards_charts_and_top_bottom(db):
    at = app()
    assert at.title[0].value == "Tổng quan đánh giá công tác dân vận"
    assert at.selectbox(key="year").value == 2025
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Số đơn vị", "Điểm trung bình"] and "Xuất sắc" in labels
    assert at.metric[0].value == "45"
    assert "," in at.metric[1].value  # 85,90: the Vietnamese decimal mark
    top = at.dataframe[0].value
    assert top["Hạng"].tolist()[:2] == [1, 2] and len(top) == 10
    at.selectbox(key="year").select(2023).run()
    assert at.metric[0].value == "44"


def test_empty_store_shows_a_first_step(db, monkeypatch):
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    at = app()
    assert "Chưa có dữ liệu" in at.info[0].value
    assert not at.error


def test_ranking_filters(db):
    at = app("xep_hang")
    table = at.dataframe[0].value
    assert len(table) == 45 and list(table.columns[:5]) == ["Hạng", "Thay đổi", "Mã", "Tên đơn vị", "Khối"]
    assert table["Tổng điểm"].dtype == float  # numeric, so that it sorts as numbers (shown with a comma)
    assert table["Tổng điểm"].is_monotonic_decreasing
    at.selectbox[1].select("Khối trường học").run()
    assert set(at.dataframe[0].value["Khối"]) == {"Khối trường học"}
    at.multiselect[0].select("KHTNV").run()
    assert set(at.dataframe[0].value["Xếp loại"]) <= {"KHTNV"}


def test_a_large_ranking_is_sent_a_page_at_a_time_and_searched(db, tmp_path, monkeypatch):
    """A year of nearly a thousand units: the browser gets 500 rows at a time, page 2 has the rest; a search finds
    one unit, and the table of one unit starts again without pages."""
    from scoring import service
    from scoring.sample import write_sample
    from scoring.store import Store

    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    write_sample(tmp_path / "big", units=999, years=[2025])
    source = tmp_path / "big" / "tong_hop_2025.xlsx"
    assert service.import_files(Store(db), [(source.name, source.read_bytes())]).ok
    count = len(Store(db).load(2025)[0].units)
    assert count > 500
    at = app("xep_hang")
    table = at.dataframe[0].value
    assert table["Hạng"].iloc[0] == 1 and table["Hạng"].is_monotonic_increasing and len(table) == 500
    assert f"Dòng 1–500 trên {count}; 2 trang." in [c.value for c in at.caption]
    at.number_input[0].set_value(2).run()
    assert len(at.dataframe[0].value) == count - 500 and f"Dòng 501–{count} trên {count}; 2 trang." in [
        c.value for c in at.caption
    ]
    code = next(c for c in at.dataframe[0].value["Mã"] if len(c) == 5)  # DV123: no longer code contains it
    at.text_input(key="ranking_search").input(code.lower()).run()
    assert at.dataframe[0].value["Mã"].tolist() == [code] and not at.number_input


def test_unit_page(db):
    at = app("don_vi")
    assert at.title[0].value == "Hồ sơ đơn vị"
    at.selectbox[1].select("DV15").run()
    history = next(d.value for d in at.dataframe if "Năm" in d.value.columns)
    assert history["Năm"].tolist() == [2024, 2025]  # DV15 appears only from 2024


def test_leaders_and_trends_pages(db):
    at = app("nguoi_dung_dau")
    assert len(at.dataframe[0].value) == 45
    at.switch_page("pages/xu_huong.py").run()
    assert not at.exception
    assert at.selectbox[0].value == 2024 and at.selectbox[1].value == 2025
    assert len(at.dataframe) == 2


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader(key="files").set_value([(name, data, XLSX) for name, data in files]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_upload_preview_and_save_a_new_version(db, monkeypatch):
    at = app("tai_len")  # the store is seeded with the sample years first
    reads = count_parses(monkeypatch)
    at = upload(at, ("tong_hop_2025.xlsx", (SAMPLE / "tong_hop_2025.xlsx").read_bytes()))
    assert any("Năm 2025: thay toàn bộ phiên bản đang dùng" in plain(s.value) for s in at.subheader)
    preview = at.dataframe[0].value
    assert "Mới" not in set(preview["Thay đổi"])  # every unit existed in 2024 or is compared with it
    at.selectbox(key="history_year").select(2024).run()  # another widget does not read the file again
    at.button(key="save").click().run()
    assert any("Đã lưu: năm 2025" in plain(s.value) for s in at.success)
    history = Store(db).history(2025)
    assert [d.active for d in history] == [False, True]
    assert history[-1].imported_by == "canbo"  # the signed-in account, not a typed name
    assert Store(db).audit(1)["who"].tolist() == ["canbo"]
    assert reads == ["tong_hop_2025.xlsx"]  # parsed once for the preview, another widget and the save


def count_parses(monkeypatch) -> list[str]:
    """Names of the files parsed, counted in the process that starts the parsing children."""
    from scoring import workbook

    seen, real = [], workbook.Loading.__init__

    def counting(self, files, *args, **kwargs):
        seen.extend(name for name, _ in files)
        real(self, files, *args, **kwargs)

    monkeypatch.setattr(workbook.Loading, "__init__", counting)
    return seen


def test_per_unit_forms_merge_into_the_year(db):
    forms = sorted((SAMPLE / "phieu_2025").glob("*.xlsx"))
    at = app("tai_len")
    at.number_input(key="year_override").set_value(2026).run()
    at = upload(at, *[(f.name, f.read_bytes()) for f in forms])
    assert any("Năm 2025: gộp các phiếu vào phiên bản đang dùng" in s.value for s in at.subheader)  # forms say 2025
    assert any(
        f"45 đơn vị sau khi lưu: thêm 0, thay {len(forms)}, giữ nguyên {45 - len(forms)}" in m.value
        for m in at.markdown
    )
    at.button(key="save").click().run()
    store = Store(db)
    first, merged = store.history(2025)
    assert merged.active and merged.unit_count == 45
    # The version list offers the old version back.
    at = app("tai_len")
    at.selectbox(key="reuse_version").select(first.id)
    at.button(key="reuse").click().run()
    assert Store(db).active_versions()[2025] == first.id


def test_bad_file_shows_every_problem_and_stores_nothing(db):
    wb = openpyxl.load_workbook(SAMPLE / "tong_hop_2025.xlsx")
    ws = wb["Tổ chức"]
    header = next(r for r in range(1, 15) if ws.cell(r, 2).value == "Mã đơn vị")
    ws.cell(header + 2, 5, 12)  # 1.1 self score above its max of 10
    ws.cell(header + 3, 2, ws.cell(header + 4, 2).value)  # duplicate unit code
    buffer = io.BytesIO()
    wb.save(buffer)
    at = upload(app("tai_len"), ("sai.xlsx", buffer.getvalue()))
    issues = at.dataframe[0].value
    errors = issues[issues["Mức độ"] == "Lỗi"]
    # Out of range, the duplicate code, and the leader whose unit code vanished with the overwrite.
    assert len(errors) == 3 and (errors["Tệp"] == "sai.xlsx").all()
    assert set(errors["Trang"]) == {"Tổ chức", "Người đứng đầu"}
    assert header + 2 in set(errors["Dòng"]) and "12" in set(errors["Giá trị"])
    assert at.error and not [b for b in at.button if b.key == "save"]
    assert len(Store(db).history(2025)) == 1


def test_framework_editor_previews_and_saves_a_version(db):
    at = app("tieu_chi")
    at.text_input(key="t1").input("92,5").run()  # the decimal comma
    assert not at.exception and not at.error
    assert any("Xem trước" in s.value for s in at.subheader)
    at.button(key="save").click().run()
    assert any("Đã lưu bộ tiêu chí" in s.value and "vẫn giữ" in s.value for s in at.success)
    saved = Store(db).framework()
    assert saved.thresholds[0] == Decimal("92.5") and saved.source.startswith("store:")
    at.button(key="rerate").click().run()
    assert any("đã được tính lại" in s.value for s in at.success)


def test_a_wrong_threshold_is_an_error_in_vietnamese(db):
    at = app("tieu_chi")
    at.text_input(key="t1").input("chín mươi").run()
    assert any("không phải số" in e.value for e in at.error)
    assert at.button(key="save").disabled


def test_report_page_keeps_the_committees_details_typed_without_enter(db):
    at = app("bao_cao")
    labels = offered(at)
    assert {"Tải báo cáo Excel", "Tải Word", "Tải mẫu bảng tổng hợp"} <= set(labels)
    at.text_input(key="d_signer_name").set_value("Trần Thị Bình")  # typed, no Enter: the form sends it on submit
    at.button(key="FormSubmitter:committee_form-Lưu thông tin cấp ủy").click().run()
    from pages._ui import report_file
    from scoring.documents import committee

    details = committee.details(Store(db))
    assert details.signer_name == "Trần Thị Bình"  # kept in the store, for every document and the report
    book = openpyxl.load_workbook(
        io.BytesIO(report_file(1, Store(db).active_versions(), 2025, None, details.report_settings()))
    )
    cells = {c.value for row in book["Xếp hạng"].iter_rows() for c in row}
    assert "Trần Thị Bình" in cells


def test_unit_page_searches_when_there_are_many_units(db, monkeypatch):
    from builders import FW, unit, year_data

    from scoring.dataset import ORIGIN_PRESET

    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    Store(db).store_years(
        [year_data([unit(f"U{i:04d}", total=60 + i % 40) for i in range(600)], fw=FW)], FW, ORIGIN_PRESET, "kiểm thử"
    )
    at = app("don_vi")
    assert len(at.selectbox[1].options) == 500  # not 600 options: a search box comes first
    at.text_input(key="unit_search").input("u0599").run()
    assert at.selectbox[1].options == ["U0599 – Đơn vị U0599"] and at.metric[2].value.endswith("/600")


# ---------------------------------------------------------------- roles (server side: the page itself refuses)

PAGE_FILES = [
    "tong_quan",
    "tai_len",
    "xep_hang",
    "don_vi",
    "nguoi_dung_dau",
    "xu_huong",
    "tieu_chi",
    "bao_cao",
    "dot_danh_gia",
    "tu_cham",
    "tham_dinh",
    "tai_khoan",
]


def as_role(tmp_path, monkeypatch, login: str, role: str, unit: str | None = None) -> str:
    url = f"sqlite:///{tmp_path / 'roles.sqlite'}"
    monkeypatch.setenv("DANVAN_DATABASE_URL", url)
    sign_in_apptest(monkeypatch, url, login, role, unit)
    return url


def visit(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    if page != "tong_quan":
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def refused(at: AppTest) -> bool:
    return any(t.value == "Không có quyền truy cập" for t in at.title)


def test_signed_out_every_page_shows_only_the_sign_in_form(tmp_path, monkeypatch):
    monkeypatch.setenv("DANVAN_DATABASE_URL", f"sqlite:///{tmp_path / 'out.sqlite'}")
    for page in PAGE_FILES:
        at = visit(page)
        assert [t.value for t in at.title] == ["Đăng nhập"], page
        assert not at.dataframe and not at.metric and not at.get("plotly_chart"), page


def test_unit_account_sees_its_own_unit_only(tmp_path, monkeypatch):
    url = as_role(tmp_path, monkeypatch, "dv07", "don_vi", "dv07")
    at = visit("tong_quan")  # the bare address leads a unit to its own page
    assert at.title[0].value == "Hồ sơ đơn vị"
    assert [m.label for m in at.metric] == ["Tổng điểm", "Xếp loại"]  # no rank
    assert at.selectbox(key="year").value is not None and len(at.selectbox) == 1  # no choice of unit
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info]) + " ".join(
        d.value.to_csv() for d in at.dataframe
    )
    others = [n for c, n in zip(*_sample_units(url)) if c != "DV07"]
    assert not [n for n in others if n in shown]  # not one other unit's name
    assert not any("Xếp hạng" in d.value.columns for d in at.dataframe)
    assert "Hoàn thành xuất sắc nhiệm vụ:" in shown  # the counts per tier
    ranking = visit("xep_hang")  # nothing published yet: no other unit's anything
    assert not ranking.dataframe
    assert [i.value for i in ranking.info] == ["Chưa có kết quả đợt đánh giá nào được công bố."]
    for page in PAGE_FILES:
        if page not in ("don_vi", "tong_quan", "tu_cham", "xep_hang"):
            assert refused(visit(page)), page


def _sample_units(url: str) -> tuple[list[str], list[str]]:
    data, _, _ = Store(url).load(2025)
    return list(data.units["code"]), list(data.units["name"])


def test_leadership_sees_everything_and_changes_nothing(tmp_path, monkeypatch):
    as_role(tmp_path, monkeypatch, "lanhdao", "lanh_dao")
    assert refused(visit("tai_len")) and refused(visit("tai_khoan"))
    criteria = visit("tieu_chi")
    own = {"sign_out", "FormSubmitter:own_password-Lưu"}  # the account's own buttons in the sidebar
    assert not criteria.get("arrow_data_editor") and criteria.dataframe
    assert not [b.key for b in criteria.button if b.key not in own]
    assert len(visit("xep_hang").dataframe[0].value) == 45
    assert not refused(visit("bao_cao"))


def test_admin_page_lists_accounts_and_the_audit_log(tmp_path, monkeypatch):
    as_role(tmp_path, monkeypatch, "admin", "quan_tri")
    at = visit("tai_khoan")
    accounts = at.dataframe[0].value
    assert accounts["Tên đăng nhập"].tolist() == ["admin"] and accounts["Vai trò"].tolist() == ["Quản trị"]
    log = at.dataframe[1].value
    assert "Tạo tài khoản" in set(log["Việc"]) and "Nhập dữ liệu" in set(log["Việc"])
    at.multiselect[0].select("account_add").run()
    assert set(at.dataframe[1].value["Việc"]) == {"Tạo tài khoản"}


def _add_account(at: AppTest, login: str, role: str | None, unit: str = "") -> AppTest:
    form = [s for s in at.selectbox if s.label == "Vai trò"][0]
    if role:
        form.set_value(role)
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input(login)
    inputs["Mã đơn vị (chỉ cho vai trò Đơn vị)"].input(unit)
    inputs["Mật khẩu tạm"].input("mat-khau-tam-thoi-1")
    return [b for b in at.button if b.label == "Tạo"][0].click().run()


def test_a_unit_account_is_made_only_for_a_known_unit_and_names_it(tmp_path, monkeypatch):
    as_role(tmp_path, monkeypatch, "admin", "quan_tri")
    at = visit("tai_khoan")
    assert [s.value for s in at.selectbox if s.label == "Vai trò"][0] is None  # no role chosen until one is
    at = _add_account(at, "dv99", None)
    assert [plain(e.value) for e in at.error] == ["Chưa chọn vai trò."]
    at = _add_account(at, "dv99", "don_vi", "dv 99")
    assert "Mã đơn vị “DV 99” không có trong đợt đánh giá hay năm dữ liệu nào" in plain(at.error[0].value)
    at = _add_account(at, "dv07", "don_vi", "dv07")
    assert not at.error and [plain(t.value) for t in at.toast] == ["Đã tạo tài khoản dv07 — Chi bộ Tổ dân phố Số 2."]
    assert "dv07" in at.dataframe[0].value["Tên đăng nhập"].tolist()
    assert [s.value for s in at.selectbox if s.label == "Vai trò"][0] is None  # a fresh form, not "Quản trị"


# ---------------------------------------------------------------- the round's pages


def round_of(url: str):
    from datetime import datetime, timedelta

    from scoring.access import Actor, Role
    from scoring.framework import load_preset
    from scoring.rounds import Rounds, key

    rounds = Rounds(Store(url))
    units = Store(url).load(2025)[0].units.head(3)
    now = datetime.now(UTC)
    rounds.open(
        Actor("canbo0", Role.OFFICER), 2026, load_preset(), units, now + timedelta(days=5), now + timedelta(days=10)
    )
    first = units["code"].iloc[0]
    rounds.save_draft(
        Actor("dv", Role.UNIT, first),
        2026,
        first,
        {key(c.target, c.code): float(c.max_points) / 2 for c in load_preset().criteria},
        leader={"name": "Bí thư đầu tiên"},
    )
    rounds.submit(Actor("dv", Role.UNIT, first), 2026, first)
    return rounds, list(units["code"])


def frame_with(at, column: str):
    """The first table of the page that has this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_round_pages_for_each_role(tmp_path, monkeypatch):
    from scoring.access import Actor, Role

    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    visit("tong_quan")  # seeds the sample years
    rounds, codes = round_of(url)
    at = visit("dot_danh_gia")
    assert (
        at.title[0].value == "Đợt đánh giá"
        and "Đã nộp: 1" in at.caption[-1].value
        or any("Đã nộp: 1" in c.value for c in at.caption)
    )
    provisional = frame_with(at, "Cần xem")
    assert len(provisional) == 3  # the provisional result of the three units
    # Units that have not submitted have no total or tier to show yet (not a red KHTNV at 0 points).
    assert provisional["Xếp loại"].tolist().count("Chưa nộp") == 2
    notes = at.selectbox(key="notes_2026")  # a note longer than its cell is read in full below the table
    assert notes.value is None
    notes.select(codes[1]).run()
    shown = [m.value for m in at.markdown if m.value.startswith("**Xếp loại:**")]
    assert shown and shown[0].startswith("**Xếp loại:** Chưa nộp"), [m.value for m in at.markdown][-3:]
    review = visit("tham_dinh")
    board = review.dataframe[0].value
    assert board["Trạng thái"].tolist()[0] == "Đã nộp" and len(board) == 3
    assert any(b.key == "appraise" for b in review.button)
    review.selectbox(key="review_unit").select(codes[1]).run()  # not submitted yet: its deadline can be extended
    assert any("chưa nộp" in i.value for i in review.info)
    next(t for t in review.text_input if t.label == "Lý do gia hạn").input("Đơn vị mới kiện toàn cấp ủy")
    next(b for b in review.button if b.label == "Gia hạn cho đơn vị này").click().run()
    assert not review.exception and rounds.sheet(Actor("x", Role.OFFICER), 2026, codes[1]).deadline is not None
    assert refused(visit("tu_cham"))  # an officer does not self-assess


def test_round_pages_of_a_large_round_page_the_board_and_search_units(tmp_path, monkeypatch):
    """Above 500 units the board comes a page at a time and a unit is searched before it is chosen (a select box of
    60,000 units is no use to anyone): on Thẩm định and in the history of Đợt đánh giá."""
    from datetime import datetime, timedelta

    import pandas as pd

    from scoring.access import Actor, Role
    from scoring.framework import load_preset
    from scoring.rounds import Rounds

    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    monkeypatch.setenv("DANVAN_SEED_SAMPLE", "0")
    roster = pd.DataFrame(
        {"code": [f"U{i:04d}" for i in range(620)], "name": [f"Chi bộ số {i}" for i in range(620)], "cluster": "Khối 1"}
    )
    now = datetime.now(UTC)
    Rounds(Store(url)).open(
        Actor("canbo0", Role.OFFICER), 2026, load_preset(), roster, now + timedelta(days=5), now + timedelta(days=10)
    )
    review = visit("tham_dinh")
    assert len(review.dataframe[0].value) == 500 and review.number_input(key="board_page_620").value == 1
    assert len(review.selectbox(key="review_unit").options) == 500
    review.text_input(key="review_search").input("u0613").run()
    assert review.selectbox(key="review_unit").options == ["U0613 – Chi bộ số 613"]
    assert any("U0613" in m.value or "Chi bộ số 613" in m.value for m in review.markdown)
    review.number_input(key="board_page_620").set_value(2).run()
    assert review.dataframe[0].value["Mã"].tolist() == [f"U{i:04d}" for i in range(500, 620)]
    rounds_page = visit("dot_danh_gia")
    rounds_page.text_input(key="history_search").input("không có đơn vị này").run()
    assert any("Không có đơn vị nào khớp" in i.value for i in rounds_page.info) and not rounds_page.exception


def test_round_page_of_a_unit_shows_its_own_form_only(tmp_path, monkeypatch):
    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    visit("tong_quan")
    _, codes = round_of(url)
    sign_in_apptest(monkeypatch, url, "dv2", "don_vi", codes[1])
    at = visit("tu_cham")
    assert at.title[0].value == "Tự chấm điểm" and any("Chưa nộp" in m.value for m in at.markdown)
    assert any(b.key == "draft" for b in at.button)
    assert refused(visit("tham_dinh")) and refused(visit("dot_danh_gia"))


def test_a_unit_sees_the_ranking_of_a_published_round_only(tmp_path, monkeypatch):
    from datetime import datetime, timedelta

    from scoring.access import Actor, Role
    from scoring.framework import load_preset
    from scoring.rounds import key

    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    visit("tong_quan")
    rounds, codes = round_of(url)
    officer, leader = Actor("canbo", Role.OFFICER), Actor("lanhdao", Role.LEADERSHIP)
    for code in codes[1:]:
        unit = Actor(f"dv-{code}", Role.UNIT, code)
        rounds.save_draft(
            unit,
            2026,
            code,
            {key(c.target, c.code): float(c.max_points) for c in load_preset().criteria},
            leader={"name": f"Bí thư {code}"},
        )
        rounds.submit(unit, 2026, code)
    for code in codes:
        rounds.complete(officer, 2026, code, {}, "Đạt")
    rounds.publish(leader, 2026)
    sign_in_apptest(monkeypatch, url, "dv2", "don_vi", codes[1])
    at = visit("xep_hang")
    assert at.selectbox(key="year").options == ["2026"]  # not the years stored from files
    assert sorted(at.dataframe[0].value["Mã"]) == sorted(codes)  # every unit of the published round
    # Mức công khai, by default totals and tiers: no other unit's criterion scores, self/appraisal split, notes or
    # charts of them — not in the table sent to the browser (its CSV download), not as charts.
    assert list(at.dataframe[0].value.columns) == [
        "Hạng",
        "Hạng trong khối",
        "Mã",
        "Tên đơn vị",
        "Khối",
        "Tổng điểm",
        "Xếp loại",
    ]
    assert len(at.dataframe) == 1 and not at.get("plotly_chart")
    from scoring import service
    from scoring.access import EVERYTHING, TIERS_ONLY

    with pytest.raises(Forbidden):
        service.set_disclosure(Store(url), Actor(f"dv-{codes[1]}", Role.UNIT, codes[1]), EVERYTHING)
    service.set_disclosure(Store(url), officer, TIERS_ONLY)
    assert list(visit("xep_hang").dataframe[0].value.columns) == ["Mã", "Tên đơn vị", "Khối", "Xếp loại"]
    service.set_disclosure(Store(url), officer, EVERYTHING)
    at = visit("xep_hang")
    assert "Tự chấm" in at.dataframe[0].value.columns and at.get("plotly_chart")
    assert "Mức công khai kết quả cho đơn vị" in " ".join(Store(url).audit(3)["detail"])
    rounds.reopen(officer, 2026, "Khiếu nại", datetime.now(UTC) + timedelta(days=3))
    assert visit("xep_hang").info[0].value == "Chưa có kết quả đợt đánh giá nào được công bố."


def test_round_page_imports_an_edited_export_and_reopens_a_published_round(tmp_path, monkeypatch):

    from scoring.access import Actor, Role
    from scoring.round_files import round_workbook
    from tests.test_round_files import edited

    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    visit("tong_quan")
    rounds, codes = round_of(url)
    officer = Actor("canbo", Role.OFFICER)
    content = edited(
        round_workbook(rounds, officer, 2026),
        {(codes[0], "1.1 Thẩm định"): 4, (codes[0], "Lý do thay đổi"): "Chỉ 2 hội nghị"},
    )
    at = visit("dot_danh_gia")
    assert "Tải bảng tổng hợp của đợt" in offered(at)
    next(b for b in at.button if b.label == "Nhập tệp thẩm định").click().run()
    assert [e.value for e in at.error] == ["Chưa chọn tệp: chọn bảng tổng hợp đã sửa rồi bấm “Nhập tệp thẩm định”."]
    unexplained = edited(round_workbook(rounds, officer, 2026), {(codes[0], "1.1 Thẩm định"): 4})
    at.file_uploader(key="round_import_file").set_value(("sua.xlsx", unexplained, "application/octet-stream"))
    next(b for b in at.button if b.label == "Nhập tệp thẩm định").click().run()
    assert [e.value for e in at.error] == [
        "Không ô nào được ghi. Sửa các lỗi dưới đây rồi nhập lại (tệp đã chọn vẫn giữ)."
    ]
    problems = next(d.value for d in at.dataframe if "Nội dung" in d.value.columns)
    assert problems[["Dòng", "Cột", "Giá trị"]].values.tolist() == [[8, "1.1 / Thẩm định", "4"]]
    assert "cần lý do" in problems["Nội dung"].iloc[0] and not rounds.sheet(officer, 2026, codes[0]).review_scores
    at.file_uploader(key="round_import_file").set_value(("sua.xlsx", content, "application/octet-stream"))
    next(b for b in at.button if b.label == "Nhập tệp thẩm định").click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.error, *at.warning]]
    # Drawn again at once: the provisional result shows the imported appraisal (50 − 1 = 49), no stale figure.
    provisional = frame_with(at, "Cần xem").set_index("Mã")
    assert provisional.loc[codes[0], "Thẩm định"] == "49,00"
    sheet = rounds.sheet(officer, 2026, codes[0])
    assert sheet.review_reasons == {"U:1.1": "Chỉ 2 hội nghị"} and sheet.review_scores == {"U:1.1": 4.0}
    for code in codes[1:]:
        unit = Actor("dv", Role.UNIT, code)
        rounds.save_draft(unit, 2026, code, dict.fromkeys(sheet.self_scores, 0.0), leader={"name": f"Bí thư {code}"})
        rounds.submit(unit, 2026, code)
    for code in codes:
        rounds.complete(officer, 2026, code, {}, "Đạt")
    rounds.publish(Actor("lanhdao", Role.LEADERSHIP), 2026)
    at = visit("dot_danh_gia")
    assert at.selectbox(key="round_year").value == 2026 and not any(b.key == "publish" for b in at.button)
    next(t for t in at.text_input if t.label.startswith("Lý do mở lại")).input("Đơn khiếu nại ngày 3/1")
    next(b for b in at.button if b.key == "reopen").click().run()
    assert not at.exception and rounds.get(2026).state == "open"
    log = frame_with(at, "Việc")
    assert log["Việc"].tolist() == ["Mở lại đợt", "Công bố", "Mở đợt"]  # newest first
    assert log["Lý do"].tolist()[0] == "Đơn khiếu nại ngày 3/1"


def test_a_round_opens_with_the_units_of_a_workbook_or_typed(tmp_path, monkeypatch):
    from pathlib import Path

    from scoring.rounds import Rounds

    url = as_role(tmp_path, monkeypatch, "canbo", "can_bo")
    at = visit("dot_danh_gia")
    at.number_input(key="open_year").set_value(2027).run()
    box = next(s for s in at.selectbox if s.label == "Danh sách đơn vị")
    box.select("Từ tệp Excel (danh sách, mẫu trống đã điền mã, bảng tổng hợp)").run()
    assert not any(b.key == "open_round" for b in at.button)  # nothing to open before a roster is read and shown
    sample = Path(__file__).resolve().parents[1] / "sample_data" / "tong_hop_2025.xlsx"
    at.file_uploader(key="open_file").set_value((sample.name, sample.read_bytes(), "application/octet-stream")).run()
    assert frame_with(at, "Số đơn vị")["Số đơn vị"].sum() == 45  # the roster shown, per cluster, before opening
    next(b for b in at.button if b.key == "open_round").click().run()
    assert not at.exception and not at.error
    assert len(Rounds(Store(url)).get(2027).units) == 45
    at.number_input(key="open_year").set_value(2028).run()
    next(s for s in at.selectbox if s.label == "Danh sách đơn vị").select("Dán từ Excel hoặc gõ tay").run()
    at.text_area(key="open_text").input("dv1; Chi bộ 1; Khối A\nDV2; Chi bộ 2\nDV2; Chi bộ 2 (trùng)").run()
    assert "Trùng mã đơn vị với dòng 2" in frame_with(at, "Nội dung")["Nội dung"].tolist()
    assert not any(b.key == "open_round" for b in at.button)  # a duplicate code: not opened
    at.text_area(key="open_text").input("dv1; Chi bộ 1; Khối A\nDV2; Chi bộ 2").run()
    next(b for b in at.button if b.key == "open_round").click().run()
    assert Rounds(Store(url)).get(2028).units.values.tolist() == [
        ["DV1", "Chi bộ 1", "Khối A"],
        ["DV2", "Chi bộ 2", ""],
    ]
