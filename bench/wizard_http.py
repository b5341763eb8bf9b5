"""Wizard over HTTP: simulated citizens walk the licence wizard against gunicorn + PostgreSQL.

Starts the real app under gunicorn on 127.0.0.1 (a free port) with a scratch PostgreSQL
database (migrated, demo seed, N bench citizens), then in one run:

1. paced: `--citizens` people, each logging in once and then walking the whole wizard of the
   licence example again and again (catalog, procedure page, start, every form step with the
   template's example_data and a generated PDF on the file fields, check answers, submit
   with the declaration), pausing 1-3 s between pages, for `--duration` seconds;
2. saturation: `--saturation-users` of the same logged-in citizens walking with no pauses for
   `--saturation-seconds`: completed requests per second.

    .venv/bin/python bench/wizard_http.py --json
    .venv/bin/python bench/wizard_http.py --citizens 5 --duration 5 --saturation-seconds 3 --json

The load generator is an asyncio loop of aiohttp sessions (one cookie jar per citizen) in this
process; it shares the machine with the server and PostgreSQL. Every latency is measured by
the client, per HTTP request (a POST and the GET of its redirect are two samples). Every loop
is bounded in time, only 127.0.0.1 is contacted, and the server and the scratch database are
removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stats import percentile, speed_probe_ms  # noqa: E402

EXAMPLE = ROOT / "form_schemas" / "examples" / "licencia-funcionamiento.json"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "tramita_bench_http"
BENCH_PASSWORD = "bench-citizen-password"
SECRET_KEY = "bench-wizard-http-not-secret"
HOST = "127.0.0.1"
GOALS = {"p99_ms": 100.0, "saturation_rps": 300.0}

CSRF_INPUT = re.compile(
    r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|'
    r'<input[^>]*value="([^"]+)"[^>]*name="csrf_token"'
)
CSRF_META = re.compile(r'<meta[^>]*name="csrf-token"[^>]*content="([^"]+)"')
STEP_PATH = re.compile(r"^/expedientes/([^/]+)/pasos/([^/?#]+)")
CASE_PATH = re.compile(r"^/expedientes/([^/?#]+)/(revisar|confirmacion)")


# -- measurements -------------------------------------------------------------------------


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 2)


@dataclass
class Recorder:
    """Client-side latency of every request, by page name, and every failure."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    errors_by_page: Counter[str] = field(default_factory=Counter)
    problems: Counter[str] = field(default_factory=Counter)
    walks_completed: int = 0
    walks_failed: int = 0
    first_start: float | None = None
    last_end: float | None = None
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (start, seconds)

    def add(self, page: str, seconds: float, start: float, end: float) -> None:
        self.samples.setdefault(page, []).append(seconds)
        self.timeline.append((start, seconds))
        if self.first_start is None or start < self.first_start:
            self.first_start = start
        if self.last_end is None or end > self.last_end:
            self.last_end = end

    def error(self, page: str, status: str) -> None:
        self.errors[status] += 1
        self.errors_by_page[page] += 1

    def summary(self, window_s: float, *, without: Sequence[str] = ()) -> dict[str, Any]:
        every = [s for values in self.samples.values() for s in values]
        rest = [s for name, values in self.samples.items() if name not in without for s in values]
        ok = len(every) - sum(self.errors.values())
        out: dict[str, Any] = {
            "requests": len(every),
            "requests_ok": ok,
            "window_s": round(window_s, 2),
            "rps": round(ok / window_s, 1) if window_s > 0 else None,
            "p50_ms": _ms(percentile(every, 50)),
            "p90_ms": _ms(percentile(every, 90)),
            "p99_ms": _ms(percentile(every, 99)),
            "max_ms": _ms(max(every) if every else None),
            "pages": {
                name: {
                    "count": len(values),
                    "p50_ms": _ms(percentile(values, 50)),
                    "p99_ms": _ms(percentile(values, 99)),
                }
                for name, values in sorted(self.samples.items())
            },
            "walks_completed": self.walks_completed,
            "walks_failed": self.walks_failed,
            "errors": {
                "total": sum(self.errors.values()),
                "by_status": dict(sorted(self.errors.items())),
                "by_page": dict(sorted(self.errors_by_page.items())),
            },
        }
        if self.timeline and self.first_start is not None:
            # when the slow requests happened: the login ramp, or all along
            windows: dict[int, list[float]] = {}
            for start, seconds in self.timeline:
                windows.setdefault(int((start - self.first_start) // 10), []).append(seconds)
            out["p99_ms_by_10s"] = [
                _ms(percentile(windows[k], 99)) for k in sorted(windows) if len(windows[k]) > 20
            ]
        if without:
            out["p99_ms_without"] = {
                "pages": list(without),
                "p50_ms": _ms(percentile(rest, 50)),
                "p99_ms": _ms(percentile(rest, 99)),
            }
        if self.problems:
            out["problems"] = dict(self.problems.most_common(10))
        return out


# -- the database --------------------------------------------------------------------------


def _pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return (
        make_url(_libpq(url))
        .set(drivername="postgresql", database=name)
        .render_as_string(hide_password=False)
    )


def pg_reachable(admin_url: str) -> bool:
    try:
        with _pg_connect(_libpq(admin_url)) as conn:
            conn.execute("SELECT 1")
    except Exception:
        return False
    return True


def pg_version(url: str) -> str | None:
    with contextlib.suppress(Exception), _pg_connect(url) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else None
    return None


@contextlib.contextmanager
def scratch_database(admin_url: str, name: str = BENCH_DB) -> Iterator[str]:
    """A fresh PostgreSQL database on the admin URL's server, dropped afterwards."""
    admin = _libpq(admin_url)
    with _pg_connect(admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(admin, name)
    finally:
        with contextlib.suppress(Exception), _pg_connect(admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def citizen_email(i: int) -> str:
    return f"bench-{i:05d}@bench.invalid"


def prepare_database(url: str, citizens: int, argon2: str = "app") -> dict[str, Any]:
    """Migrate, seed the demo municipality, add the bench citizens: the first through the
    app's own `Accounts.create` (so its argon2 parameters are the app's), the others inserted
    at once with the same hash (argon2 is slow on purpose). With argon2="owasp" the shared
    hash uses OWASP's argon2id minimum (m=19 MiB, t=2, p=1) instead: verification follows the
    parameters stored in the hash, so this measures that change without touching the app."""
    from sqlalchemy import insert, select, update

    from app.cli import run_migrations
    from workflow_engine.persistence.db import make_engine
    from workflow_engine.persistence.models import User
    from workflow_engine.persistence.platform.accounts import Accounts
    from workflow_engine.persistence.platform.demo import seed_demo

    users = User.__table__
    started = time.perf_counter()
    run_migrations(url)
    engine = make_engine(url)
    try:
        report = seed_demo(engine, demo_mode=True)
        first = Accounts(engine, demo_mode=True).create(
            citizen_email(0), BENCH_PASSWORD, role="citizen", name="Ciudadana de prueba 0"
        )
        with engine.begin() as conn:
            password_hash = conn.execute(
                select(users.c.password_hash).where(users.c.id == first.id)
            ).scalar_one()
            conn.execute(
                update(users)
                .where(users.c.id == first.id)
                .values(email_verified_at=datetime.now(UTC))
            )
        if argon2 == "owasp":
            from argon2 import PasswordHasher

            password_hash = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(
                BENCH_PASSWORD
            )
            with engine.begin() as conn:
                conn.execute(
                    update(users).where(users.c.id == first.id).values(password_hash=password_hash)
                )
        now = datetime.now(UTC)
        rows = [
            {
                "email": citizen_email(i),
                "name": f"Ciudadana de prueba {i}",
                "password_hash": password_hash,
                "role": "citizen",
                "department_key": None,
                "role_tags": [],
                "is_active": True,
                "created_at": now,
                "email_verified_at": now,
            }
            for i in range(1, citizens)
        ]
        if rows:
            with engine.begin() as conn:
                conn.execute(insert(users), rows)
    finally:
        engine.dispose()
    return {
        "published": list(report.published),
        "bench_citizens": citizens,
        "password_hash_parameters": password_hash.split("$")[3] if "$" in password_hash else None,
        "setup_s": round(time.perf_counter() - started, 2),
    }


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path
    command: list[str]

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with contextlib.suppress(OSError):
            return [int(p) for p in children.read_text().split()]
        return []

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def server_env(database_url: str, tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CELERY_BROKER_URL", "INLINE_SWEEPER", "SMTP_HOST", "FLASK_APP")
    }
    env.update(
        DATABASE_URL=database_url,
        DEMO_MODE="1",
        SECRET_KEY=SECRET_KEY,
        INSTANCE_DIR=str(tmp / "instance"),
        UPLOADS_DIR=str(tmp / "instance" / "uploads"),
        DOCUMENTS_DIR=str(tmp / "instance" / "documents"),
        SESSION_COOKIE_SECURE="0",
        # No broker, as in the embedded setup, but effects (e-mails, documents) run beside
        # the request rather than inside it: what a deployment with workers also gets.
        INLINE_EFFECTS="thread",
        BASE_URL="http://127.0.0.1",
        PYTHONUNBUFFERED="1",
    )
    return env


def gunicorn_command(port: int, workers: int, threads: int, worker_class: str) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--log-level",
        "warning",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads)]
    return [*command, "wsgi:app"]


@contextlib.contextmanager
def run_server(
    database_url: str, tmp: Path, *, workers: int, threads: int, worker_class: str
) -> Iterator[Server]:
    """gunicorn on a free loopback port; ready when /entrar answers 200; stopped at the end."""
    port = free_port()
    command = gunicorn_command(port, workers, threads, worker_class)
    log_path = tmp / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=server_env(database_url, tmp),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(process, f"http://{HOST}:{port}", log_path, command)
    try:
        wait_ready(server, timeout=90.0)
        yield server
    finally:
        stop_server(server)


def wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited ({server.process.returncode}):\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(server.base_url + "/entrar", timeout=2) as response:
                if response.status == 200 and len(server.worker_pids()) >= 1:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: Server) -> None:
    """SIGTERM to the master (graceful), SIGKILL to its process group if it lingers."""
    process = server.process
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def probe_wizard(base_url: str, key: str) -> bool:
    """The wizard exists when `/tramites/<key>` is routed (405 for a GET), not 404."""
    try:
        with urllib.request.urlopen(f"{base_url}/tramites/{key}", timeout=5) as response:
            return response.status != 404
    except urllib.error.HTTPError as exc:
        return exc.code != 404
    except OSError:
        return False


# -- what the citizens send -------------------------------------------------------------------


def make_pdf() -> bytes:
    """A small, real one-page PDF (≈1.5 kB) for the file fields."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    pdf.drawString(72, 720, "Documento de prueba - bench/wizard_http.py")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def form_fields(step: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in step.get("fields", []) if isinstance(f, dict) and "id" in f}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "si" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def step_form(values: dict[str, Any], fields: dict[str, dict[str, Any]]) -> list[tuple[str, Any]]:
    """The (name, value) pairs a browser posts for one step, per docs/web-contract.md; file
    fields become ("<id>", [file names]) to be sent as uploads."""
    pairs: list[tuple[str, Any]] = []
    for field_id, value in values.items():
        kind = fields.get(field_id, {}).get("type")
        rows = isinstance(value, list) and bool(value) and isinstance(value[0], dict)
        if kind == "file" or (rows and "sha256" in value[0]):
            names = [str(item.get("name", f"{field_id}.pdf")) for item in value or []]
            pairs.append((field_id, names or [f"{field_id}.pdf"]))
        elif kind == "group" or rows:
            for i, row in enumerate(value):
                for sub, sub_value in row.items():
                    pairs.append((f"{field_id}[{i}].{sub}", _scalar(sub_value)))
        elif isinstance(value, dict):
            for part, part_value in value.items():
                pairs.append((f"{field_id}.{part}", _scalar(part_value)))
        elif isinstance(value, list):
            pairs.extend((field_id, _scalar(item)) for item in value)
        elif value is not None:
            pairs.append((field_id, _scalar(value)))
    return pairs


@dataclass
class Plan:
    """What a citizen needs to walk one procedure."""

    key: str
    steps: dict[str, list[tuple[str, Any]]]
    pdf: bytes


def load_plan(key: str) -> Plan:
    doc = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    if doc["key"] != key:
        raise SystemExit(f"only {doc['key']} has a walk here")
    fields = {s["id"]: form_fields(s) for s in doc["steps"] if s.get("type") == "form"}
    steps = {
        step_id: step_form(values, fields.get(step_id, {}))
        for step_id, values in doc["example_data"].items()
    }
    return Plan(key, steps, make_pdf())


# -- the citizens -----------------------------------------------------------------------------


class WalkFailedError(Exception):
    """This walk cannot go on (an error page, a validation error, a missing token)."""


class WindowClosedError(Exception):
    """The measured window is over: no new request is started."""


def csrf_token(html: str) -> str | None:
    match = CSRF_INPUT.search(html)
    if match:
        return match.group(1) or match.group(2)
    match = CSRF_META.search(html)
    return match.group(1) if match else None


def page_name(method: str, path: str) -> str:
    path = urlsplit(path).path
    step = STEP_PATH.match(path)
    if step:
        return f"{method} pasos/{step.group(2)}"
    case = CASE_PATH.match(path)
    if case:
        return f"{method} {case.group(2)}"
    if path.startswith("/expedientes/") and path.endswith("/enviar"):
        return f"{method} enviar"
    if path.startswith("/tramites/") and path.endswith("/informacion"):
        return f"{method} informacion"
    if path.startswith("/tramites/"):
        return f"{method} iniciar"
    return f"{method} {path}"


class Citizen:
    """One person with a browser: a cookie jar, pauses between pages, a deadline."""

    def __init__(
        self,
        n: int,
        connector: Any,
        base_url: str,
        plan: Plan,
        *,
        flow: str,
        rng: random.Random,
    ) -> None:
        import aiohttp

        self.n = n
        self.base_url = base_url
        self.plan = plan
        self.flow = flow
        self.rng = rng
        self.session = aiohttp.ClientSession(
            connector=connector,
            connector_owner=False,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            timeout=aiohttp.ClientTimeout(total=30),
        )
        self.logged_in = False
        self.on_catalog = False
        self.recorder: Recorder | None = None
        self.deadline = 0.0
        self.think: tuple[float, float] | None = None

    async def close(self) -> None:
        await self.session.close()

    async def pause(self) -> None:
        if self.think is None:
            return
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return
        await asyncio.sleep(min(self.rng.uniform(*self.think), remaining))

    def _check_time(self) -> None:
        if time.monotonic() >= self.deadline:
            raise WindowClosedError

    async def request(self, method: str, path: str, **kwargs: Any) -> tuple[int, str, str]:
        """One timed request; returns (status, body, Location). Non-2xx/3xx is an error."""
        import aiohttp

        self._check_time()
        assert self.recorder is not None
        name = page_name(method, path)
        url = urljoin(self.base_url, path)
        start = time.monotonic()
        try:
            async with self.session.request(
                method, url, allow_redirects=False, **kwargs
            ) as response:
                body = await response.text()
                status = response.status
                location = response.headers.get("Location", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            end = time.monotonic()
            self.recorder.add(name, end - start, start, end)
            self.recorder.error(name, type(exc).__name__)
            raise WalkFailedError(f"{name}: {type(exc).__name__}") from exc
        end = time.monotonic()
        self.recorder.add(name, end - start, start, end)
        if not 200 <= status < 400:
            self.recorder.error(name, str(status))
            raise WalkFailedError(f"{name}: HTTP {status}")
        return status, body, location

    async def get(self, path: str) -> tuple[str, str]:
        """GET a page and return (its path, its HTML); follows redirects, each one timed."""
        for _ in range(5):
            status, body, location = await self.request("GET", path)
            if 300 <= status < 400 and location:
                path = urlsplit(urljoin(self.base_url, location)).path
                continue
            return path, body
        raise WalkFailedError(f"too many redirects from {path}")

    async def post(self, path: str, data: Any) -> tuple[str, str]:
        """POST a form; a redirect is followed with a GET at once (as a browser does)."""
        status, body, location = await self.request("POST", path, data=data)
        if 300 <= status < 400 and location:
            return await self.get(urlsplit(urljoin(self.base_url, location)).path)
        return path, body

    def token(self, html: str, where: str) -> str:
        found = csrf_token(html)
        if not found:
            raise WalkFailedError(f"no csrf_token on {where}")
        return found

    async def login(self) -> None:
        _path, html = await self.get("/entrar")
        await self.pause()
        data = {
            "csrf_token": self.token(html, "/entrar"),
            "email": citizen_email(self.n),
            "password": BENCH_PASSWORD,
        }
        path, _html = await self.post("/entrar", data)
        if path == "/entrar":
            assert self.recorder is not None
            self.recorder.problems["login refused"] += 1
            raise WalkFailedError("login refused")
        self.logged_in = True
        self.on_catalog = path == "/"  # the login lands on the catalog: the walk starts there

    def _step_data(self, step_id: str, token: str) -> Any:
        import aiohttp

        form = aiohttp.FormData()
        form.add_field("csrf_token", token)
        for name, value in self.plan.steps.get(step_id, []):
            if isinstance(value, list):
                for filename in value:
                    form.add_field(
                        name, self.plan.pdf, filename=filename, content_type="application/pdf"
                    )
            else:
                form.add_field(name, value)
        form.add_field("accion", "continuar")
        return form

    async def walk(self) -> None:
        """One application from the catalog to the confirmation page."""
        assert self.recorder is not None
        key = self.plan.key
        if not self.on_catalog:
            await self.get("/")
            await self.pause()
        self.on_catalog = False
        _path, html = await self.get(f"/tramites/{key}/informacion")
        await self.pause()
        if self.flow != "wizard":
            self.recorder.walks_completed += 1
            return
        path, html = await self.post(f"/tramites/{key}", {"csrf_token": self.token(html, key)})
        for _ in range(len(self.plan.steps) + 3):
            step = STEP_PATH.match(path)
            if not step:
                break
            step_id = step.group(2)
            if step_id not in self.plan.steps:
                raise WalkFailedError(f"no example data for step {step_id}")
            await self.pause()
            token = self.token(html, path)
            new_path, html = await self.post(path, self._step_data(step_id, token))
            if new_path == path:
                self.recorder.problems[f"step {step_id} not accepted"] += 1
                raise WalkFailedError(f"step {step_id} was not accepted")
            path = new_path
        case = CASE_PATH.match(path)
        if not case or case.group(2) != "revisar":
            self.recorder.problems[f"expected revisar, got {page_name('GET', path)}"] += 1
            raise WalkFailedError(f"expected the check-answers page, got {path}")
        folio = case.group(1)
        await self.pause()
        data = {"csrf_token": self.token(html, path), "declaracion": "si"}
        path, html = await self.post(f"/expedientes/{folio}/enviar", data)
        if not path.endswith("/confirmacion"):
            self.recorder.problems[f"submit ended on {page_name('GET', path)}"] += 1
            raise WalkFailedError(f"submit did not confirm: {path}")
        self.recorder.walks_completed += 1

    async def warm_up(self, recorder: Recorder, deadline: float) -> None:
        """Log in and walk once, with no pauses."""
        self.recorder, self.deadline, self.think = recorder, deadline, None
        with contextlib.suppress(WalkFailedError, WindowClosedError):
            await self.login()
            await self.walk()

    async def run(
        self,
        recorder: Recorder,
        deadline: float,
        think: tuple[float, float] | None,
        delay: float = 0.0,
    ) -> None:
        """Log in if needed, then walk again and again until the deadline."""
        self.recorder, self.deadline, self.think = recorder, deadline, think
        if delay > 0:
            await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        while time.monotonic() < self.deadline:
            try:
                if not self.logged_in:
                    await self.login()
                    await self.pause()
                await self.walk()
            except WindowClosedError:
                return
            except WalkFailedError:
                recorder.walks_failed += 1
                if think is None:  # no hot loop of errors when nobody pauses
                    await asyncio.sleep(min(0.2, max(0.0, self.deadline - time.monotonic())))
            await self.pause()


async def run_phases(
    server: Server,
    db_url: str,
    plan: Plan,
    args: argparse.Namespace,
    flow: str,
    on_saturation: Callable[[], None] | None = None,
) -> dict[str, Any]:
    import aiohttp

    base_url = server.base_url
    rng = random.Random(args.seed)
    connector = aiohttp.TCPConnector(limit=0, force_close=False, keepalive_timeout=1.5)
    citizens = [
        Citizen(i, connector, base_url, plan, flow=flow, rng=random.Random(rng.random()))
        for i in range(max(args.citizens, args.saturation_users))
    ]
    warmers = [
        Citizen(len(citizens) + i, connector, base_url, plan, flow=flow, rng=random.Random(i))
        for i in range(args.warmup_walks)
    ]
    result: dict[str, Any] = {}
    try:
        # 0. warm-up (untimed): every worker compiles its templates and opens its connections
        if warmers:
            warm = Recorder()
            deadline = time.monotonic() + 60
            await asyncio.gather(*(c.warm_up(warm, deadline) for c in warmers))
            result["warmup"] = {
                "walks_completed": warm.walks_completed,
                "requests": sum(len(v) for v in warm.samples.values()),
                "errors": sum(warm.errors.values()),
            }
        if args.login_before:
            # argon2 out of the measured window: log everybody in first, 4 at a time
            started = time.monotonic()
            gate = asyncio.Semaphore(4)
            pre = Recorder()

            async def log_in(c: Citizen) -> None:
                async with gate:
                    c.recorder, c.deadline, c.think = pre, time.monotonic() + 60, None
                    with contextlib.suppress(WalkFailedError, WindowClosedError):
                        await c.login()

            await asyncio.gather(*(log_in(c) for c in citizens[: args.citizens]))
            result["login_before"] = {
                "logged_in": sum(c.logged_in for c in citizens[: args.citizens]),
                "seconds": round(time.monotonic() - started, 2),
                "pages": pre.summary(1.0)["pages"],
            }
        # 1. paced: people arrive spread over the ramp, pause 1-3 s between pages
        paced = Recorder()
        cpu_before = cpu_snapshot(server)
        started = time.monotonic()
        deadline = started + args.duration
        ramp = min(args.ramp, args.duration)
        await asyncio.gather(
            *(
                c.run(paced, deadline, (args.think_min, args.think_max), rng.uniform(0, ramp))
                for c in citizens[: args.citizens]
            )
        )
        window = max(time.monotonic() - started, 1e-9)
        result["paced"] = paced.summary(window, without=("GET /entrar", "POST /entrar"))
        result["paced"]["cpu"] = cpu_report(
            cpu_before, cpu_snapshot(server), result["paced"]["requests_ok"]
        )
        # 2. saturation: logged-in citizens walk with no pauses
        saturation = Recorder()
        users = citizens[: args.saturation_users]
        for c in users:  # log in outside the timed window (argon2 is not the wizard)
            if not c.logged_in:
                warm = Recorder()
                c.recorder, c.deadline, c.think = warm, time.monotonic() + 30, None
                with contextlib.suppress(WalkFailedError, WindowClosedError):
                    await c.login()
        await asyncio.sleep(1.1)  # PostgreSQL flushes its statistics at most every second
        xacts_before = pg_transactions(db_url)
        if on_saturation is not None:
            on_saturation()
        cpu_before = cpu_snapshot(server)
        started = time.monotonic()
        deadline = started + args.saturation_seconds
        await asyncio.gather(*(c.run(saturation, deadline, None) for c in users))
        window = max(time.monotonic() - started, 1e-9)
        result["saturation"] = saturation.summary(window)
        result["saturation"]["cpu"] = cpu_report(
            cpu_before, cpu_snapshot(server), result["saturation"]["requests_ok"]
        )
        result["saturation"]["users"] = len(users)
        await asyncio.sleep(1.1)
        xacts_after = pg_transactions(db_url)
        if xacts_before is not None and xacts_after is not None and saturation.samples:
            # our own two statistics queries are transactions too
            xacts = xacts_after - xacts_before - 1
            result["saturation"]["db_transactions_per_request"] = round(
                xacts / max(1, result["saturation"]["requests"]), 2
            )
    finally:
        await asyncio.gather(*(c.close() for c in citizens + warmers))
        await connector.close()
    return result


# -- profiling (optional) ---------------------------------------------------------------------


def start_profiler(server: Server, seconds: float, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy on every gunicorn worker for the saturation window (raw collapsed stacks)."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        print("py-spy not found: no profile", file=sys.stderr)
        return None
    return subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(server.process.pid),
            "--subprocesses",
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
            "--gil",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarize_profile(path: Path, limit: int = 30) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
            if not frames:
                continue
            total += count
            own[frames[-1]] += count
            for frame in set(frames):
                inclusive[frame] += count
    if not total:
        return {"samples": 0}

    def share(counter: Counter[str]) -> list[list[Any]]:
        return [[name, round(100.0 * n / total, 1)] for name, n in counter.most_common(limit)]

    return {"samples": total, "self_pct": share(own), "inclusive_pct": share(inclusive)}


# -- where the CPU went ------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu_s(pid: int) -> float:
    """utime + stime of one process, seconds (0 when it is gone)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return 0.0


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


def _machine_busy_s() -> float:
    """CPU seconds spent busy by the whole machine (all cores) since boot."""
    with contextlib.suppress(OSError, ValueError):
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0)
        return (sum(values[:8]) - idle) / CLOCK_TICKS
    return 0.0


