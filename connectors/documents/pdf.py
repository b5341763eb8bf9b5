"""Lay out an issued document (licence, permit, certificate) as a PDF with ReportLab."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from connectors.common import long_date
from connectors.documents.signing import STAMP_HEIGHT, STAMP_WIDTH, SignatureStamp
from connectors.documents.typeface import (
    BOLD,
    REGULAR,
    draw_string,
    paragraph,
    register_fonts,
)
from workflow_engine.templates.markup import inline_markup

log = logging.getLogger(__name__)
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#7b1e3a")  # a municipal maroon
QR_SIZE = 3.4 * cm


@dataclass(frozen=True)
class SignerInfo:
    name: str
    position: str


@dataclass(frozen=True)
class Attachment:
    """A file an official attached to their decision: listed under «Anexos» and, when its
    bytes are at hand, embedded in the PDF (covered by the signature)."""

    name: str
    content_type: str
    data: bytes | None = None


@dataclass(frozen=True)
class FeeLine:
    label: str
    amount: str


@dataclass(frozen=True)
class DocumentTable:
    """A table of the document (owners, fee lines): a header row and text cells."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: Sequence[str] = ()  # "left" / "right" / "center" per column


@dataclass
class RenderedDocument:
    """The unsigned PDF and where each signer's visible stamp goes."""

    pdf: bytes
    stamps: list[SignatureStamp] = field(default_factory=list)


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
    holder: str | None = None
    tables: Sequence[DocumentTable] = ()
    logo_path: str | None = None
    # A dry run's document: «VISTA PREVIA» across every page, no verification code or QR.
    preview: bool = False
    attachments: Sequence[Attachment] = ()


PREVIEW_MARK = "VISTA PREVIA"

# Every text is set in DejaVu Sans, with fallbacks for CJK and emoji: see `typeface`.
register_fonts()  # the canvas, tables and the emblem name the faces directly


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles, built once per process (they are never modified)."""
    base = getSampleStyleSheet()["Normal"]
    family = register_fonts()

    def style(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **{"textColor": INK, "fontName": family, **kw})

    return {
        "municipality": style(
            "municipality", fontName=BOLD, fontSize=15, leading=19, textColor=ACCENT
        ),
        "department": style("department", fontSize=10.5, leading=14, textColor=MUTED),
        "title": style(
            "title",
            fontName=BOLD,
            fontSize=17,
            leading=22,
            alignment=TA_CENTER,
            spaceBefore=14,
            spaceAfter=10,
        ),
        "label": style("label", fontSize=8, leading=10, textColor=MUTED),
        "value": style("value", fontName=BOLD, fontSize=10, leading=13),
        "body": style("body", fontSize=11, leading=16, alignment=TA_JUSTIFY, spaceAfter=8),
        "small": style("small", fontSize=8.5, leading=11, textColor=MUTED),
        "heading": style(
            "heading",
            fontName=BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "signer": style("signer", fontName=BOLD, fontSize=10, leading=13, alignment=TA_CENTER),
        "position": style("position", fontSize=9, leading=12, alignment=TA_CENTER, textColor=MUTED),
        "code": style("code", fontName="Courier-Bold", fontSize=13, leading=16),
        "cell": style("cell", fontSize=9, leading=11.5),
        "amount_label": style("amount_label", fontSize=9, leading=11),
        "amount": style("amount", fontSize=9, leading=11, alignment=TA_RIGHT),
        "total_label": style("total_label", fontName=BOLD, fontSize=9, leading=11),
        "total_amount": style(
            "total_amount", fontName=BOLD, fontSize=9, leading=11, alignment=TA_RIGHT
        ),
    }


def letterhead(municipality: str, department: str | None, title: str) -> list[Any]:
    """Municipality, department, a rule and the title: the top of a receipt or a slip."""
    st = _styles()
    story: list[Any] = [paragraph(escape(municipality), st["municipality"])]
    if department:
        story.append(paragraph(escape(department), st["department"]))
    story.append(Spacer(1, 4))
    story.append(HRFlowable(width="100%", thickness=1.2, color=ACCENT, spaceAfter=4))
    story.append(paragraph(escape(title), st["title"]))
    return story


def facts_table(facts: Sequence[tuple[str, str]], *, padding: int | None = None) -> Table:
    """Label / value rows with thin separators (folio, procedure, applicant...)."""
    st = _styles()
    cells = [
        [paragraph(escape(label), st["label"]), paragraph(escape(value), st["value"])]
        for label, value in facts
    ]
    table = Table(cells, colWidths=[4.6 * cm, None], hAlign="LEFT")
    style: list[Any] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#e4e7eb")),
    ]
    if padding is not None:
        style += [("BOTTOMPADDING", (0, 0), (-1, -1), padding)]
        style += [("TOPPADDING", (0, 0), (-1, -1), padding)]
    table.setStyle(TableStyle(style))
    return table


def amounts_table(lines: Sequence[tuple[str, str]], total: str | None) -> Table:
    """Concept / amount rows (fees paid, a slip's lines), the total in bold under a rule."""
    st = _styles()
    rows = [
        [paragraph(escape(label), st["amount_label"]), paragraph(escape(amount), st["amount"])]
        for label, amount in lines
    ]
    if total:
        rows.append(
            [paragraph("Total", st["total_label"]), paragraph(escape(total), st["total_amount"])]
        )
    table_ = Table(rows, colWidths=[None, 4.2 * cm], hAlign="LEFT")
    if total:
        table_.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.5, MUTED)]))
    return table_


