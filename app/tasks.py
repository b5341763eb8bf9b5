"""Celery app, tasks and the one schedule that Celery beat and the in-process sweeper share.

A task is a small module-level function calling domain code with the services of its Celery
app (`task.app.services`). Without CELERY_BROKER_URL the same tasks run in-process (eager), so
`make run` needs no Redis. Task and beat entry names are persisted by the broker and by beat's
schedule file: keep them stable.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Protocol

from celery import Celery, Task
from celery.schedules import crontab
from sqlalchemy import Engine

from app.config import Settings
from connectors.gateway import GatewayConfig, poll_gateway
from connectors.ledger import generate_yearly_charges
from connectors.payments.expiry import expire_orders
from workflow_engine.persistence.cases.drafts import expire_abandoned_drafts
from workflow_engine.persistence.cases.exports import CaseExports
from workflow_engine.persistence.cases.outbox import OutboxProcessor
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.cases.timers import fire_due_timers
from workflow_engine.persistence.platform.uploads import UploadStore

log = logging.getLogger(__name__)


class TaskServices(Protocol):
    """What the tasks use of a process's services (app/services.py `Services`)."""

    settings: Settings
    engine: Engine
    cases: CaseService
    outbox: OutboxProcessor
    uploads: UploadStore
    exports: CaseExports

    def gateway_config(self) -> GatewayConfig | None: ...


class TramitaCelery(Celery):
    """One process's Celery app, holding the services its tasks run with."""

    def __init__(self, services: TaskServices, **options: Any) -> None:
        super().__init__("tramita", set_as_current=False, **options)
        self.services = services


def _services(task: Task[Any, Any]) -> TaskServices:
    services: TaskServices = task.app.services  # type: ignore[attr-defined]  # TramitaCelery's
    return services


# -- tasks ---------------------------------------------------------------------------------


def _later(task: Task[Any, Any], message_id: int, result: Any) -> None:
    """A retry after its back-off; a message another worker holds (a redelivery after a pool
    process died mid-task) is looked at again when that lease would run out."""
    eager = task.app.conf.task_always_eager
    if result.status in ("retry", "busy") and result.retry_in is not None and not eager:
        task.app.tasks["tramita.dispatch_outbox"].apply_async(
            (message_id,), countdown=result.retry_in
        )


def dispatch_outbox(task: Task[Any, Any], message_id: int) -> str:
    result = _services(task).outbox.process(message_id)
    _later(task, message_id, result)
    return str(result.status)


def dispatch_outbox_many(task: Task[Any, Any], message_ids: list[int]) -> dict[str, str]:
    """The messages one command queued, in one task: one broker message per commit instead
    of one per effect (a payment webhook queues two), one claim and one done-mark for all.
    Each message still retries on its own."""
    results = _services(task).outbox.process_many([int(m) for m in message_ids])
    for message_id, result in results.items():
        _later(task, message_id, result)
    return {str(k): r.status for k, r in results.items()}


def sweep_outbox(task: Task[Any, Any]) -> int:
    ids = _services(task).outbox.due()
    for message_id in ids:
        task.app.tasks["tramita.dispatch_outbox"].delay(message_id)
    return len(ids)


def fire_timers(task: Task[Any, Any]) -> int:
    return fire_due_timers(_services(task).cases)


def expire_payment_orders(task: Task[Any, Any]) -> int:
    services = _services(task)
    return expire_orders(services.engine, services.cases, timezone=services.settings.timezone)


def ledger_yearly_charges(task: Task[Any, Any]) -> int:
    services = _services(task)
    return generate_yearly_charges(services.engine, timezone=services.settings.timezone)


def expire_drafts(task: Task[Any, Any]) -> dict[str, int]:
    services = _services(task)
    sweep = expire_abandoned_drafts(services.cases, services.uploads)
    return {"warned": len(sweep.warned), "cancelled": len(sweep.cancelled)}


def poll_payment_gateway(task: Task[Any, Any]) -> dict[str, object]:
    services = _services(task)
    return poll_gateway(
        services.gateway_config(),
        services.engine,
        services.cases,
        timezone=services.settings.timezone,
    )


def build_case_export(task: Task[Any, Any], export_id: int) -> str:
    """One case export's file (app/staff/exports.py asks for it)."""
    return _services(task).exports.build(int(export_id))


def purge_case_exports(task: Task[Any, Any]) -> int:
    return _services(task).exports.purge()


TASKS: dict[str, Callable[..., Any]] = {
    "tramita.dispatch_outbox": dispatch_outbox,
    "tramita.dispatch_outbox_many": dispatch_outbox_many,
    "tramita.sweep_outbox": sweep_outbox,
    "tramita.fire_timers": fire_timers,
    "tramita.expire_payment_orders": expire_payment_orders,
    "tramita.ledger_yearly_charges": ledger_yearly_charges,
    "tramita.expire_drafts": expire_drafts,
    "tramita.poll_payment_gateway": poll_payment_gateway,
    "tramita.build_case_export": build_case_export,
    "tramita.purge_case_exports": purge_case_exports,
}


