"""The pages' download links: a file offered to the signed-in account and built when the link is followed
(scoring.web.downloads checks the account again then)."""

from __future__ import annotations

import html
from collections.abc import Callable

import streamlit as st

from pages._ui import XLSX, active_framework, actor, store
from scoring.access import Actor, Right
from scoring.template import template_bytes
from scoring.web import downloads


def offer_download(
    label: str,
    file_name: str,
    mime: str,
    right: Right,
    build: Callable[[Actor], bytes],
    key: str,
    year: int | None = None,
    place=st,
    disabled: bool = False,
) -> None:
    """A link that downloads `build(account)` as `file_name`, made when it is followed (see the module's text).
    `build` receives the account as it is at that moment and must check its own rights (the library does)."""
    if disabled:
        place.html(f'<span class="danvan-tai danvan-tai-tat">{html.escape(label)}</span>')
        return
    token = downloads.offer(
        st.session_state.get(f"_offer_{key}"), actor(), right, build, file_name, mime, year, store().committee_id
    )
    st.session_state[f"_offer_{key}"] = token
    place.html(
        f'<a class="danvan-tai" href="{downloads.DOWNLOAD_ROUTE}/{token}" download="{html.escape(file_name)}">'
        f"{html.escape(label)}</a>"
    )


def template_buttons() -> None:
    """Downloads of the blank templates of the active framework, built only when clicked."""
    st.subheader("Mẫu bảng điểm trống")
    framework = active_framework()
    c1, c2 = st.columns(2)
    offer_download(
        "Tải mẫu bảng tổng hợp",
        "mau_bang_tong_hop.xlsx",
        XLSX,
        Right.VIEW_ALL,
        lambda _who: template_bytes(framework),
        "template_consolidated",
        place=c1,
    )
    offer_download(
        "Tải mẫu phiếu chấm điểm đơn vị",
        "mau_phieu_cham_diem.xlsx",
        XLSX,
        Right.VIEW_ALL,
        lambda _who: template_bytes(framework, form=True),
        "template_form",
        place=c2,
    )
