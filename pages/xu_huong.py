"""Xu hướng: across stored years: mean per cluster, tiers per year, transitions, movers."""
import pandas as pd
import streamlit as st

from pages._ui import CHART_CONFIG, all_results, require_data, result_of, vn
from scoring import charts, views

st.title("Xu hướng qua các năm")
versions = require_data()
results = all_results(versions)
left, right = st.columns(2)
left.plotly_chart(charts.mean_by_cluster_chart(views.mean_by_cluster(results)), config=CHART_CONFIG)
right.plotly_chart(charts.tiers_by_year_chart(views.tiers_by_year(results)), config=CHART_CONFIG)
if len(versions) < 2:
    st.info("Cần ít nhất hai năm dữ liệu để so sánh.")
    st.stop()
years = sorted(versions)
c1, c2 = st.columns(2)
first = c1.selectbox("Từ năm", years[:-1], index=len(years) - 2)
second = c2.selectbox("Đến năm", [y for y in years if y > first], index=0)
before, after = result_of(first, versions), result_of(second, versions)
st.plotly_chart(charts.transition_sankey(views.transitions(before, after), first, second), config=CHART_CONFIG)
improved, declined = views.movers(before, after)


def movers_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Mã đơn vị": frame["code"], "Tên đơn vị": frame["name"], "Khối": frame["cluster"],
                         f"Hạng {first}": frame["rank_before"], f"Hạng {second}": frame["rank"],
                         "Tổng điểm": frame["total"].map(vn),
                         "Điểm thay đổi": frame["total_change"].map(lambda d: ("+" if d > 0 else "") + vn(d))})


left, right = st.columns(2)
left.subheader("Tiến bộ nhiều nhất")
left.dataframe(movers_table(improved), hide_index=True, width="stretch")
right.subheader("Giảm nhiều nhất")
right.dataframe(movers_table(declined), hide_index=True, width="stretch")
