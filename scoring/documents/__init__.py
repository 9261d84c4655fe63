"""The committee's documents from a rated year (docs/documents.md): the decision with its attached list, the report
to the superior body, and a notice to each unit, as Word files in the party's format, and PDF where LibreOffice is
installed. `document` builds one from a result; scoring.documents.committee reads the store (details, templates,
a published round's reasons) and checks the rights."""

from __future__ import annotations

from datetime import datetime

from ..engine import YearResult
from ..presentation import scale
from . import context
from .details import CommitteeDetails
from .templates import DECISION, KINDS, LETTER, REPORT, REQUIRED, template_bytes
from .word import TemplateProblem, check_template, pdf_available, render, to_pdf, to_pdfs, zipped

FILE_NAMES = {DECISION: "quyet_dinh_{year}", REPORT: "bao_cao_{year}", LETTER: "thong_bao_{year}"}


def document(
    kind: str,
    result: YearResult,
    details: CommitteeDetails,
    now: datetime,
    template: bytes | None = None,
    previous: YearResult | None = None,
    reasons: dict[str, dict[str, str]] | None = None,
    pdf: bool = False,
) -> bytes:
    """One document as .docx (or .pdf); for LETTER a .zip of one file per unit, named by its code."""
    template = template or template_bytes(kind, scale(result.framework).codes)
    if kind == LETTER:
        files = {f"{code}.docx": render(template, c) for code, c in context.letters(result, details, now, reasons)}
        return zipped(to_pdfs(files) if pdf else files)
    filled = (
        context.decision(result, details, now) if kind == DECISION else context.report(result, previous, details, now)
    )
    docx = render(template, filled)
    return to_pdf(docx) if pdf else docx


MEDIA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
}


def file_name(kind: str, year: int, pdf: bool) -> str:
    """quyet_dinh_2025.docx or .pdf; the letters thong_bao_2025.zip, or thong_bao_2025_pdf.zip of PDF files."""
    stem = FILE_NAMES[kind].format(year=year)
    if kind == LETTER:
        return stem + ("_pdf" if pdf else "") + ".zip"
    return stem + (".pdf" if pdf else ".docx")


def media_type(name: str) -> str:
    return MEDIA_TYPES[name[name.rindex(".") :]]


__all__ = [
    "DECISION",
    "KINDS",
    "LETTER",
    "REPORT",
    "REQUIRED",
    "CommitteeDetails",
    "TemplateProblem",
    "check_template",
    "document",
    "file_name",
    "media_type",
    "pdf_available",
    "template_bytes",
    "to_pdf",
    "to_pdfs",
]