def pg_transactions(url: str) -> int | None:
    """Commits + rollbacks so far in the bench database (PostgreSQL's own statistics)."""
    name = url.rsplit("/", 1)[1]
    with contextlib.suppress(Exception), _pg_connect(url) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
            (name,),
        ).fetchone()
        return int(row[0]) if row else None
    return None


@dataclass
class CpuSnapshot:
    at: float
    machine: float
    server: float
    generator: float
    postgres: dict[int, float]


def cpu_snapshot(server: Server) -> CpuSnapshot:
    server_pids = [server.process.pid, *server.worker_pids()]
    return CpuSnapshot(
        at=time.monotonic(),
        machine=_machine_busy_s(),
        server=sum(_proc_cpu_s(pid) for pid in server_pids),
        generator=time.process_time(),
        postgres={pid: _proc_cpu_s(pid) for pid in _postgres_pids()},
    )


def cpu_report(before: CpuSnapshot, after: CpuSnapshot, requests_ok: int) -> dict[str, Any]:
    """Cores used on average by each part during a phase, and the rest of the machine."""
    wall = max(after.at - before.at, 1e-9)
    postgres = sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in after.postgres.items())
    parts = {
        "gunicorn": after.server - before.server,
        "load_generator": after.generator - before.generator,
        "postgresql": postgres,
    }
    machine = after.machine - before.machine
    out: dict[str, Any] = {f"{name}_cores": round(v / wall, 2) for name, v in parts.items()}
    out["machine_busy_cores"] = round(machine / wall, 2)
    out["other_processes_cores"] = round(max(0.0, machine - sum(parts.values())) / wall, 2)
    if requests_ok:
        out["gunicorn_cpu_ms_per_request"] = round(1000 * parts["gunicorn"] / requests_ok, 2)
        out["postgresql_cpu_ms_per_request"] = round(1000 * postgres / requests_ok, 2)
        out["load_generator_cpu_ms_per_request"] = round(
            1000 * parts["load_generator"] / requests_ok, 2
        )
    return out


