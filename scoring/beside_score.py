"""What a round's workbook carries beside the scores: each unit's values of the framework's conditions and whether
it is not rated this year, written as the consolidated sheet writes them and compared when the file comes back."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import conditions as cond
from .framework import Framework
from .rounds.sheet import NOT_RATED
from .template import condition_heading
from .vocabulary import CONDITION, NOT_RATED_HEADING


def _values(fw: Framework, row) -> dict[str, float]:
    """A unit row's condition values by name (NaN where not given)."""
    names = list(cond.measures(fw.conditions))
    text = getattr(row, "conditions", None) if not isinstance(row, dict) else row.get("conditions")
    return dict(zip(names, cond.decode(pd.Series([text]), names)[0].tolist()))


def beside_score_cells(fw: Framework, unit) -> dict:
    """The record cells of a unit row (template.unit_columns' keys)."""
    kinds = cond.measures(fw.conditions)
    cells = {CONDITION + n: cond.value_text(kinds[n], v) for n, v in _values(fw, unit).items()}
    return cells | {"not_rated": unit.not_rated or None}


def beside_score_changes(fw: Framework, new, before) -> list[tuple[str, object, str]]:
    """(setting, value, column) of what a file changed: a condition's value (None: cleared) or the reason a unit is
    not rated ("" when it is rated again)."""
    kinds = cond.measures(fw.conditions)
    now, then = _values(fw, new), _values(fw, before.to_dict())
    found = [
        (CONDITION + n, None if np.isnan(v) else v, condition_heading(n, kinds[n]))
        for n, v in now.items()
        if not (np.isnan(v) and np.isnan(then[n])) and v != then[n]
    ]
    reason = str(new.not_rated or "").strip()
    if reason != str(before.get("not_rated") or "").strip():
        found.append((NOT_RATED, reason, NOT_RATED_HEADING))
    return found
