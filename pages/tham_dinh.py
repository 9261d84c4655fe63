"""Thẩm định (officers): the board of every unit's state and gap; per unit, its scores, statements and evidence
beside the appraisal with reasons (kept on the server as typed); questions to the unit and its answers; completion
with bonus, penalty and rule flags, confirmed, then the next unit waiting. A unit past its deadline without
submitting is appraised from the committee's own findings and completed as "Không tự chấm"."""

from datetime import timedelta

import streamlit as st

from pages._downloads import offer_download
from pages._round_inputs import beside_score_inputs
from pages._tables import CRITERIA_WIDTHS, criteria_editor, page_of, pick_unit, show_history, show_table
from pages._ui import (
    actor,
    decimal_input,
    end_of_day,
    keep_typed,
    open_round_years,
    restored_notice,
    round_act,
    rounds,
    typed_table,
)
from scoring import round_views
from scoring.access import Right
from scoring.flags import FLAGS, SETTING_LABELS
from scoring.formats import VN_TIME, deadline
from scoring.presentation import literal, markdown
from scoring.rounds import IN_APPRAISAL, NOT_SUBMITTED, STATE_LABELS, WITHDRAWN, can
from scoring.text import DISCIPLINE_UNSPECIFIED

PAGE, COLUMNS = "tham-dinh", ["Thẩm định", "Lý do"]
me, ledger = actor(), rounds()
st.title("Thẩm định")
years = open_round_years("Không có đợt đánh giá nào đang mở. Mở đợt ở trang **Đợt đánh giá**.")
c1, c2 = st.columns([1, 3])
year = c1.selectbox("Năm", years, key="review_year")
board = rounds().board(me, year)
show_table(round_views.board_table(page_of(board, "board")), {"Tên đơn vị": "large"}, key="board")
if "review_next" in st.session_state:  # after a completion: the next unit waiting, chosen before the box is drawn
    st.session_state["review_unit"] = st.session_state.pop("review_next")
code = pick_unit(c2, board, "review_unit", "review_search")
sheet = rounds().sheet(me, year, code)
info = rounds().get(year)
st.markdown(markdown("**{}** · trạng thái **{}**", sheet.name, STATE_LABELS[sheet.state]))
due = (sheet.deadline or info.self_deadline).astimezone(VN_TIME)
open_for_review = rounds().appraisable(info, sheet)

if can("extend", sheet.state) and not open_for_review:
    st.info(
        markdown(
            "Đơn vị chưa nộp bản tự chấm (hạn {}). Sau hạn này, nếu đơn vị vẫn không "
            "nộp, cấp ủy thẩm định theo kết quả kiểm tra của mình.",
            deadline(due),
        )
    )
    c1, c2, c3 = st.columns([1, 2, 1])
    day = c1.date_input("Gia hạn tự chấm đến", due.date() + timedelta(days=3), format="DD/MM/YYYY")
    why = c2.text_input("Lý do gia hạn", key="extend_reason")
    if c3.button("Gia hạn cho đơn vị này", key="extend"):
        round_act(lambda: rounds().extend(me, year, code, end_of_day(day), why), f"Đã gia hạn cho {code}.")
    st.stop()
if sheet.state == WITHDRAWN:
    st.info("Đơn vị đã rút khỏi đợt đánh giá.")
    st.stop()
if not sheet.submitted:
    st.warning(
        markdown(
            "Đơn vị không nộp bản tự chấm trước hạn ({}). Cấp ủy thẩm định theo kết "
            "quả kiểm tra của mình; khi hoàn tất, đơn vị được ghi “Không tự chấm” và xếp loại Không hoàn "
            "thành nhiệm vụ (quy tắc: không tự chấm).",
            deadline(due),
        ),
        icon=":material/warning:",
    )

saved = round_views.appraisal_table(info.framework, sheet)
kept = rounds().typed(me, year, code, PAGE) if open_for_review else None
table, _ = typed_table(saved, {}, kept, COLUMNS)
restored_notice(kept, f"review_{year}_{code}", "Bấm **Lưu thẩm định** để ghi lại.")
fixed = ("Đối tượng", "Mã", "Tiêu chí", "Tối đa", "Tự chấm", "Thuyết minh")
edited = criteria_editor(table, f"review_{year}_{code}", fixed, COLUMNS, CRITERIA_WIDTHS, not open_for_review)
scores, problems = round_views.typed_scores(edited, "Thẩm định")
for p in problems:
    st.error(literal(p))