def _paragraph(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of document text: only <b>, <i> and <br/> are markup (never an image or
    a link); if that does not parse (a <b> left open), the text is shown as written."""
    safe = inline_markup(markup)
    try:
        return paragraph(safe, style)
    except ValueError:
        return paragraph(escape(safe), style)


class QrFlowable(Flowable):
    """A QR code drawn as one filled path (runs of dark modules merged into rectangles).

    ReportLab's QrCodeWidget builds one shape object per module and tries all eight mask
    patterns in pure Python: about 20 ms per document. Here the matrix comes from the
    `qrcode` package with a fixed mask (any of the eight is valid ISO/IEC 18004; the search
    only tunes contrast), so a code costs about 1 ms. A 4-module quiet zone is kept.
    """

    def __init__(self, text: str, size: float = QR_SIZE) -> None:
        super().__init__()
        self.text = text
        self.width = self.height = size

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        matrix = qr_matrix(self.text)
        n = len(matrix)
        module = self.width / n
        canvas = self.canv
        canvas.saveState()
        canvas.setFillColor(colors.black)
        path = canvas.beginPath()
        for r, row in enumerate(matrix):
            y = self.height - (r + 1) * module
            c = 0
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    path.rect(start * module, y, (c - start) * module, module)
                else:
                    c += 1
        canvas.drawPath(path, stroke=0, fill=1)
        canvas.restoreState()


def qr_matrix(text: str) -> list[list[bool]]:
    """The modules of the QR code of `text` (level M), with a 4-module quiet zone."""
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, mask_pattern=0)
    code.add_data(text)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_drawing(text: str, size: float = QR_SIZE) -> QrFlowable:
    return QrFlowable(text, size)


def _numbered_canvas(footer_left: str, watermark: str | None = None) -> type[Canvas]:
    """A canvas that knows the page count when it draws each footer («Página 2 de 3»),
    and stamps `watermark` across every page when given."""

    class NumberedCanvas(Canvas):
        # Set by ReportLab's Canvas but private, so left out of its stubs.
        _pagesize: tuple[float, float]
        _pageNumber: int  # noqa: N815  # ReportLab's own name
        _startPage: Callable[[], None]  # noqa: N815  # ReportLab's own name

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802  (ReportLab's method name)
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
            self.setFillColor(MUTED)
            draw_string(self, 2 * cm, 1.1 * cm, footer_left, REGULAR, 8)
            page = f"Página {self._pageNumber} de {total}"
            draw_string(self, width - 2 * cm, 1.1 * cm, page, REGULAR, 8, anchor="end")
            self.restoreState()
            if watermark:
                self._watermark(watermark)

        def _watermark(self, text: str) -> None:
            width, height = self._pagesize
            self.saveState()
            self.setFillColor(ACCENT)
            banner = f"{text} · SIN VALIDEZ OFICIAL"
            draw_string(self, width / 2, height - 1.2 * cm, banner, BOLD, 11, anchor="middle")
            self.setFillAlpha(0.12)
            self.translate(width / 2, height / 2)
            self.rotate(45)
            draw_string(self, 0, 0, text, BOLD, 72, anchor="middle")
            self.restoreState()

    return NumberedCanvas


class SignatureSlot(Flowable):
    """Empty room for a visible signature stamp; remembers where it landed on the page so
    the signer can place the stamp exactly there."""

    def __init__(self, stamp: SignatureStamp, found: list[SignatureStamp]) -> None:
        super().__init__()
        self.stamp = stamp
        self.found = found
        self.width = STAMP_WIDTH
        self.height = STAMP_HEIGHT

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, 0)
        page = self.canv.getPageNumber() - 1
        box = (int(x), int(y), int(x + self.width), int(y + self.height))
        self.found[:] = [s for s in self.found if s.field_name != self.stamp.field_name]
        self.found.append(
            SignatureStamp(
                self.stamp.field_name, self.stamp.signer_name, self.stamp.position, page, box
            )
        )


@lru_cache(maxsize=8)
def emblem(municipality: str, size: float = 1.7 * cm) -> Drawing:
    """The default logo: a maroon shield with the municipality's initials (vector, cheap)."""
    from reportlab.graphics.shapes import Polygon, String

    words = [w for w in municipality.replace("Municipio de ", "").split() if w[:1].isupper()]
    initials = "".join(w[0] for w in words[:2]) or "M"
    d = Drawing(size, size)
    w = size
    d.add(
        Polygon(
            [
                0.08 * w,
                0.95 * w,
                0.92 * w,
                0.95 * w,
                0.92 * w,
                0.45 * w,
                0.5 * w,
                0.03 * w,
                0.08 * w,
                0.45 * w,
            ],
            fillColor=ACCENT,
            strokeColor=ACCENT,
        )
    )
    d.add(
        String(
            0.5 * w,
            0.42 * w,
            initials,
            fontName=BOLD,
            fontSize=0.36 * w,
            fillColor=colors.white,
            textAnchor="middle",
        )
    )
    return d


@lru_cache(maxsize=8)
def _logo_size(path: str) -> tuple[int, int] | None:
    """The logo's pixel size, or None if it cannot be read (then the emblem is printed)."""
    from reportlab.lib.utils import ImageReader

    try:
        width, height = ImageReader(path).getSize()
    except Exception:  # ReportLab wraps every failure (missing, not an image) differently
        log.warning("cannot read the municipality logo %s; printing the emblem", path)
        return None
    return int(width), int(height)


def _logo(content: DocumentContent) -> Any:
    if content.logo_path and _logo_size(content.logo_path):
        return Image(content.logo_path, width=1.7 * cm, height=1.7 * cm, kind="proportional")
    return emblem(content.municipality)


def _header(content: DocumentContent, st: dict[str, ParagraphStyle]) -> Table:
    names = [paragraph(escape(content.municipality), st["municipality"])]
    if content.department:
        names.append(paragraph(escape(content.department), st["department"]))
    header = Table([[_logo(content), names]], colWidths=[2.1 * cm, None], hAlign="LEFT")
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return header


def _facts(content: DocumentContent, st: dict[str, ParagraphStyle]) -> Table:
    validity = long_date(content.expires_on) if content.expires_on else "Sin vencimiento"
    facts = [("Folio del expediente", content.folio)]
    if content.holder:
        facts.append(("Titular", content.holder))
    facts += [
        ("Fecha de expedición", long_date(content.issued_on)),
        ("Vigente hasta", validity),
        ("Trámite", content.procedure_title),
    ]
    cells = [
        [paragraph(escape(label), st["label"]), paragraph(escape(value), st["value"])]
        for label, value in facts
    ]
    table_ = Table(cells, colWidths=[4.2 * cm, None], hAlign="LEFT")
    table_.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("LINEBELOW", (0, 0), (-1, -2), 0.3, colors.HexColor("#e4e7eb")),
            ]
        )
    )
    return table_


