"""The round as the tables the engine rates: each unit's rows made from its sheet, kept with the sheet they were made
from, so that after a change only the changed units' rows are made again."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..dataset import LEADER_COLUMNS, UNIT_COLUMNS, YearData
from ..flags import LEADER_FLAGS, UNIT_FLAGS
from ..framework import LEADER, UNIT
from ..presentation import vn
from .sheet import NOT_RATED, RoundInfo, UnitSheet, condition_values, key
from .states import APPRAISED, NO_SELF, WITHDRAWN

SOURCE_NAME = "Đợt đánh giá"


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
        *(f.stored(settings[f.code]) for f in UNIT_FLAGS),
        _reasons_note(s),
        str(settings.get(NOT_RATED, "")),
        condition_values(settings),
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
            *(f.stored(settings[f.code]) for f in LEADER_FLAGS),
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
