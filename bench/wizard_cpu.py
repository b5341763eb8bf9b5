"""CPU per wizard request: the licence walk of bench/wizard_http.py, in one process, timed in CPU.

Wall-clock latency moves with whatever else runs on this shared machine; CPU time per request
moves much less. This script builds the real app (create_app) on a scratch PostgreSQL
database with the demo seed, logs one citizen in, and walks the same page sequence as
bench/wizard_http.py (catalog, procedure page, start, the three form steps with the
template's example_data and six PDFs, check answers, submit, confirmation) `--walks` times
through Flask's test client. For every request it reports, per page:

- `app_cpu_ms`: CPU time of the request's thread inside the WSGI app (time.thread_time around
  the app call and the reading of its body): what a gunicorn worker spends in our code, minus
  gunicorn's own HTTP parsing;
- `pg_cpu_ms`: CPU of the app's PostgreSQL backends during the request (/proc, 10 ms ticks:
  meaningful as an average over many walks);
- `checkouts`, `statements`, `transactions`: pool checkouts, statements sent through
  SQLAlchemy (the engine's hot path uses the driver cursor directly and is not counted),
  and transactions (COMMITs or ROLLBACKs of SQLAlchemy connections).

Effects (e-mails, receipts) run on the app's background thread as in the HTTP bench; the CPU
of every thread but the one making the requests is reported apart
(`other_threads_cpu_ms_per_request`). The test client's own work is in neither figure.

    .venv/bin/python bench/wizard_cpu.py --json
    .venv/bin/python bench/wizard_cpu.py --walks 20 --profile /tmp/wizard.prof

Only 127.0.0.1 is contacted; the scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.wizard_http import (  # noqa: E402
    BENCH_PASSWORD,
    CASE_PATH,
    DEFAULT_PG_URL,
    SECRET_KEY,
    STEP_PATH,
    Plan,
    _pg_connect,
    citizen_email,
    csrf_token,
    load_plan,
    page_name,
    pg_reachable,
    prepare_database,
    scratch_database,
)

BENCH_DB = "tramita_bench_cpu"
APP_NAME = "tramita_bench_cpu_app"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu_s(pid: int) -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return 0.0


class Meter:
    """WSGI middleware: thread CPU of each request, and what it asked of the database."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counts: dict[str, int] = defaultdict(int)
        self.app_cpu = 0.0
        self.render_cpu = 0.0
        self.profiler: cProfile.Profile | None = None
        self.thread: int | None = None  # the thread making the requests
        self.trace: list[str] | None = None  # its SQL, when asked (--sql)
        self._render_started = 0.0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.profiler is not None:
            self.profiler.enable()
        self.thread = threading.get_ident()
        started = time.thread_time()
        body = self.app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        self.app_cpu += time.thread_time() - started
        if self.profiler is not None:
            self.profiler.disable()
        return chunks

    def listen(self, engine: Any) -> None:
        from sqlalchemy import event

        def count(name: str) -> Any:
            def handler(*_args: Any, **_kwargs: Any) -> None:
                self.counts[name] += 1

            return handler

        event.listen(engine, "before_cursor_execute", count("statements"))
        event.listen(engine, "commit", count("transactions"))
        event.listen(engine, "rollback", count("transactions"))
        event.listen(engine.pool, "checkout", count("checkouts"))
        if engine.dialect.name == "postgresql":
            # every statement the request's thread sends through the driver, SQLAlchemy's and
            # the hot path's own cursor (`driver_row`) alike
            cursor_class = self._counting_cursor()
            event.listen(
                engine.pool,
                "connect",
                lambda dbapi, _record: setattr(dbapi, "cursor_factory", cursor_class),
            )
            engine.dispose()  # the connections opened so far get the cursor too

    def _counting_cursor(self) -> type:
        import psycopg

        meter = self

        class CountingCursor(psycopg.Cursor):  # type: ignore[type-arg]
            def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
                meter.sent(query)
                return super().execute(query, *args, **kwargs)

            def executemany(self, query: Any, *args: Any, **kwargs: Any) -> Any:
                meter.sent(query)
                return super().executemany(query, *args, **kwargs)

        return CountingCursor

    def sent(self, query: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        self.counts["round_trips"] += 1
        if self.trace is not None:
            text = (
                query
                if isinstance(query, str)
                else str(getattr(query, "as_string", lambda _c: query)(None))
            )
            self.trace.append(" ".join(text.split())[:160])

    def listen_templates(self, app: Any) -> None:
        """CPU of `render_template` (the page's template with its includes and macros)."""
        from flask import before_render_template, template_rendered

        def before(_sender: Any, **_extra: Any) -> None:
            self._render_started = time.thread_time()

        def after(_sender: Any, **_extra: Any) -> None:
            self.render_cpu += time.thread_time() - self._render_started

        before_render_template.connect(before, app, weak=False)
        template_rendered.connect(after, app, weak=False)


class Backends:
    """CPU of the app's PostgreSQL backends (found by application_name)."""

    def __init__(self, url: str) -> None:
        self.conn = _pg_connect(url)
        self.pids: list[int] = []

    def refresh(self) -> None:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APP_NAME,)
        ).fetchall()
        self.pids = [int(r[0]) for r in rows]

    def cpu(self) -> float:
        return sum(_proc_cpu_s(pid) for pid in self.pids)

    def close(self) -> None:
        self.conn.close()


