"""A unit's states in a round and the one table of the steps: the right each step needs, the states it starts
from and the state it leaves the unit in. Every step and the import of the round workbook read this table; a new
state or step is a row here (and, for a step, its method)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..access import Right


@dataclass(frozen=True)
class State:
    label: str  # what users read
    final: bool = False  # the round publishes once every unit is in a final state
    waiting: bool = False  # waits for the committee's appraisal (the work list counts these)


NOT_SUBMITTED, SUBMITTED, REVIEWING = "chua_nop", "da_nop", "dang_tham_dinh"
EXPLAINING, APPRAISED = "cho_giai_trinh", "da_tham_dinh"
NO_SELF, WITHDRAWN = "khong_tu_cham", "rut_khoi"  # appraised without the unit's submission; taken out of the round
STATES: dict[str, State] = {
    NOT_SUBMITTED: State("Chưa nộp"),
    SUBMITTED: State("Đã nộp", waiting=True),
    REVIEWING: State("Đang thẩm định", waiting=True),
    EXPLAINING: State("Chờ giải trình"),
    APPRAISED: State("Đã thẩm định", final=True),
    NO_SELF: State("Không tự chấm", final=True),
    WITHDRAWN: State("Đã rút khỏi đợt", final=True),
}
STATE_LABELS = {code: s.label for code, s in STATES.items()}
FINAL = frozenset(code for code, s in STATES.items() if s.final)
IN_APPRAISAL = frozenset(code for code, s in STATES.items() if s.waiting)

# The round as a whole: not there yet, open (units work in it), published (locked until reopened).
NO_ROUND, OPEN, PUBLISHED = "none", "open", "published"
# The deadline a step must come before. SELF: the unit's own (its extension or the round's), while it has not
# submitted. REVIEW: the appraisal deadline; and a unit that has not submitted is appraised only after its own.
SELF, REVIEW = "self", "review"


@dataclass(frozen=True)
class Step:
    right: Right
    starts: frozenset[str] = frozenset()  # the unit states it starts from (none: a step on the whole round)
    leaves: str | None = None  # the state it leaves the unit in (None: as it was)
    leaves_unsubmitted: str | None = None  # the state it leaves a unit that never submitted in, when another
    own: bool = False  # only the unit's own account takes it
    deadline: str | None = None  # SELF or REVIEW, above
    round_in: frozenset[str] = frozenset({OPEN})  # the states of the round it is taken in


_ALL = frozenset(STATES)
_APPRAISABLE = IN_APPRAISAL | {NOT_SUBMITTED}
_UNIT_WORK = frozenset({NOT_SUBMITTED, EXPLAINING})
STEPS: dict[str, Step] = {
    # The round as a whole.
    "open": Step(Right.MANAGE_ROUND, round_in=frozenset({NO_ROUND})),
    "cancel": Step(Right.MANAGE_ROUND),
    "add_units": Step(Right.MANAGE_ROUND),
    "publish": Step(Right.PUBLISH),  # once every unit is in a final state
    "reopen": Step(Right.MANAGE_ROUND, round_in=frozenset({PUBLISHED})),
    # One unit: its own account.
    "save_draft": Step(Right.SELF_ASSESS, frozenset({NOT_SUBMITTED}), own=True, deadline=SELF),
    "submit": Step(Right.SELF_ASSESS, frozenset({NOT_SUBMITTED}), SUBMITTED, own=True, deadline=SELF),
    "add_evidence": Step(Right.SELF_ASSESS, _UNIT_WORK, own=True, deadline=SELF),
    "withdraw_evidence": Step(Right.SELF_ASSESS, _UNIT_WORK, own=True),
    "answer": Step(Right.SELF_ASSESS, frozenset({EXPLAINING}), REVIEWING, own=True),
    # One unit: the committee.
    "extend": Step(Right.MANAGE_ROUND, frozenset({NOT_SUBMITTED})),
    "withdraw": Step(Right.MANAGE_ROUND, _ALL - {WITHDRAWN}, WITHDRAWN),
    "appraise": Step(Right.APPRAISE, _APPRAISABLE, REVIEWING, deadline=REVIEW),
    "import_changes": Step(Right.APPRAISE, _APPRAISABLE, REVIEWING, deadline=REVIEW),
    "ask": Step(Right.APPRAISE, IN_APPRAISAL, EXPLAINING),
    "complete": Step(Right.APPRAISE, _APPRAISABLE, APPRAISED, NO_SELF, deadline=REVIEW),
    "reopen_unit": Step(Right.APPRAISE, frozenset({APPRAISED, NO_SELF}), REVIEWING),
}
# The step whose typing a round page keeps until it is saved (`keep_typed`).
TYPED_ON = {"tu-cham": "save_draft", "tham-dinh": "appraise"}


def can(step: str, state: str) -> bool:
    """Whether a unit in `state` may take `step` (its deadline aside)."""
    return state in STEPS[step].starts


def leaves(step: str, submitted: bool) -> str | None:
    """The state a step leaves a unit in."""
    s = STEPS[step]
    return s.leaves if submitted or s.leaves_unsubmitted is None else s.leaves_unsubmitted


def refusal_hint(step: str, state: str) -> str:
    """What would let a unit in `state` take an appraisal step: reopen it, or wait for its own deadline."""
    if can("reopen_unit", state):
        return " (mở lại thẩm định đơn vị trước)"
    if state == NOT_SUBMITTED and can(step, state):
        return " (chưa hết hạn tự chấm của đơn vị)"
    return ""


def ready_to_publish(states: Counter, units: int) -> bool:
    """Every one of the roster's `units` in a final state (`states`: how many are in each), not all withdrawn."""
    done = sum(states[s] for s in FINAL)
    return done == units and done > states[WITHDRAWN]
