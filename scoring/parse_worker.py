"""The process that parses untrusted spreadsheets: `python -m scoring.parse_worker`, started by workbook.Loading.

It reads jobs from standard input (an 8-byte length, then a file's bytes) and answers each on standard output
(an 8-byte length, then a pickle of ("ok", grids) or ("error", message)), until its input closes. It lives in a
process of its own because calamine aborts the whole process on some crafted files, and under a memory limit
so that a file cannot take the machine's memory. Started as a fresh interpreter (not through multiprocessing,
which would run the parent's main script again in every child: the whole web app, seconds per file), it
imports only the parser.
"""

from __future__ import annotations

import os
import pickle
import re
import resource
import struct
import sys

from .workbook import CHILD_MEMORY_BYTES, PASSWORD_PROTECTED, UnreadableFile, parse_spreadsheet

HEADER = struct.Struct("<Q")
_PASSWORD_WORDS = re.compile(r"password|encrypt|filepass", re.IGNORECASE)
UNREADABLE = "Tệp hỏng hoặc không đúng định dạng bảng tính, không đọc được: hãy mở bằng Excel rồi lưu lại dạng .xlsx"


def memory_limit(file_size: int = 0) -> int:
    """The address-space limit for parsing a file: this process's current size plus room in proportion to the file
    (at least 768 MiB, at most CHILD_MEMORY_BYTES), never above the hard limit it inherited (RLIM_INFINITY, -1 on
    Linux, means none: it must not leak into the arithmetic)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _vm_bytes() + min(CHILD_MEMORY_BYTES, max(768 * 2**20, 64 * file_size))
    return limit if hard == resource.RLIM_INFINITY else min(limit, hard)


def _limit_memory(file_size: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit(file_size), resource.getrlimit(resource.RLIMIT_AS)[1]))


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _read_exact(stream, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _answer(out, value) -> None:
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(HEADER.pack(len(payload)) + payload)
    out.flush()


def serve(inp, out) -> None:
    while (head := _read_exact(inp, HEADER.size)) is not None:
        data = _read_exact(inp, HEADER.unpack(head)[0])
        if data is None:
            return
        _limit_memory(len(data))
        try:
            _answer(out, ("ok", parse_spreadsheet(data)))
        except UnreadableFile as e:
            _answer(out, ("error", str(e)))
        except MemoryError:
            _answer(out, ("error", "Tệp quá lớn để đọc (vượt giới hạn bộ nhớ)"))
        except BaseException as e:  # noqa: BLE001 - anything the parser raises means an unreadable file
            detail = f"{type(e).__name__}: {str(e)[:500]}"
            message = PASSWORD_PROTECTED if _PASSWORD_WORDS.search(detail) else UNREADABLE
            _answer(out, ("error", message, detail))


def main() -> None:
    _limit_memory(0)
    if sys.argv[1:] == ["--limits"]:  # for the tests: the limit really in force inside the worker
        print(resource.getrlimit(resource.RLIMIT_AS)[0], _vm_bytes())
        return
    # A crash in the parser would print a Rust backtrace: the parent reports it in Vietnamese instead.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    serve(sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
