"""Tables on every page: one way to draw a frame (widths, help, wrapping, paging, formulas made inert), the
criteria editor of the round pages, pickers of units, the history and issues tables, notes read in full."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from scoring import round_views, views
from scoring.presentation import TIER_LABEL, Scale, markdown, scale, vn
from scoring.store import database_url
from scoring.text import inert

if TYPE_CHECKING:
    pass


PAGE_ROWS = 500  # rows sent to the browser at once: a person reads a page, not 60,000 rows


MAX_CHOICES = 500  # options of a select box of units; beyond, a search comes first


def pick_unit(place, units: pd.DataFrame, key: str, search_key: str) -> str:
    """A unit (code, name) chosen in a select box; with more than MAX_CHOICES units, searched first by code or
    name: a select box of 60,000 units is no use to anyone and costs the browser seconds."""
    typed = (
        place.text_input("Tìm đơn vị (mã hoặc tên)", key=search_key, placeholder="Ví dụ: DV00012 hoặc Tân Yên")
        if len(units) > MAX_CHOICES
        else ""
    )
    labels = views.unit_choices(units, typed, MAX_CHOICES)
    if not labels:
        st.info(markdown("Không có đơn vị nào khớp “{}”.", typed))
        st.stop()
    return place.selectbox("Đơn vị", list(labels), format_func=labels.get, key=key)


def show_table(
    table: pd.DataFrame,
    widths: dict[str, str | int] | None = None,
    height: int | str = "auto",
    tier_column: str | None = None,
    key: str = "table",
    wrap: bool = False,
    tiers: Scale | None = None,
) -> None:
    """A table with numbers kept numeric (so they sort as numbers) but shown with a decimal comma, blanks for
    missing values, the given column widths, optionally a column of tier codes coloured as in the report (of the
    scale `tiers`, the presets' four by default), and pages of PAGE_ROWS rows when it is longer. `wrap`: rows tall
    enough for long text (notes, remedies) to wrap on a narrow screen instead of being cut."""
    if table.empty:
        st.caption("Không có dòng nào.")
        return
    _draw_table(page_of(table, key), widths or {}, height, _column(tier_column, tiers), wrap)


def _column(tier_column: str | None, tiers: Scale | None) -> tuple | None:
    """The tier column and its fills, as plain values a cache key can hold."""
    return None if tier_column is None else (tier_column, tuple((tiers or scale()).fill.items()))


def page_of(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of `frame` on the page chosen, PAGE_ROWS at a time, with a page number and where the page is when
    there is more than one. A page can take the rows before they are turned into what is shown (60,000 units'
    notes cost a tenth of a second)."""
    if len(frame) <= PAGE_ROWS:
        return frame
    pages = -(-len(frame) // PAGE_ROWS)
    c1, c2 = st.columns([1, 5])
    # Keyed by the row count: a filter that shortens the table starts again at page 1, within its pages.
    page = c1.number_input("Trang", 1, pages, 1, key=f"{key}_page_{len(frame)}")
    c2.caption(
        markdown(
            "Dòng {}–{} trên {}; {} trang.",
            (page - 1) * PAGE_ROWS + 1,
            min(page * PAGE_ROWS, len(frame)),
            len(frame),
            pages,
        )
    )
    return frame.iloc[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]


@st.cache_data(show_spinner=False, max_entries=512)
def _draw_table(
    table: pd.DataFrame, widths: dict[str, str | int], height: int | str, tier_column: tuple | None, wrap: bool = False
) -> None:
    """Draw one page of a table. Cached on the page's content (hashed with its column names and types), so a page
    already drawn for anyone is replayed as the message Streamlit made of it: marshalling a styled table costs
    Streamlit about as much as the rest of a page run."""
    _table_element(table, widths, height, tier_column, wrap)


def keyed_table(
    versions: dict[int, int],
    key: tuple,
    build: Callable[[], pd.DataFrame],
    widths: dict[str, str | int],
    height: int | str,
    tier_column: str | None = None,
    wrap: bool = False,
    tiers: Scale | None = None,
) -> None:
    """Draw the table `build()` makes, named like a chart by the dataset versions and `key` (every choice and row
    it depends on) instead of by its content: hashing a 500-row page was a quarter of a page run with thirty people
    opening it at once."""
    column = _column(tier_column, tiers)
    _draw_keyed_table(database_url(), tuple(sorted(versions.items())), key, build, widths, height, column, wrap)


@st.cache_data(show_spinner=False, max_entries=512)
def _draw_keyed_table(
    url: str, versions: tuple[tuple[int, int], ...], key: tuple, _build, widths, height, tier_column, wrap
) -> None:
    _table_element(_build(), widths, height, tier_column, wrap)


WRAPPED_ROW = 72  # px: above 4rem Streamlit's table wraps text (three lines of a note at 1366 px)


COLUMN_HELP = {
    "Thay đổi": "Thay đổi thứ hạng so với năm trước, so vị trí giữa các đơn vị có mặt ở cả hai năm "
    "(đơn vị mới hoặc đã thôi không tính).",
    "Cần xem": "Đơn vị bị hạ do chỉ tiêu, hoặc tổng điểm sát ngưỡng xếp loại: nên xem lại trước khi công bố.",
}


def _table_element(
    table: pd.DataFrame, widths: dict[str, str | int], height: int | str, tier_column: tuple | None, wrap: bool = False
) -> None:
    numeric_objects = [
        c
        for c in table.columns
        if table[c].dtype == object
        and table[c].dropna().map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all()
    ]
    # Whole numbers with None for blanks (ranks of units not submitted yet): whole numbers, blanks shown empty.
    whole = {
        c: table[c].map(lambda v: "" if pd.isna(v) else str(int(v)))
        for c in table.columns
        if (c in numeric_objects and table[c].dropna().map(lambda v: isinstance(v, Integral)).all())
        or (pd.api.types.is_integer_dtype(table[c]) and table[c].isna().any())  # ranks, none for a unit not rated
    }
    table = table.assign(**whole)
    numeric_objects = [c for c in numeric_objects if c not in whole]
    if numeric_objects:  # numbers with None for blanks (a round's units not appraised yet): numbers, blanks shown empty
        table = table.astype(dict.fromkeys(numeric_objects, float))
    # Streamlit draws a missing number as "None" whatever the format says: a number column with blanks is shown
    # as text (blank where missing), the others stay numbers so that they sort as numbers.
    gaps = [c for c in table.columns if pd.api.types.is_float_dtype(table[c]) and table[c].isna().any()]
    if gaps:
        table = table.assign(**{c: table[c].map(lambda v: "" if pd.isna(v) else vn(v)) for c in gaps})
    # The table's "Tải về tệp CSV" holds what is sent: a typed "=HYPERLINK(…)" goes as text a spreadsheet keeps.
    table = table.assign(
        **{
            c: table[c].map(inert)
            for c in table.columns
            if table[c].dtype == object or pd.api.types.is_string_dtype(table[c])
        }
    )
    decimals = [c for c in table.columns if pd.api.types.is_float_dtype(table[c])]
    styler = table.style.format(precision=2, decimal=",", thousands="", subset=decimals or None)
    if tier_column is not None:
        column, colours = tier_column
        fills = {code: f"background-color: {fill}" for code, fill in colours}
        styler = styler.map(lambda v: fills.get(v, ""), subset=[column])
    config = {
        name: st.column_config.Column(width=widths.get(name), help=COLUMN_HELP.get(name))
        for name in table.columns
        if name in widths or name in COLUMN_HELP
    }
    if wrap and isinstance(height, int):  # the height was counted in rows of 35 px
        height = min((height - 38) // 35 * WRAPPED_ROW + 38, 620)
    st.dataframe(
        styler,
        hide_index=True,
        width="stretch",
        height=height,
        column_config=config,
        row_height=WRAPPED_ROW if wrap else None,
    )


# A problem's remedy (Nội dung) is read in full: never cut.
ISSUE_WIDTHS = {"Mức độ": 60, "Tệp": 110, "Trang": 80, "Dòng": 50, "Cột": 90, "Giá trị": 90, "Nội dung": "large"}


HISTORY_WIDTHS = {"Lúc": 125, "Người thực hiện": 110, "Việc": 130, "Nội dung": 300, "Lý do": "large"}


def show_history(history: pd.DataFrame, key: str) -> None:
    """A round's history (ai sửa gì, khi nào, vì sao), newest first: up to fifteen changes in view, the rest by
    scrolling."""
    show_table(
        round_views.history_table(history), HISTORY_WIDTHS, height=35 * min(len(history), 15) + 38, key=key, wrap=True
    )


# At 1366 × 768 (the sidebar narrowed to 230 px) the decision (Tổng điểm, Xếp loại, Ghi chú, Cần xem) must be read
# without scrolling sideways: names and notes wrap in tall rows (`wrap`) instead of wide columns.
RANKING_WIDTHS = {
    "Hạng": 46,
    "Thay đổi": 58,
    "Mã": 56,
    "Tên đơn vị": 130,
    "Khối": 80,
    "Tự chấm": 62,
    "Thẩm định": 70,
    "Tổng điểm": 70,
    "Xếp loại": 64,
    "Ghi chú": 200,
}


RANKING_COLUMNS = [
    "Hạng",
    "Thay đổi",
    "Mã",
    "Tên đơn vị",
    "Khối",
    "Tự chấm",
    "Thẩm định",
    "Tổng điểm",
    "Xếp loại",
    "Ghi chú",
]  # Thưởng and Trừ are on the Đơn vị page and in the report


def read_notes(units: pd.DataFrame, table_of: Callable[[pd.DataFrame], pd.DataFrame], key: str) -> None:
    """Below a ranking: one chosen unit's whole Ghi chú and Cần xem, for a note longer than its wrapped cell.
    `table_of` makes the shown rows of some of `units` (only the chosen one's is made)."""
    labels = dict(zip(units["code"], units["code"].astype(str) + " – " + units["name"].astype(str)))
    code = st.selectbox(
        "Đọc đầy đủ ghi chú của đơn vị",
        list(labels),
        index=None,
        format_func=labels.get,
        key=key,
        placeholder="Chọn đơn vị",
    )
    if code is None:
        return
    row = table_of(units[units["code"] == code]).iloc[0]
    shown = [
        (column, TIER_LABEL.get(row[column], row[column]))
        for column in ("Xếp loại", "Ghi chú", "Cần xem")
        if isinstance(row.get(column), str) and row[column]
    ]
    st.markdown(
        markdown("  \n".join(["**{}:** {}"] * len(shown)), *(v for pair in shown for v in pair))
        if shown
        else "Không có ghi chú."
    )


# Column widths of the round's criteria tables at 1366 × 768 (the sidebar narrowed to 230 px): criterion names,
# explanations and reasons wrap in tall rows instead of being cut.
CRITERIA_WIDTHS = {
    "Đối tượng": 72,
    "Mã": 40,
    "Tiêu chí": 250,
    "Tối đa": 50,
    "Tự chấm": 64,
    "Thuyết minh": 165,
    "Thẩm định": 100,
    "Lý do": 175,
}


SELF_WIDTHS = CRITERIA_WIDTHS | {"Tiêu chí": 330, "Tự chấm": 80, "Thuyết minh": 320}  # Tự chấm has fewer columns


def criteria_editor(
    table: pd.DataFrame, key: str, fixed: tuple[str, ...], typed: list[str], widths: dict[str, int], disabled: bool
) -> pd.DataFrame:
    """A round's criteria table with its typed columns editable: every row in view at once (no scrolling inside a
    form), rows tall enough for a criterion's name to wrap. The columns not typed here (a unit's statements, on
    Thẩm định) go to the toolbar's CSV as text a spreadsheet keeps (`text.inert`); nothing reads them back."""
    table = table.assign(**{c: table[c].map(inert) for c in fixed if c in table})
    return st.data_editor(
        table,
        hide_index=True,
        width="content",
        disabled=disabled,
        key=key,
        height=35 + len(table) * WRAPPED_ROW + 3,
        row_height=WRAPPED_ROW,
        column_order=[*fixed, *typed],
        column_config={
            name: st.column_config.TextColumn(name, width=widths[name], disabled=name in fixed, max_chars=1000)
            for name in (*fixed, *typed)
        },
    )
