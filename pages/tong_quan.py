"""Tổng quan: cards, tiers per cluster, top and bottom 10, quota use."""

import streamlit as st

from pages._tables import show_table
from pages._ui import chart, require_data, rest_of_page, result_of, year_row
from scoring import charts, views
from scoring.presentation import literal, markdown, scale, vn

# Half a 1,400 px page: the decision (Tổng điểm, Xếp loại) must show without scrolling sideways.
SHORT_COLUMNS = ["Hạng", "Mã", "Tên đơn vị", "Tổng điểm", "Xếp loại"]
SHORT_WIDTHS = {"Hạng": 44, "Mã": 56, "Tên đơn vị": 190, "Tổng điểm": 70, "Xếp loại": 64}

st.title("Tổng quan đánh giá công tác dân vận")
versions = require_data()
year, result, _ = year_row(versions, [1, 4])
previous = result_of(year - 1, versions) if year - 1 in versions else None
cards = views.overview(result, previous)
tiers = scale(result.framework)

cols = st.columns(2 + len(tiers.codes))
cols[0].metric("Số đơn vị", cards["units"], cards["units_change"])
cols[1].metric(
    "Điểm trung bình", vn(cards["mean_total"]), None if cards["mean_change"] is None else vn(cards["mean_change"])
)
for col, (tier, count) in zip(cols[2:], cards["tiers"].items()):
    change = cards["tier_changes"][tier]
    col.metric(
        literal(tiers.short[tier]),  # a framework file's own names
        count,
        change,
        help=markdown("{} ({})", tiers.label[tier], tier),
        delta_color="inverse" if tier == tiers.last else "normal",
    )
if previous is None:
    st.caption(markdown("Chưa có dữ liệu năm {} để so sánh.", year - 1))

left, right = st.columns(2)
chart(
    versions,
    ("tiers by cluster", year),
    lambda: charts.tier_bars_by_cluster(views.tier_by_cluster(result), tiers),
    left,
)
chart(versions, ("quota", year), lambda: charts.quota_bars(result.quota, result.framework.quota_percent, tiers), right)

if rest_of_page():
    top, bottom = views.top_bottom(result, 10)
    left, right = st.columns(2)
    for column, title, part in ((left, "10 đơn vị dẫn đầu", top), (right, "10 đơn vị cuối bảng", bottom)):
        with column:
            st.subheader(title)  # text: one of the two titles above
            show_table(views.ranking_table(part)[SHORT_COLUMNS], SHORT_WIDTHS, tier_column="Xếp loại", tiers=tiers)
st.caption(markdown("Các năm đã lưu: {}.", ", ".join(str(y) for y in sorted(versions))))
