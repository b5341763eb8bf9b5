"""A document step never strands a case: markup in a version published before the validator
refused it is printed as text in the signed PDF, and a document that cannot be laid out is a
dead letter at once, readable in /admin/outbox with its folio, that `outbox retry` issues once
the cause is fixed. Both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from connectors.payments.handler import settle_payment
from tests.helpers.markup import assert_inert, png
from tests.helpers.web import login
from workflow_engine.persistence.cases.walkthrough import WalkthroughError, run_walkthrough
from workflow_engine.persistence.models import ProcedureTemplate, ProcedureVersion, table
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import seed_demo

KEY = "constancia-residencia"
versions_t = table(ProcedureVersion)
templates_t = table(ProcedureTemplate)


@pytest.fixture
def app(db_url: str, app_factory: Any) -> Flask:
    flask_app: Flask = app_factory(db_url, base_url="https://tramites.example")
    seed_demo(flask_app.extensions["tramita"].engine, demo_mode=True)
    flask_app.config["TESTING"] = True
    return flask_app


def set_published_body(app: Flask, body: str) -> None:
    """Rewrite the live version's document text, as a version published before the
    validator refused markup would hold it."""
    engine = app.extensions["tramita"].engine
    with engine.begin() as conn:
        version_id, definition = conn.execute(
            select(versions_t.c.id, versions_t.c.definition)
            .join(templates_t, templates_t.c.id == versions_t.c.template_id)
            .where(templates_t.c.key == KEY)
            .order_by(versions_t.c.number.desc())
        ).first()  # type: ignore[misc]
        step = next(s for s in definition["steps"] if s["type"] == "document")
        step["document"]["body"]["es"] = body
        conn.execute(
            update(versions_t).where(versions_t.c.id == version_id).values(definition=definition)
        )


def walk(app: Flask) -> Any:
    services = app.extensions["tramita"]
    citizen = Accounts(services.engine, demo_mode=True).by_email("ciudadano@demo.gob.mx")
    assert citizen is not None
    return run_walkthrough(
        services.cases,
        services.outbox,
        KEY,
        citizen.actor(),
        settle=lambda ref: settle_payment(services.engine, ref, "test")[1],
    )


def test_markup_in_an_old_version_is_issued_as_text(app: Flask, tmp_path: Path) -> None:
    secret = png(tmp_path / "secreto.png")
    set_published_body(
        app,
        f'Constancia <img src="{secret}"/> <img src="/etc/hostname"/> '
        '<a href="javascript:alert(1)">pulse</a> <link href="file:///etc/passwd">ver</link> '
        "<b>{{ data.nombre }}</b>",
    )
    result = walk(app)
    assert result.outcome == "approved"
    (doc,) = result.documents
    documents = Path(app.extensions["tramita"].settings.documents_dir)
    assert_inert((documents / doc["storage_path"]).read_bytes())


def test_a_document_that_cannot_be_laid_out_is_a_readable_dead_letter_and_retry_issues_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    import connectors.documents.issue as issue

    def fails(content: Any) -> Any:  # what ReportLab raised for <img> of a non-image
        raise OSError('Cannot open resource "/etc/hostname"')

    monkeypatch.setattr(issue, "render_document", fails)
    with pytest.raises(WalkthroughError):
        walk(app)
    services = app.extensions["tramita"]
    (dead,) = services.outbox.dead_letters()
    folio = dead["folio"]
    state = services.cases.load(services.cases.case_id_for_folio(folio))[0]
    assert state.status == "awaiting_document"
    assert dead["kind"] == "document.issue" and dead["attempts"] == 1  # permanent at once
    assert folio in dead["last_error"] and "Cannot open resource" in dead["last_error"]

    admin = app.test_client()
    login(admin, "admin@demo.gob.mx")
    page = admin.get("/admin/outbox").get_data(as_text=True)
    assert folio in page and "cannot be laid out" in page and "Cannot open resource" in page

    monkeypatch.undo()  # the operator fixes the cause
    retried = app.test_cli_runner().invoke(args=["outbox", "retry"])
    assert retried.exit_code == 0 and "done" in retried.output, retried.output
    state = services.cases.load(services.cases.case_id_for_folio(folio))[0]
    assert state.status == "closed" and state.outcome == "approved"
    assert services.outbox.dead_letters() == []
