"""The default templates, one .docx each, written with Jinja tags that docxtpl fills (docs/documents.md lists every
name a template may use). An office downloads one, changes it in Word, and uploads it; the tags listed in
REQUIRED must stay."""

from __future__ import annotations

import io
from functools import cache

from ..presentation import TIERS
from .docx_layout import (
    CENTER,
    JUSTIFY,
    LEFT,
    TYPE,
    grid,
    grid_row,
    header_block,
    line,
    new_document,
    runs,
    signature_block,
)

DECISION, REPORT, LETTER = "decision", "report", "letter"
KINDS = {
    DECISION: "Quyết định công nhận kết quả xếp loại và danh sách kèm theo",
    REPORT: "Báo cáo kết quả đánh giá",
    LETTER: "Thông báo kết quả cho từng đơn vị",
}
# What each document cannot do without: an uploaded template missing one of these is refused, naming it.
REQUIRED = {
    DECISION: {"committee", "date_line", "year", "unit_groups", "leader_groups", "decision_number", "grounds"},
    REPORT: {"committee", "date_line", "year", "tier_table", "cluster_table", "report_number"},
    LETTER: {"committee", "date_line", "year", "unit", "criteria"},
}
LIST_WIDTHS = [1.3, 7.2, 4.2, 2.1, 1.7]
LEADER_WIDTHS = [1.3, 4.6, 6.6, 2.1, 1.9]


def template_bytes(kind: str, tiers: tuple[str, ...] = tuple(TIERS)) -> bytes:
    """A default template; the report's table by cluster has a column per tier of the year's scale (`tiers`)."""
    return _built(kind, tuple(tiers))


@cache
def _built(kind: str, tiers: tuple[str, ...]) -> bytes:
    doc = _report(tiers) if kind == REPORT else {DECISION: _decision, LETTER: _letter}[kind]()
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _title(doc, kind_title: str, subject: str) -> None:
    line(doc, kind_title, size=TYPE, bold=True, align=CENTER)
    line(doc, subject, bold=True, align=CENTER)
    line(doc, "-----", align=CENTER)


def _decision():
    doc = new_document()
    header_block(doc, "{{ decision_number }}-{{ committee.decision_symbol }}")
    _title(
        doc,
        "QUYẾT ĐỊNH",
        "công nhận kết quả đánh giá, xếp loại công tác dân vận năm {{ year }}\n"
        "đối với tổ chức cơ sở đảng và người đứng đầu",
    )
    line(doc, "BAN THƯỜNG VỤ {{ committee.issuing_body }}", bold=True, align=CENTER)
    line(doc, "")
    line(doc, "{%p for g in grounds %}")
    line(doc, "{{ g }}", italic=True, align=JUSTIFY, indent=True)
    line(doc, "{%p endfor %}")
    line(doc, "QUYẾT ĐỊNH", bold=True, align=CENTER)
    line(doc, "")
    runs(
        doc,
        [
            ("Điều 1. ", True),
            (
                "Công nhận kết quả đánh giá, xếp loại công tác dân vận năm {{ year }} của {{ unit_count }} tổ chức cơ "
                "sở đảng và {{ leader_count }} đồng chí người đứng đầu (có danh sách kèm theo).",
                False,
            ),
        ],
    )
    runs(doc, [("Điều 2. ", True), ("{{ article_2 }}", False)])
    runs(doc, [("Điều 3. ", True), ("{{ article_3 }}", False)])
    line(doc, "")
    signature_block(doc)
    _attached_list(doc)
    return doc


def _attached_list(doc) -> None:
    line(doc, "DANH SÁCH", bold=True, align=CENTER, page=True)
    line(
        doc,
        "tổ chức cơ sở đảng và người đứng đầu được công nhận kết quả xếp loại công tác dân vận năm {{ year }}",
        bold=True,
        align=CENTER,
    )
    line(
        doc,
        "(Kèm theo Quyết định số {{ decision_number }}-{{ committee.decision_symbol }}, ngày {{ date_short }} "
        "của {{ committee.issuer_name }})",
        italic=True,
        align=CENTER,
    )
    line(doc, "-----", align=CENTER)
    line(doc, "I. TỔ CHỨC CƠ SỞ ĐẢNG ({{ unit_count }} tổ chức: {{ unit_counts }})", bold=True)
    _grouped(doc, "unit_groups", ["STT", "Tên tổ chức cơ sở đảng", "Khối", "Tổng điểm", "Xếp hạng"], LIST_WIDTHS)
    line(doc, "{%p if leader_count %}")
    line(doc, "II. NGƯỜI ĐỨNG ĐẦU ({{ leader_count }} đồng chí: {{ leader_counts }})", bold=True)
    _grouped(doc, "leader_groups", ["STT", "Họ và tên", "Chức vụ, đơn vị", "Tổng điểm", "Xếp hạng"], LEADER_WIDTHS)
    line(doc, "{%p endif %}")


def _grouped(doc, groups: str, headings: list[str], widths: list[float]) -> None:
    """Per tier (best first) its title, then a table of its people by rank, whose heading row repeats."""
    line(doc, f"{{%p for g in {groups} %}}")
    line(doc, "{{ g.title }}", bold=True, keep=True)
    table = grid(doc, headings, widths)
    grid_row(table, ["{%tr for u in g.rows %}"], widths, merged=True)
    fields = ["{{ u.no }}", "{{ u.name }}", "{{ u.where }}", "{{ u.total }}", "{{ u.rank }}"]
    grid_row(table, fields, widths, aligns=[CENTER, LEFT, LEFT, CENTER, CENTER])
    grid_row(table, ["{%tr endfor %}"], widths, merged=True)
    line(doc, "")
    line(doc, "{%p endfor %}")


