"""Người đứng đầu: leaders' ranking, tiers and reasons (caps by unit, discipline, confidence, quota)."""
import pandas as pd
import streamlit as st

from pages._ui import TIER_LABEL, TIER_SHORT, require_data, vn, year_row
from scoring import views

st.title("Đánh giá người đứng đầu")
versions = require_data()
year, result, _ = year_row(versions, [1, 4])
if result.leaders.empty:
    st.info(f"Dữ liệu năm {year} không có trang “Người đứng đầu”.")
    st.stop()
counts = result.leaders["tier"].value_counts()
cols = st.columns(4)
for col, tier in zip(cols, TIER_LABEL):
    col.metric(TIER_SHORT[tier], int(counts.get(tier, 0)), help=TIER_LABEL[tier])
q = result.leader_quota
st.caption(f"Chỉ tiêu HTXSNV: tối đa {q['allowed']} trên {q['eligible']} người HTXSNV + HTTNV; "
           f"{q['candidates']} người đủ điểm, {q['given']} được xếp HTXSNV, {q['moved_down']} bị hạ do chỉ tiêu.")
table = views.leader_table(result)
codes = [c.code for c in result.framework.of("leader")]
shown = pd.DataFrame({"Xếp hạng": table["rank"], "Mã đơn vị": table["unit_code"], "Đơn vị": table["unit_name"],
                      "Họ và tên": table["name"], "Chức vụ": table["title"],
                      **{c: table[f"points:{c}"].map(vn) for c in codes},
                      "Tổng điểm": table["total"].map(vn), "Xếp loại": table["tier"].map(TIER_LABEL),
                      "Ghi chú": table["reason"]})
st.dataframe(shown, hide_index=True, width="stretch", height=min(38 * len(shown) + 40, 640))