_CELL_ALIGN: dict[str, Literal[1, 2]] = {"right": 2, "center": 1}  # TA_RIGHT, TA_CENTER


def _aligned(base: ParagraphStyle, align: str) -> ParagraphStyle:
    """`base` lined up as a table column asks (left: `base` itself)."""
    if align not in _CELL_ALIGN:
        return base
    return ParagraphStyle(f"{base.name}-{align}", parent=base, alignment=_CELL_ALIGN[align])


def _data_table(spec: DocumentTable, st: dict[str, ParagraphStyle]) -> list[Any]:
    """A liaison's table: cells are plain text (already rendered), escaped here; a column
    lines up left, right (amounts) or center, its header too."""
    columns = len(spec.header)
    aligns = [*spec.align, *["left"] * columns][:columns]
    header = [
        paragraph(escape(h), _aligned(st["label"], aligns[i])) for i, h in enumerate(spec.header)
    ]
    rows: list[list[Any]] = [header]
    for row in spec.rows:
        rows.append(
            [paragraph(escape(cell), _aligned(st["cell"], aligns[i])) for i, cell in enumerate(row)]
        )
    table_ = Table(rows, hAlign="LEFT", repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#e4e7eb")),
    ]
    for i, align in enumerate(aligns):
        if align in _CELL_ALIGN:
            style.append(("ALIGN", (i, 0), (i, -1), align.upper()))
    table_.setStyle(TableStyle(style))
    out: list[Any] = []
    if spec.title:
        out.append(paragraph(escape(spec.title), st["heading"]))
    out.append(table_)
    out.append(Spacer(1, 6))
    return out


