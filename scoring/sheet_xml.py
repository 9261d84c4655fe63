"""What a .xlsx sheet's XML says before and beside the parser: which part holds each sheet, its real extent (a sheet
too large is refused before the parser allocates it), its formula cells without a cached value."""

from __future__ import annotations

import html
import io
import re
import zipfile

from .text import nfc

MAX_CELLS = 40_000_000


def column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


_SHEET_ENTRY = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"')
_REL_ENTRY = re.compile(rb'<Relationship\b[^>]*?Id="([^"]+)"[^>]*?Target="([^"]+)"')
_REL_ENTRY_REVERSED = re.compile(rb'<Relationship\b[^>]*?Target="([^"]+)"[^>]*?Id="([^"]+)"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="(\d+)"')
_WIDE_COLUMN = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{2,3})\d')
_FORMULA_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')


def xlsx_sheets(data: bytes) -> tuple[dict[str, tuple[str, int]], bool]:
    """Sheet name → its XML part in an .xlsx and that part's inflated size, and whether the workbook asks to be
    recalculated when opened (its cached formula values, e.g. the 0 xlsxwriter writes, are then not results)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            book, rels = z.read("xl/workbook.xml"), z.read("xl/_rels/workbook.xml.rels")
            sizes = {i.filename: i.file_size for i in z.infolist()}
    except (KeyError, zipfile.BadZipFile):
        return {}, False
    targets = dict(_REL_ENTRY.findall(rels)) | {i: t for t, i in _REL_ENTRY_REVERSED.findall(rels)}
    out = {}
    for name, rid in _SHEET_ENTRY.findall(book):
        target = targets.get(rid, b"").decode()
        if target:
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if path in sizes:
                out[nfc(html.unescape(name.decode()))] = out[html.unescape(name.decode())] = (path, sizes[path])
    return out, b'fullCalcOnLoad="1"' in book


def measure_xlsx_sheet(data: bytes, part: str, name: str, recalculate: bool, measure: bool) -> set[tuple[int, int]]:
    """Refuse a sheet whose real extent (last row × last column of its cells) is too large, reading its XML in
    chunks, if `measure`; return the cells holding a formula without a cached value (a file written by a program
    and never opened in Excel or LibreOffice).

    Only sheets up to MEASURED_SHEET_BYTES are measured: a sheet whose cells lie far apart is small; a large sheet
    is dense, and the memory limit bounds it (measuring every cell reference of a 60,000-row sheet would cost more
    than parsing it)."""
    rows = cols = 0
    has_formula = False
    with zipfile.ZipFile(io.BytesIO(data)) as z, z.open(part) as f:
        tail = b""
        while chunk := f.read(1 << 22):
            buf = tail + chunk
            has_formula = has_formula or b"<f" in buf
            tail = buf[-64:]
            if not measure:
                continue
            found = _ROW_REF.findall(buf)
            if found:
                rows = max(rows, max(map(int, found)))
            wide = _WIDE_COLUMN.findall(buf)
            cols = max(cols, max(map(column_number, set(wide))) if wide else 26)
            if rows * cols > MAX_CELLS:
                from .workbook import UnreadableFile, column_letter

                far = f"dòng {rows}, cột {column_letter(cols - 1)}"
                raise UnreadableFile(
                    f"Trang “{name}” quá lớn (ô xa nhất ở {far}): hãy xóa các ô thừa ở xa bảng rồi lưu lại"
                )
        if not has_formula:
            return set()
        xml = z.read(part)
    out = set()
    for attrs, body in _FORMULA_CELL.findall(xml):
        if body and b"<f" in body and (recalculate or not re.search(rb"<(?:\w+:)?v>[^<]", body)):
            ref = _CELL_REF.search(attrs)
            if ref:
                out.add((int(ref.group(2)) - 1, column_number(ref.group(1)) - 1))
    return out