for e in sheet.files:  # the file is read from the store only when its button is clicked
    offer_download(
        f"Minh chứng: {e['name']} (tiêu chí {e['target'][2:] or 'chung'})",
        e["name"],
        e["media_type"],
        Right.VIEW_ALL,
        lambda who, digest=e["sha256"]: ledger.evidence_file(who, year, code, digest)[1],
        f"ev_{code}_{e['sha256']}_{e['target']}",
        year,
    )
for q in reversed(sheet.questions):
    st.markdown(round_views.question_text(info.framework, q))

if open_for_review:
    keep_typed(year, code, PAGE, edited, COLUMNS, {}, saved, {}, kept)
    reasons = dict(zip(edited["key"], edited["Lý do"].fillna("")))
    if st.button("Lưu thẩm định", type="primary", disabled=bool(problems), key="appraise"):
        round_act(lambda: rounds().appraise(me, year, code, scores, reasons), "Đã lưu điểm thẩm định.")
    if can("ask", sheet.state):
        with st.expander("Yêu cầu giải trình"):
            names = round_views.criterion_choices(info.framework)
            criteria = st.multiselect(
                "Tiêu chí",
                list(names),
                format_func=names.get,
                key="ask_criteria",
                placeholder="Chọn tiêu chí cần giải trình",
                select_all=False,
            )
            question = st.text_area("Nội dung yêu cầu", key="ask_text")
            if st.button("Gửi yêu cầu giải trình", key="ask"):
                round_act(lambda: rounds().ask(me, year, code, criteria, question), "Đã gửi yêu cầu giải trình.")
    with st.expander("Hoàn tất thẩm định", expanded=sheet.state == NOT_SUBMITTED):
        fw = info.framework
        c = st.columns(2)
        bonus = decimal_input("Điểm thưởng", sheet.settings["bonus"], "complete_bonus", 0, float(fw.bonus_max), c[0])
        penalty = decimal_input(
            "Điểm trừ", sheet.settings["penalty"], "complete_penalty", 0, float(fw.penalty_max), c[1]
        )
        flags = {
            f: st.checkbox(SETTING_LABELS[f], bool(sheet.settings[f]), key=f"complete_{f}")
            for f in FLAGS
            if f not in ("collective_discipline", "head_discipline")
        }
        levels = {
            f: st.selectbox(
                SETTING_LABELS[f],
                options,
                options.index(int(sheet.settings[f])),
                format_func=round_views.discipline_label,
                key=f"complete_{f}",
            )
            for f, options in (
                ("collective_discipline", [0, 1, 2, 3, 4, DISCIPLINE_UNSPECIFIED]),
                ("head_discipline", [0, 1, 2, 3, 4]),
            )
        }
        beside = beside_score_inputs(fw, sheet.settings)
        reason = st.text_input("Lý do, căn cứ", key="complete_reason")
        ready = not problems and bonus is not None and penalty is not None
        with st.popover("Hoàn tất thẩm định…", icon=":material/task_alt:", disabled=not ready):
            if ready:
                st.write(round_views.completion_text(fw, sheet, scores, float(bonus), float(penalty)))
                waiting = [c for c, s in zip(board["code"], board["state"]) if s in IN_APPRAISAL and c != code]

                def complete() -> None:
                    rounds().complete(
                        me,
                        year,
                        code,
                        {
                            "bonus": float(bonus),
                            "penalty": float(penalty),
                            **{f: int(v) for f, v in flags.items()},
                            **levels,
                            **beside,
                        },
                        reason,
                        scores,
                        reasons,
                    )
                    if waiting:
                        st.session_state["review_next"] = waiting[0]

                if st.button("Xác nhận hoàn tất", type="primary", key="complete"):
                    round_act(
                        complete, f"Đã hoàn tất thẩm định {code}" + (f"; chuyển sang {waiting[0]}." if waiting else ".")
                    )

if can("reopen_unit", sheet.state):
    with st.expander("Mở lại thẩm định đơn vị này"):
        why = st.text_input("Lý do mở lại", key="reopen_unit_reason")
        with st.popover("Mở lại thẩm định…"):
            st.write(
                markdown(
                    "Mở lại thẩm định {}: đơn vị về trạng thái “Đang thẩm định”, đợt chờ hoàn tất lại "
                    "đơn vị này trước khi công bố.",
                    code,
                )
            )
            if st.button("Xác nhận mở lại", key="reopen_unit"):
                round_act(lambda: rounds().reopen_unit(me, year, code, why), f"Đã mở lại thẩm định {code}.")
if can("answer", sheet.state):
    st.caption("Đang chờ đơn vị giải trình.")

st.subheader("Lịch sử")
show_history(rounds().history(me, year, code), "history")
