"""Celery's side: the request id travels in the task message's headers, and every task leaves
one log line and its metrics (name, outcome, duration). Celery signals are global, so the
receivers connect once per process whatever number of apps is built."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from celery import signals

from app.observability import logs, metrics

HEADER = "tramita_request_id"
log = logging.getLogger("tramita.task")
_started: dict[str, tuple[float, Any]] = {}


def _before_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """A task sent while handling a request (or another task) carries its request id."""
    current = logs.request_id.get()
    if headers is not None and current and HEADER not in headers:
        headers[HEADER] = current


def _prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    incoming = getattr(task.request, HEADER, None) if task is not None else None
    if not incoming and task is not None:
        incoming = (getattr(task.request, "headers", None) or {}).get(HEADER)
    # Eager tasks run inside the request: keep its id. Beat's tasks start a new one.
    rid = incoming or logs.request_id.get() or task_id
    token = logs.request_id.set(logs.accept_request_id(rid))
    _started[task_id or ""] = (time.perf_counter(), token)


def _postrun(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
) -> None:
    started, token = _started.pop(task_id or "", (None, None))
    seconds = None if started is None else time.perf_counter() - started
    outcome = (state or "unknown").lower()
    name = getattr(task, "name", "unknown")
    metrics.observe_task(name, outcome, seconds)
    level = logging.INFO if outcome in ("success", "retry") else logging.WARNING
    log.log(
        level,
        "task",
        extra={
            "task": name,
            "task_id": task_id,
            "outcome": outcome,
            "duration_ms": None if seconds is None else round(seconds * 1000, 1),
            "request_id": logs.request_id.get(),
        },
    )
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context: nothing to undo
            logs.request_id.reset(token)


def connect() -> None:
    signals.before_task_publish.connect(_before_publish, weak=False, dispatch_uid="tramita-rid")
    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="tramita-prerun")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="tramita-postrun")
    signals.setup_logging.connect(_setup_logging, weak=False, dispatch_uid="tramita-logging")


def _setup_logging(loglevel: Any = None, **_: Any) -> None:
    """Worker and beat log through our JSON handler (connecting this stops Celery from
    installing its own): LOG_LEVEL, else the --loglevel given to celery."""
    import os

    logs.configure_logging(os.environ.get("LOG_LEVEL") or loglevel or "INFO")
