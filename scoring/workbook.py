"""Safe loading of untrusted spreadsheet files into plain grids of cells.

Parsing runs in a child process with a memory and time limit: calamine aborts the whole process on
some crafted files (a sheet whose cells are far apart makes it allocate the dense range), and a
Python process cannot catch an abort. Zip containers (.xlsx/.xlsm/.ods) are checked for bombs from
their directory before anything is inflated.
"""
from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import re
import resource
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .text import nfc
from .validation import Issue

MAX_FILE_BYTES = 200 * 2**20
MAX_UNPACKED_BYTES = 1 * 2**30
MAX_RATIO = 200  # inflated / compressed, for any member larger than 1 MiB once inflated
MAX_CELLS = 40_000_000
CHILD_MEMORY_BYTES = 6 * 2**30
CHILD_SECONDS = 300

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class UnreadableFile(Exception):
    """The file cannot be read as a spreadsheet; the message is for users, in Vietnamese."""


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

    def value(self, row: int, col: int) -> float | str | None:
        if col >= self.width or row >= self.height:
            return None
        text = self.texts[col].get(row)
        if text is not None:
            return text
        number = self.numbers[col][row]
        return None if np.isnan(number) else float(number)

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
        return "xls", digest
    if Path(name).suffix.lower() in (".csv", ".txt"):
        return "csv", digest
    raise UnreadableFile(_not_a_spreadsheet(data, name))


