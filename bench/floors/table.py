"""The floor of a table page (bench/bench_browser.py): a bare Streamlit page, a heading and one table."""

import pandas as pd
import streamlit as st

st.title("Bảng")
st.dataframe(
    pd.DataFrame(
        {
            "Hạng": range(1, 501),
            "Mã": [f"DV{i:03d}" for i in range(1, 501)],
            "Tên đơn vị": [f"Chi bộ cơ sở số {i}" for i in range(1, 501)],
            "Tổng điểm": [round(100 - i / 7, 2) for i in range(500)],
        }
    ),
    hide_index=True,
)
