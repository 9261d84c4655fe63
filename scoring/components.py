"""Scores as people read them: a criterion with components (docs/rules.md "Components") stands for their sum; its
components are shown on demand, after it. Scores are entered and rated at the lowest level; this is a view."""

from __future__ import annotations

import pandas as pd

from .framework import Criterion, Framework


def shown(fw: Framework, target: str, components: bool = False) -> list[Criterion]:
    """The criteria a table shows, in the framework's order: the top level, each followed by its components when
    asked."""
    out = []
    for heading in fw.headings(target):
        out.append(heading)
        if components:
            out += fw.components(heading.code)
    return out


def summed(fw: Framework, target: str, frame: pd.DataFrame, components: bool = False) -> pd.DataFrame:
    """Per row, the scores of `shown` criteria: a criterion with components is their sum (blank when all of them
    are); a scored criterion its own column."""
    columns = {}
    for c in shown(fw, target, components):
        parts = [p.code for p in fw.components(c.code)]
        columns[c.code] = frame[parts].sum(axis=1, min_count=1) if parts else frame[c.code]
    return pd.DataFrame(columns, index=frame.index)
