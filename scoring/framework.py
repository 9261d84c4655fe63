"""The criteria framework (bộ tiêu chí): groups, criteria, bonus/penalty maxima, thresholds, quota.

Presets ship as TOML files in scoring/presets/. A framework can also be read from, and written to,
a "Tiêu chí" sheet (see reader.read_framework_sheet and to_rows here).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

import tomli_w

from . import conditions as cond
from .formats import number_setting, plain_number
from .text import code_key, fold

UNIT = "unit"
LEADER = "leader"
TARGET_LABELS = {UNIT: "Tổ chức", LEADER: "Người đứng đầu"}

# Tiers are numbered best first; the engine lowers a tier by raising its number.
HTXSNV, HTTNV, HTNV, KHTNV = 1, 2, 3, 4


@dataclass(frozen=True)
class Tier:
    number: int
    code: str
    name: str
    short: str  # a card's title
    fill: str  # a light fill (report cells, table rows) and a strong tone (charts), the same everywhere
    colour: str


TIERS_TABLE = (
    Tier(HTXSNV, "HTXSNV", "Hoàn thành xuất sắc nhiệm vụ", "Xuất sắc", "#C8E6C9", "#2E7D32"),
    Tier(HTTNV, "HTTNV", "Hoàn thành tốt nhiệm vụ", "Tốt", "#BBDEFB", "#1565C0"),
    Tier(HTNV, "HTNV", "Hoàn thành nhiệm vụ", "Hoàn thành", "#FFF3C4", "#F9A825"),
    Tier(KHTNV, "KHTNV", "Không hoàn thành nhiệm vụ", "Không hoàn thành", "#FFCDD2", "#C62828"),
)
TIER_CODES = {t.number: t.code for t in TIERS_TABLE}
# A framework's own scale (2–6 tiers) takes its colours by position: light fill and strong tone, best first.
PALETTE = {
    2: ("#C8E6C9", "#2E7D32", "#FFCDD2", "#C62828"),
    3: ("#C8E6C9", "#2E7D32", "#FFF3C4", "#F9A825", "#FFCDD2", "#C62828"),
    4: tuple(x for t in TIERS_TABLE for x in (t.fill, t.colour)),
    5: ("#C8E6C9", "#2E7D32", "#BBDEFB", "#1565C0", "#FFF3C4", "#F9A825", "#FFE0B2", "#EF6C00", "#FFCDD2", "#C62828"),
    6: ("#C8E6C9", "#2E7D32", "#B2EBF2", "#00838F", "#BBDEFB", "#1565C0", "#FFF3C4", "#F9A825", "#FFE0B2", "#EF6C00",
        "#FFCDD2", "#C62828"),
}  # fmt: skip
MIN_TIERS, MAX_TIERS = 2, 6
# Events that cap a tier, and the tier they cap at by position when the framework names none (four tiers: HTTNV,
# HTNV, KHTNV; the zero-criterion bar and a leader's discipline: HTNV). Never below the last tier.
CAPS = {"reprimand": 2, "warning": 3, "dismissal": 99, "zero_criterion": 3, "leader_discipline": 3}
CAP_LABELS = {
    "reprimand": "người đứng đầu bị khiển trách",
    "warning": "người đứng đầu bị cảnh cáo",
    "dismissal": "người đứng đầu bị cách chức trở lên",
}
TIER_NAMES = {t.number: t.name for t in TIERS_TABLE}
# What the HTXSNV quota is a percentage of (docs/rules.md step 8 leaves the reading to the committee).
QUOTA_OF_TOP_TWO = "top_two"  # p% of the units rated HTXSNV or HTTNV before the cut (the default)
QUOTA_OF_GOOD = "good"  # HTXSNV at most p% of the units finally rated HTTNV: largest k with k <= p(n - k)
QUOTA_BASES = {
    QUOTA_OF_TOP_TWO: "số đơn vị xếp loại HTXSNV và HTTNV",
    QUOTA_OF_GOOD: "số đơn vị còn lại ở mức HTTNV (k ≤ p × (n − k))",
}
PRESET_DIR = Path(__file__).with_name("presets")
DEFAULT_PRESET = "dan_van_tccsd"


@dataclass(frozen=True)
class Group:
    key: str  # short key, e.g. "II"
    name: str  # e.g. "II. Kết quả thực hiện nhiệm vụ"
    weight: Decimal | None = None  # split over its criteria in proportion to max points


BOTH, SUPERIOR = "both", "superior"  # who scores a criterion: the unit and the committee, or the committee only
SCORED_BY = {BOTH: "Đơn vị tự chấm, cấp trên thẩm định", SUPERIOR: "Cấp trên chấm"}


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    max_points: Decimal
    group: str = ""  # Group.key; leader criteria have none
    weight: Decimal | None = None  # None: weight = max points
    target: str = UNIT
    scored_by: str = BOTH  # SUPERIOR: no self score (the unit neither enters nor is judged on one)
    parent: str = ""  # the code of the criterion this is a component of ("2.1" for "2.1.a")


@dataclass(frozen=True)
class Framework:
    name: str
    criteria: tuple[Criterion, ...]
    groups: tuple[Group, ...] = ()
    bonus_max: Decimal = Decimal(3)
    penalty_max: Decimal = Decimal(3)
    thresholds: tuple[Decimal, Decimal, Decimal] = (Decimal(90), Decimal(70), Decimal(50))
    quota_percent: Decimal = Decimal(20)
    quota_base: str = QUOTA_OF_TOP_TWO
    zero_criterion_bars_top: bool = False
    tie_break_group: str = "II"
    source: str = field(default="", compare=False)  # where it was read from, for the methodology
    tiers: tuple[Tier, ...] = TIERS_TABLE  # best first; `thresholds` holds the lowest total of each but the last
    caps: tuple[tuple[str, str], ...] = ()  # event (CAP_LABELS) → the tier code it caps at, where not the default
    conditions: tuple[cond.Condition, ...] = ()  # beside the score: what a tier needs besides its threshold

    @property
    def last(self) -> int:
        """The number of the last tier (tiers are numbered from 1, best first)."""
        return len(self.tiers)

    def tier_code(self, number: int) -> str:
        return self.tiers[number - 1].code

    def cap(self, event: str) -> int:
        """The tier (number) an event caps at: the framework's choice, else the default position."""
        named = dict(self.caps).get(event)
        numbers = {t.code: t.number for t in self.tiers}
        return numbers[named] if named in numbers else min(CAPS[event], self.last)

    def of(self, target: str) -> tuple[Criterion, ...]:
        """The criteria scored for a target: those without components (a criterion with components is the sum of
        them, scores are entered at the lowest level)."""
        parents = self.parents
        return tuple(c for c in self.criteria if c.target == target and c.code not in parents)

    @property
    def parents(self) -> set[str]:
        """The codes of the criteria that have components."""
        return {c.parent for c in self.criteria if c.parent}

    def headings(self, target: str) -> tuple[Criterion, ...]:
        """The criteria as people read them: the top level (a criterion with components stands for them)."""
        return tuple(c for c in self.criteria if c.target == target and not c.parent)

    def components(self, code: str) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.parent == code)

    def self_scored(self, target: str) -> tuple[Criterion, ...]:
        """The scored criteria a unit assesses itself (not those only the superior scores)."""
        return tuple(c for c in self.of(target) if c.scored_by != SUPERIOR)

    def codes(self, target: str) -> list[str]:
        return [c.code for c in self.of(target)]

    def group(self, key: str) -> Group:
        return next(g for g in self.groups if g.key == key)

    def weights(self, target: str) -> dict[str, Decimal]:
        """Effective weight per criterion (docs/rules.md step 2)."""
        criteria = self.of(target)
        parent = {c.code: c for c in self.criteria if c.code in self.parents}
        out = {}
        for c in criteria:  # a component shares its criterion's weight in proportion to its maximum
            above = parent.get(c.parent)
            shared = above is not None and above.weight is not None and c.weight is None
            out[c.code] = above.weight * c.max_points / above.max_points if shared else c.max_points
            out[c.code] = c.weight if c.weight is not None else out[c.code]
        for g in self.groups:
            members = [c for c in criteria if c.group == g.key]
            if g.weight is not None and members:
                total_max = sum(c.max_points for c in members)
                for c in members:
                    out[c.code] = g.weight * c.max_points / total_max
        return out

    def weight_of(self, code: str) -> Decimal:
        """The effective weight of any criterion: a scored one's, or the sum of its components'."""
        weights = {**self.weights(UNIT), **self.weights(LEADER)}
        return weights.get(code, sum((weights[c.code] for c in self.components(code)), Decimal(0)))

    def problems(self) -> list[str]:
        """Inconsistencies that make the framework unusable, in Vietnamese."""
        out = []
        keys = [code_key(c.code) for c in self.criteria]
        for code in sorted({c.code for c, k in zip(self.criteria, keys) if keys.count(k) > 1}):
            out.append(f"Mã tiêu chí “{code}” bị trùng")
        group_keys = {g.key for g in self.groups}
        for c in self.criteria:
            if c.max_points <= 0:
                out.append(f"Tiêu chí {c.code}: điểm tối đa phải lớn hơn 0")
            if c.weight is not None and c.weight < 0:
                out.append(f"Tiêu chí {c.code}: trọng số không được âm")
            if c.target == UNIT and c.group not in group_keys:
                out.append(f"Tiêu chí {c.code}: không có nhóm “{c.group}”")
            group = next((g for g in self.groups if g.key == c.group), None)
            if group is not None and group.weight is not None and c.weight is not None:
                out.append(f"Tiêu chí {c.code}: chỉ khai báo trọng số ở nhóm hoặc ở tiêu chí, không cả hai")
        out += _component_problems(self)
        if not self.of(UNIT):
            out.append("Bộ tiêu chí không có tiêu chí nào cho tổ chức")
        for target in (UNIT, LEADER):
            if self.of(target) and sum(self.weights(target).values()) <= 0:
                out.append(f"Tổng trọng số tiêu chí {TARGET_LABELS[target].lower()} phải lớn hơn 0")
        out += _tier_problems(self)
        out += cond.problems(self.conditions, [t.code for t in self.tiers])
        if not (0 <= self.quota_percent <= 100):
            out.append("Tỷ lệ chỉ tiêu HTXSNV phải trong khoảng 0–100%")
        if self.quota_base not in QUOTA_BASES:
            out.append(f"Cách tính chỉ tiêu “{self.quota_base}” không hợp lệ")
        if self.bonus_max < 0 or self.penalty_max < 0:
            out.append("Điểm thưởng, điểm trừ tối đa không được âm")
        if self.tie_break_group not in group_keys:
            out.append(f"Nhóm dùng để phân định đồng điểm “{self.tie_break_group}” không có trong bộ tiêu chí")
        return out

    def with_criteria(self, criteria: tuple[Criterion, ...], groups: tuple[Group, ...], **settings) -> Framework:
        return replace(self, criteria=criteria, groups=groups, **settings)


