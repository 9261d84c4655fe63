"""Build one year's validated tables directly, for engine tests with hand-computed numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from scoring.dataset import LEADER_COLUMNS, UNIT_COLUMNS, YearData
from scoring.framework import LEADER, UNIT, Framework, load_preset

FW = load_preset()


def spread(total: float, fw: Framework = FW, target: str = UNIT) -> dict[str, float]:
    """Scores that give `total` with default weights: every criterion at the same share of its max."""
    return {c.code: float(c.max_points) * total / 100 for c in fw.of(target)}


def unit(code: str, total: float | None = None, cluster: str = "K1", review=None, self=None, **facts) -> dict:
    """A unit row: review scores from `review` (or spread from `total`), optional self scores."""
    review = dict(review) if review is not None else (spread(total) if total is not None else {})
    return {"code": code, "cluster": cluster, "review": review, "self": dict(self or {}), **facts}


def leader(unit_code: str, total: float | None = None, review=None, **facts) -> dict:
    review = dict(review) if review is not None else spread(total, target=LEADER)
    return {"unit_code": unit_code, "review": review, **facts}


def year_data(
    units: list[dict], leaders: list[dict] = (), year: int = 2025, fw: Framework = FW, has_self_columns: bool = False
) -> YearData:
    rows = []
    for i, u in enumerate(units):
        rows.append(
            {
                "code": u["code"],
                "name": u.get("name", f"Đơn vị {u['code']}"),
                "cluster": u["cluster"],
                "bonus": float(u.get("bonus", 0)),
                "penalty": float(u.get("penalty", 0)),
                "collective_discipline": u.get("collective_discipline", 0),
                "head_discipline": u.get("head_discipline", 0),
                "disunity": u.get("disunity", False),
                "corruption": u.get("corruption", False),
                "note": "",
                "not_rated": u.get("not_rated", ""),
                "conditions": json.dumps(u.get("conditions", {}), ensure_ascii=False),
                "has_self_columns": has_self_columns,
                "file": "test.xlsx",
                "sheet": "Tổ chức",
                "row": i + 5,
            }
        )
    codes = fw.codes(UNIT)
    lrows = [
        {
            "unit_code": ld["unit_code"],
            "name": ld.get("name", f"Người {ld['unit_code']}"),
            "title": "Bí thư",
            "discipline": ld.get("discipline", 0),
            "low_confidence": ld.get("low_confidence", False),
            "file": "test.xlsx",
            "sheet": "Người đứng đầu",
            "row": i + 5,
        }
        for i, ld in enumerate(leaders)
    ]
    lcodes = fw.codes(LEADER)
    return YearData(
        year=year,
        units=pd.DataFrame(rows, columns=UNIT_COLUMNS),
        unit_self=_scores([u["self"] for u in units], codes),
        unit_review=_scores([u["review"] for u in units], codes),
        leaders=pd.DataFrame(lrows, columns=LEADER_COLUMNS),
        leader_self=_scores([{} for _ in leaders], lcodes),
        leader_review=_scores([ld["review"] for ld in leaders], lcodes),
    )


def _scores(rows: list[dict], codes: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c, np.nan) for c in codes} for r in rows], columns=codes, dtype=float)


def by_code(result) -> pd.DataFrame:
    return result.units.set_index("code")


START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)  # when the tests' rounds open


class Clock:
    """A clock the tests move by hand: the store's and the accounts' rules are tested by the minute."""

    def __init__(self, now: datetime = START):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)
