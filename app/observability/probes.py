"""Probes for load balancers and orchestrators: `/healthz` (the process answers; no database,
so a database outage does not get every web process restarted) and `/readyz` (the database
and, when configured, the broker answer within a short timeout)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine, select

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("observability_probes", __name__)
TIMEOUT_SECONDS = 2.0
# A few threads shared by every probe: a check stuck on a hung server keeps its thread
# until its own socket timeout, not the request.
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    return _no_store(jsonify(status="ok"))


def check_database(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(select(1))


def check_broker(url: str, timeout: float = TIMEOUT_SECONDS) -> None:
    if url.startswith(("redis://", "rediss://", "unix://")):
        import redis

        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry_on_timeout=False
        )
        try:
            client.ping()
        finally:
            client.close()
        return
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as conn:
        # kombu compares `timeout` with float seconds; celery-types' kombu stubs say int.
        conn.ensure_connection(max_retries=1, timeout=timeout)  # type: ignore[arg-type]


def readiness(
    checks: dict[str, Callable[[], None]], timeout: float = TIMEOUT_SECONDS
) -> dict[str, str]:
    """Each check's result ("ok", "timeout" or the error's type) within `timeout` overall."""
    futures = {name: _pool.submit(check) for name, check in checks.items()}
    concurrent.futures.wait(futures.values(), timeout=timeout)
    results = {}
    for name, future in futures.items():
        if not future.done():
            future.cancel()
            results[name] = "timeout"
        elif future.exception() is not None:
            results[name] = f"error: {type(future.exception()).__name__}"
        else:
            results[name] = "ok"
    return results


@blueprint.get("/readyz")
def readyz() -> ResponseReturnValue:
    services: Services = current_app.extensions["tramita"]
    checks: dict[str, Callable[[], None]] = {"database": lambda: check_database(services.engine)}
    broker = services.settings.broker_url
    if broker:
        checks["broker"] = lambda: check_broker(broker)
    results = readiness(checks)
    failing = sorted(name for name, result in results.items() if result != "ok")
    if not broker:
        results["broker"] = "not_configured"
    body: dict[str, Any] = {"status": "unavailable" if failing else "ok", "checks": results}
    if failing:
        body["failing"] = failing
    return _no_store(jsonify(body)), 503 if failing else 200
