"""The ledger in tests: a case awaiting payment, a payment for its order, the recorder,
an approved licence."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, insert, select, update

from connectors import ledger
from connectors.ledger.book import objects_t, obligations_t, taxpayers_t
from connectors.payments.handler import confirm_payment_command
from connectors.payments.recording import PaymentReceived, PaymentRecorder
from tests.helpers import cases
from tests.helpers.web import account
from workflow_engine.persistence.cases.walkthrough import run_walkthrough
from workflow_engine.persistence.models import (
    PaymentOrder,
    table,
)

orders_t = table(PaymentOrder)

CITIZEN = "ciudadano@demo.gob.mx"


def recorder(app: Flask) -> PaymentRecorder:
    services = app.extensions["tramita"]
    return PaymentRecorder(services.engine, services.cases)


def awaiting_payment(app: Flask, key: str = "licencia-funcionamiento") -> tuple[int, Any]:
    """A case of the citizen's, approved and waiting for payment; returns (case id, order).
    The licence's business is 60 m²: one department reviews it."""
    return cases.awaiting_payment(app, key, answers={"negocio": {"superficie_m2": 60}})


def paid(order: Any, external_id: str = "evt-1", **changes: Any) -> PaymentReceived:
    values = {
        "reference": order.reference,
        "amount_cents": int(order.amount_cents),
        "currency": order.currency,
        "source": "gateway:sandbox",
        "external_id": external_id,
        "paid_at": datetime.now(UTC),
    }
    values.update(changes)
    return PaymentReceived(**values)


def approved_licence(app: Flask) -> Any:
    """Walk the licence example to its end, paying through the recorder; the walk's result."""
    return approved(app, "licencia-funcionamiento")


def approved(app: Flask, key: str) -> Any:
    """Walk an example to its end, paying through the recorder; the walk's result."""
    services = app.extensions["tramita"]
    rec = recorder(app)

    def settle(reference: str) -> Any:
        with services.engine.connect() as conn:
            order = conn.execute(
                select(table(PaymentOrder)).where(table(PaymentOrder).c.reference == reference)
            ).one()
        assert rec.record(paid(order, external_id=f"demo-{reference}")).status == "recorded"
        return confirm_payment_command(reference, order.amount_cents, order.currency)

    result = run_walkthrough(
        services.cases, services.outbox, key, account(app, CITIZEN).actor(), settle=settle
    )
    services.outbox.run_due()
    return result


# The omisos of the ageing tests: (taxpayer, [(due date, centavos, status)]) per business;
# on OMISOS_TODAY, O1 and O2 are 1 and 30 days overdue, O3's oldest debt 31, O4's 365, O5's
# 366; O6 owes only what falls due today (and a paid debt).
OMISOS_TODAY = date(2026, 3, 10)
OMISOS = {
    "O1": ("Beatriz", [(date(2026, 3, 9), 60000, "open")]),
    "O2": ("Adela", [(date(2026, 2, 8), 20000, "open")]),
    "O3": ("Carmen", [(date(2026, 2, 7), 30000, "open"), (date(2026, 3, 1), 5000, "open")]),
    "O4": ("Elena", [(date(2025, 3, 10), 40000, "open")]),
    "O5": ("Dora", [(date(2025, 3, 9), 50000, "open")]),
    "O6": ("Fina", [(date(2026, 3, 10), 70000, "open"), (date(2024, 1, 1), 1000, "paid")]),
}


def seed_omisos(engine: Engine) -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for key, (name, debts) in OMISOS.items():
            owner = conn.execute(
                insert(taxpayers_t)
                .values(kind="fisica", name=name, created_at=at)
                .returning(taxpayers_t.c.id)
            ).scalar_one()
            object_id = ledger.register_object(
                conn, taxpayer_id=owner, kind="business", key=key, description=f"Local {key}"
            )
            conn.execute(
                update(objects_t).where(objects_t.c.id == object_id).values(registered_at=at)
            )
            for n, (due, cents, status) in enumerate(debts):
                owed = ledger.charge(
                    conn,
                    idempotency_key=f"{key}-{n}",
                    taxpayer_id=owner,
                    concept="Cargo",
                    amount_cents=cents,
                    currency="MXN",
                    due_on=due,
                    object_id=object_id,
                )
                conn.execute(
                    update(obligations_t).where(obligations_t.c.id == owed).values(status=status)
                )


# -- the treasury figures' books (tests of connectors.ledger.revenue and /tableros/ingresos) --

BOOKS_TZ = "America/Mexico_City"  # UTC-6 all year


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def taxpayer(conn: Connection, name: str, kind: str, created: datetime) -> int:
    return int(
        conn.execute(
            insert(taxpayers_t)
            .values(kind=kind, name=name, created_at=created)
            .returning(taxpayers_t.c.id)
        ).scalar_one()
    )


