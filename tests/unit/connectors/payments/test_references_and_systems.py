"""Payment references and the collection-system interface (no database)."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.iso7064 import mod_97_10

from connectors.payments import (
    CANCELLED,
    PAID,
    PENDING,
    PaymentOrderError,
    PaymentOrderRequest,
    confirm_payment_command,
    is_valid_reference,
    make_payment_handler,
    new_reference,
)
from connectors.payments.fake import InMemoryCollectionSystem
from workflow_engine.engine.commands import PaymentConfirmed, PaymentOrderCreated
from workflow_engine.persistence.cases.outbox import OutboxItem, PermanentError


def test_reference_shape_and_check_digits() -> None:
    reference = new_reference("CHO", "12:pago:1")
    assert reference.startswith("CHO")
    assert len(reference) == 3 + 10 + 2
    assert reference[3:].isdigit()
    assert mod_97_10.is_valid(reference)
    assert is_valid_reference(reference)
    assert is_valid_reference(f"{reference[:7]} {reference[7:]}".lower())


def test_reference_catches_typos() -> None:
    reference = new_reference("CHO", "12:pago:1")
    body = reference[3:13]
    for i in range(len(body)):
        digit = str((int(body[i]) + 1) % 10)
        typo = reference[: 3 + i] + digit + reference[4 + i :]
        assert not is_valid_reference(typo)
    swapped = reference[:5] + reference[6] + reference[5] + reference[7:]
    if swapped != reference:
        assert not is_valid_reference(swapped)
    assert not is_valid_reference("")
    assert not is_valid_reference("CHO-??")


def test_references_are_random_but_share_the_derived_part() -> None:
    references = {new_reference("CHO", "12:pago:1") for _ in range(200)}
    # 10^6 random parts: a rare collision (~2% of runs) is retried by create_order.
    assert len(references) >= 197
    assert len({r[3:7] for r in references}) == 1  # same case/step/attempt
    derived = next(iter(references))[3:7]
    assert new_reference("CHO", "13:pago:1")[3:7] != derived
    assert new_reference("CHO", "12:pago:2")[3:7] != derived


def _request(key: str = "9:payment:pago:1") -> PaymentOrderRequest:
    return PaymentOrderRequest(
        idempotency_key=key,
        case_id=9,
        folio="CHO-2026-ABCDE0",
        step_id="pago",
        attempt=1,
        amount_cents=12345,
        currency="MXN",
        expires_days=5,
    )


def test_fake_collection_system_behaves_like_the_interface() -> None:
    system = InMemoryCollectionSystem(today=date(2026, 3, 2))
    order = system.create_order(_request())
    assert system.create_order(_request()) == order
    assert order.expires_on == date(2026, 3, 7)
    assert system.query_status(order.reference) == PENDING
    assert system.query_status("NOPE") is None
    system.cancel(order.reference)
    system.cancel(order.reference)
    assert system.query_status(order.reference) == CANCELLED
    other = system.create_order(_request("9:payment:pago:2"))
    system.pay(other.reference)
    assert system.query_status(other.reference) == PAID
    with pytest.raises(PaymentOrderError):
        system.cancel(other.reference)
    with pytest.raises(PaymentOrderError):
        system.cancel("NOPE")


def _item(payload: dict[str, object]) -> OutboxItem:
    return OutboxItem(
        id=3,
        case_id=9,
        kind="payment.create_order",
        key="9:payment:pago:1",
        payload=payload,
        attempts=1,
    )


def test_handler_reads_the_engine_payload() -> None:
    system = InMemoryCollectionSystem(today=date(2026, 3, 2))
    handler = make_payment_handler(system)
    payload = {
        "case_id": "9",
        "folio": "CHO-2026-ABCDE0",
        "step_id": "pago",
        "attempt": 1,
        "total_cents": 50000,
        "currency": "MXN",
        "expires_days": 10,
        "lines": [{"id": "derecho", "label": {"es": "Derecho"}, "amount_cents": 50000}],
        "concept": {"es": "Derechos"},
    }
    commands = handler(_item(payload))
    assert len(commands) == 1
    command = commands[0]
    assert isinstance(command, PaymentOrderCreated)
    assert (command.step_id, command.attempt) == ("pago", 1)
    assert command.reference == "FAKE000001"
    assert command.expires_on == "2026-03-12"
    assert command.actor.kind == "system"
    assert handler(_item(payload))[0].reference == "FAKE000001"  # type: ignore[attr-defined]
    assert system.orders["FAKE000001"].lines[0]["id"] == "derecho"


@pytest.mark.parametrize(
    "payload",
    [{"step_id": "pago"}, {"step_id": "pago", "attempt": 1, "total_cents": 0}],
)
def test_malformed_payloads_are_permanent(payload: dict[str, object]) -> None:
    handler = make_payment_handler(InMemoryCollectionSystem())
    with pytest.raises(PermanentError):
        handler(_item(payload))


def test_confirm_payment_command() -> None:
    command = confirm_payment_command("CHO123", 500, "MXN", "caja-1")
    assert isinstance(command, PaymentConfirmed)
    assert command.actor.kind == "system"
    assert (command.reference, command.amount_cents, command.currency, command.provider_id) == (
        "CHO123",
        500,
        "MXN",
        "caja-1",
    )
