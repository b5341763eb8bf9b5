"""Engine benchmark: N licence cases end to end through the real CaseService, in process.

Measures engine transitions (state + events + outbox in one transaction each) and, in the
same run and on the same database, two references: the same flow on SpiffWorkflow (serialized
workflow stored per step) and pgbench's simple-update TPS with one client.

    .venv/bin/python bench/engine.py --backend sqlite --cases 200 --json
    .venv/bin/python bench/engine.py --backend postgresql --cases 200 --json

Effects are simulated from the outbox rows (no PDFs, no e-mail, no connectors): only the
engine's own work is timed, one `time.perf_counter()` span per command.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import glob
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import (  # noqa: E402
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url  # noqa: E402

from bench.stats import percentile  # noqa: E402

EXAMPLE = ROOT / "form_schemas" / "examples" / "licencia-funcionamiento.json"
BPMN = Path(__file__).resolve().parent / "licencia.bpmn"
BPMN_PROCESS = "licencia_funcionamiento"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "tramita_bench"
PGBENCH_DB = "tramita_pgbench"

spiff_metadata = MetaData()
spiff_workflows = Table(
    "spiff_workflows",
    spiff_metadata,
    Column("id", Integer, primary_key=True),
    Column("case_key", String(64), unique=True, nullable=False),
    Column("data", Text, nullable=False),
    Column("version", Integer, nullable=False),
)


# -- measurements ------------------------------------------------------------------------


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)


@dataclass
class Timings:
    """Seconds spent in each timed command, by command name."""

    samples: dict[str, list[float]] = field(default_factory=dict)
    enabled: bool = True

    def timed(self, name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        if self.enabled:
            self.samples.setdefault(name, []).append(elapsed)
        return result

    @property
    def all(self) -> list[float]:
        return [s for values in self.samples.values() for s in values]

    def summary(self) -> dict[str, Any]:
        every = self.all
        total = sum(every)
        return {
            "transitions": len(every),
            "timed_s": round(total, 4),
            "transitions_per_s": round(len(every) / total, 1) if total else None,
            "p50_ms": _ms(percentile(every, 50)),
            "p99_ms": _ms(percentile(every, 99)),
            "per_command": {
                name: {
                    "count": len(values),
                    "p50_ms": _ms(percentile(values, 50)),
                    "p99_ms": _ms(percentile(values, 99)),
                    "mean_ms": _ms(sum(values) / len(values)),
                }
                for name, values in sorted(self.samples.items())
            },
        }


# -- databases ---------------------------------------------------------------------------


def migrate(url: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["database_url"] = url
    command.upgrade(cfg, "head")


def _pg_connect(url: str, **kwargs: Any) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=5, **kwargs)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _recreate_pg_database(admin_url: str, name: str) -> str:
    with _pg_connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _with_database(admin_url, name)


def _drop_pg_database(admin_url: str, name: str) -> None:
    with contextlib.suppress(Exception), _pg_connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_reachable(admin_url: str) -> bool:
    try:
        with _pg_connect(admin_url) as conn:
            conn.execute("SELECT 1")
    except Exception:
        return False
    return True


@contextlib.contextmanager
def scratch_database(backend: str, admin_url: str) -> Iterator[str]:
    """A fresh, migrated database for one run; removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="tramita-bench-") as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            migrate(url)
            yield url
        return
    url = _recreate_pg_database(admin_url, BENCH_DB)
    try:
        migrate(url)
        yield url
    finally:
        _drop_pg_database(admin_url, BENCH_DB)


# -- our engine ----------------------------------------------------------------------------


