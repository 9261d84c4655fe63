"""Filling a template (docxtpl, Jinja in a sandbox: an uploaded template may not reach Python), checking an uploaded
one, and printing to PDF with LibreOffice when the machine has it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..filetypes import zip_bomb
from .templates import KINDS, REQUIRED

PDF_TIMEOUT = 300  # seconds: a 5,000-unit list is some hundred pages
NOT_WORD = "Tệp mẫu không phải tệp Word (.docx) đọc được."
MAX_TEMPLATE = 20 * 2**20  # bytes of an uploaded template, and 100 MiB unpacked: a letterhead with a logo fits


class TemplateProblem(ValueError):
    """An uploaded template that cannot be used; the message says why, in Vietnamese."""


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, each part of a template compiled once: the letters fill one template for every unit, and
    compiling took 40 % of each."""

    KEPT = 64  # parts: a few templates of about eight parts each

    def __init__(self):
        super().__init__(autoescape=True)
        self.compiled = {}

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None:
            return super().from_string(source, globals, template_class)
        found = self.compiled.get(source)
        if found is None:
            if len(self.compiled) >= self.KEPT:
                self.compiled.clear()
            found = self.compiled[source] = super().from_string(source)
        return found


_SANDBOX = _Sandbox()


def render(template: bytes, context: dict) -> bytes:
    """The document: the template with its tags filled, every value written as the very characters it holds."""
    doc = DocxTemplate(io.BytesIO(template))
    try:
        doc.render(context, jinja_env=_SANDBOX, autoescape=True)
    except TemplateError as e:  # an uploaded template that asks for what a document does not hold
        raise TemplateProblem(f"Không điền được mẫu văn bản: {e.message or type(e).__name__}") from e
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def check_template(kind: str, content: bytes) -> None:
    """Refuse a template that is no Word file, whose tags do not parse, or that leaves out a name the document
    needs; the message names what to fix."""
    if len(content) > MAX_TEMPLATE:
        raise TemplateProblem(f"Tệp mẫu quá lớn ({len(content) / 2**20:.0f} MB, tối đa 20 MB).")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            bomb = zip_bomb(package.infolist(), 5 * MAX_TEMPLATE)
            reaching = None if bomb else _reaches_out(package)
    except zipfile.BadZipFile as e:
        raise TemplateProblem(NOT_WORD) from e
    if bomb:
        raise TemplateProblem(bomb + ".")
    if reaching:
        raise TemplateProblem(
            f"Tệp mẫu có {reaching} (liên kết ra ngoài tệp, trường INCLUDE/LINK/DDE hoặc đối tượng nhúng): "
            "hãy bỏ đi rồi tải lên lại."
        )
    try:
        doc = DocxTemplate(io.BytesIO(content))
        used = doc.get_undeclared_template_variables(ImmutableSandboxedEnvironment())
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise TemplateProblem(NOT_WORD) from e
    except TemplateError as e:
        raise TemplateProblem(f"Thẻ trong tệp mẫu viết sai: {e.message}") from e
    missing = sorted(REQUIRED[kind] - used)
    if missing:
        raise TemplateProblem(
            f"Tệp mẫu “{KINDS[kind]}” thiếu các thẻ: " + ", ".join("{{ " + m + " }}" for m in missing)
        )


_OUTSIDE = re.compile(rb'TargetMode="External"|\b(?:INCLUDETEXT|INCLUDEPICTURE|LINK|DDE|DDEAUTO)\b')


def _reaches_out(package: zipfile.ZipFile) -> str | None:
    """What in a template would make Word or LibreOffice read something outside the file when it is printed (a
    linked image, a field that includes a file, a DDE link, an embedded object), or None."""
    for name in package.namelist():
        if name.startswith("word/embeddings/"):
            return f"đối tượng nhúng “{name}”"
        if name.endswith((".xml", ".rels")) and _OUTSIDE.search(package.read(name)):
            return f"“{name}”"
    return None


def pdf_available() -> bool:
    return _soffice() is not None


def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: bytes) -> bytes:
    return to_pdfs({"van_ban.docx": docx})["van_ban.pdf"]


def to_pdfs(files: dict[str, bytes]) -> dict[str, bytes]:
    """Word files printed to PDF by LibreOffice in one run (its start-up costs seconds), in a profile of its own:
    runs side by side never share one. Name → PDF, named like the file."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            (folder / name).write_bytes(content)
        subprocess.run(
            [
                _soffice() or "soffice",
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder / "pdf"),
                *(str(folder / name) for name in files),
            ],
            check=True,
            capture_output=True,
            timeout=PDF_TIMEOUT + len(files),
        )
        return {Path(n).stem + ".pdf": (folder / "pdf" / (Path(n).stem + ".pdf")).read_bytes() for n in files}


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            z.writestr(name, content)
    return out.getvalue()
