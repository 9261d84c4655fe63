"""The rule flags of a unit and its head (domain rules 7–9 in docs/rules.md), one row each: the column that holds
it, the label people read in every sheet, page and report, whether it is a discipline level or a yes/no, and
whose it is. The template, the reader's form labels, the round and its pages all read this table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    code: str  # the column in the tables (dataset.UNIT_COLUMNS, LEADER_COLUMNS)
    label: str
    level: bool  # a discipline level 0..4 (text.DISCIPLINE_LABELS) rather than yes/no
    of_leader: bool = False  # kept on the head's row (the "Người đứng đầu" sheet) rather than the unit's


RULE_FLAGS = (
    Flag("collective_discipline", "Kỷ luật tập thể", level=True),
    Flag("head_discipline", "Kỷ luật người đứng đầu", level=True),
    Flag("disunity", "Mất đoàn kết", level=False),
    Flag("corruption", "Tham nhũng", level=False),
    Flag("low_confidence", "Tín nhiệm thấp trên 50%", level=False, of_leader=True),
)
FLAGS = tuple(f.code for f in RULE_FLAGS)
FLAG_LABELS = {f.code: f.label for f in RULE_FLAGS}
UNIT_FLAGS = tuple(f for f in RULE_FLAGS if not f.of_leader)
LEADER_FLAGS = tuple(f for f in RULE_FLAGS if f.of_leader)
