"""Conditions beside the score (Quy định 366-QĐ/TW, Điều 11): named facts a unit must meet to hold a tier, whatever
its total. A condition is a yes/no fact that fails when it is true ("Có tổ chức trực thuộc bị kỷ luật") or a
percentage with a bound ("Tỷ lệ nhiệm vụ vượt mức" ≥ 30). Conditions of one name share one value per unit (one
column of the sheet), each tier may bound it differently. Values are kept per unit as a JSON object, name → number
(a flag 1 or 0, a percentage 0–100); a value not given is missing, and a missing value never passes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np

from .formats import number_setting, plain_number
from .text import nfc, parse_flag, parse_number

if TYPE_CHECKING:  # the command line's parser loads the framework: pandas loads later, beside the parsing
    import pandas as pd

FLAG, PERCENT = "flag", "percent"
KINDS = {FLAG: "có/không", PERCENT: "tỷ lệ %"}
KEYS = {"tier", "name", "kind", "fails_when", "min", "max"}
MAX_NAME = 150  # a condition's name is its key in a round's entries ("condition:<name>", 200 characters)
NO_VALUES = "{}"  # a unit without condition values (and every unit of a framework without conditions)


@dataclass(frozen=True)
class Condition:
    tier: str  # the code of the tier it belongs to
    name: str  # as offices write the column heading; also the key of the value
    kind: str = PERCENT
    fails_when: bool = True  # a flag fails when it is this
    min: Decimal | None = None  # a percentage's bounds, inclusive
    max: Decimal | None = None

    def holds(self, values: np.ndarray) -> np.ndarray:
        """Whether the condition holds for each value; a missing value (NaN) never holds."""
        present = ~np.isnan(values)
        if self.kind == FLAG:
            return present & ((values != 0) != self.fails_when)
        ok = present.copy()
        if self.min is not None:
            ok &= values >= float(self.min)
        if self.max is not None:
            ok &= values <= float(self.max)
        return ok

    @property
    def bound(self) -> str:
        """What the condition asks, in words: "≥ 30 %", "≤ 20 %", "không"."""
        if self.kind == FLAG:
            return "không" if self.fails_when else "có"
        parts = [f"≥ {percent(self.min)}" if self.min is not None else ""]
        parts.append(f"≤ {percent(self.max)}" if self.max is not None else "")
        return " và ".join(p for p in parts if p)

    def failure(self, value: float) -> str:
        """Why it failed for a value given, as a clause of a rating's reason."""
        name = self.name[:1].lower() + self.name[1:]
        if self.kind == FLAG:
            return name if self.fails_when else f"không: {name}"
        return f"{name} {percent(value)} (cần {self.bound})"


def percent(value) -> str:
    return f"{number_setting(Decimal(str(round(float(value), 2))))} %"


def conditions_of(entries: list[dict]) -> tuple[Condition, ...]:
    """`[[conditions]]` of a framework file. ValueError for an entry that says too little."""
    out = []
    for number, entry in enumerate(entries, start=1):
        if "tier" not in entry or "name" not in entry:
            raise ValueError(f"Điều kiện thứ {number} cần “tier” và “name”")
        kind = str(entry.get("kind", PERCENT))
        bounds = {k: Decimal(str(entry[k])) for k in ("min", "max") if k in entry}
        out.append(
            Condition(
                str(entry["tier"]),
                nfc(entry["name"]).strip(),
                kind,
                bool(entry.get("fails_when", True)),
                bounds.get("min"),
                bounds.get("max"),
            )
        )
    return tuple(out)


def to_entries(conditions: tuple[Condition, ...]) -> list[dict]:
    return [
        {"tier": c.tier, "name": c.name, "kind": c.kind}
        | ({"fails_when": c.fails_when} if c.kind == FLAG else {})
        | ({"min": plain_number(c.min)} if c.min is not None else {})
        | ({"max": plain_number(c.max)} if c.max is not None else {})
        for c in conditions
    ]


def measures(conditions: tuple[Condition, ...]) -> dict[str, str]:
    """The values a unit enters: name → kind, in the framework's order (one column each)."""
    return {c.name: c.kind for c in conditions}


def problems(conditions: tuple[Condition, ...], tier_codes: list[str]) -> list[str]:
    out = []
    kinds: dict[str, str] = {}
    for c in conditions:
        where = f"Điều kiện “{c.name}”"
        if not c.name or len(c.name) > MAX_NAME:
            out.append(f"{where}: tên cần từ 1 đến {MAX_NAME} ký tự")
        if c.tier not in tier_codes:
            out.append(f"{where}: mức “{c.tier}” không có trong thang xếp loại")
        elif c.tier == tier_codes[-1]:
            out.append(f"{where}: mức cuối ({c.tier}) không có điều kiện")
        if c.kind not in KINDS:
            out.append(f"{where}: loại “{c.kind}” không hợp lệ (chỉ có: {', '.join(KINDS)})")
        elif c.kind == PERCENT and c.min is None and c.max is None:
            out.append(f"{where}: cần “min” hoặc “max”")
        elif c.kind == FLAG and (c.min is not None or c.max is not None):
            out.append(f"{where}: điều kiện có/không không có “min”, “max”")
        if kinds.setdefault(c.name, c.kind) != c.kind:
            out.append(f"{where}: cùng tên nhưng khác loại ở các mức")
    return out


