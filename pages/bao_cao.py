"""Báo cáo: the committee's details (typed once, kept in the store), the ranked Excel report of a year, the
committee's documents (decision with its list, report, a letter per unit) as Word and PDF, their templates, and
the blank score sheets. Every file is built when its link is followed, for the account as it is then."""

import streamlit as st

from pages._downloads import offer_download, template_buttons
from pages._ui import XLSX, act, actor, report_file, require_data, store, year_row
from scoring.access import Forbidden, Right
from scoring.documents import KINDS, LETTER, CommitteeDetails, TemplateProblem, file_name, media_type, pdf_available
from scoring.documents import committee as documents
from scoring.presentation import markdown

ALL = "Tất cả các khối"
LINES = ("recipients", "grounds")  # one item a line
PARAGRAPHS = ("article_2", "article_3", "report_intro", "report_conclusion")

me, here = actor(), store()
st.title("Báo cáo và văn bản")
versions = require_data()
year, result, (c2,) = year_row(versions, [1, 3])
details = documents.details(store())

st.subheader("Báo cáo xếp hạng (Excel)")
cluster = c2.selectbox("Khối (báo cáo Excel)", [ALL, *sorted(result.units["cluster"].unique())])
chosen = None if cluster == ALL else cluster
offer_download(
    "Tải báo cáo Excel",
    f"bao_cao_dan_van_{year}" + ("" if chosen is None else "_" + chosen.replace(" ", "_")) + ".xlsx",
    XLSX,
    Right.REPORT,
    lambda _who: report_file(here.committee_id, versions, year, chosen, documents.details(here).report_settings()),
    "report",
    year,
)
st.caption("Các trang: Xếp hạng, Chi tiết tiêu chí, Người đứng đầu, Thống kê, Phương pháp — khổ A4 ngang.")

st.subheader("Văn bản của cấp ủy")
printable = pdf_available()
if not printable:
    st.caption("Máy chủ chưa cài LibreOffice nên chưa in được PDF; tải tệp Word rồi in từ Word.")
for kind, title in KINDS.items():
    left, word, pdf = st.columns([3, 1, 1])
    left.markdown(markdown("**{}**", title))
    for place, as_pdf in ((word, False), (pdf, True)):
        name = file_name(kind, year, as_pdf)
        offer_download(
            ("Tải PDF" if as_pdf else "Tải Word") + (" (.zip)" if kind == LETTER else ""),
            name,
            media_type(name),
            Right.REPORT,
            lambda who, kind=kind, as_pdf=as_pdf: documents.year_document(here, who, kind, year, as_pdf),
            f"doc_{kind}_{as_pdf}",
            year,
            place=place,
            disabled=as_pdf and not printable,
        )
st.caption(
    markdown(
        "Quyết định số {}-{}, báo cáo số {}-{}: sửa số và người ký ở “Thông tin cấp ủy” trước khi tải; văn bản "
        "ghi ngày tải về.",
        details.decision_number,
        details.decision_symbol,
        details.report_number,
        details.report_symbol,
    )
)

never_typed = details == CommitteeDetails()
with st.expander("Thông tin cấp ủy (dùng cho báo cáo Excel và mọi văn bản)", expanded=never_typed):
    if not me.may(Right.DOCUMENTS):
        st.caption("Chỉ cán bộ được sửa thông tin này.")
    with st.form("committee_form", border=False):
        typed, columns = {}, st.columns(2)
        short = [n for n in documents.LABELS if n not in LINES + PARAGRAPHS]
        for k, name in enumerate(short):
            typed[name] = columns[k % 2].text_input(documents.LABELS[name], getattr(details, name), key=f"d_{name}")
        for name in LINES:
            lines = st.text_area(documents.LABELS[name], "\n".join(getattr(details, name)), key=f"d_{name}")
            typed[name] = tuple(x.strip() for x in lines.splitlines() if x.strip())
        for name in PARAGRAPHS:
            typed[name] = st.text_area(documents.LABELS[name], getattr(details, name), key=f"d_{name}")
        st.caption("Mỗi dòng một nơi nhận, một căn cứ. Trong các đoạn văn, {year} được thay bằng năm đánh giá.")
        saved = st.form_submit_button("Lưu thông tin cấp ủy", type="primary", disabled=not me.may(Right.DOCUMENTS))
    if saved:
        act(
            lambda: documents.set_details(store(), me, CommitteeDetails(**typed)), "Đã lưu thông tin cấp ủy.", Forbidden
        )


def template_row(kind: str, title: str) -> None:
    """The template of one document: the one in use to download, a new one to upload, the default back."""
    own = documents.uploaded_template(store(), kind)
    st.markdown(markdown("**{}** · đang dùng: {}", title, own or "mẫu mặc định"))
    c1, c2, c3 = st.columns([1, 2, 1])
    offer_download(
        "Tải mẫu đang dùng",
        own or f"mau_{kind}.docx",
        media_type(".docx"),
        Right.DOCUMENTS,
        lambda who, kind=kind: documents.template_file(here, who, kind),
        f"template_{kind}",
        place=c1,
    )
    upload = c2.file_uploader("Mẫu mới", type=["docx"], key=f"upload_{kind}", label_visibility="collapsed")
    if upload is not None and c2.button("Dùng mẫu này", key=f"use_{kind}"):
        new = upload.getvalue()
        act(lambda: documents.set_template(store(), me, kind, upload.name, new), "Đã dùng mẫu mới.", TemplateProblem)
    if own and c3.button("Dùng lại mẫu mặc định", key=f"default_{kind}"):
        act(lambda: documents.set_template(store(), me, kind, None, None), "Đã dùng lại mẫu mặc định.", Forbidden)


if me.may(Right.DOCUMENTS):
    with st.expander("Mẫu văn bản (sửa trong Word rồi tải lên)"):
        st.caption("Giữ nguyên các thẻ {{ … }} và {% … %}; danh sách thẻ ở docs/documents.md.")
        for kind, title in KINDS.items():
            template_row(kind, title)

st.divider()
template_buttons()
