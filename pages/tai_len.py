"""Tải lên: read scoresheets, show every problem, preview the rating, store the year as a new version."""
import streamlit as st

from pages._ui import TIER_LABEL, active_framework, issues_table, ranking_table, store, template_buttons
from scoring.framework import load_preset, presets
from scoring.rating import rate_all
from scoring.reader import read_files

FROM_FILE = "Trang “Tiêu chí” trong tệp (nếu có), nếu không thì bộ tiêu chí đang dùng"
ACTIVE = "Bộ tiêu chí đang dùng"

st.title("Tải lên bảng điểm")
st.write("Chọn một bảng tổng hợp (.xlsx, .xlsm, .xls, .ods, .csv) hoặc nhiều phiếu chấm điểm của từng đơn vị. "
         "Mọi lỗi được liệt kê cùng lúc; chỉ lưu khi không còn lỗi, và năm đã có được lưu thành phiên bản mới.")
files = st.file_uploader("Tệp bảng điểm", type=["xlsx", "xlsm", "xls", "ods", "csv"], accept_multiple_files=True,
                         key="files")
c1, c2, c3 = st.columns([1, 2, 1])
year = c1.number_input("Năm (cho tệp không ghi năm)", min_value=2000, max_value=2100, value=None, step=1,
                       placeholder="Tự nhận từ tệp", key="year_override")
preset_names = presets()
choice = c2.selectbox("Bộ tiêu chí", [FROM_FILE, ACTIVE, *preset_names.values()], key="framework_choice")
who = c3.text_input("Người thực hiện", value="cán bộ", key="who")

if files:
    active = active_framework()
    chosen = {FROM_FILE: None, ACTIVE: active} | {name: load_preset(key) for key, name in preset_names.items()}
    with st.status(f"Đang đọc {len(files)} tệp…", expanded=False) as status:
        read = read_files([(f.name, f.getvalue()) for f in files], chosen[choice], int(year) if year else None,
                          fallback=active)
        status.update(label=f"Đã đọc {len(files)} tệp: {len(read.errors)} lỗi, {len(read.warnings)} cảnh báo",
                      state="error" if read.errors else "complete")
    if read.issues:
        st.subheader("Lỗi và cảnh báo")
        st.dataframe(issues_table(read.issues), hide_index=True, width="stretch")
    if read.errors:
        st.error(f"Có {len(read.errors)} lỗi: hãy sửa tệp rồi tải lên lại. Chưa có gì được lưu.")
    if read.years and not read.errors:
        st.caption(f"Bộ tiêu chí: {read.framework.name}")
        for result in rate_all(read):
            counts = result.units["tier"].value_counts()
            st.subheader(f"Xem trước năm {result.year}: {len(result.units)} đơn vị, {len(result.leaders)} người đứng đầu")
            st.caption(" · ".join(f"{TIER_LABEL[t]}: {int(counts.get(t, 0))}" for t in TIER_LABEL))
            st.dataframe(ranking_table(result.units), hide_index=True, width="stretch", height=300)
    if not read.errors and read.years:
        stored = set(store().years()["year"])
        again = sorted(set(read.years) & stored)
        if again:
            st.warning("Năm " + ", ".join(map(str, again)) + " đã có dữ liệu: lưu sẽ tạo phiên bản mới và dùng phiên "
                       "bản này; phiên bản cũ vẫn được giữ.")
        if st.button("Lưu", type="primary", key="save"):
            saved = store().store(read, who or "cán bộ")
            st.success("Đã lưu: " + ", ".join(f"năm {y} (phiên bản {d})" for y, d in saved.items()))

st.divider()
template_buttons()
