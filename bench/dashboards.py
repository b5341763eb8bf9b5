"""Management dashboards at scale: every /tableros page and the treasury's consolidated fiscal
account, on PostgreSQL, with N cases, N/5 taxpayers and 2N ledger payments.

    .venv/bin/python bench/dashboards.py --cases 10000 --json
    .venv/bin/python bench/dashboards.py --cases 100000 --json
    .venv/bin/python bench/dashboards.py --cases 1000000 --json --keep   # then --reuse

The database named in --db-url is dropped and created again (its name must start with
`tramita_bench`), migrated with Alembic and seeded with the demo municipality (departments,
accounts, every example procedure published), then filled in SQL (`generate_series`,
`setseed` for repeatable figures): cases of the published procedures over two years, skewed
to recent ones (most old ones closed, approved or rejected; recent ones in review with an
open task, due dates from overdue to next month); their funnel events (each form step sent,
with drop-off; payment confirmed and document issued for approved ones); payment orders;
taxpayers (fisica/moral), one taxable object each, their obligations (one-off and yearly,
some overdue) and payments through every channel (gateway, bank file, counter).

Each page is fetched in-process through the real app (Flask test client, logged in as the
demo administrator, who sees everything), `--reps` times after `--warmup`, with the default
filters (the last six months; the funnel for the busiest procedure). The consolidated fiscal
account is fetched for `--reps` different taxpayers.

JSON keys: `p99_ms` (the slowest page's p99; goal < 300), `pages` (each page's p50/p99),
`account_p99_ms` (goal < 100), `cases`, `taxpayers`, `payments`, `seed_seconds`, `machine`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.inbox import _admin_url, _connect, drop_database, recreate_database  # noqa: E402
from bench.stats import ms_stats, timed  # noqa: E402

DEFAULT_DB_URL = "postgresql://postgres@127.0.0.1:5432/tramita_bench_dashboards"
GOALS = {"p99_ms": 300.0, "account_p99_ms": 100.0}
ADMIN = "admin@demo.gob.mx"

# Cases: one row each. `r1`..`r3` are independent uniform draws (setseed makes them
# repeatable); `age` skews two years to recent days. The draws name `g` so that PostgreSQL
# draws them again for every case (an uncorrelated LATERAL subquery runs once).
CASES_SQL = """
INSERT INTO cases (id, folio, version_id, procedure_key, applicant_id, status, position,
    outcome, state, lock_version, event_count, last_event_hash, created_at, updated_at,
    submitted_at, closed_at, applicant_name, applicant_ref, applicant_search)
SELECT g, 'BENCH-' || lpad(g::text, 8, '0'), p.version_id, p.key, (100000 + g % 50000)::text,
    CASE WHEN d.age > 45 THEN (CASE WHEN d.r1 < 0.9 THEN 'closed' ELSE 'in_review' END)
         WHEN d.r1 < 0.15 THEN 'draft'
         WHEN d.r1 < 0.75 THEN 'in_review'
         WHEN d.r1 < 0.85 THEN 'awaiting_correction'
         ELSE 'closed' END,
    'revision', NULL, '{}', 1, 0, '',
    now() - make_interval(days => d.age::int, mins => (d.r2 * 1440)::int),
    now(), NULL, NULL, 'Persona ' || g, NULL, 'persona ' || g
FROM generate_series(CAST(:low AS int), CAST(:high AS int)) g
CROSS JOIN LATERAL (SELECT (random() ^ 2) * 730 + 0 * g AS age, random() AS r1,
    random() AS r2, random() AS r3) d
JOIN bench_procs p ON p.slot = (g % :procs)
"""
CASES_FIX_SQL = """
UPDATE cases SET
    submitted_at = CASE WHEN status <> 'draft' THEN created_at + interval '2 hours' END,
    closed_at = CASE WHEN status = 'closed'
        THEN least(created_at + make_interval(days => (3 + (id::bigint * 7919 % 40))::int),
                   now()) END,
    state = CASE WHEN status = 'in_review' THEN jsonb_build_object('response_due',
        (created_at + make_interval(days => (14 + id % 40)::int))::date::text) ELSE state END,
    outcome = CASE WHEN status = 'closed'
        THEN (CASE WHEN id % 10 < 8 THEN 'approved' WHEN id % 10 < 9 THEN 'rejected'
                   ELSE 'cancelled' END) END
