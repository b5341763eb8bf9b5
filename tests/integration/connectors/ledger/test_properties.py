"""Ledger properties (hypothesis) on a real migrated database: for any sequence of charges
and payments, the balance is charges minus payments per currency, and replaying a payment
(same source and external id) changes nothing."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert

from app.cli import run_migrations
from connectors import ledger
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import Taxpayer, table

_ids = itertools.count(1)

charge_op = st.tuples(
    st.just("charge"),
    st.integers(min_value=1, max_value=10_000_000),
    st.sampled_from(["MXN", "USD"]),
    st.booleans(),  # cancelled afterwards?
)
payment_op = st.tuples(
    st.just("payment"),
    st.integers(min_value=1, max_value=10_000_000),
    st.sampled_from(["MXN", "USD"]),
    st.integers(min_value=0, max_value=5),  # external id: small range, so replays happen
)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("ledger-props") / "ledger.db"
    url = f"sqlite:///{path}"
    run_migrations(url)
    made = make_engine(url)
    yield made
    made.dispose()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(st.one_of(charge_op, payment_op), max_size=25))
def test_balance_is_charges_minus_payments_and_replays_change_nothing(
    engine: Engine, ops: list[tuple[object, ...]]
) -> None:
    run = next(_ids)
    expected: dict[str, int] = {}
    recorded: set[int] = set()
    with engine.begin() as conn:
        taxpayer = conn.execute(
            insert(table(Taxpayer))
            .values(kind="fisica", name=f"Prueba {run}", created_at=datetime.now(UTC))
            .returning(table(Taxpayer).c.id)
        ).scalar_one()
        for n, op in enumerate(ops):
            if op[0] == "charge":
                _kind, cents, currency, cancel = op
                reference = f"R{run}X{n}"
                ledger.charge(
                    conn,
                    idempotency_key=f"prop:{run}:{n}",
                    taxpayer_id=taxpayer,
                    concept="Derecho",
                    amount_cents=int(cents),  # type: ignore[call-overload]
                    currency=str(currency),
                    due_on=date(2026, 1, 31),
                    reference=reference,
                )
                if cancel:
                    ledger.cancel_obligation(conn, reference)
                else:
                    expected[str(currency)] = expected.get(str(currency), 0) + int(cents)  # type: ignore[call-overload]
            else:
                _kind, cents, currency, external = op
                written = ledger.add_payment(
                    conn,
                    reference=f"R{run}",
                    amount_cents=int(cents),  # type: ignore[call-overload]
                    currency=str(currency),
                    source="bank:prueba",
                    external_id=f"{run}-{external}",
                    paid_at=datetime.now(UTC),
                    taxpayer_id=taxpayer,
                    obligation_id=None,
                    case_id=None,
                )
                assert written == (external not in recorded)
                if written:
                    recorded.add(int(external))  # type: ignore[call-overload]
                    expected[str(currency)] = expected.get(str(currency), 0) - int(cents)  # type: ignore[call-overload]
        balance = ledger.balance(conn, taxpayer)
    assert {c: v for c, v in balance.items()} == {
        c: v for c, v in expected.items() if c in balance or v != 0
    }
    with engine.connect() as conn:
        statement = ledger.statement(conn, taxpayer, date(2026, 6, 1))
    assert statement.balances == balance
