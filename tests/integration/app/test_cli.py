"""The `flask --app wsgi ...` commands as an operator uses them, on a real database."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from tests.helpers.engine import MINI
from workflow_engine.persistence.platform.demo import examples_dir

EXAMPLE_KEYS = sorted(p.stem for p in examples_dir().glob("*.json"))


@pytest.fixture
def app(db_url: str, app_factory) -> Flask:  # type: ignore[no-untyped-def]
    return app_factory(db_url)  # type: ignore[no-any-return]


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


def test_validate_accepts_every_example(runner: FlaskCliRunner) -> None:
    files = [str(p) for p in sorted(examples_dir().glob("*.json"))]
    result = runner.invoke(args=["templates", "validate", *files])
    assert result.exit_code == 0, result.output
    assert len(files) >= 6


def test_validate_prints_one_path_message_line_per_error(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    broken = copy.deepcopy(MINI)
    broken["steps"][0]["transitions"][1]["to"] = "nowhere"
    broken["start"] = "missing_step"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = runner.invoke(args=["templates", "validate", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) >= 2
    assert all(line.split()[0] in ("error", "warning") and "($" in line for line in lines), lines
    assert any(" unknown_start_step start ($.start): " in line for line in lines), lines
    english = runner.invoke(args=["templates", "validate", "--lang", "en", str(path)])
    assert english.stdout != result.stdout


def test_validate_reports_a_file_that_is_not_json(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{not json")
    result = runner.invoke(args=["templates", "validate", str(path)])
    assert result.exit_code == 1
    assert "JSON" in result.stdout


def test_import_publish_export_cycle(runner: FlaskCliRunner, tmp_path: Path) -> None:
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(MINI))
    imported = runner.invoke(args=["templates", "import", str(path)])
    assert imported.exit_code == 0 and "draft" in imported.output
    published = runner.invoke(args=["templates", "publish", "mini"])
    assert published.exit_code == 0 and "versión 1" in published.output
    changed = copy.deepcopy(MINI)
    changed["title"] = {"es": "Otro título"}
    path.write_text(json.dumps(changed))
    runner.invoke(args=["templates", "import", str(path)])
    listed = runner.invoke(args=["templates", "list"])
    assert "mini\tlive_with_draft\tv1" in listed.output
    runner.invoke(args=["templates", "publish", "mini"])
    v1 = runner.invoke(args=["templates", "export", "mini", "--version", "1"])
    assert json.loads(v1.stdout)["title"] == MINI["title"]
    draft = runner.invoke(args=["templates", "export", "mini"])
    assert json.loads(draft.stdout)["title"] == {"es": "Otro título"}
    missing = runner.invoke(args=["templates", "export", "mini", "--version", "9"])
    assert missing.exit_code == 1
    assert runner.invoke(args=["templates", "archive", "mini"]).exit_code == 0
    assert "mini\tarchived" in runner.invoke(args=["templates", "list"]).output


def test_template_commands_speak_the_language_asked_for(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    broken = copy.deepcopy(MINI)
    del broken["steps"][0]["transitions"]
    path = tmp_path / "mini.json"
    path.write_text(json.dumps(broken))
    imported = runner.invoke(args=["templates", "import", str(path), "--lang", "en"])
    assert "draft saved, revision 1" in imported.output
    assert "cannot be published until" in imported.output
    assert "borrador" not in imported.output
    refused = runner.invoke(args=["templates", "publish", "mini", "--lang", "en"])
    assert refused.exit_code == 1 and "versión" not in refused.output
    path.write_text(json.dumps(MINI))
    runner.invoke(args=["templates", "import", str(path)])
    published = runner.invoke(args=["templates", "publish", "mini", "--lang", "en"])
    assert published.exit_code == 0 and "version 1 published" in published.output
    spanish = runner.invoke(args=["templates", "revisions", "mini"])
    assert "\t1 error\t3 avisos" in spanish.output and "\t0 errores\t" in spanish.output


def test_import_refuses_an_invalid_template(runner: FlaskCliRunner, tmp_path: Path) -> None:
    broken = copy.deepcopy(MINI)
    del broken["steps"][0]["transitions"]
    path = tmp_path / "b.json"
    path.write_text(json.dumps(broken))
    result = runner.invoke(args=["templates", "import", str(path)])
    assert result.exit_code == 1
    assert "$.steps[0]" in result.output


def test_departments_are_added_listed_and_known_at_import_and_publish(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    from workflow_engine.persistence.platform.catalog import Catalog, TemplateInvalidError

    added = runner.invoke(args=["departments", "add", "obras", "Obras Públicas", "Public Works"])
    assert added.exit_code == 0, added.output
    assert "obras" in added.output
    again = runner.invoke(args=["departments", "add", "obras", "Otra"])
    assert again.exit_code == 1 and "Ya existe" in again.output
    bad = runner.invoke(args=["departments", "add", "Mala Clave", "X"])
    assert bad.exit_code == 1
    only_es = runner.invoke(args=["departments", "add", "catastro", "Catastro"])
    assert only_es.exit_code == 0, only_es.output
    listed = runner.invoke(args=["departments", "list"])
    assert listed.exit_code == 0
    assert listed.output.splitlines() == [
        "catastro\tCatastro\tCatastro\t0",
        "obras\tObras Públicas\tPublic Works\t0",
    ]
    # a template naming a department nobody created: an error at import and at publish
    typo = copy.deepcopy(MINI)
    typo["department"] = "obras-publicas"
    path = tmp_path / "typo.json"
    path.write_text(json.dumps(typo))
    imported = runner.invoke(args=["templates", "import", str(path)])
    assert imported.exit_code == 1
    assert "$.department" in imported.output and "«obras-publicas» no existe" in imported.output
    catalog = Catalog(app.extensions["tramita"].engine)
    with pytest.raises(TemplateInvalidError) as refused:
        catalog.publish("mini")
    assert [p.code for p in refused.value.problems if p.path == "$.department"] == [
        "unknown_department"
    ]
    for step in typo["steps"]:
        if "department" in step:
            step["department"] = "obras"
        for branch in step.get("branches", ()):
            branch["department"] = "catastro"
    typo["department"] = "obras"
    path.write_text(json.dumps(typo))
    assert runner.invoke(args=["templates", "import", str(path)]).exit_code == 0
    assert runner.invoke(args=["templates", "publish", "mini"]).exit_code == 0


def test_demo_seed_is_idempotent_and_refused_outside_demo_mode(
    runner: FlaskCliRunner, db_url: str, app_factory
) -> None:  # type: ignore[no-untyped-def]
    first = runner.invoke(args=["demo", "seed", "--no-cases"])
    assert first.exit_code == 0, first.output
    assert "6 trámites publicados" in first.output or "trámites publicados" in first.output
    second = runner.invoke(args=["demo", "seed", "--no-cases"])
    assert "0 cuentas nuevas" in second.output
    prod = app_factory(db_url, demo_mode=False)
    refused = prod.test_cli_runner().invoke(args=["demo", "seed", "--no-cases"])
    assert refused.exit_code == 1
    assert "DEMO_MODE" in refused.output


def test_demo_seed_loads_the_catalogs_the_examples_read_and_keeps_the_municipality_s_own(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    from workflow_engine.persistence.platform.catalogs import CatalogStore

    first = runner.invoke(args=["demo", "seed", "--no-cases"])
    assert first.exit_code == 0 and "2 catálogos cargados" in first.output, first.output
    with app.extensions["tramita"].engine.connect() as conn:
        store = CatalogStore(conn)
        for path in examples_dir().glob("*.json"):
            doc = json.loads(path.read_text("utf-8"))
            answers = {k: v for step in doc["example_data"].values() for k, v in step.items()}
            for step in doc["steps"]:
                for field in step.get("fields", []):
                    if field["type"] == "catalog_select" and field["id"] in answers:
                        code = answers[field["id"]]
                        assert store.label(field["catalog"], code), (path.name, code)
    own = tmp_path / "colonias.csv"
    own.write_text("clave,nombre\nC1,Colonia propia\n", encoding="utf-8")
    assert runner.invoke(args=["catalogs", "import", "colonias", str(own)]).exit_code == 0
    again = runner.invoke(args=["demo", "seed", "--no-cases"])
    assert "0 catálogos cargados" in again.output, again.output
    with app.extensions["tramita"].engine.connect() as conn:
        assert CatalogStore(conn).count("colonias") == 1


@pytest.mark.slow
@pytest.mark.parametrize("key", EXAMPLE_KEYS)
def test_every_example_runs_from_start_to_end(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, key: str
) -> None:
    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    out = tmp_path / "out"
    result = runner.invoke(args=["demo", "walkthrough", key, "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.stdout.splitlines() if ": " in line)
    assert lines["outcome"] == "approved"
    assert " -> " in lines["path"]
    pdfs = list(out.glob("*.pdf"))
    assert pdfs, "every example issues a document"
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    assert lines["folio"] in pdfs[0].name
    verify = runner.invoke(args=["cases", "verify", lines["folio"]])
    assert verify.exit_code == 0 and "íntegro" in verify.output
    assert _unfinished_effects(app) == [], "every effect the case caused ran"
    if "ledger" in json.loads((examples_dir() / f"{key}.json").read_text("utf-8")):
        assert _registered_objects(app), "the approved case registered its object"


def _unfinished_effects(app: Flask) -> list[tuple[str, str, str | None]]:
    """Effects not done (pending, failing, dead), with their last error."""
    from sqlalchemy import select

    from workflow_engine.persistence.models import OutboxMessage, table

    t = table(OutboxMessage)
    with app.extensions["tramita"].engine.connect() as conn:
        rows = conn.execute(
            select(t.c.kind, t.c.status, t.c.last_error).where(t.c.status != "done")
        )
        return [tuple(r) for r in rows]


def _registered_objects(app: Flask) -> list[dict[str, object]]:
    """Every taxable object with its holder's name, tax id and kind."""
    from sqlalchemy import select

    from workflow_engine.persistence.models import TaxableObject, Taxpayer, table

    objects, holders = table(TaxableObject), table(Taxpayer)
    with app.extensions["tramita"].engine.connect() as conn:
        rows = conn.execute(
            select(
                objects.c.kind,
                objects.c.key,
                holders.c.id.label("holder_id"),
                holders.c.name,
                holders.c.tax_id,
                holders.c.kind.label("holder_kind"),
                holders.c.user_id,
            )
            .join(holders, holders.c.id == objects.c.taxpayer_id)
            .order_by(objects.c.id)
        ).mappings()
        return [dict(r) for r in rows]


