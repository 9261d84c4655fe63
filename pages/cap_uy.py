"""Các cấp ủy: for a committee with committees under it (the province), each committee's year at a glance, how each
rated its units, one ranking of every unit where their frameworks agree, and the summary workbook."""

import streamlit as st

from pages._downloads import offer_download
from pages._tables import page_of, show_table
from pages._ui import XLSX, actor, chart, committee_results, store, visible_committees
from scoring import charts, province
from scoring.access import Right
from scoring.documents import committee as documents
from scoring.presentation import literal, markdown
from scoring.province_report import COMPARISON, RANKING, overview_columns, shown, summary_bytes
from scoring.store import StoreError
from scoring.web import opened

st.title("Các cấp ủy")
me, here = actor(), store()
committees, versions = province.subtree(here, me)
if len(committees) < 2:
    st.info(
        "Cấp ủy đang chọn không có cấp ủy trực thuộc."
        + (" Chọn cấp ủy cấp trên ở thanh bên." if len(visible_committees()) > 1 else "")
    )
    st.stop()
years = sorted({y for own in versions.values() for y in own}, reverse=True)
if not years:
    st.info("Chưa cấp ủy nào lưu dữ liệu năm nào.")
    st.stop()
c1, c2 = st.columns([1, 5])
year = c1.selectbox("Năm", years, key="committees_year")
rated = province.committee_years(here, me, year, committee_results)
table = province.overview(here, me, year, rated, opened.rounds)
tiers = province.tiers_of(rated)
c2.caption(
    markdown(
        "{} cấp ủy, {} có dữ liệu năm {}; mỗi cấp ủy tự xếp loại các đơn vị của mình (chỉ tiêu HTXSNV và khối "
        "tính trong từng cấp ủy).",
        len(rated),
        sum(y.result is not None for y in rated),
        year,
    )
)
cards = st.columns(4)
cards[0].metric("Đơn vị đã xếp loại", int(table["units"].sum()))
cards[1].metric("Đợt đánh giá đang mở", int((table["round"] == "open").sum()))
cards[2].metric("Đợt đã công bố", int((table["round"] == "published").sum()))
cards[3].metric("Đơn vị quá hạn chưa nộp", int(table["late"].sum()))

st.subheader("Các cấp ủy trong năm")
# At 1366 px the round's figures (up to "Quá hạn chưa nộp") fit beside the sidebar without scrolling sideways.
FIGURE_WIDTHS = {"STT": 40, "Mã cấp ủy": 70, "Số đơn vị": 62, **dict.fromkeys(tiers.codes, 56), "Đợt đánh giá": 90}
FIGURE_WIDTHS |= {"Trong đợt": 62, "Đã nộp": 56, "Chờ thẩm định": 72, "Đã thẩm định": 72, "Quá hạn chưa nộp": 80}
show_table(shown(overview_columns(tiers.codes), table), FIGURE_WIDTHS, key="committees_overview")

st.subheader("So sánh cách đánh giá")
compared = province.comparison(rated)
if compared.empty:
    st.caption("Chưa có dữ liệu để so sánh.")
else:
    key = ("committees", year, tuple(sorted((c, tuple(sorted(v.items()))) for c, v in versions.items())))
    chart({}, key, lambda: charts.committee_spread(compared))
    show_table(shown(COMPARISON, compared), key="committees_comparison", wrap=True)
    st.caption(
        "“Cần xem”: cấp ủy thẩm định điểm tối đa cho từ một nửa số đơn vị trở lên, hoặc thẩm định cao hơn tự chấm "
        "bình quân. Đây là gợi ý để xem lại, không thay đổi kết quả xếp loại."
    )

st.subheader("Xếp hạng chung các đơn vị")
try:
    ranking, why = province.subtree_ranking(rated), ""
except StoreError as e:
    ranking, why = None, str(e)
    st.warning(literal(why))
if ranking is not None:
    st.caption("Xếp theo tổng điểm (rồi điểm nhóm dùng để phân định và điểm trừ); xếp loại là của cấp ủy đã đánh giá.")
    show_table(
        shown(RANKING, page_of(ranking, "committees_ranking"), tiers),
        tier_column="Xếp loại",
        key="committees_rank",
        tiers=tiers,
    )

signature = documents.details(here).report_settings()
offer_download(
    "Tải báo cáo tổng hợp các cấp ủy (Excel)",
    f"tong_hop_cac_cap_uy_{year}.xlsx",
    XLSX,
    Right.REPORT,
    lambda _who: summary_bytes(year, table, compared, ranking, why, signature, tiers=tiers),
    "committees_summary",
    year,
)
