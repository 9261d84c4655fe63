"""A round as the consolidated workbook and back: the export (the template's layout with the self and appraisal
columns, the state of each unit and the reasons) and the import of an officer's edits, where only the changed
cells count and each needs a reason (the row's "Lý do thay đổi" cell, else the reason given at import).

The import reads the file with the same reader as any upload, under the round's frozen framework, and compares it
with the round inside the write transaction (`Rounds.import_changes`), so nothing changes if any cell is refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from openpyxl import Workbook

from .access import Actor, Right
from .beside_score import beside_score_cells, beside_score_changes
from .dataset import YearData
from .flags import FLAG, LEADER_FLAGS, SETTING_LABELS, UNIT_FLAGS
from .framework import LEADER, UNIT, Framework
from .reader import read_files
from .rounds import STATE_LABELS, Change, RoundError, RoundInfo, Rounds, UnitSheet, key, refusal_hint, year_data_of
from .template import (
    GUIDE_SHEET,
    LEADERS_TITLE,
    REVIEW_LABEL,
    SELF_LABEL,
    UNITS_TITLE,
    Column,
    Heading,
    cell_number,
    leader_columns,
    unit_columns,
    write_criteria,
    write_table,
)
from .template_guide import write_guide
from .text import fold
from .validation import Issue, Issues, errors
from .vocabulary import HEADER_SCAN_ROWS, REVIEW, SELF, SHEET_FRAMEWORK, SHEET_LEADERS, SHEET_UNITS
from .workbook import Book, Grid, Loading

REASON_HEADING, STATE_HEADING = "Lý do thay đổi", "Trạng thái"


# ---------------------------------------------------------------- export


def round_workbook(rounds: Rounds, actor: Actor, year: int) -> bytes:
    """The round as it stands, as a consolidated workbook that `python -m scoring rank` rates exactly as the round
    would be published, and that `import_workbook` takes back."""
    rounds.store.require(actor, Right.APPRAISE)
    info, sheets = rounds.snapshot(actor, year)
    data, fw = year_data_of(year, info, sheets), info.framework
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    write_guide(guide, f"BẢNG TỔNG HỢP ĐỢT ĐÁNH GIÁ NĂM {year}", _guide_lines())
    states = [STATE_LABELS[sheets[c].state] for c in data.units["code"]]
    write_table(
        wb.create_sheet(SHEET_UNITS),
        [*unit_columns(fw), *_extra_columns(state=True)],
        Heading(),
        UNITS_TITLE.format(year=year),
        _unit_records(data, states, fw),
    )
    if len(data.leaders):  # a table of headers only is an error to the reader: no sheet until a leader is named
        write_table(
            wb.create_sheet(SHEET_LEADERS),
            [*leader_columns(fw), *_extra_columns(state=False)],
            Heading(),
            LEADERS_TITLE.format(year=year),
            _leader_records(data),
        )
    write_criteria(wb.create_sheet(SHEET_FRAMEWORK), fw)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _guide_lines() -> list[str]:
    return [
        "Tệp này là số liệu của đợt đánh giá tại thời điểm tải về.",
        "– Cột “Tự chấm” là điểm đơn vị tự chấm trên trang Tự chấm; không sửa được bằng tệp.",
        "– Cột “Thẩm định” là điểm thẩm định; ô trống là chưa thẩm định (tính theo điểm tự chấm).",
        "– Có thể sửa điểm thẩm định, điểm thưởng, điểm trừ, kỷ luật, mất đoàn kết, tham nhũng, tín nhiệm thấp "
        "của các đơn vị đang ở trạng thái “Đã nộp” hoặc “Đang thẩm định”.",
        f"– Mỗi dòng có ô sửa cần ghi lý do ở cột “{REASON_HEADING}” (hoặc nhập một lý do chung khi nhập tệp).",
        "– Nhập lại tệp ở trang Đợt đánh giá (nút “Nhập tệp thẩm định”) hoặc bằng lệnh "
        'python -m scoring round import NĂM TỆP --reason "…". Chỉ các ô đã thay đổi được ghi, kèm lý do, '
        "người nhập và thời điểm; nếu có ô không hợp lệ thì không ô nào được ghi.",
        "– Cột “Ghi chú” liệt kê các điểm thẩm định khác điểm tự chấm và lý do đã ghi.",
    ]


def _extra_columns(state: bool) -> list[Column]:
    return [
        *([Column("state", STATE_HEADING, width=14)] if state else []),
        Column("reason", REASON_HEADING, width=30, align="left"),
    ]


def _scores(self_row: pd.Series, review_row: pd.Series) -> dict:
    return {
        (kind, code): cell_number(row[code])
        for code in self_row.index
        for kind, row in ((SELF, self_row), (REVIEW, review_row))
    }


def _unit_records(data: YearData, states: list[str], fw: Framework) -> list[dict]:
    return [
        {
            "stt": i + 1,
            "code": u.code,
            "name": u.name,
            "cluster": u.cluster,
            "bonus": cell_number(u.bonus) or None,
            "penalty": cell_number(u.penalty) or None,
            **{f.code: f.cell(getattr(u, f.code)) for f in UNIT_FLAGS},
            **beside_score_cells(fw, u),
            "note": u.note or None,
            "state": state,
            **_scores(data.unit_self.iloc[i], data.unit_review.iloc[i]),
        }
        for i, (u, state) in enumerate(zip(data.units.itertuples(), states))
    ]


def _leader_records(data: YearData) -> list[dict]:
    return [
        {
            "stt": i + 1,
            "code": p.unit_code,
            "name": p.name,
            "title": p.title,
            "discipline": FLAG["head_discipline"].cell(p.discipline),
            **{f.code: f.cell(getattr(p, f.code)) for f in LEADER_FLAGS},
            **_scores(data.leader_self.iloc[i], data.leader_review.iloc[i]),
        }
        for i, p in enumerate(data.leaders.itertuples())
    ]


# ---------------------------------------------------------------- import


@dataclass
class FileEdits:
    """What an officer's workbook says: the year's tables as read, and each row's reason by (file, sheet, row)."""

    data: YearData
    reasons: dict[tuple[str, str, int], str]


