"""The notification draft as a PDF, laid out with fpdf2 (pure Python: no system library).

Text is set in DejaVu Sans when Debian's fonts-dejavu-core is there (every character of a
URL or a French phrase), else in the PDF core font Helvetica, which holds Latin-1 only: other
characters are replaced by "?" rather than failing the document.
"""

from pathlib import Path

from .notification import Document

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
MARGIN = 18  # mm


def _font(pdf) -> tuple[str, bool]:
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu", True
    return "Helvetica", False


def render_pdf(doc: Document) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    family, unicode_font = _font(pdf)
    pdf.set_title(doc.title if unicode_font else doc.title.encode("latin-1", "replace").decode("latin-1"))
    pdf.set_creator("leakwatch")
    pdf.set_lang(doc.lang)
    pdf.add_page()

    def text(value) -> str:
        value = str(value)
        return value if unicode_font else value.encode("latin-1", "replace").decode("latin-1")

    def paragraph(value, size=10, style="", after=2.0):
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, size * 0.5, text(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(after)

    paragraph(doc.title, 15, "B", 3)
    for value in doc.intro:
        paragraph(value)
    for section in doc.sections:
        paragraph(section.title, 12, "B", 1)
        for value in section.paragraphs:
            paragraph(value)
        for bullet in section.bullets:
            paragraph("- " + bullet, after=0.5)
        if section.bullets:
            pdf.ln(1.5)
        if section.table:
            pdf.set_font(family, "", 8.5)
            with pdf.table(first_row_as_headings=True, text_align="LEFT", line_height=4.5) as table:
                for cells in section.table:
                    row = table.row()
                    for cell in cells:
                        row.cell(text(cell))
            pdf.ln(2)
    return bytes(pdf.output())
