"""Đợt đánh giá: open a year's round (frozen framework, roster, two deadlines); its progress; the provisional
result by the same engine; "Phê duyệt và công bố" for the leadership; a unit's history."""
from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from pages._ui import (RANKING_COLUMNS, RANKING_WIDTHS, active_framework, active_versions, actor, results, round_act,
                       rounds, show_table, store)
from scoring import round_views, views
from scoring.access import Right
from scoring.framework import load_preset, presets
from scoring.rounds import APPRAISED, STATE_LABELS
from scoring.store import VN_TIME

me = actor()
st.title("Đợt đánh giá")
versions = active_versions()


def roster_of(source: str, typed: str) -> pd.DataFrame:
    if source.startswith("Năm "):
        units = store().load(int(source.split()[1]))[0].units
        return units[["code", "name", "cluster"]]
    rows = [[part.strip() for part in line.split(";")] for line in typed.splitlines() if line.strip()]
    return pd.DataFrame([r + [""] * (3 - len(r)) for r in rows], columns=["code", "name", "cluster"])


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
                              + ["Nhập tay"])
        typed = st.text_area("Mỗi dòng: mã; tên đơn vị; khối", key="typed_roster") if source == "Nhập tay" else ""
        if st.button("Mở đợt", type="primary", key="open_round"):
            round_act(lambda: rounds().open(me, int(year), framework, roster_of(source, typed),
                                       datetime.combine(self_date, time(23, 59), VN_TIME),
                                       datetime.combine(review_date, time(23, 59), VN_TIME)),
                 f"Đã mở đợt đánh giá năm {int(year)}.")

years = rounds().open_years()
if not years:
    st.info("Không có đợt đánh giá nào đang mở.")
    st.stop()
year = st.selectbox("Năm", years, key="round_year")
info = rounds().get(year)
board = rounds().board(me, year)
counts = board["state"].value_counts()
st.markdown(f"Bộ tiêu chí **{info.framework.name}** · hạn tự chấm {info.self_deadline.astimezone(VN_TIME):%d/%m/%Y}"
            f" · hạn thẩm định {info.review_deadline.astimezone(VN_TIME):%d/%m/%Y}")
st.caption(" · ".join(f"{label}: {int(counts.get(state, 0))}" for state, label in STATE_LABELS.items()))

st.subheader("Kết quả tạm tính")
previous = results(versions).get(year - 1)
provisional = rounds().provisional(me, year, previous)
show_table(views.ranking_table(provisional.units, previous is not None)[RANKING_COLUMNS], RANKING_WIDTHS,
           tier_column="Xếp loại", key="provisional")
ready = bool(len(board)) and (board["state"] == APPRAISED).all()
if me.may(Right.PUBLISH):
    if not ready:
        st.caption("Nút công bố hiện khi mọi đơn vị đã được thẩm định xong.")
    elif st.button("Phê duyệt và công bố", type="primary", key="publish"):
        round_act(lambda: rounds().publish(me, year), f"Đã công bố kết quả năm {year}.")

st.subheader("Lịch sử của một đơn vị")
names = dict(zip(board["code"], board["name"]))
code = st.selectbox("Đơn vị", list(names), format_func=lambda c: f"{c} – {names[c]}", key="history_unit")
show_table(round_views.history_table(rounds().history(me, year, code)), {"Nội dung": "large"}, key="round_history")