def _component_problems(fw: Framework) -> list[str]:
    """Components under an existing criterion of the same target, one level deep, maxima summing to its own."""
    out = []
    by_code = {c.code: c for c in fw.criteria}
    for c in fw.criteria:
        if c.scored_by not in SCORED_BY:
            out.append(f"Tiêu chí {c.code}: người chấm “{c.scored_by}” không hợp lệ (chỉ có: {', '.join(SCORED_BY)})")
        above = by_code.get(c.parent)
        if c.parent and above is None:
            out.append(f"Tiêu chí {c.code}: không có tiêu chí “{c.parent}” để làm thành phần")
        elif above is not None and (above.parent or above.target != c.target):
            out.append(f"Tiêu chí {c.code}: chỉ là thành phần của một tiêu chí cùng đối tượng, một cấp")
        elif above is not None and above.weight is not None and c.weight is not None:
            out.append(f"Tiêu chí {c.code}: chỉ khai báo trọng số ở tiêu chí hoặc ở thành phần, không cả hai")
    for code in sorted(fw.parents & set(by_code)):
        total = sum((c.max_points for c in fw.components(code)), Decimal(0))
        if total != by_code[code].max_points:
            out.append(
                f"Tiêu chí {code}: điểm tối đa {number_setting(by_code[code].max_points)} khác tổng các thành phần "
                f"({number_setting(total)})"
            )
    return out


