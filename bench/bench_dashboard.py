"""Dashboard interaction times on a store of N units (default 5,000, then 60,000): each page is opened
once to warm the caches, then every page again; prints the time of each warm page run (AppTest runs the
real scripts in process, without a browser). Goal: about a second per interaction at 5,000 units.
Usage: python bench/bench_dashboard.py [--units 5000 60000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from bench_rank import OUT, make_workbook  # noqa: E402

PAGES = ["tong_quan", "tai_len", "xep_hang", "don_vi", "nguoi_dung_dau", "xu_huong", "tieu_chi", "bao_cao"]


def measure(units: int) -> None:
    from streamlit.testing.v1 import AppTest

    from scoring import service
    from scoring.store import Store

    source = OUT / f"national_{units}.xlsx"
    if not source.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        make_workbook(source, units)
    import pages._auth
    from tests.signing import add_account, session_token

    url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    os.environ["DANVAN_DATABASE_URL"], os.environ["DANVAN_SEED_SAMPLE"] = url, "0"
    token = session_token(add_account(url, "do-bang", "can_bo"), "do-bang")
    pages._auth._token = lambda: token  # AppTest sends no cookie: the officer's session, as the tests sign in
    t = time.perf_counter()
    outcome = service.import_files(Store(url), [(source.name, source.read_bytes())])
    assert outcome.ok, outcome.issues[:3]
    print(f"\n{units} units: import {time.perf_counter() - t:.2f} s")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    t = time.perf_counter()
    at.run()
    print(f"  first page, cold (rating the year): {time.perf_counter() - t:.2f} s")
    for page in PAGES:  # warm every page's caches once
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert not [t for t in at.title if t.value == "Đăng nhập"], "signed out: the bench would time the sign-in form"
    for page in PAGES:
        t = time.perf_counter()
        at.switch_page(f"pages/{page}.py").run()
        print(f"  {page:<16} {time.perf_counter() - t:6.2f} s")
    at.switch_page("pages/xep_hang.py").run()
    t = time.perf_counter()
    at.selectbox[1].select(at.selectbox[1].options[1]).run()
    print(f"  xep_hang filter  {time.perf_counter() - t:6.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, nargs="+", default=[5_000, 60_000])
    for units in ap.parse_args().units:
        measure(units)


if __name__ == "__main__":
    main()
