"""Tiêu chí: the active framework; edit criteria, weights, thresholds, quota and rules; preview how the
ranking would change; save as a new version (the active framework for later imports; stored years keep theirs,
and can be rated again with it as a new version); import and export the "Tiêu chí" sheet."""

import pandas as pd
import streamlit as st

from pages._downloads import offer_download
from pages._tables import show_table
from pages._ui import (
    XLSX,
    act,
    active_framework,
    active_versions,
    actor,
    decimal_input,
    result_of,
    store,
    visible_committees,
)
from scoring import rate_year, service, views
from scoring.access import Forbidden, Right
from scoring.formats import number_setting
from scoring.framework import LEADER, QUOTA_BASES, SCORED_BY, TARGET_LABELS, UNIT
from scoring.framework_rows import TABLE_COLUMNS, from_table, to_table
from scoring.presentation import literal, markdown
from scoring.reader import read_framework_bytes
from scoring.store import StoreError
from scoring.template import framework_sheet_bytes

st.title("Bộ tiêu chí")
base = active_framework()
if "framework_rows" not in st.session_state:
    st.session_state.framework_rows = to_table(base)
st.caption(
    markdown(
        "Đang dùng cho các lần nhập sau: **{}** ({})",
        base.name,
        f"phiên bản {base.source.split(':')[1]}" if base.source.startswith("store:") else "bộ mẫu",
    )
)
locked = store().framework_locked()
if locked:
    st.info("Cấp ủy cấp trên quy định các cấp ủy trực thuộc dùng bộ tiêu chí của cấp trên: ở đây chỉ xem.")
if len(visible_committees()) > 1 and actor().may(Right.FRAMEWORK) and not locked:
    enforced = store().framework_enforced()
    wanted = st.toggle(
        "Bắt buộc các cấp ủy trực thuộc dùng bộ tiêu chí này",
        enforced,
        help="Tắt: mỗi cấp ủy trực thuộc được chọn bộ tiêu chí riêng (khi đó không xếp hạng chung được).",
        key="framework_enforced",
    )
    if wanted != enforced:
        act(
            lambda: service.set_framework_enforced(store(), actor(), wanted),
            "Đã lưu quy định dùng bộ tiêu chí cho cấp ủy trực thuộc.",
            Forbidden,
        )
# Lãnh đạo sees the criteria and the rules; only officers change them, where the parent lets the committee choose
if locked or not actor().may(Right.FRAMEWORK):
    show_table(views.framework_table(base), {"Tên tiêu chí": "large"}, key="criteria")
    st.markdown(views.framework_rules_text(base))
    offer_download(
        "Xuất trang “Tiêu chí” ra Excel",
        "tieu_chi.xlsx",
        XLSX,
        Right.VIEW_ALL,
        lambda _who: framework_sheet_bytes(base),
        "export",
    )
    st.stop()

uploaded = st.file_uploader("Nhập trang “Tiêu chí” từ tệp Excel", type=["xlsx", "xls", "ods"], key="framework_file")
if uploaded is not None:
    imported, problems = read_framework_bytes(uploaded.name, uploaded.getvalue(), base)
    for p in problems:
        st.error(literal(p))
    if imported is not None and st.button("Dùng các tiêu chí trong tệp", key="use_imported"):
        st.session_state.framework_rows = to_table(imported)
        st.rerun()

groups = [g.key for g in base.groups]
rows = pd.DataFrame(st.session_state.framework_rows, columns=TABLE_COLUMNS)
edited = st.data_editor(
    rows,
    num_rows="dynamic",
    width="stretch",
    key="criteria_editor",
    column_config={
        "code": st.column_config.TextColumn("Mã tiêu chí", required=True, max_chars=12),
        "group": st.column_config.TextColumn("Nhóm", help="Mã nhóm của tiêu chí tổ chức: " + ", ".join(groups)),
        "name": st.column_config.TextColumn("Tên tiêu chí", width="large", required=True),
        "max_points": st.column_config.TextColumn("Điểm tối đa", required=True, max_chars=8),
        "weight": st.column_config.TextColumn("Trọng số (trống = điểm tối đa)", max_chars=8),
        "target": st.column_config.SelectboxColumn("Đối tượng", options=list(TARGET_LABELS.values()), required=True),
        "parent": st.column_config.TextColumn(
            "Thuộc tiêu chí", max_chars=12, help="Mã tiêu chí mà dòng này là thành phần (để trống nếu không)"
        ),
        "scored_by": st.column_config.SelectboxColumn("Người chấm", options=list(SCORED_BY.values()), required=True),
    },
)

