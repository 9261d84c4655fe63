"""Tự chấm (a unit account): its criteria with maxima, a score and a statement per criterion, its leader,
evidence files; what is typed is kept on the server as it is typed (a menu click or a reload loses nothing) until
"Lưu nháp"; "Nộp" once, confirmed; the committee's questions and the unit's answers."""

import streamlit as st

from pages._tables import SELF_WIDTHS, criteria_editor, show_table
from pages._ui import actor, keep_typed, open_round_years, restored_notice, round_act, rounds, store, typed_table
from scoring import round_views, service, views
from scoring.formats import deadline
from scoring.presentation import literal, markdown
from scoring.rounds import MAX_EVIDENCE_BYTES, STATE_LABELS, RoundError, can

PAGE, COLUMNS = "tu-cham", ["Tự chấm", "Thuyết minh"]
me = actor()
st.title("Tự chấm điểm")
years = open_round_years("Hiện chưa có đợt đánh giá nào đang mở.")
year = st.selectbox("Năm", years, key="self_year")
try:
    sheet = rounds().sheet(me, year, me.unit_code)
except RoundError as e:
    st.info(literal(e))
    st.stop()
info = rounds().get(year)
st.markdown(
    markdown(
        "**{}** · {} · trạng thái **{}** · hạn nộp {}",
        sheet.name,
        sheet.cluster,
        STATE_LABELS[sheet.state],
        deadline(sheet.deadline or info.self_deadline),
    )
)

editable = can("save_draft", sheet.state)
kept = rounds().typed(me, year, me.unit_code, PAGE) if editable else None
saved = round_views.self_table(info.framework, sheet)
table, leader = typed_table(saved, sheet.leader, kept, COLUMNS)
restored_notice(kept, f"self_{year}", "Bấm **Lưu nháp** để ghi lại.")
fixed = ("Đối tượng", "Mã", "Tiêu chí", "Tối đa")
edited = criteria_editor(table, f"self_{year}", fixed, COLUMNS, SELF_WIDTHS, not editable)
c1, c2 = st.columns(2)
# Keyed by the saved value: a value saved meanwhile (from a form) starts the box again, while keeping a typed copy
# does not (a box whose key followed every kept copy was made anew under the person typing).
saved_leader = f"{year}_{sheet.leader.get('name', '')}_{sheet.leader.get('title', '')}"
leader_name = c1.text_input(
    "Người đứng đầu (họ tên)", leader.get("name", ""), disabled=not editable, key=f"leader_name_{saved_leader}"
)
leader_title = c2.text_input(
    "Chức vụ", leader.get("title", ""), disabled=not editable, key=f"leader_title_{saved_leader}"
)
scores, problems = round_views.typed_scores(edited, "Tự chấm")
for p in problems:
    st.error(literal(p))
st.markdown(round_views.running_totals(info.framework, scores))
if round_views.superior_note(info.framework):
    st.caption(round_views.superior_note(info.framework))
if editable:
    statements = dict(zip(edited["key"], edited["Thuyết minh"].fillna("")))
    typed_leader = {"name": leader_name, "title": leader_title}
    keep_typed(year, me.unit_code, PAGE, edited, COLUMNS, typed_leader, saved, sheet.leader, kept)

    c1, c2 = st.columns([1, 4])
    if c1.button("Lưu nháp", disabled=bool(problems), key="draft"):
        round_act(lambda: rounds().save_draft(me, year, me.unit_code, scores, statements, typed_leader), "Đã lưu nháp.")
    with c2.popover("Nộp", icon=":material/send:", disabled=bool(problems)):
        st.write(
            markdown("Nộp bản tự chấm năm {} của {}: ", year, sheet.name)
            + round_views.running_totals(info.framework, scores)  # text: Markdown of numbers only
            + ". Sau khi nộp, đơn vị không sửa được điểm nữa."
        )
        if st.button("Xác nhận nộp", type="primary", key="submit"):
            round_act(
                lambda: rounds().submit(me, year, me.unit_code, scores, statements, typed_leader), "Đã nộp bản tự chấm."
            )

if editable:
    with st.expander("Hoặc tải lên phiếu chấm điểm đã điền (Excel)", icon=":material/upload_file:"):
        form = st.file_uploader("Phiếu chấm điểm của đơn vị", type=["xlsx", "xlsm", "xls", "ods"], key="form_file")
        if form is not None and st.button("Điền bản nháp từ phiếu", key="fill_from_form"):
            read = service.read_upload(store(), [(form.name, form.getvalue())], info.framework, year)
            if read.errors or not read.years:
                st.error("Phiếu có lỗi, chưa điền gì:")
                show_table(views.issues_table(read.issues), {"Nội dung": "large"}, key="form_issues", wrap=True)
            else:
                round_act(
                    lambda: rounds().draft_from_form(me, year, me.unit_code, next(iter(read.years.values()))),
                    "Đã điền bản nháp từ phiếu: hãy kiểm tra rồi bấm Nộp.",
                )

if sheet.questions:
    st.subheader("Yêu cầu giải trình")
    for q in reversed(sheet.questions):
        st.markdown(round_views.question_text(info.framework, q))
if can("answer", sheet.state):
    answer = st.text_area("Nội dung giải trình", key="answer")
    if st.button("Gửi giải trình", type="primary", key="send_answer"):
        round_act(lambda: rounds().answer(me, year, me.unit_code, answer), "Đã gửi giải trình.")

st.subheader("Minh chứng")
attachable = can("add_evidence", sheet.state)
for e in sheet.files:
    c1, c2 = st.columns([5, 1])
    c1.text(f"{e['name']} · {e['size'] // 1024 + 1} KB · tiêu chí {e['target'][2:] or 'chung'}")
    if attachable:
        with c2.popover("Rút tệp"):
            st.write(markdown("Rút tệp “{}”? Tệp không còn là minh chứng, nhưng vẫn ghi trong lịch sử.", e["name"]))
            if st.button("Xác nhận rút tệp", key=f"withdraw_{e['sha256']}_{e['target']}"):
                round_act(
                    lambda digest=e["sha256"]: rounds().withdraw_evidence(me, year, me.unit_code, digest),
                    "Đã rút tệp minh chứng.",
                )
if attachable:
    targets = [""] + list(edited["key"])
    labels = dict(zip(edited["key"], edited["Mã"] + " " + edited["Tiêu chí"]))
    target = st.selectbox("Cho tiêu chí", targets, format_func=lambda k: labels.get(k, "Chung"), key="ev_target")
    limit = MAX_EVIDENCE_BYTES // 2**20
    upload = st.file_uploader(
        markdown("Tệp minh chứng (PDF, ảnh, Word, Excel; tối đa {} MB)", limit),
        key=f"evidence_{len(sheet.evidence)}",  # empty again once a file is attached
        type=["pdf", "png", "jpg", "jpeg", "doc", "docx", "xls", "xlsx"],
        max_upload_size=limit,
    )
    if upload is not None and st.button("Đính kèm", key="attach"):
        round_act(
            lambda: rounds().add_evidence(me, year, me.unit_code, upload.name, upload.getvalue(), target),
            f"Đã đính kèm {upload.name}.",
        )
