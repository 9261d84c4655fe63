"""The steps a unit's own account takes in a round: its draft (typed on the page or read from its filled form), its
submission, its evidence files and its answers to the committee's questions."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from .. import schema as t
from ..access import Actor
from ..dataset import YearData
from ..framework import LEADER, UNIT
from ..text import unit_code
from .evidence import evidence_name, evidence_type
from .record import Record
from .sheet import RoundError, RoundInfo, UnitSheet, _maxima, _reason, _score, key
from .states import TYPED_ON


class UnitSteps(Record):
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
            info, sheet = self._unit(conn, actor, "save_draft", year, code)
            self._save(conn, actor, info, sheet, scores, statements, leader)

    def _save(self, conn: Connection, actor: Actor, info: RoundInfo, sheet: UnitSheet, scores, statements, leader):
        maxima = _maxima(info.framework, own=True)
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

    def submit(
        self,
        actor: Actor,
        year: int,
        code: str,
        scores: dict[str, float | Decimal | None] | None = None,
        statements: dict[str, str] | None = None,
        leader: dict[str, str] | None = None,
    ) -> None:
        """The self-assessment handed to the committee, with what the page still had to save (as `save_draft`) in
        the same transaction: a refused submission saves nothing."""
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "submit", year, code)
            if scores or statements or leader:
                self._save(conn, actor, info, sheet, scores or {}, statements, leader)
                sheet = self._sheets(conn, info, sheet.code)[sheet.code]
            missing = [k for k in _maxima(info.framework, own=True) if k not in sheet.self_scores]
            if missing:
                raise RoundError("Chưa chấm các tiêu chí: " + ", ".join(m[2:] for m in missing))
            if info.framework.codes(LEADER) and not sheet.leader.get("name"):
                raise RoundError(
                    "Chưa ghi họ tên người đứng đầu: điểm các tiêu chí người đứng đầu ("
                    + ", ".join(info.framework.codes(LEADER))
                    + ") cần có tên người được chấm."
                )
            self._leave(conn, info, sheet, actor, "submit")
            self._forget_draft(conn, info.id, sheet.code, "tu-cham")

    def add_evidence(self, actor: Actor, year: int, code: str, name: str, content: bytes, target: str = "") -> str:
        """A file backing the unit's scores; kept once by SHA-256, checked by its content, its name cleaned
        (`evidence_name`). Returns the SHA-256."""
        name = evidence_name(name)
        media = evidence_type(name, content)
        digest = hashlib.sha256(content).hexdigest()
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "add_evidence", year, code)
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
            info, sheet = self._unit(conn, actor, "withdraw_evidence", year, code)
            found = next((e for e in sheet.files if e["sha256"] == digest), None)
            if found is None:
                raise RoundError("Không có tệp minh chứng này.")
            self._append(
                conn, info.id, sheet.code, actor, "evidence_withdrawn", found["target"], digest, reason.strip()
            )

    def answer(self, actor: Actor, year: int, code: str, text: str) -> None:
        """ "Gửi giải trình": the unit answers (its scores stay as they are); appraisal continues."""
        with self.store.writing() as conn:
            info, sheet = self._unit(conn, actor, "answer", year, code)
            self._append(conn, info.id, sheet.code, actor, "answer", value=text.strip(), reason=_reason(text))
            self._leave(conn, info, sheet, actor, "answer")

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

    def _typing_step(
        self, conn: Connection, actor: Actor, year: int, code: str, page: str
    ) -> tuple[RoundInfo, UnitSheet]:
        step = TYPED_ON.get(page)
        if step is None:
            raise RoundError("Không lưu được bản đang nhập ở trang này.")
        return self._unit(conn, actor, step, year, code)
