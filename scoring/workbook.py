"""Safe loading of untrusted spreadsheet files into plain grids of cells.

Parsing runs in a child process with a memory and time limit: calamine aborts the whole process on
some crafted files (a sheet whose cells are far apart makes it allocate the dense range), and a
Python process cannot catch an abort. Zip containers (.xlsx/.xlsm/.ods) are checked for bombs from
their directory before anything is inflated.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import importlib
import io
import logging
import math
import operator
import os
import pickle
import re
import selectors
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import compress, repeat
from pathlib import Path
from typing import TYPE_CHECKING

from .filetypes import OLE_MAGIC, ZIP_MAGIC, not_a_spreadsheet, zip_bomb
from .sheet_xml import MAX_CELLS, column_number, measure_xlsx_sheet, xlsx_sheets
from .text import nfc, nfc_all
from .validation import Issue

if TYPE_CHECKING:  # numpy loads only where grids are built: the parse worker and the parent start sooner
    import numpy as np

MAX_FILE_BYTES = 200 * 2**20
MAX_UNPACKED_BYTES = 1 * 2**30
MEASURED_SHEET_BYTES = 8 * 2**20  # sheets up to this size (inflated XML) are measured cell by cell before parsing
CHILD_MEMORY_BYTES = 6 * 2**30
CHILD_SECONDS = 300
log = logging.getLogger(__name__)
_HEADER = struct.Struct("<Q")  # the parse worker's message length prefix
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # where `python -m scoring.parse_worker` finds the package


class UnreadableFile(Exception):
    """The file cannot be read as a spreadsheet; the message is for users, in Vietnamese."""


PASSWORD_PROTECTED = (
    "Tệp được đặt mật khẩu nên không đọc được. Hãy mở tệp, bỏ mật khẩu rồi lưu lại: trong Excel "
    "chọn Tệp › Thông tin › Bảo vệ sổ làm việc › Mã hóa bằng mật khẩu, xóa mật khẩu, bấm OK rồi lưu; "
    "trong LibreOffice chọn Lưu thành và bỏ chọn “Lưu với mật khẩu”."
)
_ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # an OLE file holding an encrypted .xlsx/.xlsb


@dataclass
class Grid:
    """One sheet: per column, numbers (NaN where not a number) and the non-numeric cells as text.

    Row and column indexes are 0-based from cell A1, so Excel row = index + 1.
    """

    name: str
    height: int
    width: int
    numbers: list[np.ndarray]
    texts: list[dict[int, str]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    hidden: bool = False  # a hidden or very hidden sheet
    uncalculated: set[tuple[int, int]] = field(default_factory=set)  # formula cells without a cached value

    def value(self, row: int, col: int) -> float | str | None:
        if col >= self.width or row >= self.height:
            return None
        text = self.texts[col].get(row)
        if text is not None:
            return text
        number = self.numbers[col][row]
        return None if math.isnan(number) else float(number)

    def row_values(self, row: int) -> list:
        return [self.value(row, c) for c in range(self.width)]


@dataclass
class Book:
    name: str
    sha256: str
    size: int
    kind: str  # "xlsx", "xls", "ods" or "csv"
    sheets: list[Grid]


def read_bytes(paths: list[str | Path]) -> tuple[list[tuple[str, bytes]], list[Issue]]:
    """Files from disk as (name, bytes); a file that cannot be opened is an issue."""
    files, issues = [], []
    for p in map(Path, paths):
        try:
            files.append((p.name, p.read_bytes()))
        except OSError as e:
            issues.append(Issue("error", f"Không mở được tệp ({e.strerror})", p.name))
    return files, issues


def column_letter(col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def load(data: bytes, name: str) -> Book:
    """Parse one file's bytes into grids. Raises UnreadableFile with a Vietnamese message."""
    result = Loading([(Path(name).name, data)]).books()[0]
    if isinstance(result, UnreadableFile):
        raise result
    return result