def _tier_problems(fw: Framework) -> list[str]:
    out = []
    codes = [t.code for t in fw.tiers]
    if not MIN_TIERS <= len(fw.tiers) <= MAX_TIERS:
        out.append(f"Thang xếp loại cần từ {MIN_TIERS} đến {MAX_TIERS} mức, không phải {len(fw.tiers)}")
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        out.append(f"Mức xếp loại “{code}” bị trùng")
    if len(fw.thresholds) != len(fw.tiers) - 1:
        out.append("Mỗi mức xếp loại trừ mức cuối cần một ngưỡng điểm")
    elif any(a < b for a, b in zip(fw.thresholds, fw.thresholds[1:])) or any(t < 0 for t in fw.thresholds):
        out.append("Ngưỡng xếp loại phải giảm dần: " + " ≥ ".join(codes[:-1]) + " ≥ 0")
    for event, code in fw.caps:
        if event not in CAP_LABELS:
            out.append(f"Không có quy tắc giới hạn “{event}” (chỉ có: {', '.join(CAP_LABELS)})")
        elif code not in codes:
            out.append(f"Giới hạn “{event}” chỉ tới mức “{code}” không có trong thang xếp loại")
    return out


def tiers_of(entries: list[dict]) -> tuple[tuple[Tier, ...], tuple[Decimal, ...]]:
    """A scale written as `[[tiers]]` (code, name, min but on the last, colour), best first: its tiers and their
    thresholds."""
    for number, entry in enumerate(entries, start=1):
        code = entry.get("code", "?")
        if "code" not in entry or "name" not in entry:
            raise ValueError(f"Mức xếp loại thứ {number} cần “code” và “name”")
        if ("min" in entry) == (number == len(entries)):
            raise ValueError(f"Mức xếp loại thứ {number} ({code}): mọi mức trừ mức cuối cần “min”, mức cuối không có")
    tiers = []
    for number, entry in enumerate(entries, start=1):
        fill, colour = _palette(len(entries), number)
        if "colour" in entry:
            colour = str(entry["colour"])
            fill = _lighter(colour)
        name = str(entry["name"])
        tiers.append(Tier(number, str(entry["code"]), name, name, fill, colour))
    return tuple(tiers), tuple(_dec(e["min"]) for e in entries if "min" in e)


