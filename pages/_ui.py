"""What every page shares: the store, the rated years (cached per set of active versions, shared by all
sessions), the year picker, number input with a decimal comma and table formatting. Pages stay thin:
they read widgets, call `scoring` and render."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from scoring import service
from scoring.access import Actor, Forbidden, Right
from scoring.committees import Committee, Committees
from scoring.engine import YearResult
from scoring.formats import VN_TIME, deadline, number_setting
from scoring.framework import Framework, load_preset
from scoring.presentation import literal, markdown
from scoring.report import ReportSettings, report_bytes
from scoring.roster import Roster
from scoring.roster import from_file as roster_file
from scoring.rounds import RoundError, Rounds
from scoring.stability import stability
from scoring.store import Store, database_url
from scoring.text import parse_number
from scoring.web import opened

if TYPE_CHECKING:
    from plotly.graph_objects import Figure

log = logging.getLogger("scoring.app")
CHART_CONFIG = {"displaylogo": False, "locale": "vi"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


ACTOR_KEY = "_danvan_actor"  # the run's signed-in person, set by app.main (pages._auth.signed_in) before a page runs


def actor() -> Actor:
    """The signed-in person of this run (a page only runs after app.main found one and checked its role)."""
    return _of_this_run(ACTOR_KEY)


def _of_this_run(key: str):
    """What app.main set for this run before the page; without it the page draws nothing."""
    found = st.session_state.get(key)
    if found is None:
        st.stop()
    return found


COMMITTEE_KEY = "_danvan_committee"  # the committee chosen in the sidebar (its id)
STORE_KEY = "_danvan_store"  # this run's store: the chosen committee's, checked against the account (app.main)


VISIBLE_KEY = "_danvan_committees"  # this run's committees the account works in (app.main)


def visible_committees() -> list[Committee]:
    """The committees the account works in (its own first, then those under it), read once a run by app.main."""
    return _of_this_run(VISIBLE_KEY)


def choose_store(me: Actor) -> list[Committee]:
    """This run's store: the committee chosen in the sidebar, if the account may work there (checked in the
    library, every run: a forged widget state or a moved account falls back), else the account's own. Returns the
    committees the account works in."""
    committees = Committees(opened.store())
    try:
        view = committees.view(me, int(st.session_state.get(COMMITTEE_KEY, me.committee_id)))
    except (Forbidden, TypeError, ValueError):
        st.session_state.pop(COMMITTEE_KEY, None)
        view = committees.view(me, me.committee_id)
    st.session_state[STORE_KEY] = view
    st.session_state[VISIBLE_KEY] = visible = committees.visible(me)
    return visible


def store() -> Store:
    """This run's store, inside the committee the person works in now."""
    return _of_this_run(STORE_KEY)


def rounds() -> Rounds:
    """The round ledger of this run's committee (shared by every session that works in it)."""
    return opened.rounds(store().committee_id)


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


def open_round_years(none_open: str) -> list[int]:
    """The years whose round is open, newest first; else `none_open` (Markdown of the page's own) and the page
    stops."""
    years = rounds().open_years()
    if not years:
        st.info(none_open)  # text: the calling page's own constant
        st.stop()
    return years


def end_of_day(day: date) -> datetime:
    """A deadline picked as a date: 23:59 of that day in Vietnam."""
    return datetime.combine(day, time(23, 59), VN_TIME)


def active_framework() -> Framework:
    """The store's active framework, else the default preset."""
    return store().framework() or load_preset()


def active_versions() -> dict[int, int]:
    """Stored year → active dataset id (read each run: another user may have imported)."""
    return store().active_versions()


RATED_PER_COMMITTEE = 2  # sets of versions kept per committee: its active years, and one other (a version shown)
_RATED_LOCK = threading.Lock()


@st.cache_resource
def _rated_years() -> dict[tuple[str, int], dict[tuple, dict[int, YearResult]]]:
    """(database, committee) → its last sets of versions → those years rated: every committee of a province keeps
    its own, and a committee's new import replaces what it had without touching the others'."""
    return {}


def _rated(url: str, committee: int, versions: tuple[tuple[int, int], ...]) -> dict[int, YearResult]:
    """Every stored year rated once per set of active versions, in one snapshot. Shared by all sessions and
    never modified: pages only read it."""
    kept = _rated_years().setdefault((url, committee), {})
    found = kept.get(versions)
    if found is None:
        found = service.rate_stored(opened.store().within(committee), dict(versions))
        with _RATED_LOCK:  # sessions run in threads: the oldest set goes, one thread at a time
            while len(kept) >= RATED_PER_COMMITTEE:
                del kept[next(iter(kept))]
            kept[versions] = found
    return found


