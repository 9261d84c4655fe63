"""Tổng quan: ranking of the latest sample year (placeholder until the dashboard issue)."""
from pathlib import Path

import streamlit as st

from scoring import rate_all, read_paths
from scoring.framework import TIER_NAMES, TIER_CODES

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
TIER_LABEL = {TIER_CODES[t]: TIER_NAMES[t] for t in TIER_CODES}
COLUMNS = {"rank": "Xếp hạng", "code": "Mã đơn vị", "name": "Tên đơn vị", "cluster": "Khối",
           "total": "Tổng điểm", "tier": "Xếp loại", "cluster_rank": "Hạng trong khối",
           "rank_change": "Thay đổi hạng", "reason": "Ghi chú"}


@st.cache_data(show_spinner="Đang đọc dữ liệu mẫu…")
def sample_results():
    return rate_all(read_paths(sorted(SAMPLE_DIR.glob("tong_hop_*.xlsx"))))


st.title("Đánh giá, xếp loại công tác dân vận")
results = sample_results()
if not results:
    st.info("Chưa có dữ liệu. Tạo dữ liệu mẫu bằng lệnh `make sample`.")
    st.stop()
by_year = {r.year: r for r in results}
year = st.selectbox("Năm", sorted(by_year, reverse=True))
table = by_year[year].units[list(COLUMNS)].rename(columns=COLUMNS)
table["Xếp loại"] = table["Xếp loại"].map(TIER_LABEL)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Tổng điểm": st.column_config.NumberColumn(format="%.2f")})
