"""Wires the engine's shell (database, case service, catalog, outbox) for one process."""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select

from app.config import Settings
from app.tasks import make_celery
from connectors.gateway import GatewayConfig
from workflow_engine.money import MoneyFormat, use_money_format
from workflow_engine.persistence.cases.exports import CaseExports
from workflow_engine.persistence.cases.outbox import Handler, OutboxProcessor
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import Department
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.platform.municipal_settings import MunicipalSettings
from workflow_engine.persistence.platform.uploads import UploadStore

if TYPE_CHECKING:
    from connectors import ConnectorSettings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    cases: CaseService
    catalog: Catalog
    outbox: OutboxProcessor
    celery: Any = None
    uploads: UploadStore = None  # type: ignore[assignment]  # set by build_services
    settings_store: MunicipalSettings = None  # type: ignore[assignment]  # set by build_services
    exports: CaseExports = None  # type: ignore[assignment]  # set by build_services

    def gateway_config(self) -> GatewayConfig | None:
        """The configured payment gateway (tests: `settings.extra["gateway"]`), or None."""
        config = self.settings.extra.get("gateway") or GatewayConfig.from_env()
        return config if isinstance(config, GatewayConfig) else None

    def department_keys(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(Department.__table__.c.key)).scalars())


def connector_settings(settings: Settings) -> ConnectorSettings:
    """The handlers' view of the settings (connectors never see Flask or `Settings`)."""
    from connectors import ConnectorSettings

    return ConnectorSettings(
        instance_dir=settings.instance_dir,
        signing_p12_path=settings.signing_p12_path,
        signing_p12_password=settings.signing_p12_password,
        signing_tsa_url=settings.signing_tsa_url,
        signing_trust_roots=settings.signing_trust_roots,
        municipality_logo=settings.municipality_logo,
        signing_demo_allowed=settings.demo_mode,
        documents_dir=settings.documents_dir,
        uploads_dir=settings.uploads_dir,
        municipality_name=settings.municipality_name,
        municipality_code=settings.municipality_code,
        base_url=settings.base_url,
        timezone=settings.timezone,
        smtp_host=settings.smtp_host,
        smtp_port=settings.smtp_port,
        mail_from=settings.mail_from,
        smtp_user=settings.smtp_user,
        smtp_password=settings.smtp_password,
        smtp_starttls=settings.smtp_starttls,
        collection_system=settings.collection_system,
    )


def _handlers(settings: Settings, engine: Engine) -> dict[str, Handler]:
    from connectors import build_handlers

    return build_handlers(engine, connector_settings(settings))


def pool_options(database_url: str) -> dict[str, Any]:
    """Room in the pool for what one web process holds at once: per request thread, the
    request's read connection and a write transaction (app/db.py), plus the effects thread
    and the sweeper. SQLAlchemy's default (5 kept, the rest closed on return) made a
    gunicorn worker with 4 threads open and close a PostgreSQL connection (a new backend
    process) for most requests."""
    if not database_url.startswith("postgresql"):
        return {}
    return {"pool_size": 12, "max_overflow": 12}


def build_services(settings: Settings) -> Services:
    """One set of services per process (web worker, Celery worker, CLI)."""
    use_money_format(MoneyFormat(settings.municipality_locale, settings.municipality_currency))
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    Path(settings.documents_dir).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url, **pool_options(settings.database_url))
    cases = CaseService(engine, folio_prefix=settings.municipality_code, timezone=settings.timezone)
    processor = OutboxProcessor(
        engine,
        cases,
        _handlers(settings, engine),
        max_attempts=settings.outbox_max_attempts,
        base_delay=settings.outbox_base_delay,
        lease_seconds=settings.outbox_lease_seconds,
    )
    services = Services(settings, engine, cases, Catalog(engine), processor)
    services.settings_store = MunicipalSettings(engine)
    uploads_dir = settings.uploads_dir or str(Path(settings.instance_dir) / "uploads")
    Path(uploads_dir).mkdir(parents=True, exist_ok=True)
    services.uploads = UploadStore(engine, uploads_dir)
    services.exports = CaseExports(engine, Path(settings.instance_dir) / "exports")
    services.celery = make_celery(services)
    dispatch = services.celery.tasks["tramita.dispatch_outbox"]
    dispatch_many = services.celery.tasks["tramita.dispatch_outbox_many"]

    def publish(ids: Sequence[int]) -> None:
        # One broker message per commit (≈ 0.3 ms of CPU each to publish through Celery).
        if len(ids) == 1:
            dispatch.delay(ids[0])
        elif ids:
            dispatch_many.delay(list(ids))

    if settings.broker_url is None and settings.inline_effects == "thread":
        cases.dispatcher = BackgroundEffects(services.outbox).dispatch
    elif settings.broker_url is None:
        cases.dispatcher = publish  # eager: the effects run inside the request
    else:
        cases.dispatcher = BrokerPublisher(publish).dispatch
    return services


