"""Faults on the production topology: is anything lost or duplicated, how long do requests
wait, how long until every case is complete again?

Starts, on loopback only: TCP proxies (this process) in front of PostgreSQL and Redis;
gunicorn (2 workers × 4 gthreads), one Celery worker, Celery beat, the database worker
(`flask --app wsgi outbox work`) and the sandbox payment gateway, all with the README's
production settings, against a scratch PostgreSQL database. Then, for each fault, `--cases`
cases of «Constancia de residencia» (API filing, payment, signed document, notice):

- `broker_hang`: Redis accepts connections and never answers while the cases are filed and
  paid (`--fault-seconds`); every HTTP request's latency is measured by the client;
- `broker_down`: Redis refuses connections while the cases are filed and paid;
- `worker_kill`: `kill -9` of the Celery worker (all its processes) while it runs effects;
  a new worker is started at once;
- `db_cut`: PostgreSQL connections cut and refused for `--db-seconds` while effects run;
- `webhooks_lost`: every payment goes through the gateway with its webhook lost; half the
  citizens keep the return page open (it asks the gateway), half leave (the scheduled poll).

Per fault: `lost` (cases not complete `--settle-seconds` after the fault), `duplicated`
(cases with more than one payment order, document, payment or confirmation), `recovery_s`
(from the end of the fault, or the last citizen action if later, until every case is
complete). `max_request_ms_during_broker_hang` is the slowest request while Redis hung.

    .venv/bin/python bench/faults.py --json
    .venv/bin/python bench/faults.py --cases 3 --fault-seconds 3 --db-seconds 3 --json
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import platform
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROCEDURE = "constancia-residencia"
EXAMPLE = ROOT / "form_schemas" / "examples" / f"{PROCEDURE}.json"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
BENCH_DB = "tramita_bench_faults"
CITIZEN = "ciudadano@demo.gob.mx"
PASSWORD = "demo12345"
GATEWAY_KEY = "bench-gateway-key"
GATEWAY_SECRET = "bench-gateway-secret"
HOST = "127.0.0.1"
GOALS = {"lost": 0, "duplicated": 0, "max_request_ms_during_broker_hang": 2000, "recovery_s": 60}
FAULTS = ("broker_hang", "broker_down", "worker_kill", "db_cut", "webhooks_lost")
CSRF = re.compile(r'name="csrf[_-]token"[^>]*(?:value|content)="([^"]+)"')


def free_port() -> int:
    with socket.create_server((HOST, 0)) as sock:
        return int(sock.getsockname()[1])


# -- a TCP proxy whose faults we control ---------------------------------------------------


class FaultProxy:
    """Forwards loopback connections to `upstream`; `mode` = pass | hang (accept, keep,
    never forward: a server that stopped answering) | cut (drop every connection, refuse
    new ones: a server that went away)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.mode = "pass"
        self.listener = socket.create_server((HOST, 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set(self, mode: str) -> None:
        self.mode = mode
        if mode == "cut":
            with self.lock:
                pairs, self.pairs = self.pairs, []
            for client, server in pairs:
                for sock in (client, server):
                    if sock is not None:
                        with contextlib.suppress(OSError):
                            sock.setsockopt(
                                socket.SOL_SOCKET,
                                socket.SO_LINGER,
                                b"\x01\x00\x00\x00\x00\x00\x00\x00",
                            )
                            sock.close()

    def close(self) -> None:
        self.closed = True
        self.set("cut")
        self.listener.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.mode == "cut":
                client.close()
                continue
            threading.Thread(target=self._pump, args=(client,), daemon=True).start()

    def _pump(self, client: socket.socket) -> None:
        while self.mode == "hang" and not self.closed:
            time.sleep(0.05)  # accepted, never answered
        if self.mode == "cut" or self.closed:
            client.close()
            return
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        server.settimeout(None)
        with self.lock:
            self.pairs.append((client, server))
        try:
            while not self.closed:
                if self.mode == "hang":
                    time.sleep(0.05)
                    continue
                if self.mode == "cut":
                    return
                readable, _, _ = select.select([client, server], [], [], 0.2)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (server if sock is client else client).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.close()
            with self.lock, contextlib.suppress(ValueError):
                self.pairs.remove((client, server))


# -- the topology ---------------------------------------------------------------------------


@dataclass
class Topology:
    tmp: Path
    admin_url: str
    redis_url: str
    lease: float
    scratch: str = BENCH_DB
    poll_seconds: float = 15.0
    pending_seconds: float = 30.0
    grace: float | None = None
    db_url: str = ""
    pg_proxy: FaultProxy | None = None
    redis_proxy: FaultProxy | None = None
    web_url: str = ""
    gateway_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self) -> None:
        import psycopg
        import redis

        admin = self.admin_url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.scratch}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.scratch}"')
        pg = psycopg.conninfo.conninfo_to_dict(admin)
        self.db_url = admin.rsplit("/", 1)[0] + f"/{self.scratch}"
        redis_client = redis.Redis.from_url(self.redis_url)
        redis_client.flushdb()
        redis_client.close()
        rhost, rport_db = self.redis_url.removeprefix("redis://").split(":", 1)
        rport, rdb = rport_db.split("/", 1)
        self.pg_proxy = FaultProxy((str(pg.get("host") or HOST), int(pg.get("port") or 5432)))
        self.redis_proxy = FaultProxy((rhost, int(rport)))
        user = pg.get("user") or "postgres"
        web_port, gateway_port = free_port(), free_port()
        self.web_url = f"http://{HOST}:{web_port}"
        self.gateway_url = f"http://{HOST}:{gateway_port}"
        self.env = dict(os.environ)
        self.env.update(
            DATABASE_URL=f"postgresql://{user}@{HOST}:{self.pg_proxy.port}/{self.scratch}",
            CELERY_BROKER_URL=f"redis://{HOST}:{self.redis_proxy.port}/{rdb}",
            SECRET_KEY="bench-faults-not-secret",
            DEMO_MODE="1",
            SESSION_COOKIE_SECURE="0",
            INSTANCE_DIR=str(self.tmp / "instance"),
            BASE_URL=self.web_url,
            GATEWAY_URL=self.gateway_url,
            GATEWAY_API_KEY=GATEWAY_KEY,
            GATEWAY_WEBHOOK_SECRET=GATEWAY_SECRET,
            GATEWAY_POLL_SECONDS=f"{self.poll_seconds:g}",
            GATEWAY_PENDING_SECONDS=f"{self.pending_seconds:g}",
            OUTBOX_LEASE_SECONDS=f"{self.lease:g}",
            PYTHONUNBUFFERED="1",
        )
        self.flask("db", "upgrade")
        self.flask("demo", "seed", "--no-cases")
        self.spawn(
            "gateway",
            [
                sys.executable,
                "-m",
                "sandbox_gateway",
                "--port",
                str(gateway_port),
                "--notify-url",
                f"{self.web_url}/pagos/webhook/sandbox",
            ],
        )
        self.spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--bind",
                f"{HOST}:{web_port}",
                "wsgi:app",
            ],
        )
        self.start_worker()
        self.spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "app.celery_worker",
                "beat",
                "--schedule",
                str(self.tmp / "beat-schedule"),
                "--loglevel",
                "INFO",
            ],
        )
        grace = [] if self.grace is None else ["--grace", f"{self.grace:g}"]
        self.spawn(
            "outbox", [sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "work", *grace]
        )
        wait_until(lambda: http_ok(self.web_url + "/entrar"), 60, "gunicorn")
        wait_until(
            lambda: http_ok(self.gateway_url + "/api/v1/deliveries", auth=True), 30, "gateway"
        )

    def flask(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )

    def spawn(self, name: str, argv: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self) -> None:
        self.spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "app.celery_worker",
                "worker",
                "--concurrency",
                "4",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)

    def stop(self) -> None:
        for proc in self.procs.values():  # all at once, then wait for them
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name in list(self.procs):
            try:
                self.procs[name].wait(max(0.1, deadline - time.monotonic()))
                self.procs.pop(name)
            except subprocess.TimeoutExpired:
                self.kill(name)
        for proxy in (self.pg_proxy, self.redis_proxy):
            if proxy is not None:
                proxy.close()
        if self.db_url:
            import psycopg

            admin = self.admin_url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.scratch}" WITH (FORCE)')


