"""Reproducible, fictional sample data: a superior committee's consolidated workbooks over several
years and the per-unit forms of one cluster for the last year.

Every name (committees, places, units, people) is invented. The data exercises the rules of docs/rules.md:
disqualifiers, disciplined heads, a unit without self scores, a leader with low confidence, ties, a unit
that appears only from the second year, and clusters where the HTXSNV quota bites.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from .flags import YES
from .framework import LEADER, UNIT, Framework, load_preset
from .framework_rows import BONUS_ROW, PENALTY_ROW
from .template import (
    FORM_SHEET,
    LEADERS_TITLE,
    UNITS_TITLE,
    Heading,
    cell_number,
    leader_columns,
    save,
    unit_columns,
    write_criteria,
    write_form,
    write_table,
)
from .vocabulary import REVIEW, SELF, SHEET_FRAMEWORK, SHEET_LEADERS, SHEET_UNITS

SUPERIOR = "ĐẢNG BỘ TỈNH ĐÔNG NGUYÊN"
ISSUER = "ĐẢNG ỦY PHƯỜNG THUẬN HÀ"
PLACE = "Thuận Hà"
FORM_CLUSTER = "Khối trường học"

# Cluster → unit names, in the proportions of a 45-unit committee (15/10/8/7/5).
_VILLAGES = ("Đông Hạ", "Tây Hạ", "Phú Lộc", "An Mỹ", "Hòa Bình")
CLUSTERS: dict[str, tuple[str, ...]] = {
    "Khối thôn, tổ dân phố": tuple(f"Chi bộ Thôn {v}" for v in _VILLAGES)
    + tuple(f"Chi bộ Tổ dân phố Số {n}" for n in range(1, 11)),
    "Khối cơ quan": (
        "Chi bộ Văn phòng Đảng ủy",
        "Chi bộ Ủy ban Mặt trận Tổ quốc và các đoàn thể",
        "Chi bộ Văn phòng Hội đồng nhân dân và Ủy ban nhân dân",
        "Chi bộ Phòng Kinh tế, Hạ tầng và Đô thị",
        "Chi bộ Phòng Văn hóa – Xã hội",
        "Chi bộ Trung tâm Phục vụ hành chính công",
        "Chi bộ Trạm Y tế phường",
        "Chi bộ Ban Quản lý chợ Thuận Hà",
        "Chi bộ Trung tâm Cung ứng dịch vụ công",
        "Chi bộ Đội Quản lý trật tự đô thị",
    ),
    FORM_CLUSTER: (
        "Chi bộ Trường Mầm non Hoa Sen",
        "Chi bộ Trường Mầm non Sơn Ca",
        "Chi bộ Trường Mầm non Thuận Hà",
        "Chi bộ Trường Tiểu học Thuận Hà",
        "Chi bộ Trường Tiểu học Kim Đồng",
        "Chi bộ Trường Tiểu học Đông Hạ",
        "Chi bộ Trường THCS Thuận Hà",
        "Đảng bộ Trường THCS Lê Quý Đôn",
    ),
    "Khối doanh nghiệp": (
        "Chi bộ Công ty Cổ phần May Thuận Hà",
        "Chi bộ Công ty TNHH Cơ khí Hòa Phong",
        "Chi bộ Hợp tác xã Nông nghiệp Đông Hạ",
        "Đảng bộ Công ty Cổ phần Cấp nước Đông Nguyên",
        "Chi bộ Công ty Cổ phần Xây dựng Thuận Phát",
        "Chi bộ Hợp tác xã Dịch vụ Môi trường Thuận Hà",
        "Chi bộ Công ty TNHH Thực phẩm An Khang",
    ),
    "Khối lực lượng vũ trang": (
        "Chi bộ Quân sự phường",
        "Đảng bộ Công an phường",
        "Chi bộ Đồn Công an Khu công nghiệp Thuận Hà",
        "Chi bộ Trung đội Dân quân cơ động",
        "Chi bộ Đội Cảnh sát phòng cháy, chữa cháy khu vực Thuận Hà",
    ),
}
_SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương")
_MIDDLE = ("Văn", "Đức", "Minh", "Quang", "Hữu", "Thị", "Thu", "Ngọc", "Thanh")
_GIVEN = (
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hải",
    "Hùng",
    "Khánh",
    "Long",
    "Phong",
    "Quân",
    "Sơn",
    "Thắng",
    "Tuấn",
    "Việt",
    "Hà",
    "Hạnh",
    "Hoa",
    "Hương",
    "Lan",
    "Linh",
    "Mai",
    "Nga",
    "Phương",
    "Thảo",
    "Yến",
)
_STEPS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
# Special cases drawn each year: the first two from the cluster whose forms are written.
_CASES = ("no_self", "head_warning", "head_reprimand", "collective", "disunity", "corruption", "low_confidence")
_FORM_CASES = 2
# Share of each cluster's units at HTXSNV level: well above the 20% quota, so that it bites.
STRONG_SHARE = 0.4


@dataclass(frozen=True)
class _Unit:
    code: str
    name: str
    cluster: str
    quality: float  # expected share of the maximum points
    leader: str
    title: str
    since: int  # index of the first year the unit exists


@dataclass(eq=False)
class _Entry:
    """One unit and its head in one year; scores by criterion code (unit and leader), None when blank."""

    unit: _Unit
    self_scores: dict[str, float | None]
    review: dict[str, float | None]
    bonus: float = 0.0
    penalty: float = 0.0
    collective: str = ""
    head: str = ""
    disunity: bool = False
    corruption: bool = False
    low_confidence: bool = False
    note: str = ""


def write_sample(out_dir: Path, units: int = 45, years: Sequence[int] = (2023, 2024, 2025), seed: int = 2025) -> None:
    """Consolidated workbooks tong_hop_<year>.xlsx and the forms of one cluster in phieu_<last year>/."""
    if not len(CLUSTERS) <= units <= 999:
        raise ValueError(f"Số đơn vị mẫu phải từ {len(CLUSTERS)} đến 999")
    fw, years = load_preset(), sorted(years)
    rng = random.Random(seed)
    roster = _roster(rng, units)
    out_dir = Path(out_dir)
    (out_dir / f"phieu_{years[-1]}").mkdir(parents=True, exist_ok=True)  # the folder asked for and its own
    when = datetime(years[-1], 12, 25, 8, 0)
    entries = {}
    for index, year in enumerate(years):
        entries[year] = _year(rng, [u for u in roster if u.since <= index], index, fw)
        _write_consolidated(out_dir / f"tong_hop_{year}.xlsx", fw, year, entries[year], when)
    last = years[-1]
    for entry in entries[last]:
        if entry.unit.cluster == FORM_CLUSTER:
            _write_form_file(out_dir / f"phieu_{last}" / f"{entry.unit.code}.xlsx", fw, last, entry, when)


# ---------------------------------------------------------------- data


def _cluster_sizes(units: int) -> list[int]:
    shares = [len(names) for names in CLUSTERS.values()]
    sizes = [max(1, units * s // sum(shares)) for s in shares]
    sizes[0] += units - sum(sizes)
    return sizes


def _roster(rng: random.Random, units: int) -> list[_Unit]:
    """Units in cluster order, coded DV01…; the last unit of the first cluster is new in the second year."""
    roster, people = [], set()
    for cluster_index, ((cluster, names), size) in enumerate(zip(CLUSTERS.items(), _cluster_sizes(units))):
        strong = set(rng.sample(range(size), max(1, round(size * STRONG_SHARE))))
        for i in range(size):
            name = names[i] if i < len(names) else f"{names[i % len(names)]} (cơ sở {i // len(names) + 1})"
            quality = _quality(rng, i in strong)
            new = not cluster_index and i == size - 1 and size > 1
            title = "Bí thư Đảng ủy" if name.startswith("Đảng bộ") else "Bí thư Chi bộ"
            roster.append(
                _Unit(f"DV{len(roster) + 1:02d}", name, cluster, quality, _person(rng, people), title, int(new))
            )
    return roster


def _quality(rng: random.Random, strong: bool) -> float:
    """Strong units score about 91–97; a few are weak (55–72); the rest 78–90."""
    if strong:
        return rng.uniform(0.91, 0.965)
    return rng.uniform(0.55, 0.72) if rng.random() < 0.15 else rng.uniform(0.78, 0.9)


def _person(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = f"{rng.choice(_SURNAMES)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"
        if name not in taken:
            taken.add(name)
            return name


def _year(rng: random.Random, units: list[_Unit], index: int, fw: Framework) -> list[_Entry]:
    """Scores of the units existing in the year at `index`, with a tie and the special cases."""
    entries = [_scored(rng, u, fw) for u in units]
    pair = _tie(rng, entries, fw)
    rest = [e for e in entries if e not in pair]
    in_form = [e for e in rest if e.unit.cluster == FORM_CLUSTER]
    picked = _sample(rng, in_form, _FORM_CASES)
    picked += _sample(rng, [e for e in rest if e not in picked], len(_CASES) - len(picked))
    for entry, case in zip(picked, _CASES):
        _apply(entry, case, fw)
    for e in entries:
        if 0 < e.unit.since == index and not e.note:
            e.note = "Chi bộ mới thành lập"
    return entries


def _sample(rng: random.Random, items: list, k: int) -> list:
    return rng.sample(items, min(k, len(items)))


def _scored(rng: random.Random, unit: _Unit, fw: Framework) -> _Entry:
    quality = unit.quality + rng.gauss(0, 0.025)
    leader_quality = quality + rng.gauss(0, 0.03)
    review = {
        c.code: _points(rng, quality if c.target == UNIT else leader_quality, float(c.max_points))
        for c in (*fw.of(UNIT), *fw.of(LEADER))
    }
    maxima = {c.code: float(c.max_points) for c in (*fw.of(UNIT), *fw.of(LEADER))}
    self_scores = {code: _self_score(rng, value, maxima[code]) for code, value in review.items()}
    bonus = rng.choice(_STEPS) if rng.random() < 0.3 else 0.0
    penalty = rng.choice(_STEPS[:4]) if rng.random() < 0.15 else 0.0
    return _Entry(unit, self_scores, review, bonus, penalty)


def _points(rng: random.Random, quality: float, maximum: float) -> float:
    """Points in half steps around quality × maximum."""
    share = min(1.0, max(0.0, quality + rng.gauss(0, 0.05)))
    return min(maximum, math.floor(share * maximum * 2 + 0.5) / 2)


def _self_score(rng: random.Random, review: float, maximum: float) -> float:
    """Units rate themselves a little higher than the superior committee does, now and then lower."""
    if rng.random() < 0.1:
        return max(0.0, review - 0.5)
    return min(maximum, review + rng.choice((0.0, 0.0, 0.5, 0.5, 1.0, 1.5)))


def _total(entry: _Entry, fw: Framework) -> float:
    return sum(entry.review[c] for c in fw.codes(UNIT)) + entry.bonus - entry.penalty


def _tie(rng: random.Random, entries: list[_Entry], fw: Framework) -> list[_Entry]:
    """The best unit of the largest cluster and another of that cluster get the same scores: a shared rank."""
    cluster = max(CLUSTERS, key=lambda k: sum(e.unit.cluster == k for e in entries))
    members = [e for e in entries if e.unit.cluster == cluster]
    if len(members) < 2:
        return []
    best = max(members, key=lambda e: _total(e, fw))
    twin = rng.choice([e for e in members if e is not best])
    twin.self_scores, twin.review = dict(best.self_scores), dict(best.review)
    twin.bonus, twin.penalty = best.bonus, best.penalty
    return [best, twin]


def _apply(entry: _Entry, case: str, fw: Framework) -> None:
    if case == "no_self":
        entry.self_scores.update(dict.fromkeys(fw.codes(UNIT)))
        entry.note = "Không nộp bản tự chấm"
    elif case == "head_warning":
        entry.head = "Cảnh cáo"
    elif case == "head_reprimand":
        entry.head = "Khiển trách"
    elif case == "collective":
        entry.collective = "Khiển trách"
    elif case == "disunity":
        entry.disunity = True
    elif case == "corruption":
        entry.corruption = True
    elif case == "low_confidence":
        entry.low_confidence = True


# ---------------------------------------------------------------- files


def _heading(year: int) -> Heading:
    return Heading(SUPERIOR, ISSUER, f"{PLACE}, ngày 25 tháng 12 năm {year}")


def _scores(entry: _Entry, codes: list[str]) -> dict:
    return {
        (kind, code): cell_number(scores[code])
        for code in codes
        for kind, scores in ((SELF, entry.self_scores), (REVIEW, entry.review))
    }


def _unit_record(stt: int, e: _Entry, fw: Framework) -> dict:
    return {
        "stt": stt,
        "code": e.unit.code,
        "name": e.unit.name,
        "cluster": e.unit.cluster,
        "bonus": cell_number(e.bonus or None),
        "penalty": cell_number(e.penalty or None),
        "collective_discipline": e.collective or None,
        "head_discipline": e.head or None,
        "disunity": YES if e.disunity else None,
        "corruption": YES if e.corruption else None,
        "note": e.note or None,
        **_scores(e, fw.codes(UNIT)),
    }


def _leader_record(stt: int, e: _Entry, fw: Framework) -> dict:
    return {
        "stt": stt,
        "code": e.unit.code,
        "name": e.unit.leader,
        "title": e.unit.title,
        "discipline": e.head or None,
        "low_confidence": YES if e.low_confidence else None,
        **_scores(e, fw.codes(LEADER)),
    }


def _write_consolidated(path: Path, fw: Framework, year: int, entries: list[_Entry], when: datetime) -> None:
    wb = Workbook()
    units = wb.active
    units.title = SHEET_UNITS
    write_table(
        units,
        unit_columns(fw),
        _heading(year),
        UNITS_TITLE.format(year=year),
        [_unit_record(i, e, fw) for i, e in enumerate(entries, start=1)],
    )
    write_table(
        wb.create_sheet(SHEET_LEADERS),
        leader_columns(fw),
        _heading(year),
        LEADERS_TITLE.format(year=year),
        [_leader_record(i, e, fw) for i, e in enumerate(entries, start=1)],
    )
    write_criteria(wb.create_sheet(SHEET_FRAMEWORK), fw)
    save(wb, path, when)


def _write_form_file(path: Path, fw: Framework, year: int, e: _Entry, when: datetime) -> None:
    """The unit's own form: the same data as its rows in the consolidated workbook of the year."""
    labels = {
        "code": e.unit.code,
        "name": e.unit.name,
        "cluster": e.unit.cluster,
        "year": year,
        "leader_name": e.unit.leader,
        "leader_title": e.unit.title,
        "collective_discipline": e.collective or None,
        "head_discipline": e.head or None,
        "disunity": YES if e.disunity else None,
        "corruption": YES if e.corruption else None,
        "low_confidence": YES if e.low_confidence else None,
        "note": e.note or None,
    }
    submitted = any(e.self_scores[c] is not None for c in fw.codes(UNIT))
    scores = {code: (cell_number(e.self_scores[code]), cell_number(e.review[code])) for code in e.review}
    for key, value in ((BONUS_ROW, e.bonus), (PENALTY_ROW, e.penalty)):
        scores[key] = (cell_number(value or None) if submitted else None, cell_number(value or None))
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    write_form(ws, fw, Heading(ISSUER, e.unit.name.upper(), f"{PLACE}, ngày 15 tháng 12 năm {year}"), labels, scores)
    save(wb, path, when)
