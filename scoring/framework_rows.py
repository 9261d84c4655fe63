"""A framework as rows people edit: the dashboard's criteria editor (texts) and the "Tiêu chí" sheet of a workbook
(read back by reading/framework_sheet.py)."""

from __future__ import annotations

from decimal import Decimal

from .formats import number_setting, plain_number
from .framework import (
    BOTH,
    CAP_LABELS,
    LEADER,
    QUOTA_BASES,
    SCORED_BY,
    SUPERIOR,
    TARGET_LABELS,
    TIERS_TABLE,
    UNIT,
    Criterion,
    Framework,
    Group,
    _dec,
    _inherited,
)
from .text import fold, parse_number


def to_table(fw: Framework) -> list[dict]:
    """The criteria as editable text rows (the dashboard's editor): numbers written the Vietnamese way ("8,5"),
    blanks as empty texts, the group as its key, the target as a label."""

    def text(value: Decimal | None) -> str:
        return "" if value is None else number_setting(value)

    return [
        {
            "code": c.code,
            "group": c.group,
            "name": c.name,
            "max_points": text(c.max_points),
            "weight": text(c.weight),
            "target": TARGET_LABELS[c.target],
            "parent": c.parent,
            "scored_by": SCORED_BY[c.scored_by],
        }
        for c in fw.criteria
    ]


TABLE_COLUMNS = ["code", "group", "name", "max_points", "weight", "target", "parent", "scored_by"]


def from_table(base: Framework, rows: list[dict], **settings) -> tuple[Framework, list[str]]:
    """A framework from edited rows and settings, and the numbers that could not be read (in Vietnamese); groups
    kept from `base`, new group keys added. Check the framework with `problems()` too."""
    criteria, problems = [], []
    for row in rows:
        code = str(row.get("code") or "").strip()
        if not code:
            continue
        target = LEADER if row.get("target") == TARGET_LABELS[LEADER] else UNIT
        numbers = {}
        for key, label in (("max_points", "điểm tối đa"), ("weight", "trọng số")):
            try:
                number = parse_number(row.get(key))
            except ValueError:
                problems.append(f"Tiêu chí {code}: {label} “{row.get(key)}” không phải là số")
                number = None
            numbers[key] = None if number is None else _dec(number)
        criteria.append(
            Criterion(
                code=code,
                name=str(row.get("name") or "").strip(),
                max_points=numbers["max_points"] or Decimal(0),
                group=str(row.get("group") or "").strip() if target == UNIT else "",
                weight=numbers["weight"],
                target=target,
                scored_by=SUPERIOR if row.get("scored_by") == SCORED_BY[SUPERIOR] else BOTH,
                parent=str(row.get("parent") or "").strip(),
            )
        )
    criteria = _inherited(tuple(criteria))
    groups = list(base.groups)
    for c in criteria:
        if c.target == UNIT and c.group and c.group not in {g.key for g in groups}:
            groups.append(Group(c.group, c.group))
    return base.with_criteria(tuple(criteria), tuple(groups), **settings), problems


SHEET_COLUMNS = ["Mã tiêu chí", "Nhóm", "Tên tiêu chí", "Điểm tối đa", "Trọng số", "Đối tượng"]
# Written only when a framework uses them, so that the presets' sheets stay as they were.
PARENT_COLUMN, SCORER_COLUMN = "Thuộc tiêu chí", "Người chấm"
TIER_ROW = "Mức {code}: {name}"  # a scale of the framework's own, one row per tier with its lowest total
CAP_ROW = "Giới hạn: {event} → {code}"
CONDITION_ROW = "Điều kiện {tier}: {name} {bound}"
ZERO_ROW = "Tiêu chí bị 0 điểm thì tối đa {code} (1: áp dụng, 0: không)"
BONUS_ROW, PENALTY_ROW = "Điểm thưởng", "Điểm trừ"
RULES_GROUP = "Quy tắc"
THRESHOLD_ROWS = ("Ngưỡng HTXSNV", "Ngưỡng HTTNV", "Ngưỡng HTNV")
QUOTA_BASE_ROW = "Chỉ tiêu tính trên"


def to_rows(fw: Framework) -> list[list]:
    """The framework as the rows of a "Tiêu chí" sheet (header first).

    Group weights are rows with no code; bonus and penalty maxima are rows named "Điểm thưởng"/"Điểm trừ";
    thresholds and the quota are rows of the group "Quy tắc".
    """
    extra = any(c.parent or c.scored_by != BOTH for c in fw.criteria)
    rows: list[list] = [list(SHEET_COLUMNS) + ([PARENT_COLUMN, SCORER_COLUMN] if extra else [])]
    width = len(rows[0])

    def row(*cells) -> list:
        return [*cells, *[None] * (width - len(cells))]

    for g in fw.groups:
        if g.weight is not None:
            rows.append(row("", g.name, "", None, plain_number(g.weight), TARGET_LABELS[UNIT]))
    for c in fw.criteria:
        group = fw.group(c.group).name if c.group else ""
        weight = None if c.weight is None else plain_number(c.weight)
        cells = [c.code, group, c.name, plain_number(c.max_points), weight, TARGET_LABELS[c.target]]
        rows.append(cells + ([c.parent or None, SCORED_BY[c.scored_by]] if extra else []))
    rows.append(row("", "Điều chỉnh", BONUS_ROW, plain_number(fw.bonus_max), None, TARGET_LABELS[UNIT]))
    rows.append(row("", "Điều chỉnh", PENALTY_ROW, plain_number(fw.penalty_max), None, TARGET_LABELS[UNIT]))
    if fw.tiers == TIERS_TABLE:
        for label, value in zip(THRESHOLD_ROWS, fw.thresholds):
            rows.append(row("", RULES_GROUP, label, plain_number(value), None, ""))
    else:
        for t, value in zip(fw.tiers, [*fw.thresholds, None]):
            rows.append(
                row(
                    "",
                    RULES_GROUP,
                    TIER_ROW.format(code=t.code, name=t.name),
                    None if value is None else plain_number(value),
                )
            )
    for event, code in fw.caps:
        rows.append(row("", RULES_GROUP, CAP_ROW.format(event=CAP_LABELS[event], code=code)))
    for c in fw.conditions:
        rows.append(row("", RULES_GROUP, CONDITION_ROW.format(tier=c.tier, name=c.name, bound=c.bound)))
    zero = ZERO_ROW.format(code=fw.tier_code(fw.cap("zero_criterion")))
    rows.append(row("", RULES_GROUP, zero, int(fw.zero_criterion_bars_top), None, ""))
    rows.append(row("", RULES_GROUP, f"Chỉ tiêu {fw.tier_code(1)} (%)", plain_number(fw.quota_percent), None, ""))
    rows.append(row("", RULES_GROUP, f"{QUOTA_BASE_ROW}: {QUOTA_BASES[fw.quota_base]}", None, None, ""))
    return rows


def quota_base_of(text: str) -> str | None:
    """The quota base named in a "Chỉ tiêu tính trên: …" cell, or None."""
    key = fold(text.split(":", 1)[-1])
    return next((base for base, label in QUOTA_BASES.items() if fold(label) == key or base == key), None)
