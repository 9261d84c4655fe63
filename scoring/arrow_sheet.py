"""A large .xlsx sheet read into a Grid through Arrow, without a Python object per cell (run in the parse worker).

fastexcel (calamine underneath, as on the general path) loads the sheet as floats: number cells come back exact, and
the cells it cannot make a float come back as errors that name their value (`String("…")`, `Error(NA)`, `DateTime(…)`).
Two kinds of cell it turns into floats silently: booleans and texts that read as numbers ("1.1", a criterion's code).
Their type is written in the sheet's XML, so a scan of the XML (on a second thread, while fastexcel parses) finds them
and they become text, as python-calamine types them. A sheet this path cannot type exactly as the general path would
(date or time cells, a cell without its reference, an XML namespace prefix) raises `GeneralPath`: the caller reads it
the general way. tests/test_arrow_sheet.py checks that both paths give the same grids.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .sheet_xml import column_number
from .text import nfc_all

# Texts that a float parser might take: anything starting with a sign, a digit, a point, "inf" or "nan" (or blank).
_NUMBER_LIKE = rb"[\s+\-.0-9IiNn]"
_INLINE = re.compile(rb"<is>\s*<t(?:\s[^>]*)?>(" + _NUMBER_LIKE + rb"[^<]*)</t>")
_FORMULA_TEXT = re.compile(
    rb't="str"[^>]*>\s*(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?\s*<v>(' + _NUMBER_LIKE + rb"[^<]*)</v>"
)
_BOOLEAN = re.compile(rb't="b"[^>]*>\s*(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?\s*<v>([01])</v>')
_CELL_START = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,3})(\d+)"')
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')
_SHARED_ITEM = re.compile(rb"<si>(.*?)</si>", re.S)
_PHONETIC = re.compile(rb"<rPh\b.*?</rPh>", re.S)
_ITEM_TEXT = re.compile(rb"<t(?:\s[^>]*)?>([^<]*)</t>")
_RUST_ESCAPE = re.compile(r"\\(u\{[0-9a-f]+\}|.)")
_RUST_CHARS = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_TEXT_ERROR = "Expected float but got 'String(\""
_ERROR_VALUE = "Expected float but got 'Error("
CHUNK = 1 << 22


class GeneralPath(Exception):
    """This sheet is read by the general path (python-calamine's cells)."""


@dataclass
class Scan:
    """What the sheet's XML says that the float load cannot: cells that are texts or booleans though they read as
    numbers ((row, col) → text, 0-based), merged ranges as python-calamine gives them, whether any formula is there."""

    texts: dict[tuple[int, int], str] = field(default_factory=dict)
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    has_formula: bool = False


def scan(data: bytes, part: str) -> Scan:
    """One pass over the sheet's XML in chunks cut at row ends (a cell never spans two chunks)."""
    out = Scan()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        shared = _number_like_shared(z)
        shared_cell = re.compile(rb't="s"[^>]*>\s*<v>(' + b"|".join(shared) + rb")</v>") if shared else None
        with z.open(part) as f:
            tail, first = b"", True
            while chunk := f.read(CHUNK):
                buf = tail + chunk
                if first and b"<sheetData" not in buf:
                    raise GeneralPath("sheetData not found unprefixed in the first chunk")
                if shared is None and b't="s"' in buf:
                    raise GeneralPath("shared strings in a part not found")
                first = False
                end = buf.rfind(b"</row>")  # none: all of the chunk waits for the next
                cut = (end + len(b"</row>") if end >= 0 else 0) if len(chunk) == CHUNK else len(buf)
                _scan_part(buf[:cut], out, shared, shared_cell)
                tail = buf[cut:]
            _scan_part(tail, out, shared, shared_cell)
    return out


def _scan_part(xml: bytes, out: Scan, shared: dict[bytes, str] | None, shared_cell) -> None:
    out.has_formula = out.has_formula or b"<f" in xml
    for pattern, value in (
        (_INLINE, lambda m: html.unescape(m.group(1).decode())),
        (_FORMULA_TEXT, lambda m: html.unescape(m.group(1).decode())),
        (_BOOLEAN, lambda m: "True" if m.group(1) == b"1" else "False"),
        (shared_cell, lambda m: shared[m.group(1)]),
    ):
        if pattern is None:
            continue
        for m in pattern.finditer(xml):
            out.texts[_cell_of(xml, m.start())] = value(m)
    for m in _MERGE.finditer(xml):
        r0, c0 = int(m.group(2)) - 1, _index(m.group(1))
        r1, c1 = (int(m.group(4)) - 1, _index(m.group(3))) if m.group(3) else (r0, c0)
        out.merged.append(((r0, c0), (r1, c1)))


def _cell_of(xml: bytes, at: int) -> tuple[int, int]:
    """The (row, col) of the cell whose element holds position `at`."""
    start = xml.rfind(b"<c", 0, at)
    while start >= 0 and xml[start + 2 : start + 3] not in (b" ", b">", b"/", b"\t", b"\n", b"\r"):
        start = xml.rfind(b"<c", 0, start)
    m = _CELL_START.match(xml, start) if start >= 0 else None
    if m is None:
        raise GeneralPath("a cell without its reference")
    return int(m.group(2)) - 1, _index(m.group(1))


def _number_like_shared(z: zipfile.ZipFile) -> dict[bytes, str] | None:
    """Index (as written in a cell) → text of the shared strings a float parser might take; None if the workbook has
    no shared strings part where they are usually kept (its cells then send the sheet the general way)."""
    names = [n for n in z.namelist() if n.lower().endswith("sharedstrings.xml")]
    if len(names) != 1:
        return None
    xml = z.read(names[0])
    out = {}
    for i, m in enumerate(_SHARED_ITEM.finditer(xml)):
        text = html.unescape(b"".join(_ITEM_TEXT.findall(_PHONETIC.sub(b"", m.group(1)))).decode())
        if text[:1] and re.match(_NUMBER_LIKE.decode(), text[:1]):
            out[str(i).encode()] = text
    return out


def _index(letters: bytes) -> int:
    return column_number(letters) - 1


def load(reader, name: str, scanned: Callable[[], Scan]):
    """The sheet as (height, width, numbers per column, texts per column, merged ranges), typed as the general path
    types it. The XML's scan (`scanned()`, run beside the parse) is waited for after the parse."""
    sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="float")
    batch, errors = sheet.to_arrow_with_errors()
    columns = sheet.available_columns()
    first = columns[0].absolute_index if columns else 0
    height, width = batch.num_rows, first + batch.num_columns if columns else 0
    numbers = [np.full(height, np.nan) for _ in range(first)] + [_floats(c, height) for c in batch.columns]
    texts: list[dict[int, str]] = [{} for _ in range(width)]
    cells = errors.errors if errors else []
    for (row, col), detail in zip([e.position for e in cells], [e.detail for e in cells]):
        if detail.startswith(_TEXT_ERROR):  # String("…")
            texts[first + col][row] = detail[len(_TEXT_ERROR) : -3]
        elif not detail.startswith(_ERROR_VALUE):  # #N/A and the like are blank, as on the general path
            raise GeneralPath(detail[:200])  # dates, times, durations: python-calamine's own types
    found = scanned()
    for (row, col), text in found.texts.items():
        if col < width and row < height and row not in texts[col]:  # a text the float load took as a number
            numbers[col][row] = np.nan
            texts[col][row] = text
    return height, width, numbers, [_tidy(column) for column in texts], found.merged


def _floats(column, height: int) -> np.ndarray:
    """An Arrow float column as numpy floats, NaN where null, read from its buffers (pyarrow's own conversion loads
    pandas: a third of a second in the worker)."""
    buffers = column.buffers()
    if len(buffers) < 2 or buffers[1] is None:  # a column of nulls only
        return np.full(height, np.nan)
    start = column.offset
    values = np.frombuffer(buffers[1], dtype=np.float64, count=start + height)[start:].copy()
    if buffers[0] is not None and column.null_count:
        valid = np.unpackbits(np.frombuffer(buffers[0], dtype=np.uint8), bitorder="little")[start : start + height]
        values[valid == 0] = np.nan
    return values


def _tidy(column: dict[int, str]) -> dict[int, str]:
    """NFC, blanks tidied, empty texts dropped, as the general path keeps them."""
    if not column:
        return column
    rows = list(column)
    values = [_RUST_ESCAPE.sub(_unescape, t) if "\\" in t else t for t in column.values()]
    return {r: t for r, t in zip(rows, nfc_all(values)) if t}


def _unescape(m: re.Match) -> str:
    code = m.group(1)
    return chr(int(code[2:-1], 16)) if code.startswith("u{") else _RUST_CHARS.get(code, code)