WHERE id BETWEEN :low AND :high
"""
# Funnel events: every form step sent up to where the applicant stopped (drafts stop
# early), then payment and document for approved cases.
EVENTS_SQL = """
INSERT INTO case_events (case_id, seq, type, data, actor_id, actor_name, created_at,
    prev_hash, hash)
SELECT c.id, s.n, 'step.submitted', jsonb_build_object('step', s.step), c.applicant_id, '',
    c.created_at + make_interval(mins => (s.n * 5)::int), '', md5(c.id || ':' || s.n)
FROM cases c
JOIN bench_procs p ON p.key = c.procedure_key
CROSS JOIN LATERAL unnest(p.form_steps) WITH ORDINALITY AS s(step, n)
WHERE c.id BETWEEN :low AND :high
  AND (c.status <> 'draft' OR s.n <= 1 + c.id % greatest(array_length(p.form_steps, 1), 1))
"""
LATE_EVENTS_SQL = """
INSERT INTO case_events (case_id, seq, type, data, actor_id, actor_name, created_at,
    prev_hash, hash)
SELECT c.id, 100 + k.n, k.kind, '{}'::jsonb, 'system', '', c.closed_at, '',
    md5(c.id || ':' || k.kind)
FROM cases c
CROSS JOIN (VALUES (1, 'payment.confirmed'), (2, 'document.issued')) AS k(n, kind)
WHERE c.id BETWEEN :low AND :high AND c.outcome = 'approved'
"""
TASKS_SQL = """
INSERT INTO tasks (case_id, task_key, step_id, branch_id, department, role, status,
    assignee_id, due_on, escalated, opened_at, decided_at, decided_by, procedure_key, folio,
    submitted_at, applicant_name, applicant_ref, applicant_search)
SELECT c.id, 'revision:' || c.id, 'revision', NULL, p.department, 'revisor',
    CASE WHEN c.status = 'in_review' THEN 'open' ELSE 'approved' END,
    CASE WHEN c.id % 3 = 0 THEN NULL ELSE u.id::text END,
    (c.submitted_at + make_interval(days => (10 + c.id % 25)::int))::date, false, c.submitted_at,
    c.closed_at, CASE WHEN c.closed_at IS NOT NULL THEN u.id::text END, c.procedure_key,
    c.folio, c.submitted_at, c.applicant_name, NULL, c.applicant_search
FROM cases c
JOIN bench_procs p ON p.key = c.procedure_key
JOIN LATERAL (SELECT id FROM users WHERE role = 'official' ORDER BY id
    OFFSET (c.id % greatest((SELECT count(*) FROM users WHERE role = 'official'), 1))
    LIMIT 1) u ON true
WHERE c.id BETWEEN :low AND :high AND c.status IN ('in_review', 'closed')
"""
ORDERS_SQL = """
INSERT INTO payment_orders (case_id, procedure_key, step_id, attempt, idempotency_key,
    reference, connector, amount_cents, currency, lines, status, expires_on, created_at, paid_at)
SELECT c.id, c.procedure_key, 'pago', 1, 'bench-order-' || c.id,
    'B' || lpad(c.id::text, 12, '0'), 'builtin',
    50000 + (c.id * 37 % 200) * 1000, 'MXN',
    jsonb_build_array(jsonb_build_object('concept', 'Derechos', 'amount_cents',
        50000 + (c.id * 37 % 200) * 1000)),
    CASE WHEN c.outcome = 'approved' THEN 'paid'
         WHEN c.id % 5 = 0 THEN 'expired' ELSE 'pending' END,
    (c.created_at + interval '30 days')::date, c.created_at + interval '1 day',
    CASE WHEN c.outcome = 'approved' THEN c.closed_at END
