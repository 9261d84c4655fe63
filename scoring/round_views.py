"""Tables of the round's pages (Tự chấm, Thẩm định, Đợt đánh giá), and reading back what was typed in them.
No Streamlit here."""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from .engine import YearResult
from .flags import SETTING_LABELS
from .formats import day, deadline, moment, number_setting
from .framework import LEADER, SUPERIOR, TARGET_LABELS, UNIT, Framework
from .presentation import markdown, markdown_list, scale, vn
from .roster import NO_CLUSTER, Roster
from .rounds import NO_SELF, NOT_SUBMITTED, STATE_LABELS, WITHDRAWN, RoundInfo, UnitSheet, key
from .text import DISCIPLINE_LABELS, DISCIPLINE_UNSPECIFIED, parse_number

KIND_LABELS = {
    "added": "Thêm vào đợt",
    "evidence_withdrawn": "Rút minh chứng",
    "self": "Tự chấm",
    "statement": "Thuyết minh",
    "leader": "Người đứng đầu",
    "review": "Thẩm định",
    "setting": "Thưởng, trừ, quy tắc",
    "state": "Trạng thái",
    "extension": "Gia hạn",
    "question": "Yêu cầu giải trình",
    "answer": "Giải trình",
    "evidence": "Minh chứng",
    "opened": "Mở đợt",
    "published": "Công bố",
    "reopened": "Mở lại đợt",
}


_TARGET_NAMES = SETTING_LABELS | {"name": "Họ tên", "title": "Chức vụ"}  # settings and the leader's fields


def discipline_label(level: int) -> str:
    """A discipline level as chosen on the appraisal form."""
    return (
        "Có (không rõ hình thức)"
        if level == DISCIPLINE_UNSPECIFIED
        else DISCIPLINE_LABELS.get(level, "không").capitalize()
    )


def _text(value) -> str:
    return "" if value is None else number_setting(value)


def roster_summary(roster: Roster) -> pd.DataFrame:
    """What a person checks before opening a round: units per cluster and how many have no name."""
    summary = roster.summary()
    return pd.DataFrame({"Khối": summary["cluster"], "Số đơn vị": summary["units"], "Chưa có tên": summary["unnamed"]})


def opening_text(year: int, roster: Roster, framework_name: str, self_day, review_day) -> str:
    clusters = [c for c in roster.summary()["cluster"] if c != NO_CLUSTER]
    return (
        markdown("Mở đợt đánh giá năm {}: {} đơn vị", year, len(roster.units))
        + (markdown(" trong {} khối", len(clusters)) if clusters else " (không chia khối)")
        + markdown(
            ", bộ tiêu chí “{}” (cố định cho cả đợt), hạn tự chấm {}, hạn thẩm định {}. "
            "Khi chưa đơn vị nào làm việc, đợt còn hủy được; sau đó chỉ thêm hoặc rút từng đơn vị, kèm lý "
            "do.",
            framework_name,
            day(self_day),
            day(review_day),
        )
    )


def publishing_text(info: RoundInfo, board: pd.DataFrame, provisional: YearResult, active: int | None) -> str:
    """What "Phê duyệt và công bố" will do, said before it is done."""
    counts = provisional.units["tier"].value_counts()
    withdrawn = int((board["state"] == WITHDRAWN).sum())
    unrated = int(counts.get("", 0))
    return (
        markdown("Công bố kết quả năm {}: {} đơn vị (", info.year, len(provisional.units))
        + markdown_list("{} {}", ((t, int(counts.get(t, 0))) for t in scale(provisional.framework).codes), ", ")
        + (markdown(", không xếp loại {}", unrated) if unrated else "")
        + ")"
        + (markdown(", không tính {} đơn vị đã rút khỏi đợt", withdrawn) if withdrawn else "")
        + markdown(
            ", {} người đứng đầu. Kết quả trở thành phiên bản dữ liệu mới của năm {}",
            len(provisional.leaders),
            info.year,
        )
        + (markdown(", thay phiên bản {} đang dùng", active) if active else "")
        + "; mọi đơn vị xem được bảng xếp hạng theo mức công khai; đợt bị khóa (muốn sửa phải mở lại, có lý do)."
    )


def provisional_table(table: pd.DataFrame, codes: pd.Series, board: pd.DataFrame) -> pd.DataFrame:
    """The provisional ranking as shown before publication: a unit that has not submitted yet has no rank, total or
    tier to show ("Chưa nộp", not a red KHTNV at 0 points)."""
    states = codes.map(board.set_index("code")["state"])
    waiting, no_self = (states == NOT_SUBMITTED).to_numpy(), (states == NO_SELF).to_numpy()
    if not waiting.any() and not no_self.any():
        return table
    shown = table.astype({"Hạng": object, "Tổng điểm": object, "Xếp loại": object, "Tự chấm": object})
    shown.loc[waiting, ["Hạng", "Tổng điểm", "Thẩm định", "Tự chấm"]] = None
    shown.loc[waiting, "Xếp loại"] = STATE_LABELS[NOT_SUBMITTED]
    shown.loc[no_self, "Tự chấm"] = None  # none was submitted: blank, not 0
    return shown


def self_table(fw: Framework, sheet: UnitSheet) -> pd.DataFrame:
    """One row per criterion: what the unit typed so far, as text with a decimal comma."""
    return pd.DataFrame(
        [
            {
                "key": key(c.target, c.code),
                "Đối tượng": TARGET_LABELS[c.target],
                "Mã": c.code,
                "Tiêu chí": c.name,
                "Tối đa": _text(c.max_points),
                "Tự chấm": _text(sheet.self_scores.get(key(c.target, c.code))),
                "Thuyết minh": sheet.statements.get(key(c.target, c.code), ""),
            }
            for c in (*fw.self_scored(UNIT), *fw.self_scored(LEADER))  # what the superior scores is not asked
        ]
    )