def _signers(
    content: DocumentContent, st: dict[str, ParagraphStyle], found: list[SignatureStamp]
) -> Table:
    blocks: list[list[Flowable] | str] = []
    for n, signer in enumerate(content.signers, start=1):
        stamp = SignatureStamp(f"Firma{n}", signer.name, signer.position)
        blocks.append(
            [
                SignatureSlot(stamp, found),
                HRFlowable(width=6.5 * cm, thickness=0.6, color=INK, spaceAfter=3),
                paragraph(escape(signer.name), st["signer"]),
                paragraph(escape(signer.position), st["position"]),
            ]
        )
    # Two signers per row at most: each stamp is 7 cm wide.
    rows = [blocks[i : i + 2] for i in range(0, len(blocks), 2)]
    if len(rows) > 1 and len(rows[-1]) == 1:
        rows[-1].append("")
    widths = [8.3 * cm] * min(2, len(blocks))
    table_ = Table(rows, colWidths=widths, hAlign="CENTER")
    table_.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")])
    )
    return table_


def render_document(content: DocumentContent) -> RenderedDocument:
    """The document as unsigned PDF bytes plus the places of its signature stamps."""
    st = _styles()
    found: list[SignatureStamp] = []
    story: list[Any] = [_header(content, st)]
    story.append(Spacer(1, 4))
    story.append(HRFlowable(width="100%", thickness=1.2, color=ACCENT, spaceAfter=4))
    story.append(paragraph(escape(content.title), st["title"]))
    story.append(_facts(content, st))
    story.append(Spacer(1, 14))

    for markup in content.body:
        story.append(_paragraph(markup, st["body"]))

    for spec in content.tables:
        if spec.rows:  # an empty table (no owners, no lines) is left out, title and all
            story.extend(_data_table(spec, st))

    if content.attachments:
        story.append(paragraph("Anexos", st["heading"]))
        for n, attachment in enumerate(content.attachments, start=1):
            story.append(paragraph(f"{n}. {escape(attachment.name)}", st["body"]))

    if content.fee_lines:
        story.append(paragraph("Derechos pagados", st["heading"]))
        lines = [(line.label, line.amount) for line in content.fee_lines]
        story.append(amounts_table(lines, content.fee_total))
        if content.payment_reference:
            story.append(
                paragraph(f"Línea de captura: {escape(content.payment_reference)}", st["small"])
            )

    verify_text = [
        paragraph("Código de verificación", st["label"]),
        paragraph(escape(content.verification_code), st["code"]),
        Spacer(1, 4),
        paragraph(
            "Compruebe que este documento es auténtico en "
            f'<link href="{escape(content.verification_url)}" color="#7b1e3a">'
            f"{escape(content.verification_url)}</link> o escaneando el código QR. "
            "Está firmado electrónicamente: cualquier cambio invalida la firma.",
            st["small"],
        ),
    ]
    story.append(Spacer(1, 16))
    if content.preview:
        _preview_close(content, story, st, found)
    elif len(content.signers) == 1:
        # One signer: the signature and the verification box side by side, so a typical
        # licence fits on one page.
        signer_block = [paragraph("Atentamente", st["position"]), Spacer(1, 4)]
        signer_block.append(_signers(content, st, found))
        row = Table(
            [[signer_block, qr_box(content.verification_url, verify_text, compact=True)]],
            colWidths=[8.4 * cm, None],
            hAlign="LEFT",
        )
        row.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            )
        )
        story.append(KeepTogether([row]))
    else:
        if content.signers:
            story.append(
                KeepTogether(
                    [
                        paragraph("Atentamente", st["position"]),
                        Spacer(1, 6),
                        _signers(content, st, found),
                    ]
                )
            )
            story.append(Spacer(1, 12))
        story.append(KeepTogether([qr_box(content.verification_url, verify_text)]))
    pdf = build_pdf(
        story,
        title=f"{content.title} · {content.folio}",
        municipality=content.municipality,
        subject=content.procedure_title,
        keywords=[content.kind, content.folio, content.verification_code],
        footer=f"{content.municipality} · Folio {content.folio} · {content.verification_code}",
        watermark=PREVIEW_MARK if content.preview else None,
    )
    order = {f"Firma{n}": n for n in range(1, len(content.signers) + 1)}
    found.sort(key=lambda s: order.get(s.field_name, 0))
    return RenderedDocument(embed_attachments(pdf, content.attachments), found)


