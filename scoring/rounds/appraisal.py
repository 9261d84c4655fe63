"""The committee's appraisal of the units in a round: scores with their reasons, questions, completion (one unit, or
many from the committee's file), changes imported from the round workbook, a unit reopened."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.engine import Connection

from ..access import Actor
from ..presentation import vn
from ..store import record
from ..text import unit_code
from ..validation import errors
from ..vocabulary import CONDITION
from .record import Record
from .sheet import NOT_RATED, Compared, RoundError, RoundInfo, UnitSheet, _maxima, _reason, _score, beside_score
from .states import NOT_SUBMITTED, STATE_LABELS, STEPS


class Appraisal(Record):
    def appraise(
        self, actor: Actor, year: int, code: str, scores: dict[str, float | Decimal | None], reasons: dict[str, str]
    ) -> None:
        """Appraisal scores; one that differs from the unit's own score needs a reason."""
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "appraise", year, code)
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
        self._leave(conn, info, sheet, actor, "appraise")
        self._forget_draft(conn, info.id, sheet.code, "tham-dinh")

    def ask(self, actor: Actor, year: int, code: str, criteria: list[str], question: str) -> None:
        """ "Yêu cầu giải trình": a question to the unit on some criteria; appraisal waits for the answer."""
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "ask", year, code)
            self._append(
                conn, info.id, sheet.code, actor, "question", ",".join(criteria), question.strip(), _reason(question)
            )
            self._leave(conn, info, sheet, actor, "ask")

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
        after its deadline from the committee's own findings; rated KHTNV by docs/rules.md step 6)."""
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "complete", year, code)
            if scores:
                self._appraise(conn, actor, info, sheet, scores, reasons or {})
            self._complete(conn, actor, info, sheet, settings, reason)

    def complete_all(self, actor: Actor, year: int, codes: list[str] | None, reason: str) -> list[str]:
        """Closing a round from the committee's file: the units named (None: every unit submitted, under
        appraisal, or past its deadline without submitting) completed at the scores in force, in one transaction;
        if one is refused none is completed, and every refusal is named. Returns the codes completed."""
        self.store.require(actor, STEPS["complete"].right)
        reason = _reason(reason)
        with self.store.writing() as conn:
            info = self._round(conn, year, "complete")
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
            if name == NOT_RATED or name.startswith(CONDITION):
                value = beside_score(fw, name, value)
            elif name not in sheet.settings:
                raise RoundError(f"Không có mục “{name}”.")
            else:
                value = float(value)
                limit = {"bonus": fw.bonus_max, "penalty": fw.penalty_max}.get(name)
                if limit is not None and not 0 <= value <= float(limit):
                    raise RoundError(f"{'Điểm thưởng' if name == 'bonus' else 'Điểm trừ'} phải từ 0 đến {vn(limit)}.")
            if value != sheet.settings.get(name, "" if name == NOT_RATED else None):
                self._append(conn, info.id, sheet.code, actor, "setting", name, value, _reason(reason))
        self._leave(conn, info, sheet, actor, "complete", reason.strip() if sheet.submitted else _reason(reason))
        self._forget_draft(conn, info.id, sheet.code, "tham-dinh")

    def import_changes(
        self, actor: Actor, year: int, diff: Callable[[RoundInfo, dict[str, UnitSheet], set[str]], Compared]
    ) -> Compared:
        """Appraisal changes read from a file (see `round_files`): `diff` compares the file with the units' sheets
        as they stand inside this write transaction, given the units open for appraisal now. All are written, each with
        its reason, or, if `diff` found any error, none."""
        self.store.require(actor, STEPS["import_changes"].right)
        with self.store.writing() as conn:
            info = self._round(conn, year, "import_changes")
            sheets = self._sheets(conn, info)
            changes, issues = diff(info, sheets, {c for c, s in sheets.items() if self.appraisable(info, s)})
            if errors(issues) or not changes:
                return changes, issues
            self._before(info.review_deadline, "thẩm định")
            for c in changes:
                self._append(conn, info.id, c.code, actor, c.kind, c.target, c.value, c.reason)
            for code in dict.fromkeys(c.code for c in changes):
                self._leave(conn, info, sheets[code], actor, "import_changes")
            record(
                conn,
                actor.login,
                "round_import",
                year,
                detail=f"Nhập {len(changes)} ô thay đổi của {len({c.code for c in changes})} đơn vị từ tệp",
            )
        return changes, issues

    def reopen_unit(self, actor: Actor, year: int, code: str, reason: str) -> None:
        """An appraised unit back to "Đang thẩm định" (before publication, or after the round was reopened)."""
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "reopen_unit", year, code)
            self._leave(conn, info, sheet, actor, "reopen_unit", _reason(reason))
