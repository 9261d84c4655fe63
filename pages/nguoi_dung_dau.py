"""Người đứng đầu: leaders' ranking, tiers and reasons (caps by unit, discipline, confidence, quota)."""

import streamlit as st

from pages._tables import show_table
from pages._ui import require_data, year_row
from scoring import views
from scoring.presentation import literal, markdown, scale

st.title("Đánh giá người đứng đầu")
versions = require_data()
year, result, _ = year_row(versions, [1, 4])
if result.leaders.empty:
    st.info(markdown("Dữ liệu năm {} không có trang “Người đứng đầu”.", year))
    st.stop()
counts = result.leaders["tier"].value_counts()
tiers = scale(result.framework)
cols = st.columns(len(tiers.codes))
for col, tier in zip(cols, tiers.codes):
    col.metric(literal(tiers.short[tier]), int(counts.get(tier, 0)), help=markdown("{} ({})", tiers.label[tier], tier))
st.caption(
    markdown(
        "Chỉ tiêu {first}: tối đa {allowed} trên {eligible} người {first} + {second}; {candidates} người đủ "
        "điểm, {given} được xếp {first}, {moved_down} bị hạ do chỉ tiêu.",
        first=tiers.first,
        second=tiers.codes[1],
        **result.leader_quota,
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
show_table(table, widths, height=min(35 * len(table) + 38, 640), tier_column="Xếp loại", key="leaders", tiers=tiers)