FROM cases c
WHERE c.id BETWEEN :low AND :high AND (c.outcome = 'approved' OR c.id % 4 = 0)
"""
TAXPAYERS_SQL = """
INSERT INTO taxpayers (id, kind, name, tax_id, curp, user_id, email, created_at, search)
SELECT t, CASE WHEN t % 5 = 0 THEN 'moral' ELSE 'fisica' END, 'Contribuyente ' || t,
    'XAX' || lpad(t::text, 10, '0'), NULL, NULL, NULL,
    now() - make_interval(days => (random() * 1500)::int), 'contribuyente ' || t
FROM generate_series(CAST(:low AS int), CAST(:high AS int)) t
"""
OBJECTS_SQL = """
INSERT INTO taxable_objects (id, taxpayer_id, kind, key, description, attributes, recurring,
    status, source_case_id, registered_at, updated_at)
SELECT t, t, (ARRAY['negocio', 'vehiculo', 'anuncio', 'puesto'])[1 + t % 4], 'OBJ-' || t,
    'Objeto ' || t, '{}', NULL, 'active', NULL,
    tp.created_at + interval '1 day', tp.created_at + interval '1 day'
FROM generate_series(CAST(:low AS int), CAST(:high AS int)) t JOIN taxpayers tp ON tp.id = t
"""
# Ten yearly charges per taxpayer (two concepts over the last five years), one in seven
# still open; their payments and the case payments below make about 2N ledger rows.
OBLIGATIONS_SQL = """
INSERT INTO obligations (idempotency_key, taxpayer_id, object_id, case_id, kind, concept,
    period, amount_cents, currency, due_on, reference, status, created_at, paid_at)
SELECT 'bench-ob-' || t || '-' || c.concept || '-' || y, t, t, NULL, 'recurring', c.name,
    y::text, c.base + (t % 50) * 1000, 'MXN', make_date(y, 3, 31),
    'R' || t || c.concept || y,
    CASE WHEN (t + y + c.concept) % 7 = 0 THEN 'open' ELSE 'paid' END,
    make_timestamptz(y, 1, 2, 12, 0, 0, 'UTC'),
    CASE WHEN (t + y + c.concept) % 7 = 0 THEN NULL
         ELSE make_timestamptz(y, 1 + t % 3, 1 + t % 28, 17, 0, 0, 'UTC') END
FROM generate_series(CAST(:low AS int), CAST(:high AS int)) t
CROSS JOIN generate_series(extract(year FROM now())::int - 4, extract(year FROM now())::int) y
CROSS JOIN (VALUES (1, 'Refrendo anual', 120000), (2, 'Derecho de alumbrado', 30000))
    AS c(concept, name, base)
"""
LEDGER_SQL = """
INSERT INTO ledger_payments (taxpayer_id, obligation_id, case_id, reference, amount_cents,
    currency, source, external_id, paid_at, created_at)
SELECT o.taxpayer_id, o.id, NULL, o.reference, o.amount_cents, 'MXN',
    (ARRAY['gateway:sandbox', 'bank:banorte', 'counter:caja-1'])[1 + o.id % 3],
    'bench-ob-' || o.id, o.paid_at, o.paid_at
FROM obligations o WHERE o.status = 'paid' AND o.id BETWEEN :low AND :high
"""
CASE_PAYMENTS_SQL = """
INSERT INTO ledger_payments (taxpayer_id, obligation_id, case_id, reference, amount_cents,
    currency, source, external_id, paid_at, created_at)
SELECT 1 + po.case_id % :taxpayers, NULL, po.case_id, po.reference, po.amount_cents, 'MXN',
    (ARRAY['gateway:sandbox', 'bank:banorte', 'counter:caja-1'])[1 + po.id % 3],
    'bench-po-' || po.id, po.paid_at, po.paid_at
