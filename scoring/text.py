"""Text normalisation and cell parsing shared by the reader and validation.

Everything users type is normalised to NFC before it is compared or stored; names of sheets,
columns and labels are compared on a folded key (no case, diacritics, spaces or punctuation).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache

_FOLD_DROP = re.compile(r"[\s\W_]+", re.UNICODE)
# Every character `str.split()` splits on but the space (tests/test_properties.py checks the list).
OTHER_BLANKS = tuple(
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def nfc(value: object) -> str:
    """Cell value as NFC text with surrounding and repeated blanks removed."""
    if value is None:
        return ""
    text = number_text(value) if isinstance(value, float) else str(value)
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(value: object) -> str:
    """Matching key: lower case, no diacritics (đ→d), no spaces or punctuation."""
    return _fold_text(value) if isinstance(value, str) else _fold_text(nfc(value))


@lru_cache(maxsize=1 << 16)
def _fold_text(value: str) -> str:
    # Headings and labels repeat across thousands of forms: each is folded once.
    text = unicodedata.normalize("NFD", nfc(value).lower().replace("đ", "d"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _FOLD_DROP.sub("", text)


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, frozenset[int]]:
    words = [fold(w) for w in _FOLD_DROP.split(text)]
    ends, total = set(), 0
    for w in words:
        total += len(w)
        if w:
            ends.add(total)
    return "".join(words), frozenset(ends)


def heading_matches(text: object, keys: tuple[str, ...]) -> bool:
    """Whether a heading or label is named by one of `keys` (folded, see `fold`). A key matches the start of the
    heading only where a word ends ("diemtru" is "Điểm trừ …", not "Điểm trung bình"); a key ending in "$" must be
    the whole heading ("nam$" is "Năm", not "Năm sinh")."""
    folded, ends = _words(nfc(text))
    for key in keys:
        if key.endswith("$"):
            if folded == key[:-1]:
                return True
        elif folded.startswith(key) and len(key) in ends:
            return True
    return False


def unit_code(value: object) -> str:
    """The one normal form of a unit code, used by the reader, the store and rank changes: NFC, trimmed, upper case,
    inner spaces collapsed; a code of digits only loses its leading zeros, so "001" typed as text and 1 stored as a
    number are the same unit."""
    if isinstance(value, float):
        value = number_text(value)
    text = " ".join(nfc(value).upper().split())
    return str(int(text)) if text.isdigit() else text


def unit_codes(texts: list[str]) -> list[str]:
    """`unit_code` of many texts; upper case maps each character on its own (and never to a blank or NUL), so the
    column is upper-cased as one string."""
    normal = nfc_all(texts)
    joined = _column_string(normal)
    upper = joined.upper().split("\x00") if joined is not None else [t.upper() for t in normal]
    return [str(int(t)) if t.isdigit() else t for t in upper]


def cluster_key(value: object) -> str:
    """Clusters are the same when they differ only in case or spacing ("Khối Cơ quan", "KHỐI  CƠ QUAN")."""
    return " ".join(nfc(value).casefold().split())


def code_key(code: object) -> str:
    """Matching key of a criterion code: case and spaces ignored, dots kept ("1.1" ≠ "11")."""
    return nfc(code).replace(" ", "").rstrip(".").upper()


def _column_string(texts: list[str]) -> str | None:
    """Texts joined by NUL, to be transformed as one string and split again; None when a text holds NUL itself."""
    joined = "\x00".join(texts)
    return joined if texts and joined.count("\x00") == len(texts) - 1 else None


def nfc_all(texts: list[str]) -> list[str]:
    """`nfc` of many strings, in one normalisation of their join: a column of 60,000 names costs a fraction of
    calling `nfc` on each. NUL separates them: it is a starter that composes with nothing, so normalisation does not
    cross it. Blanks are tidied one by one only when the join holds any to tidy (substring searches, in C)."""
    joined = _column_string(texts)
    if joined is None:
        return [nfc(t) for t in texts]
    joined = unicodedata.normalize("NFC", joined)
    untidy = (
        joined.startswith(" ")
        or joined.endswith(" ")
        or any(blank in joined for blank in ("  ", " \x00", "\x00 ", *OTHER_BLANKS))
    )
    parts = joined.split("\x00")
    return [" ".join(p.split()) for p in parts] if untidy else parts


def number_text(value: float) -> str:
    """A float as the user typed it: 2.0 → "2", 8.5 → "8.5"."""
    return str(int(value)) if value.is_integer() else repr(value)


def parse_number(value: object) -> float | None:
    """A score cell as a float; None for blank. Raises ValueError for anything non-numeric.

    Accepts numbers stored as text with a comma decimal mark ("8,5") and stray spaces.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if value != value:  # NaN
            return None
        return float(value)
    text = nfc(value).replace(" ", "")
    if text in ("", "-", "–", "—"):
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return float(number)


def exact(value: float) -> Decimal:
    """The decimal the user typed for a float read from a sheet (shortest repr)."""
    return Decimal(repr(float(value)))


_YES = {"x", "co", "c", "yes", "y", "true", "1", "✓", "✔", "☑", "v", "dung"}
_NO = {"", "khong", "k", "no", "n", "false", "0", "-"}


def parse_flag(value: object) -> bool:
    """A yes/no cell: "x", "có", "✓" … mean yes; blank or "không" mean no. Raises ValueError."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    raw = nfc(value).lower()
    if raw in ("✓", "✔", "☑", "☒", "×"):
        return True
    if raw in ("-", "–", "—", "☐"):
        return False
    key = fold(raw)
    if not key and raw:
        raise ValueError(value)  # "?", "…": punctuation says nothing, it is not a "no"
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError(value)


# Disciplinary levels, lightest first (domain glossary). 0 = none.
DISCIPLINE_LABELS = {1: "khiển trách", 2: "cảnh cáo", 3: "cách chức", 4: "khai trừ/giải tán"}
_DISCIPLINE_KEYS = {"khientrach": 1, "canhcao": 2, "cachchuc": 3, "khaitru": 4, "giaitan": 4}
# A yes flag in a collective-discipline column: disciplined, level not stated.
DISCIPLINE_UNSPECIFIED = -1


def parse_discipline(value: object, allow_flag: bool) -> int:
    """A discipline cell as a level 0..4; with allow_flag, a bare "x" gives DISCIPLINE_UNSPECIFIED."""
    key = fold(value)
    for name, level in _DISCIPLINE_KEYS.items():
        if key.startswith(name) or key.startswith("kyluat" + name):
            return level
    if parse_flag(value):
        if allow_flag:
            return DISCIPLINE_UNSPECIFIED
        raise ValueError(value)
    return 0


# ------------------------------------------------------------ text written into files people open in a spreadsheet

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # full-width ones too
_PLAIN_NUMBER = re.compile(r"^[+-]?\d[\d.,\s]*%?$")


def formula_like(value: object) -> bool:
    """A text a spreadsheet would take for a formula (or a DDE command) when it opens the file: "=HYPERLINK(…)",
    "+1+1", "@SUM(…)", "-2+3+cmd|…"; a plain number with its sign ("-1,50") is not one."""
    return isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value)


def inert(value: object) -> object:
    """A value as every writer of text-only files (CSV, a table a person downloads) puts it: a formula-like text
    behind an apostrophe, which spreadsheets show as text; anything else unchanged. Workbooks keep the exact text
    in a string cell instead (`template.put`, `report.text_cell`)."""
    return "'" + value if formula_like(value) else value
