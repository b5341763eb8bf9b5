"""The treasury's daily totals (connectors.ledger.totals) against the payments themselves:
after payments through every door (a gateway webhook, a bank file, the cashier counter, the
ledger's own `add_payment`), on both sides of local midnight, in two currencies, the money
collected summed from the totals equals a raw recomputation over every payment (the
computation the revenue page made before, frozen below), for random periods and filters;
rebuilding the totals from the payments, or migration 0020's backfill, gives the very rows
the doors wrote. On each backend."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine, case, func, not_, or_, select, update

from connectors import ledger
from connectors.ledger import revenue, totals
from connectors.ledger.book import cases_t, obligations_t, payments_t
from connectors.ledger.revenue import CHANNELS, Amount, Collected, Period, concept_of
from connectors.payments.counter import Counter
from tests.helpers.ledger import awaiting_payment, paid, recorder, taxpayer, utc
from workflow_engine.persistence.models import PaymentOrder, table
from workflow_engine.persistence.types import replaying

TZ = "America/Mexico_City"  # UTC-6 all year: local midnight is 06:00 UTC
orders_t = table(PaymentOrder)
SOURCES = ("gateway:sandbox", "bank:banorte", "counter:cash", "counter:card", "demo")


def raw_collected(
    conn: Connection,
    period: Period,
    *,
    procedure: str | None = None,
    procedures: Collection[str] | None = None,
    channel: str | None = None,
) -> Collected:
    """`revenue.collected` as it was before the daily totals: every payment of the period
    joined to its obligation, order and case, then grouped."""
    lo, hi = period.bounds()
    case_id = func.coalesce(payments_t.c.case_id, obligations_t.c.case_id)
    rows = (
        select(
            period.month_case(payments_t.c.paid_at).label("month"),
            case(
                *((payments_t.c.source.like(f"{c}:%"), c) for c in CHANNELS[:-1]),
                else_="other",
            ).label("channel"),
            payments_t.c.currency,
            payments_t.c.amount_cents,
            cases_t.c.procedure_key,
            orders_t.c.step_id,
            obligations_t.c.kind,
            obligations_t.c.period,
            case((cases_t.c.id.is_(None), obligations_t.c.concept), else_=None).label("own"),
            obligations_t.c.concept,
        )
        .outerjoin(obligations_t, obligations_t.c.id == payments_t.c.obligation_id)
        .outerjoin(cases_t, cases_t.c.id == case_id)
        .outerjoin(orders_t, orders_t.c.reference == obligations_t.c.reference)
        .where(payments_t.c.paid_at >= lo, payments_t.c.paid_at < hi)
    )
    if procedure == "":
        rows = rows.where(cases_t.c.id.is_(None))
    elif procedure:
        rows = rows.where(cases_t.c.procedure_key == procedure)
    if procedures is not None:
        rows = rows.where(cases_t.c.procedure_key.in_(sorted(procedures)))
    if channel == "other":
        rows = rows.where(not_(or_(*(payments_t.c.source.like(f"{c}:%") for c in CHANNELS[:-1]))))
    elif channel:
        rows = rows.where(payments_t.c.source.like(f"{channel}:%"))
    each = rows.subquery()
    keys_ = (
        each.c.month,
        each.c.channel,
        each.c.currency,
        each.c.procedure_key,
        each.c.step_id,
        each.c.kind,
        each.c.period,
        each.c.own,
    )
    groups = select(
        *keys_,
        func.min(each.c.concept).label("concept"),
        func.count().label("n"),
        func.sum(each.c.amount_cents).label("cents"),
    ).group_by(*keys_)
    sums: dict[str, dict[tuple[str, str], list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    for r in conn.execute(groups):
        if r.own is not None or r.concept is None:
            concept = concept_of(r.own, r.kind, r.period, "")
        else:
            concept = r.concept.rsplit(" · ", 1)[0]
        for name, key in (
            ("total", ""),
            ("month", r.month),
            ("channel", r.channel),
            ("concept", concept),
            ("procedure", r.procedure_key or ""),
        ):
            sums[name][key, r.currency][0] += int(r.n)
            sums[name][key, r.currency][1] += int(r.cents)

    def rows_of(name: str) -> list[Amount]:
        found = [Amount(k, c, v[0], v[1]) for (k, c), v in sums[name].items()]
        return sorted(found, key=lambda a: (a.currency, -a.cents, a.key))

    currencies = sorted({c for _k, c in sums["total"]}) or ["MXN"]
    months = sums["month"]
    return Collected(
        total=rows_of("total"),
        by_month=[
            Amount(m, c, months[m, c][0] if (m, c) in months else 0, months.get((m, c), [0, 0])[1])
            for c in currencies
            for m in period.months()
        ],
        by_channel=rows_of("channel"),
        by_concept=rows_of("concept"),
        by_procedure=rows_of("procedure"),
    )


def day_rows(conn: Connection) -> dict[tuple[Any, ...], tuple[int, int]]:
    t = totals.day_totals_t.c
    found = conn.execute(
        select(t.day, t.channel, t.currency, t.procedure_key, t.concept, t.n, t.cents)
    )
    return {tuple(r[:5]): (int(r.n), int(r.cents)) for r in found}


def near_midnight(rng: random.Random) -> datetime:
    """A moment in the first half of 2026, half of them within minutes of local midnight."""
    day = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(181))
    if rng.random() < 0.5:
        return day + timedelta(hours=6, minutes=rng.randint(-3, 2), seconds=rng.randint(0, 59))
    return day + timedelta(seconds=rng.randrange(86400))


def pay_through_every_door(app: Flask, seed: int = 17, extra: int = 120) -> dict[str, Any]:
    """Four licence orders paid by a webhook (23:59 local on 28 Feb), a bank file (00:00
    local on 1 Mar), the counter (cash, 31 Mar at 23:30 local) and a webhook in dollars
    (1 Apr at 00:30 local); then `extra` random ledger payments: yearly charges, one-off
    fines, a case's fees, payments of no obligation, through every source, in pesos and
    dollars, half of them within minutes of local midnight."""
    services = app.extensions["tramita"]
    engine: Engine = services.engine
    made = [awaiting_payment(app) for _ in range(4)]
    (case_a, a), (_b_id, b), (_c_id, c), (_d_id, d) = made
    with engine.begin() as conn:
        conn.execute(update(orders_t).where(orders_t.c.id == d.id).values(currency="USD"))
        conn.execute(
            update(obligations_t)
            .where(obligations_t.c.reference == d.reference)
            .values(currency="USD")
        )
    rec = recorder(app)
    assert rec.record(paid(a, "gw-a", paid_at=utc(2026, 3, 1, 5) + timedelta(minutes=59)))
    [banked] = rec.record_many(
        [paid(b, "bank-b", source="bank:banorte", paid_at=utc(2026, 3, 1, 6))]
    )
    assert banked.status == "recorded"
    with replaying(lambda: utc(2026, 4, 1, 5) + timedelta(minutes=30)):
        took = Counter(engine, rec, TZ).take(c.reference, "cash", "7", "counter-key-1")
    assert took.status == "recorded"
    dollars = paid(d, "gw-d", currency="USD", paid_at=utc(2026, 4, 1, 6) + timedelta(minutes=30))
    assert rec.record(dollars).status == "recorded"
    rng = random.Random(seed)
    with engine.begin() as conn:
        folio = conn.execute(select(cases_t.c.folio).where(cases_t.c.id == case_a)).scalar_one()
        owner = taxpayer(conn, "Propiedades SA", "moral", utc(2025, 1, 1))
        for n in range(extra):
            kind = rng.choice(("recurring", "one_off", "fee", "none", "case"))
            currency = rng.choice(("MXN", "MXN", "USD"))
            cents = rng.randint(1, 500) * 100
            obligation_id = case_id = None
            if kind in ("recurring", "one_off", "fee"):
                year = rng.choice((2025, 2026))
                concept = {
                    "recurring": f"{rng.choice(('Refrendo', 'Predial'))} {year}",
                    "one_off": rng.choice(("Multa", "Multa 2026")),
                    "fee": f"Derechos · {folio}",
                }[kind]
                obligation_id = ledger.charge(
                    conn,
                    idempotency_key=f"totals-{n}",
                    taxpayer_id=owner,
                    concept=concept,
                    amount_cents=cents,
                    currency=currency,
                    due_on=date(year, 3, 31),
                    kind="recurring" if kind == "recurring" else "one_off",
                    period=str(year) if kind == "recurring" else None,
                    case_id=case_a if kind == "fee" else None,
                    reference=f"T{n}",
                )
            elif kind == "case":
                case_id = case_a
            assert ledger.add_payment(
                conn,
                reference=f"T{n}",
                amount_cents=cents,
                currency=currency,
                source=rng.choice(SOURCES),
                external_id=f"totals-{n}",
                paid_at=near_midnight(rng),
                taxpayer_id=owner,
                obligation_id=obligation_id,
                case_id=case_id,
                timezone=TZ,
            )
    return {"engine": engine, "key": "licencia-funcionamiento", "rng": rng, "a": a}


@pytest.fixture
def paid_everywhere(demo_app: Flask) -> dict[str, Any]:
    return pay_through_every_door(demo_app)


def test_the_totals_give_the_figures_of_every_payment(paid_everywhere: dict[str, Any]) -> None:
    engine, key, rng = paid_everywhere["engine"], paid_everywhere["key"], paid_everywhere["rng"]
    periods = [
        Period(date(2026, 1, 1), date(2026, 6, 30), TZ),
        Period(date(2026, 2, 28), date(2026, 2, 28), TZ),  # the webhook at 23:59 local
        Period(date(2026, 3, 1), date(2026, 3, 31), TZ),  # the bank at 00:00 local
        Period(date(2026, 3, 31), date(2026, 4, 1), TZ),  # the counter, the dollars
    ]
    for _ in range(8):
        start = date(2025, 12, 20) + timedelta(days=rng.randrange(200))
        periods.append(Period(start, start + timedelta(days=rng.randrange(120)), TZ))
    filters: list[dict[str, Any]] = [
        {},
        {"procedure": ""},
        {"procedure": key},
        {"procedures": {key}},
        {"procedures": set()},
        *({"channel": c} for c in CHANNELS),
    ]
    with engine.connect() as conn:
        whole = revenue.collected(conn, periods[0])
        assert {a.currency for a in whole.total} == {"MXN", "USD"}
        assert {a.key for a in whole.by_channel} == set(CHANNELS)
        for period in periods:
            for how in filters:
                assert revenue.collected(conn, period, **how) == raw_collected(
                    conn, period, **how
                ), (period, how)


def test_each_door_counts_on_its_local_day(demo_app: Flask) -> None:
    books = pay_through_every_door(demo_app, extra=0)
    engine, key = books["engine"], books["key"]
    periods = [
        Period(date(2026, 2, 28), date(2026, 2, 28), TZ),  # the webhook at 23:59 local
        Period(date(2026, 3, 1), date(2026, 3, 31), TZ),  # the bank at 00:00 local
        Period(date(2026, 3, 31), date(2026, 4, 1), TZ),  # the counter, the dollars
    ]
    with engine.connect() as conn:
        feb = revenue.collected(conn, periods[0], procedure=key)
        mar = revenue.collected(conn, periods[1], procedure=key)
        apr = revenue.collected(conn, periods[2], procedure=key)
        for period in periods:
            assert revenue.collected(conn, period) == raw_collected(conn, period)
    assert [(a.key, a.count) for a in feb.by_channel] == [("gateway", 1)]
    assert [(a.key, a.count) for a in mar.by_channel] == [("bank", 1), ("counter", 1)]
    assert [(a.key, a.currency, a.count) for a in apr.by_channel] == [
        ("counter", "MXN", 1),
        ("gateway", "USD", 1),
    ]
    assert [(a.key, a.currency, a.count) for a in apr.by_month if a.count] == [
        ("2026-03", "MXN", 1),
        ("2026-04", "USD", 1),
    ]


def test_rebuilding_the_totals_gives_the_rows_the_doors_wrote(
    paid_everywhere: dict[str, Any],
) -> None:
    engine = paid_everywhere["engine"]
    with engine.connect() as conn:
        written = day_rows(conn)
    assert sum(n for n, _c in written.values()) >= 124
    with engine.begin() as conn:
        assert totals.rebuild(conn, TZ, days_per_query=7) == len(written)
        assert day_rows(conn) == written


def test_a_replayed_payment_adds_nothing(demo_app: Flask, paid_everywhere: dict[str, Any]) -> None:
    engine = paid_everywhere["engine"]
    with engine.connect() as conn:
        before = day_rows(conn)
        first = conn.execute(select(payments_t).where(payments_t.c.external_id == "totals-0")).one()
    again = paid(paid_everywhere["a"], "gw-a", paid_at=utc(2026, 3, 1, 5))
    assert recorder(demo_app).record(again).status == "duplicate"
    assert recorder(demo_app).record_many([again])[0].status == "duplicate"
    with engine.begin() as conn:
        assert not ledger.add_payment(
            conn,
            reference=first.reference,
            amount_cents=first.amount_cents,
            currency=first.currency,
            source=first.source,
            external_id=first.external_id,
            paid_at=first.paid_at,
            taxpayer_id=first.taxpayer_id,
            obligation_id=first.obligation_id,
            case_id=first.case_id,
            timezone=TZ,
        )
    with engine.connect() as conn:
        assert day_rows(conn) == before


def _alembic(db_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    import migrations

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).resolve().parent))
    config.attributes["database_url"] = db_url
    return config


def test_the_migration_backfills_the_totals_and_the_orders_procedures(
    db_url: str, demo_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    books = pay_through_every_door(demo_app, seed=3, extra=60)
    engine = books["engine"]
    today = date(2026, 4, 15)
    whole = Period(date(2026, 1, 1), date(2026, 12, 31), TZ)
    with engine.connect() as conn:
        written = day_rows(conn)
        orders = revenue.orders(conn, whole, today)
        keys = dict(conn.execute(select(orders_t.c.id, orders_t.c.procedure_key)).all())
    assert orders and set(keys.values()) == {books["key"]}
    monkeypatch.delenv("TIMEZONE", raising=False)
    monkeypatch.delenv("DEMO_MUNICIPALITY", raising=False)
    config = _alembic(db_url)
    command.downgrade(config, "0019_money_indexes")
    command.upgrade(config, "head")
    engine.dispose()
    with engine.connect() as conn:
        assert day_rows(conn) == written
        assert revenue.orders(conn, whole, today) == orders
        assert dict(conn.execute(select(orders_t.c.id, orders_t.c.procedure_key)).all()) == keys
        assert revenue.collected(conn, whole) == raw_collected(conn, whole)