@st.cache_resource(show_spinner=False, max_entries=4)
def _report(
    url: str,
    committee: int,
    versions: tuple[tuple[int, int], ...],
    year: int,
    cluster: str | None,
    settings: ReportSettings,
    day: date,
) -> bytes:
    """A year's signed report, built once per dataset versions, scope, header and day (its date line) and shared by
    every session: a 60,000-unit report is not rebuilt on each click, nor copied into each session."""
    return report_bytes(_rated(url, committee, versions)[year], cluster, settings)


def report_file(
    committee: int, versions: dict[int, int], year: int, cluster: str | None, settings: ReportSettings
) -> bytes:
    """A committee's ranked report (built when a download link is followed: outside any page run)."""
    return _report(
        database_url(),
        committee,
        tuple(sorted(versions.items())),
        year,
        cluster,
        settings,
        datetime.now(VN_TIME).date(),
    )


@st.cache_data(show_spinner=False, max_entries=512)
def _draw_chart(url: str, versions: tuple[tuple[int, int], ...], key: tuple, _build: Callable[[], Figure]) -> None:
    """Draw a chart, built and serialised once per dataset versions and key (the page's choices it depends on):
    later runs, in any session, replay the message Streamlit made of it. Plotly spends 20–60 ms building a figure
    and as much serialising it, which thirty people opening a page at once would wait for in turn."""
    st.plotly_chart(_build(), config=CHART_CONFIG)


_PAINTED = "_first_paint"  # session state: None, "waiting" (the rest is asked for), "done"
PAINT_DELAY = 1.0  # s after the browser received the first run: by then it has drawn what that run sent


def rest_of_page() -> bool:
    """Whether this run may draw the rest of the page (the charts under a table, the tables under charts); call it
    once per page run, where the rest begins.

    A fresh browser draws nothing of a run until it has loaded the script of every kind of element in it: with
    plotly's beside a table's, Xếp hạng's table showed 1.5× later than a bare page with one table
    (bench/bench_browser.py). So a browser session's first page run sends the text, cards and main element, and a
    timer fragment asks for one more run, which draws the rest; later runs draw everything at once. A session that
    draws nothing (AppTest, the protocol benchmarks: no browser's User-Agent) gets everything at once too."""
    if st.session_state.get(_PAINTED) == "done" or "Mozilla" not in st.context.headers.get("User-Agent", ""):
        return True
    st.fragment(_ask_rest, run_every=PAINT_DELAY)()
    st.session_state[_PAINTED] = "waiting"
    return False


def _ask_rest() -> None:
    """The timer's run: the whole page again, with the rest (a full run also stops the timer in the browser). Run
    at once on the declaring run, before it marks the session waiting: that run draws nothing more."""
    if st.session_state.get(_PAINTED) == "waiting":
        st.session_state[_PAINTED] = "done"
        st.rerun()


def chart(versions: dict[int, int], key: tuple, build: Callable[[], Figure], where=None) -> None:
    """Draw `build()` in `where` (a column; the page itself if None); `key` names the chart and every choice its
    figure depends on."""
    with where if where is not None else nullcontext():
        _draw_chart(database_url(), tuple(sorted(versions.items())), key, build)


@st.cache_resource(show_spinner=False, max_entries=8)
def _stability(url: str, committee: int, versions: tuple[tuple[int, int], ...], year: int, _store: Store):
    """A stored year's stability with the default settings, once per dataset versions, shared by sessions."""
    data, fw, _ = _store.load(year, dict(versions)[year])
    return stability(data, fw, _rated(url, committee, versions)[year])


def stability_of(versions: dict[int, int], year: int):
    """The chosen committee's year's stability (advisory: `scoring.stability`)."""
    with st.spinner("Đang tính độ ổn định…"):
        return _stability(database_url(), store().committee_id, tuple(sorted(versions.items())), year, store())


def committee_results(committee: int, versions: dict[int, int]) -> dict[int, YearResult]:
    """A committee's stored years rated, from the cache its own pages share (the committee pages of its parent)."""
    return _rated(database_url(), committee, tuple(sorted(versions.items())))


def results(versions: dict[int, int]) -> dict[int, YearResult]:
    url, committee, key = database_url(), store().committee_id, tuple(sorted(versions.items()))
    if key in _rated_years().get((url, committee), {}):
        return _rated(url, committee, key)
    with st.spinner("Đang tính xếp loại…"):
        return _rated(url, committee, key)


def warm_up() -> None:
    """Rate the stored years into the shared cache and fold the open rounds (at server start: see
    scoring.web.server.lifespan)."""
    try:
        root = opened.store()
        for committee in Committees(root).all():
            inside = root.within(committee.id)
            _rated(database_url(), committee.id, tuple(sorted(inside.active_versions().items())))
            opened.rounds(committee.id).prepare()
    except Exception:  # noqa: BLE001 - a page will rate them again and show any problem
        log.exception("warming the rated years failed")


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