def _report(tiers: tuple[str, ...]):
    doc = new_document()
    header_block(doc, "{{ report_number }}-{{ committee.report_symbol }}")
    _title(doc, "BÁO CÁO", "kết quả đánh giá, xếp loại công tác dân vận năm {{ year }}")
    line(doc, "{{ intro }}", align=JUSTIFY, indent=True)
    line(doc, "I. KẾT QUẢ XẾP LOẠI", bold=True)
    line(doc, "1. Tổ chức cơ sở đảng và người đứng đầu theo mức xếp loại", bold=True, indent=True)
    _figures(doc, "tier_table", ["Mức xếp loại", "Tổ chức", "Tỷ lệ", "So với năm trước", "Người đứng đầu"])
    line(doc, "{%p if comparison_note %}")
    line(doc, "Lưu ý: {{ comparison_note }}", align=JUSTIFY, indent=True)
    line(doc, "{%p endif %}")
    line(doc, "2. Theo khối", bold=True, indent=True)
    _figures(doc, "cluster_table", ["Khối", "Số tổ chức", *tiers])
    line(doc, "II. NHỮNG ĐIỂM CẦN LƯU Ý", bold=True)
    for title, name in (
        ("1. Tổ chức bị hạ mức do chỉ tiêu", "quota_notes"),
        ("2. Tổ chức không tự chấm", "no_self_notes"),
        ("3. Chênh lệch lớn nhất giữa điểm tự chấm và điểm thẩm định", "gap_notes"),
    ):
        line(doc, title, bold=True, indent=True)
        line(doc, f"{{%p for n in {name} %}}")
        line(doc, "- {{ n }}", align=JUSTIFY, indent=True)
        line(doc, "{%p endfor %}")
    line(doc, "III. KẾT LUẬN", bold=True)
    line(doc, "{{ conclusion }}", align=JUSTIFY, indent=True)
    line(doc, "")
    signature_block(doc)
    return doc


def _figures(doc, name: str, headings: list[str]) -> None:
    """A table of figures: its first column a label, the others numbers; the last row the total, in bold."""
    widths = [5.0] + [11.5 / (len(headings) - 1)] * (len(headings) - 1)
    table = grid(doc, headings, widths)
    grid_row(table, [f"{{%tr for r in {name} %}}"], widths, merged=True)
    cells = [f"{{{{ r.cells[{k}] }}}}" for k in range(len(headings))]
    grid_row(table, cells, widths, aligns=[LEFT] + [CENTER] * (len(headings) - 1))
    grid_row(table, ["{%tr endfor %}"], widths, merged=True)
    line(doc, "")


def _letter():
    doc = new_document()
    header_block(doc, "{{ letter_number }}-{{ committee.letter_symbol }}")
    _title(doc, "THÔNG BÁO", "kết quả đánh giá, xếp loại công tác dân vận năm {{ year }}")
    line(doc, "Kính gửi: {{ unit.name }}", align=CENTER)
    line(doc, "")
    line(
        doc,
        "Ban Thường vụ thông báo kết quả đánh giá, xếp loại công tác dân vận năm {{ year }} của {{ unit.name }} "
        "(mã {{ unit.code }}, {{ unit.cluster }}) như sau:",
        align=JUSTIFY,
        indent=True,
    )
    line(doc, "1. Điểm theo tiêu chí", bold=True, indent=True)
    widths = [1.4, 6.6, 1.6, 1.9, 1.9, 3.1]
    table = grid(doc, ["Mã", "Tiêu chí", "Tối đa", "Tự chấm", "Thẩm định", "Lý do điều chỉnh"], widths)
    grid_row(table, ["{%tr for c in criteria %}"], widths, merged=True)
    fields = ["c.code", "c.name", "c.max", "c.self", "c.review", "c.reason"]
    grid_row(table, [f"{{{{ {f} }}}}" for f in fields], widths, aligns=[CENTER, LEFT, CENTER, CENTER, CENTER, LEFT])
    grid_row(table, ["{%tr endfor %}"], widths, merged=True)
    line(doc, "")
    line(doc, "2. Kết quả", bold=True, indent=True)
    for text in (
        "Điểm thưởng: {{ unit.bonus }}; điểm trừ: {{ unit.penalty }}; tổng điểm: {{ unit.total }}.",
        "Xếp loại: {{ unit.tier }}; xếp hạng {{ unit.rank }}/{{ unit_count }} ({{ unit.cluster_rank }} trong khối).",
        "{%p if unit.reason %}",
        "Lý do xếp loại: {{ unit.reason }}.",
        "{%p endif %}",
        "{%p if leader %}",
        "Người đứng đầu: đồng chí {{ leader.name }} ({{ leader.title }}): {{ leader.total }} điểm, xếp loại "
        "{{ leader.tier }}{{ leader.because }}.",
        "{%p endif %}",
    ):
        line(doc, text, align=JUSTIFY, indent=not text.startswith("{%"))
    line(doc, "")
    signature_block(doc)
    return doc
