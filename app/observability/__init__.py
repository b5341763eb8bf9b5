"""Operating Tramita: `/healthz`, `/readyz`, Prometheus `/metrics`, and one JSON log line per
request and per Celery task, tied together by a request id (`X-Request-ID`)."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from flask import Flask, Response, g, request

from app.observability import logs, metrics, probes, tasks
from workflow_engine.persistence.cases.outbox_backlog import OutboxBacklog

if TYPE_CHECKING:
    from app.services import Services

log = logging.getLogger(logs.REQUEST_LOGGER)
_QUIET = ("/healthz", "/readyz", "/metrics")  # probes and scrapes: no INFO line each


def init_app(app: Flask) -> None:
    """Call first in the factory: the request id must exist before anything can fail."""
    services: Services = app.extensions["tramita"]
    services.cases.observer = metrics.observe_command
    services.outbox.handlers = {
        kind: metrics.counted_handler(kind, handler)
        for kind, handler in services.outbox.handlers.items()
    }
    app.extensions["tramita_metrics"] = metrics.scrape_registry(OutboxBacklog(services.engine))
    app.register_blueprint(probes.blueprint)
    app.register_blueprint(metrics.blueprint)
    tasks.connect()
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    g.observed_since = time.perf_counter()
    rid = logs.accept_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
    logs.request_id.set(rid)
    request.environ["tramita.request_id"] = rid


def _forget(_exc: BaseException | None = None) -> None:
    """The thread serves other requests next: their lines must not carry this id."""
    logs.request_id.set(None)


def _finish(response: Response) -> Response:
    rid = logs.request_id.get() or logs.accept_request_id(None)
    response.headers[logs.REQUEST_ID_HEADER] = rid
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    request.environ["tramita.route"] = route
    since = g.get("observed_since")
    seconds = time.perf_counter() - since if since is not None else 0.0
    metrics.observe_request(route, request.method, response.status_code, seconds)
    log.log(
        logging.DEBUG if request.path in _QUIET else logging.INFO,
        "request",
        extra={
            "method": request.method,
            "route": route,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "request_id": rid,
        },
    )
    return response


__all__ = ["init_app", "logs", "metrics", "probes", "tasks"]
