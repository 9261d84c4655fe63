"""The "Tiêu chí" sheet: a framework written as rows (criteria, group weights, bonus and penalty maxima, and the
rules: thresholds and the quota)."""

from __future__ import annotations

import re
from decimal import Decimal

from .. import workbook
from ..conditions import FLAG, PERCENT, conditions_of
from ..framework import (
    BOTH,
    CAP_LABELS,
    LEADER,
    SCORED_BY,
    SUPERIOR,
    UNIT,
    Criterion,
    Framework,
    Group,
    _inherited,
    load_preset,
    tiers_of,
)
from ..framework_rows import QUOTA_BASE_ROW, RULES_GROUP, THRESHOLD_ROWS, quota_base_of
from ..text import fold, nfc, parse_number
from ..validation import Issue, Issues
from ..vocabulary import HEADER_SCAN_ROWS, SHEET_FRAMEWORK
from ..workbook import Book, Grid, UnreadableFile
from .headers import cell_text, find_sheet


def is_framework_grid(grid: Grid) -> bool:
    return any(
        fold(cell_text(grid, r, c)) == "matieuchi"
        for r in range(min(grid.height, HEADER_SCAN_ROWS))
        for c in range(grid.width)
    )


def framework_from_books(books: list[Book], issues: Issues) -> Framework | None:
    found = []
    for book in books:
        grid = find_sheet(book, SHEET_FRAMEWORK)
        if grid is None and book.kind == "csv" and is_framework_grid(book.sheets[0]):
            grid = book.sheets[0]
        if grid is not None:
            here = issues.at(file=book.name, sheet=grid.name)
            fw = read_framework_sheet(grid, load_preset(), here)
            if fw is not None:
                found.append((book.name, fw))
            else:
                here.error(
                    f"Trang “{SHEET_FRAMEWORK}” của tệp không theo mẫu (Mã tiêu chí | Nhóm | Tên tiêu chí "
                    "| Điểm tối đa | Trọng số | Đối tượng). Nếu không cần bộ tiêu chí trong tệp, hãy chọn một "
                    "bộ tiêu chí có sẵn (ô “Bộ tiêu chí” trên trang Tải lên, hoặc --preset / --framework ở dòng "
                    "lệnh): khi đó trang này được bỏ qua"
                )
    if not found:
        return None
    first_name, first = found[0]
    for name, fw in found[1:]:
        if fw != first:
            issues.at(file=name).error(f"Trang “{SHEET_FRAMEWORK}” khác với trang cùng tên trong tệp {first_name}")
    return first


def read_framework_bytes(name: str, data: bytes, base: Framework) -> tuple[Framework | None, list[Issue]]:
    """A framework from a workbook's "Tiêu chí" sheet (or its only sheet), with every problem found."""
    issues = Issues(file=name)
    try:
        book = workbook.load(data, name)
    except UnreadableFile as e:
        issues.error(str(e))
        return None, issues.items
    grid = find_sheet(book, SHEET_FRAMEWORK) or (book.sheets[0] if len(book.sheets) == 1 else None)
    if grid is None:
        issues.error(f"Không tìm thấy trang “{SHEET_FRAMEWORK}”")
        return None, issues.items
    return read_framework_sheet(grid, base, issues.at(sheet=grid.name)), issues.items