def read_workbook(files: list[tuple[str, bytes]], fw: Framework, year: int) -> tuple[FileEdits | None, list[Issue]]:
    """Read the edited workbook with the upload reader under the round's framework."""
    loading = Loading(files)
    read = read_files(loading, fw, year)
    issues = list(read.issues)
    if read.errors:
        return None, issues
    other = sorted(y for y in read.years if y != year)
    if year not in read.years or other:
        issues.append(
            Issue(
                "error",
                f"Tệp phải là bảng tổng hợp của năm {year} (trong tệp: "
                f"{', '.join(map(str, sorted(read.years))) or 'không có năm nào'}).",
                files[0][0] if files else "",
            )
        )
        return None, issues
    reasons = {}
    for book in loading.books():
        if isinstance(book, Book):
            for grid in book.sheets:
                reasons |= {(book.name, grid.name, row): text for row, text in _reason_cells(grid).items()}
    return FileEdits(read.years[year], reasons), issues


def _reason_cells(grid: Grid) -> dict[int, str]:
    """The texts of the sheet's "Lý do…" column by Excel row, if it has one."""
    for col in range(grid.width):
        if any(row < HEADER_SCAN_ROWS and fold(text).startswith("lydo") for row, text in grid.texts[col].items()):
            return {row + 1: text.strip() for row, text in grid.texts[col].items() if text.strip()}
    return {}


def import_workbook(
    rounds: Rounds, actor: Actor, year: int, files: list[tuple[str, bytes]], default_reason: str = ""
) -> tuple[list[Change], list[Issue]]:
    """The changed cells of an edited round workbook appended to the round with their reasons, all or none.
    Returns the changes written (none when there are errors) and every problem found."""
    rounds.store.require(actor, Right.APPRAISE)
    info = rounds.get(year)
    if info is None:
        return [], [Issue("error", f"Năm {year} chưa có đợt đánh giá.")]
    edits, issues = read_workbook(files, info.framework, year)
    if edits is None:
        return [], issues
    try:
        changes, found = rounds.import_changes(
            actor, year, lambda info, sheets, open_codes: diff(edits, info, sheets, open_codes, default_reason)
        )
    except RoundError as e:  # published meanwhile, or the appraisal deadline has passed
        return [], issues + [Issue("error", str(e), files[0][0])]
    issues += found
    return ([] if errors(issues) else changes), issues


