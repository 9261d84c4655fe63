"""The evaluation round of a year: open → units self-assess (with evidence) and submit → the committee appraises,
asks for explanations, completes each unit → the leadership publishes the result as the year's new version.

`states` holds the one table of steps (right, states it starts from, state it leaves); `record` the record of
appended entries and the checks every step makes; `sheet` the fold of a unit's entries; `board` and `tables`
what is read of every unit at once; the steps themselves in `unit_steps`, `appraisal` and `managing`.
"""

from .appraisal import Appraisal
from .evidence import MAX_EVIDENCE_BYTES, MAX_EVIDENCE_UNPACKED, evidence_name, evidence_type
from .managing import RoundSteps
from .reading import Reading
from .sheet import Change, Compared, RoundError, RoundInfo, UnitSheet, key
from .states import (
    APPRAISED,
    EXPLAINING,
    FINAL,
    IN_APPRAISAL,
    NO_SELF,
    NOT_SUBMITTED,
    OPEN,
    PUBLISHED,
    REVIEWING,
    STATE_LABELS,
    STEPS,
    SUBMITTED,
    WITHDRAWN,
    can,
    ready_to_publish,
    refusal_hint,
)
from .tables import SOURCE_NAME, year_data_of
from .unit_steps import UnitSteps


class Rounds(Reading, UnitSteps, Appraisal, RoundSteps):
    """Every round of the store: what is read of it and every step, each checked against `states.STEPS`."""


__all__ = [
    "APPRAISED",
    "EXPLAINING",
    "FINAL",
    "IN_APPRAISAL",
    "MAX_EVIDENCE_BYTES",
    "MAX_EVIDENCE_UNPACKED",
    "NO_SELF",
    "NOT_SUBMITTED",
    "OPEN",
    "PUBLISHED",
    "REVIEWING",
    "SOURCE_NAME",
    "STATE_LABELS",
    "STEPS",
    "SUBMITTED",
    "WITHDRAWN",
    "Change",
    "Compared",
    "RoundError",
    "RoundInfo",
    "Rounds",
    "UnitSheet",
    "can",
    "evidence_name",
    "evidence_type",
    "key",
    "ready_to_publish",
    "refusal_hint",
    "year_data_of",
]
