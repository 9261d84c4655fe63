"""The evaluation round of a year: open → units self-assess (with evidence) and submit → the committee appraises,
asks for explanations, completes each unit → the leadership publishes the result as the year's new version.

Everything is appended to `round_entries` with the account, the time and the reason; nothing is updated or
deleted. A unit's current state is the fold of its entries (`UnitSheet`). Every step is one serialised write
transaction that checks the role, the unit's state and the deadline inside it, so two people acting at once
cannot lose each other's work or slip past a check made a moment earlier.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
import operator
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import compress

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from . import schema as t
from .access import Actor, Right
from .dataset import LEADER_COLUMNS, ORIGIN_CHOSEN, UNIT_COLUMNS, YearData
from .engine import YearResult, rate
from .framework import LEADER, UNIT, Framework
from .presentation import vn
from .store import VN_TIME, Store, record
from .store import stored_time as _utc
from .text import nfc, unit_code
from .validation import Issue
from .workbook import zip_bomb

NOT_SUBMITTED, SUBMITTED, REVIEWING, EXPLAINING, APPRAISED = (
    "chua_nop",
    "da_nop",
    "dang_tham_dinh",
    "cho_giai_trinh",
    "da_tham_dinh",
)
NO_SELF, WITHDRAWN = "khong_tu_cham", "rut_khoi"  # appraised without the unit's submission; taken out of the round
STATE_LABELS = {
    NOT_SUBMITTED: "Chưa nộp",
    SUBMITTED: "Đã nộp",
    REVIEWING: "Đang thẩm định",
    EXPLAINING: "Chờ giải trình",
    APPRAISED: "Đã thẩm định",
    NO_SELF: "Không tự chấm",
    WITHDRAWN: "Đã rút khỏi đợt",
}
FINAL = frozenset({APPRAISED, NO_SELF, WITHDRAWN})  # a round publishes once every unit is in one of these
IN_APPRAISAL = frozenset({SUBMITTED, REVIEWING})  # the committee appraises; a unit past its deadline too
OPEN, PUBLISHED = "open", "published"
FLAGS = ("collective_discipline", "head_discipline", "disunity", "corruption", "low_confidence")
MAX_EVIDENCE_BYTES = 20 * 2**20
MAX_EVIDENCE_UNPACKED = 100 * 2**20  # an Office file's parts together; real documents are far smaller
SOURCE_NAME = "Đợt đánh giá"


class RoundError(Exception):
    """A round step refused; the message is for users, in Vietnamese."""


@dataclass(frozen=True)
class Change:
    """One appraisal entry to append: a criterion's appraised score ("review") or a setting, with its reason."""

    code: str
    kind: str
    target: str
    value: float
    reason: str


Compared = tuple[list[Change], list[Issue]]  # a file against the round: the changes and what was refused


@dataclass(frozen=True)
class RoundInfo:
    id: int
    year: int
    framework: Framework
    self_deadline: datetime
    review_deadline: datetime
    state: str
    units: pd.DataFrame  # code, name, cluster in roster order; shared, never modified
    opened_at: datetime | None = None
    last_position: int = 0  # the roster only grows: with the id and opening time, names this roster

    @property
    def key(self) -> tuple:
        """What kept values of this round are filed under: a cancelled round's id may come back, a roster grow."""
        return self.id, self.opened_at, self.last_position


@dataclass
class UnitSheet:
    """One unit's round as it stands: the fold of its entries."""

    code: str
    name: str
    cluster: str
    state: str = NOT_SUBMITTED
    self_scores: dict[str, float] = field(default_factory=dict)  # "U:1.1" / "L:1" → score
    statements: dict[str, str] = field(default_factory=dict)
    review_scores: dict[str, float] = field(default_factory=dict)
    review_reasons: dict[str, str] = field(default_factory=dict)
    leader: dict[str, str] = field(default_factory=lambda: {"name": "", "title": ""})
    settings: dict[str, float] = field(
        default_factory=lambda: {"bonus": 0.0, "penalty": 0.0, **dict.fromkeys(FLAGS, 0)}
    )
    questions: list[dict] = field(default_factory=list)  # {"criteria", "question", "answer", "asked_by", …}
    evidence: list[dict] = field(default_factory=list)  # {"sha256", "name", "target", "who", "at", "withdrawn"}
    deadline: datetime | None = None  # an extension of the self-assessment deadline for this unit
    submitted: bool = False  # the unit submitted its self-assessment (at least once)
    closing: str = ""  # why the committee completed a unit that never submitted

    @property
    def counted_self(self) -> dict[str, float]:
        """The self scores that count: a draft never submitted is no self-assessment (domain §4 step 6)."""
        return self.self_scores if self.submitted else {}

    @property
    def files(self) -> list[dict]:
        """Evidence in force (a file withdrawn stays in the history only)."""
        return [e for e in self.evidence if not e.get("withdrawn")]


def key(target: str, code: str) -> str:
    """The entry target of a criterion: units' and leaders' criteria may share codes."""
    return f"{'U' if target == UNIT else 'L'}:{code}"