def embed_attachments(pdf: bytes, attachments: Sequence[Attachment]) -> bytes:
    """The PDF with each attachment's bytes embedded as a file (an incremental update, so
    the layout and the signature fields stay where ReportLab put them)."""
    present = [a for a in attachments if a.data is not None]
    if not present:
        return pdf
    from pyhanko.pdf_utils import embed
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for attachment in present:
        assert attachment.data is not None
        data = embed.EmbeddedFileObject.from_file_data(
            writer, data=attachment.data, mime_type=attachment.content_type or None
        )
        embed.embed_file(
            writer, embed.FileSpec(file_spec_string=attachment.name, embedded_data=data)
        )
    out = io.BytesIO()
    writer.write(out)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    return out.getvalue()


def _preview_close(
    content: DocumentContent,
    story: list[Any],
    st: dict[str, ParagraphStyle],
    found: list[SignatureStamp],
) -> None:
    """A preview ends with its signers' names and a notice instead of the verification box:
    it carries no code and no QR, so nobody can take it for an issued document."""
    if content.signers:
        story.append(
            KeepTogether(
                [
                    paragraph("Atentamente", st["position"]),
                    Spacer(1, 6),
                    _signers(content, st, found),
                ]
            )
        )
        story.append(Spacer(1, 12))
    story.append(
        paragraph(
            f"{PREVIEW_MARK}: documento de prueba generado con datos de ejemplo. No está firmado, "
            "no tiene código de verificación y no tiene validez oficial.",
            st["small"],
        )
    )


def render_pdf(content: DocumentContent) -> bytes:
    """The document as PDF bytes (unsigned; see `connectors.documents.signing`)."""
    return render_document(content).pdf


def qr_box(url: str, texts: list[Any], *, compact: bool = False) -> Table:
    """A framed box: the QR code of `url` beside some paragraphs."""
    size = 2.8 * cm if compact else QR_SIZE
    box = Table([[qr_drawing(url, size), texts]], colWidths=[size + 0.4 * cm, None], hAlign="LEFT")
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
    watermark: str | None = None,
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
    doc.build(story, canvasmaker=_numbered_canvas(footer, watermark))
    return buffer.getvalue()
