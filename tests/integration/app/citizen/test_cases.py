"""«Mis trámites», the applicant's case page, and abandoned drafts (warned, then cancelled)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from tests.helpers.market import (
    AT,
    ID_FIELD,
    PDF,
    fetch,
    file_market_case,
    start,
)
from tests.helpers.web import account, forge_login
from workflow_engine.engine import Decide, SaveDraft
from workflow_engine.persistence.cases.drafts import CANCEL_REASON, expire_drafts
from workflow_engine.persistence.models import Case, Notification, OutboxMessage, table
from workflow_engine.persistence.platform.uploads import UploadStore

cases_t = table(Case)
outbox_t = table(OutboxMessage)
notifications_t = table(Notification)


@pytest.fixture
def app(api_app: Flask) -> Flask:
    return api_app


# -- Mis trámites -----------------------------------------------------------------------------
def test_my_cases_needs_login(app: Flask) -> None:
    got = app.test_client().get("/mis-tramites")
    assert got.status_code == 302 and "/entrar" in got.headers["Location"]


def test_my_cases_empty_state(app: Flask) -> None:
    client = app.test_client()
    forge_login(client, account(app, "vecino@demo.gob.mx").id)
    html = client.get("/mis-tramites").get_data(as_text=True)
    assert "<h1>Mis trámites</h1>" in html
    assert "Aún no ha iniciado ningún trámite" in html


def test_my_cases_lists_drafts_and_filed_cases_and_isolates_them(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    _draft_id, draft_folio = start(app, citizen, "constancia-residencia")
    _other_id, other_folio = start(app, account(app, "vecino@demo.gob.mx"))

    client = app.test_client()
    forge_login(client, citizen.id)
    page = client.get("/mis-tramites")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert filed["folio"] in html and draft_folio in html
    assert other_folio not in html
    assert "Borrador" in html and "En revisión" in html
    assert f'href="/expedientes/{draft_folio}/pasos/datos"' in html
    assert "Continuar" in html
    assert "Respuesta a más tardar" in html  # the review's due date
    assert "Se cancelará sin cambios el" in html  # a draft shows when it would expire

    english = client.get("/mis-tramites?lang=en").get_data(as_text=True)
    assert "Under review" in english and "Continue" in english


# -- the case page ----------------------------------------------------------------------------
def test_case_page_is_only_for_the_applicant(app: Flask) -> None:
    filed = file_market_case(app, account(app, "ciudadano@demo.gob.mx"))
    url = f"/expedientes/{filed['folio']}"
    for email in ("vecino@demo.gob.mx", "mercados@demo.gob.mx", "funcionario@demo.gob.mx"):
        client = app.test_client()
        forge_login(client, account(app, email).id)
        assert client.get(url).status_code == 404, email
    mine = app.test_client()
    forge_login(mine, account(app, "ciudadano@demo.gob.mx").id)
    assert mine.get("/expedientes/CHO-2026-NOEXISTE").status_code == 404
    assert app.test_client().get(url).status_code == 302


def test_case_page_shows_status_timeline_receipt_and_files(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    client = app.test_client()
    forge_login(client, citizen.id)
    html = client.get(f"/expedientes/{filed['folio']}").get_data(as_text=True)
    assert "Permiso" in html and filed["folio"] in html
    assert "En revisión" in html
    assert "No tiene que hacer nada por ahora" in html
    assert "Inició la solicitud." in html
    assert "Completó el paso" in html
    assert f"Envió su solicitud; quedó registrada con el folio {filed['folio']}." in html
    assert "Mercados y Comercio en Vía Pública comenzó a revisar su solicitud." in html
    assert f'href="/expedientes/{filed["folio"]}/acuse.pdf"' in html
    assert f'href="/archivos/{filed["ine"]["id"]}"' in html
    assert "credencial.pdf" in html
    assert 'lang="es"' in html and '<h2 id="historial">' in html
    english = client.get(f"/expedientes/{filed['folio']}?lang=en").get_data(as_text=True)
    assert "What happens next" in english and "You submitted your application" in english
    # Nothing internal: no task ids, no engine event names.
    assert "revision:" not in html and "task.opened" not in html


def test_case_page_after_a_return_names_reason_deadline_and_continue_link(app: Flask) -> None:
    services = app.extensions["tramita"]
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    state, _definition, _ = services.cases.load(filed["case_id"])
    (task,) = state.open_tasks()
    reviewer = account(app, "mercados@demo.gob.mx")
    services.cases.execute(
        filed["case_id"],
        Decide(
            at=AT + timedelta(hours=1),
            actor=reviewer.actor(),
            task_id=task.id,
            decision="return",
            reason="incomplete",
            comment="Falta indicar el número de puesto.",
        ),
    )
    client = app.test_client()
    forge_login(client, citizen.id)
    html = client.get(f"/expedientes/{filed['folio']}").get_data(as_text=True)
    assert "Requiere correcciones" in html
    assert "necesita correcciones porque falta información o documentos" in html
    assert "Falta indicar el número de puesto." in html
    assert f'href="/expedientes/{filed["folio"]}/pasos/puesto"' in html
    assert "9 de marzo de 2026" in html  # 5 business days from Monday 2 March
    assert reviewer.name not in html  # the official's name is never shown
    listing = client.get("/mis-tramites").get_data(as_text=True)
    assert "Corregir a más tardar" in listing


def test_case_page_of_a_draft_has_no_receipt(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    _case_id, folio = start(app, citizen, "constancia-residencia")
    client = app.test_client()
    forge_login(client, citizen.id)
    html = client.get(f"/expedientes/{folio}").get_data(as_text=True)
    assert "Borrador" in html and "acuse.pdf" not in html
    assert "El acuse de recibo aparecerá aquí" in html


# -- abandoned drafts -------------------------------------------------------------------------
def _age(app: Flask, case_id: int, when: datetime) -> None:
    with app.extensions["tramita"].engine.begin() as conn:
        conn.execute(update(cases_t).where(cases_t.c.id == case_id).values(updated_at=when))


def test_abandoned_draft_is_warned_once_then_cancelled_and_its_files_purged(app: Flask) -> None:
    services = app.extensions["tramita"]
    citizen = account(app, "ciudadano@demo.gob.mx")
    case_id, folio = start(app, citizen, "constancia-residencia")
    store: UploadStore = services.uploads
    store.save(
        owner_id=str(citizen.id),
        case_id=case_id,
        step_id="datos",
        field_id="doc_identificacion",
        filename="ine.pdf",
        data=PDF,
        field=ID_FIELD,
    )
    filed = file_market_case(app, citizen)  # filed cases are never touched
    t0 = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    _age(app, case_id, t0)
    _age(app, filed["case_id"], t0)

    def sweep(days: int) -> tuple[list[str], list[str]]:
        result = expire_drafts(
            services.cases, store, now=t0 + timedelta(days=days), retention_days=60, warning_days=7
        )
        return result.warned, result.cancelled

    assert sweep(52) == ([], [])  # not yet: 53 days before the warning
    assert sweep(53) == ([folio], [])
    assert sweep(54) == ([], [])  # warned once only
    with services.engine.connect() as conn:
        message = conn.execute(
            select(outbox_t).where(outbox_t.c.case_id == case_id, outbox_t.c.kind == "notify")
        ).one()
    assert message.payload == {
        "template": "draft_expiring",
        "to": "applicant",
        "case_id": str(case_id),
        "folio": folio,
        "expires_on": "2026-03-06",
    }
    services.outbox.run_due()  # the existing notify handler delivers it in-app
    with services.engine.connect() as conn:
        sent = conn.execute(
            select(notifications_t).where(notifications_t.c.template == "draft_expiring")
        ).one()
    assert folio in sent.subject + sent.body and sent.recipient == f"user:{citizen.id}"

    # The case page and the list say when it will be cancelled.
    client = app.test_client()
    forge_login(client, citizen.id)
    assert "6 de marzo de 2026" in client.get("/mis-tramites").get_data(as_text=True)

    assert sweep(59) == ([], [])
    assert sweep(60) == ([], [folio])
    state, _definition, _ = services.cases.load(case_id)
    assert state.status == "closed" and state.outcome == "cancelled"
    history = services.cases.history(case_id)
    assert any(
        e["type"] == "case.cancelled" and e["data"]["reason"] == CANCEL_REASON for e in history
    )
    assert len([p for p in Path(store.directory).rglob("*") if p.is_file()]) == 2
    assert store.case_files(case_id) == []
    assert len(store.case_files(filed["case_id"])) == 2
    state, _definition, _ = services.cases.load(filed["case_id"])
    assert state.status == "in_review"
    html = client.get(f"/expedientes/{folio}").get_data(as_text=True)
    assert "Cancelado" in html and CANCEL_REASON in html


def test_touching_a_warned_draft_starts_over_and_late_warnings_give_full_notice(
    app: Flask,
) -> None:
    services = app.extensions["tramita"]
    citizen = account(app, "ciudadano@demo.gob.mx")
    case_id, folio = start(app, citizen, "constancia-residencia")
    t0 = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    _age(app, case_id, t0)
    # The sweeper was down: the first run is already past the retention period. It warns,
    # and the cancellation waits the full warning period.
    late = t0 + timedelta(days=90)
    assert expire_drafts(services.cases, None, now=late).warned == [folio]
    assert expire_drafts(services.cases, None, now=late + timedelta(days=6)).cancelled == []
    # The applicant comes back and saves: the count starts over.
    services.cases.execute(
        case_id,
        SaveDraft(at=late + timedelta(days=6), actor=citizen.actor(), step_id="datos", values={}),
    )
    after = late + timedelta(days=8)
    result = expire_drafts(services.cases, None, now=after)
    assert result.cancelled == [] and result.warned == []
    state, _definition, _ = services.cases.load(case_id)
    assert state.status == "draft"
    # 53 days after the save it is warned again.
    again = expire_drafts(services.cases, None, now=late + timedelta(days=6 + 53))
    assert again.warned == [folio]


def test_expire_drafts_task_reads_its_settings(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from workflow_engine.persistence.cases.drafts import draft_days, expire_abandoned_drafts

    monkeypatch.setenv("DRAFT_RETENTION_DAYS", "30")
    monkeypatch.setenv("DRAFT_WARNING_DAYS", "3")
    assert draft_days() == (30, 3)
    monkeypatch.setenv("DRAFT_RETENTION_DAYS", "x")
    assert draft_days() == (60, 3)
    monkeypatch.setenv("DRAFT_RETENTION_DAYS", "30")
    services = app.extensions["tramita"]
    assert "tramita.expire_drafts" in services.celery.tasks
    assert "expire-drafts" in services.celery.conf.beat_schedule
    citizen = account(app, "ciudadano@demo.gob.mx")
    case_id, folio = start(app, citizen, "constancia-residencia")
    _age(app, case_id, datetime(2026, 1, 5, tzinfo=UTC))
    sweep = expire_abandoned_drafts(
        services.cases, services.uploads, now=datetime(2026, 3, 1, tzinfo=UTC)
    )
    assert sweep.warned == [folio]


def test_receipt_link_works_from_the_case_page(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    client = app.test_client()
    forge_login(client, citizen.id)
    got = fetch(client, f"/expedientes/{filed['folio']}/acuse.pdf")
    assert got.status_code == 200 and got.data.startswith(b"%PDF")
