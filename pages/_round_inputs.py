"""Inputs of a round's appraisal beside the score: the framework's conditions (Quy định 366) and whether the unit
is not rated this year. They only read widgets; the round checks every value (scoring.rounds.sheet.beside_score)."""

import streamlit as st

from scoring.conditions import FLAG, measures
from scoring.framework import Framework
from scoring.presentation import literal, markdown
from scoring.rounds.sheet import NOT_RATED
from scoring.vocabulary import CONDITION, NOT_RATED_HEADING

_FLAG_CHOICES = {None: "Chưa có số liệu", 1.0: "Có", 0.0: "Không"}


def beside_score_inputs(fw: Framework, settings: dict) -> dict:
    """Setting name → value as the committee entered it (a condition left blank: None, never a pass)."""
    out = {}
    kinds = measures(fw.conditions)
    if kinds:
        st.markdown("**Điều kiện xếp loại ngoài điểm**")
    for i, (name, kind) in enumerate(kinds.items()):
        now = settings.get(CONDITION + name)
        if kind == FLAG:
            out[CONDITION + name] = st.selectbox(
                literal(name), list(_FLAG_CHOICES), list(_FLAG_CHOICES).index(now), format_func=_FLAG_CHOICES.get,
                key=f"complete_condition_{i}",
            )  # fmt: skip
        else:
            out[CONDITION + name] = st.number_input(
                markdown("{} (%)", name), 0.0, 100.0, now, step=1.0, format="%.2f", key=f"complete_condition_{i}",
                placeholder="Chưa có số liệu",
            )  # fmt: skip
    out[NOT_RATED] = st.text_input(
        NOT_RATED_HEADING,
        settings.get(NOT_RATED, ""),
        key="complete_not_rated",
        help="Để trống nếu đơn vị được xếp loại. Đơn vị không xếp loại vẫn có điểm nhưng không có xếp loại, "
        "không xếp hạng, không tính vào chỉ tiêu.",
    )
    return out
