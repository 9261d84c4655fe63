"""The upload page at scale, through Streamlit's AppTest (server side): 8 per-unit forms into an empty store, then
the 60,000-unit workbook, page 2 of its preview, and "Lưu", each timed with the number of files parsed; then
the forms again, merged into the stored 60,000-unit year. Beside it, `python -m scoring db import` of the same
workbook into an empty store, in the same run: the page's preview and save together against the command line.

Run it on another checkout to compare versions side by side: python bench/bench_upload.py [--root DIR].
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from bench_rank import OUT, make_workbook  # noqa: E402
from figures import figure  # noqa: E402


def measure(root: Path, units: int) -> None:
    sys.path.insert(0, str(root))
    import logging

    from streamlit.testing.v1 import AppTest

    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest's "missing ScriptRunContext" noise

    from scoring import workbook

    parses = []
    real = workbook.Loading.__init__

    def counting(self, files, *args, **kwargs):
        parses.extend(name for name, _ in files)
        real(self, files, *args, **kwargs)

    workbook.Loading.__init__ = counting
    source = OUT / f"national_{units}.xlsx"
    if not source.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        make_workbook(source, units)
    forms = sorted((root / "sample_data" / "phieu_2025").glob("*.xlsx"))
    url = os.environ["DANVAN_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/upload.sqlite"
    os.environ["DANVAN_SEED_SAMPLE"] = "0"
    import pages._auth
    from tests.signing import add_account, session_token

    token = session_token(add_account(url, "do-tai-len", "can_bo"), "do-tai-len")
    pages._auth._token = lambda: token  # AppTest sends no cookie: the officer's session, as the tests sign in
    at = AppTest.from_file(str(root / "app.py"), default_timeout=900).run()
    at.switch_page("pages/tai_len.py").run()

    def step(label: str, action) -> float:
        before, t = len(parses), time.perf_counter()
        action()
        assert not at.exception, [e.value for e in at.exception]
        seconds = time.perf_counter() - t
        print(f"  {label:<34} {seconds:7.2f} s   files parsed: {len(parses) - before}")
        return seconds

    print(f"{root}: upload page, {units} units")
    step(
        f"choose {len(forms)} per-unit forms, empty store",
        lambda: (
            at.file_uploader(key="files")
            .set_value([(f.name, f.read_bytes(), "application/octet-stream") for f in forms])
            .run()
        ),
    )
    preview = step(
        "choose the workbook (preview)",
        lambda: (
            at.file_uploader(key="files")
            .set_value([(source.name, source.read_bytes(), "application/octet-stream")])
            .run()
        ),
    )
    step(
        "page 2 of the preview", lambda: next(n for n in at.number_input if n.key != "year_override").set_value(2).run()
    )
    save = step("click Lưu", lambda: at.button(key="save").click().run())
    assert any("Đã lưu" in s.value for s in at.success), "the save did not go through"
    command = db_import(root, source)
    print(f"  `db import` of the same workbook      {command:7.2f} s")
    print(f"  upload page (preview + Lưu) / db import: {(preview + save) / command:.2f}  (target ≤ 1.5)")
    figure(
        f"upload page (preview + Lưu) / db import, {units} units",
        f"{(preview + save) / command:.2f}×",
        "≤ 1.5×",
        "9.3 s on the page (command not measured)",
    )
    step(
        f"the {len(forms)} forms again, into that year",
        lambda: (
            at.file_uploader(key="files")
            .set_value([(f.name, f.read_bytes(), "application/octet-stream") for f in forms])
            .run()
        ),
    )


def db_import(root: Path, source: Path) -> float:
    """`python -m scoring db import` into an empty store, in a new process, as an administrator would."""
    url = f"sqlite:///{tempfile.mkdtemp()}/command.sqlite"
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "scoring", "db", "--database", url, "--user", "do-tai-len", "import", str(source)],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", type=Path, default=HERE.parent, help="checkout to measure (default: this one)")
    ap.add_argument("--units", type=int, default=60_000)
    args = ap.parse_args()
    measure(args.root.resolve(), args.units)


if __name__ == "__main__":
    main()
