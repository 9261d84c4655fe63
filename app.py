"""Dân vận dashboard. Start it with `make run`, or `python app.py [streamlit options]`; URL paths are part of
the interface.

Why a launcher: Streamlit sees the `pages/` folder beside this file and, on the first script run of a new
server process, emulates the old folder-based navigation before `st.navigation` below runs, so a deep link
such as /tai-len as the first visit shows "Page not found" (streamlit/streamlit#8860). Started through
`python app.py`, the server knows from the start that the app declares its own navigation. A bare
`streamlit run app.py` still works, except for that first deep link.
"""
import sys
from pathlib import Path

import streamlit as st
from streamlit import runtime

ICON = Path(__file__).with_name(".streamlit") / "favicon.png"


def launch() -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False  # the app uses st.navigation, never the pages/ folder emulation
    sys.argv = ["streamlit", "run", __file__, *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__" and not runtime.exists():
    launch()

# No page_title here: each page's title becomes the browser tab's title.
st.set_page_config(page_icon=str(ICON), layout="wide")
# Streamlit's file uploader has no Vietnamese texts of its own: swap them in with CSS.
st.html("""<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "hoặc kéo thả tệp vào đây · tối đa 200 MB mỗi tệp"; font-size: 0.875rem; }
</style>""")
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
