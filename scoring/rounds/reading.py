"""What the pages, the command line and the round workbook read of a round: a unit's sheet, the board, the history,
the work list, the provisional result and the tables the engine rates."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .. import schema as t
from ..access import Actor, Right
from ..dataset import YearData
from ..engine import YearResult, rate
from ..formats import stored_time as _utc
from ..framework import Framework
from ..stability import DEFAULT, Settings, stability
from ..text import unit_code
from .board import _appended_since, _board, _board_update, _current_states, _own_work
from .record import Record, _unpublished
from .sheet import RoundError, RoundInfo, UnitSheet
from .states import IN_APPRAISAL, NOT_SUBMITTED, OPEN, PUBLISHED, TYPED_ON, ready_to_publish
from .tables import _tables_update, year_data_of


class Reading(Record):
    def get(self, year: int) -> RoundInfo | None:
        with self.store.reading() as conn:
            return self._info(conn, year)

    def sheet(self, actor: Actor, year: int, code: str) -> UnitSheet:
        code = unit_code(code)
        if not self.store.sees(actor, code):
            raise RoundError("Tài khoản này không xem được đơn vị khác.")
        with self.store.reading() as conn:
            info = self._round(conn, year)
            sheets = self._sheets(conn, info, code)
        if code not in sheets:
            raise RoundError(f"Đơn vị {code} không có trong đợt đánh giá năm {year}.")
        return sheets[code]

    def board(self, actor: Actor, year: int) -> pd.DataFrame:
        """Every unit's state and its self and appraised totals (of the unit criteria, before bonus and penalty)."""
        self.store.require(actor, Right.VIEW_ALL)
        info, sheets = self._snapshot(year)
        return self._derive(
            "board",
            info,
            sheets,
            None,
            lambda: _board(info, sheets),
            lambda board, changed: _board_update(board, info, sheets, changed),
        )

    def prepare(self) -> None:
        """Fold every open round's sheets (at server start, so that the first person to open a national round
        does not wait for millions of entries)."""
        for year in self.open_years():
            self._snapshot(year)

    def history(self, actor: Actor, year: int, code: str | None) -> pd.DataFrame:
        """Who changed what, when and why, for one unit (or, with no code, the round itself: opened, published,
        reopened), oldest first."""
        e = t.round_entries
        if code is None:
            self.store.require(actor, Right.VIEW_ALL)
            whose = e.c.unit_code.is_(None)
        else:
            code = unit_code(code)
            if not self.store.sees(actor, code):
                raise RoundError("Tài khoản này không xem được đơn vị khác.")
            whose = e.c.unit_code == code
        with self.store.reading() as conn:
            info = self._round(conn, year)
            rows = conn.execute(
                select(e.c.at, e.c.who, e.c.kind, e.c.target, e.c.value, e.c.reason)
                .where(e.c.round_id == info.id, whose)
                .order_by(e.c.id)
            ).all()
        return pd.DataFrame(rows, columns=["at", "who", "kind", "target", "value", "reason"])

    def open_years(self) -> list[int]:
        """Years whose round is not published yet, newest first."""
        return [year for year, state in self.years().items() if state == OPEN]

    def years(self) -> dict[int, str]:
        """Every year that has a round → OPEN or PUBLISHED, newest first."""
        with self.store.reading() as conn:
            opened = set(conn.execute(select(t.rounds.c.year).where(self.mine(), _unpublished())).scalars())
            return {
                y: OPEN if y in opened else PUBLISHED
                for y in conn.execute(
                    select(t.rounds.c.year).where(self.mine()).order_by(t.rounds.c.year.desc())
                ).scalars()
            }

    def published_versions(self) -> dict[int, int]:
        """Year → the dataset version its round published, for the rounds that stand published now."""
        r, e = t.rounds, t.round_entries
        with self.store.reading() as conn:
            rows = conn.execute(
                select(r.c.year, e.c.value)
                .join(e, e.c.round_id == r.c.id)
                .where(self.mine(), e.c.kind == "published", ~_unpublished())
                .order_by(e.c.id)
            ).all()
        return {year: json.loads(value)["dataset_id"] for year, value in rows}

    def work_list(self, actor: Actor) -> list[tuple[str, str]]:
        """What waits for this person, as (Vietnamese text, page path): the list is the notification. Drawn on
        every page, so it reads by index the person's own unit and counts the units' current states in the
        database, never rosters or scores (a national round holds millions of entries)."""
        work = []
        with self.store.reading() as conn:
            for row in conn.execute(
                select(t.rounds.c.id, t.rounds.c.year, t.rounds.c.self_deadline, t.rounds.c.opened_at)
                .where(self.mine(), _unpublished())
                .order_by(t.rounds.c.year.desc())
            ).all():
                if actor.may(Right.SELF_ASSESS) and actor.unit_code:
                    work += _own_work(conn, row, actor.unit_code)
                if not (actor.may(Right.APPRAISE) or (actor.may(Right.PUBLISH) and not actor.unit_code)):
                    continue
                states = self._state_counts(conn, row)
                waiting = sum(states[s] for s in IN_APPRAISAL)
                if actor.may(Right.APPRAISE) and waiting:
                    work.append((f"Năm {row.year}: {waiting} đơn vị chờ thẩm định", "tham-dinh"))
                if (
                    actor.may(Right.PUBLISH)
                    and not actor.unit_code
                    and ready_to_publish(
                        states,
                        conn.execute(
                            select(func.count()).select_from(t.round_units).where(t.round_units.c.round_id == row.id)
                        ).scalar(),
                    )
                ):
                    work.append((f"Năm {row.year}: đã thẩm định xong, chờ phê duyệt và công bố", "dot-danh-gia"))
        return work

    def _state_counts(self, conn: Connection, row) -> Counter:
        """The round's state counts: each unit's current state read once, then brought up to date with the state
        entries appended since (writers are serialised, so the newest entry id read in the same snapshot tells
        what is counted already)."""
        newest = conn.execute(select(func.max(t.round_entries.c.id))).scalar() or 0
        round_id = row.id
        done, states, counts = self._counted.get((round_id, row.opened_at), (None, None, None))
        if states is None:
            states = _current_states(conn, round_id)
            counts = Counter(states.values())
        elif done != newest:
            states, counts = dict(states), Counter(counts)  # a new pair: another thread may be reading the old one
            for entry in _appended_since(conn, round_id, done):
                if entry["kind"] == "state":
                    code = entry["unit_code"]
                    if code in states:
                        counts[states[code]] -= 1
                    states[code] = json.loads(entry["value"])
                    counts[states[code]] += 1
        self._counted[(round_id, row.opened_at)] = (newest, states, counts)
        return counts

    def summary(self, actor: Actor, year: int) -> dict | None:
        """The year's round in figures (None without one): its state, its units, their states counted, and the
        units late (not submitted, their own deadline passed)."""
        self.store.require(actor, Right.VIEW_ALL)
        with self.store.reading() as conn:
            info = self._info(conn, year)
            if info is None:
                return None
            sheets = self._folded_sheets(conn, info)
        now = self.clock()
        late = sum(s.state == NOT_SUBMITTED and now > (s.deadline or info.self_deadline) for s in sheets.values())
        return {
            "state": info.state,
            "units": len(sheets),
            "states": Counter(s.state for s in sheets.values()),
            "late": late,
        }

    def snapshot(self, actor: Actor, year: int) -> tuple[RoundInfo, dict[str, UnitSheet]]:
        """The round and every unit's sheet as they stand, read in one snapshot."""
        self.store.require(actor, Right.VIEW_ALL)
        return self._snapshot(year)

    def year_data(self, year: int) -> tuple[YearData, Framework]:
        """The round as the tables the engine rates: self and appraisal scores, settings, leaders."""
        info, sheets = self._snapshot(year)
        return year_data_of(year, info, sheets), info.framework

    def provisional(self, actor: Actor, year: int, previous: YearResult | None = None) -> YearResult:
        self.store.require(actor, Right.VIEW_ALL)
        info, sheets = self._snapshot(year)
        return self._derive(
            "provisional", info, sheets, previous, lambda: rate(self._tables(info, sheets), info.framework, previous)
        )

    def stability(self, actor: Actor, year: int, settings: Settings = DEFAULT) -> pd.DataFrame:
        """The provisional result's stability (advisory), made again only after the round changed."""
        self.store.require(actor, Right.VIEW_ALL)
        info, sheets = self._snapshot(year)

        def build() -> pd.DataFrame:
            tables = self._tables(info, sheets)
            return stability(tables, info.framework, rate(tables, info.framework), settings)

        return self._derive("stability", info, sheets, settings, build)

    def _tables(self, info: RoundInfo, sheets: dict[str, UnitSheet]) -> YearData:
        """The tables the engine rates, kept: after a change, the last ones with the changed units' rows replaced."""
        made = self._made.setdefault(info.key, {})
        return self._derive(
            "tables",
            info,
            sheets,
            None,
            lambda: year_data_of(info.year, info, sheets, made),
            lambda data, changed: _tables_update(data, info, sheets, changed, made),
        )

    def evidence_file(self, actor: Actor, year: int, code: str, digest: str) -> tuple[str, bytes]:
        """The media type and bytes of an evidence file of a unit the actor may see."""
        sheet = self.sheet(actor, year, code)
        if digest not in {e["sha256"] for e in sheet.files}:
            raise RoundError("Không có tệp minh chứng này.")
        with self.store.reading() as conn:
            row = conn.execute(
                select(t.evidence.c.media_type, t.evidence.c.content).where(t.evidence.c.sha256 == digest)
            ).first()
        return row.media_type, bytes(row.content)

    def typed(self, actor: Actor, year: int, code: str, page: str) -> tuple[dict, datetime] | None:
        """What `keep_typed` kept for this person, unit and page, with when; None if nothing waits."""
        d = t.round_drafts
        with self.store.reading() as conn:
            info = self._round(conn, year, TYPED_ON.get(page, "save_draft"))
            row = conn.execute(
                select(d.c.content, d.c.saved_at).where(
                    d.c.round_id == info.id,
                    d.c.unit_code == unit_code(code),
                    d.c.page == page,
                    d.c.login == actor.login,
                )
            ).first()
        return None if row is None else (json.loads(row.content), _utc(row.saved_at))