# -- the schedule ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Periodic:
    """One periodic task: every `every` seconds, or daily at `daily_at` (UTC)."""

    name: str  # beat's entry name
    task: str
    every: float | None = None
    daily_at: time | None = None
    inline: bool = True  # also run by the in-process sweeper (no broker, INLINE_SWEEPER)

    def beat_entry(self) -> dict[str, Any]:
        if self.daily_at is not None:
            when = crontab(minute=self.daily_at.minute, hour=self.daily_at.hour)
            return {"task": self.task, "schedule": when}
        return {"task": self.task, "schedule": float(self.every or 60.0)}


def schedule(gateway_poll_seconds: float = 60.0) -> tuple[Periodic, ...]:
    return (
        Periodic("sweep-outbox", "tramita.sweep_outbox", every=15.0),
        Periodic("fire-timers", "tramita.fire_timers", every=60.0),
        # Payment gateway checkouts whose webhook never came (GATEWAY_POLL_SECONDS).
        Periodic(
            "poll-payment-gateway",
            "tramita.poll_payment_gateway",
            every=gateway_poll_seconds,
            inline=False,
        ),
        # Unpaid payment orders past their date: a new order with a new reference.
        Periodic(
            "expire-payment-orders",
            "tramita.expire_payment_orders",
            daily_at=time(6, 15),
            inline=False,
        ),
        # Yearly charges (renewals, yearly taxes): daily, idempotent per object and year.
        Periodic(
            "ledger-yearly-charges",
            "tramita.ledger_yearly_charges",
            daily_at=time(10, 0),
            inline=False,
        ),
        # Daily, at 09:30 UTC (early morning in the Americas).
        Periodic("expire-drafts", "tramita.expire_drafts", daily_at=time(9, 30)),
        # Case exports kept past their time (exports.KEEP_FOR): their files are deleted.
        Periodic("purge-case-exports", "tramita.purge_case_exports", every=3600.0),
    )


def broker_options(timeout: float) -> dict[str, Any]:
    """Celery settings that bound every wait on the broker: a Redis that accepts
    connections and never answers fails a publish within a few `timeout`s instead of
    holding the caller (the web publishes off the request path anyway, app/services.py)."""
    return {
        "broker_connection_timeout": timeout,
        "broker_transport_options": {
            "visibility_timeout": 3600,
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
        },
        "task_publish_retry_policy": {
            "max_retries": 1,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 0.5,
        },
    }


def make_celery(services: TaskServices) -> TramitaCelery:
    settings = services.settings
    gateway = services.gateway_config()
    celery = TramitaCelery(services, broker=settings.broker_url or "memory://")
    celery.conf.update(
        task_always_eager=settings.broker_url is None,
        task_eager_propagates=False,
        # A task is acknowledged after it ran; a pool process killed mid-task gives its
        # message back to the broker at once (tests/integration/app/test_celery_worker.py).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        **broker_options(settings.broker_timeout),
        beat_schedule_filename=os.path.join(settings.instance_dir, "celerybeat-schedule"),
        beat_schedule={
            entry.name: entry.beat_entry()
            for entry in schedule(float(gateway.poll_seconds if gateway else 60.0))
        },
        timezone="UTC",
    )
    for name, function in TASKS.items():
        celery.task(name=name, bind=True, shared=False)(function)
    return celery


# -- the in-process sweeper --------------------------------------------------------------------


class InlineSweeper:
    """What beat does, for a process without a broker: every `interval` seconds, run in
    this process the schedule's `inline` tasks whose time has come."""

    def __init__(self, celery: Celery, entries: tuple[Periodic, ...]) -> None:
        self.celery = celery
        self.entries = [entry for entry in entries if entry.inline]
        self.last: dict[str, datetime | date] = {}

    def due(self, entry: Periodic, now: datetime) -> bool:
        last = self.last.get(entry.name)
        if entry.daily_at is not None:
            return last != now.date() and now.time() >= entry.daily_at
        every = entry.every or 60.0
        return not isinstance(last, datetime) or (now - last).total_seconds() >= every

    def tick(self, now: datetime) -> None:
        for entry in self.entries:
            if not self.due(entry, now):
                continue
            try:
                self.celery.tasks[entry.task]()
            except Exception:
                log.exception("inline sweeper: %s failed", entry.name)
            self.last[entry.name] = now.date() if entry.daily_at is not None else now


def start_inline_sweeper(services: Any, interval: float = 10.0) -> threading.Thread:
    """In-process mode only: run the schedule's tasks in a thread of this process."""
    sweeper = InlineSweeper(services.celery, schedule())

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(interval):
            sweeper.tick(datetime.now(UTC))

    thread = threading.Thread(target=loop, name="tramita-sweeper", daemon=True)
    thread.start()
    return thread
