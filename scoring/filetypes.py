"""What kind of file a byte string is, judged by its content (its first bytes, a zip archive's directory): shared
by the spreadsheet reader and the round's evidence files."""

from __future__ import annotations

import zipfile
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .ods, .docx: a zip archive
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, .doc: an OLE compound file
PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
MAX_RATIO = 200  # inflated / compressed, for any member larger than 1 MiB once inflated


def zip_bomb(infos: list[zipfile.ZipInfo], limit: int) -> str | None:
    """Why a zip archive (an Office file) must not be unpacked, if it must not: more than `limit` bytes in all,
    or a member compressed beyond any real document's ratio. Judged from the directory, before anything is read."""
    total = sum(i.file_size for i in infos)
    if total > limit:
        return f"Tệp giải nén quá lớn ({total / 2**20:.0f} MB), có thể là tệp độc hại (zip bomb)"
    if any(i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1) for i in infos):
        return "Tỷ lệ nén bất thường, có thể là tệp độc hại (zip bomb)"
    return None


def not_a_spreadsheet(data: bytes, name: str) -> str:
    """Why a file is no spreadsheet, in words an office worker can act on."""
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    suffix = Path(name).suffix.lower() or "không đuôi"
    if head.startswith(b"%pdf"):
        return "Tệp PDF, không phải bảng tính: hãy gửi tệp Excel (.xlsx, .xls), .ods hoặc .csv"
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return (
            f"Tệp dạng “XML Spreadsheet 2003” đặt đuôi {suffix}, không đọc được: "
            "hãy mở bằng Excel rồi lưu lại dạng .xlsx"
        )
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")) or b"<html" in head:
        return (
            f"Tệp là trang web (HTML) đặt đuôi {suffix}, không phải bảng tính thật "
            "(nhiều phần mềm xuất “Excel” kiểu này): hãy mở bằng Excel rồi lưu lại dạng .xlsx"
        )
    return "Không phải tệp bảng tính (.xlsx, .xlsm, .xls, .ods hoặc .csv)"
