"""The report's tables: each column described once (heading, width, where its values come from, cell type), and
their rows written as sheet XML for speed.

xlsxwriter's cell API costs about 10 µs a cell (argument checks, per-attribute escaping); a 60,000-unit report
has three million cells. So xlsxwriter writes everything else through its public API — including, in each table's
place, one blank cell in every format the rows use (so that the workbook holds those formats and the sheet's
extent covers the table) — and once it has closed the workbook, `Book.close` copies it, putting the rows in that
place, written as the same cell XML xlsxwriter writes: inline strings, never formulas, styles by the index
xlsxwriter gave each format.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

TIER = "tier"  # a column's style: the row's tier in its own colour (values are tier codes)
LINE_HEIGHT = 15.75  # points per line of 12 pt Times New Roman
MAX_ROW_HEIGHT = 409  # points, Excel's largest row
MAX_CELL_TEXT = 32_767  # Excel's limit on the characters of a cell
CLIPPED = " … (đã cắt bớt: ô Excel chứa tối đa 32.767 ký tự)"
COLUMN = [xl_col_to_name(c) for c in range(16_384)]  # every column a sheet can have
ROWS_PER_WRITE = 2_000


@dataclass(frozen=True)
class Column:
    """One column of a report table. `values` takes the table (one row per line) and returns the column's values;
    `style` names a format of the report's formats (TIER: the tier's own); a text whose column `wraps` sets the
    row's height at `width × wraps` characters per line."""

    heading: str
    width: float
    values: Callable[[pd.DataFrame], Sequence]
    style: str
    number: bool = False
    wraps: float = 0


def field(name: str) -> Callable[[pd.DataFrame], list]:
    return lambda table: table[name].tolist()


def serial(table: pd.DataFrame) -> list[int]:
    """1, 2, … down the table (its lines are numbered from 0 when handed to `Book.table`)."""
    return (table.index + 1).tolist()


def cell_text(value: object) -> str:
    """A text as a cell can hold it: clipped, with a note, past Excel's 32,767 characters."""
    text = str(value)
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - len(CLIPPED)] + CLIPPED


_LITERAL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def xml_text(value: object) -> tuple[str, str]:
    """Escaped text of an inline string and the <t> attribute that keeps its outer spaces. Control characters
    become `_xHHHH_` as Excel writes them, and a literal `_xHHHH_` keeps its underscore escaped."""
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", _LITERAL_ESCAPE.sub(r"_x005F\1", cell_text(value)))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text, ' xml:space="preserve"' if text != text.strip() else ""


def text_cell(col: int, row: int, style: int, value: object) -> str:
    """A string cell: never a formula, whatever the text starts with."""
    text, preserve = xml_text(value)
    return f'<c r="{COLUMN[col]}{row + 1}" s="{style}" t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def number_cell(col: int, row: int, style: int, value: float) -> str:
    if value is None or value is pd.NA or value != value:  # none (a unit not rated has no rank), NaN: a blank cell
        return f'<c r="{COLUMN[col]}{row + 1}" s="{style}"/>'
    return f'<c r="{COLUMN[col]}{row + 1}" s="{style}"><v>{value:.16G}</v></c>'


