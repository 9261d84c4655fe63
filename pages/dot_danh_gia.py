"""Đợt đánh giá: open a year's round (frozen framework, a roster checked before it opens, two deadlines), cancel a
round nobody worked in, add or withdraw units; its progress; the provisional result by the same engine; "Phê duyệt
và công bố" for the leadership, confirmed; reopening a published round with a reason; the round as the consolidated
workbook and back; what units see of a published result; the round's and a unit's history."""

from collections import Counter
from datetime import datetime, timedelta

import streamlit as st

from pages._downloads import offer_download
from pages._tables import (
    ISSUE_WIDTHS,
    RANKING_COLUMNS,
    RANKING_WIDTHS,
    page_of,
    pick_unit,
    read_notes,
    show_history,
    show_table,
)
from pages._ui import (
    XLSX,
    active_framework,
    active_versions,
    actor,
    end_of_day,
    results,
    roster_of_upload,
    round_act,
    rounds,
    store,
)
from scoring import round_views, service, views
from scoring.access import DISCLOSURE_LABELS, Right
from scoring.formats import VN_TIME, day
from scoring.framework import load_preset, presets
from scoring.presentation import markdown, markdown_list, scale, vn
from scoring.roster import Roster, from_text
from scoring.round_files import import_workbook, round_workbook
from scoring.rounds import OPEN, STATE_LABELS, WITHDRAWN, ready_to_publish
from scoring.stability import Settings
from scoring.validation import errors

STABILITY_AT_ONCE = 2000  # a larger round's stability would hold up every page run (Xếp hạng has it on demand)

me, ledger = actor(), rounds()
st.title("Đợt đánh giá")
versions = active_versions()
PASTED, FROM_FILE = "Dán từ Excel hoặc gõ tay", "Từ tệp Excel (danh sách, mẫu trống đã điền mã, bảng tổng hợp)"
PASTE_HELP = (
    "Chọn ba cột Mã, Tên đơn vị, Khối trong Excel, sao chép rồi dán vào đây; hoặc gõ mỗi dòng “mã; tên đơn vị; khối”."
)


def roster_input(key: str) -> Roster | None:
    """The roster chosen, pasted or uploaded, read as it is given; None until there is one."""
    sources = [f"Năm {y} (đã lưu)" for y in sorted(versions, reverse=True)] + [PASTED, FROM_FILE]
    source = st.selectbox("Danh sách đơn vị", sources, key=f"{key}_source")
    if source == PASTED:
        text = st.text_area(
            "Danh sách đơn vị",
            key=f"{key}_text",
            height=150,
            help=PASTE_HELP,
            placeholder="DV01	Chi bộ thôn Đông	Khối nông thôn",
        )
        return from_text(text) if text.strip() else None
    if source == FROM_FILE:
        upload = st.file_uploader(
            "Tệp có danh sách đơn vị", type=["xlsx", "xlsm", "xls", "ods", "csv"], key=f"{key}_file"
        )
        return None if upload is None else roster_of_upload(upload.name, upload.getvalue())
    return Roster(store().load(int(source.split()[1]))[0].units.assign(row=None), [])


def show_roster(roster: Roster) -> bool:
    """The roster as read, for a person to check before it is used; whether it can be used."""
    st.markdown(markdown("**Đọc được {} đơn vị**", len(roster.units)))
    c1, c2 = st.columns([2, 3])
    with c1:
        show_table(round_views.roster_summary(roster), {"Khối": "large"}, key="roster_summary")
    with c2:
        show_table(
            roster.table.set_axis(["Mã", "Tên đơn vị", "Khối"], axis=1),
            {"Tên đơn vị": "large"},
            height=min(35 * len(roster.units) + 38, 250),
            key="roster_units",
        )
    if roster.issues:
        (st.error if roster.errors else st.warning)(
            "Danh sách có lỗi, chưa dùng được: sửa rồi dán hoặc chọn lại."
            if roster.errors
            else "Có đơn vị chưa có tên: vẫn dùng được, nhưng nên bổ sung tên."
        )
        show_table(views.issues_table(roster.issues), ISSUE_WIDTHS, key="roster_issues", wrap=True)
    return not roster.errors


if me.may(Right.MANAGE_ROUND):
    with st.expander("Mở đợt đánh giá mới", icon=":material/add:"):
        today = datetime.now(VN_TIME).date()
        c1, c2, c3 = st.columns(3)
        year = c1.number_input("Năm đánh giá", 2000, 2100, today.year, key="open_year")
        self_date = c2.date_input("Hạn tự chấm", today + timedelta(days=14), format="DD/MM/YYYY")
        review_date = c3.date_input("Hạn thẩm định", today + timedelta(days=28), format="DD/MM/YYYY")
        names = presets()
        choice = st.selectbox("Bộ tiêu chí (cố định cho cả đợt)", ["Bộ tiêu chí đang dùng", *names.values()])
        framework = (
            active_framework()
            if choice == "Bộ tiêu chí đang dùng"
            else load_preset(next(k for k, v in names.items() if v == choice))
        )
        roster = roster_input("open")
        usable = roster is not None and show_roster(roster)
        with st.popover("Mở đợt…", icon=":material/event_available:", disabled=not usable):
            if usable:
                st.write(round_views.opening_text(int(year), roster, framework.name, self_date, review_date))
                if st.button("Xác nhận mở đợt", type="primary", key="open_round"):
                    round_act(
                        lambda: rounds().open(
                            me, int(year), framework, roster.table, end_of_day(self_date), end_of_day(review_date)
                        ),
                        f"Đã mở đợt đánh giá năm {int(year)}.",
                    )
        if roster is None:
            st.caption("Chọn, dán hoặc tải lên danh sách đơn vị để xem trước rồi mới mở đợt.")

