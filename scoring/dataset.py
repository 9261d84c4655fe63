"""Validated tables of one year: what the reader produces and the engine consumes."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .flags import LEADER_FLAGS, UNIT_FLAGS
from .validation import Issue

# One row per unit. Disciplines are levels 0..4 (text.DISCIPLINE_LABELS), -1 = disciplined, level not stated.
UNIT_COLUMNS = [
    "code",
    "name",
    "cluster",
    "bonus",
    "penalty",
    *(f.code for f in UNIT_FLAGS),
    "note",
    "not_rated",  # why a unit is not rated this year ("" when it is)
    "conditions",  # its values of the framework's conditions, JSON (conditions.NO_VALUES when none)
    "has_self_columns",
    "file",
    "sheet",
    "row",
]
LEADER_COLUMNS = ["unit_code", "name", "title", "discipline", *(f.code for f in LEADER_FLAGS), "file", "sheet", "row"]


# How the framework of an import was chosen, in order of precedence: the user's explicit choice, the files'
# own "Tiêu chí" sheet, the store's active framework, the default preset.
ORIGIN_CHOSEN, ORIGIN_FILE, ORIGIN_ACTIVE, ORIGIN_PRESET = "chosen", "file", "active", "preset"


@dataclass(frozen=True)
class Source:
    """An input file as it was read: enough to prove which bytes a result came from."""

    name: str
    sha256: str
    size: int
    kind: str  # "consolidated", "form" or "csv"


@dataclass
class YearData:
    """Everything rated for one year. Score frames share the index of their row table;
    their columns are criterion codes, NaN where the cell was blank."""

    year: int
    units: pd.DataFrame
    unit_self: pd.DataFrame
    unit_review: pd.DataFrame
    leaders: pd.DataFrame
    leader_self: pd.DataFrame
    leader_review: pd.DataFrame
    sources: list[Source] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
