"""CPU per payment webhook, in one process: the path of bench/payments.py without gunicorn.

Wall-clock throughput on this shared machine moves with whatever else runs; CPU time per
webhook moves much less. This script builds a scratch PostgreSQL database with `--cases`
cases awaiting payment (through the real engine, as bench/payments.py does), builds the real
app (create_app, the sandbox gateway's configuration, effects queued on a Celery broker in
Redis as in bench/payments.py), and posts one signed `payment.succeeded` webhook per case
through Flask's test client. It reports per webhook:

- `app_cpu_ms`: CPU of the request's thread inside the WSGI app (time.thread_time);
- `pg_cpu_ms`: CPU of the app's PostgreSQL backends (/proc, 10 ms ticks: an average);
- `statements`, `checkouts`, `transactions`: through SQLAlchemy (the engine's hot path uses
  the driver cursor and is counted apart in `hot_statements` by a psycopg cursor wrapper);
- `wall_ms`: one webhook at a time, no competition.

    .venv/bin/python bench/payments_cpu.py --json
    .venv/bin/python bench/payments_cpu.py --cases 300 --profile /tmp/webhook.prof

Only 127.0.0.1 is contacted; the scratch database is dropped and the broker's queue emptied.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.payments import (  # noqa: E402
    API_KEY,
    SECRET,
    drop_queued_effects,
    event_body,
    make_cases,
)
from bench.wizard_cpu import Backends, quiet_logs  # noqa: E402
from bench.wizard_http import (  # noqa: E402
    DEFAULT_PG_URL,
    SECRET_KEY,
    pg_reachable,
    prepare_database,
    scratch_database,
)

BENCH_DB = "tramita_bench_paycpu"
APP_NAME = "tramita_bench_cpu_app"


def build_app(url: str, tmp: Path, redis_url: str) -> Any:
    from app import create_app
    from app.config import Settings

    for key, value in {
        "GATEWAY_NAME": "sandbox",
        "GATEWAY_URL": "http://127.0.0.1:9",
        "GATEWAY_API_KEY": API_KEY,
        "GATEWAY_WEBHOOK_SECRET": SECRET,
    }.items():
        os.environ[key] = value
    settings = Settings(
        database_url=f"{url}?application_name={APP_NAME}",
        secret_key=SECRET_KEY,
        demo_mode=True,
        instance_dir=str(tmp / "instance"),
        documents_dir=str(tmp / "instance" / "documents"),
        uploads_dir=str(tmp / "instance" / "uploads"),
        base_url="http://127.0.0.1",
        broker_url=redis_url,
    )
    return create_app(settings)


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import event

    from connectors.gateway.signing import signed_headers

    with (
        scratch_database(args.pg_url, args.scratch_db) as url,
        tempfile.TemporaryDirectory(prefix="tramita-paycpu-") as tmpdir,
        quiet_logs(),
    ):
        prepare_database(url, 1, "owasp")
        cases = make_cases(url, args.cases + args.warmup)
        bodies = [event_body(c, i) for i, c in enumerate(cases)]
        app = build_app(url, Path(tmpdir), args.redis_url)
        engine = app.extensions["tramita"].engine
        counts: dict[str, int] = defaultdict(int)

        def count(name: str) -> Any:
            def handler(*_a: Any, **_k: Any) -> None:
                counts[name] += 1

            return handler

        event.listen(engine, "before_cursor_execute", count("statements"))
        event.listen(engine, "commit", count("transactions"))
        event.listen(engine, "rollback", count("transactions"))
        event.listen(engine.pool, "checkout", count("checkouts"))
        client = app.test_client()
        backends = Backends(url)
        profiler = cProfile.Profile(time.thread_time) if args.profile else None
        try:
            statuses: dict[str, int] = defaultdict(int)

            def post(body: bytes) -> None:
                response = client.post(
                    "/pagos/webhook/sandbox",
                    data=body,
                    headers={**signed_headers(SECRET, body), "Content-Type": "application/json"},
                )
                statuses[f"{response.status_code}:{response.get_json().get('status')}"] += 1

            for body in bodies[: args.warmup]:
                post(body)
            backends.refresh()
            statuses.clear()
            counts.clear()
            pg_before = backends.cpu()
            thread_before, wall_before = time.thread_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            for body in bodies[args.warmup :]:
                post(body)
            if profiler is not None:
                profiler.disable()
            thread_s = time.thread_time() - thread_before
            wall_s = time.perf_counter() - wall_before
            pg_s = backends.cpu() - pg_before
        finally:
            backends.close()
            engine.dispose()
        import redis

        queued = int(redis.Redis.from_url(args.redis_url).llen("celery"))
        drop_queued_effects(args.redis_url)
    n = args.cases
    result: dict[str, Any] = {
        "webhooks": n,
        "statuses": dict(statuses),
        "app_cpu_ms": round(1000 * thread_s / n, 3),
        "pg_cpu_ms": round(1000 * pg_s / n, 3),
        "wall_ms": round(1000 * wall_s / n, 3),
        **{k: round(v / n, 2) for k, v in sorted(counts.items())},
        "effects_queued_per_webhook": round(queued / (n + args.warmup), 2),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }
    if profiler is not None:
        profiler.dump_stats(args.profile)
        out = io.StringIO()
        stats = pstats.Stats(args.profile, stream=out)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        Path(args.profile + ".txt").write_text(out.getvalue())
        result["profile"] = args.profile
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    )
    parser.add_argument("--scratch-db", default=BENCH_DB, help="scratch database name")
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--profile", help="write a cProfile of the measured webhooks here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not pg_reachable(args.pg_url):
        raise SystemExit(f"PostgreSQL not reachable at {args.pg_url}")
    result = run(args)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
