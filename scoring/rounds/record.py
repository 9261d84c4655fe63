"""The round's record and the checks every step makes inside its write transaction.

Everything is appended to `round_entries` with the account, the time and the reason; nothing is updated or
deleted. A unit's current state is the fold of its entries (`sheet.UnitSheet`), kept here and brought up to date
with the entries appended since. Every step is one serialised write transaction that checks the step's row of
`states.STEPS` (right, states, deadline) inside it, so two people acting at once cannot lose each other's work or
slip past a check made a moment earlier.
"""

from __future__ import annotations

import copy
import json
import operator
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import compress

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from .. import schema as t
from ..access import Actor
from ..formats import deadline
from ..formats import stored_time as _utc
from ..store import Store
from ..text import unit_code
from .board import _appended_since
from .sheet import RoundError, RoundInfo, UnitSheet, _apply_all
from .states import NOT_SUBMITTED, OPEN, PUBLISHED, REVIEW, SELF, STATE_LABELS, STEPS, can, leaves


class Record:
    """The store, the clock and what is kept of each round; the checks and the appends of every step."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.clock = store, clock
        # Kept per round and shared by every page run that uses this object. Entries are only appended and writers
        # are serialised, so the newest entry id read in a snapshot says whether anything changed since.
        self._rosters: dict[tuple, pd.DataFrame] = {}  # (round id, opened at) → its roster, fixed once opened
        self._counted: dict[tuple, tuple] = {}  # (round id, opened at) → (newest entry id, states, state counts)
        self._folded: dict[tuple, tuple[int, dict[str, UnitSheet]]] = {}  # (round id, opened at) → (newest, sheets)
        self._derived: dict[tuple, tuple] = {}  # (what, round id, opened at) → (sheets, argument, value)
        self._made: dict[tuple, dict] = {}  # (round id, opened at) → each unit's rows for the engine (year_data_of)

    def _info(self, conn: Connection, year: int) -> RoundInfo | None:
        row = conn.execute(select(t.rounds).where(self.mine(), t.rounds.c.year == year)).mappings().first()
        if row is None:
            return None
        u = t.round_units
        last = conn.execute(select(func.max(u.c.position)).where(u.c.round_id == row["id"])).scalar() or 0
        units = self._roster(conn, row["id"], row["opened_at"], last)
        unpublished = conn.execute(select(t.rounds.c.id).where(t.rounds.c.id == row["id"], _unpublished())).first()
        e = t.round_entries
        reopened = conn.execute(
            select(e.c.value).where(e.c.round_id == row["id"], e.c.kind == "reopened").order_by(e.c.id.desc())
        ).scalar()
        review_deadline = (
            datetime.fromisoformat(json.loads(reopened)["review_deadline"])
            if reopened
            else _utc(row["review_deadline"])
        )
        return RoundInfo(
            row["id"],
            year,
            self.store.framework(row["framework_id"]),
            _utc(row["self_deadline"]),
            review_deadline,
            OPEN if unpublished else PUBLISHED,
            units,
            row["opened_at"],
            last,
        )

    def mine(self):
        """The condition that keeps the rounds of the store's committee."""
        return t.rounds.c.committee_id == self.store.committee_id

    def _roster(self, conn: Connection, round_id: int, opened_at, last: int) -> pd.DataFrame:
        roster = self._rosters.get((round_id, opened_at, last))
        if roster is None:
            u = t.round_units
            rows = conn.execute(
                select(u.c.code, u.c.name, u.c.cluster).where(u.c.round_id == round_id).order_by(u.c.position)
            ).all()
            for cache in (self._rosters, self._folded, self._made):  # a roster grown: what was kept of it goes
                for old in [k for k in cache if k[0] == round_id]:
                    del cache[old]
            for old in [k for k in self._derived if k[1] == round_id]:
                del self._derived[old]
            # Plain tuples: pandas probes each SQLAlchemy row for fields, a second per 60,000 rows.
            roster = self._rosters[(round_id, opened_at, last)] = pd.DataFrame(
                list(map(tuple, rows)), columns=["code", "name", "cluster"]
            )
        return roster

    def _sheets(self, conn: Connection, info: RoundInfo, code: str | None = None) -> dict[str, UnitSheet]:
        e = t.round_entries
        query = select(e).where(e.c.round_id == info.id, e.c.unit_code.is_not(None)).order_by(e.c.id)
        if code is not None:
            query = query.where(e.c.unit_code == code)
        units = info.units if code is None else info.units[info.units["code"] == code]
        sheets = {u.code: UnitSheet(u.code, u.name, u.cluster) for u in units.itertuples()}
        _apply_all(sheets, conn.execute(query).mappings())
        return sheets

    def _folded_sheets(self, conn: Connection, info: RoundInfo) -> dict[str, UnitSheet]:
        """Every unit's sheet, folded once and then brought up to date with the entries appended since (copying
        the sheets they change: a dict handed out before is never modified). Read-only for callers."""
        newest = conn.execute(select(func.max(t.round_entries.c.id))).scalar() or 0
        done, sheets = self._folded.get(info.key, (None, None))
        if sheets is None:
            sheets = self._sheets(conn, info)
        elif done != newest:
            entries = _appended_since(conn, info.id, done)
            changed = {c: copy.deepcopy(sheets[c]) for c in {x["unit_code"] for x in entries} if c in sheets}
            _apply_all(changed, entries)
            sheets = {**sheets, **changed}
        self._folded[info.key] = (newest, sheets)
        return sheets

    def _derive(self, what: str, info: RoundInfo, sheets: dict[str, UnitSheet], argument, build, update=None):
        """A value made from the folded sheets (and an argument), made again only when either is another object:
        the folded sheets are a new dict whenever an entry was appended, holding new sheets for the units it
        changed. With `update`, the value made before is brought up to date for those units only. Shared: callers
        only read it."""
        made = self._derived.get((what, *info.key))
        if made is not None and made[0] is sheets and made[1] is argument:
            return made[2]
        if made is not None and update is not None and made[1] is argument:
            changed = compress(sheets, map(operator.is_not, sheets.values(), map(made[0].get, sheets)))
            value = update(made[2], list(changed))
        else:
            value = build()
        self._derived[(what, *info.key)] = (sheets, argument, value)
        return value

    def _snapshot(self, year: int) -> tuple[RoundInfo, dict[str, UnitSheet]]:
        with self.store.reading() as conn:
            info = self._round(conn, year)
            return info, self._folded_sheets(conn, info)

    # ------------------------------------------------------------ checks inside the transaction

    def _round(self, conn: Connection, year: int, step: str | None = None) -> RoundInfo:
        """The year's round, in a state the step is taken in (no step: any state, for reading)."""
        info = self._info(conn, year)
        if info is None:
            raise RoundError(f"Năm {year} chưa có đợt đánh giá.")
        if step is not None and info.state not in STEPS[step].round_in:
            if info.state == PUBLISHED:
                raise RoundError(f"Đợt đánh giá năm {year} đã công bố: không sửa được nữa.")
            raise RoundError(f"Đợt đánh giá năm {year} đang mở, chưa công bố.")
        return info

    def _unit(self, conn: Connection, actor: Actor, step: str, year: int, code: str) -> tuple[RoundInfo, UnitSheet]:
        """The round and the unit a step is taken on, checked against the step's row of `STEPS`: the right, the
        unit's own account where it must be, the unit's state and the deadline."""
        rule = STEPS[step]
        self.store.require(actor, rule.right)
        code = unit_code(code)
        if rule.own and actor.unit_code != code:
            raise RoundError("Tài khoản này chỉ làm việc với đơn vị của mình.")
        info = self._round(conn, year, step)
        sheets = self._sheets(conn, info, code)
        if code not in sheets:
            raise RoundError(f"Đơn vị {code} không có trong đợt đánh giá năm {year}.")
        sheet = sheets[code]
        if not can(step, sheet.state):
            raise RoundError(f"Đơn vị {code} đang ở trạng thái “{STATE_LABELS[sheet.state]}”: không làm được việc này.")
        if rule.deadline == SELF and sheet.state == NOT_SUBMITTED:
            self._before(sheet.deadline or info.self_deadline, "tự chấm")
        if rule.deadline == REVIEW:
            if not self.appraisable(info, sheet):
                due = deadline(sheet.deadline or info.self_deadline)
                raise RoundError(
                    f"Đơn vị {sheet.code} chưa nộp và còn hạn tự chấm (đến {due}): chỉ thẩm định được sau hạn này."
                )
            self._before(info.review_deadline, "thẩm định")
        return info, sheet

    def appraisable(self, info: RoundInfo, sheet: UnitSheet) -> bool:
        """Open for the committee's appraisal (scores from the page or a file, completion): a unit that has not
        submitted only once its own deadline has passed."""
        return can("appraise", sheet.state) and (
            sheet.state != NOT_SUBMITTED or self.clock() > (sheet.deadline or info.self_deadline)
        )

    def _before(self, due: datetime, what: str) -> None:
        if self.clock() > due:
            raise RoundError(f"Đã quá hạn {what} ({deadline(due)}).")

    # ------------------------------------------------------------ appends

    def _leave(self, conn: Connection, info: RoundInfo, sheet: UnitSheet, actor: Actor, step: str, reason="") -> None:
        """The unit moved to the state the step leaves it in (`STEPS`), if that is another."""
        state = leaves(step, sheet.submitted)
        if state is not None and state != sheet.state:
            self._append(conn, info.id, sheet.code, actor, "state", value=state, reason=reason)

    def _append(
        self,
        conn: Connection,
        round_id: int,
        code: str | None,
        actor: Actor,
        kind: str,
        target: str = "",
        value=None,
        reason: str = "",
    ) -> None:
        conn.execute(
            insert(t.round_entries).values(
                round_id=round_id,
                unit_code=code,
                at=self.clock(),
                who=actor.login,
                kind=kind,
                target=target,
                value=json.dumps(value, ensure_ascii=False),
                reason=reason,
            )
        )

    def _forget_draft(self, conn: Connection, round_id: int, code: str, page: str) -> None:
        """Once saved, what was typed is in the record: the kept copies go (every officer's, for a unit closed)."""
        d = t.round_drafts
        conn.execute(delete(d).where(d.c.round_id == round_id, d.c.unit_code == code, d.c.page == page))


