"""Log lines an operator can search: one JSON object per line, with the request id of the HTTP
request (or of the request that caused a Celery task), and no personal data (tax IDs and
e-mail addresses are scrubbed from every line, tracebacks included)."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import uuid
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from workflow_engine.redact import scrub

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "tramita_request_id", default=None
)


def accept_request_id(incoming: str | None) -> str:
    """The caller's id when it is sane (a proxy's or a load balancer's), else a new one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


class Formatter(JsonFormatter):
    """python-json-logger's formatter, scrubbed: a CURP in an exception message never
    reaches the log."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
            json_ensure_ascii=False,
        )

    def format(self, record: logging.LogRecord) -> str:
        if record.name == REQUEST_LOGGER and record.msg == "request" and not record.exc_info:
            return _request_line(record)
        return scrub(super().format(record))


# The line every HTTP request writes (app.observability `_finish`): the same JSON object the
# formatter makes, written directly. Its values are the method, the URL rule (never the path
# itself), the status, the duration and the request id, of which only the id comes from the
# client: it alone is scrubbed (scrubbing the whole line cost ≈ 50 µs per request).
REQUEST_LOGGER = "tramita.request"


def _request_line(record: logging.LogRecord) -> str:
    at = datetime.fromtimestamp(record.created, tz=UTC).isoformat()
    rid = getattr(record, "request_id", None)
    return json.dumps(
        {
            "level": record.levelname,
            "logger": record.name,
            "message": "request",
            "request_id": scrub(rid) if isinstance(rid, str) else rid,
            "method": getattr(record, "method", None),
            "route": getattr(record, "route", None),
            "status": getattr(record, "status", None),
            "duration_ms": getattr(record, "duration_ms", None),
            "time": at,
        },
        ensure_ascii=False,
        default=str,
    )


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time (test runners replace it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


_HANDLER_NAME = "tramita"


def configure_logging(level: str | int | None = None, fmt: str | None = None) -> None:
    """Root logging for a process (web, worker, beat, CLI): `LOG_FORMAT` = `json` (default)
    or `text`, `LOG_LEVEL` (default INFO). Idempotent."""
    level = level or os.environ.get("LOG_LEVEL") or "INFO"
    fmt = fmt or os.environ.get("LOG_FORMAT") or "json"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == _HANDLER_NAME:
            root.removeHandler(handler)
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(_RequestIdFilter())
    if fmt == "text":
        handler.setFormatter(
            _TextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    else:
        handler.setFormatter(Formatter())
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


try:  # gunicorn is a dependency, but the app must import without it (tests, CLI)
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    # mypy sees gunicorn's Logger (types-gunicorn); this fallback base is for its absence.
    _GunicornLogger = object  # type: ignore[misc,assignment]


class GunicornLogger(_GunicornLogger):
    """`gunicorn --logger-class app.observability.logs.GunicornLogger --access-logfile -`:
    the access log as JSON lines with the URL rule instead of the raw path (paths and query
    strings carry tokens and searched CURPs), the status, the duration and the request id."""

    def access(
        self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: Any
    ) -> None:
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.syslog):
            return
        line = {
            "method": environ.get("REQUEST_METHOD"),
            "route": environ.get("tramita.route", "-"),
            "status": getattr(resp, "status_code", None) or str(resp.status).split()[0],
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": environ.get("tramita.request_id"),
            "remote": environ.get("REMOTE_ADDR"),
        }
        try:
            self.access_log.info("access", extra=line)
        except Exception:  # never break a response over a log line
            self.exception("access log failed")

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(Formatter())