years = rounds().years()
if not years:
    st.info("Chưa có đợt đánh giá nào.")
    st.stop()
year = st.selectbox("Năm", list(years), key="round_year")
info = rounds().get(year)
board = rounds().board(me, year)
counts = board["state"].value_counts()
st.markdown(
    markdown(
        "Bộ tiêu chí **{}** · hạn tự chấm {} · hạn thẩm định {}"
        + ("" if info.state == OPEN else " · **đã phê duyệt và công bố**"),
        info.framework.name,
        day(info.self_deadline),
        day(info.review_deadline),
    )
)
st.caption(
    markdown_list(
        "{}: {}",
        (
            (label, int(counts.get(state, 0)))
            for state, label in STATE_LABELS.items()
            if counts.get(state, 0) or state != WITHDRAWN
        ),
    )
)

st.subheader("Kết quả tạm tính" if info.state == OPEN else "Kết quả đã công bố")
previous = results(versions).get(year - 1)
provisional = rounds().provisional(me, year, previous)
keep = rounds().stability(me, year)["keep_tier"] if len(provisional.units) <= STABILITY_AT_ONCE else None
st.caption(
    markdown(
        "“Cần xem” đánh dấu đơn vị bị hạ do chỉ tiêu, tổng điểm cách ngưỡng xếp loại không quá {} điểm"
        + (", và đơn vị dưới {} % khả năng giữ xếp loại khi trọng số và điểm thẩm định dao động nhẹ ({}; chỉ để "
           "tham khảo, không thay đổi kết quả)" if keep is not None else ""),
        vn(views.NEAR_MARGIN),
        *((vn(views.SHAKY * 100, 0), Settings().text()) if keep is not None else ()),
    )
    + ". Đơn vị chưa nộp chưa có điểm và xếp loại."
)  # fmt: skip
shown = page_of(provisional.units, "provisional")
table = views.ranking_table(shown, previous is not None)[RANKING_COLUMNS].assign(
    **{"Cần xem": views.decision_marks(shown, info.framework, keep=keep)}
)
table = round_views.provisional_table(table, shown["code"], board)
show_table(
    table,
    RANKING_WIDTHS | {"Cần xem": 130},
    tier_column="Xếp loại",
    key="provisional",
    wrap=True,
    tiers=scale(info.framework),
)
read_notes(shown, lambda some: table[shown["code"].isin(some["code"]).to_numpy()], f"notes_{year}")

if me.may(Right.PUBLISH) and info.state == OPEN:
    if not ready_to_publish(Counter(board["state"]), len(board)):
        st.caption("Nút công bố hiện khi mọi đơn vị đã được thẩm định xong (hoặc đã rút khỏi đợt).")
    else:
        with st.popover("Phê duyệt và công bố…", icon=":material/verified:"):
            st.write(round_views.publishing_text(info, board, provisional, versions.get(year)))
            if st.button("Xác nhận công bố", type="primary", key="publish"):
                round_act(lambda: rounds().publish(me, year), f"Đã công bố kết quả năm {year}.")

if me.may(Right.MANAGE_ROUND) and info.state == OPEN:
    with st.expander("Thêm hoặc rút đơn vị, hủy đợt", icon=":material/group:"):
        st.markdown(
            "**Rút một đơn vị khỏi đợt** (sáp nhập, giải thể): đơn vị không được xếp loại, đợt không chờ đơn vị đó nữa."
        )
        c1, c2, c3 = st.columns([2, 3, 1])
        gone = pick_unit(c1, board[board["state"] != WITHDRAWN], "withdraw_unit", "withdraw_search")
        why_gone = c2.text_input("Lý do rút", key="withdraw_reason")
        with c3.popover("Rút…"):
            st.write(markdown("Rút {} khỏi đợt đánh giá năm {}? Việc này ghi vào lịch sử và nhật ký.", gone, year))
            if st.button("Xác nhận rút", type="primary", key="withdraw"):
                round_act(lambda: rounds().withdraw(me, year, gone, why_gone), f"Đã rút {gone} khỏi đợt.")
        st.markdown("**Thêm đơn vị vào đợt** (đơn vị mới thành lập, bị sót)")
        added = roster_input("add")
        if added is not None and show_roster(added):
            why_added = st.text_input("Lý do thêm", key="add_reason")
            if st.button(markdown("Thêm {} đơn vị", len(added.units)), key="add_units"):
                round_act(
                    lambda: rounds().add_units(me, year, added.table, why_added), f"Đã thêm {len(added.units)} đơn vị."
                )
        st.markdown("**Hủy đợt**: chỉ khi chưa đơn vị nào làm việc (mở nhầm danh sách, bộ tiêu chí hay hạn).")
        why_cancel = st.text_input("Lý do hủy", key="cancel_reason")
        with st.popover("Hủy đợt…", icon=":material/delete:"):
            st.write(
                markdown(
                    "Hủy đợt đánh giá năm {} ({} đơn vị)? Danh sách và hạn của đợt bị xoá; việc hủy ghi "
                    "vào nhật ký. Sau đó có thể mở lại đợt năm này.",
                    year,
                    len(board),
                )
            )
            if st.button("Xác nhận hủy đợt", type="primary", key="cancel_round"):
                round_act(lambda: rounds().cancel(me, year, why_cancel), f"Đã hủy đợt đánh giá năm {year}.")