@pytest.mark.slow
def test_every_example_in_one_municipality_keeps_each_taxpayer_intact(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    """The same citizen walks every example, then the vehicle one again: a registration links
    to the taxpayer its tax id names and never rewrites another taxpayer's identity."""
    from sqlalchemy import select

    from workflow_engine.persistence.models import Taxpayer, table

    assert runner.invoke(args=["demo", "seed", "--no-cases"]).exit_code == 0
    for key in [*EXAMPLE_KEYS, "registro-vehicular"]:
        result = runner.invoke(args=["demo", "walkthrough", key, "--out", str(tmp_path / key)])
        assert result.exit_code == 0, result.output
    assert _unfinished_effects(app) == []
    objects = {(o["kind"], o["key"]): o for o in _registered_objects(app)}
    vehicle = objects[("vehicle", "MR0HA3CD1M0123456")]
    assert vehicle["tax_id"] == "155634567-2-2016 DV 45"  # 22 characters: wider than before
    assert vehicle["name"] == "Transportes Istmeños del Pacífico, S.A."
    assert vehicle["holder_kind"] == "moral"
    (business,) = [o for o in objects.values() if o["kind"] == "business"]
    assert business["tax_id"] == "CEC150610K90"  # the licence's company, untouched
    assert business["holder_id"] != vehicle["holder_id"]
    taxpayers = table(Taxpayer)
    with app.extensions["tramita"].engine.connect() as conn:
        by_tax_id = conn.execute(
            select(taxpayers.c.tax_id, taxpayers.c.name).where(taxpayers.c.tax_id.is_not(None))
        ).all()
    assert sorted(t for t, _n in by_tax_id) == ["155634567-2-2016 DV 45", "CEC150610K90"]


def test_licence_example_takes_the_civil_protection_branch_for_a_large_venue(
    runner: FlaskCliRunner, tmp_path: Path
) -> None:
    runner.invoke(args=["demo", "seed", "--no-cases"])
    result = runner.invoke(
        args=["demo", "walkthrough", "licencia-funcionamiento", "--out", str(tmp_path)]
    )
    assert "revision_conjunta" in result.output


def test_outbox_dead_letters_can_be_listed_and_retried(app: Flask, runner: FlaskCliRunner) -> None:
    services = app.extensions["tramita"]
    runner.invoke(args=["demo", "seed", "--no-cases"])
    services.outbox.handlers["notify"] = _always_fails
    services.outbox.max_attempts = 1
    runner.invoke(args=["demo", "walkthrough", "constancia-residencia", "--out", "/tmp/unused"])
    dead = runner.invoke(args=["outbox", "dead"])
    assert "notify" in dead.output and "SMTP caído" in dead.output
    from connectors import ConnectorSettings, build_handlers

    services.outbox.handlers["notify"] = build_handlers(
        services.engine, ConnectorSettings(documents_dir=services.settings.documents_dir)
    )["notify"]
    retried = runner.invoke(args=["outbox", "retry"])
    assert "done" in retried.output
    assert services.outbox.dead_letters() == []


def _always_fails(item: object) -> None:
    raise ConnectionError("SMTP caído")


def test_municipal_holidays_move_legal_deadlines(app: Flask, runner: FlaskCliRunner) -> None:
    added = runner.invoke(args=["calendar", "add", "2026-11-24", "Fiesta patronal"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(args=["calendar", "list", "--year", "2026"])
    assert "2026-11-24\tFiesta patronal" in listed.output
    services = app.extensions["tramita"]
    services.catalog.save_draft(copy.deepcopy(MINI))
    services.catalog.publish("mini")
    from tests.helpers.engine import CITIZEN, T0
    from workflow_engine.engine import StartCase, SubmitCase, SubmitStep

    case = services.cases.start("mini", StartCase(at=T0, actor=CITIZEN))
    services.cases.execute(
        case.case_id,
        SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=MINI["example_data"]["datos"]),
    )
    services.cases.execute(case.case_id, SubmitCase(at=T0, actor=CITIZEN, declaration=True))
    (task,) = services.cases.load(case.case_id)[0].open_tasks()
    assert task.due_on == "2026-12-01"  # 5 business days from Monday 23 Nov, skipping the 24th
    removed = runner.invoke(args=["calendar", "remove", "2026-11-24"])
    assert removed.exit_code == 0
    assert runner.invoke(args=["calendar", "remove", "2026-11-24"]).exit_code == 1


def test_due_timers_fire_reminders_and_afirmativa_ficta(app: Flask) -> None:
    from datetime import timedelta

    from tests.helpers.engine import CITIZEN, T0
    from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
    from workflow_engine.persistence.cases.timers import fire_due_timers

    services = app.extensions["tramita"]
    services.catalog.save_draft(copy.deepcopy(MINI))
    services.catalog.publish("mini")
    case = services.cases.start("mini", StartCase(at=T0, actor=CITIZEN))
    services.cases.execute(
        case.case_id,
        SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=MINI["example_data"]["datos"]),
    )
    services.cases.execute(case.case_id, SubmitCase(at=T0, actor=CITIZEN, declaration=True))
    assert fire_due_timers(services.cases, now=T0 + timedelta(days=1)) == 0
    assert fire_due_timers(services.cases, now=T0 + timedelta(days=4)) == 1  # the reminder
    assert fire_due_timers(services.cases, now=T0 + timedelta(days=10)) == 1  # the deadline
    types = [e["type"] for e in services.cases.history(case.case_id)]
    assert "task.reminder_due" in types
    assert "task.lapsed" in types and "case.afirmativa_ficta" in types
    state = services.cases.load(case.case_id)[0]
    assert state.status == "awaiting_payment"


def test_apikeys_create_prints_a_key_that_works_on_the_api(
    app: Flask, runner: FlaskCliRunner
) -> None:
    from sqlalchemy import select

    from workflow_engine.persistence.models import ApiKey, table
    from workflow_engine.persistence.platform.accounts import Accounts

    Accounts(app.extensions["tramita"].engine, demo_mode=True).create(
        "sistema@municipio.gob.mx", "demo12345", role="citizen", name="Sistema", verified=True
    )
    made = runner.invoke(
        args=["apikeys", "create", "--email", "sistema@municipio.gob.mx", "--name", "ventanilla"]
    )
    assert made.exit_code == 0, made.output
    key = made.output.strip()
    assert key.startswith("tk_") and "\n" not in key
    client = app.test_client()
    assert client.get("/api/v1/cases").status_code == 401
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        answer = client.get("/api/v1/cases", headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    assert client.get("/api/v1/cases", headers={"X-API-Key": key + "x"}).status_code == 401
    with app.extensions["tramita"].engine.connect() as conn:
        stored = conn.execute(select(table(ApiKey))).mappings().one()
    assert stored["name"] == "ventanilla" and key not in {str(v) for v in stored.values()}

    unknown = runner.invoke(args=["apikeys", "create", "--email", "nadie@x.mx", "--name", "x"])
    assert unknown.exit_code == 1 and "No existe esa cuenta." in unknown.output
