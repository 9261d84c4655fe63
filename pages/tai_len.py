"""Tải lên: read scoresheets once, show every problem, preview what saving would store and how it rates,
store it as a new version; the versions of a year, with "Dùng lại phiên bản này"."""

import hashlib

import streamlit as st

from pages._downloads import template_buttons
from pages._tables import RANKING_COLUMNS, RANKING_WIDTHS, page_of, read_notes, show_table
from pages._ui import active_framework, active_versions, actor, results, store
from scoring import service, views
from scoring.framework import load_preset, presets
from scoring.presentation import ORIGIN_LABELS, literal, markdown, markdown_list, scale
from scoring.store import StoreError

AUTO = "Tự động: theo tệp, nếu không thì bộ đang dùng"
ACTIVE = "Bộ tiêu chí đang dùng"
MODE_TEXT = {
    service.NEW: "năm mới",
    service.REPLACE: "thay toàn bộ phiên bản đang dùng",
    service.MERGE: "gộp các phiếu vào phiên bản đang dùng",
}

st.title("Tải lên bảng điểm")
st.write(
    "Chọn một bảng tổng hợp (.xlsx, .xlsm, .xls, .ods, .csv) hoặc nhiều phiếu chấm điểm của từng đơn vị. "
    "Mọi lỗi được liệt kê cùng lúc; chỉ lưu khi không còn lỗi. Phiếu của một số đơn vị được gộp vào dữ liệu "
    "đang dùng của năm; mỗi lần lưu tạo một phiên bản mới, phiên bản cũ vẫn được giữ."
)
files = st.file_uploader(
    "Tệp bảng điểm", type=["xlsx", "xlsm", "xls", "ods", "csv"], accept_multiple_files=True, key="files"
)
c1, c2 = st.columns([1, 3])
year = c1.number_input(
    "Năm (cho tệp không ghi năm)",
    min_value=2000,
    max_value=2100,
    value=None,
    step=1,
    placeholder="Tự nhận từ tệp",
    key="year_override",
)
preset_names = presets()
choice = c2.selectbox(
    "Bộ tiêu chí",
    [AUTO, ACTIVE, *preset_names.values()],
    key="framework_choice",
    help="Tự động: trang “Tiêu chí” trong tệp nếu có, nếu không thì bộ tiêu chí đang dùng "
    "(trang Tiêu chí), nếu chưa có thì bộ mẫu mặc định.",
)

if files:
    contents = [(f.name, f.getvalue()) for f in files]
    key = (tuple((name, hashlib.sha256(data).hexdigest()) for name, data in contents), choice, year)
    if st.session_state.get("upload_key") != key:  # read once per set of files and choice
        chosen = {AUTO: None, ACTIVE: active_framework()} | {name: load_preset(k) for k, name in preset_names.items()}
        with st.status(markdown("Đang đọc {} tệp…", len(files)), expanded=False) as status:
            plan = service.plan_import(
                store(), service.read_upload(store(), contents, chosen[choice], int(year) if year else None)
            )
            rated = service.preview(plan, results(active_versions())) if plan.ok else {}
            status.update(
                label=markdown(
                    "Đã đọc {} tệp: {} lỗi, {} cảnh báo",
                    len(files),
                    len(plan.errors),
                    len(plan.issues) - len(plan.errors),
                ),
                state="error" if plan.errors else "complete",
            )
        st.session_state.upload_key, st.session_state.upload = key, (plan, rated)
        st.session_state.pop("upload_saved", None)
    plan, rated = st.session_state.upload
    if plan.issues:
        st.subheader("Lỗi và cảnh báo")
        show_table(views.issues_table(plan.issues), {"Mức độ": 70, "Dòng": 50, "Nội dung": "large"}, key="issues")
    if plan.errors:
        st.error(markdown("Có {} lỗi: hãy sửa tệp rồi tải lên lại. Chưa có gì được lưu.", len(plan.errors)))
    elif plan.years:
        st.caption(
            markdown("Bộ tiêu chí: **{}** ({})", plan.read.framework.name, ORIGIN_LABELS[plan.read.framework_origin])
        )
        for y, p in plan.years.items():
            result = rated[y]
            counts = result.units["tier"].value_counts()
            st.subheader(markdown("Năm {}: {}", y, MODE_TEXT[p.mode]))
            st.write(
                markdown(
                    "{} đơn vị sau khi lưu: thêm {}, thay {}, giữ nguyên {}; {} người đứng đầu.",
                    len(p.data.units),
                    len(p.added),
                    len(p.replaced),
                    len(p.kept),
                    len(p.data.leaders),
                )
            )
            with st.expander("Danh sách đơn vị thêm, thay, giữ nguyên"):
                for label, codes in (("Thêm", p.added), ("Thay", p.replaced), ("Giữ nguyên", p.kept)):
                    st.markdown(markdown("**{} ({}):** {}", label, len(codes), ", ".join(codes) or "không có"))
            tiers = scale(result.framework)
            st.caption(markdown_list("{}: {}", ((tiers.label[t], int(counts.get(t, 0))) for t in tiers.codes)))
            shown = page_of(result.units, f"preview_{y}")
            ranked = views.ranking_of(result, RANKING_COLUMNS)
            show_table(ranked(shown), RANKING_WIDTHS, height=320, tier_column="Xếp loại", wrap=True, tiers=tiers)
            read_notes(shown, ranked, f"preview_notes_{y}")
        if st.session_state.get("upload_saved"):
            st.success(literal(st.session_state.upload_saved))
        elif st.button("Lưu", type="primary", key="save"):
            try:
                saved = service.save(store(), plan, actor())
            except StoreError as e:
                st.session_state.pop("upload_key")  # read again against what is stored now
                st.error(literal(e))
            else:
                st.session_state.upload_saved = "Đã lưu: " + ", ".join(
                    f"năm {y} (phiên bản {d})" for y, d in saved.items()
                )
                st.rerun()

st.divider()
st.subheader("Các phiên bản đã lưu")
versions = active_versions()
if versions:
    c1, c2 = st.columns([1, 3])
    shown_year = c1.selectbox("Năm", sorted(versions, reverse=True), key="history_year")
    history = store().history(shown_year)
    show_table(views.version_table(history), {"Phiên bản": 70, "Đang dùng": 80, "Tệp": "large"})
    older = [d.id for d in history if not d.active]
    if older:
        c1, c2 = st.columns([1, 3])
        chosen_version = c1.selectbox("Phiên bản", older, index=len(older) - 1, key="reuse_version")
        if c2.button("Dùng lại phiên bản này", key="reuse"):
            service.activate(store(), chosen_version, actor())
            st.success(markdown("Năm {} dùng lại phiên bản {}.", shown_year, chosen_version))
            st.rerun()
else:
    st.caption("Chưa có năm nào được lưu.")

st.divider()
template_buttons()
