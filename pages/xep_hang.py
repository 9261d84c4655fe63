"""Xếp hạng: filters, the ranking table, totals against thresholds, criteria heatmap, self vs review."""
import streamlit as st

from pages._ui import CHART_CONFIG, TIER_LABEL, ranking_table, require_data, year_row
from scoring import charts, views

st.title("Xếp hạng các đơn vị")
versions = require_data()
year, result, (c2, c3) = year_row(versions, [1, 2, 3])
cluster = c2.selectbox("Khối", ["Tất cả các khối", *sorted(result.units["cluster"].unique())])
tiers = c3.multiselect("Xếp loại", list(TIER_LABEL), format_func=TIER_LABEL.get, placeholder="Tất cả xếp loại")
units = views.filter_units(result, None if cluster == "Tất cả các khối" else cluster, tiers)

st.caption(f"{len(units)} đơn vị" + (f" của {cluster}" if cluster != "Tất cả các khối" else ""))
st.dataframe(ranking_table(units), hide_index=True, width="stretch", height=min(38 * len(units) + 40, 560))
if len(units):
    st.plotly_chart(charts.total_bars(units, result), config=CHART_CONFIG)
    st.plotly_chart(charts.criteria_heatmap(views.criteria_percent(result, units)), config=CHART_CONFIG)
    margin = st.slider("Đánh dấu đơn vị tự chấm cao hơn thẩm định quá (điểm)", 0.0, 20.0, 5.0, 0.5)
    gaps = views.self_vs_review(result, margin, units)
    st.plotly_chart(charts.self_review_scatter(gaps, margin), config=CHART_CONFIG)
    flagged = gaps[gaps["flagged"]]
    if len(flagged):
        st.warning(f"{len(flagged)} đơn vị tự chấm cao hơn điểm thẩm định trên {margin:g} điểm: "
                   + ", ".join(flagged["code"] + " (" + flagged["gap"].map(lambda g: f"+{g:.2f}".replace(".", ",")) + ")"))
