"""The words of the scoresheets: sheet names, column headings, form labels and the keys the reader matches them
by (folded: lower case, no accents, no spaces). The reader, the blank templates and the sample writer all use
these, so that what is written can always be read back."""
from __future__ import annotations

from .framework import LEADER, UNIT

SHEET_UNITS, SHEET_LEADERS, SHEET_FRAMEWORK = "Tổ chức", "Người đứng đầu", "Tiêu chí"

HEADER_SCAN_ROWS = 40

SELF, REVIEW = "self", "review"

SELF_KEYS = ("tucham", "tudanhgia")

REVIEW_KEYS = ("thamdinh", "captrencham", "captren", "danhgiacuacaptren")

UNIT_META = [
    ("code", ("madonvi", "madv", "matochuc", "matccsd", "maso")),
    ("name", ("tendonvi", "tentochuc", "tentccsd", "ten")),
    ("cluster", ("khoithidua", "cumthidua", "khoi", "cum")),
    ("year", ("namdanhgia", "nam")),
    ("bonus", ("diemthuong", "diemcong")),
    ("penalty", ("diemtru",)),
    ("collective_discipline", ("kyluattapthe", "kyluattochuc")),
    ("head_discipline", ("kyluatnguoidungdau",)),
    ("disunity", ("matdoanket",)),
    ("corruption", ("thamnhung",)),
    ("note", ("ghichu",)),
    ("ignored", ("stt", "tt", "tongdiem", "tongcong", "xeploai", "xephang", "diemtuchamtong", "tong")),
]

LEADER_META = [
    ("code", ("madonvi", "madv", "matochuc", "matccsd", "maso")),
    ("unit_name", ("tendonvi", "tentochuc", "tentccsd")),
    ("name", ("hovaten", "hoten", "nguoidungdau", "ten")),
    ("title", ("chucvu",)),
    ("year", ("namdanhgia", "nam")),
    ("discipline", ("kyluat",)),
    ("low_confidence", ("tinnhiemthap", "phieutinnhiemthap")),
    ("note", ("ghichu",)),
    ("ignored", ("stt", "tt", "tongdiem", "tongcong", "xeploai", "xephang", "tong")),
]

ROLE_LABEL = {
    UNIT: {"code": "Mã đơn vị", "name": "Tên đơn vị"},
    LEADER: {"code": "Mã đơn vị", "name": "Họ và tên"},
}

TOTAL_ROW = ("tongcong", "cong", "tong")

TOTAL_PREFIXES = {"tổng", "tong", "cộng", "cong", "ngườ", "nguo", "nơi ", "noi ", "xác ", "xac ", "t/m ", "tm. "}

FORM_LABELS = [
    ("code", ("madonvi", "madv", "matochuc", "matccsd")),
    ("name", ("tendonvi", "tentochuc", "tentccsd", "donvi", "tochuccosodang")),
    ("cluster", ("khoithidua", "cumthidua", "khoi", "cum")),
    ("year", ("namdanhgia", "nam")),
    ("leader_name", ("hovatennguoidungdau", "nguoidungdau", "hovaten", "hoten")),
    ("leader_title", ("chucvu",)),
    ("collective_discipline", ("kyluattapthe", "kyluattochuc")),
    ("head_discipline", ("kyluatnguoidungdau",)),
    ("disunity", ("matdoanket",)),
    ("corruption", ("thamnhung",)),
    ("low_confidence", ("tinnhiemthap",)),
    ("note", ("ghichu",)),
]

FORM_LABEL_NAMES = {"collective_discipline": "Kỷ luật tập thể", "head_discipline": "Kỷ luật người đứng đầu",
                     "disunity": "Mất đoàn kết", "corruption": "Tham nhũng",
                     "low_confidence": "Tín nhiệm thấp trên 50%"}
