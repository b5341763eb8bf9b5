"""Prometheus metrics: what the process counts as it works (requests, commands, effects, Celery
tasks, webhooks) and what the database says at scrape time (the outbox backlog).

With several processes (gunicorn workers, Celery's prefork children) set
`PROMETHEUS_MULTIPROC_DIR` to an empty directory shared by them, before they start: each
process writes its counters there and `/metrics` adds them up (prometheus_client's
multiprocess mode). Without it, `/metrics` shows the answering process only.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from workflow_engine.persistence.cases.outbox_backlog import STATES, OutboxBacklog

blueprint = Blueprint("observability_metrics", __name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

HTTP_REQUESTS = Counter(
    "tramita_http_requests",
    "HTTP requests answered, by route (URL rule), method and status",
    ["route", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "tramita_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (URL rule), method and status",
    ["route", "method", "status"],
)
COMMANDS = Counter(
    "tramita_commands",
    "Engine commands applied to cases, by command type and outcome "
    "(applied, unchanged, refused, conflict, error)",
    ["command", "outcome"],
)
COMMAND_SECONDS = Histogram(
    "tramita_command_duration_seconds",
    "Time to apply an engine command and write its rows, by command type",
    ["command"],
)
EFFECTS = Counter(
    "tramita_outbox_effects",
    "Outbox effects run by a handler, by kind and outcome (ok, error)",
    ["kind", "outcome"],
)
DOCUMENTS_SIGNED = Counter("tramita_documents_signed", "Documents issued and signed")
WEBHOOKS = Counter(
    "tramita_webhooks",
    "Payment gateway webhooks, by gateway, outcome (accepted, refused) and reason",
    ["gateway", "outcome", "reason"],
)
TASKS = Counter(
    "tramita_celery_tasks",
    "Celery tasks run, by task name and outcome (success, failure, retry)",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "tramita_celery_task_duration_seconds",
    "Time a Celery task ran, by task name and outcome",
    ["task", "outcome"],
)


def observe_command(command: str, outcome: str, seconds: float) -> None:
    """The case service's observer (`CaseService.observer`)."""
    COMMANDS.labels(command, outcome).inc()
    COMMAND_SECONDS.labels(command).observe(seconds)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_SECONDS.labels(route, method, str(status)).observe(seconds)


def observe_task(task: str, outcome: str, seconds: float | None) -> None:
    TASKS.labels(task, outcome).inc()
    if seconds is not None:
        TASK_SECONDS.labels(task, outcome).observe(seconds)


def webhook_received(gateway: str, http_status: int, reason: str) -> None:
    """One gateway webhook answered: accepted (2xx) or refused, with the refusal's reason."""
    outcome = "accepted" if http_status < 400 else "refused"
    WEBHOOKS.labels(gateway, outcome, reason or "").inc()


def counted_handler(kind: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    """An outbox handler that also counts how its runs end (and the documents it signs)."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            result = handler(*args, **kwargs)
        except Exception:
            EFFECTS.labels(kind, "error").inc()
            raise
        EFFECTS.labels(kind, "ok").inc()
        if kind == "document.issue":
            DOCUMENTS_SIGNED.inc()
        return result

    # inspect.unwrap() reaches the handler; mypy knows no attributes set on a function.
    run.__wrapped__ = handler  # type: ignore[attr-defined]
    return run


class OutboxCollector(Collector):
    """The outbox backlog read from the database when Prometheus scrapes (a few index-backed
    queries), so every web process reports the same numbers."""

    def __init__(self, backlog: OutboxBacklog) -> None:
        self.backlog = backlog

    def collect(self) -> Iterator[GaugeMetricFamily]:
        summary = self.backlog.summary()
        messages = GaugeMetricFamily(
            "tramita_outbox_messages",
            "Outbox rows not done, by state (due, retrying, running, dead)",
            labels=["state"],
        )
        for state in STATES:
            messages.add_metric([state], summary.counts.get(state, 0))
        yield messages
        dead = GaugeMetricFamily(
            "tramita_outbox_dead_letters",
            "Dead-lettered effects waiting for an administrator, by kind",
            labels=["kind"],
        )
        for kind, count in sorted(summary.dead_by_kind.items()):
            dead.add_metric([kind], count)
        yield dead
        yield GaugeMetricFamily(
            "tramita_outbox_oldest_due_age_seconds",
            "How long the oldest due outbox row has been waiting (0 when none is due)",
            value=summary.oldest_due_age_seconds,
        )


def _base_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        # prometheus_client ships py.typed but leaves this constructor unannotated.
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


@blueprint.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus text format; with METRICS_TOKEN set, only for `Authorization: Bearer <it>`."""
    token = current_app.extensions["tramita"].settings.metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            abort(401)
    outbox = current_app.extensions["tramita_metrics"]
    body = generate_latest(_base_registry()) + generate_latest(outbox)
    response = Response(body, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def scrape_registry(backlog: OutboxBacklog) -> CollectorRegistry:
    """A registry with the app's database-backed collectors (one per app)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector(backlog))
    return registry
