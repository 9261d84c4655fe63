"""Evidence files: their names as kept and shown, and their type judged by their content."""

from __future__ import annotations

import io
import unicodedata
import zipfile

from ..filetypes import JPEG_MAGIC, OLE_MAGIC, PDF_MAGIC, PNG_MAGIC, ZIP_MAGIC, zip_bomb
from ..text import nfc
from .sheet import RoundError

MAX_EVIDENCE_BYTES = 20 * 2**20


MAX_EVIDENCE_UNPACKED = 100 * 2**20  # an Office file's parts together; real documents are far smaller


_SIGNATURES = [
    (PDF_MAGIC, "application/pdf"),
    (PNG_MAGIC, "image/png"),
    (JPEG_MAGIC, "image/jpeg"),
    (OLE_MAGIC, "application/x-ole-storage"),
]


_OFFICE = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


_EXTENSIONS = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "application/x-ole-storage": {"doc", "xls"},
    _OFFICE["word/"]: {"docx"},
    _OFFICE["xl/"]: {"xlsx"},
}


def evidence_name(name: str) -> str:
    """A file name as it is kept and shown: NFC, no control characters (NUL included) nor path separators, no
    leading dots, at most 120 characters with its extension kept."""
    text = "".join("_" if c in "/\\" or unicodedata.category(c).startswith("C") else c for c in nfc(name))
    text = " ".join(text.split()).lstrip(". ") or "minh_chung"
    stem, dot, extension = text.rpartition(".")
    if len(text) > 120:
        text = (stem[: 120 - len(extension) - 1] + "." + extension) if dot and len(extension) <= 10 else text[:120]
    return text


def evidence_type(name: str, content: bytes) -> str:
    """The media type of an evidence file judged by its content (PDF, PNG, JPEG, Word, Excel), which its name must
    agree with; anything else, or anything over 20 MB, is refused."""
    if len(content) > MAX_EVIDENCE_BYTES:
        raise RoundError(f"Tệp “{name}” lớn hơn {MAX_EVIDENCE_BYTES // 2**20} MB.")
    media = next((m for sig, m in _SIGNATURES if content.startswith(sig)), None)
    if media is None and content.startswith(ZIP_MAGIC):
        try:
            infos = zipfile.ZipFile(io.BytesIO(content)).infolist()
        except (zipfile.BadZipFile, ValueError, OSError):
            infos = []
        bomb = zip_bomb(infos, MAX_EVIDENCE_UNPACKED)
        if bomb:
            raise RoundError(f"Tệp “{name}”: {bomb[0].lower()}{bomb[1:]}.")
        media = next((m for prefix, m in _OFFICE.items() if any(i.filename.startswith(prefix) for i in infos)), None)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if media is None or extension not in _EXTENSIONS[media]:
        raise RoundError(f"Tệp “{name}” không phải PDF, ảnh PNG/JPEG, Word hoặc Excel (kiểm tra theo nội dung tệp).")
    return media