class Walker:
    def __init__(self, app: Any, meter: Meter, backends: Backends, plan: Plan) -> None:
        self.client = app.test_client()
        self.meter = meter
        self.backends = backends
        self.plan = plan
        self.record = False
        self.trace: list[tuple[str, list[str]]] | None = None
        self.pages: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def request(self, method: str, path: str, data: Any = None) -> tuple[int, str, str]:
        counts_before = dict(self.meter.counts)
        cpu_before = self.meter.app_cpu
        render_before = self.meter.render_cpu
        if self.trace is not None:
            self.meter.trace = []
        pg_before = self.backends.cpu()
        # multipart only when there are files, as a browser (and bench/wizard_http.py) sends
        response = self.client.get(path) if method == "GET" else self.client.post(path, data=data)
        pg_after = self.backends.cpu()
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code}")
        if self.record:
            page = self.pages[page_name(method, path)]
            page["count"] += 1
            page["app_cpu_s"] += self.meter.app_cpu - cpu_before
            page["pg_cpu_s"] += pg_after - pg_before
            page["render_cpu_s"] += self.meter.render_cpu - render_before
            for key in ("checkouts", "statements", "transactions", "round_trips"):
                page[key] += self.meter.counts.get(key, 0) - counts_before.get(key, 0)
        if self.trace is not None and self.meter.trace is not None:
            self.trace.append((page_name(method, path), self.meter.trace))
            self.meter.trace = None
        location = response.headers.get("Location", "")
        return response.status_code, response.get_data(as_text=True), location

    def get(self, path: str) -> tuple[str, str]:
        for _ in range(5):
            status, body, location = self.request("GET", path)
            if 300 <= status < 400 and location:
                path = urlsplit(location).path
                continue
            return path, body
        raise RuntimeError(f"too many redirects from {path}")

    def post(self, path: str, data: Any) -> tuple[str, str]:
        status, body, location = self.request("POST", path, data)
        if 300 <= status < 400 and location:
            return self.get(urlsplit(location).path)
        return path, body

    def login(self) -> None:
        _path, html = self.get("/entrar")
        data = {
            "csrf_token": csrf_token(html),
            "email": citizen_email(0),
            "password": BENCH_PASSWORD,
        }
        path, _html = self.post("/entrar", data)
        if path == "/entrar":
            raise RuntimeError("login refused")

    def step_data(self, step_id: str, token: str) -> Any:
        from werkzeug.datastructures import MultiDict

        form: MultiDict[str, Any] = MultiDict([("csrf_token", token)])
        for name, value in self.plan.steps.get(step_id, []):
            if isinstance(value, list):
                for filename in value:
                    form.add(name, (io.BytesIO(self.plan.pdf), filename, "application/pdf"))
            else:
                form.add(name, value)
        form.add("accion", "continuar")
        return form

    def walk(self) -> None:
        key = self.plan.key
        self.backends.refresh()
        self.get("/")
        _path, html = self.get(f"/tramites/{key}/informacion")
        path, html = self.post(f"/tramites/{key}", {"csrf_token": csrf_token(html)})
        for _ in range(len(self.plan.steps) + 3):
            step = STEP_PATH.match(path)
            if not step:
                break
            new_path, html = self.post(path, self.step_data(step.group(2), csrf_token(html) or ""))
            if new_path == path:
                raise RuntimeError(f"step {step.group(2)} was not accepted")
            path = new_path
        case = CASE_PATH.match(path)
        if not case or case.group(2) != "revisar":
            raise RuntimeError(f"expected the check-answers page, got {path}")
        data = {"csrf_token": csrf_token(html), "declaracion": "si"}
        path, html = self.post(f"/expedientes/{case.group(1)}/enviar", data)
        if not path.endswith("/confirmacion"):
            raise RuntimeError(f"submit did not confirm: {path}")


def build_app(url: str, tmp: Path) -> Any:
    from app import create_app
    from app.config import Settings

    settings = Settings(
        database_url=f"{url}?application_name={APP_NAME}",
        secret_key=SECRET_KEY,
        demo_mode=True,
        instance_dir=str(tmp / "instance"),
        documents_dir=str(tmp / "instance" / "documents"),
        uploads_dir=str(tmp / "instance" / "uploads"),
        base_url="http://127.0.0.1",
        inline_effects="thread",
    )
    return create_app(settings)


@contextlib.contextmanager
def quiet_logs() -> Iterator[None]:
    import logging

    previous = logging.root.level
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        logging.root.setLevel(previous)