class BrokerPublisher:
    """Hands committed outbox rows to the broker from a background thread, so a request
    never waits on Redis (a hung broker held filings for minutes). The rows are already
    durable: when the broker fails or the queue is full, a message is dropped and the sweep
    or the database worker (`outbox work`) runs the effect instead. After a failure the
    broker is left alone for `pause` seconds; one warning per `warn_every` seconds."""

    def __init__(
        self,
        publish: Callable[[Sequence[int]], None],
        *,
        maxsize: int = 10_000,
        pause: float = 5.0,
        warn_every: float = 60.0,
    ) -> None:
        self.publish = publish
        self.queue: queue.Queue[list[int]] = queue.Queue(maxsize)
        self.pause = pause
        self.warn_every = warn_every
        self.paused_until = 0.0
        self.dropped = 0
        self.warned_at = -float("inf")
        self.pid: int | None = None
        self.lock = threading.Lock()

    def dispatch(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.lock:
            if self.pid != os.getpid():  # started lazily, after any fork (gunicorn workers)
                self.pid = os.getpid()
                threading.Thread(target=self.run, name="tramita-publisher", daemon=True).start()
                atexit.register(self.flush)
        try:
            self.queue.put_nowait(list(ids))
        except queue.Full:
            self._dropped(len(ids), "the publishing queue is full")

    def run(self) -> None:
        while True:
            ids = self.queue.get()
            try:
                if time.monotonic() < self.paused_until:
                    self._dropped(len(ids), "the broker failed moments ago")
                    continue
                try:
                    self.publish(ids)
                except Exception as exc:
                    self.paused_until = time.monotonic() + self.pause
                    self._dropped(len(ids), f"{type(exc).__name__}: {exc}")
            finally:
                self.queue.task_done()

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait (a little) until what was queued has been published or dropped."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self.queue.unfinished_tasks

    def _dropped(self, count: int, why: str) -> None:
        with self.lock:
            self.dropped += count
            if time.monotonic() - self.warned_at < self.warn_every:
                return
            self.warned_at = time.monotonic()
            dropped, self.dropped = self.dropped, 0
        log.warning(
            "broker unavailable (%s): %d outbox message(s) left to the sweep and the "
            "database worker",
            why,
            dropped,
        )


class BackgroundEffects:
    """Without a broker, run effects on a thread of this process instead of inside the
    request, so a citizen's page does not wait for e-mails or PDFs. The outbox row is the
    durable record: if the process dies, the sweep runs the effect later."""

    BATCH = 20

    def __init__(self, outbox: OutboxProcessor) -> None:
        self.outbox = outbox
        self.queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.pid: int | None = None
        self.lock = threading.Lock()

    def dispatch(self, ids: Sequence[int]) -> None:
        with self.lock:
            if self.pid != os.getpid():  # started lazily, after any fork (gunicorn workers)
                self.pid = os.getpid()
                threading.Thread(target=self.run, name="tramita-effects", daemon=True).start()
        for message_id in ids:
            self.queue.put(message_id)

    def run(self) -> None:
        while True:
            # Whatever is queued by now goes as one batch (a command usually queues two or
            # three effects at once): one claim and one done-mark for all of them.
            batch = [self.queue.get()]
            while len(batch) < self.BATCH:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.outbox.process_many(batch)
            except Exception:
                log.exception("effects %s failed; the sweep will retry them", batch)
