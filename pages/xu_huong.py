"""Xu hướng: across stored years: mean per cluster, tiers per year, transitions, movers."""

import pandas as pd
import streamlit as st

from pages._tables import show_table
from pages._ui import all_results, chart, require_data, rest_of_page, result_of
from scoring import charts, views
from scoring.comparability import caveat
from scoring.presentation import literal, markdown, scale

st.title("Xu hướng qua các năm")
versions = require_data()
results = all_results(versions)
tiers = scale(results[-1].framework)  # the latest year's scale
warned = set()
for earlier, later in zip(results, results[1:]):  # a trend across frameworks that differ is said to be one
    said = caveat(earlier.framework, later.framework, earlier.year, later.year)
    if said:
        st.warning(literal(said))
        warned.add((earlier.year, later.year))
left, right = st.columns(2)
chart(versions, ("mean by cluster",), lambda: charts.mean_by_cluster_chart(views.mean_by_cluster(results)), left)
chart(versions, ("tiers by year",), lambda: charts.tiers_by_year_chart(views.tiers_by_year(results), tiers), right)
if len(versions) < 2:
    st.info("Cần ít nhất hai năm dữ liệu để so sánh.")
    st.stop()
if not rest_of_page():
    st.caption("Đang tải so sánh giữa các năm…")
    st.stop()
years = sorted(versions)
c1, c2 = st.columns(2)
first = c1.selectbox("Từ năm", years[:-1], index=len(years) - 2)
second = c2.selectbox("Đến năm", [y for y in years if y > first], index=0)
before, after = result_of(first, versions), result_of(second, versions)
said = caveat(before.framework, after.framework, first, second)
if (first, second) not in warned and said:
    st.warning(literal(said))
moves = views.transitions(before, after)
if moves.empty:
    st.info(
        markdown(
            "Không có đơn vị nào có mặt trong cả hai năm {} và {} (mã đơn vị khác nhau), nên không vẽ "
            "được chuyển đổi xếp loại.",
            first,
            second,
        )
    )
else:
    chart(versions, ("transitions", first, second), lambda: charts.transition_sankey(moves, first, second, tiers))
improved, declined = views.movers(before, after)


def movers_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Mã": frame["code"],
            "Tên đơn vị": frame["name"],
            f"Hạng {first}": frame["rank_before"],
            f"Hạng {second}": frame["rank"],
            "Điểm thay đổi": frame["total_change"],
        }
    )


# Half a 1,400 px page: every column shows without scrolling sideways.
WIDTHS = {"Mã": 56, "Tên đơn vị": 160, f"Hạng {first}": 64, f"Hạng {second}": 64, "Điểm thay đổi": 84}
left, right = st.columns(2)
for column, title, frame in ((left, "Tiến bộ nhiều nhất", improved), (right, "Giảm nhiều nhất", declined)):
    with column:
        st.subheader(title)  # text: one of the two titles above
        if frame.empty:
            st.caption("Không có đơn vị nào.")
        else:
            show_table(movers_table(frame), WIDTHS)
