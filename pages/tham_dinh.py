"""Thẩm định (officers): the board of every unit's state and gap; per unit, its scores, statements and evidence
beside the appraisal with reasons; questions to the unit; completion with bonus, penalty and rule flags."""
from datetime import timedelta

import streamlit as st

from pages._ui import (CRITERIA_WIDTHS, actor, editor_height, end_of_day, page_of, pick_unit, round_act, rounds,
                       show_history, show_table)
from scoring import round_views
from scoring.rounds import APPRAISED, EXPLAINING, FLAGS, NOT_SUBMITTED, STATE_LABELS
from scoring.store import VN_TIME
from scoring.text import DISCIPLINE_UNSPECIFIED

me = actor()
st.title("Thẩm định")
years = rounds().open_years()
if not years:
    st.info("Không có đợt đánh giá nào đang mở. Mở đợt ở trang **Đợt đánh giá**.")
    st.stop()
c1, c2 = st.columns([1, 3])
year = c1.selectbox("Năm", years, key="review_year")
board = rounds().board(me, year)
show_table(round_views.board_table(page_of(board, "board")), {"Tên đơn vị": "large"}, key="board")
code = pick_unit(c2, board, "review_unit", "review_search")
sheet = rounds().sheet(me, year, code)
info = rounds().get(year)
st.markdown(f"**{sheet.name}** · trạng thái **{STATE_LABELS[sheet.state]}**")


if sheet.state == NOT_SUBMITTED:
    deadline = (sheet.deadline or info.self_deadline).astimezone(VN_TIME)
    st.info(f"Đơn vị chưa nộp bản tự chấm (hạn {deadline:%H:%M ngày %d/%m/%Y}).")
    with st.form("extend"):
        c1, c2 = st.columns([1, 3])
        day = c1.date_input("Gia hạn tự chấm đến", deadline.date() + timedelta(days=3), format="DD/MM/YYYY")
        why = c2.text_input("Lý do gia hạn")
        if st.form_submit_button("Gia hạn cho đơn vị này"):
            round_act(lambda: rounds().extend(me, year, code, end_of_day(day), why),
                 f"Đã gia hạn cho {code}.")
    st.stop()
open_for_review = sheet.state not in (EXPLAINING, APPRAISED)
table = round_views.appraisal_table(info.framework, sheet)
fixed = ("Đối tượng", "Mã", "Tiêu chí", "Tối đa", "Tự chấm", "Thuyết minh")
edited = st.data_editor(table, hide_index=True, width="stretch", disabled=not open_for_review,
                        key=f"review_{year}_{code}", height=editor_height(len(table)),
                        column_order=[*fixed, "Thẩm định", "Lý do"],
                        column_config={name: st.column_config.TextColumn(name, width=w, disabled=name in fixed)
                                       for name, w in CRITERIA_WIDTHS.items()})
scores, problems = round_views.typed_scores(edited, "Thẩm định")
for p in problems:
    st.error(p)
for e in sheet.evidence:  # the file is read from the store only when its button is clicked
    st.download_button(f"Minh chứng: {e['name']} (tiêu chí {e['target'][2:] or 'chung'})",
                       lambda digest=e["sha256"]: rounds().evidence_file(me, year, code, digest)[1],
                       file_name=e["name"], mime=e["media_type"], on_click="ignore",
                       key=f"ev_{e['sha256']}_{e['name']}")
for q in sheet.questions:
    st.caption(f"Hỏi ({q['asked_by']}): {q['question']} — Trả lời: {q['answer'] or 'chưa có'}")

if open_for_review:
    reasons = dict(zip(edited["key"], edited["Lý do"].fillna("")))
    if st.button("Lưu thẩm định", type="primary", disabled=bool(problems), key="appraise"):
        round_act(lambda: rounds().appraise(me, year, code, scores, reasons), "Đã lưu điểm thẩm định.")
    with st.expander("Yêu cầu giải trình"):
        criteria = st.multiselect("Tiêu chí", [k[2:] for k in edited["key"]], key="ask_criteria")
        question = st.text_area("Nội dung yêu cầu", key="ask_text")
        if st.button("Gửi yêu cầu giải trình", key="ask"):
            round_act(lambda: rounds().ask(me, year, code, criteria, question), "Đã gửi yêu cầu giải trình.")
    with st.expander("Hoàn tất thẩm định"):
        with st.form("complete"):
            c = st.columns(2)
            bonus = c[0].number_input("Điểm thưởng", 0.0, float(info.framework.bonus_max), sheet.settings["bonus"], 0.5)
            penalty = c[1].number_input("Điểm trừ", 0.0, float(info.framework.penalty_max), sheet.settings["penalty"],
                                        0.5)
            flags = {f: st.checkbox(round_views.SETTING_LABELS[f], bool(sheet.settings[f])) for f in FLAGS
                     if f not in ("collective_discipline", "head_discipline")}
            levels = {f: st.selectbox(round_views.SETTING_LABELS[f], options, options.index(int(sheet.settings[f])),
                                      format_func=round_views.discipline_label)
                      for f, options in (("collective_discipline", [0, 1, 2, 3, 4, DISCIPLINE_UNSPECIFIED]),
                                         ("head_discipline", [0, 1, 2, 3, 4]))}
            reason = st.text_input("Lý do, căn cứ")
            if st.form_submit_button("Hoàn tất thẩm định", type="primary"):
                round_act(lambda: (rounds().appraise(me, year, code, scores, reasons),
                              rounds().complete(me, year, code, {"bonus": bonus, "penalty": penalty,
                                                                 **{f: int(v) for f, v in flags.items()}, **levels},
                                                reason)),
                     "Đã hoàn tất thẩm định đơn vị.")

if sheet.state == APPRAISED:
    with st.expander("Mở lại thẩm định đơn vị này"):
        with st.form("reopen_unit"):
            why = st.text_input("Lý do mở lại")
            if st.form_submit_button("Mở lại thẩm định"):
                round_act(lambda: rounds().reopen_unit(me, year, code, why), f"Đã mở lại thẩm định {code}.")

st.subheader("Lịch sử")
show_history(rounds().history(me, year, code), "history")
