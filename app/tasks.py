"""Celery app and tasks. Tasks are tiny: they call the engine's shell.

Without CELERY_BROKER_URL the same tasks run in-process (eager), so `make run` needs no Redis.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.schedules import crontab

from workflow_engine.engine import Actor, TimerFired
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.cases.drafts import (
    DEFAULT_RETENTION_DAYS,
    DEFAULT_WARNING_DAYS,
    DraftSweep,
    expire_drafts,
)
from workflow_engine.persistence.types import utcnow

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(__name__)


def fire_due_timers(services: Services, limit: int = 500, now: datetime | None = None) -> int:
    """Fire every timer whose time has come (deadlines, reminders, prevención lapses)."""
    now = now or utcnow()
    fired = 0
    for case_id, timer_key in services.cases.due_timers(now, limit):
        try:
            services.cases.execute(
                case_id, TimerFired(at=now, actor=Actor.system(), timer_id=timer_key)
            )
            fired += 1
        except EngineError:
            log.exception("timer %s of case %s could not fire", timer_key, case_id)
    return fired


def draft_days() -> tuple[int, int]:
    """(DRAFT_RETENTION_DAYS, DRAFT_WARNING_DAYS) from the environment (defaults 60 and 7)."""

    def number(name: str, default: int) -> int:
        try:
            return max(0, int(os.environ.get(name, "") or default))
        except ValueError:
            log.warning("%s is not a whole number; using %s", name, default)
            return default

    retention = number("DRAFT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS) or DEFAULT_RETENTION_DAYS
    return retention, number("DRAFT_WARNING_DAYS", DEFAULT_WARNING_DAYS)


def expire_abandoned_drafts(services: Services, now: datetime | None = None) -> DraftSweep:
    """Warn about drafts untouched for a long time, cancel those already warned (daily)."""
    retention, warning = draft_days()
    return expire_drafts(
        services.cases,
        services.uploads,
        now=now or utcnow(),
        retention_days=retention,
        warning_days=warning,
    )


def gateway_config(services: Services) -> Any:
    """The configured payment gateway (tests: `settings.extra["gateway"]`), or None."""
    from connectors.gateway import GatewayConfig

    config = services.settings.extra.get("gateway") or GatewayConfig.from_env()
    return config if isinstance(config, GatewayConfig) else None


def poll_payment_gateway(services: Services, page: int = 100) -> dict[str, object]:
    """Ask the payment gateway about every checkout still open after
    GATEWAY_PENDING_SECONDS (webhooks that never arrived) and record what it says; nothing
    to do without a gateway."""
    from connectors.gateway import build_gateway

    config = gateway_config(services)
    if config is None:
        return {"gateway": None}
    gateway = build_gateway(
        config, services.engine, services.cases, timezone=services.settings.timezone
    )
    return {"gateway": config.name, **gateway.poll(page).as_dict()}


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


def make_celery(services: Services) -> Celery:
    settings = services.settings
    eager = settings.broker_url is None
    gateway = gateway_config(services)
    celery = Celery("tramita", broker=settings.broker_url or "memory://", set_as_current=False)
    celery.conf.update(
        task_always_eager=eager,
        task_eager_propagates=False,
        # A task is acknowledged after it ran; a pool process killed mid-task gives its
        # message back to the broker at once (tests/integration/test_celery_worker.py).
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        **broker_options(settings.broker_timeout),
        beat_schedule_filename=os.path.join(settings.instance_dir, "celerybeat-schedule"),
        beat_schedule={
            "sweep-outbox": {"task": "tramita.sweep_outbox", "schedule": 15.0},
            "fire-timers": {"task": "tramita.fire_timers", "schedule": 60.0},
            # Payment gateway checkouts whose webhook never came (GATEWAY_POLL_SECONDS).
            "poll-payment-gateway": {
                "task": "tramita.poll_payment_gateway",
                "schedule": float(gateway.poll_seconds if gateway else 60.0),
            },
            # Unpaid payment orders past their date: a new order with a new reference.
            "expire-payment-orders": {
                "task": "tramita.expire_payment_orders",
                "schedule": crontab(minute=15, hour=6),
            },
            # Yearly charges (renewals, yearly taxes): daily, idempotent per object and year.
            "ledger-yearly-charges": {
                "task": "tramita.ledger_yearly_charges",
                "schedule": crontab(minute=0, hour=10),
            },
            # Daily, at 09:30 UTC (early morning in the Americas).
            "expire-drafts": {
                "task": "tramita.expire_drafts",
                "schedule": crontab(minute=30, hour=9),
            },
        },
        timezone="UTC",
    )

    def later(message_id: int, result: Any) -> None:
        """A retry after its back-off; a message another worker holds (a redelivery after
        a pool process died mid-task) is looked at again when that lease would run out."""
        if result.status in ("retry", "busy") and result.retry_in is not None and not eager:
            dispatch_outbox.apply_async((message_id,), countdown=result.retry_in)

    @celery.task(name="tramita.dispatch_outbox", shared=False)
    def dispatch_outbox(message_id: int) -> str:
        result = services.outbox.process(message_id)
        later(message_id, result)
        return str(result.status)

    @celery.task(name="tramita.dispatch_outbox_many", shared=False)
    def dispatch_outbox_many(message_ids: list[int]) -> dict[str, str]:
        """The messages one command queued, in one task: one broker message per commit
        instead of one per effect (a payment webhook queues two), one claim and one
        done-mark for all. Each message still retries on its own."""
        results = services.outbox.process_many([int(m) for m in message_ids])
        for message_id, result in results.items():
            later(message_id, result)
        return {str(k): r.status for k, r in results.items()}

    @celery.task(name="tramita.sweep_outbox", shared=False)
    def sweep_outbox() -> int:
        ids = services.outbox.due()
        for message_id in ids:
            dispatch_outbox.delay(message_id)
        return len(ids)

    @celery.task(name="tramita.fire_timers", shared=False)
    def fire_timers() -> int:
        return fire_due_timers(services)

    @celery.task(name="tramita.expire_payment_orders", shared=False)
    def expire_payment_orders() -> int:
        from app.ledger_cli import expire_orders

        return expire_orders(services)

    @celery.task(name="tramita.ledger_yearly_charges", shared=False)
    def ledger_yearly_charges() -> int:
        from app.ledger_cli import generate_charges

        return generate_charges(services)

    @celery.task(name="tramita.expire_drafts", shared=False)
    def expire_drafts_task() -> dict[str, int]:
        sweep = expire_abandoned_drafts(services)
        return {"warned": len(sweep.warned), "cancelled": len(sweep.cancelled)}

    @celery.task(name="tramita.poll_payment_gateway", shared=False)
    def poll_payment_gateway_task() -> dict[str, object]:
        return poll_payment_gateway(services)

    return celery
