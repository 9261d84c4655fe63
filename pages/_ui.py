"""What every page shares: the store, the rated years (cached per set of active versions, shared by all
sessions), the year picker, number input with a decimal comma and table formatting. Pages stay thin:
they read widgets, call `scoring` and render."""

from __future__ import annotations

import ctypes
import logging
import os
import time as time_module
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from numbers import Integral
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from scoring import round_views, service, views
from scoring.access import Actor, Right
from scoring.engine import YearResult
from scoring.formats import VN_TIME, deadline, number_setting
from scoring.framework import Framework, load_preset
from scoring.presentation import TIER_FILL, TIER_LABEL, literal, markdown, vn
from scoring.report import ReportSettings, report_bytes
from scoring.roster import Roster
from scoring.roster import from_file as roster_file
from scoring.rounds import RoundError, Rounds
from scoring.store import Store, database_url
from scoring.text import inert, parse_number

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

log = logging.getLogger("scoring.app")
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
CHART_CONFIG = {"displaylogo": False, "locale": "vi"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


COOKIE = "danvan_phien"  # the session cookie (pages._auth)
ACTOR_KEY = "_danvan_actor"  # the run's signed-in person, set by app.main (pages._auth.signed_in) before a page runs


def actor() -> Actor:
    """The signed-in person of this run (a page only runs after app.main found one and checked its role)."""
    found = st.session_state.get(ACTOR_KEY)
    if found is None:
        st.stop()
    return found


FLASH_KEY = "_danvan_flash"  # a done action's message, shown by the run that draws the page again


def act(step, message: str, refused: type[Exception], rerun: bool = True) -> None:
    """Run a page's action: a refusal (the library's Vietnamese message) shown where the button is, else a
    toast, and by default the page drawn again with what changed. The toast is sent by that next run
    (`show_flash`): one sent just before a rerun is sometimes never drawn. Both are plain text, whatever names or
    reasons they quote."""
    try:
        step()
    except refused as e:
        st.error(literal(e))
        return
    if not rerun:
        st.toast(literal(message), icon=":material/check:")
        return
    st.session_state[FLASH_KEY] = message
    st.rerun()


def show_flash() -> None:
    """The message of the action that led to this run, once."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.toast(literal(message), icon=":material/check:")


def round_act(step, message: str) -> None:
    act(step, message, RoundError)


@st.cache_data(show_spinner=False, max_entries=8)
def roster_of_upload(name: str, content: bytes) -> Roster:
    """A roster file read once per content (each click redraws the page that shows it)."""
    return roster_file(name, content)


def typed_table(
    base: pd.DataFrame, leader: dict[str, str], kept: tuple[dict, datetime] | None, columns: list[str]
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A round page's table and leader fields with what the person typed and did not save laid over them."""
    if not kept:
        return base, leader
    cells, table = kept[0].get("cells", {}), base.copy()
    for i, k in enumerate(table["key"]):
        for column in columns:
            if column in cells.get(k, {}):
                table.at[i, column] = cells[k][column]
    return table, leader | kept[0].get("leader", {})


def restored_notice(kept: tuple[dict, datetime] | None, editor_key: str, then: str) -> None:
    """Say that what was typed and not saved came back, on the visit that brought it back only: decided on the
    visit's first run (its editor not drawn yet), so the notice neither appears under someone typing nor moves the
    table they type in."""
    shown = f"{editor_key}_restored"
    if editor_key not in st.session_state:
        st.session_state[shown] = None if kept is None else deadline(kept[1])
    if st.session_state.get(shown):
        st.info(
            markdown("Đã khôi phục phần đang nhập dở lúc {} (chưa lưu). ", st.session_state[shown]) + then,
            icon=":material/restore:",
        )  # text: `then` is the page's own Markdown


def keep_typed(
    year: int,
    code: str,
    page: str,
    edited: pd.DataFrame,
    columns: list[str],
    leader: dict[str, str],
    base: pd.DataFrame,
    base_leader: dict[str, str],
    kept: tuple[dict, datetime] | None,
) -> None:
    """What differs from the saved record, kept on the server as it is typed: the page reruns on every edit, and
    writes only when that changed since the last copy kept."""
    cells = {}
    for k, row, saved in zip(
        edited["key"],
        edited[columns].fillna("").itertuples(index=False),
        base[columns].fillna("").itertuples(index=False),
    ):
        changed = {c: str(v) for c, v, w in zip(columns, row, saved) if str(v) != str(w)}
        if changed:
            cells[k] = changed
    content = {"cells": cells, "leader": {f: v for f, v in leader.items() if v != base_leader.get(f, "")}}
    if content != (kept[0] if kept else {"cells": {}, "leader": {}}):
        rounds().keep_typed(actor(), year, code, page, content)


def end_of_day(day: date) -> datetime:
    """A deadline picked as a date: 23:59 of that day in Vietnam."""
    return datetime.combine(day, time(23, 59), VN_TIME)


def store() -> Store:
    return _open(database_url(), os.environ.get("DANVAN_SEED_SAMPLE", "1") != "0")


@cache
def _open(url: str, seed: bool) -> Store:
    """One store per database and process (pages and the server's routes share it); a new, empty one gets the
    sample years unless DANVAN_SEED_SAMPLE=0."""
    opened = Store(url)
    if seed:
        service.seed(opened, SAMPLE_DIR)
    return opened


def rounds() -> Rounds:
    return _rounds_of(store())


@cache
def _rounds_of(opened: Store) -> Rounds:
    """One per store, so that the state counts it keeps for the work list serve every page run."""
    return Rounds(opened)


def active_framework() -> Framework:
    """The store's active framework, else the default preset."""
    return store().framework() or load_preset()


def active_versions() -> dict[int, int]:
    """Stored year → active dataset id (read each run: another user may have imported)."""
    return store().active_versions()


@st.cache_resource(show_spinner="Đang tính xếp loại…", max_entries=8)
def _rated(url: str, versions: tuple[tuple[int, int], ...]) -> dict[int, YearResult]:
    """Every stored year rated once per set of active versions, in one snapshot. Shared by all sessions and
    never modified: pages only read it."""
    return service.rate_stored(store(), dict(versions))


@st.cache_resource(show_spinner=False, max_entries=4)
def _report(
    url: str, versions: tuple[tuple[int, int], ...], year: int, cluster: str | None, settings: ReportSettings, day: date
) -> bytes:
    """A year's signed report, built once per dataset versions, scope, header and day (its date line) and shared by
    every session: a 60,000-unit report is not rebuilt on each click, nor copied into each session."""
    return report_bytes(_rated(url, versions)[year], cluster, settings)


def report_file(versions: dict[int, int], year: int, cluster: str | None, settings: ReportSettings) -> bytes:
    return _report(
        database_url(), tuple(sorted(versions.items())), year, cluster, settings, datetime.now(VN_TIME).date()
    )


@st.cache_data(show_spinner=False, max_entries=128)
def _draw_chart(url: str, versions: tuple[tuple[int, int], ...], key: tuple, _build: Callable[[], Figure]) -> None:
    """Draw a chart, built and serialised once per dataset versions and key (the page's choices it depends on):
    later runs, in any session, replay the message Streamlit made of it. Plotly spends 20–60 ms building a figure
    and as much serialising it, which thirty people opening a page at once would wait for in turn."""
    st.plotly_chart(_build(), config=CHART_CONFIG)


def chart(versions: dict[int, int], key: tuple, build: Callable[[], Figure], where=None) -> None:
    """Draw `build()` in `where` (a column; the page itself if None); `key` names the chart and every choice its
    figure depends on."""
    with where if where is not None else nullcontext():
        _draw_chart(database_url(), tuple(sorted(versions.items())), key, build)


def results(versions: dict[int, int]) -> dict[int, YearResult]:
    return _rated(database_url(), tuple(sorted(versions.items())))


def warm_up() -> None:
    """Rate the stored years into the shared cache and fold the open rounds (at server start, in a thread of its
    own)."""
    try:
        results(active_versions())
        rounds().prepare()
    except Exception:  # noqa: BLE001 - a page will rate them again and show any problem
        log.exception("warming the rated years failed")


TRIM_EVERY = 20  # seconds


def return_freed_memory() -> None:
    """Hand memory freed by Python back to the system every TRIM_EVERY seconds (at server start, in a thread of
    its own). glibc keeps what many page runs at once freed in its per-thread heaps; without this the server stays
    at its peak after people leave. Elsewhere than glibc, nothing to do."""
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return
    while True:
        time_module.sleep(TRIM_EVERY)
        trim(0)


def result_of(year: int, versions: dict[int, int]) -> YearResult:
    return results(versions)[year]


def all_results(versions: dict[int, int]) -> list[YearResult]:
    return [r for _, r in sorted(results(versions).items())]


def year_picker(versions: dict[int, int], key: str = "year", years: list[int] | None = None) -> int:
    return st.selectbox("Năm", sorted(versions, reverse=True) if years is None else years, key=key)


def year_row(
    versions: dict[int, int], widths: list[int], years: list[int] | None = None
) -> tuple[int, YearResult, list]:
    """A row of columns with the year picker first (of `years`, else every stored year); returns the year, its
    result and the other columns."""
    columns = st.columns(widths)
    with columns[0]:
        year = year_picker(versions, years=years)
    return year, result_of(year, versions), columns[1:]


def require_data() -> dict[int, int]:
    versions = active_versions()
    if not versions:
        if not actor().may(Right.IMPORT):
            st.info("Chưa có dữ liệu năm nào.")
            st.stop()
        st.info(
            "Chưa có dữ liệu năm nào. Bắt đầu ở trang **Tải lên**: chọn bảng điểm Excel của các đơn vị, "
            "kiểm tra rồi bấm **Lưu**."
        )
        st.page_link("pages/tai_len.py", label="Đi tới trang Tải lên", icon=":material/upload_file:")
        st.stop()
    return versions


def decimal_input(
    label: str, value: Decimal | float, key: str, minimum: float = 0, maximum: float = 1000, column=st
) -> Decimal | None:
    """A number typed the Vietnamese way ("92,5"); an error under the box, and None, when it is not one."""
    typed = column.text_input(label, number_setting(value), key=key)  # text: the callers' labels are constants
    try:
        number = parse_number(typed)
        parsed = None if number is None else Decimal(str(number))
    except (ValueError, InvalidOperation):
        parsed = None
    if parsed is None or not minimum <= parsed <= maximum:
        column.error(
            markdown(
                "“{}” không phải số từ {} đến {} (dùng dấu phẩy cho phần thập phân, ví dụ 92,5)",
                typed,
                number_setting(minimum),
                number_setting(maximum),
            )
        )
        return None
    return parsed


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
) -> None:
    """A table with numbers kept numeric (so they sort as numbers) but shown with a decimal comma, blanks for
    missing values, the given column widths, optionally a column of tier codes coloured as in the report, and pages of
    PAGE_ROWS rows when it is longer. `wrap`: rows tall enough for long text (notes, remedies) to wrap on a narrow
    screen instead of being cut."""
    if table.empty:
        st.caption("Không có dòng nào.")
        return
    _draw_table(page_of(table, key), widths or {}, height, tier_column, wrap)


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


@st.cache_data(show_spinner=False, max_entries=256)
def _draw_table(
    table: pd.DataFrame, widths: dict[str, str | int], height: int | str, tier_column: str | None, wrap: bool = False
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
) -> None:
    """Draw the table `build()` makes, named like a chart by the dataset versions and `key` (every choice and row
    it depends on) instead of by its content: hashing a 500-row page was a quarter of a page run with thirty people
    opening it at once."""
    _draw_keyed_table(database_url(), tuple(sorted(versions.items())), key, build, widths, height, tier_column, wrap)


@st.cache_data(show_spinner=False, max_entries=256)
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
    table: pd.DataFrame, widths: dict[str, str | int], height: int | str, tier_column: str | None, wrap: bool = False
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
        for c in numeric_objects
        if table[c].dropna().map(lambda v: isinstance(v, Integral)).all()
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
        fills = {code: f"background-color: {TIER_FILL[code]}" for code in TIER_FILL}
        styler = styler.map(lambda v: fills.get(v, ""), subset=[tier_column])
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
