"""Dân vận dashboard. Start it with `make run`, or `python app.py [streamlit options]`; URL paths are part of
the interface.

Why a launcher: Streamlit sees the `pages/` folder beside this file and, on the first script run of a new
server process, emulates the old folder-based navigation before `st.navigation` below runs, so a deep link
such as /tai-len as the first visit shows "Page not found" (streamlit/streamlit#8860). Started through
`python app.py`, the server knows from the start that the app declares its own navigation. A bare
`streamlit run app.py` still works, except for that first deep link.
"""
import logging
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


# Streamlit's file uploader has no Vietnamese texts of its own: swap them in with CSS.
UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "hoặc kéo thả tệp vào đây · tối đa 200 MB mỗi tệp"; font-size: 0.875rem; }
</style>"""
PAGES = [  # (file, title, icon, URL path)
    ("pages/tong_quan.py", "Tổng quan", "home", ""),
    ("pages/tai_len.py", "Tải lên", "upload_file", "tai-len"),
    ("pages/xep_hang.py", "Xếp hạng", "leaderboard", "xep-hang"),
    ("pages/don_vi.py", "Đơn vị", "apartment", "don-vi"),
    ("pages/nguoi_dung_dau.py", "Người đứng đầu", "person", "nguoi-dung-dau"),
    ("pages/xu_huong.py", "Xu hướng", "trending_up", "xu-huong"),
    ("pages/tieu_chi.py", "Tiêu chí", "checklist", "tieu-chi"),
    ("pages/bao_cao.py", "Báo cáo", "print", "bao-cao"),
]


def _log_to_stderr() -> None:
    """The library's details (a parser's error, in English) go to the server's log; users see Vietnamese only."""
    logger = logging.getLogger("scoring")
    if not any(isinstance(h, logging.StreamHandler) and not isinstance(h, logging.NullHandler)
               for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main() -> None:
    _log_to_stderr()
    # No page_title here: each page's title becomes the browser tab's title.
    st.set_page_config(page_icon=str(ICON), layout="wide")
    st.html(UPLOADER_CSS)
    st.navigation([st.Page(path, title=title, icon=f":material/{icon}:", url_path=url, default=not url)
                   for path, title, icon, url in PAGES]).run()


if __name__ == "__main__" and not runtime.exists():
    launch()
elif __name__ != "__mp_main__":  # not when multiprocessing imports this file in the file-parsing server
    main()
