"""What the round's pages read of every unit at once: the board (state, self and appraised totals), each unit's
current state as counted for the work list, and what a unit's own account has to do."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .. import schema as t
from ..formats import deadline
from ..formats import stored_time as _utc
from ..framework import UNIT
from .sheet import RoundInfo, UnitSheet, key
from .states import EXPLAINING, NOT_SUBMITTED


def _board(info: RoundInfo, sheets: dict[str, UnitSheet]) -> pd.DataFrame:
    """Every unit's state and its self and appraised totals (of the unit criteria, before bonus and penalty); None
    where there is none yet (not submitted, not appraised), never a misleading 0."""
    codes = [key(UNIT, c) for c in info.framework.codes(UNIT)]
    rows = []
    for s in sheets.values():
        own = s.counted_self
        self_total = round(sum(own.get(k, 0.0) for k in codes), 2) if s.submitted else None
        appraised = s.submitted or any(s.review_scores.get(k) is not None for k in codes)
        review_total = (
            round(sum(s.review_scores.get(k, own.get(k, 0.0)) or 0.0 for k in codes), 2) if appraised else None
        )
        gap = None if self_total is None or review_total is None else round(self_total - review_total, 2)
        rows.append(
            {
                "code": s.code,
                "name": s.name,
                "cluster": s.cluster,
                "state": s.state,
                "self_total": self_total,
                "review_total": review_total,
                "gap": gap,
            }
        )
    totals = {"self_total": float, "review_total": float, "gap": float}  # NaN where none, whatever the rows hold
    return pd.DataFrame(rows, columns=["code", "name", "cluster", "state", *totals]).astype(totals)


def _board_update(
    board: pd.DataFrame, info: RoundInfo, sheets: dict[str, UnitSheet], changed: list[str]
) -> pd.DataFrame:
    """The board with the rows of the changed units made again (a new frame: the one before stays as it was)."""
    if not changed:
        return board
    fresh = _board(info, {c: sheets[c] for c in changed}).set_index("code")
    updated = board.set_index("code")
    updated.loc[fresh.index] = fresh
    return updated.reset_index()


def _latest(conn: Connection, round_id: int, code: str, kind: str):
    """The value of a unit's latest entry of a kind, or None."""
    e = t.round_entries
    value = conn.execute(
        select(e.c.value)
        .where(e.c.round_id == round_id, e.c.kind == kind, e.c.unit_code == code)
        .order_by(e.c.id.desc())
        .limit(1)
    ).scalar()
    return None if value is None else json.loads(value)


def _own_work(conn: Connection, row, code: str) -> list[tuple[str, str]]:
    """What a unit's own account has to do in a round."""
    if not conn.execute(
        select(t.round_units.c.code).where(t.round_units.c.round_id == row.id, t.round_units.c.code == code)
    ).first():
        return []
    state = _latest(conn, row.id, code, "state") or NOT_SUBMITTED
    if state == NOT_SUBMITTED:
        extended = _latest(conn, row.id, code, "extension")
        due = datetime.fromisoformat(extended) if extended else _utc(row.self_deadline)
        return [(f"Năm {row.year}: tự chấm và nộp trước {deadline(due)}", "tu-cham")]
    if state == EXPLAINING:
        return [(f"Năm {row.year}: trả lời yêu cầu giải trình", "tu-cham")]
    return []


def _appended_since(conn: Connection, round_id: int, done: int) -> list:
    """A round's unit entries after entry `done`, in order. Found by the primary key: there are few, and a filter
    on the round would walk the round's whole index."""
    e = t.round_entries
    return [
        x
        for x in conn.execute(select(e).where(e.c.id > done).order_by(e.c.id)).mappings()
        if x["round_id"] == round_id and x["unit_code"] is not None
    ]


def _current_states(conn: Connection, round_id: int) -> dict[str, str]:
    """Each unit's current state (its latest state entry; a unit without one is not listed), read in the database."""
    e = t.round_entries
    latest = select(func.max(e.c.id)).where(e.c.round_id == round_id, e.c.kind == "state").group_by(e.c.unit_code)
    return {
        code: json.loads(value)
        for code, value in conn.execute(select(e.c.unit_code, e.c.value).where(e.c.id.in_(latest)))
    }
