"""Dân vận dashboard entry: `streamlit run app.py` (or `make run`). URL paths are part of the interface."""
import streamlit as st

st.set_page_config(page_title="Đánh giá công tác dân vận", page_icon=":material/how_to_vote:", layout="wide")

PAGES = [
    st.Page("pages/tong_quan.py", title="Tổng quan", icon=":material/home:", url_path="", default=True),
    st.Page("pages/tai_len.py", title="Tải lên", icon=":material/upload_file:", url_path="tai-len"),
    st.Page("pages/xep_hang.py", title="Xếp hạng", icon=":material/leaderboard:", url_path="xep-hang"),
    st.Page("pages/don_vi.py", title="Đơn vị", icon=":material/apartment:", url_path="don-vi"),
    st.Page("pages/nguoi_dung_dau.py", title="Người đứng đầu", icon=":material/person:", url_path="nguoi-dung-dau"),
    st.Page("pages/xu_huong.py", title="Xu hướng", icon=":material/trending_up:", url_path="xu-huong"),
    st.Page("pages/tieu_chi.py", title="Tiêu chí", icon=":material/checklist:", url_path="tieu-chi"),
    st.Page("pages/bao_cao.py", title="Báo cáo", icon=":material/print:", url_path="bao-cao"),
]
st.navigation(PAGES).run()
