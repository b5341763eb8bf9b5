"""Treasury figures against sums done by hand: money collected by month, channel, concept and
procedure; orders issued against paid; the yearly forecast; the taxpayer base; the omisos
ageing. Every date is fixed (the range, `today`, each row's moment), on each backend."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask

from connectors import ledger
from connectors.ledger import revenue
from connectors.ledger.revenue import Amount, Period
from tests.helpers.ledger import OMISOS_TODAY as TODAY
from tests.helpers.ledger import seed_books, seed_omisos
from workflow_engine.persistence.models import PaymentOrder, table

TZ = "America/Mexico_City"  # UTC-6 all year
orders_t = table(PaymentOrder)
Q1 = Period(date(2026, 1, 1), date(2026, 3, 31), TZ)


@pytest.fixture
def books(demo_app: Flask) -> dict[str, Any]:
    return seed_books(demo_app)


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