def wait_for_effects(app: Any, timeout: float = 120.0) -> None:
    """Until the background thread has run every due effect (none pending or running)."""
    from sqlalchemy import and_, func, or_, select

    from workflow_engine.persistence.models import OutboxMessage, table
    from workflow_engine.persistence.types import utcnow

    outbox = table(OutboxMessage)
    engine = app.extensions["tramita"].engine
    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            busy = conn.execute(
                select(func.count()).where(
                    or_(
                        outbox.c.status == "running",
                        and_(outbox.c.status == "pending", outbox.c.next_attempt_at <= utcnow()),
                    )
                )
            ).scalar_one()
        if not busy:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{busy} effects still pending after {timeout} s")
        time.sleep(0.01)


def run(args: argparse.Namespace) -> dict[str, Any]:
    plan = load_plan("licencia-funcionamiento")
    with (
        scratch_database(args.pg_url, args.scratch_db) as url,
        tempfile.TemporaryDirectory(prefix="tramita-cpu-") as tmpdir,
        quiet_logs(),
    ):
        prepare_database(url, 1, "owasp")
        app = build_app(url, Path(tmpdir))
        meter = Meter(app.wsgi_app)
        app.wsgi_app = meter
        meter.listen(app.extensions["tramita"].engine)
        meter.listen_templates(app)
        backends = Backends(url)
        try:
            walker = Walker(app, meter, backends, plan)
            walker.login()
            for _ in range(args.warmup):
                walker.walk()
            wait_for_effects(app)  # the warm-up's effects are not measured
            walker.record = True
            if args.profile:
                meter.profiler = cProfile.Profile(time.thread_time)
            process_before, thread_before = time.process_time(), time.thread_time()
            for _ in range(args.walks):
                walker.walk()
            wait_for_effects(app)  # every effect of the measured walks has run
            effects = (time.process_time() - process_before) - (time.thread_time() - thread_before)
            if args.sql:
                walker.record, walker.trace = False, []
                profiler, meter.profiler = meter.profiler, None
                walker.walk()
                wait_for_effects(app)
                meter.profiler = profiler
        finally:
            backends.close()
            app.extensions["tramita"].engine.dispose()
    pages = {}
    total: dict[str, float] = defaultdict(float)
    for name, page in walker.pages.items():
        n = page["count"]
        for key, value in page.items():
            total[key] += value
        pages[name] = {
            "count": int(n),
            "app_cpu_ms": round(1000 * page["app_cpu_s"] / n, 2),
            "pg_cpu_ms": round(1000 * page["pg_cpu_s"] / n, 2),
            "render_cpu_ms": round(1000 * page["render_cpu_s"] / n, 2),
            "round_trips": round(page["round_trips"] / n, 2),
            "checkouts": round(page["checkouts"] / n, 2),
            "statements": round(page["statements"] / n, 2),
            "transactions": round(page["transactions"] / n, 2),
        }
    n = total["count"]
    result: dict[str, Any] = {
        "walks": args.walks,
        "requests": int(n),
        "app_cpu_ms_per_request": round(1000 * total["app_cpu_s"] / n, 2),
        "pg_cpu_ms_per_request": round(1000 * total["pg_cpu_s"] / n, 2),
        "other_threads_cpu_ms_per_request": round(1000 * effects / n, 2),
        "render_cpu_ms_per_request": round(1000 * total["render_cpu_s"] / n, 2),
        "round_trips_per_request": round(total["round_trips"] / n, 2),
        "checkouts_per_request": round(total["checkouts"] / n, 2),
        "statements_per_request": round(total["statements"] / n, 2),
        "transactions_per_request": round(total["transactions"] / n, 2),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "pages": dict(sorted(pages.items())),
    }
    if walker.trace is not None:
        result["sql"] = [{"page": name, "statements": sql} for name, sql in walker.trace]
    if args.profile and meter.profiler is not None:
        meter.profiler.dump_stats(args.profile)
        out = io.StringIO()
        pstats.Stats(args.profile, stream=out).sort_stats("cumulative").print_stats(40)
        Path(args.profile + ".txt").write_text(out.getvalue())
        result["profile"] = args.profile
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--scratch-db", default=BENCH_DB, help="scratch database name")
    parser.add_argument("--walks", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of the measured requests here")
    parser.add_argument(
        "--sql", action="store_true", help="one more walk, listing each page's SQL statements"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    if not pg_reachable(args.pg_url):
        raise SystemExit(f"PostgreSQL not reachable at {args.pg_url}")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"app {result['app_cpu_ms_per_request']} ms + PostgreSQL "
            f"{result['pg_cpu_ms_per_request']} ms CPU per request "
            f"(+ other threads {result['other_threads_cpu_ms_per_request']} ms), "
            f"{result['transactions_per_request']} transactions/request"
        )
        for name, page in result["pages"].items():
            print(f"  {name:28} {page}")
    return result


if __name__ == "__main__":
    main()
