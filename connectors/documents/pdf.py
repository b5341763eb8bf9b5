"""Lay out an issued document (licence, permit, certificate) as a PDF with ReportLab."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from connectors._common import long_date

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#7b1e3a")  # a municipal maroon
QR_SIZE = 3.4 * cm


@dataclass(frozen=True)
class SignerInfo:
    name: str
    position: str


@dataclass(frozen=True)
class FeeLine:
    label: str
    amount: str


@dataclass(frozen=True)
class DocumentContent:
    """Everything printed on the document, already in its final words."""

    municipality: str
    title: str
    procedure_title: str
    folio: str
    issued_on: date
    verification_code: str
    verification_url: str
    body: Sequence[str] = ()  # ReportLab paragraph markup, one item per paragraph
    department: str | None = None
    expires_on: date | None = None
    signers: Sequence[SignerInfo] = ()
    fee_lines: Sequence[FeeLine] = ()
    fee_total: str | None = None
    payment_reference: str | None = None
    kind: str = "documento"


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]

    def style(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **{"textColor": INK, **kw})

    return {
        "municipality": style(
            "municipality", fontName="Helvetica-Bold", fontSize=15, leading=19, textColor=ACCENT
        ),
        "department": style("department", fontSize=10.5, leading=14, textColor=MUTED),
        "title": style(
            "title",
            fontName="Helvetica-Bold",
            fontSize=17,
            leading=22,
            alignment=TA_CENTER,
            spaceBefore=14,
            spaceAfter=10,
        ),
        "label": style("label", fontSize=8, leading=10, textColor=MUTED),
        "value": style("value", fontName="Helvetica-Bold", fontSize=10, leading=13),
        "body": style("body", fontSize=11, leading=16, alignment=TA_JUSTIFY, spaceAfter=8),
        "small": style("small", fontSize=8.5, leading=11, textColor=MUTED),
        "heading": style(
            "heading",
            fontName="Helvetica-Bold",
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "signer": style(
            "signer", fontName="Helvetica-Bold", fontSize=10, leading=13, alignment=TA_CENTER
        ),
        "position": style("position", fontSize=9, leading=12, alignment=TA_CENTER, textColor=MUTED),
        "code": style("code", fontName="Courier-Bold", fontSize=13, leading=16),
    }


def _paragraph(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph from trusted-shape markup; if the markup does not parse, show it as text."""
    try:
        return Paragraph(markup, style)
    except ValueError:
        return Paragraph(escape(markup), style)


def qr_drawing(text: str, size: float = QR_SIZE) -> Drawing:
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _numbered_canvas(footer_left: str) -> type[Canvas]:
    """A canvas that knows the page count when it draws each footer («Página 2 de 3»)."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for page in self._pages:
                self.__dict__.update(page)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _ = self._pagesize
            self.saveState()
            self.setStrokeColor(colors.HexColor("#cbd2d9"))
            self.setLineWidth(0.5)
            self.line(2 * cm, 1.6 * cm, width - 2 * cm, 1.6 * cm)
            self.setFont("Helvetica", 8)
            self.setFillColor(MUTED)
            self.drawString(2 * cm, 1.1 * cm, footer_left)
            self.drawRightString(width - 2 * cm, 1.1 * cm, f"Página {self._pageNumber} de {total}")
            self.restoreState()

    return NumberedCanvas


def render_pdf(content: DocumentContent) -> bytes:
    """The document as PDF bytes (unsigned; see `connectors.documents.signing`)."""
    st = _styles()
    story: list[Any] = []

    header = [Paragraph(escape(content.municipality), st["municipality"])]
    if content.department:
        header.append(Paragraph(escape(content.department), st["department"]))
    story.extend(header)
    story.append(Spacer(1, 4))
    story.append(HRFlowable(width="100%", thickness=1.2, color=ACCENT, spaceAfter=4))
    story.append(Paragraph(escape(content.title), st["title"]))

    validity = long_date(content.expires_on) if content.expires_on else "Sin vencimiento"
    facts = [
        ("Folio del expediente", content.folio),
        ("Fecha de expedición", long_date(content.issued_on)),
        ("Vigente hasta", validity),
        ("Trámite", content.procedure_title),
    ]
    cells = [
        [Paragraph(escape(label), st["label"]), Paragraph(escape(value), st["value"])]
        for label, value in facts
    ]
    facts_table = Table(cells, colWidths=[4.2 * cm, None], hAlign="LEFT")
    facts_table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#e4e7eb")),
            ]
        )
    )
    story.append(facts_table)
    story.append(Spacer(1, 14))

    for markup in content.body:
        story.append(_paragraph(markup, st["body"]))

    if content.fee_lines:
        story.append(Paragraph("Derechos pagados", st["heading"]))
        rows = [[escape(line.label), line.amount] for line in content.fee_lines]
        if content.fee_total:
            rows.append(["Total", content.fee_total])
        fees = Table(rows, colWidths=[None, 4.2 * cm], hAlign="LEFT")
        fees.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
                    ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9),
                    ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.5, MUTED),
                    ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                ]
            )
        )
        story.append(fees)
        if content.payment_reference:
            story.append(
                Paragraph(f"Línea de captura: {escape(content.payment_reference)}", st["small"])
            )

    if content.signers:
        story.append(Spacer(1, 22))
        story.append(Paragraph("Atentamente", st["position"]))
        story.append(Spacer(1, 26))
        blocks = []
        for signer in content.signers:
            blocks.append(
                [
                    HRFlowable(width=6.5 * cm, thickness=0.6, color=INK, spaceAfter=3),
                    Paragraph(escape(signer.name), st["signer"]),
                    Paragraph(escape(signer.position), st["position"]),
                ]
            )
        signers = Table([blocks], colWidths=[7.5 * cm] * len(blocks), hAlign="CENTER")
        signers.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(KeepTogether([signers]))

    verify_text = [
        Paragraph("Código de verificación", st["label"]),
        Paragraph(escape(content.verification_code), st["code"]),
        Spacer(1, 4),
        Paragraph(
            "Compruebe que este documento es auténtico en "
            f'<link href="{escape(content.verification_url)}" color="#7b1e3a">'
            f"{escape(content.verification_url)}</link> o escaneando el código QR.",
            st["small"],
        ),
    ]
    story.append(Spacer(1, 22))
    story.append(KeepTogether([qr_box(content.verification_url, verify_text)]))
    return build_pdf(
        story,
        title=f"{content.title} · {content.folio}",
        municipality=content.municipality,
        subject=content.procedure_title,
        keywords=[content.kind, content.folio, content.verification_code],
        footer=f"{content.municipality} · Folio {content.folio} · {content.verification_code}",
    )


def qr_box(url: str, texts: list[Any]) -> Table:
    """A framed box: the QR code of `url` beside some paragraphs."""
    box = Table([[qr_drawing(url), texts]], colWidths=[QR_SIZE + 0.4 * cm, None], hAlign="LEFT")
    box.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#cbd2d9")),
                ("LEFTPADDING", (0, 0), (0, 0), 2),
            ]
        )
    )
    return box


def build_pdf(
    story: list[Any],
    *,
    title: str,
    municipality: str,
    subject: str,
    keywords: list[str],
    footer: str,
    invariant: bool = False,
) -> bytes:
    """Lay out the story on letter paper with the numbered footer ("Página N de M")."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2.2 * cm,
        title=title,
        author=municipality,
        subject=subject,
        creator="Tramita",
        keywords=keywords,
        invariant=int(invariant),
    )
    doc.build(story, canvasmaker=_numbered_canvas(footer))
    return buffer.getvalue()