def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"bench/faults.py: {what} did not start in {seconds:g} s")


def http_ok(url: str, auth: bool = False) -> bool:
    headers = {"Authorization": f"Bearer {GATEWAY_KEY}"} if auth else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as r:
            return bool(r.status == 200)
    except (OSError, urllib.error.URLError):
        return False


# -- the citizens -----------------------------------------------------------------------------


class Client:
    """HTTP as the citizen: an API key for the API, a logged-in session for the pages.
    Every request's latency is recorded (client side)."""

    def __init__(self, top: Topology, api_key: str) -> None:
        self.top = top
        self.api_key = api_key
        self.latencies: list[tuple[float, float]] = []  # (started monotonic, seconds)
        self.errors = 0
        self.lock = threading.Lock()
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(
        self, method: str, path: str, body: Any = None, *, form: bool = False, api: bool = True
    ) -> tuple[int, bytes, dict[str, str]]:
        headers: dict[str, str] = {}
        data = None
        if api:
            headers["X-API-Key"] = self.api_key
        if body is not None and form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(
            self.top.web_url + path, data=data, method=method, headers=headers
        )
        started = time.monotonic()
        try:
            with self.opener.open(req, timeout=60) as response:
                status, payload, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, payload, got = exc.code, exc.read(), dict(exc.headers)
        except (OSError, urllib.error.URLError):
            status, payload, got = 0, b"", {}
        with self.lock:
            self.latencies.append((started, time.monotonic() - started))
            if status == 0 or status >= 500:
                self.errors += 1
        return status, payload, got

    def login(self) -> None:
        _s, page, _h = self.request("GET", "/entrar", api=False)
        token = CSRF.search(page.decode()).group(1)  # type: ignore[union-attr]
        status, _p, _h = self.request(
            "POST",
            "/entrar",
            {"csrf_token": token, "email": CITIZEN, "password": PASSWORD},
            form=True,
            api=False,
        )
        if status not in (302, 303):
            raise SystemExit(f"bench/faults.py: login answered {status}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def file_case(client: Client, services: Any, actor: Any, values: dict[str, Any]) -> str | None:
    """Start over the API, fill the form (the citizen's earlier pages), file over the API."""
    from workflow_engine.engine import SubmitStep
    from workflow_engine.persistence.types import utcnow

    for _ in range(30):
        status, body, _h = client.request("POST", "/api/v1/cases", {"procedure": PROCEDURE})
        if status == 201:
            break
        time.sleep(1)
    else:
        return None
    folio = json.loads(body)["folio"]
    case_id = case_id_of(services, folio)
    services.cases.execute(
        case_id, SubmitStep(at=utcnow(), actor=actor, step_id="datos", values=values)
    )
    for _ in range(30):
        status, _b, _h = client.request(
            "POST", f"/api/v1/cases/{folio}/submit", {"declaration": True}
        )
        if status == 200:
            return str(folio)
        time.sleep(1)
    return str(folio)


def case_id_of(services: Any, folio: str) -> int:
    from sqlalchemy import select

    from workflow_engine.persistence.models import Case, table

    cases = table(Case)
    with services.engine.connect() as conn:
        return int(conn.execute(select(cases.c.id).where(cases.c.folio == folio)).scalar_one())


def pay_at_bank(services: Any, folio: str, deadline: float) -> bool:
    """The payment order exists (an effect): pay it, as a bank file would."""
    from connectors.payments.handler import settle_payment

    case_id = case_id_of(services, folio)
    while time.monotonic() < deadline:
        state = services.cases.load(case_id)[0]
        if state.payment is not None and state.payment.reference:
            _c, command = settle_payment(services.engine, state.payment.reference, "banco-bench")
            with contextlib.suppress(Exception):
                services.cases.execute(case_id, command)
                return True
        time.sleep(0.5)
    return False


# -- what is complete, lost, duplicated -------------------------------------------------------


def audit(services: Any, folios: list[str]) -> dict[str, Any]:
    from sqlalchemy import func, select

    from workflow_engine.persistence.models import Case, CaseEvent, Document, PaymentOrder, table

    cases, docs, orders, events = (
        table(Case),
        table(Document),
        table(PaymentOrder),
        table(CaseEvent),
    )
    with services.engine.connect() as conn:
        ids = dict(
            conn.execute(select(cases.c.folio, cases.c.id).where(cases.c.folio.in_(folios))).all()
        )
        wanted = list(ids.values())

        def per_case(query: Any) -> dict[int, int]:
            return {int(k): int(v) for k, v in conn.execute(query).all()}

        n_docs = per_case(
            select(docs.c.case_id, func.count())
            .where(docs.c.case_id.in_(wanted))
            .group_by(docs.c.case_id)
        )
        n_orders = per_case(
            select(orders.c.case_id, func.count())
            .where(orders.c.case_id.in_(wanted))
            .group_by(orders.c.case_id)
        )
        n_paid = per_case(
            select(events.c.case_id, func.count())
            .where(events.c.case_id.in_(wanted), events.c.type == "payment.confirmed")
            .group_by(events.c.case_id)
        )
        closed = {
            int(r.id)
            for r in conn.execute(
                select(cases.c.id).where(cases.c.id.in_(wanted), cases.c.status == "closed")
            )
        }
    complete = [i for i in wanted if i in closed and n_docs.get(i) == 1]
    duplicated = [
        i for i in wanted if max(n_docs.get(i, 0), n_orders.get(i, 0), n_paid.get(i, 0)) > 1
    ]
    return {
        "complete": len(complete),
        "missing_folios": len(folios) - len(ids),
        "duplicated": len(duplicated),
        "ids": wanted,
    }


def wait_complete(
    services: Any, folios: list[str], seconds: float
) -> tuple[dict[str, Any], float | None]:
    started = time.monotonic()
    report = audit(services, folios)
    while time.monotonic() - started < seconds:
        if report["complete"] == len(folios):
            return report, time.monotonic() - started
        time.sleep(0.5)
        report = audit(services, folios)
    return report, (time.monotonic() - started) if report["complete"] == len(folios) else None


def history_problems(services: Any, ids: list[int]) -> int:
    return sum(1 for case_id in ids if services.cases.verify_history(case_id))


# -- the faults ---------------------------------------------------------------------------------


@dataclass
class Bench:
    top: Topology
    services: Any
    client: Client
    actor: Any
    values: dict[str, Any]
    cases: int
    fault_seconds: float
    db_seconds: float
    settle_seconds: float
    workers: int = 8

    def file_and_pay(self, pay: bool = True) -> list[str]:
        deadline = time.monotonic() + self.settle_seconds + 120

        def one(_: int) -> str | None:
            folio = file_case(self.client, self.services, self.actor, self.values)
            if folio and pay:
                pay_at_bank(self.services, folio, deadline)
            return folio

        with ThreadPoolExecutor(self.workers) as pool:
            return [f for f in pool.map(one, range(self.cases)) if f]

    def result(
        self, folios: list[str], fault_end: float, extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        waited = max(0.0, time.monotonic() - fault_end)
        report, took = wait_complete(self.services, folios, self.settle_seconds)
        return {
            "cases": self.cases,
            "filed": len(folios),
            "lost": self.cases - report["complete"],
            "duplicated": report["duplicated"],
            "history_broken": history_problems(self.services, report["ids"]),
            "recovery_s": None if took is None else round(waited + took, 1),
            **(extra or {}),
        }

    def broker_hang(self) -> dict[str, Any]:
        assert self.top.redis_proxy is not None
        self.client.latencies.clear()
        self.top.redis_proxy.set("hang")
        start = time.monotonic()
        stop = threading.Event()

        def readers() -> None:  # everybody else reading pages meanwhile
            while not stop.is_set():
                for path in ("/", "/verificar"):
                    self.client.request("GET", path, api=False)

        reader = threading.Thread(target=readers, daemon=True)
        reader.start()
        folios = self.file_and_pay()
        while time.monotonic() - start < self.fault_seconds:
            time.sleep(0.2)
        stop.set()
        reader.join(30)
        self.top.redis_proxy.set("pass")
        end = time.monotonic()
        during = [s for t, s in self.client.latencies if start <= t <= end]
        return self.result(
            folios,
            end,
            {
                "requests_during_fault": len(during),
                "max_request_ms_during_broker_hang": round(max(during) * 1000, 1)
                if during
                else None,
            },
        )

    def broker_down(self) -> dict[str, Any]:
        assert self.top.redis_proxy is not None
        self.top.redis_proxy.set("cut")
        start = time.monotonic()
        folios = self.file_and_pay()
        while time.monotonic() - start < self.fault_seconds:
            time.sleep(0.2)
        self.top.redis_proxy.set("pass")
        return self.result(folios, time.monotonic())

    def worker_kill(self) -> dict[str, Any]:
        from sqlalchemy import func, select

        from workflow_engine.persistence.models import OutboxMessage, table

        outbox = table(OutboxMessage)
        box: list[str] = []
        filer = threading.Thread(target=lambda: box.extend(self.file_and_pay()))
        filer.start()
        killed_at = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and killed_at is None:
            with self.services.engine.connect() as conn:
                running = conn.execute(
                    select(func.count()).select_from(outbox).where(outbox.c.status == "running")
                ).scalar_one()
            if running:
                self.top.kill("worker")
                killed_at = time.monotonic()
                self.top.start_worker()
            else:
                time.sleep(0.01)
        filer.join()
        return self.result(
            box, killed_at or time.monotonic(), {"killed_while_running": killed_at is not None}
        )

    def db_cut(self) -> dict[str, Any]:
        assert self.top.pg_proxy is not None
        box: list[str] = []
        filer = threading.Thread(target=lambda: box.extend(self.file_and_pay(pay=False)))
        filer.start()
        filer.join()
        for folio in box:  # every order paid at once: a burst of documents to issue
            threading.Thread(
                target=pay_at_bank, args=(self.services, folio, time.monotonic() + 300), daemon=True
            ).start()
        time.sleep(1.0)
        self.client.errors = 0
        self.top.pg_proxy.set("cut")
        time.sleep(self.db_seconds)
        self.top.pg_proxy.set("pass")
        return self.result(box, time.monotonic())

    def webhooks_lost(self) -> dict[str, Any]:
        folios = self.file_and_pay(pay=False)
        page_client = self.client
        paid_at = time.monotonic()

        def pay_online(i_folio: tuple[int, str]) -> None:
            i, folio = i_folio
            case_id = case_id_of(self.services, folio)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                state = self.services.cases.load(case_id)[0]
                if state.payment is not None and state.payment.reference:
                    break
                time.sleep(0.5)
            _s, page, _h = page_client.request("GET", f"/expedientes/{folio}", api=False)
            match = CSRF.search(page.decode())
            if match is None:
                return
            status, _b, headers = page_client.request(
                "POST",
                f"/expedientes/{folio}/pago-en-linea",
                {"csrf_token": match.group(1)},
                form=True,
                api=False,
            )
            location = headers.get("Location", "")
            if status != 303 or "/checkout/" not in location:
                return
            checkout = location.rsplit("/", 1)[1]
            req = urllib.request.Request(
                f"{self.top.gateway_url}/api/v1/checkouts/{checkout}/simulate",
                data=json.dumps({"outcome": "succeeded", "deliver": False}).encode(),
                method="POST",
                headers={
                    "Authorization": f"Bearer {GATEWAY_KEY}",
                    "Content-Type": "application/json",
                },
            )
            with urllib.request.urlopen(req, timeout=30):
                pass
            if i % 2 == 0:  # this citizen keeps the return page open: it asks every 2 s
                for _ in range(30):
                    _s, body, _h = page_client.request(
                        "GET", f"/expedientes/{folio}/pago/estado", api=False
                    )
                    if b'"paid"' in body:
                        return
                    time.sleep(2)

        with ThreadPoolExecutor(self.workers) as pool:
            list(pool.map(pay_online, enumerate(folios)))
        paid_at = time.monotonic()
        return self.result(folios, paid_at)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from app.config import Settings
    from app.services import build_services
    from workflow_engine.persistence.platform.accounts import Accounts

    tmp = Path(tempfile.mkdtemp(prefix="tramita-bench-faults-"))
    top = Topology(
        tmp,
        args.database_url,
        args.redis_url,
        args.lease,
        args.scratch_db,
        args.poll_seconds,
        args.pending_seconds,
        args.grace,
    )
    results: dict[str, Any] = {}
    try:
        top.start()
        # The bench's own process reads the same settings as the servers it started.
        os.environ.update({k: top.env[k] for k in ("SECRET_KEY", "DEMO_MODE")})
        settings = Settings.from_env()
        settings.database_url = top.db_url  # the bench reads and pays directly, not via the proxy
        settings.broker_url = top.env["CELERY_BROKER_URL"]
        settings.instance_dir = str(tmp / "bench-instance")
        settings.documents_dir = str(tmp / "bench-instance" / "documents")
        settings.uploads_dir = str(tmp / "bench-instance" / "uploads")
        settings.demo_mode = True
        services = build_services(settings)
        accounts = Accounts(services.engine, demo_mode=True)
        account = accounts.by_email(CITIZEN)
        assert account is not None
        client = Client(top, accounts.create_api_key(account.id, "bench faults"))
        client.login()
        values = json.loads(EXAMPLE.read_text("utf-8"))["example_data"]["datos"]
        bench = Bench(
            top,
            services,
            client,
            account.actor(),
            values,
            args.cases,
            args.fault_seconds,
            args.db_seconds,
            args.settle_seconds,
        )
        for fault in args.faults:
            results[fault] = getattr(bench, fault)()
        services.engine.dispose()
    finally:
        top.stop()
        if args.keep_logs:
            print(f"logs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    hang = results.get("broker_hang", {})
    return {
        "benchmark": "faults",
        "topology": (
            "gunicorn 2x4 gthread, 1 celery worker (4), beat, outbox work, "
            "PostgreSQL + Redis behind TCP proxies"
        ),
        "cases_per_fault": args.cases,
        "fault_seconds": args.fault_seconds,
        "db_seconds": args.db_seconds,
        "lease_seconds": args.lease,
        "gateway_poll_seconds": args.poll_seconds,
        "gateway_pending_seconds": args.pending_seconds,
        "outbox_work_grace_seconds": args.grace if args.grace is not None else 15.0,
        "lost": sum(r["lost"] for r in results.values()),
        "duplicated": sum(r["duplicated"] for r in results.values()),
        "max_request_ms_during_broker_hang": hang.get("max_request_ms_during_broker_hang"),
        "recovery_s": {fault: r["recovery_s"] for fault, r in results.items()},
        "faults": results,
        "goals": GOALS,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "note": "shared with other jobs",
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--fault-seconds", type=float, default=30.0, help="Redis hang / cut")
    parser.add_argument("--db-seconds", type=float, default=15.0, help="PostgreSQL cut")
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=180.0,
        help="how long to wait for every case after a fault",
    )
    parser.add_argument("--lease", type=float, default=30.0, help="OUTBOX_LEASE_SECONDS")
    parser.add_argument("--poll-seconds", type=float, default=15.0, help="GATEWAY_POLL_SECONDS")
    parser.add_argument(
        "--pending-seconds", type=float, default=30.0, help="GATEWAY_PENDING_SECONDS"
    )
    parser.add_argument(
        "--grace", type=float, default=None, help="outbox work --grace (default: its own)"
    )
    parser.add_argument("--scratch-db", default=BENCH_DB)
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_URL)
    )
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--keep-logs", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    args.faults = [f for f in args.faults.split(",") if f]
    unknown = set(args.faults) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {sorted(unknown)}")
    result = run(args)
    print(json.dumps(result, indent=None if args.json else 2))
    ok = result["lost"] == 0 and result["duplicated"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
