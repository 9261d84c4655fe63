"""Dân vận dashboard entry: `streamlit run app.py` (or `make run`)."""
import streamlit as st

st.set_page_config(page_title="Đánh giá công tác dân vận", page_icon="📋", layout="wide")

pages = [st.Page("pages/tong_quan.py", title="Tổng quan", url_path="", default=True)]
st.navigation(pages).run()