def read_framework_sheet(grid: Grid, base: Framework, issues: Issues) -> Framework | None:
    """A "Tiêu chí" sheet as a framework; settings not in the sheet (thresholds, quota) from base."""
    top = next(
        (
            r
            for r in range(min(grid.height, HEADER_SCAN_ROWS))
            if any(fold(cell_text(grid, r, c)) == "matieuchi" for c in range(grid.width))
        ),
        None,
    )
    if top is None:
        issues.error(f"Không tìm thấy dòng tiêu đề có cột “Mã tiêu chí” trong {HEADER_SCAN_ROWS} dòng đầu")
        return None
    cols = {}
    for c in range(grid.width):
        key = fold(cell_text(grid, top, c))
        for role, keys in (
            ("code", ("matieuchi",)),
            ("group", ("nhom",)),
            ("name", ("tentieuchi", "tieuchi")),
            ("max", ("diemtoida", "thangdiem")),
            ("weight", ("trongso",)),
            ("target", ("doituong",)),
            ("parent", ("thuoctieuchi",)),
            ("scored_by", ("nguoicham",)),
        ):
            if key.startswith(keys) and role not in cols:
                cols[role] = c
    for role, label in (("name", "Tên tiêu chí"), ("max", "Điểm tối đa")):
        if role not in cols:
            issues.error(f"Thiếu cột bắt buộc “{label}”", row=top + 1)
    if issues.errors and any(i.sheet == issues.sheet for i in issues.errors):
        return None
    criteria, groups = [], {}
    settings = {}
    before = len(issues.errors)
    for r in range(top + 1, grid.height):
        cell = {role: cell_text(grid, r, c) for role, c in cols.items()}
        if not any(cell.values()) or fold(cell.get("name", "")).startswith("tongcong"):
            continue
        target = LEADER if fold(cell.get("target", "")).startswith("nguoidungdau") else UNIT
        maximum = _decimal(grid.value(r, cols["max"]), r, "Điểm tối đa", issues, allow_blank=True)
        weight = (
            _decimal(grid.value(r, cols["weight"]), r, "Trọng số", issues, allow_blank=True)
            if "weight" in cols
            else None
        )
        name_key = fold(cell.get("name", ""))
        group_text = cell.get("group", "")
        if not cell.get("code"):
            if name_key.startswith(("diemthuong", "diemcong")) and maximum is not None:
                settings["bonus_max"] = maximum
            elif name_key.startswith("diemtru") and maximum is not None:
                settings["penalty_max"] = maximum
            elif fold(group_text) == fold(RULES_GROUP):
                _rule_setting(cell.get("name", ""), maximum, settings, r, issues)
            elif group_text and weight is not None:
                key = _group_key(group_text)
                groups[key] = Group(key, group_text, weight)
            continue
        if maximum is None:
            issues.error("Thiếu điểm tối đa", row=r + 1, column="Điểm tối đa")
            continue
        if maximum <= 0:
            issues.error(
                f"Tiêu chí {cell['code']}: điểm tối đa phải lớn hơn 0", row=r + 1, column="Điểm tối đa", value=maximum
            )
        if weight is not None and weight < 0:
            issues.error(f"Tiêu chí {cell['code']}: trọng số không được âm", row=r + 1, column="Trọng số", value=weight)
        group_key = ""
        if target == UNIT:
            group_key = _group_key(group_text) if group_text else "I"
            if group_key not in groups:
                groups[group_key] = Group(group_key, group_text or group_key)
            elif groups[group_key].name == group_key and group_text:
                groups[group_key] = Group(group_key, group_text, groups[group_key].weight)
        scorer = (
            SUPERIOR if fold(cell.get("scored_by", "")).startswith(("captren", fold(SCORED_BY[SUPERIOR]))) else BOTH
        )
        criteria.append(
            Criterion(
                cell["code"], cell.get("name", ""), maximum, group_key, weight, target, scorer, cell.get("parent", "")
            )
        )
    if len(issues.errors) > before:
        return None
    settings = _scale(settings, base, top, issues)
    if settings is None:
        return None
    criteria = _inherited(tuple(criteria))
    tie_break = base.tie_break_group if base.tie_break_group in groups else (list(groups)[-1] if groups else "")
    fw = base.with_criteria(
        tuple(criteria), tuple(groups.values()), tie_break_group=tie_break, source=f"sheet:{grid.name}", **settings
    )
    for problem in fw.problems():
        issues.error(problem, row=top + 1)
    return None if fw.problems() else fw


