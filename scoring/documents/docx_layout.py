"""The party's document format in python-docx (docs/documents.md): the page, the fonts, the header block, the
signature block, page numbers from page 2 and tables whose header row repeats. The default templates are built
with these; an office may change a template in Word and upload it."""

from __future__ import annotations

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

FONT = "Times New Roman"
BODY, SMALL, PARTY, TYPE = Pt(14), Pt(12), Pt(15), Pt(16)
CENTER, JUSTIFY, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT


def new_document(landscape: bool = False) -> Document:
    """A4, margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman 14 throughout."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = section.footer_distance = Mm(10)
    for name in ("Normal", "Table Grid"):
        style = doc.styles[name]
        style.font.name, style.font.size = FONT, BODY
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attribute), FONT)
    normal = doc.styles["Normal"].paragraph_format
    normal.space_before, normal.space_after, normal.line_spacing = Pt(0), Pt(0), 1.0
    _page_numbers(section)
    return doc


def _page_numbers(section) -> None:
    """The page number at the top centre of every page but the first."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def line(
    where,
    text: str = "",
    size=BODY,
    bold=False,
    italic=False,
    underline=False,
    align=LEFT,
    indent=False,
    page=False,
    keep=False,
):
    """One paragraph of one run (a template's tag must sit in one run); `where` is the document or a cell; `page`:
    it starts a new page; `keep`: on the same page as what follows."""
    paragraph = where.add_paragraph()
    paragraph.paragraph_format.page_break_before = page
    paragraph.paragraph_format.keep_with_next = keep
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
        paragraph.paragraph_format.space_after = Pt(6)
    run = paragraph.add_run(text)
    run.font.size, run.bold, run.italic, run.underline = size, bold, italic, underline
    return paragraph


def runs(where, parts: list[tuple[str, bool]], align=JUSTIFY, indent=True):
    """A paragraph of several runs, (text, bold) each: "Điều 1." in bold then its text."""
    paragraph = where.add_paragraph()
    paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
        paragraph.paragraph_format.space_after = Pt(6)
    for text, bold in parts:
        run = paragraph.add_run(text)
        run.font.size, run.bold = BODY, bold
    return paragraph


def _cell(table, row: int, col: int):
    cell = table.cell(row, col)
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)  # the empty paragraph a new cell holds
    return cell


def _widths(table, widths: list[float]) -> None:
    """Fixed column widths in cm (LibreOffice reads the grid, Word the cells)."""
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def two_columns(doc, widths=(8.0, 8.5)):
    """A borderless table of one row and two cells (the header and the signature blocks), never split over two
    pages."""
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, widths)
    _row_flag(table.rows[0], "w:cantSplit")
    return _cell(table, 0, 0), _cell(table, 0, 1)


def header_block(doc, symbol_tag: str) -> None:
    """Left: superior body (caps 14), issuing body (caps 14, bold), "*", the number; right: the Party's name (caps
    15, bold, underlined), place and date (italic)."""
    left, right = two_columns(doc)
    line(left, "{{ committee.superior_body }}", align=CENTER)
    line(left, "{{ committee.issuing_body }}", bold=True, align=CENTER)
    line(left, "*", align=CENTER)
    line(left, f"Số {symbol_tag}", align=CENTER)
    line(right, "ĐẢNG CỘNG SẢN VIỆT NAM", size=PARTY, bold=True, underline=True, align=CENTER)
    line(right, "")
    line(right, "{{ date_line }}", italic=True, align=CENTER)
    line(doc, "")


def signature_block(doc) -> None:
    """Left: "Nơi nhận:" underlined and the recipients in 12; right: on behalf, title, the name in bold."""
    left, right = two_columns(doc, (8.0, 8.5))
    line(left, "Nơi nhận:", bold=True, underline=True)
    line(left, "{%p for r in committee.recipients %}", size=SMALL)
    line(left, "- {{ r }}", size=SMALL)
    line(left, "{%p endfor %}", size=SMALL)
    line(right, "{{ committee.on_behalf }}", bold=True, align=CENTER)
    line(right, "{{ committee.signer_title }}", bold=True, align=CENTER)
    for _ in range(4):
        line(right, "", align=CENTER)
    line(right, "{{ committee.signer_name }}", bold=True, align=CENTER)


def _row_flag(row, name: str) -> None:
    flag = OxmlElement(name)
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def grid(doc, headings: list[str], widths: list[float]):
    """A bordered table with a bold heading row that repeats on every page; returns it."""
    table = doc.add_table(rows=1, cols=len(headings))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(table, widths)
    for cell, heading in zip(table.rows[0].cells, headings):
        cell.paragraphs[0].alignment = CENTER
        run = cell.paragraphs[0].add_run(heading)
        run.bold, run.font.size = True, SMALL
    _row_flag(table.rows[0], "w:tblHeader")  # printed again at the top of every page the table runs onto
    return table


def grid_row(table, texts: list[str], widths: list[float], bold=False, merged=False, aligns=None) -> None:
    """A row of the table: one text per cell, or one text over the whole row (`merged`)."""
    cells = table.add_row().cells
    if merged:
        cells = [cells[0].merge(cells[-1])]
    for k, (cell, text) in enumerate(zip(cells, texts)):
        if not merged:
            cell.width = Cm(widths[k])
        cell.paragraphs[0].alignment = (aligns or [LEFT] * len(texts))[k]
        run = cell.paragraphs[0].add_run(text)
        run.bold, run.font.size = bold, SMALL