FROM payment_orders po WHERE po.status = 'paid' AND po.id BETWEEN :low AND :high
"""


def _chunks(n: int, size: int) -> list[tuple[int, int]]:
    return [(low, min(low + size - 1, n)) for low in range(1, n + 1, size)]


def seed(url: str, n: int, seed_value: int, chunk: int = 50000) -> dict[str, Any]:
    """Migrate, seed the demo municipality, then fill the tables in SQL; VACUUM ANALYZE."""
    from sqlalchemy import text

    from app.cli import run_migrations
    from app.config import Settings
    from connectors.ledger import totals
    from workflow_engine.persistence.cases.dashboards import (
        fill_funnel_marks,
        rebuild_day_counts,
    )
    from workflow_engine.persistence.cases.resolution import fill_resolutions
    from workflow_engine.persistence.db import make_engine
    from workflow_engine.persistence.platform.demo import seed_demo
    from workflow_engine.templates import model as template_model

    run_migrations(url)
    engine = make_engine(url)
    seed_demo(engine, demo_mode=True)
    taxpayers = max(n // 5, 10)
    with engine.begin() as conn:
        conn.execute(text("SELECT setseed(:s)"), {"s": (seed_value % 1000) / 1000})
        live = conn.execute(
            text(
                "SELECT DISTINCT ON (t.key) t.key, t.department_key, v.id, v.definition "
                "FROM procedure_templates t JOIN procedure_versions v ON v.template_id = t.id "
                "ORDER BY t.key, v.number DESC"
            )
        ).all()
        conn.execute(
            text(
                "CREATE TEMP TABLE bench_procs (slot int, key text, department text, "
                "version_id int, form_steps text[]) ON COMMIT PRESERVE ROWS"
            )
        )
        for slot, (key, department, version_id, definition) in enumerate(live):
            steps = [s.id for s in template_model.of(definition).form_steps()]
            conn.execute(
                text("INSERT INTO bench_procs VALUES (:slot, :key, :dept, :vid, :steps)"),
                {"slot": slot, "key": key, "dept": department, "vid": version_id, "steps": steps},
            )
        procs = len(live)
        for low, high in _chunks(n, chunk):
            bounds = {"low": low, "high": high}
            conn.execute(text(CASES_SQL), {**bounds, "procs": procs})
            conn.execute(text(CASES_FIX_SQL), bounds)
            conn.execute(text(EVENTS_SQL), bounds)
            conn.execute(text(LATE_EVENTS_SQL), bounds)
            conn.execute(text(TASKS_SQL), bounds)
            conn.execute(text(ORDERS_SQL), bounds)
        for low, high in _chunks(taxpayers, chunk):
            bounds = {"low": low, "high": high}
            conn.execute(text(TAXPAYERS_SQL), bounds)
            conn.execute(text(OBJECTS_SQL), bounds)
            conn.execute(text(OBLIGATIONS_SQL), bounds)
        obligations = conn.execute(text("SELECT coalesce(max(id), 0) FROM obligations")).scalar()
        for low, high in _chunks(int(obligations or 0), chunk * 2):
            conn.execute(text(LEDGER_SQL), {"low": low, "high": high})
        orders = conn.execute(text("SELECT coalesce(max(id), 0) FROM payment_orders")).scalar()
        for low, high in _chunks(int(orders or 0), chunk * 2):
            conn.execute(
                text(CASE_PAYMENTS_SQL), {"low": low, "high": high, "taxpayers": taxpayers}
            )
        for table in ("cases", "taxpayers", "taxable_objects"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        # What the engine writes on the case row as events apply, for rows written in SQL.
        conn.execute(
            text(
                "UPDATE cases SET response_due = CAST(state ->> 'response_due' AS date) "
                "WHERE state ->> 'response_due' IS NOT NULL"
            )
        )
        fill_resolutions(conn, ZoneInfo(Settings.timezone))
        fill_funnel_marks(conn)
        rebuild_day_counts(conn, ZoneInfo(Settings.timezone))
        # The treasury's daily totals of the payments written above (what each payment
        # adds as it is recorded).
        totals.rebuild(conn, Settings.timezone)
        counts = {
            table: int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() or 0)
            for table in (
                "cases",
                "case_events",
                "tasks",
                "payment_orders",
                "taxpayers",
                "obligations",
                "ledger_payments",
                "payment_day_totals",
            )
        }
    engine.dispose()
    with _connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return counts


def measure(url: str, reps: int, warmup: int, seed_value: int) -> dict[str, Any]:
    from flask import url_for
    from sqlalchemy import text

    from app import create_app
    from app.config import Settings
    from app.dashboards.common import DASHBOARDS
    from workflow_engine.persistence.platform.accounts import Accounts

    with tempfile.TemporaryDirectory(prefix="tramita-dashboards-") as tmp:
        settings = Settings(
            database_url=url,
            secret_key="bench-secret",
            demo_mode=True,
            instance_dir=tmp,
            documents_dir=f"{tmp}/documents",
            uploads_dir=f"{tmp}/uploads",
            session_cookie_secure=False,
        )
        app = create_app(settings)
        engine = app.extensions["tramita"].engine
        admin = Accounts(engine, demo_mode=True).by_email(ADMIN)
        assert admin is not None, "the demo administrator is missing"
        client = app.test_client()
        session_id = Accounts(engine).open_session(admin.id)
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        with engine.connect() as conn:
            busiest = conn.execute(
                text(
                    "SELECT procedure_key FROM cases GROUP BY procedure_key "
                    "ORDER BY count(*) DESC LIMIT 1"
                )
            ).scalar()
            taxpayer_ids = [
                int(r[0])
                for r in conn.execute(
                    text("SELECT id FROM taxpayers ORDER BY random() LIMIT :n"), {"n": 4 * reps}
                )
            ]
        with app.test_request_context():
            paths = {d.endpoint.split(".")[-1]: url_for(d.endpoint) for d in DASHBOARDS}
            rng = random.Random(seed_value)
            chosen = rng.sample(taxpayer_ids, min(len(taxpayer_ids), reps + warmup))
            accounts = [
                url_for("ledger.taxpayer_statement", taxpayer_id=taxpayer_id)
                for taxpayer_id in chosen
            ]
        if "funnel" in paths:
            paths["funnel"] += f"?tramite={busiest}"

        def get(path: str) -> None:
            answer = client.get(path)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path}: {answer.status_code}")

        pages: dict[str, Any] = {}
        for name, path in paths.items():
            pages[name] = ms_stats(timed(lambda path=path: get(path), reps, warmup), 1)
        out: dict[str, Any] = {"pages": pages, "paths": paths}
        out["p99_ms"] = max((p["p99_ms"] for p in pages.values()), default=None)
        if accounts:
            spans = []
            for index, path in enumerate(accounts):
                start = time.perf_counter()
                get(path)
                if index >= warmup:
                    spans.append(time.perf_counter() - start)
            out["account"] = ms_stats(spans, 1)
            out["account_p99_ms"] = out["account"]["p99_ms"]
        else:
            out["account_p99_ms"] = None
        engine.dispose()
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.db_url
    result: dict[str, Any] = {
        "cases": args.cases,
        "reps": args.reps,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        },
    }
    if not args.reuse:
        recreate_database(url)
    try:
        if not args.reuse:
            start = time.perf_counter()
            result["rows"] = seed(url, args.cases, args.seed)
            result["seed_seconds"] = round(time.perf_counter() - start, 1)
        result.update(measure(url, args.reps, args.warmup, args.seed))
    finally:
        if not args.keep and not args.reuse:
            drop_database(url)
    with _connect(_admin_url(url)) as conn:
        result["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    result["machine"]["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["goals"] = dict(GOALS)
    result["goals_met"] = {
        k: result.get(k) is not None and result[k] < goal for k, goal in GOALS.items()
    }
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--db-url",
        default=os.environ.get("BENCH_DASHBOARDS_URL", DEFAULT_DB_URL),
        help="database to (re)create; its name must start with tramita_bench",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for name, stats in result["pages"].items():
            print(f"{name:<16} p50 {stats['p50_ms']} ms  p99 {stats['p99_ms']} ms")
        print(f"slowest page p99 {result['p99_ms']} ms; account p99 {result['account_p99_ms']} ms")
    return result


if __name__ == "__main__":
    main()
