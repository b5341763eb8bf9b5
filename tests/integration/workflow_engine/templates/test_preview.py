"""`templates preview` and `templates simulate` on a real database (issue 12 §6): the preview
page is the wizard's own, the dry run's fees are a real case's, and nothing is written."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import func, inspect, select, update
from sqlalchemy import table as sql_table

from app.api.queries import case_row
from tests.helpers.preview import assert_unsigned, demo_lookup
from tests.helpers.web import login
from tests.helpers.wizard import CITIZEN
from workflow_engine.engine import StartCase, SubmitStep
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.models import User
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import examples_dir
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.preview import simulate

EXAMPLES = {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(examples_dir().glob("*.json"))}


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    return app_factory(db_url)  # type: ignore[no-any-return]


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def row_counts(app: Flask) -> dict[str, int]:
    """Rows of every table of the database (Alembic's bookkeeping included)."""
    engine = app.extensions["tramita"].engine
    names = inspect(engine).get_table_names()
    assert len(names) > 20
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(sql_table(name))).scalar_one())
            for name in names
        }


def test_simulate_and_preview_write_nothing_to_the_database(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    before = row_counts(app)
    assert before["procedure_versions"] > 0
    out = tmp_path / "out"
    for key in EXAMPLES:
        result = runner.invoke(
            args=[
                "templates",
                "simulate",
                key,
                "--version",
                "1",
                "--decisions",
                "approve,approve",
                "--out",
                str(out / key),
            ]
        )
        assert result.exit_code == 0, result.output
        preview = runner.invoke(
            args=[
                "templates",
                "preview",
                key,
                "--draft",
                "--step",
                EXAMPLES[key]["start"],
                "--out",
                str(tmp_path / f"{key}.html"),
            ]
        )
        assert preview.exit_code == 0, preview.output
    rejected = runner.invoke(
        args=[
            "templates",
            "simulate",
            "licencia-funcionamiento",
            "--decisions",
            "approve,reject",
            "--out",
            str(out / "rechazo"),
        ]
    )
    assert rejected.exit_code == 0, rejected.output
    assert row_counts(app) == before


def test_simulate_prints_the_path_fees_tasks_and_writes_unsigned_previews(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    data = tmp_path / "data.json"
    data.write_text(json.dumps(EXAMPLES["permiso-mercado"]["example_data"]), "utf-8")
    result = runner.invoke(
        args=[
            "templates",
            "simulate",
            "permiso-mercado",
            "--data",
            str(data),
            "--decisions",
            "approve",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("path: solicitante -> puesto -> revision -> pago")
    assert "outcome: approved (closed)" in lines
    assert any(line.startswith("fees total: pago: $") for line in lines)
    assert any(line.startswith("task: revision: mercados / revisor, plazo ") for line in lines)
    assert "notification: case_approved -> applicant" in lines
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert [p.name for p in pdfs] == [
        f"permiso-mercado-emision-{EXAMPLES['permiso-mercado']['steps'][4]['document']['kind']}"
        "-vista-previa.pdf"
    ]
    pdf = pdfs[0].read_bytes()
    assert_unsigned(pdf)
    assert all("VISTA PREVIA" in (p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages)


def test_simulate_refuses_bad_input_with_a_clear_message(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    out = str(tmp_path / "out")
    unknown = runner.invoke(args=["templates", "simulate", "no-existe", "--out", out])
    assert unknown.exit_code == 1 and "No existe esa plantilla" in unknown.output
    word = runner.invoke(
        args=["templates", "simulate", "permiso-mercado", "--decisions", "si", "--out", out]
    )
    assert word.exit_code == 2 and "«si» no es una decisión" in word.output
    shape = tmp_path / "data.json"
    shape.write_text("[1, 2]", "utf-8")
    bad = runner.invoke(
        args=["templates", "simulate", "permiso-mercado", "--data", str(shape), "--out", out]
    )
    assert bad.exit_code == 1 and "--data" in bad.output
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"solicitante": {}}), "utf-8")
    stopped = runner.invoke(
        args=["templates", "simulate", "permiso-mercado", "--data", str(empty), "--out", out]
    )
    assert stopped.exit_code == 1 and "detenido: Revise los datos marcados." in stopped.output
    step = runner.invoke(
        args=["templates", "preview", "permiso-mercado", "--step", "pago", "--out", out + ".html"]
    )
    assert step.exit_code == 1 and "no es un paso de formulario" in step.output


@pytest.mark.slow
def test_fees_equal_what_a_real_walkthrough_charges(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """The construction permit: fees from a fee table, a yearly constant and a lookup."""
    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    key = "permiso-construccion"
    result = runner.invoke(args=["demo", "walkthrough", key, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    folio = re.search(r"folio: (\S+)", result.output).group(1)  # type: ignore[union-attr]
    services = app.extensions["tramita"]
    row = case_row(services.engine, folio)
    assert row is not None
    history = services.cases.history(row.id)
    real = [e["data"] for e in history if e["type"] == "payment.order_requested"]
    started = next(e for e in history if e["type"] == "case.started")
    at = started["created_at"]
    at = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    with services.engine.connect() as conn:
        ctx = services.cases.context(conn)
    sim = simulate(EXAMPLES[key], None, ["approve"] * 5, at=at, ctx=ctx, lookup=demo_lookup)
    assert [(f.step_id, list(f.lines), f.total_cents, f.currency) for f in sim.fees] == [
        (r["step"], r["lines"], r["total_cents"], r["currency"]) for r in real
    ]
    assert sim.path == result.output.split("path: ", 1)[1].splitlines()[0].split(" -> ")


# -- the preview page is the wizard's own page -------------------------------------------------

_FORM = re.compile(r'<form[^>]*class="wizard-form".*?</form>', re.S)
_NAMES = re.compile(r'\sname="([^"]+)"')


def input_names(html: str) -> set[str]:
    form = _FORM.search(html)
    assert form, html[:400]
    return set(_NAMES.findall(form.group(0))) - {"csrf_token", "accion"}


def real_draft_pages(app: Flask, key: str) -> dict[str, str]:
    """Every form step page of a real draft case filled with the example data, as served."""
    services = app.extensions["tramita"]
    account = Accounts(services.engine).by_email(CITIZEN)
    assert account is not None
    actor = account.actor()
    started = services.cases.start(key, StartCase(at=utcnow(), actor=actor))
    example = EXAMPLES[key]["example_data"]
    for _ in range(30):
        state, _definition, _lock = services.cases.load(started.case_id)
        if state.status == case_state.READY:
            break
        if state.status == case_state.AWAITING_CONNECTOR:
            assert services.outbox.run_due()
            continue
        assert state.status == case_state.DRAFT, state.status
        services.cases.execute(
            started.case_id,
            SubmitStep(
                at=utcnow(),
                actor=actor,
                step_id=state.position,
                values=dict(example.get(state.position, {})),
            ),
        )
    client = app.test_client()
    login(client, CITIZEN)
    pages = {}
    for step_id in state.form_path:
        page = client.get(f"/expedientes/{started.folio}/pasos/{step_id}")
        assert page.status_code == 200, (step_id, page.status_code)
        pages[step_id] = page.get_data(as_text=True)
    return pages


def labels(fields: list[dict[str, Any]]) -> list[str]:
    out = []
    for fld in fields:
        out.append(fld["label"]["es"])
        out.extend(labels(fld.get("fields") or []))
    return out


@pytest.fixture
def wizard_app(api_seeded_db: Any, app_factory: Any, tmp_path: Path) -> Flask:
    db_path = tmp_path / "wizard.db"
    shutil.copyfile(api_seeded_db.path, db_path)
    flask_app: Flask = app_factory(f"sqlite:///{db_path}")
    with flask_app.extensions["tramita"].engine.begin() as conn:
        conn.execute(update(User.__table__).values(email_verified_at=utcnow()))
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_preview_of_every_form_step_is_the_real_wizard_page(wizard_app: Flask, key: str) -> None:
    from markupsafe import escape

    from app.citizen.wizard.preview import render_step_preview

    real = real_draft_pages(wizard_app, key)
    doc = EXAMPLES[key]
    form_steps = [s for s in doc["steps"] if s["type"] == "form"]
    assert set(real) <= {s["id"] for s in form_steps}
    for step in form_steps:
        with wizard_app.app_context():
            html = render_step_preview(doc, step["id"])
            empty = render_step_preview(doc, step["id"], empty=True)
            english = render_step_preview(doc, step["id"], lang="en")
        assert "Vista previa" in html and "Preview" in english
        for label in labels(step["fields"]):
            assert str(escape(label)) in html, (step["id"], label)
        if step["id"] in real:
            assert input_names(html) == input_names(real[step["id"]]), step["id"]
        names = input_names(empty)
        for fld in step["fields"]:
            if fld["type"] != "group" and not fld.get("readonly"):
                fid = fld["id"]
                assert any(n == fid or n.startswith(fid + ".") for n in names), (step["id"], fid)


# -- drafts with errors ---------------------------------------------------------------------------


def save_broken_draft(app: Flask, key: str = "permiso-mercado") -> dict[str, Any]:
    """A draft saved with errors (no title; the review's approval leads nowhere)."""
    from workflow_engine.persistence.platform.catalog import Editor

    doc = copy.deepcopy(EXAMPLES[key])
    del doc["title"]
    review = next(s for s in doc["steps"] if s["type"] == "approval")
    review["outcomes"]["approve"]["to"] = "no_existe"
    app.extensions["tramita"].catalog.save_revision(doc, by=Editor.operator(), base=None)
    return doc


def test_a_draft_with_errors_previews_what_is_sound_and_simulates_until_it_stops(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    save_broken_draft(app)
    before = row_counts(app)
    page = tmp_path / "puesto.html"
    preview = runner.invoke(
        args=["templates", "preview", "permiso-mercado", "--step", "puesto", "--out", str(page)]
    )
    assert preview.exit_code == 0, preview.output
    assert re.search(r"Aviso: la plantilla tiene \d+ errores?;", preview.output)
    assert 'name="superficie_puesto_m2"' in page.read_text("utf-8")
    out = str(tmp_path / "out")
    stopped = runner.invoke(
        args=["templates", "simulate", "permiso-mercado", "--decisions", "approve", "--out", out]
    )
    assert stopped.exit_code == 1
    assert "path: solicitante -> puesto -> revision" in stopped.output
    assert "detenido: La simulación se detiene en el paso «revision»" in stopped.output
    assert "«no_existe»" in stopped.output and "Traceback" not in stopped.output
    rejected = runner.invoke(
        args=["templates", "simulate", "permiso-mercado", "--decisions", "reject", "--out", out]
    )
    assert rejected.exit_code == 0, rejected.output
    assert "outcome: rejected (closed)" in rejected.output
    assert "nota: La plantilla tiene errores en pasos recorridos («revision»)" in rejected.output
    assert row_counts(app) == before


def test_a_step_whose_own_fields_are_broken_is_not_drawn_and_says_why(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    from app.citizen.wizard.preview import UnsoundStepError, render_step_preview
    from workflow_engine.persistence.platform.catalog import Editor

    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    doc = save_broken_draft(app)
    puesto = next(s for s in doc["steps"] if s["id"] == "puesto")
    puesto["fields"][0]["options"] = []  # a select without options
    app.extensions["tramita"].catalog.save_revision(doc, by=Editor.operator(), base=None)
    page = str(tmp_path / "p.html")
    refused = runner.invoke(
        args=["templates", "preview", "permiso-mercado", "--step", "puesto", "--out", page]
    )
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "El paso «puesto» tiene errores" in refused.output
    assert "$.steps[1].fields[0].options" in refused.output
    fine = runner.invoke(
        args=["templates", "preview", "permiso-mercado", "--step", "solicitante", "--out", page]
    )
    assert fine.exit_code == 0, fine.output
    # the web layer's preview (what a configurator page calls) answers the same
    with app.app_context():
        html = render_step_preview(doc, "solicitante", lang="en")
        assert "Preview" in html
        with pytest.raises(UnsoundStepError) as caught:
            render_step_preview(doc, "puesto")
    assert caught.value.problems[0].path.startswith("$.steps[1].fields[0]")
