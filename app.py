"""Dân vận dashboard entry: `streamlit run app.py` (or `make run`). URL paths are part of the interface."""
import streamlit as st

st.set_page_config(page_title="Đánh giá công tác dân vận", page_icon="📋", layout="wide")

PAGES = [
    st.Page("pages/tong_quan.py", title="Tổng quan", icon="🏠", url_path="", default=True),
    st.Page("pages/tai_len.py", title="Tải lên", icon="📤", url_path="tai-len"),
    st.Page("pages/xep_hang.py", title="Xếp hạng", icon="🏆", url_path="xep-hang"),
    st.Page("pages/don_vi.py", title="Đơn vị", icon="🏢", url_path="don-vi"),
    st.Page("pages/nguoi_dung_dau.py", title="Người đứng đầu", icon="👤", url_path="nguoi-dung-dau"),
    st.Page("pages/xu_huong.py", title="Xu hướng", icon="📈", url_path="xu-huong"),
    st.Page("pages/tieu_chi.py", title="Tiêu chí", icon="📋", url_path="tieu-chi"),
    st.Page("pages/bao_cao.py", title="Báo cáo", icon="🖨️", url_path="bao-cao"),
]
st.navigation(PAGES).run()
