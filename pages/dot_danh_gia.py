"""Đợt đánh giá: open a year's round (frozen framework, roster, two deadlines); its progress; the provisional
result by the same engine; "Phê duyệt và công bố" for the leadership; reopening a published round with a reason;
the round as the consolidated workbook and back; the round's and a unit's history."""
from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from pages._ui import (RANKING_COLUMNS, RANKING_WIDTHS, XLSX, active_framework, active_versions, actor, end_of_day,
                       page_of, pick_unit, results, round_act, rounds, show_history, show_table, store)
from scoring import round_views, service, views
from scoring.access import Right
from scoring.framework import load_preset, presets
from scoring.round_files import import_workbook, round_workbook
from scoring.rounds import APPRAISED, OPEN, STATE_LABELS, RoundError
from scoring.presentation import vn
from scoring.store import VN_TIME

me = actor()
st.title("Đợt đánh giá")
versions = active_versions()


FROM_FILE, TYPED = "Từ tệp Excel (bảng tổng hợp hoặc danh sách)", "Nhập tay"


def roster_of(source: str, typed: str, upload) -> pd.DataFrame:
    if source.startswith("Năm "):
        return store().load(int(source.split()[1]))[0].units[["code", "name", "cluster"]]
    if source == TYPED:
        return round_views.typed_roster(typed)
    if upload is None:
        raise RoundError("Chọn tệp có danh sách đơn vị.")
    units, issues = service.roster_from_files(store(), [(upload.name, upload.getvalue())])
    if units is None:
        raise RoundError("Tệp danh sách đơn vị có lỗi: " + "; ".join(map(str, issues[:5])))
    return units


if me.may(Right.IMPORT):
    with st.expander("Mở đợt đánh giá mới", icon=":material/add:"):
        today = datetime.now(VN_TIME).date()
        c1, c2, c3 = st.columns(3)
        year = c1.number_input("Năm đánh giá", 2000, 2100, today.year, key="open_year")
        self_date = c2.date_input("Hạn tự chấm", today + timedelta(days=14), format="DD/MM/YYYY")
        review_date = c3.date_input("Hạn thẩm định", today + timedelta(days=28), format="DD/MM/YYYY")
        names = presets()
        choice = st.selectbox("Bộ tiêu chí (cố định cho cả đợt)", ["Bộ tiêu chí đang dùng", *names.values()])
        framework = active_framework() if choice == "Bộ tiêu chí đang dùng" else load_preset(
            next(k for k, v in names.items() if v == choice))
        source = st.selectbox("Danh sách đơn vị", [f"Năm {y} (đã lưu)" for y in sorted(versions, reverse=True)]
                              + [TYPED, FROM_FILE])
        typed = st.text_area("Mỗi dòng: mã; tên đơn vị; khối", key="typed_roster") if source == TYPED else ""
        upload = st.file_uploader("Tệp có danh sách đơn vị", type=["xlsx", "xls", "ods", "csv"],
                                  key="roster_file") if source == FROM_FILE else None
        if st.button("Mở đợt", type="primary", key="open_round"):
            round_act(lambda: rounds().open(me, int(year), framework, roster_of(source, typed, upload),
                                            end_of_day(self_date), end_of_day(review_date)),
                 f"Đã mở đợt đánh giá năm {int(year)}.")

years = rounds().years()
if not years:
    st.info("Chưa có đợt đánh giá nào.")
    st.stop()
year = st.selectbox("Năm", list(years), key="round_year")
info = rounds().get(year)
board = rounds().board(me, year)
counts = board["state"].value_counts()
st.markdown(f"Bộ tiêu chí **{info.framework.name}** · hạn tự chấm {info.self_deadline.astimezone(VN_TIME):%d/%m/%Y}"
            f" · hạn thẩm định {info.review_deadline.astimezone(VN_TIME):%d/%m/%Y}"
            + ("" if info.state == OPEN else " · **đã phê duyệt và công bố**"))
st.caption(" · ".join(f"{label}: {int(counts.get(state, 0))}" for state, label in STATE_LABELS.items()))

st.subheader("Kết quả tạm tính" if info.state == OPEN else "Kết quả đã công bố")
previous = results(versions).get(year - 1)
provisional = rounds().provisional(me, year, previous)
st.caption("“Cần xem” đánh dấu đơn vị bị hạ do chỉ tiêu và tổng điểm cách ngưỡng xếp loại không quá "
           f"{vn(views.NEAR_MARGIN)} điểm.")
shown = page_of(provisional.units, "provisional")
show_table(views.ranking_table(shown, previous is not None)[RANKING_COLUMNS].assign(
    **{"Cần xem": views.decision_marks(shown, info.framework)}), RANKING_WIDTHS | {"Cần xem": 220},
    tier_column="Xếp loại")
ready = bool(len(board)) and (board["state"] == APPRAISED).all()
if me.may(Right.PUBLISH) and info.state == OPEN:
    if not ready:
        st.caption("Nút công bố hiện khi mọi đơn vị đã được thẩm định xong.")
    elif st.button("Phê duyệt và công bố", type="primary", key="publish"):
        round_act(lambda: rounds().publish(me, year), f"Đã công bố kết quả năm {year}.")
if me.may(Right.IMPORT) and info.state != OPEN:
    with st.expander("Mở lại đợt đánh giá", icon=":material/lock_open:"):
        with st.form("reopen"):
            c1, c2 = st.columns([1, 3])
            day = c1.date_input("Hạn thẩm định mới", datetime.now(VN_TIME).date() + timedelta(days=7),
                                format="DD/MM/YYYY")
            why = c2.text_input("Lý do mở lại (ghi vào nhật ký)")
            if st.form_submit_button("Mở lại đợt"):
                round_act(lambda: rounds().reopen(me, year, why, end_of_day(day)),
                          f"Đã mở lại đợt đánh giá năm {year}.")

if me.may(Right.IMPORT):
    st.subheader("Tệp Excel của đợt")
    c1, c2 = st.columns([1, 2])
    c1.download_button("Tải bảng tổng hợp của đợt", lambda: round_workbook(rounds(), me, year),
                       file_name=f"dot_danh_gia_{year}.xlsx", mime=XLSX, on_click="ignore", key="round_export")
    c1.caption("Cùng mẫu bảng tổng hợp: cột tự chấm, thẩm định, trạng thái và lý do.")
    if info.state == OPEN:
        with c2.form("round_import", clear_on_submit=True):
            upload = st.file_uploader("Nhập bảng tổng hợp đã sửa điểm thẩm định", type=["xlsx", "xls", "ods"],
                                      key="round_import_file")
            default_reason = st.text_input("Lý do chung (cho các dòng không ghi “Lý do thay đổi”)")
            if st.form_submit_button("Nhập tệp thẩm định") and upload is not None:
                changes, issues = import_workbook(rounds(), me, year, [(upload.name, upload.getvalue())],
                                                  default_reason)
                if any(i.severity == "error" for i in issues):
                    st.error("Không ô nào được ghi. Sửa các lỗi dưới đây rồi nhập lại.")
                if issues:  # listed as on the upload page: file, sheet, row, column, value
                    show_table(views.issues_table(issues), {"Nội dung": "large"}, key="round_import_issues")
                if not any(i.severity == "error" for i in issues):
                    st.success(f"Đã nhập {len(changes)} ô thay đổi của {len({c.code for c in changes})} đơn vị.")

st.subheader("Lịch sử của đợt")
show_history(rounds().history(me, year, None), "round_log")

st.subheader("Lịch sử của một đơn vị")
code = pick_unit(st, board, "history_unit", "history_search")
show_history(rounds().history(me, year, code), "round_history")
