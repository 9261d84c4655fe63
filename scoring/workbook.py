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
import resource
import threading
import time
import zipfile
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
    raise UnreadableFile("Không phải tệp bảng tính (.xlsx, .xlsm, .xls, .ods hoặc .csv)")


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
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFile("Tệp nén hỏng, không đọc được") from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNPACKED_BYTES:
        raise UnreadableFile(f"Tệp giải nén quá lớn ({total / 2**20:.0f} MB), có thể là tệp độc hại (zip bomb)")
    for i in infos:
        if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise UnreadableFile("Tỷ lệ nén bất thường, có thể là tệp độc hại (zip bomb)")
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return "xlsx"
    if "content.xml" in names:
        return "ods"
    raise UnreadableFile("Tệp nén nhưng không phải bảng tính Excel hoặc ODS")


def _csv_grid(data: bytes, name: str) -> Grid:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("Tệp CSV không ở mã UTF-8; hãy lưu lại với mã hóa UTF-8") from None
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    return _grid(name, rows, [])


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
    # fork is cheap but unsafe with threads (Streamlit); forkserver forks from a clean process.
    return mp.get_context("fork" if threading.active_count() == 1 else "forkserver")


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
