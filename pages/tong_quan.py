"""Tổng quan: the ranking of a stored year (the full dashboard comes with its own issue)."""
from pathlib import Path

import streamlit as st

from scoring.framework import TIER_CODES, TIER_NAMES
from scoring.store import Store

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
TIER_LABEL = {TIER_CODES[t]: TIER_NAMES[t] for t in TIER_CODES}
COLUMNS = {"rank": "Xếp hạng", "code": "Mã đơn vị", "name": "Tên đơn vị", "cluster": "Khối",
           "total": "Tổng điểm", "tier": "Xếp loại", "cluster_rank": "Hạng trong khối",
           "rank_change": "Thay đổi hạng", "reason": "Ghi chú"}


@st.cache_resource(show_spinner="Đang mở cơ sở dữ liệu…")
def store() -> Store:
    opened = Store()
    opened.seed(SAMPLE_DIR)
    return opened


@st.cache_data(show_spinner="Đang tính xếp hạng…")
def ranking(year: int, dataset_id: int):
    """Keyed by the dataset version, so a new import is rated again and nothing else is."""
    return store().rate(year, dataset_id)


st.title("Đánh giá, xếp loại công tác dân vận")
years = store().years()
if years.empty:
    st.info("Chưa có dữ liệu. Nhập bảng điểm bằng lệnh `python -m scoring db import TỆP…`.")
    st.stop()
active = dict(zip(years["year"], years["dataset_id"]))
year = st.selectbox("Năm", sorted(active, reverse=True))
result = ranking(int(year), int(active[year]))
table = result.units[list(COLUMNS)].rename(columns=COLUMNS)
table["Xếp loại"] = table["Xếp loại"].map(TIER_LABEL)
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Tổng điểm": st.column_config.NumberColumn(format="%.2f")})
