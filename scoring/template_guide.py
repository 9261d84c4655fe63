"""The guide sheet of the blank templates: how to fill them in, in the words and with the tiers, caps and conditions
of the framework they carry."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from .conditions import FLAG, measures
from .formats import format_vn
from .framework import LEADER, Framework
from .sheet_style import _page, font, put
from .text import number_text
from .vocabulary import NOT_RATED_HEADING, SHEET_FRAMEWORK, SHEET_LEADERS, SHEET_UNITS

BLANK_YEAR = "...."  # the year of a blank title: "NĂM ...."


def write_guide(ws: Worksheet, title: str, lines: list[str]) -> None:
    ws.column_dimensions["A"].width = 110
    put(ws, 1, 1, title).font = font(bold=True, size=14)
    for r, line in enumerate(lines, start=3):
        cell = put(ws, r, 1, line)
        cell.font = font(bold=not line.startswith("–"))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    _page(ws, landscape=False)


def _common_guide(fw: Framework) -> list[str]:
    bonus, penalty = number_text(float(fw.bonus_max)), number_text(float(fw.penalty_max))
    name = {t.number: t.name for t in fw.tiers}
    last, first, second = name[fw.last], name[1], name[2]
    return [
        "Điểm",
        "– “Tự chấm”: điểm đơn vị tự đánh giá; “Thẩm định”: điểm cấp trên chấm. Điểm dùng để xếp loại là điểm "
        "thẩm định; ô thẩm định để trống thì lấy điểm tự chấm; trống cả hai tính 0 điểm.",
        "– Điểm là số từ 0 đến điểm tối đa của tiêu chí; được ghi số thập phân bằng dấu phẩy (8,5) "
        "hoặc dấu chấm (8.5). Điểm ngoài khoảng này bị báo lỗi, không tự sửa.",
        f"– Điểm thưởng từ 0 đến {bonus}; điểm trừ từ 0 đến {penalty}; không có thì để trống.",
        f"– Đơn vị không tự chấm (bỏ trống toàn bộ điểm tự chấm) bị xếp loại {last}.",
        "Kỷ luật và các trường hợp đặc biệt",
        "– Kỷ luật tập thể: khiển trách, cảnh cáo, giải tán (hoặc “x” nếu có kỷ luật mà chưa rõ hình thức). "
        f"Tổ chức bị kỷ luật xếp loại {last}.",
        "– Kỷ luật người đứng đầu: khiển trách, cảnh cáo, cách chức, khai trừ; không bị kỷ luật thì để trống. "
        f"Khiển trách: tổ chức tối đa {name[fw.cap('reprimand')]}; cảnh cáo: tối đa {name[fw.cap('warning')]}; "
        f"cách chức trở lên: {'' if fw.cap('dismissal') == fw.last else 'tối đa '}{name[fw.cap('dismissal')]}.",
        "– Mất đoàn kết, Tham nhũng, Tín nhiệm thấp trên 50%: ghi “x” nếu có, để trống nếu không. "
        f"Mất đoàn kết hoặc tham nhũng: tổ chức xếp loại {last}.",
        *_conditions_guide(fw),
        f"– {NOT_RATED_HEADING}: ghi lý do nếu năm nay đơn vị không xếp loại (ví dụ mới thành lập chưa đủ 6 tháng); "
        "đơn vị vẫn có điểm nhưng không xếp loại, không xếp hạng, không tính vào chỉ tiêu. Để trống nếu xếp loại.",
        f"– Số tổ chức {first} trong mỗi khối không quá {format_vn(fw.quota_percent, 0)}% "
        f"số tổ chức được xếp loại {second} trở lên.",
    ]


def _conditions_guide(fw: Framework) -> list[str]:
    """How to fill the conditions' columns (Quy định 366), and what each tier needs."""
    if not fw.conditions:
        return []
    names = {t.code: t.name for t in fw.tiers}
    needs: dict[str, list[str]] = {}
    for c in fw.conditions:
        needs.setdefault(c.tier, []).append(f"{c.name[:1].lower()}{c.name[1:]} {c.bound}")
    kinds = measures(fw.conditions)
    flags = [n for n, k in kinds.items() if k == FLAG]
    return [
        "Điều kiện xếp loại ngoài điểm",
        "– Các cột tỷ lệ (%) ghi số phần trăm từ 0 đến 100 (ví dụ 25 hoặc 25%)"
        + (f"; cột {', '.join(f'“{n}”' for n in flags)} ghi “Có” hoặc “Không”." if flags else "."),
        "– Ô để trống là chưa có số liệu: không được tính là đạt điều kiện.",
        *(f"– {names.get(code, code)} cần: {'; '.join(items)}." for code, items in needs.items()),
    ]


def consolidated_guide(fw: Framework) -> list[str]:
    leader_codes = ", ".join(fw.codes(LEADER))
    return [
        "Cách điền",
        f"– Trang “{SHEET_UNITS}”: mỗi dòng một tổ chức cơ sở đảng. Ghi năm đánh giá vào dòng tiêu đề: thay "
        f"“{BLANK_YEAR}” sau chữ “NĂM” bằng năm (bốn chữ số).",
        "– Mã đơn vị: bắt buộc, không trùng nhau trong một năm (ví dụ DV01). Tên đơn vị: bắt buộc. "
        "Khối: khối hoặc cụm thi đua; xếp hạng và chỉ tiêu được tính trong từng khối.",
        "– Mỗi tiêu chí có hai cột “Tự chấm” và “Thẩm định” dưới mã tiêu chí; tên và điểm tối đa của từng "
        f"tiêu chí xem ở trang “{SHEET_FRAMEWORK}”.",
        f"– Trang “{SHEET_LEADERS}”: mỗi dòng một người đứng đầu; “Mã đơn vị” phải trùng với mã ở trang "
        f"“{SHEET_UNITS}”. Các tiêu chí {leader_codes} điền như trên; cột “Kỷ luật” ghi hình thức kỷ luật "
        "của người đứng đầu trong năm.",
        f"– Trang “{SHEET_FRAMEWORK}”: bộ tiêu chí dùng để chấm; có thể sửa tên, điểm tối đa, trọng số, "
        "nhưng mã tiêu chí phải khớp với tiêu đề cột.",
        "– Ghi chú: thông tin bổ sung, không ảnh hưởng đến điểm.",
        "– Các ô tiêu đề được khóa để tránh sửa nhầm; muốn sửa: Xem lại (Review) → Bỏ bảo vệ trang "
        "(Unprotect Sheet), không có mật khẩu.",
        *_common_guide(fw),
    ]


def form_guide(fw: Framework) -> list[str]:
    return [
        "Cách điền",
        "– Mỗi tổ chức một phiếu (một tệp); nhiều phiếu tải lên cùng lúc được tổng hợp thành bảng của năm.",
        "– Điền các ô bên phải nhãn: Mã đơn vị (do cấp trên cấp), Tên đơn vị, Khối, Năm (bốn chữ số), "
        "Người đứng đầu, Chức vụ; các ô kỷ luật và trường hợp đặc biệt để trống nếu không có.",
        "– Đơn vị điền cột “Tự chấm”; cấp trên điền cột “Thẩm định”. Không sửa mã tiêu chí ở cột “TT”. "
        "Các dòng nhóm và dòng “Tổng cộng” tự tính.",
        *_common_guide(fw),
    ]
