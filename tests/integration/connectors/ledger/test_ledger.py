"""The built-in ledger and the one door for money: an approved licence registers the business
with its yearly charge; payments settle obligations once; bad payments are refused and logged."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from connectors import ledger
from tests.helpers.ledger import (
    CITIZEN,
    approved,
    approved_licence,
    awaiting_payment,
    paid,
    recorder,
)
from tests.helpers.web import account
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.models import (
    LedgerPayment,
    Obligation,
    PaymentEvent,
    TaxableObject,
    table,
)
from workflow_engine.persistence.types import utcnow


def count(demo_app: Flask, model: Any, **where: Any) -> int:
    t = table(model)
    query = select(func.count()).select_from(t)
    for k, v in where.items():
        query = query.where(t.c[k] == v)
    with demo_app.extensions["tramita"].engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def test_the_order_is_an_obligation_and_a_payment_settles_it_once(demo_app: Flask) -> None:
    case_id, order = awaiting_payment(demo_app)
    services = demo_app.extensions["tramita"]
    with services.engine.connect() as conn:
        obligation = ledger.book.obligation_for_reference(conn, order.reference)
    assert obligation is not None and obligation.status == "open"
    assert obligation.amount_cents == order.amount_cents
    rec = recorder(demo_app)
    first = rec.record(paid(order))
    assert first.status == "recorded" and first.case_id == case_id
    state, _d, _v = services.cases.load(case_id)
    assert state.status != case_state.AWAITING_PAYMENT
    for _ in range(5):  # a replayed webhook changes nothing
        assert rec.record(paid(order)).status == "duplicate"
    assert count(demo_app, LedgerPayment, reference=order.reference) == 1
    # paying the same order again through another channel is refused, not a second payment
    again = rec.record(paid(order, external_id="bank-7", source="bank:banorte"))
    assert again.status == "refused" and again.reason == "already_paid"
    with services.engine.connect() as conn:
        taxpayer = ledger.taxpayer_for_user(conn, account(demo_app, CITIZEN).id)
        assert ledger.balance(conn, taxpayer) == {"MXN": 0}
    with services.engine.connect() as conn:
        statuses = [r.status for r in conn.execute(select(table(PaymentEvent))).all()]
    assert statuses.count("recorded") == 1 and statuses.count("duplicate") == 5


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"amount_cents": 1}, "amount_mismatch"),
        ({"currency": "USD"}, "currency_mismatch"),
        ({"reference": "CHO000000000000"}, "unknown_reference"),
    ],
)
def test_a_payment_that_does_not_match_is_refused_logged_and_changes_nothing(
    demo_app: Flask, changes: dict[str, Any], reason: str
) -> None:
    case_id, order = awaiting_payment(demo_app)
    _before, _d, version = demo_app.extensions["tramita"].cases.load(case_id)
    result = recorder(demo_app).record(paid(order, **changes))
    assert result.status == "refused" and result.reason == reason
    after, _d, version_after = demo_app.extensions["tramita"].cases.load(case_id)
    assert after.status == case_state.AWAITING_PAYMENT and version_after == version
    assert count(demo_app, LedgerPayment) == 0
    assert count(demo_app, PaymentEvent, status="refused", reason=reason) == 1


def test_failed_and_expired_payments_reach_the_case(demo_app: Flask) -> None:
    case_id, order = awaiting_payment(demo_app)
    rec = recorder(demo_app)
    assert (
        rec.record_failure(order.reference, "gateway:sandbox", "f1", "failed", "tarjeta").status
        == "recorded"
    )
    history = [e["type"] for e in demo_app.extensions["tramita"].cases.history(case_id)]
    assert "payment.failed" in history
    assert (
        rec.record_failure(order.reference, "gateway:sandbox", "r1", "refunded").status == "noted"
    )
    expired = rec.record_failure(order.reference, "gateway:sandbox", "e1", "expired")
    assert expired.status == "recorded"
    services = demo_app.extensions["tramita"]
    services.outbox.run_due()
    state, _d, _v = services.cases.load(case_id)
    assert state.payment is not None and state.payment.reference != order.reference  # a new order
    with services.engine.connect() as conn:
        old = ledger.book.obligation_for_reference(conn, order.reference)
        new = ledger.book.obligation_for_reference(conn, state.payment.reference)
    assert old.status == "cancelled" and new.status == "open"


def test_an_approved_licence_registers_the_business_with_its_yearly_charge(
    demo_app: Flask,
) -> None:
    services = demo_app.extensions["tramita"]
    result = approved_licence(demo_app)
    assert result.outcome == "approved"
    with services.engine.connect() as conn:
        business = conn.execute(select(table(TaxableObject))).one()
        assert business.kind == "business" and business.key == result.folio
        assert business.recurring["concept"].startswith("Refrendo")
        taxpayer = int(business.taxpayer_id)
        assert conn.execute(
            text("SELECT tax_id, kind FROM taxpayers WHERE id = :t"), {"t": taxpayer}
        ).one() == ("CEC150610K90", "moral")
    with services.engine.begin() as conn:
        assert ledger.generate_recurring(conn, 2027) == 1
        assert ledger.generate_recurring(conn, 2027) == 0  # the job can run again safely
    yearly = business.recurring["amount_cents"]
    with services.engine.connect() as conn:
        account = ledger.statement(conn, taxpayer, today=date(2027, 4, 1))
        assert account.balances == {"MXN": yearly}
        assert account.overdue == {"MXN": yearly}
        late = ledger.omisos(conn, date(2027, 4, 1))
        assert [(o.key, o.overdue_cents) for o in late] == [(result.folio, yearly)]
        assert ledger.omisos(conn, date(2027, 3, 1)) == []
    assert count(demo_app, Obligation, kind="recurring") == 1


def test_a_registered_vehicle_owes_its_yearly_tax_from_the_next_year(demo_app: Flask) -> None:
    """The case's fee includes the year's circulation tax (`case_covers_first_period`): the
    yearly charge starts the next year, due on its usual date; registering in December no
    longer brings a charge for the same year, already overdue (the engine's unit tests
    check the December dates themselves)."""
    services = demo_app.extensions["tramita"]
    result = approved(demo_app, "registro-vehicular")
    assert result.outcome == "approved"
    with services.engine.connect() as conn:
        vehicle = conn.execute(select(table(TaxableObject))).one()
    assert vehicle.kind == "vehicle"
    year = int(vehicle.recurring["from_year"]) - 1  # the year of registration
    assert year in (utcnow().year - 1, utcnow().year)  # a walk across New Year's Eve
    runner = demo_app.test_cli_runner()
    made = runner.invoke(args=["ledger", "generate-charges", "--year", str(year)])
    assert made.exit_code == 0 and made.output.startswith("0 "), made.output
    with services.engine.connect() as conn:
        account = ledger.statement(conn, int(vehicle.taxpayer_id), today=date(year, 12, 31))
        assert account.overdue == {}
    made = runner.invoke(args=["ledger", "generate-charges", "--year", str(year + 1)])
    assert made.exit_code == 0 and made.output.startswith("1 "), made.output
    with services.engine.connect() as conn:
        (charge,) = conn.execute(
            select(table(Obligation)).where(table(Obligation).c.kind == "recurring")
        ).all()
        assert (charge.period, charge.due_on, charge.amount_cents) == (
            str(year + 1),
            date(year + 1, 3, 31),
            3500,  # a pickup
        )


def test_the_yearly_job_follows_the_schedule_set_at_registration(demo_app: Flask) -> None:
    """Nothing before `from_year`; the year of registration charges its `first_charge`
    (pro-rated, due after the grace); later years the full amount on the usual day."""
    services = demo_app.extensions["tramita"]
    user_id = int(account(demo_app, CITIZEN).id)
    with services.engine.begin() as conn:
        taxpayer = ledger.book.taxpayer_for_user(conn, user_id)
        ledger.book.register_object(
            conn,
            taxpayer_id=taxpayer,
            kind="business",
            key="LIC-1",
            recurring={
                "concept": "Refrendo",
                "amount_cents": 120000,
                "currency": "MXN",
                "due_month": 3,
                "due_day": 31,
                "from_year": 2026,
                "first_charge": {"year": 2026, "amount_cents": 10000, "due_on": "2027-01-09"},
            },
        )
        assert ledger.generate_recurring(conn, 2025) == 0
        assert ledger.generate_recurring(conn, 2026) == 1
        assert ledger.generate_recurring(conn, 2027) == 1
        rows = conn.execute(
            select(
                table(Obligation).c.period,
                table(Obligation).c.amount_cents,
                table(Obligation).c.due_on,
            ).order_by(table(Obligation).c.period)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("2026", 10000, date(2027, 1, 9)),
        ("2027", 120000, date(2027, 3, 31)),
    ]


def test_payments_and_events_are_append_only(demo_app: Flask) -> None:
    _case_id, order = awaiting_payment(demo_app)
    recorder(demo_app).record(paid(order))
    engine = demo_app.extensions["tramita"].engine
    for table_name in ("ledger_payments", "payment_events"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(f"UPDATE {table_name} SET amount_cents = 0"))
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table_name}"))


def test_unpaid_orders_past_their_date_are_replaced_by_new_ones(demo_app: Flask) -> None:
    from datetime import timedelta

    from app.ledger_cli import expire_orders

    case_id, order = awaiting_payment(demo_app)
    services = demo_app.extensions["tramita"]
    assert expire_orders(services, order.expires_on) == 0  # still payable on its last day
    assert expire_orders(services, order.expires_on + timedelta(days=1)) == 1
    services.outbox.run_due()
    state, _d, _v = services.cases.load(case_id)
    assert state.status == case_state.AWAITING_PAYMENT
    assert state.payment is not None and state.payment.reference not in (None, order.reference)
    again = recorder(demo_app).record_failure(order.reference, "builtin:expiry", "x", "expired")
    assert again.status == "noted"  # an order expires once
    late = recorder(demo_app).record(paid(order, external_id="late"))
    assert late.status == "refused" and late.reason == "order_expired"


def test_bulk_recording_checks_each_payment_and_advances_cases_through_the_outbox(
    demo_app: Flask,
) -> None:
    services = demo_app.extensions["tramita"]
    first_case, first = awaiting_payment(demo_app)
    second_case, second = awaiting_payment(demo_app)
    results = recorder(demo_app).record_many(
        [
            paid(first, external_id="b1", source="bank:prueba"),
            paid(first, external_id="b2", source="bank:prueba"),  # same order again
            paid(second, external_id="b3", source="bank:prueba", amount_cents=5),
            paid(second, external_id="b4", source="bank:prueba", reference="CHO00000000000"),
        ]
    )
    assert [(r.status, r.reason) for r in results] == [
        ("recorded", ""),
        ("refused", "already_paid"),
        ("refused", "amount_mismatch"),
        ("refused", "unknown_reference"),
    ]
    assert results[0].folio
    services.outbox.run_due()
    state, _d, _v = services.cases.load(first_case)
    assert state.status != case_state.AWAITING_PAYMENT
    state, _d, _v = services.cases.load(second_case)
    assert state.status == case_state.AWAITING_PAYMENT
    again = recorder(demo_app).record_many([paid(first, external_id="b1", source="bank:prueba")])
    assert again[0].status == "duplicate"
    assert count(demo_app, LedgerPayment) == 1


def test_money_for_a_case_that_cannot_take_it_is_kept_and_explained(demo_app: Flask) -> None:
    from workflow_engine.engine import CancelCase

    case_id, order = awaiting_payment(demo_app)
    services = demo_app.extensions["tramita"]
    services.cases.execute(
        case_id,
        CancelCase(
            at=utcnow(), actor=account(demo_app, CITIZEN).actor(), reason="ya no lo necesito"
        ),
    )
    result = recorder(demo_app).record(paid(order, external_id="late-1"))
    assert result.status == "recorded" and result.reason == "case_not_waiting"
    assert count(demo_app, LedgerPayment, reference=order.reference) == 1  # the money is not lost
    state, _d, _v = services.cases.load(case_id)
    assert state.status == case_state.CLOSED and state.outcome == "cancelled"
    with services.engine.connect() as conn:
        reasons = [
            r.reason
            for r in conn.execute(
                select(table(PaymentEvent)).where(table(PaymentEvent).c.status == "recorded")
            ).all()
        ]
    assert reasons == ["case_not_waiting"]  # treasury sees it in the payment log
