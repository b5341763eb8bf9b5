"""Inbox benchmark: N cases (about three tasks each) seeded with COPY into PostgreSQL, then
p50/p99 of the officials' inbox queries through the real `Inbox` class.

    .venv/bin/python bench/inbox.py --cases 100000 --json
    .venv/bin/python bench/inbox.py --cases 1000000 --json --keep   # keep the database

The database named in --db-url is dropped and created again (its name must start with
`tramita_bench`), migrated with Alembic, then filled: the migration's secondary indexes and
foreign keys are set aside during COPY and put back afterwards (as a restore would), and
the tables are VACUUM ANALYZEd. The spread: seven departments of different sizes, six
procedures, two years of cases skewed to recent ones, most old cases closed, open tasks
claimed or not, due dates from long overdue to next month, Spanish names with accents.

Measured (each --reps times, after a warm-up):
  first_page    the first page of every view (mine, unclaimed, department, overdue) in turn,
                for officials and directors of the busiest departments
  page_50       page 50 of the department view, reached by walking the keyset cursors (the
                walk is untimed; the 50th fetch is timed), sorts deadline/age/newest in turn
  search_folio  a folio (exact, as typed in lower case) in the department view
  search_name   one or two accent-free name words (word prefixes) in the department view
  counts_ms     the four capped counts, as one query
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url  # noqa: E402

from bench.stats import ms_stats as _stats  # noqa: E402
from bench.stats import timed as _timed  # noqa: E402

DEFAULT_DB_URL = "postgresql://postgres@127.0.0.1:5432/tramita_bench_inbox"
TZ = ZoneInfo("America/Mexico_City")

# department key -> relative size of its caseload
DEPARTMENTS = {
    "desarrollo-economico": 30,
    "desarrollo-urbano": 25,
    "proteccion-civil": 15,
    "movilidad": 10,
    "mercados": 10,
    "secretaria": 6,
    "tesoreria": 4,
}
# procedure -> (home department, inspecting department)
PROCEDURES = {
    "licencia-funcionamiento": ("desarrollo-economico", "proteccion-civil"),
    "anuncio-publicitario": ("desarrollo-economico", "desarrollo-urbano"),
    "licencia-construccion": ("desarrollo-urbano", "proteccion-civil"),
    "permiso-evento": ("secretaria", "proteccion-civil"),
    "permiso-carga-descarga": ("movilidad", "desarrollo-urbano"),
    "puesto-mercado": ("mercados", "tesoreria"),
}
PROCEDURE_WEIGHTS = [30, 15, 25, 6, 10, 14]
OFFICIALS_PER_DEPARTMENT = 25

FIRST_NAMES = [
    "María",
    "José",
    "Guadalupe",
    "Ana",
    "Sofía",
    "Valentina",
    "Ximena",
    "Regina",
    "Fernanda",
    "Daniela",
    "Camila",
    "Lucía",
    "Mariana",
    "Andrea",
    "Paulina",
    "Verónica",
    "Mónica",
    "Leticia",
    "Rocío",
    "Araceli",
    "Beatriz",
    "Inés",
    "Estefanía",
    "José",
    "Juan",
    "Luis",
    "Carlos",
    "Jesús",
    "Miguel",
    "Ángel",
    "Francisco",
    "Alejandro",
    "Fernando",
    "Ricardo",
    "Héctor",
    "Sebastián",
    "Mateo",
    "Santiago",
    "Emiliano",
    "Andrés",
    "Rubén",
    "Raúl",
    "Martín",
    "Tomás",
    "Joaquín",
    "Ramón",
    "Efraín",
]
SURNAMES = [
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Reyes",
    "Jiménez",
    "Torres",
    "Díaz",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Moreno",
    "Castillo",
    "Romero",
    "Álvarez",
    "Méndez",
    "Chávez",
    "Rivera",
    "Juárez",
    "Ramos",
    "Domínguez",
    "Herrera",
    "Medina",
    "Castro",
    "Vargas",
    "Guzmán",
    "Velázquez",
    "Muñoz",
    "Rojas",
    "Contreras",
    "Salazar",
    "Luna",
    "Ortega",
    "Núñez",
    "Cortés",
    "Ibarra",
    "Espinoza",
    "Zúñiga",
    "Peña",
    "Ríos",
    "Valdez",
    "Acosta",
    "Cervantes",
    "Solís",
    "Bautista",
    "Ávila",
    "Téllez",
    "Olvera",
    "Quiñones",
    "Benítez",
    "Montaño",
    "Galván",
    "Íñiguez",
    "Ordóñez",
    "Sáenz",
    "Villaseñor",
]
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


# -- database lifecycle ------------------------------------------------------------------


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def _db_name(url: str) -> str:
    name = make_url(url).database or ""
    if not name.startswith("tramita_bench"):
        raise SystemExit(
            f"refusing to recreate database {name!r}: its name must start with 'tramita_bench'"
        )
    return name


def _connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(url, connect_timeout=5, **kwargs)


def recreate_database(url: str) -> None:
    name = _db_name(url)
    with _connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    name = _db_name(url)
    with contextlib.suppress(Exception), _connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- data --------------------------------------------------------------------------------


def _folio(year: int, n: int) -> str:
    body = ""
    for _ in range(6):
        n, r = divmod(n, 32)
        body = CROCKFORD[r] + body
    return f"CHO-{year}-{body}"


def _curp(rng: random.Random, name: str, n: int) -> str:
    letters = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
    birth = f"{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return f"{letters}{birth}{rng.choice('HM')}DF{n % 100000:05d}"[:18].ljust(18, "X")


def _search(name: str) -> str:
    from workflow_engine.persistence.cases.inbox import search_text

    return search_text(name)


def _ts(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Seeded:
    cases: int
    tasks: int
    today: date
    samples: dict[str, list[Any]]


class Generator:
    """Rows for COPY, as tab-separated text, plus samples to query for afterwards."""

    def __init__(self, n: int, seed: int, now: datetime) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.now = now
        self.depts = list(DEPARTMENTS)
        self.procs = list(PROCEDURES)
        self.task_id = 0
        self.samples: dict[str, list[Any]] = {"folios": [], "names": []}
        self.name_pool = [
            f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(FIRST_NAMES)} "
            f"{self.rng.choice(SURNAMES)} {self.rng.choice(SURNAMES)}"
            if self.rng.random() < 0.3
            else f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)} "
            f"{self.rng.choice(SURNAMES)}"
            for _ in range(20000)
        ]
        self.search_pool = {name: _search(name) for name in self.name_pool}

    def official(self, dept: str) -> str:
        return str(
            1000 + self.depts.index(dept) * 100 + self.rng.randrange(OFFICIALS_PER_DEPARTMENT)
        )

    def rows(self, start: int, stop: int) -> tuple[str, str]:
        rng = self.rng
        cases = io.StringIO()
        tasks = io.StringIO()
        for case_id in range(start, stop):
            proc = rng.choices(self.procs, PROCEDURE_WEIGHTS)[0]
            home, inspecting = PROCEDURES[proc]
            age = (rng.random() ** 2) * 730  # days, skewed to recent cases
            submitted = self.now - timedelta(days=age, minutes=rng.randrange(1440))
            folio = _folio(submitted.astimezone(TZ).year, case_id * 7919 % (32**6))
            name = rng.choice(self.name_pool)
            ref = _curp(rng, name, case_id)
            search = self.search_pool[name]
            roll = rng.random()
            if age > 45:
                status = "closed" if roll < 0.96 else "in_review"
            else:
                status = (
                    "in_review"
                    if roll < 0.7
                    else ("awaiting_correction" if roll < 0.8 else "closed")
                )
            route = [
                (home, "revisor", "revision"),
                (inspecting, "inspector", "inspeccion"),
                (home, "director", "dictamen"),
            ]
            stage = rng.randrange(3) if status == "in_review" else 3
            task_rows = []
            for k, (dept, role, step) in enumerate(route):
                opened = submitted + timedelta(days=5 * k, minutes=rng.randrange(600))
                if k < stage or status == "closed":
                    t_status, assignee = "approved", self.official(dept)
                elif k == stage and status == "in_review":
                    t_status = "open"
                    assignee = self.official(dept) if rng.random() < 0.55 else None
                elif status == "awaiting_correction" and k == 0:
                    t_status, assignee = "returned", self.official(dept)
                else:
                    continue
                if rng.random() < 0.05:
                    due = None
                else:
                    due = opened.astimezone(TZ).date() + timedelta(days=14)
                decided = None
                if t_status != "open":
                    decided = opened + timedelta(days=rng.randrange(1, 12))
                task_rows.append((dept, role, step, t_status, assignee, due, opened, decided))
                if t_status == "open" and k == 1 and rng.random() < 0.3:  # parallel inspection
                    other = "desarrollo-urbano" if dept != "desarrollo-urbano" else "movilidad"
                    task_rows.append(
                        (other, "inspector", "inspeccion", "open", None, due, opened, None)
                    )
            closed = max((r[7] for r in task_rows if r[7] is not None), default=None)
            cases.write(
                f"{case_id}\t{folio}\t1\t{proc}\t{case_id + 100000}\t{status}\t"
                f"{route[min(stage, 2)][2]}\t"
                + ("approved" if status == "closed" else "\\N")
                + f"\t{{}}\t1\t0\t\t{_ts(submitted)}\t{_ts(submitted)}\t{_ts(submitted)}\t"
                + (_ts(closed) if status == "closed" and closed else "\\N")
                + f"\t{name}\t{ref}\n"
            )
            sub = _ts(submitted)
            for dept, role, step, t_status, assignee, due, opened, decided in task_rows:
                self.task_id += 1
                tasks.write(
                    f"{self.task_id}\t{case_id}\t{step}:{dept}:{self.task_id}\t{step}\t\\N\t"
                    f"{dept}\t{role}\t{t_status}\t{assignee or chr(92) + 'N'}\t"
                    f"{due.isoformat() if due else chr(92) + 'N'}\tf\t{_ts(opened)}\t"
                    f"{_ts(decided) if decided else chr(92) + 'N'}\t"
                    f"{assignee if decided else chr(92) + 'N'}\t{proc}\t{folio}\t{sub}\t"
                    f"{name}\t{ref}\t{search}\n"
                )
                sampled = len(self.samples["folios"]) < 500 and rng.random() < 0.05
                if t_status == "open" and dept == "desarrollo-economico" and sampled:
                    self.samples["folios"].append(folio)
        return cases.getvalue(), tasks.getvalue()


CASE_COLUMNS = (
    "id, folio, version_id, procedure_key, applicant_id, status, position, outcome, state, "
    "lock_version, event_count, last_event_hash, created_at, updated_at, submitted_at, "
    "closed_at, applicant_name, applicant_ref"
)
TASK_COLUMNS = (
    "id, case_id, task_key, step_id, branch_id, department, role, status, assignee_id, "
    "due_on, escalated, opened_at, decided_at, decided_by, procedure_key, folio, "
    "submitted_at, applicant_name, applicant_ref, applicant_search"
)


def seed(url: str, n: int, seed_value: int, chunk: int = 20000) -> Seeded:
    """Migrate, COPY N cases and their tasks, rebuild indexes, VACUUM ANALYZE."""
    from app.cli import run_migrations

    run_migrations(url)
    now = datetime.now(UTC).replace(microsecond=0)
    gen = Generator(n, seed_value, now)
    with _connect(url) as conn:
        saved = conn.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE conrelid IN ('cases'::regclass, 'tasks'::regclass) "
            "AND contype IN ('f', 'u')"
        ).fetchall()
        for table_name, name, _definition in saved:
            conn.execute(f'ALTER TABLE {table_name} DROP CONSTRAINT "{name}"')
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cases', 'tasks') "
            "AND indexname NOT LIKE '%pkey'"
        ).fetchall()
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.execute(
            "INSERT INTO procedure_templates (id, key, department_key, draft, draft_checksum, "
            "draft_updated_at, created_at) VALUES (1, 'bench', 'desarrollo-economico', '{}', "
            "'x', now(), now())"
        )
        conn.execute(
            "INSERT INTO procedure_versions (id, template_id, number, definition, checksum, "
            "published_at, published_by) VALUES (1, 1, 1, '{}', 'x', now(), 'bench')"
        )
        with conn.cursor() as cur:
            for start in range(1, n + 1, chunk):
                case_text, task_text = gen.rows(start, min(start + chunk, n + 1))
                with cur.copy(f"COPY cases ({CASE_COLUMNS}) FROM STDIN") as copy:
                    copy.write(case_text)
                with cur.copy(f"COPY tasks ({TASK_COLUMNS}) FROM STDIN") as copy:
                    copy.write(task_text)
        conn.execute("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))")
        conn.execute("SELECT setval('tasks_id_seq', (SELECT max(id) FROM tasks))")
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            conn.execute(definition)
        for table_name, name, definition in saved:
            conn.execute(f'ALTER TABLE {table_name} ADD CONSTRAINT "{name}" {definition}')
        conn.commit()
        tasks_count = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
    with _connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE cases")
        conn.execute("VACUUM ANALYZE tasks")
    today = now.astimezone(TZ).date()
    names = gen.rng.sample(gen.name_pool, 200)
    gen.samples["names"] = [_name_query(gen.rng, name) for name in names]
    return Seeded(n, int(tasks_count), today, gen.samples)


def _name_query(rng: random.Random, name: str) -> str:
    """What an official types: one or two words, no accents, sometimes cut short."""
    words = _search(name).split()
    picked = rng.sample(words, 2) if rng.random() < 0.6 else [rng.choice(words[1:])]
    return " ".join(w[: max(3, len(w) - rng.randrange(3))] for w in picked)


# -- measurements ------------------------------------------------------------------------


def _cycle(items: Sequence[Any]) -> Iterator[Any]:
    while True:
        yield from items


def measure(url: str, seeded: Seeded, reps: int, warmup: int) -> dict[str, Any]:
    from workflow_engine.calendar import BusinessCalendar
    from workflow_engine.persistence.cases.inbox import Inbox, InboxFilter, StaffViewer
    from workflow_engine.persistence.db import make_engine

    engine = make_engine(url)
    calendar = BusinessCalendar.with_holidays([])
    inbox = Inbox(engine, lambda: seeded.today, lambda today: calendar.add_business_days(today, 2))
    busiest = ["desarrollo-economico", "desarrollo-urbano", "proteccion-civil"]
    viewers = []
    for i, dept in enumerate(busiest):
        user = str(1000 + list(DEPARTMENTS).index(dept) * 100 + i)
        viewers.append(StaffViewer(user, frozenset({dept}), frozenset({"revisor", "inspector"})))
        viewers.append(StaffViewer(user, frozenset({dept}), frozenset({"director", "revisor"})))
    director = viewers[1]
    result: dict[str, Any] = {}
    try:
        firsts = _cycle(
            [(v, view) for v in viewers for view in ("mine", "unclaimed", "department", "overdue")]
        )

        def first_page() -> None:
            viewer, view = next(firsts)
            inbox.page(viewer, InboxFilter(view=view))

        result["first_page"] = _stats(_timed(first_page, reps, warmup))

        # Page 50 needs 1 225 open tasks in the department; a small database may not have
        # them, then the deepest page there is is measured and its number reported.
        cursors = []
        depth = 50
        for sort in ("deadline", "age", "newest"):
            flt = InboxFilter(view="department", sort=sort)
            cursor: str | None = None
            for page_no in range(2, 51):
                following = inbox.page(director, flt, cursor=cursor).next_cursor
                if following is None:
                    depth = min(depth, page_no - 1)
                    break
                cursor = following
            cursors.append((flt, cursor))
        result["page_50_depth"] = depth
        deep = _cycle(cursors)

        def page_50() -> None:
            flt, cursor = next(deep)
            assert len(inbox.page(director, flt, cursor=cursor).rows) > 0

        result["page_50"] = _stats(_timed(page_50, reps, warmup))

        folios = _cycle([f.lower() for f in seeded.samples["folios"]] or ["cho-2026-000000"])

        def search_folio() -> None:
            inbox.page(director, InboxFilter(view="department", q=next(folios)))

        result["search_folio"] = _stats(_timed(search_folio, reps, warmup))
        names = _cycle(seeded.samples["names"])

        def search_name() -> None:
            inbox.page(director, InboxFilter(view="department", q=next(names)))

        result["search_name"] = _stats(_timed(search_name, reps, warmup))
        counters = _cycle(viewers)
        result["counts_ms"] = _stats(_timed(lambda: inbox.counts(next(counters)), reps, warmup))
        hits = [
            len(inbox.page(director, InboxFilter(view="department", q=q), limit=200).rows)
            for q in seeded.samples["names"][:40]
        ]
        result["search_name_hits_median"] = sorted(hits)[len(hits) // 2]
        result["open_tasks_busiest_department"] = inbox.counts(director, cap=10**9)["department"]
    finally:
        engine.dispose()
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    url = args.db_url
    result: dict[str, Any] = {
        "cases": args.cases,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        },
    }
    if args.reuse:
        with _connect(url) as conn:
            count = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
            tasks = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        if count != args.cases:
            raise SystemExit(f"--reuse: the database holds {count} cases, not {args.cases}")
        rng = random.Random(args.seed)
        with _connect(url) as conn:
            folios = [
                r[0]
                for r in conn.execute(
                    "SELECT folio FROM tasks WHERE status = 'open' AND "
                    "department = 'desarrollo-economico' ORDER BY random() LIMIT 500"
                )
            ]
            names = [
                r[0]
                for r in conn.execute(
                    "SELECT applicant_name FROM cases ORDER BY random() LIMIT 200"
                )
            ]
        seeded = Seeded(
            count,
            tasks,
            datetime.now(TZ).date(),
            {"folios": folios, "names": [_name_query(rng, n) for n in names]},
        )
        result["seed_seconds"] = None
    else:
        recreate_database(url)
        start = time.perf_counter()
        try:
            seeded = seed(url, args.cases, args.seed)
        except BaseException:
            if not args.keep:
                drop_database(url)
            raise
        result["seed_seconds"] = round(time.perf_counter() - start, 2)
    try:
        result["tasks"] = seeded.tasks
        result.update(measure(url, seeded, args.reps, args.warmup))
    finally:
        if not args.keep and not args.reuse:
            drop_database(url)
    with _connect(_admin_url(url)) as conn:
        result["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
    result["machine"]["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["goal_p99_ms"] = 50
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Benchmark the officials' inbox queries.")
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument(
        "--db-url",
        default=os.environ.get("BENCH_INBOX_URL", DEFAULT_DB_URL),
        help="database to (re)create; its name must start with tramita_bench",
    )
    parser.add_argument("--reps", type=int, default=300, help="timed repetitions per measure")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure a database kept by --keep with the same --cases",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    if args.cases < 1:
        raise SystemExit("--cases must be at least 1")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for key in ("first_page", "page_50", "search_folio", "search_name", "counts_ms"):
            stats = result[key]
            print(f"{key:<14} p50 {stats['p50_ms']} ms  p99 {stats['p99_ms']} ms")
        print(f"cases {result['cases']}  tasks {result['tasks']}  seed {result['seed_seconds']} s")
    return result


if __name__ == "__main__":
    main()