def parse_value(kind: str, value: object) -> float:
    """A cell as a condition's value: NaN when blank. A flag: yes 1, no 0 ("x", "có" / "không"). A percentage:
    25, "25 %", "25,5"; a fraction below 1 ("0,25", a cell formatted as percent) is 25 %. ValueError otherwise."""
    if kind == FLAG:
        if value is None or (isinstance(value, str) and not value.strip()):
            return np.nan
        return 1.0 if parse_flag(value) else 0.0
    text = value.replace("%", "").strip() if isinstance(value, str) else value
    number = parse_number(text)
    if number is None:
        return np.nan
    if 0 < number < 1 and not (isinstance(value, str) and "%" in value):
        number *= 100
    if not 0 <= number <= 100:
        raise ValueError(value)
    return number


def value_text(kind: str, value: float) -> str | None:
    """A value as a sheet writes it back: a flag "Có"/"Không", a percentage its number; None when missing."""
    if value is None or np.isnan(value):
        return None
    if kind == FLAG:
        return "Có" if value else "Không"
    return number_setting(Decimal(str(round(value, 6))))


def encode(frame: pd.DataFrame) -> list[str]:
    """Per row, the values present as a JSON object (the "conditions" column of the units' table)."""
    if frame.empty or not len(frame.columns):
        return [NO_VALUES] * len(frame)
    records = frame.to_dict("records")
    return [json.dumps({k: v for k, v in r.items() if v == v}, ensure_ascii=False) for r in records]


def decode(column: pd.Series, names: list[str]) -> np.ndarray:
    """The n×m values of `names` from a units' "conditions" column; NaN where missing."""
    out = np.full((len(column), len(names)), np.nan)
    if not names:
        return out
    for i, text in enumerate(column.tolist()):
        if isinstance(text, str) and text not in ("", NO_VALUES):
            found = json.loads(text)
            for j, name in enumerate(names):
                value = found.get(name)
                out[i, j] = np.nan if value is None else float(value)
    return out


@dataclass(frozen=True)
class Capped:
    """The step's outcome: each row's tier after its conditions, and the conditions that held it down."""

    tier: np.ndarray
    blocked: dict[int, list[tuple[Condition, float]]]  # row → (condition, its value) that failed, for rows lowered


def cap(conditions: tuple[Condition, ...], codes: list[str], column: pd.Series, tier: np.ndarray) -> Capped:
    """The best tier at or below each row's tier whose conditions all hold (the last tier has none)."""
    names = list(measures(conditions))
    values = decode(column, names)
    column_of = {name: j for j, name in enumerate(names)}
    holds = [c.holds(values[:, column_of[c.name]]) for c in conditions]
    number = {code: k for k, code in enumerate(codes, start=1)}
    last = len(codes)
    result = np.full(len(tier), last, dtype=np.int8)
    for t in range(last - 1, 0, -1):
        ok = np.logical_and.reduce([h for c, h in zip(conditions, holds) if number.get(c.tier) == t] + [tier <= t])
        result = np.where(ok, t, result).astype(np.int8)
    result = np.maximum(result, tier).astype(np.int8)
    blocked: dict[int, list[tuple[Condition, float]]] = {}
    for i in np.flatnonzero(result != tier).tolist():
        blocked[i] = [
            (c, values[i, column_of[c.name]])
            for c, h in zip(conditions, holds)
            if tier[i] <= number.get(c.tier, 0) < result[i] and not h[i]
        ]
    return Capped(result, blocked)


def causes(failed: list[tuple[Condition, float]]) -> str:
    """The clauses of a rating's reason for the conditions that held a unit down: each failure once, the values
    not given together."""
    given = dict.fromkeys(c.failure(v) for c, v in failed if not np.isnan(v))
    missing = ", ".join(dict.fromkeys(f"“{c.name}”" for c, v in failed if np.isnan(v)))
    return ", ".join([*given, *([f"chưa có số liệu {missing} (không tính là đạt)"] if missing else [])])


def describe(conditions: tuple[Condition, ...]) -> str:
    """The conditions per tier, for the rating's log and the methodology."""
    by_tier: dict[str, list[str]] = {}
    for c in conditions:
        by_tier.setdefault(c.tier, []).append(f"{c.name} {c.bound}")
    return "; ".join(f"{tier}: {', '.join(items)}" for tier, items in by_tier.items())
