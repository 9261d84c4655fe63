"""A unit's round as it stands: the fold of its appended entries into a `UnitSheet`, and the checks of the values a
step appends (scores within their maxima, a reason where one is needed)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from ..conditions import NO_VALUES, PERCENT, measures, parse_value
from ..flags import FLAGS
from ..formats import stored_time as _utc
from ..framework import LEADER, UNIT, Framework
from ..presentation import vn
from ..validation import Issue
from ..vocabulary import CONDITION
from .states import NO_SELF, NOT_SUBMITTED, SUBMITTED

NOT_RATED = "not_rated"  # the setting that marks a unit "Không xếp loại": its reason


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
        """The self scores that count: a draft never submitted is no self-assessment (docs/rules.md step 6)."""
        return self.self_scores if self.submitted else {}

    @property
    def files(self) -> list[dict]:
        """Evidence in force (a file withdrawn stays in the history only)."""
        return [e for e in self.evidence if not e.get("withdrawn")]


def condition_values(settings: dict) -> str:
    """A sheet's values of the framework's conditions (settings "condition:<name>") as the units' table keeps
    them: JSON, name → value, those given only."""
    found = {k[len(CONDITION) :]: v for k, v in settings.items() if k.startswith(CONDITION) and v is not None}
    return json.dumps(found, ensure_ascii=False) if found else NO_VALUES


def beside_score(fw: Framework, name: str, value) -> str | float | None:
    """A setting beside the score, checked: why the unit is not rated (a text, "" when it is), or a value of one
    of the framework's conditions (None: not given; a flag 1 or 0; a percentage 0–100)."""
    if name == NOT_RATED:
        return str(value or "").strip()
    kinds = measures(fw.conditions)
    condition = name[len(CONDITION) :]
    if condition not in kinds:
        raise RoundError(f"Bộ tiêu chí không có điều kiện “{condition}”.")
    if value is None or value != value:
        return None
    try:
        if kinds[condition] == PERCENT and isinstance(value, int | float):  # a form's number: the percentage itself
            if not 0 <= value <= 100:
                raise ValueError(value)
            return float(value)
        return parse_value(kinds[condition], value)
    except ValueError:
        raise RoundError(f"Giá trị “{value}” của điều kiện “{condition}” không hợp lệ.") from None


def key(target: str, code: str) -> str:
    """The entry target of a criterion: units' and leaders' criteria may share codes."""
    return f"{'U' if target == UNIT else 'L'}:{code}"


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


def _maxima(fw: Framework, own: bool = False) -> dict[str, float]:
    """Entry target → maximum of the criteria scored (with `own`, those a unit scores itself)."""
    scored = (*fw.self_scored(UNIT), *fw.self_scored(LEADER)) if own else (*fw.of(UNIT), *fw.of(LEADER))
    return {key(c.target, c.code): float(c.max_points) for c in scored}


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