def load_template(timeout: float = 300.0) -> dict[str, Any]:
    """The licence example; another helper may still be writing it, so wait for it."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            doc: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
            if doc.get("example_data"):
                return doc
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{EXAMPLE} is missing or has no example_data")
        time.sleep(2)


def now() -> datetime:
    return datetime.now(UTC)


class OurFlow:
    """Drives cases through CaseService, simulating every effect from its outbox row."""

    def __init__(self, engine: Engine, doc: dict[str, Any], timings: Timings) -> None:
        from workflow_engine.persistence.cases.service import CaseService
        from workflow_engine.persistence.models import OutboxMessage

        self.engine = engine
        self.doc = doc
        self.key = str(doc["key"])
        self.example: dict[str, dict[str, Any]] = doc["example_data"]
        self.timings = timings
        self.service = CaseService(engine, dispatcher=None)
        self.outbox = OutboxMessage.__table__
        self.transitions_per_case: list[int] = []

    def publish(self) -> None:
        from workflow_engine.persistence.platform.catalog import Catalog, Editor

        catalog = Catalog(self.engine)
        catalog.save_draft(self.doc, by=Editor.operator("bench"))
        catalog.publish(self.key, by=Editor.operator("bench"))

    def _run(self, command: Any, case_id: int) -> Any:
        return self.timings.timed(
            type(command).__name__, lambda: self.service.execute(case_id, command)
        )

    def _effects(self, ids: Sequence[int]) -> list[Any]:
        """The outbox rows a command produced (read outside the timed span)."""
        if not ids:
            return []
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(self.outbox.c.id, self.outbox.c.kind, self.outbox.c.payload)
                    .where(self.outbox.c.id.in_(list(ids)))
                    .order_by(self.outbox.c.id)
                ).all()
            )

    def _mark_done(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                update(self.outbox)
                .where(self.outbox.c.id.in_(list(ids)))
                .values(status="done", done_at=now())
            )

    def run_case(self, n: int) -> int:
        from workflow_engine.engine import (
            Actor,
            ConnectorCompleted,
            Decide,
            DocumentIssued,
            PaymentConfirmed,
            PaymentOrderCreated,
            StartCase,
            SubmitCase,
            SubmitStep,
        )

        citizen = Actor(id=f"citizen-{n}", kind="citizen", name=f"Solicitante {n}")
        system = Actor.system()
        count = 0
        out = self.timings.timed(
            "StartCase", lambda: self.service.start(self.key, StartCase(at=now(), actor=citizen))
        )
        count += 1
        case_id = out.case_id
        state = out.state
        while state.status == "draft":
            step = state.position
            out = self._run(
                SubmitStep(at=now(), actor=citizen, step_id=step, values=self.example[step]),
                case_id,
            )
            count += 1
            state = out.state
        if state.status != "ready_to_submit":
            raise RuntimeError(f"case {case_id} stuck in {state.status} at {state.position}")
        out = self._run(SubmitCase(at=now(), actor=citizen, declaration=True), case_id)
        count += 1
        pending = self._effects(out.outbox_ids)
        state = out.state
        for _ in range(50):
            if state.is_closed:
                break
            done: list[int] = []
            commands: list[Any] = []
            for row in pending:
                payload = row.payload
                if row.kind == "payment.create_order":
                    reference = f"BENCH{case_id:08d}{payload['attempt']:02d}"
                    expires = (date.today() + timedelta(days=payload["expires_days"])).isoformat()
                    commands.append(
                        PaymentOrderCreated(
                            at=now(),
                            actor=system,
                            step_id=payload["step_id"],
                            attempt=payload["attempt"],
                            reference=reference,
                            expires_on=expires,
                        )
                    )
                    commands.append(
                        PaymentConfirmed(
                            at=now(),
                            actor=system,
                            reference=reference,
                            amount_cents=payload["total_cents"],
                            currency=payload["currency"],
                            provider_id=f"bank-{case_id}",
                        )
                    )
                elif row.kind == "document.issue":
                    commands.append(
                        DocumentIssued(
                            at=now(),
                            actor=system,
                            step_id=payload["step_id"],
                            attempt=payload["attempt"],
                            document_id=f"doc-{case_id}",
                            verification_code=f"V{case_id:09d}",
                        )
                    )
                elif row.kind == "connector.call":
                    commands.append(
                        ConnectorCompleted(
                            at=now(),
                            actor=system,
                            step_id=payload["step_id"],
                            attempt=payload["attempt"],
                            result={"ok": True, "found": True, "input": payload.get("input")},
                        )
                    )
                done.append(row.id)
            if not commands:
                for task in state.open_tasks():
                    official = Actor(
                        id=f"official-{task.department}",
                        kind="official",
                        departments=frozenset({task.department}),
                        roles=frozenset({task.role}),
                        name=f"Funcionario {task.department}",
                    )
                    commands.append(
                        Decide(at=now(), actor=official, task_id=task.id, decision="approve")
                    )
            if not commands:
                raise RuntimeError(f"case {case_id} waits for nothing in {state.status}")
            new_ids: list[int] = []
            for command in commands:
                # a command's `at` is when it is issued, not when the list was built
                command = _reissue(command)
                out = self._run(command, case_id)
                count += 1
                new_ids.extend(out.outbox_ids)
            state = out.state
            self._mark_done(done)
            pending = self._effects(new_ids)
        else:
            raise RuntimeError(f"case {case_id} did not close")
        self._mark_done([row.id for row in pending])
        if state.outcome != "approved":
            raise RuntimeError(f"case {case_id} closed as {state.outcome}")
        self.transitions_per_case.append(count)
        return count


def _reissue(command: Any) -> Any:
    from dataclasses import replace

    return replace(command, at=now())


# -- SpiffWorkflow reference ----------------------------------------------------------------


class SpiffFlow:
    """The same flow on SpiffWorkflow; the serialized workflow is stored after every step."""

    def __init__(
        self, engine: Engine, doc: dict[str, Any], timings: Timings, *, reload: bool = False
    ) -> None:
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer

        self.engine = engine
        self.doc = doc
        self.example: dict[str, dict[str, Any]] = doc["example_data"]
        self.timings = timings
        self.reload = reload
        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN))
        self.spec = parser.get_spec(BPMN_PROCESS)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure())
        spiff_metadata.create_all(engine)
        self.transitions_per_case: list[int] = []

    def _ready(self, workflow: Any) -> list[Any]:
        from SpiffWorkflow.util.task import TaskState

        return list(workflow.get_tasks(state=TaskState.READY, manual=True))

    def _store_new(self, key: str, workflow: Any) -> None:
        data = self.serializer.serialize_json(workflow)
        with self.engine.begin() as conn:
            conn.execute(insert(spiff_workflows).values(case_key=key, data=data, version=1))

    def _step(self, key: str, workflow: Any, version: int, spec_name: str, data: dict) -> Any:
        """Complete one ready user task, run the engine, store; one transaction."""
        if self.reload:
            with self.engine.connect() as conn:
                row = conn.execute(
                    select(spiff_workflows.c.data, spiff_workflows.c.version).where(
                        spiff_workflows.c.case_key == key
                    )
                ).one()
            workflow = self.serializer.deserialize_json(row.data)
            version = row.version
        task = next(t for t in self._ready(workflow) if t.task_spec.name == spec_name)
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
        serialized = self.serializer.serialize_json(workflow)
        with self.engine.begin() as conn:
            updated = conn.execute(
                update(spiff_workflows)
                .where(spiff_workflows.c.case_key == key, spiff_workflows.c.version == version)
                .values(data=serialized, version=version + 1)
            )
            if updated.rowcount != 1:
                raise RuntimeError(f"spiff workflow {key} changed underneath")
        return workflow

    def run_case(self, n: int) -> int:
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

        key = f"spiff-{'reload-' if self.reload else ''}{n}"
        count = 0

        def create() -> Any:
            workflow = BpmnWorkflow(self.spec)
            workflow.do_engine_steps()
            self._store_new(key, workflow)
            return workflow

        workflow = self.timings.timed("StartCase", create)
        count += 1
        version = 1
        plan: list[tuple[str, str, dict[str, Any]]] = [
            ("SubmitStep", step, values) for step, values in self.example.items()
        ]
        # the fee table travels in the task data, as a Spiff deployment would have to do
        tables = {"tarifa_giro": dict(self.doc["fee_tables"]["tarifa_giro"])}
        plan[0] = (plan[0][0], plan[0][1], {**tables, **plan[0][2]})
        plan.append(("SubmitCase", "presentar", {"declaration": True}))
        for name, spec_name, data in plan:
            workflow = self.timings.timed(
                name, lambda s=spec_name, d=data, w=workflow, v=version: self._step(key, w, v, s, d)
            )
            version += 1
            count += 1
        for _ in range(10):
            ready = self._ready(workflow)
            if not ready:
                break
            for task in ready:
                name, spec_name = task.task_spec.name, task.task_spec.name
                if spec_name.startswith("revision"):
                    name, data = "Decide", {f"{spec_name}_decision": "approve"}
                elif spec_name == "orden_pago":
                    name, data = "PaymentOrderCreated", {"reference": f"SPIFF{n:08d}"}
                elif spec_name == "pago":
                    name, data = "PaymentConfirmed", {"paid_cents": task.data["total_cents"]}
                elif spec_name == "emision":
                    name, data = "DocumentIssued", {"document_id": f"doc-{n}"}
                else:
                    raise RuntimeError(f"unexpected spiff task {spec_name}")
                workflow = self.timings.timed(
                    name,
                    lambda s=spec_name, d=data, w=workflow, v=version: self._step(key, w, v, s, d),
                )
                version += 1
                count += 1
        if not workflow.is_completed():
            raise RuntimeError(f"spiff workflow {key} did not complete")
        self.transitions_per_case.append(count)
        return count


# -- pgbench reference --------------------------------------------------------------------


def find_pgbench() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)
    return candidates[0] if candidates else None


def run_pgbench(admin_url: str, seconds: int) -> dict[str, Any]:
    """`pgbench -N -c 1 -j 1 -T seconds` on a scratch database; tps or a note."""
    binary = find_pgbench()
    if binary is None:
        return {
            "pgbench_tps": None,
            "pgbench_note": "pgbench not found on PATH or in /usr/lib/postgresql/*/bin",
        }
    if not pg_reachable(admin_url):
        return {"pgbench_tps": None, "pgbench_note": f"no PostgreSQL server at {admin_url}"}
    url = _recreate_pg_database(admin_url, PGBENCH_DB)
    libpq_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    env = dict(os.environ, PGCONNECT_TIMEOUT="5")
    try:
        subprocess.run(
            [binary, "-i", "-s", "1", "-q", libpq_url],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        done = subprocess.run(
            [binary, "-N", "-c", "1", "-j", "1", "-T", str(seconds), libpq_url],
            check=True,
            capture_output=True,
            text=True,
            env=env,
            timeout=seconds + 120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return {"pgbench_tps": None, "pgbench_note": f"pgbench failed: {detail.strip()[:300]}"}
    finally:
        _drop_pg_database(admin_url, PGBENCH_DB)
    match = re.search(r"tps = ([0-9.]+)", done.stdout)
    if match is None:
        return {"pgbench_tps": None, "pgbench_note": "could not parse pgbench output"}
    return {
        "pgbench_tps": round(float(match.group(1)), 1),
        "pgbench_command": f"pgbench -N -c 1 -j 1 -T {seconds} (after pgbench -i -s 1)",
        "pgbench_note": None,
    }


# -- the run ----------------------------------------------------------------------------------


def _ratio(ours: float | None, reference: float | None) -> float | None:
    if not ours or not reference:
        return None
    return round(ours / reference, 2)


def _profile_report(profiler: cProfile.Profile, path: str | None, limit: int = 40) -> None:
    if path:
        profiler.dump_stats(path)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


def _run_flows(args: argparse.Namespace, engine: Engine, doc: dict[str, Any]) -> dict[str, Any]:
    """Warm up, then run our case i and Spiff's case i alternately, so that both see the same
    machine (other processes, CPU frequency, database caches) over the whole run."""
    result: dict[str, Any] = {}
    ours = Timings()
    flow = OurFlow(engine, doc, ours)
    flow.publish()
    references: dict[str, tuple[SpiffFlow, Timings]] = {}
    if not args.no_spiff:
        # "spiff": the workflow stays in memory and is stored after each step (the issue's
        # reference); "spiff_reload": also loaded and deserialised before each step, as a
        # stateless web process must (our service loads the case for every command).
        for name, reload in (("spiff", False), ("spiff_reload", True)):
            timings = Timings()
            references[name] = (SpiffFlow(engine, doc, timings, reload=reload), timings)
    every_timings = [ours] + [t for _flow, t in references.values()]
    for timings in every_timings:
        timings.enabled = False
    for i in range(args.warmup):
        flow.run_case(-1 - i)
        for spiff, _t in references.values():
            spiff.run_case(-1 - i)
    flow.transitions_per_case.clear()
    for spiff, _t in references.values():
        spiff.transitions_per_case.clear()
    for timings in every_timings:
        timings.enabled = True
    profiler = cProfile.Profile() if args.profile is not None else None
    wall = 0.0
    for i in range(args.cases):
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        flow.run_case(i)
        if profiler is not None:
            profiler.disable()
        wall += time.perf_counter() - started
        for spiff, _t in references.values():
            spiff.run_case(i)
    result.update(ours.summary())
    result["wall_s"] = round(wall, 3)
    result["transitions_per_case"] = sorted(set(flow.transitions_per_case))
    if profiler is not None:
        _profile_report(profiler, args.profile or None)
    if not references:
        result.update(spiff_transitions_per_s=None, ratio_vs_spiff=None)
        return result
    for name, (spiff, timings) in references.items():
        summary = timings.summary()
        result[f"{name}_transitions"] = summary["transitions"]
        result[f"{name}_transitions_per_case"] = sorted(set(spiff.transitions_per_case))
        result[f"{name}_transitions_per_s"] = summary["transitions_per_s"]
        result[f"{name}_p50_ms"] = summary["p50_ms"]
        result[f"{name}_p99_ms"] = summary["p99_ms"]
        result[f"{name}_per_command"] = summary["per_command"]
        suffix = "" if name == "spiff" else "_reload"
        result[f"ratio_vs_spiff{suffix}"] = _ratio(
            result["transitions_per_s"], summary["transitions_per_s"]
        )
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    from workflow_engine.persistence.db import make_engine

    doc = load_template()
    result: dict[str, Any] = {
        "backend": args.backend,
        "cases": args.cases,
        "warmup_cases": args.warmup,
        "procedure": doc["key"],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
        },
    }
    with scratch_database(args.backend, args.database_url) as url:
        engine = make_engine(url)
        try:
            result.update(_run_flows(args, engine, doc))
        finally:
            engine.dispose()

    if args.no_pgbench or args.pgbench_seconds <= 0:
        result.update(pgbench_tps=None, pgbench_note="skipped (--no-pgbench)")
    else:
        result.update(run_pgbench(args.database_url, args.pgbench_seconds))
    result["ratio_vs_pgbench"] = _ratio(result["transitions_per_s"], result["pgbench_tps"])
    result["machine"]["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["goals"] = {
        "ratio_vs_spiff": 10 if args.backend == "sqlite" else 5,
        "ratio_vs_pgbench": 0.3 if args.backend == "postgresql" else None,
    }
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Benchmark engine transitions against SpiffWorkflow and pgbench."
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--cases", type=int, default=200, help="timed cases (default 200)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed warm-up cases")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_URL),
        help="PostgreSQL server to create scratch databases on (and to run pgbench against)",
    )
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench reference")
    parser.add_argument("--no-spiff", action="store_true", help="skip the Spiff reference")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="",
        default=None,
        metavar="FILE",
        help="cProfile our timed cases; print the top entries to stderr (and save to FILE)",
    )
    return parser


def _human(result: dict[str, Any]) -> str:
    lines = [
        f"backend {result['backend']}: {result['cases']} cases, "
        f"{result['transitions']} transitions",
        f"  ours   {result['transitions_per_s']} transitions/s  "
        f"p50 {result['p50_ms']} ms  p99 {result['p99_ms']} ms",
        f"  spiff  {result.get('spiff_transitions_per_s')} transitions/s  "
        f"ratio {result.get('ratio_vs_spiff')}",
        f"  pgbench {result.get('pgbench_tps')} tps  ratio {result.get('ratio_vs_pgbench')}"
        + (f"  ({result['pgbench_note']})" if result.get("pgbench_note") else ""),
    ]
    for name, stats in result["per_command"].items():
        lines.append(
            f"    {name:<22} n={stats['count']:<6} p50 {stats['p50_ms']} ms  "
            f"p99 {stats['p99_ms']} ms"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    if args.cases < 1:
        raise SystemExit("--cases must be at least 1")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(_human(result))
    return result


if __name__ == "__main__":
    main()