# -- the run -------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory_gib = round(kib / 1024 / 1024, 1)
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        "speed_probe_ms_at_start": speed_probe_ms(),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    import gunicorn

    if not pg_reachable(args.database_url):
        raise SystemExit(f"no PostgreSQL server at {args.database_url}")
    plan = load_plan(args.procedure)
    result: dict[str, Any] = {
        "procedure": plan.key,
        "citizens": args.citizens,
        "duration_s": args.duration,
        "ramp_s": min(args.ramp, args.duration),
        "login_in_window": not args.login_before,
        "argon2": args.argon2,
        "think_s": [args.think_min, args.think_max],
        "saturation_seconds": args.saturation_seconds,
        "saturation_users": args.saturation_users,
        "server": {
            "workers": args.workers,
            "worker_class": args.worker_class,
            "threads": args.threads if args.worker_class == "gthread" else 1,
            "gunicorn": gunicorn.__version__,
            "postgresql": pg_version(_libpq(args.database_url)),
        },
        "load_generator": "asyncio + aiohttp in the benchmark process (same machine)",
        "machine": machine(),
    }
    with (
        tempfile.TemporaryDirectory(prefix="tramita-wizard-http-") as tmp_name,
        scratch_database(args.database_url, args.scratch_db) as url,
    ):
        tmp = Path(tmp_name)
        result["setup"] = prepare_database(
            url, max(args.citizens, args.saturation_users) + args.warmup_walks, args.argon2
        )
        with run_server(
            url,
            tmp,
            workers=args.workers,
            threads=args.threads,
            worker_class=args.worker_class,
        ) as server:
            flow = args.flow
            if flow == "auto":
                flow = "wizard" if probe_wizard(server.base_url, plan.key) else "catalog"
            result["flow"] = flow
            if flow != "wizard":
                result["flow_note"] = (
                    "the wizard routes (POST /tramites/<key>) answer 404: only login, catalog "
                    "and procedure page were walked"
                )
            result["server"]["command"] = " ".join(
                ["gunicorn", *server.command[server.command.index("--bind") :]]
            )
            profiler: subprocess.Popen[bytes] | None = None
            profile_out = tmp / "profile.txt"

            def on_saturation() -> None:
                nonlocal profiler
                if args.profile is not None:
                    profiler = start_profiler(server, args.saturation_seconds, profile_out)

            phases_result = asyncio.run(run_phases(server, url, plan, args, flow, on_saturation))
            if profiler is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    profiler.wait(timeout=args.saturation_seconds + 30)
                if profiler.poll() is None:
                    profiler.kill()
                    profiler.wait()
                summary = summarize_profile(profile_out)
                result["profile"] = summary
                if args.profile:
                    shutil.copy(profile_out, args.profile)
            failed = (
                phases_result["paced"]["errors"]["total"]
                + (phases_result["saturation"]["errors"]["total"])
            )
            if failed or server.process.poll() is not None:
                result["server_log_tail"] = server.log_tail(40)
    paced = phases_result["paced"]
    saturation = phases_result["saturation"]
    for key in ("warmup", "login_before"):
        if key in phases_result:
            result[key] = phases_result[key]
    result.update(
        p50_ms=paced["p50_ms"],
        p99_ms=paced["p99_ms"],
        pages=paced["pages"],
        paced=paced,
        saturation=saturation,
        saturation_rps=saturation["rps"],
        errors={
            "total": paced["errors"]["total"] + saturation["errors"]["total"],
            "paced": paced["errors"],
            "saturation": saturation["errors"],
        },
    )
    result["goals"] = dict(GOALS)
    result["goals_met"] = {
        "p99_ms": paced["p99_ms"] is not None and paced["p99_ms"] < GOALS["p99_ms"],
        "saturation_rps": saturation["rps"] is not None
        and saturation["rps"] >= GOALS["saturation_rps"],
    }
    result["machine"]["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["machine"]["speed_probe_ms_at_end"] = speed_probe_ms()
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Simulated citizens walk the licence wizard over HTTP (gunicorn + PostgreSQL)."
    )
    parser.add_argument("--citizens", type=int, default=200, help="paced citizens (default 200)")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="paced phase, seconds (default 60)"
    )
    parser.add_argument(
        "--saturation-seconds", type=float, default=20.0, help="no-pause phase (default 20)"
    )
    parser.add_argument(
        "--saturation-users",
        type=int,
        default=16,
        help="concurrent citizens in the no-pause phase (default 16)",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker with gthread (default 4)"
    )
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread")
    parser.add_argument(
        "--ramp",
        type=float,
        default=20.0,
        help="citizens arrive at random within the first RAMP seconds (default 20)",
    )
    parser.add_argument(
        "--warmup-walks",
        type=int,
        default=4,
        help="untimed walks before measuring, all at once (default 4)",
    )
    parser.add_argument(
        "--login-before",
        action="store_true",
        help="log the paced citizens in before the measured window (argon2 out of it)",
    )
    parser.add_argument(
        "--argon2",
        choices=("app", "owasp"),
        default="app",
        help="bench users' password hash: the app's parameters (default) or OWASP's "
        "argon2id minimum (m=19456, t=2, p=1), to measure that change",
    )
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=3.0)
    parser.add_argument("--flow", choices=("auto", "wizard", "catalog"), default="auto")
    parser.add_argument("--procedure", default="licencia-funcionamiento")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_URL),
        help="PostgreSQL server to create the scratch database on",
    )
    parser.add_argument(
        "--scratch-db",
        default=BENCH_DB,
        help=f"name of the scratch database, dropped at the end (default {BENCH_DB})",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="py-spy every worker during the saturation window; top frames in the JSON "
        "(collapsed stacks saved to FILE)",
    )
    return parser


