"""Treasury figures against sums done by hand: money collected by month, channel, concept and
procedure; orders issued against paid; the yearly forecast; the taxpayer base; the omisos
ageing. Every date is fixed (the range, `today`, each row's moment), on each backend."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, insert, update

from connectors import ledger
from connectors.ledger import revenue
from connectors.ledger.book import objects_t, obligations_t, taxpayers_t
from connectors.ledger.revenue import Amount, Period
from tests.helpers.ledger import OMISOS_TODAY as TODAY
from tests.helpers.ledger import awaiting_payment, paid, recorder, seed_omisos
from workflow_engine.persistence.models import PaymentOrder, table

TZ = "America/Mexico_City"  # UTC-6 all year
orders_t = table(PaymentOrder)
Q1 = Period(date(2026, 1, 1), date(2026, 3, 31), TZ)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


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


@pytest.fixture
def books(demo_app: Flask) -> dict[str, Any]:
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


def mxn(*pairs: tuple[str, int, int]) -> list[Amount]:
    return [Amount(key, "MXN", count, cents) for key, count, cents in pairs]


def test_money_collected_by_month_channel_concept_and_procedure(books: dict[str, Any]) -> None:
    with books["engine"].connect() as conn:
        got = revenue.collected(conn, Q1)
        licence_concepts = [a.key for a in got.by_concept if a.key not in ("Refrendo", "")]
        assert got.total == mxn(("", 4, 400000))
        assert got.by_month == mxn(
            ("2026-01", 2, 130000), ("2026-02", 1, 150000), ("2026-03", 1, 120000)
        )
        assert got.by_channel == mxn(
            ("bank", 1, 150000), ("counter", 1, 120000), ("gateway", 1, 100000), ("other", 1, 30000)
        )
        assert got.by_procedure == mxn(("", 3, 300000), ("licencia-funcionamiento", 1, 100000))
        assert [a.cents for a in got.by_concept] == [270000, 100000, 30000]
        assert got.by_concept[0].key == "Refrendo" and got.by_concept[2].key == ""
        assert len(licence_concepts) == 1 and books["a"].reference not in licence_concepts[0]
        assert "·" not in licence_concepts[0]  # the folio is not part of the concept
        bank = revenue.collected(conn, Q1, channel="bank")
        assert bank.total == mxn(("", 1, 150000))
        assert revenue.collected(conn, Q1, channel="other").total == mxn(("", 1, 30000))
        ledger_only = revenue.collected(conn, Q1, procedure="")
        assert ledger_only.total == mxn(("", 3, 300000))
        february = Period(date(2026, 2, 1), date(2026, 2, 28), TZ)  # the evening of the 28th
        assert revenue.collected(conn, february).total == mxn(("", 1, 150000))
        empty = revenue.collected(conn, Period(date(2024, 1, 1), date(2024, 2, 10), TZ))
        assert empty.total == [] and empty.by_month == mxn(("2024-01", 0, 0), ("2024-02", 0, 0))


def test_orders_issued_paid_pending_and_expired(books: dict[str, Any]) -> None:
    with books["engine"].connect() as conn:
        rows = revenue.orders(conn, Q1, TODAY)
        later = revenue.orders(conn, Q1, date(2026, 3, 21))  # C has expired too by then
        february = revenue.orders(conn, Period(date(2026, 2, 1), date(2026, 2, 28), TZ), TODAY)
    licence, total = rows
    assert licence.procedure == "licencia-funcionamiento" and total.procedure == ""
    for row in (licence, total):
        assert (row.issued, row.issued_cents) == (3, 175000)
        assert (row.paid, row.paid_cents) == (1, 100000)
        assert (row.pending, row.pending_cents) == (1, 25000)
        assert (row.expired, row.expired_cents) == (1, 50000)
        assert row.rate == pytest.approx(100000 / 175000)
    assert (later[1].pending, later[1].expired, later[1].expired_cents) == (0, 2, 75000)
    assert [(r.issued, r.expired) for r in february] == [(1, 1), (1, 1)]


def test_the_yearly_forecast_counts_what_is_charged_and_what_will_be(
    books: dict[str, Any],
) -> None:
    with books["engine"].connect() as conn:
        this_year = revenue.yearly_forecast(conn, 2026)
        next_year = revenue.yearly_forecast(conn, 2027)
        vehicles = revenue.yearly_forecast(conn, 2027, kind="vehicle")
    assert [
        (r.kind, r.concept, r.objects, r.expected_cents, r.charged_cents, r.paid_cents)
        for r in this_year
    ] == [
        ("business", "Refrendo", 1, 150000, 150000, 150000),
        ("vehicle", "Control vehicular", 1, 42500, 0, 0),  # pro-rated, not charged yet
    ]
    assert [(r.kind, r.expected_cents, r.charged_cents) for r in next_year] == [
        ("business", 150000, 0),
        ("market_stall", 60000, 0),
        ("vehicle", 85000, 0),
    ]
    assert [r.expected_cents for r in vehicles] == [85000]


def test_the_taxpayer_base_month_by_month(books: dict[str, Any]) -> None:
    with books["engine"].connect() as conn:
        months = revenue.taxpayer_base(conn, Q1)
        stalls = revenue.taxpayer_base(conn, Q1, object_kind="market_stall")
    assert [(m.month, m.taxpayers, m.taxpayers_total) for m in months] == [
        ("2026-01", {"fisica": 1}, 3),  # the citizen and Tienda SA before
        ("2026-02", {"moral": 1}, 4),
        ("2026-03", {}, 4),
    ]
    assert [(m.objects, m.objects_total) for m in months] == [
        ({"vehicle": 1}, 2),
        ({}, 2),
        ({"billboard": 1, "market_stall": 1}, 4),
    ]
    assert [m.objects_total for m in stalls] == [0, 0, 1]


def test_a_range_must_be_forward_and_at_most_three_years() -> None:
    with pytest.raises(revenue.RangeError):
        Period(date(2026, 2, 1), date(2026, 1, 31))
    with pytest.raises(revenue.RangeError):
        Period(date(2020, 1, 1), date(2026, 1, 1))
    assert Period(date(2025, 11, 5), date(2026, 2, 1)).months() == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


def test_concepts_drop_the_year_and_the_folio() -> None:
    assert revenue.concept_of("Refrendo 2026", "recurring", "2026", "") == "Refrendo"
    assert revenue.concept_of("Derechos · CHO-1", "one_off", None, "CHO-1") == "Derechos"
    assert revenue.concept_of("Multa 2026", "one_off", None, "") == "Multa 2026"
    assert revenue.concept_of(None, None, None, "") == ""
    assert [revenue.channel_of(s) for s in ("gateway:x", "bank:y", "counter:cash", "demo")] == [
        "gateway",
        "bank",
        "counter",
        "other",
    ]


# -- omisos: ageing buckets and orders ---------------------------------------------------------


@pytest.fixture
def overdue(demo_app: Flask) -> Any:
    engine = demo_app.extensions["tramita"].engine
    seed_omisos(engine)
    return engine


def test_omisos_fall_in_ageing_buckets_by_their_oldest_debt(overdue: Any) -> None:
    with overdue.connect() as conn:
        ageing = ledger.omisos_ageing(conn, TODAY)
        only = [o.key for o in ledger.omisos(conn, TODAY, bucket="31-90")]
        oldest = [o.key for o in ledger.omisos(conn, TODAY, bucket="365+")]
        rows = {o.key: o for o in ledger.omisos(conn, TODAY)}
    assert [(a.bucket, a.objects, a.obligations, a.cents) for a in ageing] == [
        ("0-30", 2, 2, 80000),
        ("31-90", 1, 2, 35000),
        ("181-365", 1, 1, 40000),
        ("365+", 1, 1, 50000),
    ]
    assert only == ["O3"] and oldest == ["O5"]
    assert sorted(rows) == ["O1", "O2", "O3", "O4", "O5"]  # O6: due today; its old debt paid
    assert (rows["O3"].days_overdue, rows["O3"].bucket, rows["O3"].overdue_cents) == (
        31,
        "31-90",
        35000,
    )
    assert (rows["O4"].bucket, rows["O5"].bucket, rows["O2"].bucket) == ("181-365", "365+", "0-30")


def test_omisos_sort_by_amount_age_and_name_in_pages(overdue: Any) -> None:
    with overdue.connect() as conn:

        def keys(**how: Any) -> list[str]:
            return [o.key for o in ledger.omisos(conn, TODAY, **how)]

        assert keys(sort="amount") == ["O1", "O5", "O4", "O3", "O2"]
        assert keys(sort="age") == ["O5", "O4", "O3", "O2", "O1"]
        assert keys(sort="name") == ["O2", "O1", "O3", "O5", "O4"]
        assert keys(sort="amount", limit=2, offset=2) == ["O4", "O3"]
        assert keys(sort="id", limit=2) == ["O1", "O2"]
        with pytest.raises(ledger.LedgerError):
            keys(sort="size")
        with pytest.raises(ledger.LedgerError):
            keys(bucket="1-2")
