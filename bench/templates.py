"""Template editing benchmark: what a liaison's configurator asks of the template core.

    .venv/bin/python bench/templates.py --json
    .venv/bin/python bench/templates.py --runs 300 --json

A generated template of 20 steps and 100 fields (the licence example with chained extra form
steps whose fields read earlier answers in show-if conditions, fee lines and eligibility
rules), then, each repeated `--runs` times:

- `validate_p99_ms`: `validate_template` of the whole document (schema + semantics).
- `edit_p99_ms`: one editing operation (alternately a rename of a field read by rules and a
  field added) with its validation: `workflow_engine.templates.editing`.
- `diff_p99_ms`: the plain-language changes between the template and an edited copy (a
  field renamed, one added, a step's title changed, a fee line moved), as the configurator
  shows before publishing: `workflow_engine.templates.diff.diff`.
- `edit_save_p99_ms`: the same operation, then the draft saved as a new revision on
  PostgreSQL (`Catalog.save_revision`: problems stored, optimistic check on the base
  revision), as the configurator will do on every change; `sql_statements_per_save` counts
  what one save sends to the database.

Goals (issue 12): validate < 20 ms, edit + validation + revision row < 50 ms, diff < 20 ms,
at most 5 SQL statements per save.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.stats import percentile  # noqa: E402
from workflow_engine.templates import editing  # noqa: E402
from workflow_engine.templates.diff import diff  # noqa: E402
from workflow_engine.templates.validation import (  # noqa: E402
    forget_validations,
    validate_template,
)

EXAMPLE = ROOT / "form_schemas" / "examples" / "licencia-funcionamiento.json"
STEPS = 20
FIELDS = 100


def _label(es: str, en: str) -> dict[str, str]:
    return {"es": es, "en": en}


def _extra_field(step: int, n: int, previous: str | None) -> dict[str, Any]:
    """A field of the generated steps: the types a procedure mixes, some shown only for an
    earlier answer."""
    fid = f"dato_{step}_{n}"
    kind = n % 5
    field: dict[str, Any] = {
        "id": fid,
        "label": _label(f"Dato {step}.{n}", f"Item {step}.{n}"),
        "required": kind != 4,
    }
    if kind == 0:
        field.update(type="text", max_length=120)
    elif kind == 1:
        field.update(type="number", min=0, max=100000)
    elif kind == 2:
        field.update(
            type="select",
            options=[
                {"value": f"op{i}", "label": _label(f"Opción {i}", f"Option {i}")} for i in range(6)
            ],
        )
    elif kind == 3:
        field.update(type="date")
    else:
        field.update(type="yesno")
    if previous is not None and kind in (0, 3):
        field["show_if"] = {">": [{"var": previous}, 10]}
    return field


def generated_template(steps: int = STEPS, fields: int = FIELDS) -> dict[str, Any]:
    """The licence example grown to `steps` steps and `fields` fields, still valid."""
    doc = json.loads(EXAMPLE.read_text())
    have_steps = len(doc["steps"])
    have_fields = sum(len(s.get("fields") or ()) for s in doc["steps"])
    extra_steps = steps - have_steps
    extra_fields = fields - have_fields
    assert extra_steps > 0 and extra_fields >= extra_steps, (have_steps, have_fields)
    ids = [s["id"] for s in doc["steps"]]
    at = ids.index("documentos")
    before = doc["steps"][at - 1]
    per_step = [extra_fields // extra_steps] * extra_steps
    for i in range(extra_fields % extra_steps):
        per_step[i] += 1
    new_steps = []
    for s, count in enumerate(per_step, start=1):
        number_field = None
        fields_list = []
        for n in range(count):
            field = _extra_field(s, n, number_field)
            if field["type"] == "number":
                number_field = field["id"]
            fields_list.append(field)
        new_steps.append(
            {
                "id": f"extra_{s}",
                "type": "form",
                "title": _label(f"Datos adicionales {s}", f"Additional details {s}"),
                "description": _label("Generado para la medición.", "Generated for the bench."),
                "fields": fields_list,
                "transitions": [
                    {"id": "continuar", "to": f"extra_{s + 1}" if s < extra_steps else "documentos"}
                ],
            }
        )
    before["transitions"] = [{"id": "continuar", "to": "extra_1"}]
    doc["steps"][at:at] = new_steps
    # A fee line reading a generated number (only when it is large).
    pago = next(s for s in doc["steps"] if s["id"] == "pago")
    pago["fee_lines"].append(
        {
            "id": "derecho_extra",
            "label": _label("Derecho adicional", "Additional fee"),
            "amount": {"*": [{"var": "dato_1_1"}, 0.5]},
            "when": {">": [{"var": "dato_1_1"}, 100]},
        }
    )
    assert len(doc["steps"]) == steps
    assert sum(len(s.get("fields") or ()) for s in doc["steps"]) == fields
    return doc


def timed(runs: int, work: Callable[[int], Any]) -> list[float]:
    out = []
    for i in range(runs):
        started = time.perf_counter()
        work(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(samples, 50) or 0.0, 3),
        "p99": round(percentile(samples, 99) or 0.0, 3),
        "max": round(max(samples), 3),
    }


def run(runs: int) -> dict[str, Any]:
    doc = generated_template()
    problems = validate_template(doc)
    errors = [p for p in problems if getattr(p, "severity", "error") == "error"]
    assert not errors, errors[:3]

    def validate_cold(_i: int) -> None:
        forget_validations()  # a validation from scratch, not the remembered problems
        validate_template(doc)

    validate = timed(runs, validate_cold)

    def edit(i: int) -> None:
        forget_validations()
        if i % 2 == 0:
            result = editing.rename_field(doc, "dato_1_1", "dato_1_1_b")
            assert any(r for r in [result.doc]), "rename"
            assert not result.problems  # an edit's problems are worked out when read
        else:
            added = editing.add_field(
                doc, "extra_3", {"id": "nuevo", "type": "text", "label": _label("Nuevo", "New")}
            )
            assert added.doc is not doc
            assert not added.problems

    edits = timed(runs, edit)

    edited = editing.rename_field(doc, "dato_1_1", "dato_1_1_b").doc
    edited = editing.add_field(
        edited, "extra_3", {"id": "nuevo", "type": "text", "label": _label("Nuevo", "New")}
    ).doc
    edited["steps"][1]["title"] = _label("Otro título", "Another title")
    pago = next(s for s in edited["steps"] if s["id"] == "pago")
    pago["fee_lines"].insert(0, pago["fee_lines"].pop())
    changes = diff(doc, edited)
    assert changes, "the edited copy differs"
    diffs = timed(runs, lambda _i: diff(doc, edited))
    return {
        "template": {
            "steps": len(doc["steps"]),
            "fields": sum(len(s.get("fields") or ()) for s in doc["steps"]),
            "bytes": len(json.dumps(doc)),
        },
        "runs": runs,
        "validate_ms": summary(validate),
        "validate_p99_ms": summary(validate)["p99"],
        "edit_ms": summary(edits),
        "edit_p99_ms": summary(edits)["p99"],
        "diff_changes": len(changes),
        "diff_ms": summary(diffs),
        "diff_p99_ms": summary(diffs)["p99"],
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
        },
    }


def edit_and_save(database_url: str, runs: int) -> dict[str, Any]:
    """Edit + validation + a revision row, `runs` times on a scratch database."""
    import uuid

    import psycopg
    from sqlalchemy import event

    from app.cli import run_migrations
    from workflow_engine.persistence.db import make_engine
    from workflow_engine.persistence.platform.catalog import Catalog, Editor

    admin = database_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"tramita_bench_templates_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin.rsplit('/', 1)[0]}/{name}"
    engine = None
    try:
        run_migrations(url)
        engine = make_engine(url)
        catalog = Catalog(engine)
        operator = Editor.operator("bench")
        doc = generated_template()
        info = catalog.save_revision(doc, by=operator, base=0)
        base = info.number
        statements: list[int] = []
        count = [0]

        @event.listens_for(engine, "before_cursor_execute")
        def _count(*_args: Any) -> None:
            count[0] += 1

        def work(i: int) -> None:
            nonlocal doc, base
            if i % 2 == 0:
                result = editing.rename_field(doc, "dato_1_1", f"dato_1_1_{i}")
                old = "dato_1_1"
            else:
                result = editing.rename_field(doc, f"dato_1_1_{i - 1}", "dato_1_1")
                old = f"dato_1_1_{i - 1}"
            assert old not in json.dumps(result.doc).replace(f'"{old}_', "")
            count[0] = 0
            forget_validations()  # the two documents alternate: never a remembered one
            saved = catalog.save_revision(result.doc, by=operator, base=base)
            statements.append(count[0])
            doc, base = result.doc, saved.number

        samples = timed(runs, work)
        return {
            "edit_save_ms": summary(samples),
            "edit_save_p99_ms": summary(samples)["p99"],
            "sql_statements_per_save": max(statements),
            "revisions_saved": base,
            "postgresql": url.rsplit("@", 1)[-1].rsplit("/", 1)[0],
        }
    finally:
        if engine is not None:
            engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server where a scratch database can be created",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args.runs)
    result.update(edit_and_save(args.database_url, args.runs))
    print(json.dumps(result, indent=2) if args.json else result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
