"""Managing a round as a whole: open it, cancel it, add and withdraw units, extend a unit's deadline, publish the
result as the year's new version, reopen it after publication."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import delete, insert, select

from .. import schema as t
from ..access import Actor
from ..dataset import ORIGIN_CHOSEN
from ..formats import stored_time as _utc
from ..framework import Framework
from ..store import record
from .record import Record, _checked_roster, _insert_units
from .sheet import RoundError, _reason
from .states import FINAL, STEPS, WITHDRAWN
from .tables import year_data_of


class RoundSteps(Record):
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
        self.store.require(actor, STEPS["open"].right)
        # In UTC: SQLite keeps a time without its zone, so a Vietnam time would come back 7 hours late.
        self_deadline, review_deadline = (_utc(d).astimezone(UTC) for d in (self_deadline, review_deadline))
        if review_deadline < self_deadline:
            raise RoundError("Hạn thẩm định phải sau hạn tự chấm.")
        roster = _checked_roster(units)
        with self.store.writing() as conn:
            if conn.execute(select(t.rounds.c.id).where(self.mine(), t.rounds.c.year == year)).first():
                raise RoundError(f"Năm {year} đã có đợt đánh giá.")
            framework_id = self.store.framework_id_in(conn, framework, actor.login)
            round_id = conn.execute(
                insert(t.rounds).values(
                    committee_id=self.store.committee_id,
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
        self.store.require(actor, STEPS["cancel"].right)
        reason = _reason(reason)
        with self.store.writing() as conn:
            info = self._round(conn, year, "cancel")
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
        self.store.require(actor, STEPS["add_units"].right)
        reason, roster = _reason(reason), _checked_roster(units)
        with self.store.writing() as conn:
            info = self._round(conn, year, "add_units")
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
            info, sheet = self._unit(conn, actor, "withdraw", year, code)
            self._leave(conn, info, sheet, actor, "withdraw", reason)
            record(conn, actor.login, "round_withdraw", year, detail=f"Rút {sheet.code} khỏi đợt năm {year}: {reason}")

    def extend(self, actor: Actor, year: int, code: str, deadline: datetime, reason: str) -> None:
        """A later self-assessment deadline for one unit (officers only, with a reason)."""
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "extend", year, code)
            self._append(
                conn, info.id, sheet.code, actor, "extension", value=_utc(deadline).isoformat(), reason=_reason(reason)
            )

    def publish(self, actor: Actor, year: int) -> int:
        """Every unit appraised: the round becomes the year's new active version, and the round is locked."""
        self.store.require(actor, STEPS["publish"].right)
        with self.store.writing() as conn:
            info = self._round(conn, year, "publish")
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

    def reopen(self, actor: Actor, year: int, reason: str, review_deadline: datetime) -> None:
        """A published round opened again (a complaint, a correction): only with a reason, which is audited, and a
        new appraisal deadline. Its units stay appraised until an officer reopens one (`reopen_unit`); publishing
        again stores another version of the year."""
        self.store.require(actor, STEPS["reopen"].right)
        review_deadline = _utc(review_deadline)
        with self.store.writing() as conn:
            info = self._round(conn, year, "reopen")
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