def _unpublished():
    """Rounds with no "published" entry since they were opened or last reopened: looked up round by round through
    the (round, kind) index, not by scanning every entry."""
    e, later = t.round_entries.alias("published"), t.round_entries.alias("later")
    reopened_since = (
        select(later.c.id)
        .where(later.c.round_id == e.c.round_id, later.c.kind == "reopened", later.c.id > e.c.id)
        .exists()
    )
    return ~select(e.c.id).where(e.c.round_id == t.rounds.c.id, e.c.kind == "published", ~reopened_since).exists()


def _checked_roster(units: pd.DataFrame) -> pd.DataFrame:
    roster = units.assign(code=units["code"].map(unit_code))[["code", "name", "cluster"]]
    if roster.empty or roster["code"].eq("").any() or roster["code"].duplicated().any():
        raise RoundError("Danh sách đơn vị trống, thiếu mã hoặc trùng mã.")
    return roster


def _insert_units(conn: Connection, round_id: int, roster: pd.DataFrame, first: int) -> None:
    conn.execute(
        insert(t.round_units),
        [
            {
                "round_id": round_id,
                "code": u.code,
                "position": first + i,
                "name": str(u.name),
                "cluster": str(u.cluster),
            }
            for i, u in enumerate(roster.itertuples())
        ],
    )
