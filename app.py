"""Dân vận dashboard. Start it with `make run`, or `python app.py [streamlit options]`; URL paths are part of
the interface.

This file is three things:
- the launcher (`python app.py`): Streamlit sees the `pages/` folder beside this file and, on the first script
  run of a new server process, emulates the old folder-based navigation before `st.navigation` below runs, so
  a deep link such as /tai-len as the first visit shows "Page not found" (streamlit/streamlit#8860). Started
  through `python app.py`, the server knows from the start that the app declares its own navigation;
- the web server (`app`, an `st.App`): Streamlit's own routes plus the app's (scoring.web: the session cookie,
  downloads, security headers, Streamlit's texts in Vietnamese), and at start-up the first administrator account;
- the script every browser session runs (`main`): sign-in first, then the page the role may open, else a
  refusal. Every page and every action checks again on the server.
"""

import logging
import sys
from pathlib import Path

import streamlit as st
from streamlit import runtime

ICON = Path(__file__).with_name(".streamlit") / "favicon.png"
log = logging.getLogger("scoring.app")


def launch() -> None:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False  # the app uses st.navigation, never the pages/ folder emulation
    sys.argv = ["streamlit", "run", __file__, *sys.argv[1:]]
    sys.exit(cli.main())


# Page links in the sidebar wrap instead of being cut; at 1366 px and below the sidebar is narrowed so that the
# tables' key columns (Ghi chú, Cần xem, Trạng thái) fit beside it. Streamlit's own texts:
# scoring/web/streamlit_texts.py.
LAYOUT_CSS = """<style>
[data-testid="stSidebarUserContent"] [data-testid="stPageLink"] * { white-space: normal !important;
  overflow: visible !important; text-overflow: clip !important; }
a.danvan-tai, span.danvan-tai { display: inline-flex; align-items: center; min-height: 2.5rem; padding: 0.25rem 0.75rem;
  border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; background: #fff; color: inherit !important;
  text-decoration: none !important; line-height: 1.6; }
a.danvan-tai:hover { border-color: #b71c1c; color: #b71c1c !important; }
span.danvan-tai-tat { opacity: 0.45; cursor: not-allowed; }
@media (max-width: 1440px) {
  section[data-testid="stSidebar"] { width: 230px !important; min-width: 230px !important; }
}
</style>"""
PAGES = [  # (file, title, icon, URL path); who may open each path: scoring.access.PAGE_RIGHTS
    ("pages/tong_quan.py", "Tổng quan", "home", ""),
    ("pages/tai_len.py", "Tải lên", "upload_file", "tai-len"),
    ("pages/xep_hang.py", "Xếp hạng", "leaderboard", "xep-hang"),
    ("pages/don_vi.py", "Đơn vị", "apartment", "don-vi"),
    ("pages/nguoi_dung_dau.py", "Người đứng đầu", "person", "nguoi-dung-dau"),
    ("pages/xu_huong.py", "Xu hướng", "trending_up", "xu-huong"),
    ("pages/tieu_chi.py", "Tiêu chí", "checklist", "tieu-chi"),
    ("pages/bao_cao.py", "Báo cáo", "print", "bao-cao"),
    ("pages/dot_danh_gia.py", "Đợt đánh giá", "event_available", "dot-danh-gia"),
    ("pages/tu_cham.py", "Tự chấm", "edit_note", "tu-cham"),
    ("pages/tham_dinh.py", "Thẩm định", "fact_check", "tham-dinh"),
    ("pages/tai_khoan.py", "Tài khoản", "manage_accounts", "tai-khoan"),
    ("pages/cap_uy.py", "Các cấp ủy", "account_tree", "cap-uy"),
]
BELOW = {"cap-uy"}  # listed in the menu only for an account with committees under its own


def _log_to_stderr() -> None:
    """The library's details (a parser's error, in English) go to the server's log; users see Vietnamese only."""
    logger = logging.getLogger("scoring")
    if not any(
        isinstance(h, logging.StreamHandler) and not isinstance(h, logging.NullHandler) for h in logger.handlers
    ):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main() -> None:
    from pages import _auth
    from pages._ui import choose_store, show_flash

    _log_to_stderr()
    # No page_title here: each page's title becomes the browser tab's title.
    st.set_page_config(page_icon=str(ICON), layout="wide")
    st.html(LAYOUT_CSS)
    actor = _auth.signed_in()
    ready = actor is not None and not actor.must_change_password
    # the committee this run works in, checked against the account; an account that sees several has more pages
    below = ready and len(choose_store(actor)) > 1
    # Every path stays routable (so that a typed address is refused, not "not found"); the menu lists only
    # what the role may open.
    pages = {
        url: st.Page(
            path,
            title=title,
            icon=f":material/{icon}:",
            url_path=url,
            default=not url,
            visibility="visible" if ready and actor.may_open(url) and (below or url not in BELOW) else "hidden",
        )
        for path, title, icon, url in PAGES
    }
    page = st.navigation(list(pages.values()), position="sidebar" if ready else "hidden")
    if actor is None:
        _auth.sign_in_form(page.url_path)
    elif actor.must_change_password:
        _auth.forced_password_change(actor)
    elif not actor.may_open(page.url_path):
        _auth.refuse(actor, page.url_path, pages)
    else:
        _auth.account_sidebar(actor, pages)
        show_flash()
        page.run()


def _on_error(error: Exception) -> bool:
    """Uncaught errors: the traceback to the server's log, a Vietnamese sentence to the user."""
    log.error("page failed", exc_info=error)
    st.error(
        "Đã có lỗi khi hiển thị trang này. Hãy tải lại trang; nếu vẫn lỗi, báo quản trị viên "
        "(chi tiết đã được ghi vào nhật ký máy chủ)."
    )
    return True


if __name__ == "__main__":
    if runtime.exists():
        main()
    else:
        launch()
elif __name__ == "app":  # imported by the web server (uvicorn) that `python app.py` starts
    from pages._ui import warm_up
    from scoring.web import server

    app = st.App(
        __file__,
        routes=server.ROUTES,
        middleware=server.MIDDLEWARE,
        lifespan=server.lifespan(warm_up),
        on_script_error=_on_error,
    )
