"""An evaluation round at national scale: one round of N units (default 60,000) with their self-assessments,
submissions and appraisals, then what each page run reads from it, in the library and in the real pages (AppTest,
signed in, without a browser).

The entries are written in bulk in the form the round's steps append them (one row per criterion score, state,
reason), about 25 a unit; then a fresh Rounds object (a server just started) reads them. Printed: the first
fold, each read warm, and each read after one more step by someone else (a unit saving its draft).
Usage: python bench/bench_round.py [--units 60000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import figure  # noqa: E402

YEAR = 2031
# Before this work, on 60,000 units (the library calls each page run made): the work list in every page's sidebar
# 0.44–0.72 s, the board 7.5 s, a snapshot 8.1 s, one unit's sheet 1.09 s, the round's header 0.97 s.
BEFORE = "work list 0.44–0.72 s every page; board 7.5 s, one unit 1.1 s a run"


_STEPS = iter(range(1, 1_000_000))


def another_step(url: str) -> None:
    """Someone else's step: the unit still drafting saves a new score (a draft saved unchanged appends nothing)."""
    from scoring.access import Actor, Role
    from scoring.framework import UNIT, load_preset
    from scoring.rounds import Rounds, key
    from scoring.store import Store

    Rounds(Store(url)).save_draft(
        Actor("khac", Role.UNIT, "DV00001"),
        YEAR,
        "DV00001",
        {key(UNIT, load_preset().codes(UNIT)[0]): next(_STEPS) % 10 + 0.5},
    )


def seconds(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def build(url: str, units: int) -> None:
    import pandas as pd
    from sqlalchemy import insert

    from scoring import schema
    from scoring.access import operator
    from scoring.framework import load_preset
    from scoring.rounds import APPRAISED, REVIEWING, SUBMITTED, Rounds, key
    from scoring.store import Store

    fw, rnd, now = load_preset(), random.Random(7), datetime.now(UTC)
    roster = pd.DataFrame(
        {
            "code": [f"DV{i:05d}" for i in range(units)],
            "name": [f"Chi bộ cơ sở số {i}" for i in range(units)],
            "cluster": [f"Khối {i % 40:02d}" for i in range(units)],
        }
    )
    store = Store(url)
    round_id = Rounds(store).open(operator("đo"), YEAR, fw, roster, now + timedelta(days=30), now + timedelta(days=60))
    rows = []

    def entry(code, kind, target="", value=None, reason=""):
        rows.append(
            {
                "round_id": round_id,
                "unit_code": code,
                "at": now,
                "who": f"dv-{code}",
                "kind": kind,
                "target": target,
                "value": json.dumps(value, ensure_ascii=False),
                "reason": reason,
            }
        )

    for code in roster["code"]:
        for c in fw.criteria:
            entry(code, "self", key(c.target, c.code), round(float(c.max_points) * rnd.uniform(0.6, 1), 2))
        entry(code, "leader", "name", f"Bí thư {code}")
        luck = 1.0 if code == "DV00001" else rnd.random()  # DV00001 stays a draft: others save it during the runs
        if luck < 0.8:
            entry(code, "state", value=SUBMITTED)
        if luck < 0.5:
            entry(code, "state", value=REVIEWING)
            for c in fw.criteria[:3]:
                entry(code, "review", key(c.target, c.code), round(float(c.max_points) * 0.7, 2), "thiếu minh chứng")
        if luck < 0.3:
            entry(code, "state", value=APPRAISED)
    with store.writing() as conn:
        conn.execute(insert(schema.round_entries), rows)
    print(f"{units} units, {len(rows)} entries")


def library(url: str) -> dict[str, float]:
    from scoring.access import Actor, Role
    from scoring.rounds import Rounds
    from scoring.store import Store

    officer, leader, unit = Actor("cb", Role.OFFICER), Actor("ld", Role.LEADERSHIP), Actor("dv", Role.UNIT, "DV00007")
    rounds = Rounds(Store(url))
    out = {"first fold (once a server)": seconds(lambda: rounds.board(officer, YEAR))}
    calls = {
        "work list, officer": lambda: rounds.work_list(officer),
        "work list, leadership": lambda: rounds.work_list(leader),
        "work list, unit": lambda: rounds.work_list(unit),
        "board": lambda: rounds.board(officer, YEAR),
        "provisional ranking": lambda: rounds.provisional(officer, YEAR),
        "one unit's sheet": lambda: rounds.sheet(unit, YEAR, "DV00007"),
        "one unit's history": lambda: rounds.history(officer, YEAR, "DV00007"),
    }
    for name, call in calls.items():
        call()
        out[f"{name}, warm"] = seconds(call)
        another_step(url)
        out[f"{name}, after a step"] = seconds(call)
    return out


def pages(url: str) -> dict[str, float]:
    from streamlit.testing.v1 import AppTest

    import pages._auth
    from tests.signing import add_account, session_token

    os.environ["DANVAN_DATABASE_URL"], os.environ["DANVAN_SEED_SAMPLE"] = url, "0"
    officer = session_token(add_account(url, "can-bo-do", "can_bo"), "can-bo-do")
    unit = session_token(add_account(url, "don-vi-do", "don_vi", "DV00003"), "don-vi-do")
    out = {}
    for token, page in ((officer, "tham_dinh"), (officer, "dot_danh_gia"), (unit, "tu_cham")):
        pages._auth._token = lambda token=token: token  # AppTest sends no cookie: the session, as the tests sign in
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
        visit = partial(lambda at, page: at.switch_page(f"pages/{page}.py").run(), at, page)
        out[f"{page}, first run"] = seconds(visit)
        assert not at.exception, [e.value for e in at.exception]
        out[f"{page}, warm"] = seconds(visit)
        another_step(url)
        out[f"{page}, after a step"] = seconds(visit)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=60_000)
    args = ap.parse_args()
    url = f"sqlite:///{tempfile.mkdtemp()}/round.sqlite"
    t = time.perf_counter()
    build(url, args.units)
    print(f"built in {time.perf_counter() - t:.1f} s")
    found = library(url) | pages(url)
    for name, value in found.items():
        print(f"  {name:<40} {value:7.3f} s")
    warm = [v for k, v in found.items() if k.endswith(("warm", "after a step")) and k.startswith(("tham", "dot", "tu"))]
    figure(
        f"round pages, open round of {args.units} units: page run warm / after a step (Thẩm định, Đợt đánh giá, "
        "Tự chấm)",
        f"{min(warm):.2f}–{max(warm):.2f} s",
        "≤ 1 s",
        BEFORE,
    )
    figure(
        f"work list in every page's sidebar, round of {args.units} units",
        f"{max(v for k, v in found.items() if k.startswith('work list')) * 1000:.0f} ms at most",
        "—",
        "0.44–0.72 s",
    )


if __name__ == "__main__":
    main()
