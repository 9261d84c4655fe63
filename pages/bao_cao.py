"""Báo cáo: the ranked Excel report of a year and the templates. The header and signature are filled in a
form, so that what is typed is used even without pressing Enter; the report is built once per dataset versions
and header, and shared by every session."""

import streamlit as st

from pages._downloads import offer_download, template_buttons
from pages._ui import XLSX, report_file, require_data, year_row
from scoring.access import Right
from scoring.report_layout import DOTS, ReportSettings

ALL = "Tất cả các khối"

st.title("Báo cáo xếp hạng")
versions = require_data()
year, result, (c2,) = year_row(versions, [1, 3])
cluster = c2.selectbox("Khối", [ALL, *sorted(result.units["cluster"].unique())])
chosen = None if cluster == ALL else cluster
scope = (year, chosen, tuple(sorted(versions.items())))  # a report is shown only for what it was built from
with st.form("report_form", border=True):
    st.subheader("Phần đầu và chữ ký của báo cáo")
    c1, c2 = st.columns(2)
    superior = c1.text_input("Cơ quan cấp trên", value=f"ĐẢNG BỘ {DOTS}", key="superior")
    issuer = c2.text_input("Cơ quan ban hành", value=f"ĐẢNG ỦY {DOTS}", key="issuer")
    place = c1.text_input("Địa danh (dòng ngày tháng)", value=DOTS, key="place")
    signer = c2.text_input("Người ký", value="", key="signer")
    built = st.form_submit_button("Lập báo cáo", type="primary")
if built:
    settings = ReportSettings(superior_body=superior, issuing_body=issuer, place=place, signer_name=signer)
    with st.spinner("Đang lập báo cáo…"):
        report_file(versions, year, chosen, settings)
    st.session_state.built_report = (scope, settings)  # the bytes stay in the shared cache, not in the session
made = st.session_state.get("built_report")
if made and made[0] == scope:
    name = f"bao_cao_dan_van_{year}" + ("" if chosen is None else "_" + chosen.replace(" ", "_")) + ".xlsx"
    offer_download(
        "Tải báo cáo Excel",
        name,
        XLSX,
        Right.REPORT,
        lambda _who: report_file(versions, year, chosen, made[1]),
        "report",
        year,
    )
else:
    st.caption("Điền phần đầu và người ký rồi bấm “Lập báo cáo”; nút tải về hiện ra khi báo cáo đã lập xong.")
st.caption(
    "Báo cáo gồm các trang: Xếp hạng, Chi tiết tiêu chí, Người đứng đầu, Thống kê, Phương pháp — "
    "khổ A4 ngang, sẵn sàng in và ký."
)
st.divider()
template_buttons()
