"""Tiêu chí: the active framework; edit criteria, weights, thresholds, quota and rules; preview how the
ranking would change; save as a new version; import and export the "Tiêu chí" sheet."""
from decimal import Decimal

import pandas as pd
import streamlit as st

from pages._ui import TIER_LABEL, XLSX, active_framework, active_versions, result_of, store, vn
from scoring import rate_year
from scoring.framework import LEADER, TARGET_LABELS, UNIT, from_table, to_table
from scoring.reader import read_framework_bytes
from scoring.template import framework_sheet_bytes

st.title("Bộ tiêu chí")
base = active_framework()
if "framework_rows" not in st.session_state:
    st.session_state.framework_rows = to_table(base)
st.caption(f"Đang dùng: **{base.name}**" + (f" (phiên bản {base.source.split(':')[1]})"
                                           if base.source.startswith("store:") else " (bộ mẫu)"))

uploaded = st.file_uploader("Nhập trang “Tiêu chí” từ tệp Excel", type=["xlsx", "xls", "ods"], key="framework_file")
if uploaded is not None:
    imported, problems = read_framework_bytes(uploaded.name, uploaded.getvalue(), base)
    for p in problems:
        st.error(str(p))
    if imported is not None and st.button("Dùng các tiêu chí trong tệp", key="use_imported"):
        st.session_state.framework_rows = to_table(imported)
        st.rerun()

groups = [g.key for g in base.groups]
edited = st.data_editor(
    pd.DataFrame(st.session_state.framework_rows), num_rows="dynamic", width="stretch", key="criteria_editor",
    column_config={
        "code": st.column_config.TextColumn("Mã tiêu chí", required=True, max_chars=12),
        "group": st.column_config.SelectboxColumn("Nhóm", options=groups),
        "name": st.column_config.TextColumn("Tên tiêu chí", width="large", required=True),
        "max_points": st.column_config.NumberColumn("Điểm tối đa", min_value=0.25, max_value=1000, step=0.25,
                                                    required=True),
        "weight": st.column_config.NumberColumn("Trọng số (trống = điểm tối đa)", min_value=0, max_value=1000),
        "target": st.column_config.SelectboxColumn("Đối tượng", options=list(TARGET_LABELS.values()), required=True),
    })

st.subheader("Ngưỡng, chỉ tiêu và quy tắc")
c = st.columns(4)
t1 = c[0].number_input("HTXSNV từ", 0.0, 100.0, float(base.thresholds[0]), 0.5, key="t1")
t2 = c[1].number_input("HTTNV từ", 0.0, 100.0, float(base.thresholds[1]), 0.5, key="t2")
t3 = c[2].number_input("HTNV từ", 0.0, 100.0, float(base.thresholds[2]), 0.5, key="t3")
quota = c[3].slider("Chỉ tiêu HTXSNV (%)", 0, 100, int(base.quota_percent), key="quota")
c = st.columns(4)
bonus = c[0].number_input("Điểm thưởng tối đa", 0.0, 20.0, float(base.bonus_max), 0.5, key="bonus_max")
penalty = c[1].number_input("Điểm trừ tối đa", 0.0, 20.0, float(base.penalty_max), 0.5, key="penalty_max")
tie_break = c[2].selectbox("Nhóm phân định đồng điểm", groups, index=groups.index(base.tie_break_group), key="tie")
zero = c[3].checkbox("Tiêu chí 0 điểm không được HTXSNV, HTTNV", base.zero_criterion_bars_top, key="zero")

name = st.text_input("Tên bộ tiêu chí", base.name, key="framework_name")
rows = edited.astype(object).where(edited.notna(), None).to_dict("records")
candidate = from_table(base, rows, name=name, thresholds=tuple(Decimal(str(x)) for x in (t1, t2, t3)),
                       quota_percent=Decimal(quota), bonus_max=Decimal(str(bonus)), penalty_max=Decimal(str(penalty)),
                       tie_break_group=tie_break, zero_criterion_bars_top=zero, source="")
problems = candidate.problems()
for p in problems:
    st.error(p)
st.caption(f"{len(candidate.of(UNIT))} tiêu chí tổ chức (tổng điểm tối đa "
           f"{vn(sum(c.max_points for c in candidate.of(UNIT)), 0)}), {len(candidate.of(LEADER))} tiêu chí người đứng đầu.")

versions = active_versions()
if versions and not problems and candidate != base:
    year = max(versions)
    st.subheader(f"Xem trước: xếp hạng năm {year} theo bộ tiêu chí mới")
    data, _, _ = store().load(year, versions[year])
    now = result_of(year, versions).units.set_index("code")
    try:
        after = rate_year(data, candidate).units.set_index("code")
    except (KeyError, ValueError) as e:
        st.error(f"Không tính được với bộ tiêu chí mới: {e}")
    else:
        compare = pd.DataFrame({"Tên đơn vị": now["name"], "Tổng điểm hiện tại": now["total"].map(vn),
                                "Tổng điểm mới": after["total"].map(vn), "Hạng hiện tại": now["rank"],
                                "Hạng mới": after["rank"], "Xếp loại hiện tại": now["tier"].map(TIER_LABEL),
                                "Xếp loại mới": after["tier"].map(TIER_LABEL)})
        changed = compare[(now["rank"] != after["rank"]) | (now["tier"] != after["tier"])]
        st.caption(f"{len(changed)} trên {len(compare)} đơn vị đổi hạng hoặc xếp loại.")
        st.dataframe(changed.reset_index(names="Mã đơn vị"), hide_index=True, width="stretch")

c1, c2 = st.columns(2)
if c1.button("Lưu thành phiên bản mới", type="primary", disabled=bool(problems) or candidate == base, key="save"):
    version = store().save_framework(candidate, st.session_state.get("who", "cán bộ"))
    st.session_state.pop("framework_rows", None)
    st.success(f"Đã lưu bộ tiêu chí “{candidate.name}” (phiên bản {version}). Các lần nhập sau sẽ dùng bộ này.")
c2.download_button("Xuất trang “Tiêu chí” ra Excel", data=lambda: framework_sheet_bytes(candidate),
                   file_name="tieu_chi.xlsx", mime=XLSX, on_click="ignore", disabled=bool(problems), key="export")