if me.may(Right.MANAGE_ROUND) and info.state != OPEN:
    with st.expander("Mở lại đợt đánh giá", icon=":material/lock_open:"):
        c1, c2 = st.columns([1, 3])
        reopen_day = c1.date_input(
            "Hạn thẩm định mới", datetime.now(VN_TIME).date() + timedelta(days=7), format="DD/MM/YYYY", key="reopen_day"
        )
        why = c2.text_input("Lý do mở lại (ghi vào nhật ký)", key="reopen_reason")
        with st.popover("Mở lại đợt…"):
            st.write(
                markdown(
                    "Mở lại đợt năm {}: kết quả đã công bố không còn hiện với các đơn vị cho tới khi công "
                    "bố lại; các đơn vị vẫn “Đã thẩm định” cho tới khi mở lại từng đơn vị; hạn thẩm định "
                    "mới {}. Công bố lại sẽ lưu một phiên bản dữ liệu mới của năm.",
                    year,
                    day(reopen_day),
                )
            )
            if st.button("Xác nhận mở lại", type="primary", key="reopen"):
                round_act(
                    lambda: rounds().reopen(me, year, why, end_of_day(reopen_day)),
                    f"Đã mở lại đợt đánh giá năm {year}.",
                )

if me.may(Right.APPRAISE):
    st.subheader("Tệp Excel của đợt")
    c1, c2 = st.columns([1, 2])
    offer_download(
        "Tải bảng tổng hợp của đợt",
        f"dot_danh_gia_{year}.xlsx",
        XLSX,
        Right.APPRAISE,
        lambda who: round_workbook(ledger, who, year),
        "round_export",
        year,
        place=c1,
    )
    c1.caption("Cùng mẫu bảng tổng hợp: cột tự chấm, thẩm định, trạng thái và lý do.")
    if info.state == OPEN:
        upload = c2.file_uploader(
            "Nhập bảng tổng hợp đã sửa điểm thẩm định", type=["xlsx", "xls", "ods"], key="round_import_file"
        )
        default_reason = c2.text_input(
            "Lý do chung (cho các dòng không ghi “Lý do thay đổi”)", key="round_import_reason"
        )
        if c2.button("Nhập tệp thẩm định", key="round_import"):
            if upload is None:
                st.error("Chưa chọn tệp: chọn bảng tổng hợp đã sửa rồi bấm “Nhập tệp thẩm định”.")
            else:
                changes, issues = import_workbook(
                    rounds(), me, year, [(upload.name, upload.getvalue())], default_reason
                )
                st.session_state["round_import_issues"] = issues
                if not errors(issues):
                    round_act(
                        lambda: None, f"Đã nhập {len(changes)} ô thay đổi của {len({c.code for c in changes})} đơn vị."
                    )
        issues = st.session_state.get("round_import_issues")
        if issues:  # full width, as on the upload page: file, sheet, row, column, value, remedy
            if errors(issues):
                st.error("Không ô nào được ghi. Sửa các lỗi dưới đây rồi nhập lại (tệp đã chọn vẫn giữ).")
            show_table(views.issues_table(issues), ISSUE_WIDTHS, key="round_import_issues_table", wrap=True)

if me.may(Right.MANAGE_ROUND):
    st.subheader("Công khai kết quả cho các đơn vị")
    level = service.committee_disclosure(store())
    chosen = st.radio(
        "Mức công khai khi kết quả đã công bố",
        list(DISCLOSURE_LABELS),
        index=list(DISCLOSURE_LABELS).index(level),
        format_func=DISCLOSURE_LABELS.get,
        key="disclosure",
    )
    if chosen != level:
        service.set_disclosure(store(), me, chosen)
        st.toast("Đã lưu mức công khai.", icon=":material/check:")

st.subheader("Lịch sử của đợt")
show_history(rounds().history(me, year, None), "round_log")

st.subheader("Lịch sử của một đơn vị")
code = pick_unit(st, board, "history_unit", "history_search")
show_history(rounds().history(me, year, code), "round_history")