def _human(result: dict[str, Any]) -> str:
    paced, sat = result["paced"], result["saturation"]
    lines = [
        f"flow {result['flow']}: {result['citizens']} citizens for {result['duration_s']} s, "
        f"{result['server']['workers']} workers x {result['server']['threads']} threads",
        f"  paced       {paced['requests']} requests  {paced['rps']} req/s  "
        f"p50 {paced['p50_ms']} ms  p99 {paced['p99_ms']} ms  walks {paced['walks_completed']}",
        f"  saturation  {sat['requests']} requests  {sat['rps']} req/s  "
        f"p50 {sat['p50_ms']} ms  p99 {sat['p99_ms']} ms  walks {sat['walks_completed']}",
        f"  errors      {result['errors']['total']}",
    ]
    for name, stats in paced["pages"].items():
        lines.append(
            f"    {name:<28} n={stats['count']:<6} p50 {stats['p50_ms']} ms  "
            f"p99 {stats['p99_ms']} ms"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    if args.citizens < 1 or args.saturation_users < 1:
        raise SystemExit("--citizens and --saturation-users must be at least 1")
    if not (0 < args.duration <= 3600 and 0 < args.saturation_seconds <= 3600):
        raise SystemExit("--duration and --saturation-seconds must be in (0, 3600]")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.scratch_db):
        raise SystemExit("--scratch-db: lowercase letters, digits and _ only")
    if not 0 <= args.think_min <= args.think_max:
        raise SystemExit("need 0 <= --think-min <= --think-max")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(_human(result))
    return result


if __name__ == "__main__":
    main()