class Rounds:
    def __init__(self, store: Store, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store, self.clock = store, clock
        # Kept per round and shared by every page run that uses this object. Entries are only appended and writers
        # are serialised, so the newest entry id read in a snapshot says whether anything changed since.
        self._rosters: dict[tuple, pd.DataFrame] = {}  # (round id, opened at) → its roster, fixed once opened
        self._counted: dict[tuple, tuple] = {}  # (round id, opened at) → (newest entry id, states, state counts)
        self._folded: dict[tuple, tuple[int, dict[str, UnitSheet]]] = {}  # (round id, opened at) → (newest, sheets)
        self._derived: dict[tuple, tuple] = {}  # (what, round id, opened at) → (sheets, argument, value)
        self._made: dict[tuple, dict] = {}  # (round id, opened at) → each unit's rows for the engine (year_data_of)

    # ------------------------------------------------------------ reading

    def get(self, year: int) -> RoundInfo | None:
        with self.store.reading() as conn:
            return self._info(conn, year)

    def _info(self, conn: Connection, year: int) -> RoundInfo | None:
        row = conn.execute(select(t.rounds).where(t.rounds.c.year == year)).mappings().first()
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

    def sheet(self, actor: Actor, year: int, code: str) -> UnitSheet:
        code = unit_code(code)
        if not actor.sees_unit(code):
            raise RoundError("Tài khoản này không xem được đơn vị khác.")
        with self.store.reading() as conn:
            info = self._open_info(conn, year, published_ok=True)
            sheets = self._sheets(conn, info, code)
        if code not in sheets:
            raise RoundError(f"Đơn vị {code} không có trong đợt đánh giá năm {year}.")
        return sheets[code]

    def board(self, actor: Actor, year: int) -> pd.DataFrame:
        """Every unit's state and its self and appraised totals (of the unit criteria, before bonus and penalty)."""
        actor.require(Right.VIEW_ALL)
        info, sheets = self._snapshot(year)
        return self._derive(
            "board",
            info,
            sheets,
            None,
            lambda: _board(info, sheets),
            lambda board, changed: _board_update(board, info, sheets, changed),
        )

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
            actor.require(Right.VIEW_ALL)
            whose = e.c.unit_code.is_(None)
        else:
            code = unit_code(code)
            if not actor.sees_unit(code):
                raise RoundError("Tài khoản này không xem được đơn vị khác.")
            whose = e.c.unit_code == code
        with self.store.reading() as conn:
            info = self._open_info(conn, year, published_ok=True)
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
            opened = set(conn.execute(select(t.rounds.c.year).where(_unpublished())).scalars())
            return {
                y: OPEN if y in opened else PUBLISHED
                for y in conn.execute(select(t.rounds.c.year).order_by(t.rounds.c.year.desc())).scalars()
            }

    def published_versions(self) -> dict[int, int]:
        """Year → the dataset version its round published, for the rounds that stand published now."""
        r, e = t.rounds, t.round_entries
        with self.store.reading() as conn:
            rows = conn.execute(
                select(r.c.year, e.c.value)
                .join(e, e.c.round_id == r.c.id)
                .where(e.c.kind == "published", ~_unpublished())
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
                .where(_unpublished())
                .order_by(t.rounds.c.year.desc())
            ).all():
                if actor.may(Right.SELF_ASSESS) and actor.unit_code:
                    work += _own_work(conn, row, actor.unit_code)
                if not (actor.may(Right.IMPORT) or (actor.may(Right.PUBLISH) and not actor.unit_code)):
                    continue
                states = self._state_counts(conn, row)
                waiting = states[SUBMITTED] + states[REVIEWING]
                if actor.may(Right.IMPORT) and waiting:
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

    # ------------------------------------------------------------ steps

    def open(
        self,
        actor: Actor,
        year: int,
        framework: Framework,
        units: pd.DataFrame,
        self_deadline: datetime,
        review_deadline: datetime,
    ) -> int:
        """A round for a year with a frozen framework, a roster (code, name, cluster) and two deadlines."""
        actor.require(Right.IMPORT)
        # In UTC: SQLite keeps a time without its zone, so a Vietnam time would come back 7 hours late.
        self_deadline, review_deadline = (_utc(d).astimezone(UTC) for d in (self_deadline, review_deadline))
        if review_deadline < self_deadline:
            raise RoundError("Hạn thẩm định phải sau hạn tự chấm.")
        roster = _checked_roster(units)
        with self.store.writing() as conn:
            if conn.execute(select(t.rounds.c.id).where(t.rounds.c.year == year)).first():
                raise RoundError(f"Năm {year} đã có đợt đánh giá.")
            framework_id = self.store.framework_id_in(conn, framework, actor.login)
            round_id = conn.execute(
                insert(t.rounds).values(
                    year=year,
                    framework_id=framework_id,
                    self_deadline=self_deadline,
                    review_deadline=review_deadline,
                    opened_at=self.clock(),
                    opened_by=actor.login,
                )
            ).inserted_primary_key[0]
            _insert_units(conn, round_id, roster, 0)
            self._append(conn, round_id, None, actor, "opened", value={"units": len(roster)})
            record(conn, actor.login, "round_open", year, detail=f"Mở đợt đánh giá năm {year}: {len(roster)} đơn vị")
        return round_id

    def cancel(self, actor: Actor, year: int, reason: str) -> None:
        """A round nobody has worked in (no unit entry at all) removed, so that it can be opened again right (a
        wrong roster, framework or deadline); audited with its reason."""
        actor.require(Right.IMPORT)
        reason = _reason(reason)
        with self.store.writing() as conn:
            info = self._open_info(conn, year)
            e = t.round_entries
            if conn.execute(select(e.c.id).where(e.c.round_id == info.id, e.c.unit_code.is_not(None)).limit(1)).first():
                raise RoundError(
                    f"Đợt đánh giá năm {year} đã có đơn vị làm việc: không hủy được. Có thể rút từng "
                    "đơn vị khỏi đợt hoặc thêm đơn vị, kèm lý do."
                )
            for table in (t.round_drafts, t.round_entries, t.round_units):
                conn.execute(delete(table).where(table.c.round_id == info.id))
            conn.execute(delete(t.rounds).where(t.rounds.c.id == info.id))
            record(
                conn,
                actor.login,
                "round_cancel",
                year,
                detail=f"Hủy đợt đánh giá năm {year} ({len(info.units)} đơn vị): {reason}",
            )

    def add_units(self, actor: Actor, year: int, units: pd.DataFrame, reason: str) -> int:
        """Units added to an open round's roster (a unit newly set up, one forgotten), with a reason; audited.
        Returns how many were added."""
        actor.require(Right.IMPORT)
        reason, roster = _reason(reason), _checked_roster(units)
        with self.store.writing() as conn:
            info = self._open_info(conn, year)
            there = sorted(set(roster["code"]) & set(info.units["code"]))
            if there:
                raise RoundError("Đã có trong đợt: " + ", ".join(there[:10]))
            _insert_units(conn, info.id, roster, info.last_position + 1)
            for code in roster["code"]:
                self._append(conn, info.id, code, actor, "added", value=None, reason=reason)
            record(
                conn,
                actor.login,
                "round_add_units",
                year,
                detail=f"Thêm {len(roster)} đơn vị vào đợt năm {year} ({', '.join(roster['code'][:10])}): {reason}",
            )
        return len(roster)

    def withdraw(self, actor: Actor, year: int, code: str, reason: str) -> None:
        """A unit taken out of an open round (merged, dissolved), with a reason; audited. It is not rated, and the
        round no longer waits for it."""
        reason = _reason(reason)
        with self.store.writing() as conn:
            info, sheet = self._unit_step(conn, actor, year, code, Right.IMPORT, set(STATE_LABELS) - {WITHDRAWN})
            self._append(conn, info.id, sheet.code, actor, "state", value=WITHDRAWN, reason=reason)
            record(conn, actor.login, "round_withdraw", year, detail=f"Rút {sheet.code} khỏi đợt năm {year}: {reason}")

    def save_draft(
        self,
        actor: Actor,
        year: int,
        code: str,
        scores: dict[str, float | Decimal | None],
        statements: dict[str, str] | None = None,
        leader: dict[str, str] | None = None,
    ) -> None:
        """The unit's scores (keys from `key`), statements and leader's name and title, any number of times until
        it submits, before its deadline. Only what changed is appended."""
        with self.store.writing() as conn:
            info, sheet = self._unit_step(conn, actor, year, code, Right.SELF_ASSESS, {NOT_SUBMITTED}, own=True)
            self._before_self_deadline(info, sheet)
            maxima = _maxima(info.framework)
            for target, value in scores.items():
                number = _score(target, value, maxima)
                if number != sheet.self_scores.get(target):
                    self._append(conn, info.id, sheet.code, actor, "self", target, number)
            for target, text in (statements or {}).items():
                if target not in maxima:
                    raise RoundError(f"Không có tiêu chí {target}.")
                if text.strip() != sheet.statements.get(target, ""):
                    self._append(conn, info.id, sheet.code, actor, "statement", target, text.strip())
            for name, text in (leader or {}).items():
                if name in ("name", "title") and text.strip() != sheet.leader.get(name, ""):
                    self._append(conn, info.id, sheet.code, actor, "leader", name, text.strip())
            self._forget_draft(conn, info.id, sheet.code, "tu-cham")

    def draft_from_form(self, actor: Actor, year: int, code: str, data: YearData) -> int:
        """Fill the draft from the unit's own filled form, read by the same reader as any upload: its self scores
        (unit and leader criteria) and its leader's name and title. Returns how many scores were read."""
        code = unit_code(code)
        rows = data.units.index[data.units["code"] == code]
        if not len(rows):
            found = ", ".join(data.units["code"].head(5)) or "không có"
            raise RoundError(f"Tệp không phải phiếu của đơn vị {code} (mã trong tệp: {found}).")
        scores = {key(UNIT, c): v for c, v in data.unit_self.loc[rows[0]].items() if not pd.isna(v)}
        leader = {}
        lead = data.leaders.index[data.leaders["unit_code"] == code]
        if len(lead):
            scores |= {key(LEADER, c): v for c, v in data.leader_self.loc[lead[0]].items() if not pd.isna(v)}
            leader = {"name": str(data.leaders.at[lead[0], "name"]), "title": str(data.leaders.at[lead[0], "title"])}
        self.save_draft(actor, year, code, scores, leader=leader)
        return len(scores)

    def submit(self, actor: Actor, year: int, code: str) -> None:
        with self.store.writing() as conn:
            info, sheet = self._unit_step(conn, actor, year, code, Right.SELF_ASSESS, {NOT_SUBMITTED}, own=True)
            self._before_self_deadline(info, sheet)
            missing = [k for k in _maxima(info.framework) if k not in sheet.self_scores]
            if missing:
                raise RoundError("Chưa chấm các tiêu chí: " + ", ".join(m[2:] for m in missing))
            if info.framework.codes(LEADER) and not sheet.leader.get("name"):
                raise RoundError(
                    "Chưa ghi họ tên người đứng đầu: điểm các tiêu chí người đứng đầu ("
                    + ", ".join(info.framework.codes(LEADER))
                    + ") cần có tên người được chấm."
                )
            self._append(conn, info.id, sheet.code, actor, "state", value=SUBMITTED)
            self._forget_draft(conn, info.id, sheet.code, "tu-cham")

    def extend(self, actor: Actor, year: int, code: str, deadline: datetime, reason: str) -> None:
        """A later self-assessment deadline for one unit (officers only, with a reason)."""
        with self.store.writing() as conn:
            info, sheet = self._unit_step(conn, actor, year, code, Right.IMPORT, {NOT_SUBMITTED})
            self._append(
                conn, info.id, sheet.code, actor, "extension", value=_utc(deadline).isoformat(), reason=_reason(reason)
            )

    def add_evidence(self, actor: Actor, year: int, code: str, name: str, content: bytes, target: str = "") -> str:
        """A file backing the unit's scores; kept once by SHA-256, checked by its content, its name cleaned
        (`evidence_name`). Returns the SHA-256."""
        name = evidence_name(name)
        media = evidence_type(name, content)
        digest = hashlib.sha256(content).hexdigest()
        with self.store.writing() as conn:
            info, sheet = self._unit_step(
                conn, actor, year, code, Right.SELF_ASSESS, {NOT_SUBMITTED, EXPLAINING}, own=True
            )
            if sheet.state == NOT_SUBMITTED:
                self._before_self_deadline(info, sheet)
            if not conn.execute(select(t.evidence.c.sha256).where(t.evidence.c.sha256 == digest)).first():
                conn.execute(
                    insert(t.evidence).values(
                        sha256=digest,
                        size=len(content),
                        media_type=media,
                        content=content,
                        added_at=self.clock(),
                        added_by=actor.login,
                    )
                )
            self._append(
                conn,
                info.id,
                sheet.code,
                actor,
                "evidence",
                target,
                {"sha256": digest, "name": name, "size": len(content), "media_type": media},
            )
        return digest

    def withdraw_evidence(self, actor: Actor, year: int, code: str, digest: str, reason: str = "") -> None:
        """A file attached by mistake taken back by its unit while it may still attach files (kept in the history)."""
        with self.store.writing() as conn:
            info, sheet = self._unit_step(
                conn, actor, year, code, Right.SELF_ASSESS, {NOT_SUBMITTED, EXPLAINING}, own=True
            )
            found = next((e for e in sheet.files if e["sha256"] == digest), None)
            if found is None:
                raise RoundError("Không có tệp minh chứng này.")
            self._append(
                conn, info.id, sheet.code, actor, "evidence_withdrawn", found["target"], digest, reason.strip()
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

    def appraise(
        self, actor: Actor, year: int, code: str, scores: dict[str, float | Decimal | None], reasons: dict[str, str]
    ) -> None:
        """Appraisal scores; one that differs from the unit's own score needs a reason."""
        with self.store.writing() as conn:
            info, sheet = self._appraisal_step(conn, actor, year, code)
            self._appraise(conn, actor, info, sheet, scores, reasons)

    def _appraise(
        self,
        conn: Connection,
        actor: Actor,
        info: RoundInfo,
        sheet: UnitSheet,
        scores: dict[str, float | Decimal | None],
        reasons: dict[str, str],
    ) -> None:
        maxima, own = _maxima(info.framework), sheet.counted_self
        for target, value in scores.items():
            number = _score(target, value, maxima)
            if number is None or number == sheet.review_scores.get(target, own.get(target)):
                continue
            reason = (reasons.get(target) or "").strip()
            if target in own and number != own[target] and not reason:  # a unit that never submitted: no own score
                raise RoundError(
                    f"Tiêu chí {target[2:]}: điểm thẩm định {vn(number)} khác điểm tự chấm "
                    f"{vn(own[target])}, cần ghi lý do."
                )
            self._append(conn, info.id, sheet.code, actor, "review", target, number, reason)
        if sheet.state in (SUBMITTED, NOT_SUBMITTED):
            self._append(conn, info.id, sheet.code, actor, "state", value=REVIEWING)
        self._forget_draft(conn, info.id, sheet.code, "tham-dinh")

    def ask(self, actor: Actor, year: int, code: str, criteria: list[str], question: str) -> None:
        """ "Yêu cầu giải trình": a question to the unit on some criteria; appraisal waits for the answer."""
        with self.store.writing() as conn:
            info, sheet = self._unit_step(conn, actor, year, code, Right.IMPORT, IN_APPRAISAL)
            self._append(
                conn, info.id, sheet.code, actor, "question", ",".join(criteria), question.strip(), _reason(question)
            )
            self._append(conn, info.id, sheet.code, actor, "state", value=EXPLAINING)

    def answer(self, actor: Actor, year: int, code: str, text: str) -> None:
        """ "Gửi giải trình": the unit answers (its scores stay as they are); appraisal continues."""
        with self.store.writing() as conn:
            info, sheet = self._unit_step(conn, actor, year, code, Right.SELF_ASSESS, {EXPLAINING}, own=True)
            self._append(conn, info.id, sheet.code, actor, "answer", value=text.strip(), reason=_reason(text))
            self._append(conn, info.id, sheet.code, actor, "state", value=REVIEWING)

    def complete(
        self,
        actor: Actor,
        year: int,
        code: str,
        settings: dict[str, float],
        reason: str,
        scores: dict[str, float | Decimal | None] | None = None,
        reasons: dict[str, str] | None = None,
    ) -> None:
        """ "Hoàn tất thẩm định": the appraisal scores still to save, bonus, penalty and the rule flags with a reason,
        then the unit is closed: "Đã thẩm định", or "Không tự chấm" for a unit that never submitted (appraised
        after its deadline from the committee's own findings; rated KHTNV by domain §4 step 6)."""
        with self.store.writing() as conn:
            info, sheet = self._appraisal_step(conn, actor, year, code)
            if scores:
                self._appraise(conn, actor, info, sheet, scores, reasons or {})
            self._complete(conn, actor, info, sheet, settings, reason)

    def complete_all(self, actor: Actor, year: int, codes: list[str] | None, reason: str) -> list[str]:
        """Closing a round from the committee's file: the units named (None: every unit submitted, under
        appraisal, or past its deadline without submitting) completed at the scores in force, in one transaction;
        if one is refused none is completed, and every refusal is named. Returns the codes completed."""
        actor.require(Right.IMPORT)
        reason = _reason(reason)
        with self.store.writing() as conn:
            info = self._open_info(conn, year)
            sheets = self._sheets(conn, info)
            if codes is None:
                codes = [c for c, s in sheets.items() if self.appraisable(info, s)]
            problems, chosen = [], []
            for code in map(unit_code, codes):
                sheet = sheets.get(code)
                if sheet is None:
                    problems.append(f"{code}: không có trong đợt đánh giá năm {year}")
                elif not self.appraisable(info, sheet):
                    problems.append(
                        f"{code}: đang ở trạng thái “{STATE_LABELS[sheet.state]}”"
                        + (", chưa hết hạn tự chấm" if sheet.state == NOT_SUBMITTED else "")
                    )
                else:
                    chosen.append(sheet)
            if problems:
                raise RoundError("Không hoàn tất đơn vị nào: " + "; ".join(problems))
            self._before(info.review_deadline, "thẩm định")
            for sheet in chosen:
                self._complete(conn, actor, info, sheet, {}, reason)
        return [s.code for s in chosen]

    def _complete(
        self, conn: Connection, actor: Actor, info: RoundInfo, sheet: UnitSheet, settings: dict[str, float], reason: str
    ) -> None:
        """Close a unit the caller found open for appraisal, before the appraisal deadline."""
        fw = info.framework
        for name, value in settings.items():
            if name not in sheet.settings:
                raise RoundError(f"Không có mục “{name}”.")
            number = float(value)
            limit = {"bonus": fw.bonus_max, "penalty": fw.penalty_max}.get(name)
            if limit is not None and not 0 <= number <= float(limit):
                raise RoundError(f"{'Điểm thưởng' if name == 'bonus' else 'Điểm trừ'} phải từ 0 đến {vn(limit)}.")
            if number != sheet.settings[name]:
                self._append(conn, info.id, sheet.code, actor, "setting", name, number, _reason(reason))
        done = APPRAISED if sheet.submitted else NO_SELF
        self._append(
            conn,
            info.id,
            sheet.code,
            actor,
            "state",
            value=done,
            reason=_reason(reason) if done == NO_SELF else reason.strip(),
        )
        self._forget_draft(conn, info.id, sheet.code, "tham-dinh")

    def snapshot(self, actor: Actor, year: int) -> tuple[RoundInfo, dict[str, UnitSheet]]:
        """The round and every unit's sheet as they stand, read in one snapshot."""
        actor.require(Right.VIEW_ALL)
        return self._snapshot(year)

    def _snapshot(self, year: int) -> tuple[RoundInfo, dict[str, UnitSheet]]:
        with self.store.reading() as conn:
            info = self._open_info(conn, year, published_ok=True)
            return info, self._folded_sheets(conn, info)

    def year_data(self, year: int) -> tuple[YearData, Framework]:
        """The round as the tables the engine rates: self and appraisal scores, settings, leaders."""
        info, sheets = self._snapshot(year)
        return year_data_of(year, info, sheets), info.framework

    def provisional(self, actor: Actor, year: int, previous: YearResult | None = None) -> YearResult:
        actor.require(Right.VIEW_ALL)
        info, sheets = self._snapshot(year)
        return self._derive(
            "provisional", info, sheets, previous, lambda: rate(self._tables(info, sheets), info.framework, previous)
        )

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

    def publish(self, actor: Actor, year: int) -> int:
        """Every unit appraised: the round becomes the year's new active version, and the round is locked."""
        actor.require(Right.PUBLISH)
        with self.store.writing() as conn:
            info = self._open_info(conn, year)
            sheets = self._sheets(conn, info)
            waiting = [s.code for s in sheets.values() if s.state not in FINAL]
            if waiting:
                raise RoundError(f"Còn {len(waiting)} đơn vị chưa thẩm định xong: " + ", ".join(waiting[:10]))
            if all(s.state == WITHDRAWN for s in sheets.values()):
                raise RoundError("Mọi đơn vị đã rút khỏi đợt: không có kết quả để công bố.")
            framework_id = conn.execute(select(t.rounds.c.framework_id).where(t.rounds.c.id == info.id)).scalar()
            dataset_id = self.store.store_year_in(
                conn, year_data_of(year, info, sheets), framework_id, ORIGIN_CHOSEN, actor.login
            )
            self._append(conn, info.id, None, actor, "published", value={"dataset_id": dataset_id})
            record(
                conn,
                actor.login,
                "round_publish",
                year,
                dataset_id,
                detail=f"Phê duyệt và công bố kết quả đợt đánh giá năm {year}",
            )
        return dataset_id

    def import_changes(
        self, actor: Actor, year: int, diff: Callable[[RoundInfo, dict[str, UnitSheet], set[str]], Compared]
    ) -> Compared:
        """Appraisal changes read from a file (see `round_files`): `diff` compares the file with the units' sheets
        as they stand inside this write transaction, given the units open for appraisal now. All are written, each with
        its reason, or, if `diff` found any error, none."""
        actor.require(Right.IMPORT)
        with self.store.writing() as conn:
            info = self._open_info(conn, year)
            sheets = self._sheets(conn, info)
            changes, issues = diff(info, sheets, {c for c, s in sheets.items() if self.appraisable(info, s)})
            if any(i.severity == "error" for i in issues) or not changes:
                return changes, issues
            self._before(info.review_deadline, "thẩm định")
            for c in changes:
                self._append(conn, info.id, c.code, actor, c.kind, c.target, c.value, c.reason)
            for code in dict.fromkeys(c.code for c in changes):
                if sheets[code].state in (SUBMITTED, NOT_SUBMITTED):
                    self._append(conn, info.id, code, actor, "state", value=REVIEWING)
            record(
                conn,
                actor.login,
                "round_import",
                year,
                detail=f"Nhập {len(changes)} ô thay đổi của {len({c.code for c in changes})} đơn vị từ tệp",
            )
        return changes, issues

    def reopen(self, actor: Actor, year: int, reason: str, review_deadline: datetime) -> None:
        """A published round opened again (a complaint, a correction): only with a reason, which is audited, and a
        new appraisal deadline. Its units stay appraised until an officer reopens one (`reopen_unit`); publishing
        again stores another version of the year."""
        actor.require(Right.IMPORT)
        review_deadline = _utc(review_deadline)
        with self.store.writing() as conn:
            info = self._open_info(conn, year, published_ok=True)
            if info.state != PUBLISHED:
                raise RoundError(f"Đợt đánh giá năm {year} đang mở, chưa công bố.")
            self._before(review_deadline, "thẩm định mới")
            self._append(
                conn,
                info.id,
                None,
                actor,
                "reopened",
                value={"review_deadline": review_deadline.isoformat()},
                reason=_reason(reason),
            )
            record(conn, actor.login, "round_reopen", year, detail=f"Mở lại đợt đánh giá năm {year}: {reason.strip()}")

    def reopen_unit(self, actor: Actor, year: int, code: str, reason: str) -> None:
        """An appraised unit back to "Đang thẩm định" (before publication, or after the round was reopened)."""
        with self.store.writing() as conn:
            info, sheet = self._unit_step(conn, actor, year, code, Right.IMPORT, {APPRAISED, NO_SELF})
            self._append(conn, info.id, sheet.code, actor, "state", value=REVIEWING, reason=_reason(reason))

    # ------------------------------------------------------------ what was typed and not saved yet

    def keep_typed(self, actor: Actor, year: int, code: str, page: str, content: dict) -> None:
        """What this person typed on a round page for a unit and has not saved (a menu click or a reload loses
        nothing): kept on the server until they save it. Only where they may write: their own unit's Tự chấm
        while it is open, an officer's Thẩm định of a unit open for appraisal."""
        with self.store.writing() as conn:
            info, sheet = self._typing_step(conn, actor, year, code, page)
            d = t.round_drafts
            where = (d.c.round_id == info.id, d.c.unit_code == sheet.code, d.c.page == page, d.c.login == actor.login)
            conn.execute(delete(d).where(*where))
            conn.execute(
                insert(d).values(
                    round_id=info.id,
                    unit_code=sheet.code,
                    page=page,
                    login=actor.login,
                    content=json.dumps(content, ensure_ascii=False),
                    saved_at=self.clock(),
                )
            )

    def typed(self, actor: Actor, year: int, code: str, page: str) -> tuple[dict, datetime] | None:
        """What `keep_typed` kept for this person, unit and page, with when; None if nothing waits."""
        d = t.round_drafts
        with self.store.reading() as conn:
            info = self._open_info(conn, year)
            row = conn.execute(
                select(d.c.content, d.c.saved_at).where(
                    d.c.round_id == info.id,
                    d.c.unit_code == unit_code(code),
                    d.c.page == page,
                    d.c.login == actor.login,
                )
            ).first()
        return None if row is None else (json.loads(row.content), _utc(row.saved_at))

    def _typing_step(
        self, conn: Connection, actor: Actor, year: int, code: str, page: str
    ) -> tuple[RoundInfo, UnitSheet]:
        if page == "tu-cham":
            return self._unit_step(conn, actor, year, code, Right.SELF_ASSESS, {NOT_SUBMITTED}, own=True)
        if page == "tham-dinh":
            return self._appraisal_step(conn, actor, year, code)
        raise RoundError("Không lưu được bản đang nhập ở trang này.")

    def _forget_draft(self, conn: Connection, round_id: int, code: str, page: str) -> None:
        """Once saved, what was typed is in the record: the kept copies go (every officer's, for a unit closed)."""
        d = t.round_drafts
        conn.execute(delete(d).where(d.c.round_id == round_id, d.c.unit_code == code, d.c.page == page))

    # ------------------------------------------------------------ checks inside the transaction

    def _open_info(self, conn: Connection, year: int, published_ok: bool = False) -> RoundInfo:
        info = self._info(conn, year)
        if info is None:
            raise RoundError(f"Năm {year} chưa có đợt đánh giá.")
        if info.state == PUBLISHED and not published_ok:
            raise RoundError(f"Đợt đánh giá năm {year} đã công bố: không sửa được nữa.")
        return info

    def _unit_step(
        self, conn: Connection, actor: Actor, year: int, code: str, right: Right, states: set[str], own: bool = False
    ) -> tuple[RoundInfo, UnitSheet]:
        actor.require(right)
        code = unit_code(code)
        if own and actor.unit_code != code:
            raise RoundError("Tài khoản này chỉ làm việc với đơn vị của mình.")
        info = self._open_info(conn, year)
        sheets = self._sheets(conn, info, code)
        if code not in sheets:
            raise RoundError(f"Đơn vị {code} không có trong đợt đánh giá năm {year}.")
        sheet = sheets[code]
        if sheet.state not in states:
            raise RoundError(f"Đơn vị {code} đang ở trạng thái “{STATE_LABELS[sheet.state]}”: không làm được việc này.")
        return info, sheet

    def _appraisal_step(self, conn: Connection, actor: Actor, year: int, code: str) -> tuple[RoundInfo, UnitSheet]:
        """A unit the committee may appraise now: submitted or under appraisal, or past its own deadline without
        submitting; before the appraisal deadline."""
        info, sheet = self._unit_step(conn, actor, year, code, Right.IMPORT, IN_APPRAISAL | {NOT_SUBMITTED})
        if not self.appraisable(info, sheet):
            deadline = (sheet.deadline or info.self_deadline).astimezone(VN_TIME)
            raise RoundError(
                f"Đơn vị {sheet.code} chưa nộp và còn hạn tự chấm (đến {deadline:%H:%M %d/%m/%Y}): "
                "chỉ thẩm định được sau hạn này."
            )
        self._before(info.review_deadline, "thẩm định")
        return info, sheet

    def appraisable(self, info: RoundInfo, sheet: UnitSheet) -> bool:
        """Open for the committee's appraisal (scores from the page or a file, completion)."""
        return sheet.state in IN_APPRAISAL or (
            sheet.state == NOT_SUBMITTED and self.clock() > (sheet.deadline or info.self_deadline)
        )

    def _before_self_deadline(self, info: RoundInfo, sheet: UnitSheet) -> None:
        self._before(sheet.deadline or info.self_deadline, "tự chấm")

    def _before(self, deadline: datetime, what: str) -> None:
        if self.clock() > deadline:
            raise RoundError(f"Đã quá hạn {what} ({deadline.astimezone(VN_TIME):%H:%M %d/%m/%Y}).")

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


def ready_to_publish(states: Counter, units: int) -> bool:
    """Every one of the roster's `units` appraised, completed without self-assessment or withdrawn (`states`: how
    many are in each state), and not all withdrawn."""
    done = sum(states[s] for s in FINAL)
    return done == units and done > states[WITHDRAWN]


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
        deadline = (datetime.fromisoformat(extended) if extended else _utc(row.self_deadline)).astimezone(VN_TIME)
        return [(f"Năm {row.year}: tự chấm và nộp trước {deadline:%H:%M ngày %d/%m/%Y}", "tu-cham")]
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


def _apply_all(sheets: dict[str, UnitSheet], entries) -> None:
    """Entries in id order onto the sheets of their units (an entry of a unit not in the roster is ignored)."""
    for entry in entries:
        sheet = sheets.get(entry["unit_code"])
        if sheet is not None:
            _apply(sheet, entry)


def _apply(sheet: UnitSheet, entry) -> None:
    kind, target, value = entry["kind"], entry["target"], json.loads(entry["value"])
    if kind == "self":
        if value is None:
            sheet.self_scores.pop(target, None)
        else:
            sheet.self_scores[target] = value
    elif kind == "statement":
        sheet.statements[target] = value
    elif kind == "leader":
        sheet.leader[target] = value
    elif kind == "review":
        sheet.review_scores[target] = value
        sheet.review_reasons[target] = entry["reason"]
    elif kind == "setting":
        sheet.settings[target] = value
    elif kind == "state":
        sheet.state = value
        sheet.submitted = sheet.submitted or value == SUBMITTED
        sheet.closing = entry["reason"] if value == NO_SELF else sheet.closing
    elif kind == "extension":
        sheet.deadline = datetime.fromisoformat(value)
    elif kind == "question":
        sheet.questions.append(
            {
                "criteria": target.split(",") if target else [],
                "question": value,
                "asked_by": entry["who"],
                "asked_at": _utc(entry["at"]),
                "answer": None,
            }
        )
    elif kind == "answer" and sheet.questions:
        sheet.questions[-1].update(answer=value, answered_by=entry["who"], answered_at=_utc(entry["at"]))
    elif kind == "evidence":
        sheet.evidence.append({**value, "target": target, "who": entry["who"], "at": _utc(entry["at"])})
    elif kind == "evidence_withdrawn":
        for e in sheet.evidence:
            if e["sha256"] == value and e["target"] == target:
                e["withdrawn"] = True


def _maxima(fw: Framework) -> dict[str, float]:
    return {key(c.target, c.code): float(c.max_points) for c in fw.criteria}


def _score(target: str, value, maxima: dict[str, float]) -> float | None:
    if target not in maxima:
        raise RoundError(f"Không có tiêu chí {target[2:] if ':' in target else target}.")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    number = float(value)
    if not 0 <= number <= maxima[target]:
        raise RoundError(f"Tiêu chí {target[2:]}: điểm {vn(number)} ngoài khoảng 0–{vn(maxima[target])}.")
    return round(number, 9)


def _reason(text: str) -> str:
    if not text or not text.strip():
        raise RoundError("Cần ghi lý do.")
    return text.strip()


def _reasons_note(sheet: UnitSheet) -> str:
    """The appraisal reasons of the unit's changed criteria, for the report's Ghi chú."""
    own = sheet.counted_self
    changed = [
        f"{k[2:]} {vn(v)} ({sheet.review_reasons[k]})"
        for k, v in sheet.review_scores.items()
        if k.startswith("U:") and k in own and v != own[k] and sheet.review_reasons.get(k)
    ]
    notes = [
        f"Không tự chấm, cấp ủy thẩm định: {sheet.closing}" if sheet.state == NO_SELF else "",
        "Thẩm định: " + "; ".join(changed) if changed else "",
    ]
    return "; ".join(n for n in notes if n)


@dataclass(frozen=True)
class _SheetRows:
    """One unit's rows of the tables the engine rates: the unit (UNIT_COLUMNS but "row"), its leader (LEADER_COLUMNS
    but "row") when one is named, and their self and appraised scores."""

    unit: tuple
    unit_self: list
    unit_review: list
    leader: tuple | None
    leader_self: list
    leader_review: list


def _sheet_rows(s: UnitSheet, unit_keys: list[str], leader_keys: list[str]) -> _SheetRows:
    counted = s.counted_self

    def scores(keys: list[str]) -> tuple[list, list]:
        own = [counted.get(k, math.nan) for k in keys]
        review = [s.review_scores.get(k, math.nan) for k in keys]
        if s.state == APPRAISED:  # a criterion the committee left as the unit scored it counts as appraised at that
            review = [o if r != r else r for o, r in zip(own, review)]
        elif s.state == NO_SELF:  # closed by the committee: a criterion it gave nothing counts 0, appraised
            review = [0.0 if r != r else r for r in review]
        return own, review

    settings = s.settings
    unit = (
        s.code,
        s.name,
        s.cluster,
        float(settings["bonus"]),
        float(settings["penalty"]),
        int(settings["collective_discipline"]),
        int(settings["head_discipline"]),
        bool(settings["disunity"]),
        bool(settings["corruption"]),
        _reasons_note(s),
        True,
        SOURCE_NAME,
        "",
    )
    leader = (
        (
            s.code,
            s.leader["name"],
            s.leader.get("title", ""),
            int(settings["head_discipline"]),
            bool(settings["low_confidence"]),
            SOURCE_NAME,
            "",
        )
        if leader_keys and s.leader.get("name")
        else None
    )
    return _SheetRows(unit, *scores(unit_keys), leader, *scores(leader_keys))


def _rows_of(
    info: RoundInfo, sheets: dict[str, UnitSheet], codes: list[str], made: dict[str, tuple[UnitSheet, _SheetRows]]
) -> list[_SheetRows]:
    """The units' rows for the engine. `made` keeps each unit's rows with the sheet they were made from: a sheet
    that is the same object again is not made again."""
    fw = info.framework
    unit_keys, leader_keys = [key(UNIT, c) for c in fw.codes(UNIT)], [key(LEADER, c) for c in fw.codes(LEADER)]
    rows = []
    for code in codes:
        sheet, found = made.get(code, (None, None))
        if sheet is not sheets[code]:
            found = _sheet_rows(sheets[code], unit_keys, leader_keys)
            made[code] = (sheets[code], found)
        rows.append(found)
    return rows


def _rated_codes(info: RoundInfo, sheets: dict[str, UnitSheet]) -> list[str]:
    """The roster's units the engine rates: all but those withdrawn from the round."""
    return [c for c in info.units["code"] if sheets[c].state != WITHDRAWN]


def year_data_of(
    year: int,
    info: RoundInfo,
    sheets: dict[str, UnitSheet],
    made: dict[str, tuple[UnitSheet, _SheetRows]] | None = None,
) -> YearData:
    """The tables the engine rates. An appraised unit's criteria the committee left as the unit scored them count
    as appraised at that score (so the unit is not reported as "chưa thẩm định"). `made`: see `_rows_of`."""
    fw = info.framework
    unit_codes, leader_codes = fw.codes(UNIT), fw.codes(LEADER)
    rows = _rows_of(info, sheets, _rated_codes(info, sheets), {} if made is None else made)
    led = [r for r in rows if r.leader is not None]

    def table(items: list, columns: list[str]) -> pd.DataFrame:
        if not items:
            return pd.DataFrame([], columns=columns)
        return pd.DataFrame(items, columns=columns[:-1]).assign(row=range(1, len(items) + 1))

    def scores(items: list, codes: list[str]) -> pd.DataFrame:  # through numpy: pandas converts row by row
        return pd.DataFrame(np.array(items, dtype=float).reshape(len(items), len(codes)), columns=codes)

    return YearData(
        year,
        table([r.unit for r in rows], UNIT_COLUMNS),
        scores([r.unit_self for r in rows], unit_codes),
        scores([r.unit_review for r in rows], unit_codes),
        table([r.leader for r in led], LEADER_COLUMNS),
        scores([r.leader_self for r in led], leader_codes),
        scores([r.leader_review for r in led], leader_codes),
    )


_FEW_CHANGED = 200  # more units changed since the last tables (an import): the tables are made anew


def _tables_update(
    data: YearData,
    info: RoundInfo,
    sheets: dict[str, UnitSheet],
    changed: list[str],
    made: dict[str, tuple[UnitSheet, _SheetRows]],
) -> YearData:
    """The tables `data` brought up to the sheets whose units are `changed`: copies with those units' rows replaced,
    or made anew when many changed or a change does not fit in place."""
    if not changed:
        return data
    if len(changed) <= _FEW_CHANGED and not any(sheets[c].state == WITHDRAWN for c in changed):
        updated = _replaced(data, changed, _rows_of(info, sheets, changed, made))
        if updated is not None:
            return updated
    return year_data_of(info.year, info, sheets, made)


def _replaced(data: YearData, codes: list[str], rows: list[_SheetRows]) -> YearData | None:
    """`data` with the rows of these units replaced, in copies; None when a change does not fit in place (a leader
    named or removed, a value of another type than its column's)."""
    unit_at = pd.Index(data.units["code"]).get_indexer(codes)
    leader_at = pd.Index(data.leaders["unit_code"]).get_indexer(codes)  # -1: no leader row
    if any((at < 0) != (r.leader is None) for at, r in zip(leader_at, rows)):
        return None
    units, leaders = data.units.copy(), data.leaders.copy()
    unit_self, unit_review = data.unit_self.to_numpy(copy=True), data.unit_review.to_numpy(copy=True)
    leader_self, leader_review = data.leader_self.to_numpy(copy=True), data.leader_review.to_numpy(copy=True)
    try:
        for i, at, r in zip(unit_at, leader_at, rows):
            _set_row(units, i, r.unit)
            unit_self[i], unit_review[i] = r.unit_self, r.unit_review
            if at >= 0:
                _set_row(leaders, at, r.leader)
                leader_self[at], leader_review[at] = r.leader_self, r.leader_review
    except (TypeError, ValueError):
        return None
    if not (units.dtypes.equals(data.units.dtypes) and leaders.dtypes.equals(data.leaders.dtypes)):
        return None

    def frame(values, like: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(values, columns=like.columns)

    return YearData(
        data.year,
        units,
        frame(unit_self, data.unit_self),
        frame(unit_review, data.unit_review),
        leaders,
        frame(leader_self, data.leader_self),
        frame(leader_review, data.leader_review),
    )


def _set_row(table: pd.DataFrame, i: int, values: tuple) -> None:
    """Row i of a table takes the values of its columns but the last ("row", its number, which stays)."""
    for j, value in enumerate(values):
        if table.iat[i, j] != value:
            table.iat[i, j] = value


# ------------------------------------------------------------ evidence files

_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
]
_OFFICE = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_EXTENSIONS = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "application/x-ole-storage": {"doc", "xls"},
    _OFFICE["word/"]: {"docx"},
    _OFFICE["xl/"]: {"xlsx"},
}


def evidence_name(name: str) -> str:
    """A file name as it is kept and shown: NFC, no control characters (NUL included) nor path separators, no
    leading dots, at most 120 characters with its extension kept."""
    text = "".join("_" if c in "/\\" or unicodedata.category(c).startswith("C") else c for c in nfc(name))
    text = " ".join(text.split()).lstrip(". ") or "minh_chung"
    stem, dot, extension = text.rpartition(".")
    if len(text) > 120:
        text = (stem[: 120 - len(extension) - 1] + "." + extension) if dot and len(extension) <= 10 else text[:120]
    return text


def evidence_type(name: str, content: bytes) -> str:
    """The media type of an evidence file judged by its content (PDF, PNG, JPEG, Word, Excel), which its name must
    agree with; anything else, or anything over 20 MB, is refused."""
    if len(content) > MAX_EVIDENCE_BYTES:
        raise RoundError(f"Tệp “{name}” lớn hơn {MAX_EVIDENCE_BYTES // 2**20} MB.")
    media = next((m for sig, m in _SIGNATURES if content.startswith(sig)), None)
    if media is None and content.startswith(b"PK\x03\x04"):
        try:
            infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            infos = []
        bomb = zip_bomb(infos, MAX_EVIDENCE_UNPACKED)
        if bomb:
            raise RoundError(f"Tệp “{name}”: {bomb[0].lower()}{bomb[1:]}.")
        media = next((m for prefix, m in _OFFICE.items() if any(i.filename.startswith(prefix) for i in infos)), None)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if media is None or extension not in _EXTENSIONS[media]:
        raise RoundError(f"Tệp “{name}” không phải PDF, ảnh PNG/JPEG, Word hoặc Excel (kiểm tra theo nội dung tệp).")
    return media