def row_height(texts_and_widths: list[tuple[str, float]]) -> float:
    """Height for wrapped text: LibreOffice and Excel keep a written file's row heights, so the writer
    estimates them (about 1.1 characters of Times New Roman 12 pt per unit of column width)."""
    lines = max((-(-len(text) // max(int(width * 1.1) - 1, 1)) for text, width in texts_and_widths), default=1)
    return min(max(lines, 1) * LINE_HEIGHT + 3, MAX_ROW_HEIGHT)


@dataclass(frozen=True)
class _Table:
    sheet: str
    first: int  # the first row of the table's lines (0-based)
    columns: list[Column]
    lines: pd.DataFrame
    formats: object  # the report's formats (an attribute per style; `tier`: code → format)


class Book:
    """An xlsxwriter workbook whose tables are written as XML when it closes (see the module's text)."""

    def __init__(self, target: str | Path | io.BytesIO, options: dict):
        self.target, self.buffer, self.tables = target, io.BytesIO(), []
        self.workbook = xlsxwriter.Workbook(self.buffer, options)

    def table(self, ws, first: int, columns: list[Column], table: pd.DataFrame, formats) -> None:
        """The lines of `table` from row `first` of `ws`, one cell per column."""
        if not len(table):
            return
        used = [formats.tier[v] for c in columns if c.style == TIER for v in sorted(set(c.values(table)))]
        used += list({c.style: getattr(formats, c.style) for c in columns if c.style != TIER}.values())
        for k, used_format in enumerate(used):  # the formats of the rows, kept in the workbook
            ws.write_blank(first + k // len(columns), k % len(columns), None, used_format)
        ws.write_blank(first + len(table) - 1, len(columns) - 1, None, formats.text)  # the sheet's extent
        self.tables.append(_Table(ws.get_name(), first, columns, table.reset_index(drop=True), formats))

    def close(self) -> None:
        self.workbook.close()
        with zipfile.ZipFile(self.buffer) as source, _open_zip(self.target) as out:
            parts = _sheet_parts(source)
            tables = {parts[t.sheet]: t for t in self.tables}
            for info in source.infolist():
                if info.filename not in tables:
                    out.writestr(info, source.read(info))
                    continue
                xml = source.read(info).decode("utf-8")
                table = tables[info.filename]
                start, end = _rows_span(xml, table.first, len(table.lines))
                rows = zipfile.ZipInfo(info.filename, info.date_time)
                rows.compress_type = zipfile.ZIP_DEFLATED
                with out.open(rows, "w") as part:
                    part.write(xml[:start].encode("utf-8"))
                    for rows_xml in _rows(table):
                        part.write(rows_xml.encode("utf-8"))
                    part.write(xml[end:].encode("utf-8"))


def _open_zip(target: str | Path | io.BytesIO) -> zipfile.ZipFile:
    return zipfile.ZipFile(target if isinstance(target, io.BytesIO) else str(target), "w", zipfile.ZIP_DEFLATED)


def _sheet_parts(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → its part in the package, as the workbook's own relationships say."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    targets = {
        rel.get("Id"): rel.get("Target")
        for rel in ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels")).findall("p:Relationship", ns)
    }
    sheets = ElementTree.fromstring(book.read("xl/workbook.xml")).findall("m:sheets/m:sheet", ns)
    return {s.get("name"): "xl/" + targets[s.get(f"{{{ns['r']}}}id")].lstrip("/").removeprefix("xl/") for s in sheets}


_ROW = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)


def _rows_span(xml: str, first: int, count: int) -> tuple[int, int]:
    """Where the rows of the table's place (its formats' blank cells) lie in the sheet's XML."""
    inside = [m for m in _ROW.finditer(xml) if first < int(m.group(1)) <= first + count]
    return inside[0].start(), inside[-1].end()


def _rows(table: _Table) -> Iterator[str]:
    """The table's rows, ROWS_PER_WRITE lines at a time (a national table's values never all in Python at once)."""
    writers = [_writer(c, table.formats) for c in table.columns]
    labels = table.formats.tiers.label
    wrapping = [(k, c.width * c.wraps, c.style == TIER) for k, c in enumerate(table.columns) if c.wraps]
    for start in range(0, len(table.lines), ROWS_PER_WRITE):
        lines = table.lines.iloc[start : start + ROWS_PER_WRITE]
        rows = []
        for i, values in enumerate(zip(*(c.values(lines) for c in table.columns)), start=table.first + start):
            cells = "".join([write(k, i, v) for k, (write, v) in enumerate(zip(writers, values))])
            height = row_height([(labels[values[k]] if tier else values[k], w) for k, w, tier in wrapping])
            rows.append(f'<row r="{i + 1}" ht="{height:.16g}" customHeight="1">{cells}</row>')
        yield "".join(rows)


def _writer(column: Column, formats) -> Callable[[int, int, object], str]:
    """The column's cell, with the style index xlsxwriter gave its format."""
    if column.style == TIER:
        styles = {code: f.xf_index for code, f in formats.tier.items()}
        labels = formats.tiers.label
        return lambda k, r, code: text_cell(k, r, styles[code], labels[code])
    style = getattr(formats, column.style).xf_index
    if column.number:
        return lambda k, r, v: number_cell(k, r, style, v)
    return lambda k, r, v: text_cell(k, r, style, v)
