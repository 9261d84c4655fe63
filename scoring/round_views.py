"""Tables of the round's pages (Tự chấm, Thẩm định, Đợt đánh giá), and reading back what was typed in them.
No Streamlit here."""
from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from .framework import TARGET_LABELS, Framework
from .presentation import number_setting
from .rounds import STATE_LABELS, UnitSheet, key
from .store import local_time
from .text import DISCIPLINE_LABELS, DISCIPLINE_UNSPECIFIED, parse_number

KIND_LABELS = {"self": "Tự chấm", "statement": "Thuyết minh", "leader": "Người đứng đầu", "review": "Thẩm định",
               "setting": "Thưởng, trừ, quy tắc", "state": "Trạng thái", "extension": "Gia hạn", "question": "Yêu cầu giải trình",
               "answer": "Giải trình", "evidence": "Minh chứng", "opened": "Mở đợt", "published": "Công bố", "reopened": "Mở lại đợt"}
SETTING_LABELS = {"bonus": "Điểm thưởng", "penalty": "Điểm trừ", "collective_discipline": "Kỷ luật tập thể",
                  "head_discipline": "Kỷ luật người đứng đầu", "disunity": "Mất đoàn kết", "corruption": "Tham nhũng",
                  "low_confidence": "Tín nhiệm thấp"}


_TARGET_NAMES = SETTING_LABELS | {"name": "Họ tên", "title": "Chức vụ"}  # settings and the leader's fields


def discipline_label(level: int) -> str:
    """A discipline level as chosen on the appraisal form."""
    return "Có (không rõ hình thức)" if level == DISCIPLINE_UNSPECIFIED else \
        DISCIPLINE_LABELS.get(level, "không").capitalize()


def _text(value) -> str:
    return "" if value is None else number_setting(value)


def self_table(fw: Framework, sheet: UnitSheet) -> pd.DataFrame:
    """One row per criterion: what the unit typed so far, as text with a decimal comma."""
    return pd.DataFrame([{
        "key": key(c.target, c.code), "Đối tượng": TARGET_LABELS[c.target], "Mã": c.code, "Tiêu chí": c.name,
        "Tối đa": _text(c.max_points), "Tự chấm": _text(sheet.self_scores.get(key(c.target, c.code))),
        "Thuyết minh": sheet.statements.get(key(c.target, c.code), "")} for c in fw.criteria])


def appraisal_table(fw: Framework, sheet: UnitSheet) -> pd.DataFrame:
    """The unit's score and statement beside the appraisal score and its reason."""
    rows = []
    for c in fw.criteria:
        k = key(c.target, c.code)
        rows.append({"key": k, "Đối tượng": TARGET_LABELS[c.target], "Mã": c.code, "Tiêu chí": c.name,
                     "Tối đa": _text(c.max_points), "Tự chấm": _text(sheet.self_scores.get(k)),
                     "Thuyết minh": sheet.statements.get(k, ""),
                     "Thẩm định": _text(sheet.review_scores.get(k, sheet.self_scores.get(k))),
                     "Lý do": sheet.review_reasons.get(k, "")})
    return pd.DataFrame(rows)


def typed_scores(table: pd.DataFrame, column: str) -> tuple[dict[str, float | None], list[str]]:
    """Numbers typed the Vietnamese way in a column of an edited table, by criterion key, and what could not be
    read (in Vietnamese)."""
    scores, problems = {}, []
    for k, typed in zip(table["key"], table[column]):
        try:
            scores[k] = parse_number(typed)
        except ValueError:
            problems.append(f"Tiêu chí {k[2:]}: “{typed}” không phải là số (dùng dấu phẩy, ví dụ 8,5)")
    return scores, problems


def board_table(board: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Mã": board["code"], "Tên đơn vị": board["name"], "Khối": board["cluster"],
                         "Trạng thái": board["state"].map(STATE_LABELS), "Tự chấm": board["self_total"],
                         "Thẩm định": board["review_total"], "Chênh lệch": board["gap"]})


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """Ai sửa gì, khi nào, vì sao: newest first, as a person reads a record of changes."""
    history = history.iloc[::-1]
    def what(row) -> str:
        value = json.loads(row.value)
        if row.kind == "opened":
            return f"{value['units']} đơn vị"
        if row.kind == "published":
            return f"Phiên bản dữ liệu {value['dataset_id']}"
        if row.kind == "reopened":
            return f"Hạn thẩm định mới: {local_time(datetime.fromisoformat(value['review_deadline'])):%d/%m/%Y}"
        if isinstance(value, dict):
            value = value.get("name") or ", ".join(f"{k}: {v}" for k, v in value.items())
        elif row.kind == "state":
            value = STATE_LABELS.get(value, value)
        elif isinstance(value, float):
            value = number_setting(value)
        target = _TARGET_NAMES.get(row.target, row.target[2:] if row.target[1:2] == ":" else row.target)
        return f"{target}: {value}" if target else str(value)

    return pd.DataFrame({"Lúc": [f"{local_time(a):%d/%m/%Y %H:%M}" for a in history["at"]],
                         "Người thực hiện": history["who"], "Việc": history["kind"].map(KIND_LABELS),
                         "Nội dung": [what(r) for r in history.itertuples()],
                         # a question or an answer is its own reason: not shown twice
                         "Lý do": [r.reason if r.kind not in ("question", "answer") else ""
                                   for r in history.itertuples()]})
