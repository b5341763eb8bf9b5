"""The payment slip (orden de pago): what to pay, the payment reference and by when, for the
cashier's window or the bank, laid out with the same machinery as documents and receipts.

Rendered on demand from the payment order as stored (ReportLab's invariant mode: the same
order gives the same bytes). Not signed: the payment reference is what the collection system
checks, and the QR leads to the case page where the order's live status is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import cm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle
from sqlalchemy import Engine, select

from connectors.common import department_name, load_case, localized, long_date, money
from connectors.documents.pdf import (
    INK,
    _styles,
    amounts_table,
    build_pdf,
    facts_table,
    letterhead,
    qr_box,
)
from connectors.documents.typeface import paragraph
from workflow_engine.persistence.models import PaymentOrder, User, table

orders_t = table(PaymentOrder)
users_t = table(User)


@dataclass(frozen=True)
class SlipContent:
    municipality: str
    procedure_title: str
    folio: str
    applicant_name: str
    reference: str
    total: str
    lines: Sequence[tuple[str, str]]
    expires_on: date | None = None
    department: str | None = None
    case_url: str | None = None


def render_payment_slip(content: SlipContent) -> bytes:
    """The orden de pago as PDF bytes."""
    st = _styles()
    story: list[Any] = letterhead(content.municipality, content.department, "Orden de pago")
    due = long_date(content.expires_on) if content.expires_on else "Sin fecha límite"
    facts = [
        ("Folio del expediente", content.folio),
        ("Trámite", content.procedure_title),
        ("Contribuyente", content.applicant_name or "—"),
        ("Pagar a más tardar", due),
    ]
    table_ = facts_table(facts)
    story += [table_, Spacer(1, 12)]
    reference = Table(
        [
            [paragraph("Línea de captura", st["label"]), paragraph("Importe", st["label"])],
            [
                paragraph(escape(content.reference), st["code"]),
                paragraph(content.total, st["code"]),
            ],
        ],
        colWidths=[None, 5.5 * cm],
        hAlign="LEFT",
    )
    reference.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, INK)]))
    # Code128 of the reference, for the scanners at bank and convenience-store counters.
    barcode = Code128(
        content.reference, barHeight=1.4 * cm, barWidth=0.04 * cm, humanReadable=True, quiet=True
    )
    barcode.hAlign = "LEFT"
    story += [reference, Spacer(1, 8), barcode, Spacer(1, 10)]
    lines = amounts_table(content.lines, content.total)
    story += [paragraph("Conceptos", st["heading"]), lines, Spacer(1, 10)]
    story.append(
        paragraph(
            "Pague con la línea de captura en las cajas de la Tesorería municipal o en los "
            "bancos autorizados antes de la fecha límite; después de ella, la orden vence y "
            "se genera una nueva. El trámite continúa en cuanto se confirma el pago.",
            st["body"],
        )
    )
    if content.case_url:
        follow = [
            paragraph("Consulte el estado del pago", st["label"]),
            Spacer(1, 4),
            paragraph(escape(content.case_url), st["small"]),
        ]
        story += [Spacer(1, 12), KeepTogether([qr_box(content.case_url, follow)])]
    return build_pdf(
        story,
        title=f"Orden de pago · {content.folio}",
        municipality=content.municipality,
        subject=content.procedure_title,
        keywords=["orden de pago", content.folio, content.reference],
        footer=f"{content.municipality} · Orden de pago · {content.reference}",
        invariant=True,
    )


def payment_slip_for_case(
    engine: Engine, case_id: int, *, municipality_name: str, base_url: str = ""
) -> bytes | None:
    """The slip of the case's latest payment order still to be paid, or None."""
    with engine.connect() as conn:
        order = conn.execute(
            select(orders_t)
            .where(orders_t.c.case_id == case_id, orders_t.c.status == "pending")
            .order_by(orders_t.c.id.desc())
            .limit(1)
        ).one_or_none()
        if order is None:
            return None
        case = load_case(conn, case_id)
        department = department_name(conn, case.definition.get("department"))
        applicant = ""
        if case.applicant_id.isdigit():
            applicant = str(
                conn.execute(
                    select(users_t.c.name).where(users_t.c.id == int(case.applicant_id))
                ).scalar_one_or_none()
                or ""
            )
    currency = str(order.currency or "MXN")
    lines: list[tuple[str, str]] = []
    for line in order.lines or ():
        if isinstance(line, Mapping):
            label = localized(line.get("label"), str(line.get("id") or ""))
            lines.append((label, money(int(line.get("amount_cents") or 0), currency)))
    return render_payment_slip(
        SlipContent(
            municipality=municipality_name,
            procedure_title=case.procedure_title,
            folio=case.folio,
            applicant_name=applicant,
            reference=order.reference,
            total=money(order.amount_cents, currency),
            lines=lines,
            expires_on=order.expires_on,
            department=department,
            case_url=f"{base_url.rstrip('/')}/expedientes/{case.folio}" if base_url else None,
        )
    )


__all__ = ["SlipContent", "payment_slip_for_case", "render_payment_slip"]
