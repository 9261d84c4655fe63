"""Người đứng đầu: leaders' ranking, tiers and reasons (caps by unit, discipline, confidence, quota)."""

import streamlit as st

from pages._tables import show_table
from pages._ui import require_data, year_row
from scoring import views
from scoring.presentation import TIER_LABEL, TIER_SHORT, markdown

st.title("Đánh giá người đứng đầu")
versions = require_data()
year, result, _ = year_row(versions, [1, 4])
if result.leaders.empty:
    st.info(markdown("Dữ liệu năm {} không có trang “Người đứng đầu”.", year))
    st.stop()
counts = result.leaders["tier"].value_counts()
cols = st.columns(4)
for col, tier in zip(cols, TIER_LABEL):
    col.metric(TIER_SHORT[tier], int(counts.get(tier, 0)), help=markdown("{} ({})", TIER_LABEL[tier], tier))
q = result.leader_quota
st.caption(
    markdown(
        "Chỉ tiêu HTXSNV: tối đa {allowed} trên {eligible} người HTXSNV + HTTNV; {candidates} người đủ "
        "điểm, {given} được xếp HTXSNV, {moved_down} bị hạ do chỉ tiêu.",
        **q,
    )
)
table = views.leader_table(result)
widths = {
    "Xếp hạng": 60,
    "Mã đơn vị": 70,
    "Đơn vị": "medium",
    "Họ và tên": 150,
    "Chức vụ": 80,
    **dict.fromkeys(result.leader_scores.points.columns, 48),
    "Tổng điểm": 74,
    "Xếp loại": 70,
    "Ghi chú": "large",
}
show_table(table, widths, height=min(35 * len(table) + 38, 640), tier_column="Xếp loại", key="leaders")