def appraisal_table(fw: Framework, sheet: UnitSheet) -> pd.DataFrame:
    """The unit's score and statement beside the appraisal score and its reason."""
    rows = []
    for c in (*fw.of(UNIT), *fw.of(LEADER)):
        k = key(c.target, c.code)
        own = sheet.counted_self.get(k)  # a draft never submitted is not the unit's score
        rows.append(
            {
                "key": k,
                "Đối tượng": TARGET_LABELS[c.target],
                "Mã": c.code,
                "Tiêu chí": c.name,
                "Tối đa": _text(c.max_points),
                "Tự chấm": "—" if c.scored_by == SUPERIOR else _text(own),
                "Thuyết minh": sheet.statements.get(k, "") if sheet.submitted else "",
                "Thẩm định": _text(sheet.review_scores.get(k, own)),
                "Lý do": sheet.review_reasons.get(k, ""),
            }
        )
    return pd.DataFrame(rows)


def running_totals(fw: Framework, scores: dict[str, float | None]) -> str:
    """The self-assessment's sums as it is typed: the unit's criteria, and the leader's when the framework has
    them."""
    parts = []
    for target, label in ((UNIT, "tổ chức"), (LEADER, "người đứng đầu")):
        criteria = fw.self_scored(target)
        if criteria:
            total = sum(scores.get(key(target, c.code)) or 0.0 for c in criteria)
            parts.append((vn(total), _text(sum(float(c.max_points) for c in criteria)), label))
    return "Tổng tự chấm: " + markdown_list("**{}**/{} điểm ({})", parts)


def superior_note(fw: Framework) -> str:
    """The criteria a unit does not score itself, named for it ("" when none)."""
    theirs = [c for target in (UNIT, LEADER) for c in fw.of(target) if c.scored_by == SUPERIOR]
    if not theirs:
        return ""
    return markdown("Do cấp trên chấm, đơn vị không tự chấm: ") + markdown_list(
        "{} {} ({} điểm)", ((c.code, c.name, _text(c.max_points)) for c in theirs)
    )


def criteria_label(fw: Framework, codes: list[str]) -> str:
    """Criteria named by code and name, as a unit reads a question about them."""
    names = {c.code: c.name for c in fw.criteria}
    return "; ".join(f"{c} {names[c]}" if c in names else c for c in codes)


def criterion_choices(fw: Framework) -> dict[str, str]:
    """Criterion code → "code name", for choosing criteria by what they are."""
    return {c.code: f"{c.code} {c.name}" for c in fw.criteria}


def question_text(fw: Framework, q: dict) -> str:
    """A question of the committee and the unit's answer, as Markdown in which what people typed stays literal."""
    asked = (
        markdown("**Hỏi** ({}, {})", q["asked_by"], deadline(q["asked_at"]))
        + (markdown(" về {}", criteria_label(fw, q["criteria"])) if q["criteria"] else "")
        + markdown(": {}", q["question"])
    )
    if q.get("answer") is None:
        return asked + "  \n*Chưa trả lời.*"
    return asked + markdown("  \n**Trả lời** ({}, {}): {}", q["answered_by"], deadline(q["answered_at"]), q["answer"])


def completion_text(
    fw: Framework, sheet: UnitSheet, scores: dict[str, float | None], bonus: float, penalty: float
) -> str:
    """What "Hoàn tất thẩm định" will do to this unit, said before it is done."""
    points = sum(scores.get(key(UNIT, c.code)) or 0.0 for c in fw.of(UNIT))
    after = (
        "“Đã thẩm định”"
        if sheet.submitted
        else "“Không tự chấm” và xếp loại Không hoàn thành nhiệm vụ (đơn vị không nộp bản tự chấm)"
    )
    return markdown(
        "Hoàn tất thẩm định {}: điểm các tiêu chí {}, thưởng {}, trừ {}. Đơn vị chuyển sang {}; muốn sửa "
        "phải mở lại thẩm định, có lý do.",
        sheet.code,
        vn(points),
        vn(bonus),
        vn(penalty),
        after,
    )


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
    return pd.DataFrame(
        {
            "Mã": board["code"],
            "Tên đơn vị": board["name"],
            "Khối": board["cluster"],
            "Trạng thái": board["state"].map(STATE_LABELS),
            "Tự chấm": board["self_total"],
            "Thẩm định": board["review_total"],
            "Chênh lệch": board["gap"],
        }
    )


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
            return f"Hạn thẩm định mới: {day(datetime.fromisoformat(value['review_deadline']))}"
        if isinstance(value, dict):
            value = value.get("name") or ", ".join(f"{k}: {v}" for k, v in value.items())
        elif row.kind == "state":
            value = STATE_LABELS.get(value, value)
        elif isinstance(value, float):
            value = number_setting(value)
        target = _TARGET_NAMES.get(row.target, row.target[2:] if row.target[1:2] == ":" else row.target)
        return f"{target}: {value}" if target else str(value)

    return pd.DataFrame(
        {
            "Lúc": [moment(a) for a in history["at"]],
            "Người thực hiện": history["who"],
            "Việc": history["kind"].map(KIND_LABELS),
            "Nội dung": [what(r) for r in history.itertuples()],
            # a question or an answer is its own reason: not shown twice
            "Lý do": [r.reason if r.kind not in ("question", "answer") else "" for r in history.itertuples()],
        }
    )
