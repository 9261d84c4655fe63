"""How results are shown to people, the same on every page, chart and report: tier labels and colours,
the Vietnamese number format, the rank-change arrow and the note of a unit that was never appraised."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from string import Formatter

import pandas as pd

from .dataset import ORIGIN_ACTIVE, ORIGIN_CHOSEN, ORIGIN_FILE, ORIGIN_PRESET
from .formats import format_vn
from .framework import TIERS_TABLE, Framework, Tier


@dataclass(frozen=True, eq=False)
class Scale:
    """A framework's tiers as people see them, best first: codes, names, short names (cards), strong colours
    (charts) and light fills (table cells, the report)."""

    codes: tuple[str, ...]
    label: dict[str, str]
    short: dict[str, str]
    colour: dict[str, str]
    fill: dict[str, str]

    @property
    def first(self) -> str:
        return self.codes[0]

    @property
    def last(self) -> str:
        return self.codes[-1]


# A unit not rated this year has no tier (its code is ""): shown by name, in grey, never counted among the tiers.
UNRATED = {"code": "", "name": "Không xếp loại", "colour": "#9E9E9E", "fill": "#EEEEEE"}


@cache
def _scale(tiers: tuple[Tier, ...]) -> Scale:
    none = UNRATED["code"]
    return Scale(
        tuple(t.code for t in tiers),
        {t.code: t.name for t in tiers} | {none: UNRATED["name"]},
        {t.code: t.short for t in tiers} | {none: UNRATED["name"]},
        {t.code: t.colour for t in tiers} | {none: UNRATED["colour"]},
        {t.code: t.fill for t in tiers} | {none: UNRATED["fill"]},
    )


def scale(fw: Framework | None = None) -> Scale:
    """The scale of a framework (the four tiers of the presets when None)."""
    return _scale(TIERS_TABLE if fw is None else fw.tiers)


# The presets' four tiers, where no framework is at hand (a round's states, the glossary).
TIERS = list(scale().codes)  # "HTXSNV", … best first
TIER_LABEL = scale().label
TIER_SHORT = scale().short
TIER_COLOUR = scale().colour
TIER_FILL = scale().fill
ORIGIN_LABELS = {
    ORIGIN_CHOSEN: "do người dùng chọn",
    ORIGIN_FILE: "trang “Tiêu chí” trong tệp",
    ORIGIN_ACTIVE: "bộ tiêu chí đang dùng",
    ORIGIN_PRESET: "bộ tiêu chí mẫu mặc định",
    "unknown": "không ghi lại",
}
NEW_UNIT = "Mới"
AUDIT_ACTIONS = {
    "import": "Nhập dữ liệu",
    "activate": "Dùng phiên bản",
    "framework": "Lưu bộ tiêu chí",
    "framework_activate": "Dùng bộ tiêu chí",
    "restore": "Phục hồi",
    "account_add": "Tạo tài khoản",
    "account_password": "Mật khẩu",
    "account_role": "Đổi vai trò",
    "account_disable": "Khoá tài khoản",
    "account_enable": "Mở tài khoản",
    "sign_in_lock": "Tạm khoá do nhập sai",
    "download": "Tải tệp",
    "sign_in": "Đăng nhập",
    "sign_in_failed": "Đăng nhập sai",
    "sign_out": "Đăng xuất",
    "account_unlock": "Mở khoá đăng nhập",
    "setting": "Thiết lập",
    "round_open": "Mở đợt đánh giá",
    "round_cancel": "Hủy đợt đánh giá",
    "round_add_units": "Thêm đơn vị vào đợt",
    "round_withdraw": "Rút đơn vị khỏi đợt",
    "round_import": "Nhập tệp thẩm định",
    "round_publish": "Công bố kết quả",
    "round_reopen": "Mở lại đợt đánh giá",
    "committee_add": "Thêm cấp ủy",
    "committee_move": "Chuyển cấp ủy",
}
NOT_APPRAISED = "Chưa thẩm định"


def blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def vn(value, decimals: int = 2) -> str:
    """`format_vn`, with an empty text for a blank."""
    return "" if blank(value) else format_vn(value, decimals)


def rank_change_text(change, has_previous: bool = True) -> str:
    """▲ 2 up, ▼ 1 down, = unchanged; "Mới" for a unit absent the year before (nothing when there is no year before)."""
    if blank(change):
        return NEW_UNIT if has_previous else ""
    change = int(change)
    return f"▲ {change}" if change > 0 else (f"▼ {-change}" if change < 0 else "=")


def unit_note(reason: str, appraised: bool, note: str = "") -> str:
    """Ghi chú of a unit: the reason of its tier, "Chưa thẩm định" where the committee gave no score, and the
    note that came with the unit (the file's Ghi chú column, or a round's appraisal reasons)."""
    parts = [p for p in (reason, "" if appraised else NOT_APPRAISED, note) if p]
    return "; ".join(parts)


def unit_notes(units: pd.DataFrame) -> list[str]:
    notes = units["note"].fillna("").astype(str).tolist() if "note" in units else [""] * len(units)
    return [unit_note(r, bool(a), n) for r, a, n in zip(units["reason"].tolist(), units["appraised"].tolist(), notes)]


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~$:="})


def literal(text: object) -> str:
    """Text a person typed, to be shown inside Markdown as the very characters typed: never a link, an image,
    emphasis or HTML."""
    return " ".join(str(text).split()).translate(_MARKDOWN_SPECIAL)


class _Literal(Formatter):
    def format_field(self, value, format_spec: str) -> str:
        return literal(format(value, format_spec))


def markdown(template: str, *values, **named) -> str:
    """Markdown from our own template (a `str.format` pattern) with every value shown as the very characters it
    holds: the one way the pages put anything not written in the code (a name, a file name, an answer, a number)
    into a text Streamlit draws as Markdown (tests/test_security.py checks that every page goes through it)."""
    return _Literal().vformat(template, values, named)


def markdown_list(template: str, rows: Iterable[tuple], separator: str = " · ") -> str:
    """`markdown` of one template per row, joined: "Chưa nộp: 2 · Đã nộp: 1"."""
    rows = list(rows)
    return markdown(separator.join([template] * len(rows)), *(v for row in rows for v in row))
