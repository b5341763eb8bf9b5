"""Effects queued together run as one batch (one claim, one done-mark) with the same
guarantees as one at a time: each message runs once per lease, fails and backs off alone."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers.outbox import Clock, file_mini_case, outbox_rows
from workflow_engine.persistence.cases.outbox import OutboxItem, OutboxProcessor


def test_a_batch_runs_every_due_message_once_and_marks_them_done(outbox_setup) -> None:  # type: ignore[no-untyped-def]
    engine, service = outbox_setup
    file_mini_case(service)
    file_mini_case(service)
    seen: list[int] = []
    processor = OutboxProcessor(
        engine, service, {"notify": lambda item: seen.append(item.id)}, clock=Clock()
    )
    ids = [r["id"] for r in outbox_rows(engine)]
    assert len(ids) >= 2
    results = processor.process_many(ids)
    assert {i: r.status for i, r in results.items()} == dict.fromkeys(ids, "done")
    assert sorted(seen) == ids
    rows = outbox_rows(engine)
    assert all(r["status"] == "done" and r["attempts"] == 1 for r in rows)
    assert all(r["locked_until"] is None and r["done_at"] is not None for r in rows)
    # Run again (a duplicate dispatch): nothing is due, nothing runs twice.
    assert {r.status for r in processor.process_many(ids).values()} == {"skipped"}
    assert sorted(seen) == ids


def test_one_failure_in_a_batch_backs_off_alone_and_a_held_message_is_skipped(outbox_setup) -> None:  # type: ignore[no-untyped-def]
    engine, service = outbox_setup
    file_mini_case(service)
    file_mini_case(service)
    clock = Clock()
    ids = [r["id"] for r in outbox_rows(engine)]
    held, failing, rest = ids[0], ids[1], ids[2:]

    def handler(item: OutboxItem) -> None:
        if item.id == failing:
            raise ConnectionError("servidor de correo caído")

    processor = OutboxProcessor(
        engine, service, {"notify": handler}, base_delay=10, lease_seconds=60, clock=clock
    )
    assert processor._claim(held) is not None  # another worker holds it
    results = processor.process_many(ids)
    assert results[held].status == "busy"  # looked at again when its lease runs out
    assert results[failing].status == "retry" and 8 <= (results[failing].retry_in or 0) <= 12
    assert all(results[i].status == "done" for i in rest)
    rows = {r["id"]: r for r in outbox_rows(engine)}
    assert rows[held]["status"] == "running"
    assert rows[failing]["status"] == "pending"
    assert "servidor de correo caído" in rows[failing]["last_error"]
    assert all(rows[i]["status"] == "done" for i in rest)
    # The held lease expires and the back-off passes: the sweep hands both out again.
    clock.now += timedelta(seconds=61)
    assert processor.due() == [held, failing]
    processor.handlers["notify"] = lambda item: None  # the mail server is back
    assert {r.status for r in processor.process_many([held, failing]).values()} == {"done"}