def obj(
    conn: Connection, owner: int, kind: str, key: str, registered: datetime, **spec: Any
) -> int:
    object_id = ledger.register_object(
        conn, taxpayer_id=owner, kind=kind, key=key, recurring=spec or None
    )
    conn.execute(
        update(objects_t).where(objects_t.c.id == object_id).values(registered_at=registered)
    )
    return object_id


def pay(conn: Connection, owner: int, cents: int, source: str, at: datetime, **more: Any) -> None:
    assert ledger.add_payment(
        conn,
        reference=more.pop("reference", "LEDGER"),
        amount_cents=cents,
        currency="MXN",
        source=source,
        external_id=f"{source}-{at.isoformat()}",
        paid_at=at,
        taxpayer_id=owner,
        obligation_id=more.pop("obligation_id", None),
        case_id=None,
    )


def seed_books(demo_app: Flask) -> dict[str, Any]:
    """Three licence orders (A paid online on 15 Jan; B expired on 1 Mar; C payable until
    20 Mar) and, in the ledger alone: a business's 2026 refrendo paid at the bank on the
    evening of 28 Feb (local: 1 Mar 05:00 UTC), its 2025 refrendo paid in cash on 2 Mar, a
    payment of no obligation through the demo on 31 Jan; a vehicle registered mid-year with
    a pro-rated first charge, a closed billboard, a market stall charged from 2027."""
    engine = demo_app.extensions["tramita"].engine
    made = [awaiting_payment(demo_app)[1] for _ in range(3)]
    amounts = (100000, 50000, 25000)
    with engine.begin() as conn:
        for order, cents in zip(made, amounts, strict=True):
            conn.execute(
                update(orders_t).where(orders_t.c.id == order.id).values(amount_cents=cents)
            )
            conn.execute(
                update(obligations_t)
                .where(obligations_t.c.reference == order.reference)
                .values(amount_cents=cents)
            )
    a, b, c = made
    result = recorder(demo_app).record(
        paid(a, amount_cents=100000, paid_at=utc(2026, 1, 15, 18), external_id="a-1")
    )
    assert result.status == "recorded"
    with engine.begin() as conn:
        for order, created, expires in (
            (a, utc(2026, 1, 10, 17), date(2026, 1, 20)),
            (b, utc(2026, 2, 20, 17), date(2026, 3, 1)),
            (c, utc(2026, 3, 5, 17), date(2026, 3, 20)),
        ):
            conn.execute(
                update(orders_t)
                .where(orders_t.c.id == order.id)
                .values(created_at=created, expires_on=expires)
            )
        # the citizen has been a taxpayer since 2025
        conn.execute(
            update(taxpayers_t)
            .where(taxpayers_t.c.user_id.is_not(None))
            .values(created_at=utc(2025, 6, 1))
        )
        shop = taxpayer(conn, "Tienda SA", "moral", utc(2025, 12, 15))
        person = taxpayer(conn, "Pedro", "fisica", utc(2026, 1, 5, 12))
        taxpayer(conn, "Taller SC", "moral", utc(2026, 3, 1, 5))  # 28 Feb, 23:00 local
        business = obj(
            conn,
            shop,
            "business",
            "LF-1",
            utc(2025, 11, 1),
            concept="Refrendo",
            amount_cents=150000,
            from_year=2025,
        )
        obj(
            conn,
            person,
            "vehicle",
            "ABC-1",
            utc(2026, 1, 20),
            concept="Control vehicular",
            amount_cents=85000,
            from_year=2026,
            first_charge={"year": 2026, "amount_cents": 42500, "due_on": "2026-07-31"},
        )
        closed = obj(
            conn,
            person,
            "billboard",
            "AN-1",
            utc(2026, 3, 15),
            concept="Anuncio",
            amount_cents=99900,
        )
        conn.execute(update(objects_t).where(objects_t.c.id == closed).values(status="closed"))
        obj(  # 31 Mar, 20:00 local: still March
            conn,
            person,
            "market_stall",
            "M-1",
            utc(2026, 4, 1, 2),
            concept="Piso",
            amount_cents=60000,
            from_year=2027,
        )
        for year, cents, source, at in (
            (2026, 150000, "bank:banorte", utc(2026, 3, 1, 5)),
            (2025, 120000, "counter:cash", utc(2026, 3, 2, 17)),
        ):
            owed = ledger.charge(
                conn,
                idempotency_key=f"recurring:{business}:{year}",
                taxpayer_id=shop,
                concept=f"Refrendo {year}",
                amount_cents=cents,
                currency="MXN",
                due_on=date(year, 3, 31),
                kind="recurring",
                object_id=business,
                period=str(year),
            )
            pay(conn, shop, cents, source, at, obligation_id=owed, reference=f"R{year}")
        pay(conn, person, 30000, "demo", utc(2026, 1, 31, 12))
    return {"a": a, "b": b, "c": c, "engine": engine}