st.subheader("Ngưỡng, chỉ tiêu và quy tắc")
top = base.tier_code(1)
c = st.columns(len(base.thresholds) + 1)
thresholds = tuple(  # one per tier of the framework's scale but the last
    decimal_input(literal(f"{t.code} từ"), m, f"t{t.number}", 0, 100, column)
    for t, m, column in zip(base.tiers, base.thresholds, c)
)
quota = decimal_input(literal(f"Chỉ tiêu {top} (%)"), base.quota_percent, "quota", 0, 100, c[-1])
c = st.columns(4)
bonus = decimal_input("Điểm thưởng tối đa", base.bonus_max, "bonus_max", 0, 20, c[0])
penalty = decimal_input("Điểm trừ tối đa", base.penalty_max, "penalty_max", 0, 20, c[1])
tie_break = c[2].selectbox("Nhóm phân định đồng điểm", groups, index=groups.index(base.tie_break_group), key="tie")
above_zero_cap = ", ".join(base.tier_code(n) for n in range(1, base.cap("zero_criterion")))
zero = st.checkbox(
    literal(f"Tiêu chí bị 0 điểm thì không được xếp {above_zero_cap}"), base.zero_criterion_bars_top, key="zero"
)
bases = list(QUOTA_BASES)
quota_base = st.radio(
    literal(f"Chỉ tiêu {top} tính trên"),
    bases,
    index=bases.index(base.quota_base),
    key="quota_base",
    format_func=lambda b: QUOTA_BASES[b].capitalize(),
    horizontal=True,
    help="Quy định: số HTXSNV không quá tỷ lệ chỉ tiêu. Có cấp ủy tính trên số đơn vị được xếp "
    "HTXSNV và HTTNV (mặc định), có cấp ủy tính trên số đơn vị còn lại ở mức HTTNV.",
)

name = st.text_input("Tên bộ tiêu chí", base.name, key="framework_name")
settings = (*thresholds, quota, bonus, penalty)
candidate, problems = None, ["Hãy sửa các ô số đang báo lỗi ở trên"] if None in settings else []
if not problems:
    records = edited.astype(object).where(edited.notna(), None).to_dict("records")
    candidate, problems = from_table(
        base,
        records,
        name=name,
        thresholds=thresholds,
        quota_percent=quota,
        quota_base=quota_base,
        bonus_max=bonus,
        penalty_max=penalty,
        tie_break_group=tie_break,
        zero_criterion_bars_top=zero,
        source="",
    )
    problems += candidate.problems()
    st.caption(
        markdown(
            "{} tiêu chí tổ chức (tổng điểm tối đa {}), {} tiêu chí người đứng đầu.",
            len(candidate.of(UNIT)),
            number_setting(sum(c.max_points for c in candidate.of(UNIT))),
            len(candidate.of(LEADER)),
        )
    )
for p in problems:
    st.error(literal(p))

versions = active_versions()
if versions and not problems and candidate != base:
    year = max(versions)
    st.subheader(markdown("Xem trước: xếp hạng năm {} theo bộ tiêu chí mới", year))
    data, _, _ = store().load(year, versions[year])
    try:
        changed = views.framework_change(result_of(year, versions), rate_year(data, candidate))
    except (KeyError, ValueError) as e:
        st.error(markdown("Không tính được với bộ tiêu chí mới: {}", e))
    else:
        st.caption(markdown("{} trên {} đơn vị đổi hạng hoặc xếp loại.", len(changed), len(data.units)))
        show_table(changed, {"Mã đơn vị": 80, "Tên đơn vị": "large"}, key="changes")

c1, c2 = st.columns(2)
if c1.button("Lưu thành phiên bản mới", type="primary", disabled=bool(problems) or candidate == base, key="save"):
    version = service.save_framework(store(), candidate, actor())
    st.session_state.pop("framework_rows", None)
    st.session_state.framework_saved = (version, candidate.name)
    st.rerun()
offer_download(
    "Xuất trang “Tiêu chí” ra Excel",
    "tieu_chi.xlsx",
    XLSX,
    Right.VIEW_ALL,
    lambda _who: framework_sheet_bytes(candidate),
    "export",
    place=c2,
    disabled=bool(problems),
)

saved = st.session_state.get("framework_saved")
if saved:
    st.success(
        markdown(
            "Đã lưu bộ tiêu chí “{}” (phiên bản {}) và dùng nó cho các lần nhập sau. Các năm đã lưu "
            "vẫn giữ bộ tiêu chí của chúng.",
            saved[1],
            saved[0],
        )
    )
    if versions:
        c1, c2 = st.columns([1, 3])
        year = c1.selectbox("Năm", sorted(versions, reverse=True), key="rerate_year")
        if c2.button(markdown("Tính lại năm {} theo bộ tiêu chí này (lưu thành phiên bản mới)", year), key="rerate"):
            try:
                dataset = service.rerate_year(store(), year, active_framework(), actor())
            except StoreError as e:
                st.error(literal(e))
            else:
                st.success(markdown("Năm {} đã được tính lại: phiên bản {}.", year, dataset))