def _not_a_spreadsheet(data: bytes, name: str) -> str:
    """Why a file is no spreadsheet, in words an office worker can act on."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    suffix = Path(name).suffix.lower() or "không đuôi"
    if head.startswith(b"%pdf"):
        return "Tệp PDF, không phải bảng tính: hãy gửi tệp Excel (.xlsx, .xls), .ods hoặc .csv"
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return (f"Tệp dạng “XML Spreadsheet 2003” đặt đuôi {suffix}, không đọc được: "
                "hãy mở bằng Excel rồi lưu lại dạng .xlsx")
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or b"<html" in head:
        return (f"Tệp là trang web (HTML) đặt đuôi {suffix}, không phải bảng tính thật "
                "(nhiều phần mềm xuất “Excel” kiểu này): hãy mở bằng Excel rồi lưu lại dạng .xlsx")
    return "Không phải tệp bảng tính (.xlsx, .xlsm, .xls, .ods hoặc .csv)"


class Loading:
    """Files being parsed, each in its own child process, at most `workers` at a time.

    Children start as soon as the Loading is made, so a caller can do other work (imports,
    other files) while they run; `books()` waits for all of them."""

    def __init__(self, files: list[tuple[str, bytes]], workers: int = max(os.cpu_count() or 1, 1)):
        self.files = files
        self._workers = workers
        self._results: list[Book | UnreadableFile | None] = [None] * len(files)
        self._pending = list(range(len(files)))
        self._running: dict[int, tuple] = {}
        self._fill()

    def _fill(self) -> None:
        while self._pending and len(self._running) < self._workers:
            i = self._pending.pop(0)
            name, data = self.files[i]
            try:
                kind, digest = _checked(data, name)
                if kind == "csv":
                    self._results[i] = Book(name, digest, len(data), kind, [_csv_grid(data, Path(name).stem)])
                    continue
            except UnreadableFile as e:
                self._results[i] = e
                continue
            self._running[i] = (_start_child(data), kind, digest, time.monotonic())

    def books(self) -> list[Book | UnreadableFile]:
        while self._running:
            conns = {run[0][0]: i for i, run in self._running.items()}
            ready = mp_connection.wait(list(conns), timeout=1.0)
            now = time.monotonic()
            for i, run in list(self._running.items()):
                (conn, proc), kind, digest, started = run
                if conn in ready or now - started > CHILD_SECONDS:
                    name, data = self.files[i]
                    outcome = _finish_child(conn, proc, conn in ready)
                    self._results[i] = outcome if isinstance(outcome, UnreadableFile) else \
                        Book(name, digest, len(data), kind, outcome)
                    del self._running[i]
            self._fill()
        return list(self._results)


def _check_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            total = sum(i.file_size for i in infos)
            if total > MAX_UNPACKED_BYTES:
                raise UnreadableFile(f"Tệp giải nén quá lớn ({total / 2**20:.0f} MB), "
                                     "có thể là tệp độc hại (zip bomb)")
            for i in infos:
                if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                    raise UnreadableFile("Tỷ lệ nén bất thường, có thể là tệp độc hại (zip bomb)")
            _check_xml_heads(z, infos)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, zlib.error, NotImplementedError):
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
            cols = _column_number(m.group(3)) - _column_number(m.group(1)) + 1
            if rows * cols > MAX_CELLS:
                ref = f"{m.group(3).decode()}{int(m.group(4))}"
                raise UnreadableFile(f"Trang tính có ô dữ liệu ở tận ô {ref} ({rows} dòng × {cols} cột), "
                                     "quá lớn để đọc: hãy xóa các ô thừa nằm xa bảng rồi lưu lại")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters.decode():
        n = n * 26 + ord(ch) - 64
    return n


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
    nan = float("nan")
    for col in zip(*rows) if rows else []:
        # Plain comprehensions: the child avoids importing pandas so that it starts at once.
        numbers.append(np.array([v if v.__class__ is float else (v if v.__class__ is int else nan) for v in col],
                                dtype=float))
        other = [i for i, v in enumerate(col) if v.__class__ is not float and v.__class__ is not int and v != ""]
        column_texts = {}
        for i in other:
            text = nfc(col[i])
            if text:
                column_texts[i] = text
        texts.append(column_texts)
    return Grid(nfc(name), height, width, numbers, texts, list(merged or []))


def _parse(data: bytes) -> list[Grid]:
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    grids = []
    for meta in wb.sheets_metadata:
        if str(meta.typ) != "SheetTypeEnum.WorkSheet":
            continue
        sheet = wb.get_sheet_by_name(meta.name)
        rows = sheet.to_python(skip_empty_area=False)
        grids.append(_grid(meta.name, rows, sheet.merged_cell_ranges))
    return grids


def _child(conn, data: bytes) -> None:
    # A crash in the parser would print a Rust backtrace: the parent reports it in Vietnamese instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    limit = min(CHILD_MEMORY_BYTES + _vm_bytes(), resource.RLIM_INFINITY - 1)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        conn.send(("ok", _parse(data)))
    except UnreadableFile as e:
        conn.send(("error", str(e)))
    except BaseException as e:  # noqa: BLE001 - anything calamine raises means an unreadable file
        conn.send(("error", f"Tệp hỏng hoặc không đúng định dạng ({type(e).__name__}: {str(e)[:200]})"))
    finally:
        conn.close()


def _vm_bytes() -> int:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _context():
    # fork is cheap but unsafe with threads (Streamlit); forkserver forks from a clean process, which
    # imports the parser once so that each child does not import it again (seconds per file otherwise).
    if threading.active_count() == 1:
        return mp.get_context("fork")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__, "python_calamine"])
    return ctx


def _start_child(data: bytes):
    ctx = _context()
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, data), daemon=True)
    proc.start()
    child.close()
    return parent, proc


def _finish_child(conn, proc, ready: bool) -> list[Grid] | UnreadableFile:
    try:
        if not ready:
            return UnreadableFile("Đọc tệp quá lâu, đã dừng (tệp quá lớn hoặc hỏng)")
        status, payload = conn.recv()
    except (EOFError, OSError):
        return UnreadableFile("Tệp hỏng hoặc quá lớn để đọc (trình đọc bị dừng)")
    finally:
        conn.close()
        if proc.is_alive():
            proc.kill()
        proc.join()
    return UnreadableFile(payload) if status == "error" else payload
