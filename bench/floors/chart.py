"""The floor of a chart page (bench/bench_browser.py): a bare Streamlit page, a heading and one plotly chart."""

import plotly.express as px
import streamlit as st

st.title("Biểu đồ")
st.plotly_chart(px.bar(x=[f"Đơn vị {i}" for i in range(1, 41)], y=[(i * 37) % 100 for i in range(40)]))