def _scale(settings: dict, base: Framework, top: int, issues: Issues) -> dict | None:
    """The rules rows as a framework's settings: the four tiers' thresholds, or a scale of its own; caps;
    conditions. None (with the error) when they cannot make one."""
    if "thresholds" in settings:
        settings["thresholds"] = tuple(settings["thresholds"].get(i, base.thresholds[i]) for i in range(3))
    try:
        if "tiers" in settings:
            settings["tiers"], settings["thresholds"] = tiers_of(settings["tiers"])
        if "conditions" in settings:
            settings["conditions"] = conditions_of(settings["conditions"])
    except ValueError as e:
        issues.error(str(e), row=top + 1)
        return None
    if "caps" in settings:
        settings["caps"] = tuple(sorted(settings["caps"]))
    return settings


_TIER = re.compile(r"^Mức\s+(?P<code>[^:]+?)\s*:\s*(?P<name>.+)$")
_CAP = re.compile(r"^Giới hạn\s*:\s*(?P<event>.+?)\s*→\s*(?P<code>\S+)$")
_CONDITION = re.compile(r"^Điều kiện\s+(?P<tier>[^:]+?)\s*:\s*(?P<name>.+?)\s+(?P<bound>[≥≤].+|không|có)$")
_BOUND = re.compile(r"([≥≤])\s*([\d.,]+)\s*%")


def _scale_row(name: str, value: Decimal | None, settings: dict) -> bool:
    """A tier, a cap or a condition written as a rules row (framework_rows.TIER_ROW, CAP_ROW, CONDITION_ROW)."""
    if m := _TIER.match(name):
        tier = {"code": m["code"], "name": m["name"]} | ({"min": value} if value is not None else {})
        settings.setdefault("tiers", []).append(tier)
    elif m := _CAP.match(name):
        event = next((e for e, label in CAP_LABELS.items() if fold(label) == fold(m["event"])), m["event"])
        settings.setdefault("caps", []).append((event, m["code"]))
    elif m := _CONDITION.match(name):
        entry = {"tier": m["tier"], "name": m["name"]}
        bounds = {("min" if sign == "≥" else "max"): parse_number(n) for sign, n in _BOUND.findall(m["bound"])}
        if m["bound"] in ("không", "có"):
            entry |= {"kind": FLAG, "fails_when": m["bound"] == "không"}
        else:
            entry |= {"kind": PERCENT, **bounds}
        settings.setdefault("conditions", []).append(entry)
    else:
        return False
    return True


def _rule_setting(name: str, value: Decimal | None, settings: dict, r: int, issues: Issues) -> None:
    """A row of the group "Quy tắc": a threshold, the quota percentage or what the quota is taken on."""
    key = fold(name)
    for i, label in enumerate(THRESHOLD_ROWS):
        if key == fold(label) and value is not None:
            settings.setdefault("thresholds", {})[i] = value
            return
    if _scale_row(nfc(name).strip(), value, settings):
        return
    if key.startswith("tieuchibi0diem") and value is not None:
        settings["zero_criterion_bars_top"] = value != 0
    elif key.startswith(fold(QUOTA_BASE_ROW)):
        base = quota_base_of(name)
        if base is None:
            issues.error(f"Không hiểu cách tính chỉ tiêu “{name}”", row=r + 1, column="Tên tiêu chí", value=name)
        else:
            settings["quota_base"] = base
    elif key.startswith("chitieu") and value is not None:  # "Chỉ tiêu HTXSNV (%)", or the first tier's own code
        settings["quota_percent"] = value


def _group_key(text: str) -> str:
    m = re.match(r"^\s*([IVXLC]+)[.\s)]", text + " ")
    return m.group(1) if m else nfc(text)


def _decimal(value, r, column, issues: Issues, allow_blank=False) -> Decimal | None:
    try:
        number = parse_number(value)
    except ValueError:
        issues.error(f"{column} không phải là số", row=r + 1, column=column, value=value)
        return None
    if number is None:
        if not allow_blank:
            issues.error(f"Thiếu {column.lower()}", row=r + 1, column=column)
        return None
    return Decimal(repr(number)).normalize() if not number.is_integer() else Decimal(int(number))
