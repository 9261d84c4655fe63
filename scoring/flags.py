"""The rule flags of a unit and its head (docs/rules.md steps 6, 7 and 10), one row each: the column that holds it,
the label people read in every sheet, page and report, what a sheet offers in its cell (a discipline's levels or a
yes mark), and whose it is. The template, the readers, the tables, the store's types, the round, its workbook and
its pages all read this table; the words a heading may use are in vocabulary.py (their order decides matches)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from .text import parse_discipline, parse_flag

YES = "x"  # how a sheet marks a yes/no flag (the reader takes any yes: text.parse_flag)
HEAD_DISCIPLINES = ("Khiển trách", "Cảnh cáo", "Cách chức", "Khai trừ")  # levels 1..4 of a person


@dataclass(frozen=True)
class Flag:
    code: str  # the column in the tables (dataset.UNIT_COLUMNS, LEADER_COLUMNS)
    label: str
    choices: tuple[str, ...]  # what a sheet offers in the cell: a discipline's levels 1..4, or YES alone
    width: int = 9  # of its column in the templates (template.Column's default)
    of_leader: bool = False  # kept on the head's row (the "Người đứng đầu" sheet) rather than the unit's

    @property
    def levels(self) -> bool:
        """A discipline (levels 1..4, text.DISCIPLINE_LABELS), not a yes/no."""
        return self.choices != (YES,)

    @property
    def none(self) -> int | bool:
        return 0 if self.levels else False

    def parse(self, value: object) -> int | bool:
        """A cell as the tables hold it: a discipline's level (a bare yes where this flag offers one: disciplined,
        level not stated), else whether it says yes. ValueError when it is neither."""
        return parse_discipline(value, YES in self.choices) if self.levels else parse_flag(value)

    def stored(self, value: object) -> int | bool:
        return int(value) if self.levels else bool(value)

    def cell(self, value: object) -> str | None:
        """A stored value as a sheet writes it: a discipline's level by name (this flag's own word first), a yes
        as YES, nothing for none."""
        return self._names.get(value) if self.levels else (YES if value else None)

    @cached_property
    def _names(self) -> dict[int, str]:
        return dict(enumerate(HEAD_DISCIPLINES, start=1)) | {parse_discipline(c, True): c for c in self.choices}


RULE_FLAGS = (
    Flag("collective_discipline", "Kỷ luật tập thể", ("Khiển trách", "Cảnh cáo", "Giải tán", YES), 12),
    Flag("head_discipline", "Kỷ luật người đứng đầu", HEAD_DISCIPLINES, 13),
    Flag("disunity", "Mất đoàn kết", (YES,)),
    Flag("corruption", "Tham nhũng", (YES,)),
    Flag("low_confidence", "Tín nhiệm thấp trên 50%", (YES,), 12, of_leader=True),
)
FLAG = {f.code: f for f in RULE_FLAGS}
FLAGS = tuple(FLAG)
FLAG_LABELS = {f.code: f.label for f in RULE_FLAGS}
SETTING_LABELS = {"bonus": "Điểm thưởng", "penalty": "Điểm trừ", **FLAG_LABELS}  # what a committee sets per unit
UNIT_FLAGS = tuple(f for f in RULE_FLAGS if not f.of_leader)
LEADER_FLAGS = tuple(f for f in RULE_FLAGS if f.of_leader)
