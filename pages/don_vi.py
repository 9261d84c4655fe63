"""Đơn vị: one unit's criteria against its cluster, its history, its reason and its leader. A unit account sees
its own unit only, without ranks or any other unit's figures (not even a cluster average), and the counts per
tier of the year."""

import streamlit as st

from pages._tables import pick_unit, show_table
from pages._ui import actor, all_results, chart, require_data, rest_of_page, year_row
from scoring import charts, views
from scoring.access import Right
from scoring.formats import place
from scoring.presentation import NOT_APPRAISED, literal, markdown, markdown_list, scale, vn

me = actor()
whole = me.may(Right.VIEW_ALL)
st.title("Hồ sơ đơn vị")
versions = require_data()
year, result, (c2,) = year_row(versions, [1, 3])
if whole:
    code = pick_unit(c2, result.units.sort_values("code"), "unit", "unit_search")
else:
    code = me.unit_code
    if not (result.units["code"] == code).any():
        st.info(markdown("Năm {} chưa có dữ liệu của đơn vị {}.", year, code))
        st.stop()
unit = result.units[result.units["code"] == code].iloc[0]
tiers = scale(result.framework)

cols = st.columns(4)
cols[0].metric("Tổng điểm", vn(unit["total"]))
cols[1].metric("Xếp loại", unit["tier"] or "—", help=literal(tiers.label[unit["tier"]]))
if whole:
    cols[2].metric("Xếp hạng", f"{place(unit['rank'])}/{int(result.units['rank'].notna().sum())}")
    cols[3].metric(markdown("Hạng trong {}", unit["cluster"]), place(unit["cluster_rank"]))
st.markdown(
    markdown("**{}** · {} · xếp loại **{}**", unit["name"], unit["cluster"], tiers.label[unit["tier"]])
    + ("" if unit["appraised"] else markdown(" · *{}*", NOT_APPRAISED))
)
if unit["reason"]:
    st.info(literal(unit["reason"]))
if not whole:
    st.caption(
        markdown("Năm {}, toàn bộ {} đơn vị: ", year, len(result.units))
        + markdown_list("{}: {}", ((tiers.label[t], n) for t, n in views.tier_counts(result).items()))
    )

history = views.unit_history(all_results(versions), code)
if whole:
    left, right = st.columns(2)
    chart(
        versions,
        ("unit vs cluster", year, code),
        lambda: charts.unit_vs_cluster(views.unit_profile(result, code)),
        left,
    )
    chart(versions, ("unit history", code), lambda: charts.unit_history_chart(history, tiers), right)
if not rest_of_page():
    st.caption("Đang tải bảng điểm…")
    st.stop()
st.subheader("Điểm từng tiêu chí")
parts = bool(result.framework.parents) and st.toggle("Hiện các thành phần của tiêu chí", key="unit_components")
show_table(
    views.unit_criteria(result, code, parts),
    {"Mã": 50, "Tiêu chí": "large", "Tối đa": 60, "Tự chấm": 70, "Thẩm định": 74, "Điểm tính": 74},
)
st.subheader("Qua các năm")
if not whole:  # ranks place a unit among the others: not for a unit's own account
    history = history.drop(columns=["rank", "cluster_rank", "units"])
show_table(
    history.rename(
        columns={
            "year": "Năm",
            "total": "Tổng điểm",
            "rank": "Xếp hạng",
            "cluster_rank": "Hạng trong khối",
            "tier": "Xếp loại",
            "units": "Số đơn vị",
            "reason": "Ghi chú",
        }
    ),
    {"Ghi chú": "large"},
    tier_column="Xếp loại",
    tiers=tiers,
)
st.subheader("Người đứng đầu")
leader = views.unit_leader(result, code)
if leader.empty:
    st.caption("Không có dữ liệu người đứng đầu của đơn vị này.")
for ld in leader.itertuples():
    st.markdown(
        markdown("**{}** ({}) · tổng điểm {} · xếp loại **{}**", ld.name, ld.title, vn(ld.total), tiers.label[ld.tier])
        + (markdown(" · hạng {}", ld.rank) if whole else "")
        + (markdown("  \n{}", ld.reason) if ld.reason else "")
    )