def _palette(count: int, number: int) -> tuple[str, str]:
    """The fill and the strong tone of tier `number` of a scale of `count` tiers."""
    palette = PALETTE.get(count, PALETTE[MAX_TIERS])
    k = min(number - 1, len(palette) // 2 - 1)
    return palette[2 * k], palette[2 * k + 1]


def _lighter(colour: str) -> str:
    """A light fill of a strong colour (#RRGGBB): three quarters of the way to white."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(v + (255 - v) * 0.75):02X}" for v in rgb)


def _dec(value) -> Decimal:
    return Decimal(str(value))


def presets() -> dict[str, str]:
    """Preset id → display name."""
    return {p.stem: from_toml(p.read_text("utf-8")).name for p in sorted(PRESET_DIR.glob("*.toml"))}


def load_preset(name: str = DEFAULT_PRESET) -> Framework:
    """A preset by id ("dan_van_tccsd") or display name."""
    for path in sorted(PRESET_DIR.glob("*.toml")):
        framework = from_toml(path.read_text("utf-8"), source=f"preset:{path.stem}")
        if name in (path.stem, framework.name) or fold(name) == fold(framework.name):
            return framework
    raise KeyError(name)


def load_framework_file(path: Path) -> Framework:
    return from_toml(Path(path).read_text("utf-8"), source=str(path))


# The keys a framework file may use, per table: any other is an error naming it and its line, never ignored.
KEYS = {
    "": {"name", "bonus_max", "penalty_max", "thresholds", "quota_percent", "quota_base", "zero_criterion_bars_top",
         "tie_break_group", "groups", "criteria", "tiers", "caps", "conditions"},
    "conditions": cond.KEYS,
    "tiers": {"code", "name", "min", "colour"},
    "caps": set(CAP_LABELS),
    "groups": {"key", "name", "weight"},
    "criteria": {"code", "name", "max", "group", "weight", "target", "scored_by", "parent"},
}  # fmt: skip


def from_toml(text: str, source: str = "") -> Framework:
    data = tomllib.loads(text)
    _known_keys(data, text)
    groups = tuple(
        Group(g["key"], g["name"], _dec(g["weight"]) if "weight" in g else None) for g in data.get("groups", [])
    )
    criteria = _inherited(
        tuple(
            Criterion(
                code=str(c["code"]),
                name=c["name"],
                max_points=_dec(c["max"]),
                group=c.get("group", ""),
                weight=_dec(c["weight"]) if "weight" in c else None,
                target=c.get("target", UNIT),
                scored_by=str(c.get("scored_by", "")),
                parent=str(c.get("parent", "")),
            )
            for c in data["criteria"]
        )
    )
    scale = {"thresholds": tuple(_dec(t) for t in data.get("thresholds", [90, 70, 50]))}
    if "tiers" in data:  # a scale of the framework's own replaces the four tiers and their thresholds
        if "thresholds" in data:
            raise ValueError("Bộ tiêu chí có cả “thresholds” và [[tiers]]: ghi ngưỡng ở từng mức (“min”)")
        scale["tiers"], scale["thresholds"] = tiers_of(data["tiers"])
    if "caps" in data:
        scale["caps"] = tuple(sorted((str(k), str(v)) for k, v in data["caps"].items()))
    if "conditions" in data:
        scale["conditions"] = cond.conditions_of(data["conditions"])
    return Framework(
        name=data["name"],
        criteria=criteria,
        groups=groups,
        bonus_max=_dec(data.get("bonus_max", 3)),
        penalty_max=_dec(data.get("penalty_max", 3)),
        quota_percent=_dec(data.get("quota_percent", 20)),
        quota_base=str(data.get("quota_base", QUOTA_OF_TOP_TWO)),
        zero_criterion_bars_top=bool(data.get("zero_criterion_bars_top", False)),
        tie_break_group=data.get("tie_break_group", "II"),
        source=source,
        **scale,
    )


def _inherited(criteria: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
    """A component takes its criterion's group, target and scorer unless it states its own scorer."""
    by_code = {c.code: c for c in criteria}
    out = []
    for c in criteria:
        above = by_code.get(c.parent)
        if above is not None:
            c = replace(c, group=above.group, target=above.target, scored_by=c.scored_by or above.scored_by)
        out.append(replace(c, scored_by=c.scored_by or BOTH))
    return tuple(out)


def _known_keys(data: dict, text: str) -> None:
    """Every key of the file is one a framework has (a misspelt "thresold" or an unknown table would otherwise be
    ignored and the defaults would rate the year)."""
    tables = ("groups", "criteria", "tiers", "caps", "conditions")
    for table, items in [("", [data]), *((t, data.get(t, [])) for t in tables)]:
        for item in items if isinstance(items, list) else [items]:
            unknown = sorted(set(item) - KEYS[table]) if isinstance(item, dict) else []
            if unknown:
                where = f"bảng [[{table}]]" if table else "phần đầu"
                raise ValueError(
                    f"Bộ tiêu chí có khóa không biết “{unknown[0]}” ({where}, dòng {_line_of(text, table, unknown[0])})"
                )


def _line_of(text: str, table: str, key: str) -> int | str:
    """The line where `key` is written inside `table` ("" the top, before any table), or "?"."""
    current = ""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if header:
            current = header.group(1).strip('"')
            if current == key and table == "":
                return number
            continue
        if current == table and re.match(rf'["\']?{re.escape(key)}["\']?\s*=', stripped):
            return number
    return "?"


def to_toml(fw: Framework) -> str:
    data = {
        "name": fw.name,
        "bonus_max": plain_number(fw.bonus_max),
        "penalty_max": plain_number(fw.penalty_max),
        "thresholds": [plain_number(t) for t in fw.thresholds],
        "quota_percent": plain_number(fw.quota_percent),
        "zero_criterion_bars_top": fw.zero_criterion_bars_top,
        "tie_break_group": fw.tie_break_group,
        "groups": [
            {"key": g.key, "name": g.name} | ({"weight": plain_number(g.weight)} if g.weight is not None else {})
            for g in fw.groups
        ],
        "criteria": [
            {"code": c.code}
            | ({"group": c.group} if c.group else {})
            | ({"target": c.target} if c.target != UNIT else {})
            | ({"parent": c.parent} if c.parent else {})
            | {"name": c.name, "max": plain_number(c.max_points)}
            | ({"weight": plain_number(c.weight)} if c.weight is not None else {})
            | ({"scored_by": c.scored_by} if c.scored_by != BOTH else {})
            for c in fw.criteria
        ],
    }
    if fw.quota_base != QUOTA_OF_TOP_TWO:  # the default stays unwritten: stored definitions keep their hash
        data["quota_base"] = fw.quota_base
    if fw.tiers != TIERS_TABLE:  # likewise the four tiers: a scale of its own replaces the thresholds
        del data["thresholds"]
        data["tiers"] = [
            {"code": t.code, "name": t.name}
            | ({"min": plain_number(m)} if m is not None else {})
            | ({"colour": t.colour} if t.colour != _palette(fw.last, t.number)[1] else {})
            for t, m in zip(fw.tiers, [*fw.thresholds, None])
        ]
    if fw.caps:
        data["caps"] = dict(fw.caps)
    if fw.conditions:
        data["conditions"] = cond.to_entries(fw.conditions)
    return tomli_w.dumps(data)