def _checked(data: bytes, name: str) -> tuple[str, str]:
    """Cheap checks before any parsing: size, container type, zip bomb. Returns (kind, sha256)."""
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableFile(f"Tệp quá lớn ({len(data) / 2**20:.0f} MB, tối đa {MAX_FILE_BYTES // 2**20} MB)")
    if not data:
        raise UnreadableFile("Tệp rỗng")
    digest = hashlib.sha256(data).hexdigest()
    if data.startswith(ZIP_MAGIC):
        return _check_zip(data), digest
    if data.startswith(OLE_MAGIC):
        if _ENCRYPTED_PACKAGE in data[: 1 << 20] or _ENCRYPTED_PACKAGE in data[-(1 << 20) :]:
            raise UnreadableFile(PASSWORD_PROTECTED)
        return "xls", digest
    if Path(name).suffix.lower() in (".csv", ".txt"):
        return "csv", digest
    raise UnreadableFile(not_a_spreadsheet(data, name))


class Loading:
    """Files being parsed by at most `workers` worker processes (`scoring.parse_worker`), each fed one file at a
    time, so that a file that crashes or exhausts its worker is reported alone and the others go on.

    Workers start as soon as the Loading is made, so a caller can do other work (imports, other files) while
    they run; `books()` waits for all of them."""

    def __init__(self, files: list[tuple[str, bytes]], workers: int = max(os.cpu_count() or 1, 1)):
        self.files = files
        self._results: list[Book | UnreadableFile | None] = [None] * len(files)
        self._pending: list[tuple[int, str, str]] = []  # (index, kind, sha256) still to parse
        for i, (name, data) in enumerate(files):
            try:
                kind, digest = _checked(data, name)
                if kind == "csv":
                    self._results[i] = Book(name, digest, len(data), kind, [_csv_grid(data, Path(name).stem)])
                else:
                    self._pending.append((i, kind, digest))
            except UnreadableFile as e:
                self._results[i] = e
        self._idle = [_Worker() for _ in range(min(workers, len(self._pending)))]
        self._busy: dict[_Worker, tuple[int, str, str, float]] = {}
        self._assign()

    def _assign(self) -> None:
        while self._pending and self._idle:
            job = self._pending.pop(0)
            worker = self._idle.pop()
            if worker.send(self.files[job[0]][1]):
                self._busy[worker] = (*job, time.monotonic())
            else:  # the worker died before taking the job: the job goes back, a fresh worker will take it
                self._pending.insert(0, job)
                self._idle.append(_Worker())

    def books(self) -> list[Book | UnreadableFile]:
        with selectors.DefaultSelector() as selector:
            while self._busy:
                for worker in self._busy:
                    if worker.out.fileno() not in selector.get_map():
                        selector.register(worker.out, selectors.EVENT_READ, worker)
                ready = {key.data for key, _ in selector.select(timeout=1.0)}
                now = time.monotonic()
                for worker, (i, kind, digest, started) in list(self._busy.items()):
                    if worker not in ready and now - started <= CHILD_SECONDS:
                        continue
                    selector.unregister(worker.out)
                    del self._busy[worker]
                    if worker in ready:
                        outcome = worker.receive()
                    else:
                        worker.proc.kill()
                        outcome = UnreadableFile("Đọc tệp quá lâu, đã dừng (tệp quá lớn hoặc hỏng)")
                    name, data = self.files[i]
                    self._results[i] = (
                        outcome if isinstance(outcome, UnreadableFile) else Book(name, digest, len(data), kind, outcome)
                    )
                    if worker.alive():
                        self._idle.append(worker)
                    else:  # crashed or killed: a fresh worker takes the files still waiting
                        worker.stop()
                        if self._pending:
                            self._idle.append(_Worker())
                self._assign()
        for worker in self._idle:
            worker.stop()
        self._idle = []
        return list(self._results)


