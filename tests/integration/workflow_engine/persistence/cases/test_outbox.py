"""The outbox: effects after commit, retried with back-off, dead-lettered, retried by hand."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers.engine import REVIEWER, T0
from tests.helpers.outbox import Clock, file_mini_case, outbox_rows
from workflow_engine.engine import Decide
from workflow_engine.persistence.cases.outbox import OutboxItem, OutboxProcessor, PermanentError


def test_effects_are_written_with_the_command_and_dispatched_after_commit(outbox_setup) -> None:  # type: ignore[no-untyped-def]
    engine, service = outbox_setup
    seen: list[list[int]] = []
    service.dispatcher = lambda ids: seen.append(list(ids))
    file_mini_case(service)
    rows = outbox_rows(engine)
    assert {r["kind"] for r in rows} == {"notify"}
    assert all(r["status"] == "pending" for r in rows)
    assert [i for batch in seen for i in batch] == [r["id"] for r in rows]
    keys = [r["idempotency_key"] for r in rows]
    assert len(keys) == len(set(keys))


def test_failures_back_off_exponentially_then_dead_letter(outbox_setup) -> None:  # type: ignore[no-untyped-def]
    engine, service = outbox_setup
    file_mini_case(service)
    clock = Clock()
    calls: list[str] = []

    def flaky(item: OutboxItem) -> None:
        calls.append(item.key)
        raise ConnectionError("servidor de correo caído")

    processor = OutboxProcessor(
        engine, service, {"notify": flaky}, max_attempts=3, base_delay=10, clock=clock
    )
    first = outbox_rows(engine)[0]["id"]
    delays = []
    for _ in range(3):
        result = processor.process(first)
        if result.retry_in is not None:
            delays.append(result.retry_in)
        assert processor.process(first).status == "skipped"  # not due yet
        clock.now += timedelta(hours=2)
    assert result.status == "dead"
    assert 8 <= delays[0] <= 12 and 16 <= delays[1] <= 24  # 10 s, then 20 s (with jitter)
    dead = processor.dead_letters()
    assert [d["id"] for d in dead] == [first]
    assert "servidor de correo caído" in dead[0]["last_error"]
    processor.handlers["notify"] = lambda item: None
    assert processor.retry_dead() == [first]
    assert processor.process(first).status == "done"
    assert processor.dead_letters() == []


def test_permanent_errors_and_unknown_kinds_dead_letter_at_once(outbox_setup) -> None:  # type: ignore[no-untyped-def]
    engine, service = outbox_setup
    file_mini_case(service)

    def broken(item: OutboxItem) -> None:
        raise PermanentError("plantilla de correo inexistente")

    processor = OutboxProcessor(engine, service, {"notify": broken}, clock=Clock())
    ids = [r["id"] for r in outbox_rows(engine)]
    assert processor.process(ids[0]).status == "dead"
    processor.handlers.clear()
    assert processor.process(ids[1]).status == "dead"
    assert "no handler" in processor.dead_letters()[1]["last_error"]


def test_a_claimed_message_is_not_run_twice_until_its_lease_expires(outbox_setup) -> None:  # type: ignore[no-untyped-def]
    engine, service = outbox_setup
    file_mini_case(service)
    clock = Clock()
    processor = OutboxProcessor(
        engine, service, {"notify": lambda item: None}, lease_seconds=60, clock=clock
    )
    first = outbox_rows(engine)[0]["id"]
    assert processor._claim(first) is not None  # a worker took it, then died
    held = processor.process(first)
    # Not run again; look again once the lease would have run out (a redelivered message).
    assert held.status == "busy" and held.retry_in == 61
    assert first not in processor.due()
    clock.now += timedelta(seconds=61)
    assert first in processor.due()
    assert processor.process(first).status == "done"
    assert outbox_rows(engine)[0]["attempts"] == 2


def test_handler_results_come_back_as_commands(outbox_setup) -> None:  # type: ignore[no-untyped-def]
    engine, service = outbox_setup
    case_id = file_mini_case(service)
    (task,) = service.load(case_id)[0].open_tasks()
    service.execute(case_id, Decide(at=T0, actor=REVIEWER, task_id=task.id, decision="approve"))
    from workflow_engine.engine import Actor, PaymentOrderCreated

    def create_order(item: OutboxItem) -> list:  # type: ignore[type-arg]
        return [
            PaymentOrderCreated(
                at=T0,
                actor=Actor.system(),
                step_id="pago",
                attempt=int(item.payload["attempt"]),
                reference="REF-1",
            )
        ]

    processor = OutboxProcessor(
        engine,
        service,
        {"notify": lambda item: None, "payment.create_order": create_order},
        clock=Clock(),
    )
    processor.run_due()
    processor.run_due()  # a second sweep finds nothing left and changes nothing
    state = service.load(case_id)[0]
    assert state.payment is not None and state.payment.reference == "REF-1"
    assert all(r["status"] == "done" for r in outbox_rows(engine))
