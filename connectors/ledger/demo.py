"""The demo municipality's taxpayer base: a few businesses, vehicles, stalls and plots
registered over the last year and a half, with yearly charges paid through every channel
and others left unpaid for days to years (the omisos list then fills every ageing bucket).

Dates are relative to `today`, so the treasury's pages look alive on any day. Idempotent:
once the first demo taxpayer exists, nothing is added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine, insert, select, update

from connectors.ledger.book import (
    add_payment,
    charge,
    objects_t,
    obligations_t,
    register_object,
    taxpayer_kind,
    taxpayers_t,
)


@dataclass(frozen=True)
class DemoHolder:
    name: str
    tax_id: str | None
    curp: str | None
    kind: str  # taxable object kind
    key: str
    description: str
    concept: str
    amount_cents: int
    registered_days_ago: int
    due_days_ago: int  # this year's charge: past due (> 0) or still to come (< 0)
    paid_through: str | None = None  # this charge paid via this source, or left open
    last_year_paid_through: str | None = None  # the year before's (when registered by then)


DEMO_HOLDERS = (
    DemoHolder(
        "Abarrotes La Esperanza, S.A. de C.V.",
        "ALE150310AB1",
        None,
        "business",
        "LF-DEMO-0001",
        "Abarrotes, Av. Juárez 120",
        "Refrendo de licencia de funcionamiento",
        150000,
        420,
        12,
        None,
        "bank:banco-demo",
    ),
    DemoHolder(
        "Transportes del Valle, S.A.",
        "TVA180522K31",
        None,
        "vehicle",
        "TVA-1234",
        "Camioneta de reparto",
        "Derecho de control vehicular",
        85000,
        400,
        45,
        None,
        "gateway:demo",
    ),
    DemoHolder(
        "María López Hernández",
        None,
        "LOHM800101MDFPRR09",
        "market_stall",
        "M-014",
        "Mercado Hidalgo, local 14",
        "Uso de piso en mercado",
        60000,
        250,
        120,
    ),
    DemoHolder(
        "Publicidad Exterior del Centro, S.A.",
        "PEC200115QW2",
        None,
        "billboard",
        "AN-0231",
        "Espectacular, Blvd. Reforma km 2",
        "Licencia anual de anuncio",
        240000,
        280,
        250,
    ),
    DemoHolder(
        "Roberto Díaz Castillo",
        None,
        "DICR750615HDFZSB02",
        "cemetery_plot",
        "P-12-045",
        "Panteón municipal, sección 12",
        "Mantenimiento de lote",
        30000,
        540,
        40,
        None,
    ),
    DemoHolder(
        "Constructora Robles, S.A. de C.V.",
        "CRO190903MN5",
        None,
        "construction",
        "C-DEMO-017",
        "Obra nueva, calle Morelos 45",
        "Licencia de construcción (refrendo)",
        320000,
        30,
        -20,
    ),
    DemoHolder(
        "Lucía Torres Vega",
        None,
        "TOVL900220MDFRGC05",
        "plot",
        "PR-88-301",
        "Predio urbano, colonia Centro",
        "Servicios municipales del predio",
        45000,
        210,
        150,
        "counter:cash",
        None,
    ),
    DemoHolder(
        "Farmacia San Rafael, S.C.",
        "FSR170812PL4",
        None,
        "business",
        "LF-DEMO-0002",
        "Farmacia, calle Allende 8",
        "Refrendo de licencia de funcionamiento",
        180000,
        160,
        75,
        "counter:card",
    ),
    DemoHolder(
        "Taller Mecánico Hermanos Ruiz",
        "THR160404AA7",
        None,
        "business",
        "LF-DEMO-0003",
        "Taller, calle Aldama 301",
        "Refrendo de licencia de funcionamiento",
        120000,
        100,
        95,
        "gateway:demo",
    ),
)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(16), tzinfo=UTC)  # ten in the morning in Mexico City


def seed_demo_ledger(engine: Engine, today: date, *, timezone: str = "America/Mexico_City") -> int:
    """The demo holders, their objects, charges and payments; returns how many holders were
    added (0 when already seeded)."""
    with engine.begin() as conn:
        if conn.execute(
            select(taxpayers_t.c.id).where(taxpayers_t.c.name == DEMO_HOLDERS[0].name)
        ).first():
            return 0
        for n, holder in enumerate(DEMO_HOLDERS):
            registered = _at(today - timedelta(days=holder.registered_days_ago))
            taxpayer_id = int(
                conn.execute(
                    insert(taxpayers_t)
                    .values(
                        kind=taxpayer_kind(holder.tax_id),
                        name=holder.name,
                        tax_id=holder.tax_id,
                        curp=holder.curp,
                        created_at=registered,
                    )
                    .returning(taxpayers_t.c.id)
                ).scalar_one()
            )
            due = today - timedelta(days=holder.due_days_ago)
            object_id = register_object(
                conn,
                taxpayer_id=taxpayer_id,
                kind=holder.kind,
                key=holder.key,
                description=holder.description,
                recurring={
                    "concept": holder.concept,
                    "amount_cents": holder.amount_cents,
                    "currency": "MXN",
                    "due_month": due.month,
                    "due_day": due.day,
                    "from_year": registered.year,
                },
            )
            conn.execute(
                update(objects_t)
                .where(objects_t.c.id == object_id)
                .values(registered_at=registered, updated_at=registered)
            )
            charges = [(due, holder.paid_through)]
            last_year = date(due.year - 1, due.month, min(due.day, 28))
            if _at(last_year) > registered:
                charges.append((last_year, holder.last_year_paid_through))
            for m, (due_on, source) in enumerate(charges):
                created = max(registered, _at(due_on - timedelta(days=60)))
                obligation_id = charge(
                    conn,
                    idempotency_key=f"recurring:{object_id}:{due_on.year}",
                    taxpayer_id=taxpayer_id,
                    concept=f"{holder.concept} {due_on.year}",
                    amount_cents=holder.amount_cents,
                    currency="MXN",
                    due_on=due_on,
                    kind="recurring",
                    object_id=object_id,
                    period=str(due_on.year),
                )
                conn.execute(
                    update(obligations_t)
                    .where(obligations_t.c.id == obligation_id)
                    .values(created_at=created)
                )
                if source is not None:
                    paid = min(_at(due_on - timedelta(days=3 + 4 * n)), _at(today))
                    add_payment(
                        conn,
                        reference=f"DEMO{object_id:04d}{due_on.year}",
                        amount_cents=holder.amount_cents,
                        currency="MXN",
                        source=source,
                        external_id=f"demo-{object_id}-{due_on.year}-{m}",
                        paid_at=max(paid, created),
                        taxpayer_id=taxpayer_id,
                        obligation_id=obligation_id,
                        case_id=None,
                        timezone=timezone,
                    )
    return len(DEMO_HOLDERS)
