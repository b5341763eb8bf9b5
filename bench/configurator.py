"""Configurator over HTTP: a liaison edits a big procedure (20 steps, 100 fields) against
gunicorn + PostgreSQL, as in production.

Starts the real app under gunicorn on 127.0.0.1 (a free port) with a scratch PostgreSQL
database (migrated, demo seed), imports a generated draft for the liaison's department
(`desarrollo-economico`: the licence example with extra form steps of ten fields each until
it has `--steps` steps and `--fields` fields), logs in as enlace@demo.gob.mx and, one request
at a time (one editor, as in real use), measures:

  pages     every editor page that exists: overview, information, steps list, a form step,
            a field, the diagram, problems, citizen view, test run form, publish, versions
            (pages answering 404 are left out and listed in `pages_missing`)
  save      one change, validation and revision included: POST the field page's basics form
            (a new label) with the current revision, then follow its redirect is NOT counted
  test_run  GET the test run with correr=1 (the whole path, the PDF is not rendered)

    .venv/bin/python bench/configurator.py --json
    .venv/bin/python bench/configurator.py --reps 5 --steps 14 --fields 30 --json   # smoke

Latencies are measured by the client (`time.perf_counter()` around each request); the
server, PostgreSQL and the client share the machine. The scratch database and the server
are removed at the end.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stats import percentile, speed_probe_ms  # noqa: E402
from bench.wizard_http import (  # noqa: E402
    DEFAULT_PG_URL,
    csrf_token,
    machine,
    pg_reachable,
    pg_version,
    run_server,
    scratch_database,
)

EXAMPLE = ROOT / "form_schemas" / "examples" / "licencia-funcionamiento.json"
BENCH_DB = "tramita_bench_configurator"
KEY = "bench-configurador"
LIAISON = "enlace@demo.gob.mx"
PASSWORD = "demo12345"
GOALS = {"page_p99_ms": 150.0, "save_p99_ms": 100.0, "test_run_p99_ms": 300.0}
REVISION_INPUT = re.compile(r'name="revision" value="(\d+)"')

# (name, path under /configurador/<key>)
PAGES = (
    ("overview", "/"),
    ("information", "/informacion"),
    ("steps", "/pasos"),
    ("form_step", "/pasos/{step}"),
    ("field", "/pasos/{step}/campos/{field}"),
    ("diagram", "/diagrama"),
    ("problems", "/problemas"),
    ("citizen_view", "/vista-previa"),
    ("test_run_form", "/prueba"),
    ("publish", "/publicar"),
    ("versions", "/versiones"),
)


def big_procedure(steps: int, fields: int) -> dict[str, Any]:
    """The licence example with extra form steps (after «documentos», before the reviews)
    holding the missing fields, so the draft has `steps` steps and `fields` fields."""
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text())
    doc["key"] = KEY
    doc["title"] = {"es": "Trámite grande de prueba", "en": "Big test procedure"}
    doc["catalog"] = {**doc["catalog"], "homoclave": "CHO-DE-999"}
    have_steps = len(doc["steps"])
    have_fields = sum(len(s.get("fields") or ()) for s in doc["steps"])
    extra = max(0, steps - have_steps)
    missing = max(0, fields - have_fields)
    if extra == 0 and missing:
        raise SystemExit("--fields needs at least one extra step (raise --steps)")
    docs_index = next(i for i, s in enumerate(doc["steps"]) if s["id"] == "documentos")
    documentos = doc["steps"][docs_index]
    after = copy.deepcopy(documentos["transitions"])
    new_steps = []
    for n in range(extra):
        count = missing // extra + (1 if n < missing % extra else 0)
        step_id = f"extra_{n + 1}"
        new_steps.append(
            {
                "id": step_id,
                "type": "form",
                "title": {"es": f"Datos adicionales {n + 1}", "en": f"More details {n + 1}"},
                "fields": [
                    {
                        "id": f"extra_{n + 1}_{k + 1}",
                        "type": "text",
                        "label": {
                            "es": f"Dato adicional {n + 1}.{k + 1}",
                            "en": f"Extra detail {n + 1}.{k + 1}",
                        },
                        "max_length": 200,
                    }
                    for k in range(count)
                ],
                "transitions": [{"id": "continuar", "to": f"extra_{n + 2}"}],
            }
        )
    if new_steps:
        documentos["transitions"] = [{"id": "continuar", "to": "extra_1"}]
        new_steps[-1]["transitions"] = after
    doc["steps"][docs_index + 1 : docs_index + 1] = new_steps
    return doc


def import_draft(url: str, doc: dict[str, Any]) -> dict[str, int]:
    """Migrate, demo seed, and save the big procedure as a draft (never published)."""
    from app.cli import run_migrations
    from workflow_engine.persistence.db import make_engine
    from workflow_engine.persistence.platform.catalog import Catalog
    from workflow_engine.persistence.platform.demo import seed_demo

    run_migrations(url)
    engine = make_engine(url)
    try:
        seed_demo(engine, demo_mode=True)
        Catalog(engine).save_draft(doc)
    finally:
        engine.dispose()
    return {
        "steps": len(doc["steps"]),
        "fields": sum(len(s.get("fields") or ()) for s in doc["steps"]),
    }


def _stats(samples: Sequence[float]) -> dict[str, Any]:
    def ms(q: float) -> float | None:
        value = percentile(samples, q)
        return None if value is None else round(value * 1000.0, 2)

    return {"count": len(samples), "p50_ms": ms(50), "p99_ms": ms(99), "max_ms": ms(100)}


class Liaison:
    """One logged-in browser (a requests session with its cookies)."""

    def __init__(self, base_url: str) -> None:
        import requests

        self.base = base_url
        self.http = requests.Session()

    def get(self, path: str) -> Any:
        return self.http.get(self.base + path, timeout=30, allow_redirects=False)

    def post(self, path: str, data: dict[str, Any]) -> Any:
        return self.http.post(self.base + path, data=data, timeout=30, allow_redirects=False)

    def login(self) -> None:
        page = self.get("/entrar")
        token = csrf_token(page.text)
        answer = self.post("/entrar", {"csrf_token": token, "email": LIAISON, "password": PASSWORD})
        if answer.status_code != 302 or "/entrar" in answer.headers.get("Location", ""):
            raise SystemExit(f"login refused ({answer.status_code})")


def timed(
    call: Callable[[], Any], reps: int, warmup: int, check: Callable[[Any], None]
) -> list[float]:
    for _ in range(warmup):
        check(call())
    spans = []
    for _ in range(reps):
        start = time.perf_counter()
        answer = call()
        spans.append(time.perf_counter() - start)
        check(answer)
    return spans


def measure(base_url: str, args: argparse.Namespace, doc: dict[str, Any]) -> dict[str, Any]:
    liaison = Liaison(base_url)
    liaison.login()
    prefix = f"/configurador/{KEY}"
    form_steps = [s for s in doc["steps"] if s["type"] == "form"]
    step = form_steps[len(form_steps) // 2]  # an extra step: ten fields
    fld = step["fields"][len(step["fields"]) // 2]
    out: dict[str, Any] = {"pages": {}, "pages_missing": []}

    def ok(answer: Any) -> None:
        if answer.status_code != 200:
            raise SystemExit(f"{answer.request.method} {answer.url}: {answer.status_code}")

    page_samples: list[float] = []
    for name, path in PAGES:
        full = prefix + path.format(step=step["id"], field=fld["id"])
        if liaison.get(full).status_code == 404:
            out["pages_missing"].append(name)
            continue
        spans = timed(lambda full=full: liaison.get(full), args.reps, args.warmup, ok)
        out["pages"][name] = _stats(spans)
        page_samples += spans
    out["page"] = _stats(page_samples)

    field_path = f"{prefix}/pasos/{step['id']}/campos/{fld['id']}"
    token = csrf_token(liaison.get(field_path).text)
    counter = iter(range(10**9))

    def save() -> Any:
        # the current revision, read untimed as the page the liaison has open shows it
        revision = REVISION_INPUT.search(liaison.get(field_path).text)
        assert revision is not None
        data = {
            "csrf_token": token,
            "revision": revision.group(1),
            "part": "basics",
            "label_es": f"Dato cambiado {next(counter)}",
            "label_en": "Changed detail",
        }
        start = time.perf_counter()
        answer = liaison.post(field_path, data)
        return time.perf_counter() - start, answer

    def saved(answer: Any) -> None:
        if answer.status_code != 302:
            raise SystemExit(f"save: {answer.status_code}")
        flash = liaison.get(answer.headers["Location"])
        if "Se guardó el campo" not in flash.text:
            raise SystemExit("save: no confirmation (a conflict?)")

    save_spans = []
    for n in range(args.warmup + args.reps):
        span, answer = save()
        saved(answer)
        if n >= args.warmup:
            save_spans.append(span)
    out["save"] = _stats(save_spans)

    trial = f"{prefix}/prueba?correr=1&decision=approve&decision=approve&decision=approve"
    out["test_run"] = _stats(timed(lambda: liaison.get(trial), args.reps, args.warmup, ok))
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    import gunicorn

    if not pg_reachable(args.database_url):
        raise SystemExit(f"no PostgreSQL server at {args.database_url}")
    doc = big_procedure(args.steps, args.fields)
    result: dict[str, Any] = {
        "procedure": KEY,
        "reps": args.reps,
        "warmup": args.warmup,
        "server": {
            "workers": args.workers,
            "worker_class": "gthread",
            "threads": args.threads,
            "gunicorn": gunicorn.__version__,
            "postgresql": pg_version(args.database_url.replace("+psycopg", "")),
        },
        "machine": machine(),
    }
    with (
        tempfile.TemporaryDirectory(prefix="tramita-configurator-") as tmp_name,
        scratch_database(args.database_url, args.scratch_db) as url,
    ):
        result["counts"] = import_draft(url, doc)
        with run_server(
            url, Path(tmp_name), workers=args.workers, threads=args.threads, worker_class="gthread"
        ) as server:
            measured = measure(server.base_url, args, doc)
    result.update(
        page_p99_ms=measured["page"]["p99_ms"],
        save_p99_ms=measured["save"]["p99_ms"],
        test_run_p99_ms=measured["test_run"]["p99_ms"],
        page_p99_by_page={k: v["p99_ms"] for k, v in measured["pages"].items()},
        **measured,
    )
    result["goals"] = dict(GOALS)
    result["goals_met"] = {
        k: result[k] is not None and result[k] < goal for k, goal in GOALS.items()
    }
    result["machine"]["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["machine"]["speed_probe_ms_at_end"] = speed_probe_ms()
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="A liaison edits a 20-step, 100-field procedure over HTTP (gunicorn + PG)."
    )
    parser.add_argument("--steps", type=int, default=20, help="steps of the draft (default 20)")
    parser.add_argument("--fields", type=int, default=100, help="fields (default 100)")
    parser.add_argument("--reps", type=int, default=100, help="timed requests per measure")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
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
    return parser


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = build_parser().parse_args(argv)
    if args.reps < 1 or args.warmup < 0:
        raise SystemExit("--reps must be at least 1 and --warmup at least 0")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.scratch_db):
        raise SystemExit("--scratch-db: lowercase letters, digits and _ only")
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        for name, stats in result["pages"].items():
            print(f"{name:<16} p50 {stats['p50_ms']} ms  p99 {stats['p99_ms']} ms")
        for key in GOALS:
            print(f"{key:<16} {result[key]} ms (goal < {GOALS[key]})")
    return result


if __name__ == "__main__":
    main()