def diff(
    edits: FileEdits, info: RoundInfo, sheets: dict[str, UnitSheet], open_codes: set[str], default_reason: str = ""
) -> tuple[list[Change], list[Issue]]:
    """The cells of the file that differ from the round, as appraisal changes, and what is refused: a changed
    self score, a cleared appraisal, a unit not open for appraisal (`open_codes` are), a change without a reason,
    an unknown unit or one withdrawn from the round."""
    data, fw = edits.data, info.framework
    current = year_data_of(info.year, info, sheets)
    changes, issues = [], Issues()
    now_units = current.units.set_index("code")
    unit_position = {c: j for j, c in enumerate(current.units["code"])}
    for i, u in enumerate(data.units.itertuples()):
        at = issues.at(u.file, u.sheet)
        if u.code not in unit_position:
            at.error(
                f"Đơn vị {u.code} không có trong đợt đánh giá năm {info.year}"
                + (" (đã rút khỏi đợt)" if u.code in sheets else ""),
                u.row,
                "Mã đơn vị",
                u.code,
            )
            continue
        j = unit_position[u.code]
        found = _criteria(
            UNIT,
            fw,
            data.unit_self.iloc[i],
            data.unit_review.iloc[i],
            current.unit_self.iloc[j],
            current.unit_review.iloc[j],
            at,
            u.row,
        )
        before = now_units.loc[u.code]
        found += _settings(u, before, ("bonus", "penalty", *(f.code for f in UNIT_FLAGS)))
        found += beside_score_changes(fw, u, before)
        for name, label in (("name", "Tên đơn vị"), ("cluster", "Khối")):
            if getattr(u, name) != before[name]:
                at.warning(
                    f"Tên và khối của đơn vị không đổi bằng tệp; giữ “{before[name]}”", u.row, label, getattr(u, name)
                )
        changes += _with_reasons(found, u.code, sheets[u.code], u.code in open_codes, edits, u, default_reason, at)
    leaders = current.leaders.reset_index(drop=True)
    leader_position = {c: j for j, c in enumerate(leaders["unit_code"])}
    for i, p in enumerate(data.leaders.itertuples()):
        at = issues.at(p.file, p.sheet)
        j = leader_position.get(p.unit_code)
        if j is None:  # leaders are only those of the round's units who named one
            at.error(
                f"Đơn vị {p.unit_code} không có người đứng đầu trong đợt đánh giá", p.row, "Mã đơn vị", p.unit_code
            )
            continue
        found = _criteria(
            LEADER,
            fw,
            data.leader_self.iloc[i],
            data.leader_review.iloc[i],
            current.leader_self.iloc[j],
            current.leader_review.iloc[j],
            at,
            p.row,
        )
        found += _settings(p, leaders.loc[j], tuple(f.code for f in LEADER_FLAGS))
        if p.discipline != leaders.at[j, "discipline"]:
            found.append(("head_discipline", float(p.discipline), "Kỷ luật"))
        changes += _with_reasons(
            found, p.unit_code, sheets[p.unit_code], p.unit_code in open_codes, edits, p, default_reason, at
        )
    return _one_per_target(changes, issues), issues.errors + issues.warnings


def _criteria(
    target: str,
    fw: Framework,
    self_new: pd.Series,
    review_new: pd.Series,
    self_now: pd.Series,
    review_now: pd.Series,
    at: Issues,
    row: int,
) -> list[tuple[str, float, str]]:
    """(entry target, value, column) of the appraisal scores that changed; errors for edited self scores and
    cleared appraisal scores."""
    found = []
    for code in fw.codes(target):
        typed, before, own = review_new[code], review_now[code], self_now[code]
        if not _same(self_new[code], own):
            at.error(
                "Điểm tự chấm là của đơn vị (trang Tự chấm), không sửa bằng tệp; sửa ở cột Thẩm định",
                row,
                f"{code} / {SELF_LABEL}",
                cell_number(self_new[code]),
            )
        if np.isnan(typed):
            if not np.isnan(before):
                at.error(
                    "Ô thẩm định bị xoá: ghi điểm thẩm định (bằng điểm tự chấm nếu giữ nguyên)",
                    row,
                    f"{code} / {REVIEW_LABEL}",
                )
        elif not _same(typed, before if not np.isnan(before) else own):
            found.append((key(target, code), float(typed), f"{code} / {REVIEW_LABEL}"))
    return found


def _settings(new, before, names: tuple[str, ...]) -> list[tuple[str, float, str]]:
    return [
        (name, float(getattr(new, name)), SETTING_LABELS[name])
        for name in names
        if not _same(float(getattr(new, name)), float(before[name]))
    ]


def _same(a: float, b: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) < 1e-9


def _with_reasons(
    found: list[tuple[str, float, str]],
    code: str,
    sheet: UnitSheet,
    is_open: bool,
    edits: FileEdits,
    row,
    default_reason: str,
    at: Issues,
) -> list[Change]:
    if not found:
        return []
    if not is_open:
        hint = refusal_hint("import_changes", sheet.state)
        at.error(
            f"Đơn vị {code} đang ở trạng thái “{STATE_LABELS[sheet.state]}”: không nhập thay đổi được" + hint,
            row.row,
            found[0][2],
        )
        return []
    reason = edits.reasons.get((row.file, row.sheet, row.row), "").strip() or default_reason.strip()
    if not reason:
        for _, value, column in found:
            at.error(
                f"Ô đã sửa cần lý do: ghi vào cột “{REASON_HEADING}” của dòng này hoặc nhập lý do chung",
                row.row,
                column,
                value if isinstance(value, str) else cell_number(value),
            )
        return []
    return [Change(code, _kind(target), target, value, reason) for target, value, _ in found]


def _kind(target: str) -> str:
    """A criterion's appraisal ("U:2.1", "L:N1"), else a setting (bonus, a flag, "condition:<name>", not rated)."""
    return "review" if target[:2] in ("U:", "L:") else "setting"


def _one_per_target(changes: list[Change], issues: Issues) -> list[Change]:
    """The head's discipline may be edited on both sheets: the two must agree."""
    seen: dict[tuple[str, str], float] = {}
    for c in changes:
        if seen.setdefault((c.code, c.target), c.value) != c.value:
            issues.error(f"Đơn vị {c.code}: kỷ luật người đứng đầu ghi khác nhau ở hai trang", column="Kỷ luật")
    return list({(c.code, c.target): c for c in changes}.values())
