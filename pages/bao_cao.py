"""Báo cáo: the ranked Excel report of a year (built only when the button is clicked) and the templates."""
import streamlit as st

from pages._ui import XLSX, require_data, template_buttons, year_row
from scoring.report import DOTS, ReportSettings, report_bytes

ALL = "Tất cả các khối"

st.title("Báo cáo xếp hạng")
versions = require_data()
year, result, (c2,) = year_row(versions, [1, 3])
cluster = c2.selectbox("Khối", [ALL, *sorted(result.units["cluster"].unique())])
st.subheader("Phần đầu và chữ ký của báo cáo")
c1, c2 = st.columns(2)
settings = ReportSettings(
    superior_body=c1.text_input("Cơ quan cấp trên", value=f"ĐẢNG BỘ {DOTS}", key="superior"),
    issuing_body=c2.text_input("Cơ quan ban hành", value=f"ĐẢNG ỦY {DOTS}", key="issuer"),
    place=c1.text_input("Địa danh (dòng ngày tháng)", value=DOTS, key="place"),
    signer_name=c2.text_input("Người ký", value="", key="signer"),
)
chosen = None if cluster == ALL else cluster
name = f"bao_cao_dan_van_{year}" + ("" if chosen is None else "_" + chosen.replace(" ", "_")) + ".xlsx"
st.download_button("Tải báo cáo Excel", data=lambda: report_bytes(result, chosen, settings), file_name=name,
                   mime=XLSX, type="primary", on_click="ignore", key="report")
st.caption("Báo cáo gồm các trang: Xếp hạng, Chi tiết tiêu chí, Người đứng đầu, Thống kê, Phương pháp — "
           "khổ A4 ngang, sẵn sàng in và ký.")
st.divider()
template_buttons()
