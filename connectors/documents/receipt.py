"""The acuse de recibo: proof that the municipality received an application, with its folio,
the moment it was filed, what was delivered and by when the answer is due.

Rendered on demand from the case as it is stored; the same case state gives the same bytes
(ReportLab's invariant mode: no creation time, no random document id).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.units import cm
from reportlab.platypus import (
    KeepTogether,
    Spacer,
    Table,
    TableStyle,
)
from sqlalchemy import Engine, select

from connectors.common import department_name, load_case, localized, long_date
from connectors.documents.pdf import (
    INK,
    _styles,
    build_pdf,
    facts_table,
    letterhead,
    qr_box,
)
from connectors.documents.typeface import paragraph
from workflow_engine.calendar import BusinessCalendar
from workflow_engine.persistence.models import Holiday, User, table
from workflow_engine.persistence.platform.uploads import only_stored_files, stored_case_files
from workflow_engine.templates import model as template_model

users_t = table(User)
holidays_t = table(Holiday)


@dataclass(frozen=True)
class ReceiptFile:
    name: str
    sha256: str


@dataclass(frozen=True)
class ReceiptItem:
    """One requirement (or file field) and the files delivered for it."""

    label: str
    files: Sequence[ReceiptFile] = ()


@dataclass(frozen=True)
class ReceiptContent:
    municipality: str
    procedure_title: str
    folio: str
    submitted_at: datetime  # aware
    timezone: str
    applicant_name: str
    items: Sequence[ReceiptItem] = ()
    department: str | None = None
    homoclave: str | None = None
    max_response_days: int | None = None
    response_due_on: date | None = None
    case_url: str | None = None
    extra_lines: Sequence[str] = field(default_factory=tuple)


def local_moment(moment: datetime, timezone: str) -> str:
    """«5 de marzo de 2026 a las 14:07 (hora local)»."""
    local = moment.astimezone(ZoneInfo(timezone))
    return f"{long_date(local.date())} a las {local:%H:%M} h"


def render_receipt(content: ReceiptContent) -> bytes:
    """The acuse de recibo as PDF bytes."""
    st = _styles()
    story: list[Any] = letterhead(content.municipality, content.department, "Acuse de recibo")

    facts: list[tuple[str, str]] = [
        ("Folio del expediente", content.folio),
        ("Trámite", content.procedure_title),
    ]
    if content.homoclave:
        facts.append(("Homoclave", content.homoclave))
    facts += [
        ("Solicitante", content.applicant_name or "—"),
        ("Fecha y hora de recepción", local_moment(content.submitted_at, content.timezone)),
    ]
    if content.max_response_days is not None:
        due = f"{content.max_response_days} días hábiles"
        if content.response_due_on is not None:
            due += f" (a más tardar el {long_date(content.response_due_on)})"
        facts.append(("Plazo máximo de respuesta", due))
    table_ = facts_table(facts, padding=3)
    story.append(table_)
    story.append(Spacer(1, 12))
    story.append(
        paragraph(
            f"{escape(content.municipality)} hace constar que recibió la solicitud descrita en "
            "este acuse, con los documentos que se listan a continuación. Conserve este acuse: "
            "el folio identifica su solicitud en cualquier consulta.",
            st["body"],
        )
    )
    for line in content.extra_lines:
        story.append(paragraph(escape(line), st["body"]))

    story.append(paragraph("Documentos entregados", st["heading"]))
    if content.items:
        rows: list[list[Any]] = [
            [
                paragraph("Requisito", st["label"]),
                paragraph("Archivo", st["label"]),
                paragraph("Huella SHA-256", st["label"]),
            ]
        ]
        for item in content.items:
            files = list(item.files) or [ReceiptFile("No se entregó", "")]
            for n, delivered in enumerate(files):
                rows.append(
                    [
                        paragraph(escape(item.label) if n == 0 else "", st["small"]),
                        paragraph(escape(delivered.name), st["small"]),
                        paragraph(escape(delivered.sha256[:16]), st["small"]),
                    ]
                )
        files_table = Table(rows, colWidths=[6 * cm, None, 3.6 * cm], hAlign="LEFT", repeatRows=1)
        files_table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.6, INK),
                    ("LINEBELOW", (0, 1), (-1, -1), 0.3, colors.HexColor("#e4e7eb")),
                ]
            )
        )
        story.append(files_table)
        story.append(Spacer(1, 4))
        story.append(
            paragraph(
                "La huella SHA-256 (sus primeros 16 caracteres) identifica el contenido exacto "
                "de cada archivo recibido.",
                st["small"],
            )
        )
    else:
        story.append(paragraph("Este trámite no pide documentos adjuntos.", st["small"]))

    if content.case_url:
        follow = [
            paragraph("Consulte el avance de su trámite", st["label"]),
            Spacer(1, 4),
            paragraph(
                f'<link href="{escape(content.case_url)}" color="#7b1e3a">'
                f"{escape(content.case_url)}</link>",
                st["small"],
            ),
        ]
        story.append(Spacer(1, 18))
        story.append(KeepTogether([qr_box(content.case_url, follow)]))

    return build_pdf(
        story,
        title=f"Acuse de recibo · {content.folio}",
        municipality=content.municipality,
        subject=content.procedure_title,
        keywords=["acuse", content.folio],
        footer=f"{content.municipality} · Acuse de recibo · Folio {content.folio}",
        invariant=True,
    )


def receipt_items(
    definition: template_model.Procedure | Mapping[str, Any], data: Mapping[str, Any]
) -> list[ReceiptItem]:
    """Requirements with their files, then any other file field that holds files."""
    procedure = template_model.of(definition)
    requirements = (procedure.raw.get("catalog") or {}).get("requirements") or ()
    fields = {f.id: f for f in procedure.fields() if f.takes_files}
    items: list[ReceiptItem] = []
    used: set[str] = set()

    def files_of(field_id: str) -> list[ReceiptFile]:
        value = data.get(field_id)
        if isinstance(value, Mapping):
            value = [value]
        if not isinstance(value, list):
            return []
        return [
            ReceiptFile(str(ref.get("name") or "archivo"), str(ref.get("sha256") or ""))
            for ref in value
            if isinstance(ref, Mapping)
        ]

    for req in requirements:
        field_id = req.get("field")
        if field_id:
            used.add(str(field_id))
            files = files_of(str(field_id))
            if not files and field_id not in data:
                continue  # a requirement that did not apply (hidden field)
            items.append(ReceiptItem(localized(req.get("name"), str(req.get("id"))), files))
    for field_id, fld in fields.items():
        if field_id in used:
            continue
        files = files_of(field_id)
        if files:
            items.append(ReceiptItem(localized(fld.label, field_id), files))
    return items


def receipt_for_case(
    engine: Engine,
    case_id: int,
    *,
    municipality_name: str,
    timezone: str,
    base_url: str = "",
) -> bytes | None:
    """The receipt of a filed case, or None if the case was never filed."""
    with engine.connect() as conn:
        case = load_case(conn, case_id)
        submitted = case.state.get("submitted_at") or case.submitted_at
        if not submitted:
            return None
        submitted_at = (
            datetime.fromisoformat(submitted) if isinstance(submitted, str) else submitted
        )
        applicant = ""
        if case.applicant_id.isdigit():
            row = conn.execute(
                select(users_t.c.name, users_t.c.email).where(
                    users_t.c.id == int(case.applicant_id)
                )
            ).one_or_none()
            if row is not None:
                applicant = str(row.name or row.email)
        department = department_name(conn, case.definition.get("department"))
        # only what was really received: references to no stored upload are left out
        data = only_stored_files(
            case.definition.get("steps") or (),
            case.state.get("data") or {},
            stored_case_files(conn, case_id),
        )
        holidays = conn.execute(select(holidays_t.c.day)).scalars().all()
    catalog = case.definition.get("catalog") or {}
    days = catalog.get("max_response_days")
    due: date | None = None
    if isinstance(days, int) and days >= 0:
        local = submitted_at.astimezone(ZoneInfo(timezone)).date()
        due = BusinessCalendar.with_holidays(holidays).add_business_days(local, days)
    content = ReceiptContent(
        municipality=municipality_name,
        procedure_title=case.procedure_title,
        folio=case.folio,
        submitted_at=submitted_at,
        timezone=timezone,
        applicant_name=applicant,
        items=receipt_items(case.model, data),
        department=department,
        homoclave=str(catalog.get("homoclave") or "") or None,
        max_response_days=days if isinstance(days, int) else None,
        response_due_on=due,
        case_url=f"{base_url.rstrip('/')}/expedientes/{case.folio}" if base_url else None,
    )
    return render_receipt(content)


__all__ = [
    "ReceiptContent",
    "ReceiptFile",
    "ReceiptItem",
    "receipt_for_case",
    "receipt_items",
    "render_receipt",
]
