"""The words of the scoresheets: sheet names, column headings, form labels and the keys the reader matches them
by (folded: lower case, no accents, no spaces). The reader, the blank templates and the sample writer all use
these, so that what is written can always be read back."""

from __future__ import annotations

from .framework import LEADER, UNIT
from .text import fold, parse_flag

SHEET_UNITS, SHEET_LEADERS, SHEET_FRAMEWORK = "Tổ chức", "Người đứng đầu", "Tiêu chí"


HEADER_SCAN_ROWS = 40

SELF, REVIEW = "self", "review"


SELF_KEYS = ("tucham", "tudanhgia")


REVIEW_KEYS = ("thamdinh", "captrencham", "captren", "danhgiacuacaptren")

# Column roles by heading (see text.heading_matches: a key matches the start of a heading at a word end; "$" means
# the whole heading). The first matching entry wins, so the more specific come first. These are the accepted
# spellings: a heading that looks like a rule column but matches none of them is a warning, never silence.
_CODE_KEYS = ("madonvi", "madv", "matochuc", "matccsd", "maso", "ma$")
_YEAR_KEYS = ("nam$", "namdanhgia$", "namxeploai$")
NOT_RATED_KEYS = ("khongxeploai", "lydokhongxeploai", "khongdudieukienxeploai", "chuaxeploai")
UNIT_META = [
    ("code", _CODE_KEYS),
    ("not_rated", NOT_RATED_KEYS),
    (
        "head_discipline",
        (
            "kyluatnguoidungdau",
            "nguoidungdaubikyluat",
            "klnguoidungdau",
            "kyluatbithu",
            "hinhthuckyluatnguoidungdau",
            "kyluatcanhan",
        ),
    ),
    (
        "collective_discipline",
        (
            "kyluattapthe",
            "kyluattochuc",
            "tochucbikyluat",
            "tapthebikyluat",
            "kltapthe",
            "kltochuc",
            "hinhthuckyluattapthe",
            "hinhthuckyluat$",
            "kyluat$",
            "bikyluat$",
        ),
    ),
    ("disunity", ("matdoanket", "comatdoanket", "noibomatdoanket", "khongdoanket")),
    ("corruption", ("thamnhung", "viphamthamnhung", "cothamnhung", "coviphamthamnhung")),
    ("name", ("tendonvi", "tentochuc", "tentccsd", "tencosodang", "ten$", "donvi$")),
    ("cluster", ("khoithidua", "cumthidua", "khoi", "cum")),
    ("year", _YEAR_KEYS),
    ("bonus", ("diemthuong", "diemcong")),
    ("penalty", ("diemtru",)),
    ("note", ("ghichu",)),
    # "Trạng thái" and "Lý do thay đổi" are a round's export columns (scoring/round_files.py)
    (
        "ignored",
        ("stt", "tt", "tongdiem", "tongcong", "xeploai", "xephang", "diemtuchamtong", "tong", "trangthai", "lydo"),
    ),
]


LEADER_META = [
    ("code", _CODE_KEYS),
    ("unit_name", ("tendonvi", "tentochuc", "tentccsd")),
    ("discipline", ("kyluat", "hinhthuckyluat", "bikyluat", "nguoidungdaubikyluat", "klnguoidungdau")),
    ("low_confidence", ("tinnhiemthap", "phieutinnhiemthap", "cotinnhiemthap")),
    ("name", ("hovaten", "hoten", "nguoidungdau", "ten$")),
    ("title", ("chucvu",)),
    ("year", _YEAR_KEYS),
    ("note", ("ghichu",)),
    ("ignored", ("stt", "tt", "tongdiem", "tongcong", "xeploai", "xephang", "tong", "lydo")),
]

# An unrecognised column whose folded heading contains one of these looks like a rule or score column.
RULE_LIKE = ("kyluat", "doanket", "thamnhung", "tinnhiem", "vipham", "diem", "thuong", "tru", "khoi", "nam")


ROLE_LABEL = {UNIT: {"code": "Mã đơn vị", "name": "Tên đơn vị"}, LEADER: {"code": "Mã đơn vị", "name": "Họ và tên"}}


TOTAL_ROW = ("tongcong", "cong", "tong")

# A label in the first columns that ends the table: totals, averages, a summary block, the signature block.
FOOTER_STARTS = (
    "tongcong",
    "tongso",
    "tonghop",
    "binhquan",
    "trungbinh",
    "trongdo",
    "thongke",
    "nguoilap",
    "noinhan",
    "xacnhan",
)
# The first four characters of those labels, lower case, as typed: a cheap test before folding.
TOTAL_PREFIXES = {
    "tổng",
    "tong",
    "cộng",
    "cong",
    "ngườ",
    "nguo",
    "nơi ",
    "noi ",
    "xác ",
    "xac ",
    "t/m ",
    "tm. ",
    "bình",
    "binh",
    "trun",
    "tron",
    "thốn",
    "thon",
}

# Labels of a per-unit form ("Mã đơn vị: DV01"), matched like column headings.
FORM_LABELS = [
    ("code", ("madonvi", "madv", "matochuc", "matccsd")),
    ("name", ("tendonvi", "tentochuc", "tentccsd", "tochuccosodang", "donvi$", "tochuc$")),
    ("cluster", ("khoithidua", "cumthidua", "khoi$", "cum$")),
    ("year", _YEAR_KEYS),
    ("head_discipline", ("kyluatnguoidungdau", "nguoidungdaubikyluat", "klnguoidungdau")),
    ("leader_name", ("hovatennguoidungdau", "nguoidungdau$", "hovaten", "hoten")),
    ("leader_title", ("chucvu",)),
    ("collective_discipline", ("kyluattapthe", "kyluattochuc", "tochucbikyluat", "kltapthe")),
    ("disunity", ("matdoanket", "comatdoanket")),
    ("corruption", ("thamnhung", "viphamthamnhung")),
    ("low_confidence", ("tinnhiemthap",)),
    ("note", ("ghichu",)),
    ("not_rated", NOT_RATED_KEYS),
]


CONDITION = "condition:"  # the role of a condition's column: this prefix and the condition's name


def condition_meta(fw) -> list[tuple[str, tuple[str, ...]]]:
    """Column roles of a framework's conditions, matched by their names as offices write them (before the fixed
    roles: "… bị kỷ luật" is a condition's heading, not the discipline column)."""
    return [(CONDITION + name, (fold(name),)) for name in dict.fromkeys(c.name for c in fw.conditions)]


def not_rated_reason(text: str) -> str:
    """A "Không xếp loại" cell as the reason kept: its text; a bare yes mark gives a stated placeholder, a no or
    a blank the empty text (the unit is rated)."""
    text = text.strip()
    try:
        return NO_REASON if parse_flag(text) else ""
    except ValueError:
        return text


NO_REASON = "không ghi lý do"
NOT_RATED_HEADING = "Không xếp loại (lý do)"