class _Worker:
    """One `python -m scoring.parse_worker` process and its pipes."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scoring.parse_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=_PACKAGE_ROOT,
        )
        self.out = self.proc.stdout

    def send(self, data: bytes) -> bool:
        try:
            self.proc.stdin.write(_HEADER.pack(len(data)) + data)
            self.proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            self.stop()
            return False

    def receive(self) -> list[Grid] | UnreadableFile:
        head = self.out.read(_HEADER.size)
        payload = self.out.read(_HEADER.unpack(head)[0]) if len(head) == _HEADER.size else b""
        if not payload:
            self.stop()
            return UnreadableFile("Tệp hỏng hoặc quá lớn để đọc (trình đọc bị dừng)")
        status, value, *detail = pickle.loads(payload)
        if detail and detail[0]:
            log.warning("parse worker: %s", detail[0])  # the user sees the Vietnamese message only
        return UnreadableFile(value) if status == "error" else value

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def _check_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if any(i.flag_bits & 0x1 for i in infos) or (
                "META-INF/manifest.xml" in names and b"encryption-data" in z.read("META-INF/manifest.xml")
            ):
                raise UnreadableFile(PASSWORD_PROTECTED)
            bomb = zip_bomb(infos, MAX_UNPACKED_BYTES)
            if bomb:
                raise UnreadableFile(bomb)
            _check_xml_heads(z, infos)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError):
        raise UnreadableFile("Tệp bị hỏng (có thể tải lên chưa hết hoặc lỗi khi sao chép), không đọc được") from None
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "content.xml" in names:
        return "ods"
    raise UnreadableFile("Tệp nén nhưng không phải bảng tính Excel hoặc ODS")


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?"')


def _check_xml_heads(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """The first bytes of each XML part, after the size checks: an Office file never declares XML
    entities (entity expansion, "billion laughs"), and a sheet whose used range is too large for the parser
    gets a message that says what to do instead of a crashed reader."""
    for info in infos:
        if not info.filename.endswith((".xml", ".rels")) or info.file_size == 0:
            continue
        with z.open(info) as f:
            head = f.read(4096)
        if b"<!ENTITY" in head:  # a bare DOCTYPE (old OpenOffice manifests) is harmless
            raise UnreadableFile("Tệp chứa khai báo XML không được phép (DTD/ENTITY), có thể là tệp độc hại")
        m = _DIMENSION.search(head) if info.filename.startswith("xl/worksheets/") else None
        if m and m.group(3):
            rows = int(m.group(4)) - int(m.group(2)) + 1
            cols = column_number(m.group(3)) - column_number(m.group(1)) + 1
            if rows * cols > MAX_CELLS:
                ref = f"{m.group(3).decode()}{int(m.group(4))}"
                raise UnreadableFile(
                    f"Trang tính có ô dữ liệu ở tận ô {ref} ({rows} dòng × {cols} cột), "
                    "quá lớn để đọc: hãy xóa các ô thừa nằm xa bảng rồi lưu lại"
                )


def _csv_grid(data: bytes, name: str) -> Grid:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("Tệp CSV không ở mã UTF-8; hãy lưu lại với mã hóa UTF-8") from None
    rows = list(csv.reader(io.StringIO(text), delimiter=_csv_delimiter(text)))
    return _grid(name, rows, [])


def _csv_delimiter(text: str) -> str:
    """The delimiter that splits the first lines into the most cells of one consistent width.

    Excel in a Vietnamese locale writes ";" (the comma is the decimal mark), so "8,5" in a
    semicolon file must not make the comma win, as csv.Sniffer lets it."""
    head = text[:65536].splitlines()[:60]
    best, best_score = ",", 0
    for delimiter in (",", ";", "\t"):
        widths = [len(r) for r in csv.reader(head, delimiter=delimiter) if len(r) > 1]
        if not widths:
            continue
        mode = max(set(widths), key=lambda w: (widths.count(w), w))
        score = widths.count(mode) * mode
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _grid(name: str, rows: list[list], merged) -> Grid:
    """Cells (calamine's python values, '' for empty) into a column-wise Grid."""
    height = len(rows)
    width = max((len(r) for r in rows), default=0)
    if height * width > MAX_CELLS:
        raise UnreadableFile(f"Trang “{name}” quá lớn ({height} dòng × {width} cột)")
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    numbers, texts = [], []
    for col in zip(*rows) if rows else []:
        column_numbers, column_texts = _column(col)
        numbers.append(column_numbers)
        texts.append(column_texts)
    return Grid(nfc(name), height, width, numbers, texts, _clipped(merged, height, width))


def _clipped(merged, height: int, width: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Merged ranges clipped to the cells that exist: a range over a whole column (C1:C1048576) must cost what the
    sheet costs, not a million rows."""
    return [
        ((r0, c0), (min(r1, height - 1), min(c1, width - 1)))
        for (r0, c0), (r1, c1) in merged or []
        if r0 < height and c0 < width
    ]


_NUMBER_TYPES = frozenset((float, int))  # exact classes: a bool cell is not a number


def _column(col: tuple) -> tuple[np.ndarray, dict[int, str]]:
    """One column's numbers (NaN elsewhere) and its other non-blank cells as NFC text.

    One comprehension marks the cells that are not numbers with the NaN object itself; C-level iterators then find
    them by identity, and their texts are normalised together (a national sheet has two million cells)."""
    import numpy as np

    nan = float("nan")
    values = [v if v.__class__ in _NUMBER_TYPES else nan for v in col]
    others = [i for i in compress(range(len(col)), map(operator.is_, values, repeat(nan))) if col[i] != ""]
    # Dates, times and booleans become text on their own; `nfc` of a text in NFC already is that text.
    texts = nfc_all([col[i] if col[i].__class__ is str else nfc(col[i]) for i in others])
    return np.fromiter(values, dtype=float, count=len(values)), {i: t for i, t in zip(others, texts) if t}


def parse_spreadsheet(data: bytes, arrow_from: int = MEASURED_SHEET_BYTES) -> list[Grid]:
    """Every worksheet of an .xlsx/.xls/.ods file as a Grid (run in a parse worker, never in the app's process).
    An .xlsx sheet is measured first by its real cells (its <dimension> may lie), so that a sheet too large is
    refused before the parser allocates it; formula cells without a cached value are noted. An .xlsx sheet larger
    than `arrow_from` (inflated XML) is read through Arrow (`arrow_sheet`), without a Python object per cell."""
    import python_calamine

    sheets, recalculate = xlsx_sheets(data) if data.startswith(ZIP_MAGIC) else ({}, False)
    large = {part for part, size in sheets.values() if size > MEASURED_SHEET_BYTES}
    arrow = {part for part, size in sheets.values() if size > arrow_from}
    with ThreadPoolExecutor(1) as beside:
        # The parser releases the GIL: meanwhile numpy (and pyarrow) load and the large sheets' XML is scanned.
        beside.submit(importlib.import_module, "numpy")
        if arrow:
            beside.submit(importlib.import_module, "pyarrow")
        scans = {part: beside.submit(_scan, data, part, recalculate, part in arrow) for part in large | arrow}
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        reader = _arrow_reader(data) if arrow else None
        grids = []
        for meta in wb.sheets_metadata:
            if str(meta.typ) != "SheetTypeEnum.WorkSheet":
                continue
            part = sheets.get(meta.name, ("", 0))[0]
            # A small sheet is measured before the parser allocates it.
            uncalculated = (
                measure_xlsx_sheet(data, part, meta.name, recalculate, True) if part and part not in large else set()
            )
            grid = _arrow_grid(reader, meta.name, scans[part]) if part in arrow else None
            if grid is None:
                sheet = wb.get_sheet_by_name(meta.name)
                grid = _grid(meta.name, sheet.to_python(skip_empty_area=False), sheet.merged_cell_ranges)
            grid.hidden = str(meta.visible) != "SheetVisibleEnum.Visible"
            grid.uncalculated = scans[part].result()[1] if part in large else uncalculated
            grids.append(grid)
    return grids


def _scan(data: bytes, part: str, recalculate: bool, arrow: bool):
    """A large sheet's XML, read beside the parser: what the Arrow path needs to type its cells (`arrow_sheet.Scan`,
    or None when read the general way), and its formula cells without a cached value."""
    from . import arrow_sheet

    if not arrow:
        return None, measure_xlsx_sheet(data, part, "", recalculate, False)
    try:
        found = arrow_sheet.scan(data, part)
    except arrow_sheet.GeneralPath as e:
        return e, measure_xlsx_sheet(data, part, "", recalculate, False)
    return found, (measure_xlsx_sheet(data, part, "", recalculate, False) if found.has_formula else set())


def _arrow_reader(data: bytes):
    import fastexcel

    return fastexcel.read_excel(data)


def _arrow_grid(reader, name: str, scanned: Future) -> Grid | None:
    """The sheet through Arrow, or None when it must be read the general way (arrow_sheet.GeneralPath)."""
    from . import arrow_sheet

    def found() -> arrow_sheet.Scan:
        scan = scanned.result()[0]
        if isinstance(scan, Exception):
            raise scan
        return scan

    try:
        height, width, numbers, texts, merged = arrow_sheet.load(reader, name, found)
    except arrow_sheet.GeneralPath as e:
        log.info("sheet %r read the general way: %s", name, e)
        return None
    if height * width > MAX_CELLS:
        raise UnreadableFile(f"Trang “{name}” quá lớn ({height} dòng × {width} cột)")
    return Grid(nfc(name), height, width, numbers, texts, _clipped(merged, height, width))
