"""What every page shares: the store, cached ratings keyed by dataset version, the year picker,
tier labels and the Vietnamese number format. Pages stay thin: they read widgets, call `scoring`
and render."""
from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from scoring.engine import YearResult
from scoring.framework import TIER_CODES, TIER_NAMES
from scoring.framework import load_preset
from scoring.store import Store, database_url
from scoring.template import template_bytes
from scoring.text import format_vn

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
TIER_LABEL = {TIER_CODES[t]: TIER_NAMES[t] for t in TIER_CODES}
TIER_SHORT = {"HTXSNV": "Xuất sắc (HTXSNV)", "HTTNV": "Tốt (HTTNV)", "HTNV": "Hoàn thành (HTNV)",
              "KHTNV": "Không hoàn thành (KHTNV)"}
CHART_CONFIG = {"displaylogo": False, "locale": "vi"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def store() -> Store:
    return _open(database_url(), os.environ.get("DANVAN_SEED_SAMPLE", "1") != "0")


@st.cache_resource(show_spinner="Đang mở cơ sở dữ liệu…")
def _open(url: str, seed: bool) -> Store:
    """One store per database; a new, empty one gets the sample years unless DANVAN_SEED_SAMPLE=0."""
    opened = Store(url)
    if seed:
        opened.seed(SAMPLE_DIR)
    return opened


def active_framework():
    """The latest saved framework version, else the default preset."""
    return store().framework() or load_preset()


def active_versions() -> dict[int, int]:
    """Stored year → active dataset id (read each run: another user may have imported)."""
    years = store().years()
    return {int(y): int(d) for y, d in zip(years["year"], years["dataset_id"])}


@st.cache_data(show_spinner="Đang tính xếp loại…", max_entries=64)
def rated(url: str, year: int, dataset_id: int, previous_id: int | None) -> YearResult:
    """A year's result; the cache key is the database and the dataset version of the year and the year before."""
    return store().rate(year, dataset_id)


def result_of(year: int, versions: dict[int, int]) -> YearResult:
    return rated(database_url(), year, versions[year], versions.get(year - 1))


def all_results(versions: dict[int, int]) -> list[YearResult]:
    return [result_of(y, versions) for y in sorted(versions)]


def year_picker(versions: dict[int, int], key: str = "year") -> int:
    return st.selectbox("Năm", sorted(versions, reverse=True), key=key)


def year_row(versions: dict[int, int], widths: list[int]) -> tuple[int, YearResult, list]:
    """A row of columns with the year picker first; returns the year, its result and the other columns."""
    columns = st.columns(widths)
    with columns[0]:
        year = year_picker(versions)
    return year, result_of(year, versions), columns[1:]


def require_data() -> dict[int, int]:
    versions = active_versions()
    if not versions:
        st.info("Chưa có dữ liệu năm nào. Bắt đầu ở trang **Tải lên**: chọn bảng điểm Excel của các đơn vị, "
                "kiểm tra rồi bấm **Lưu**.")
        st.page_link("pages/tai_len.py", label="Đi tới trang Tải lên", icon=":material/upload_file:")
        st.stop()
    return versions


def vn(value, decimals: int = 2) -> str:
    return "" if value is None or pd.isna(value) else format_vn(value, decimals)


def change_arrow(change) -> str:
    if change is None or pd.isna(change):
        return "mới"
    change = int(change)
    return f"▲ {change}" if change > 0 else (f"▼ {-change}" if change < 0 else "=")


def ranking_table(units: pd.DataFrame) -> pd.DataFrame:
    """The ranking as users read it: Vietnamese headers, numbers as 92,50, arrows for rank changes."""
    return pd.DataFrame({
        "Xếp hạng": units["rank"], "Thay đổi": units["rank_change"].map(change_arrow), "Mã đơn vị": units["code"],
        "Tên đơn vị": units["name"], "Khối": units["cluster"], "Tự chấm": units["self_score"].map(vn),
        "Thẩm định": units["review_score"].map(vn), "Thưởng": units["bonus"].map(vn), "Trừ": units["penalty"].map(vn),
        "Tổng điểm": units["total"].map(vn), "Xếp loại": units["tier"].map(TIER_LABEL), "Ghi chú": units["reason"],
    })


def issues_table(issues) -> pd.DataFrame:
    return pd.DataFrame([{"Mức độ": "Lỗi" if i.severity == "error" else "Cảnh báo", "Tệp": i.file, "Trang": i.sheet,
                          "Dòng": "" if i.row is None else str(i.row), "Cột": i.column, "Giá trị": i.value,
                          "Nội dung": i.message} for i in issues],
                        columns=["Mức độ", "Tệp", "Trang", "Dòng", "Cột", "Giá trị", "Nội dung"])


def template_buttons() -> None:
    """Downloads of the blank templates of the active framework, built only when clicked."""
    st.subheader("Mẫu bảng điểm trống")
    framework = active_framework()
    c1, c2 = st.columns(2)
    c1.download_button("Tải mẫu bảng tổng hợp", data=lambda: template_bytes(framework),
                       file_name="mau_bang_tong_hop.xlsx", mime=XLSX, on_click="ignore", key="template_consolidated")
    c2.download_button("Tải mẫu phiếu chấm điểm đơn vị", data=lambda: template_bytes(framework, form=True),
                       file_name="mau_phieu_cham_diem.xlsx", mime=XLSX, on_click="ignore", key="template_form")
