"""Publishing from the configurator: the checklist and the changes first, a note, version
history, compare, roll back, cases in flight; the four-eyes rule."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.helpers.cases import file_with_examples
from tests.helpers.inbox import as_user
from tests.helpers.web import account, csrf_from
from workflow_engine.engine import StartCase
from workflow_engine.persistence.models import AuditLog, table
from workflow_engine.persistence.platform.catalog import (
    Catalog,
    Editor,
    InFlight,
    NoteRequiredError,
    OwnRequestError,
    RequestDecidedError,
    RevisionConflictError,
    TemplateForbiddenError,
)
from workflow_engine.persistence.platform.municipal_settings import FOUR_EYES
from workflow_engine.persistence.types import utcnow

LIAISON = "enlace@demo.gob.mx"  # desarrollo-economico
ADMIN = "admin@demo.gob.mx"
DIRECTOR = "funcionario@demo.gob.mx"  # official of desarrollo-economico tagged director
OTHER_DIRECTOR = "proteccion@demo.gob.mx"  # director of proteccion-civil
KEY = "licencia-funcionamiento"
OTHER = "permiso-construccion"  # desarrollo-urbano
PUBLISH = f"/configurador/{KEY}/publicar"
HISTORY = f"/configurador/{KEY}/versiones"


def catalog(app: Flask) -> Catalog:
    found: Catalog = app.extensions["tramita"].catalog
    return found


def edit_draft(app: Flask, change: Any, email: str = LIAISON) -> None:
    """Save a new revision of the draft changed by `change(doc)`, as `email`."""
    doc = copy.deepcopy(catalog(app).draft(KEY))
    change(doc)
    base = catalog(app).info(KEY).draft_revision
    catalog(app).save_revision(doc, by=Editor(account(app, email).id), base=base)


def retitle(text: str) -> Any:
    def change(doc: dict[str, Any]) -> None:
        doc["title"] = {"es": text, "en": "Business licence (new)"}

    return change


def post_publish(web: FlaskClient, note: str, revision: int | None = None) -> Any:
    html = web.get(PUBLISH).get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "note": note}
    data["revision"] = str(revision) if revision is not None else _revision(html)
    return web.post(PUBLISH, data=data)


def _revision(html: str) -> str:
    return html.split('name="revision" value="', 1)[1].split('"', 1)[0]


def audit_actions(app: Flask) -> list[tuple[str, str, dict[str, Any]]]:
    audit = table(AuditLog)
    with app.extensions["tramita"].engine.connect() as conn:
        rows = conn.execute(
            select(audit.c.action, audit.c.actor_name, audit.c.details)
            .where(audit.c.action.like("template.%"))
            .order_by(audit.c.id)
        ).all()
    return [(r.action, r.actor_name, r.details) for r in rows]


def test_publish_shows_the_checklist_and_changes_then_needs_a_note(app: Flask) -> None:
    before = catalog(app).info(KEY).latest_version
    assert before is not None
    web = as_user(app, LIAISON)
    page = web.get(PUBLISH).get_data(as_text=True)
    assert "no hay nada que publicar" in page and "Publicar nueva versión" not in page
    assert (
        post_publish(web, "Igual", revision=catalog(app).info(KEY).draft_revision).status_code
        == 422
    )
    assert catalog(app).info(KEY).latest_version == before

    edit_draft(app, retitle("Licencia de funcionamiento <b>nueva</b>"))
    page = web.get(PUBLISH).get_data(as_text=True)
    assert "Lista de verificación" in page and "5 requisitos listados" in page
    assert "Cobro definido: 3 conceptos" in page
    assert "Licencia de funcionamiento &lt;b&gt;nueva&lt;/b&gt;" in page  # the diff, escaped
    assert "Publicar nueva versión" in page and 'name="note"' in page

    refused = post_publish(web, "   ")
    assert refused.status_code == 422
    assert "Escriba una nota" in refused.get_data(as_text=True)
    assert catalog(app).info(KEY).latest_version == before

    done = post_publish(web, "Nuevo nombre del trámite")
    assert done.status_code == 302 and done.headers["Location"].endswith(HISTORY)
    assert catalog(app).info(KEY).latest_version == before + 1
    history = web.get(HISTORY).get_data(as_text=True)
    assert f"Publicada la versión {before + 1}" in history
    assert "Nuevo nombre del trámite" in history and "Enlace Desarrollo Económico" in history
    action, who, details = audit_actions(app)[-1]
    assert (action, who, details["note"]) == (
        "template.published",
        "Enlace Desarrollo Económico",
        "Nuevo nombre del trámite",
    )


def test_publishing_is_refused_while_something_blocks(app: Flask) -> None:
    before = catalog(app).info(KEY).latest_version

    def no_fees(doc: dict[str, Any]) -> None:
        next(s for s in doc["steps"] if s["id"] == "pago")["fee_lines"] = []

    edit_draft(app, no_fees)
    web = as_user(app, LIAISON)
    page = web.get(PUBLISH).get_data(as_text=True)
    assert "Un paso de pago no tiene conceptos de cobro" in page
    assert "Publicar nueva versión" not in page and 'name="note"' not in page
    assert "No se puede publicar mientras falte algo" in page
    refused = post_publish(web, "Lo intento igual", revision=catalog(app).info(KEY).draft_revision)
    assert refused.status_code == 422
    assert "impiden publicar" in refused.get_data(as_text=True)
    assert catalog(app).info(KEY).latest_version == before


def test_a_draft_changed_while_reviewing_is_not_published_blindly(app: Flask) -> None:
    edit_draft(app, retitle("Primera"))
    web = as_user(app, LIAISON)
    seen = catalog(app).info(KEY).draft_revision
    edit_draft(app, retitle("Segunda"), email=ADMIN)
    refused = post_publish(web, "Lo que vi", revision=seen)
    assert refused.status_code == 409
    assert "El borrador cambió" in refused.get_data(as_text=True)


def test_compare_two_versions_and_roll_back(app: Flask) -> None:
    first = catalog(app).info(KEY).latest_version
    assert first is not None
    edit_draft(app, retitle("Licencia renovada"))
    web = as_user(app, LIAISON)
    assert post_publish(web, "Nombre nuevo").status_code == 302
    second = first + 1

    history = web.get(HISTORY).get_data(as_text=True)
    assert 'action="/configurador/licencia-funcionamiento/versiones/comparar"' in history
    compared = web.get(f"{HISTORY}/comparar?de={first}&a={second}")
    text = compared.get_data(as_text=True)
    assert compared.status_code == 200 and "Licencia renovada" in text
    assert f"De la versión {first} a la {second}" in text
    assert web.get(f"{HISTORY}/comparar?de={first}&a=99").status_code == 404
    assert web.get(f"{HISTORY}/comparar?de=uno&a={second}").status_code == 404

    token = csrf_from(history)
    restore = f"{HISTORY}/restaurar"
    assert f'action="{restore}"' in history and f'name="number" value="{first}"' in history
    no_note = web.post(restore, data={"csrf_token": token, "number": first, "note": ""})
    assert no_note.status_code == 302
    assert catalog(app).info(KEY).latest_version == second
    restored = web.post(
        restore, data={"csrf_token": token, "number": first, "note": "Volver al nombre"}
    )
    assert restored.status_code == 302
    third = catalog(app).publications(KEY)[0]
    assert (third.number, third.restored_from) == (second + 1, first)
    assert third.note == "Volver al nombre"
    assert catalog(app).version(KEY).checksum == catalog(app).version(KEY, first).checksum
    page = web.get(HISTORY).get_data(as_text=True)
    assert f"La versión {first} se publicó de nuevo como versión {second + 1}" in page
    assert f"Restaura la versión {first}." in page
    missing = web.post(restore, data={"csrf_token": token, "number": 99, "note": "x"})
    assert missing.status_code == 404
    assert web.post(restore, data={"csrf_token": token, "number": "x"}).status_code == 404


def test_cases_in_flight_per_version(demo_app: Flask) -> None:
    services = demo_app.extensions["tramita"]
    citizen = account(demo_app, "ciudadano@demo.gob.mx").actor()
    services.cases.start(KEY, StartCase(at=utcnow(), actor=citizen))  # a draft on v1
    file_with_examples(services, KEY, citizen)  # filed on v1
    edit_draft(demo_app, retitle("Licencia v2"))
    catalog(demo_app).publish(KEY, Editor.operator(), "v2")
    services.cases.start(KEY, StartCase(at=utcnow(), actor=citizen))  # a draft on v2
    assert catalog(demo_app).cases_in_flight(KEY) == {1: InFlight(1, 1), 2: InFlight(0, 1)}
    assert catalog(demo_app).cases_in_flight(OTHER) == {}
    page = as_user(demo_app, LIAISON).get(HISTORY).get_data(as_text=True)
    assert "Los expedientes en curso siguen con la versión con la que empezaron" in page
    assert "1 expediente" in page and "1 borrador de ciudadano" in page


def test_another_departments_procedure_is_not_found(app: Flask) -> None:
    web = as_user(app, LIAISON)
    token = csrf_from(web.get(PUBLISH).get_data(as_text=True))
    base = f"/configurador/{OTHER}"
    assert web.get(f"{base}/publicar").status_code == 404
    assert web.post(f"{base}/publicar", data={"csrf_token": token, "note": "x"}).status_code == 404
    assert web.get(f"{base}/versiones").status_code == 404
    assert web.get(f"{base}/versiones/comparar?de=1&a=1").status_code == 404
    restore = {"csrf_token": token, "number": "1", "note": "x"}
    assert web.post(f"{base}/versiones/restaurar", data=restore).status_code == 404
    assert web.get("/configurador/aprobaciones").status_code == 404  # liaisons do not approve
    assert as_user(app, ADMIN).get(f"{base}/versiones").status_code == 200


def test_four_eyes_a_liaisons_publication_waits_for_the_director(app: Flask) -> None:
    store = app.extensions["tramita"].settings_store
    admin = account(app, ADMIN)
    store.update({FOUR_EYES: True}, actor_id=str(admin.id), actor_name=admin.name)
    before = catalog(app).info(KEY).latest_version
    assert before is not None
    edit_draft(app, retitle("Licencia con cuatro ojos"))
    requested_revision = catalog(app).info(KEY).draft_revision
    liaison = as_user(app, LIAISON)
    page = liaison.get(PUBLISH).get_data(as_text=True)
    assert "Solicitar aprobación para publicar" in page
    asked = post_publish(liaison, "Cambio de nombre <script>")
    assert asked.status_code == 302
    assert catalog(app).info(KEY).latest_version == before  # nothing published yet
    page = liaison.get(PUBLISH).get_data(as_text=True)
    assert "Solicitud de publicación pendiente" in page and "&lt;script&gt;" in page
    token = csrf_from(page)
    refused = liaison.post(
        f"{HISTORY}/restaurar", data={"csrf_token": token, "number": before, "note": "Atrás"}
    )
    assert refused.status_code == 302
    assert "sólo una persona administradora puede restaurar" in liaison.get(HISTORY).get_data(
        as_text=True
    )
    assert catalog(app).info(KEY).latest_version == before

    # the draft moves on after the request: what is approved is what was asked for
    edit_draft(app, retitle("Otro nombre posterior"))
    (pending,) = catalog(app).publication_requests(key=KEY)
    detail = f"/configurador/{KEY}/aprobaciones/{pending.id}"

    director = as_user(app, DIRECTOR)
    assert director.get("/configurador/").status_code == 404  # only the approval pages
    assert director.get(PUBLISH).status_code == 404
    listing = director.get("/configurador/aprobaciones").get_data(as_text=True)
    assert detail in listing
    inbox = director.get("/bandeja").get_data(as_text=True)
    assert "1 publicación de un trámite espera su aprobación" in inbox
    assert "espera su aprobación" not in as_user(app, OTHER_DIRECTOR).get("/bandeja").get_data(
        as_text=True
    )
    assert as_user(app, OTHER_DIRECTOR).get(detail).status_code == 404
    assert detail not in as_user(app, OTHER_DIRECTOR).get("/configurador/aprobaciones").get_data(
        as_text=True
    )
    assert as_user(app, "ciudadano@demo.gob.mx").get(detail).status_code == 404
    assert as_user(app, "revisora@demo.gob.mx").get(detail).status_code == 404  # no director
    page = director.get(detail).get_data(as_text=True)
    assert "Licencia con cuatro ojos" in page and "Otro nombre posterior" not in page
    assert "El borrador cambió después de la solicitud" in page
    assert "Aprobar y publicar" in page

    token = csrf_from(page)
    no_reason = director.post(detail, data={"csrf_token": token, "decision": "reject"})
    assert no_reason.status_code == 422 and "motivo" in no_reason.get_data(as_text=True)
    approved = director.post(detail, data={"csrf_token": token, "decision": "approve"})
    assert approved.status_code == 302
    version = catalog(app).version(KEY)
    assert version.number == before + 1
    assert version.definition["title"]["es"] == "Licencia con cuatro ojos"
    assert catalog(app).info(KEY).state == "live_with_draft"
    assert catalog(app).publication_request(pending.id).version_number == version.number
    assert director.post(detail, data={"csrf_token": token, "decision": "approve"}).status_code in (
        200,
        422,
    )
    assert catalog(app).version(KEY).number == before + 1  # decided once
    history = liaison.get(HISTORY).get_data(as_text=True)
    assert "a solicitud de Enlace Desarrollo Económico" in history
    actions = [(a, d.get("draft_revision")) for a, _who, d in audit_actions(app)[-2:]]
    assert actions == [
        ("template.publication_requested", requested_revision),
        ("template.published", requested_revision),
    ]


def test_four_eyes_rejection_reaches_the_liaison(app: Flask) -> None:
    store = app.extensions["tramita"].settings_store
    admin = account(app, ADMIN)
    store.update({FOUR_EYES: True}, actor_id=str(admin.id), actor_name=admin.name)
    edit_draft(app, retitle("Nombre dudoso"))
    liaison = as_user(app, LIAISON)
    assert post_publish(liaison, "Por favor").status_code == 302
    (pending,) = catalog(app).publication_requests(key=KEY)
    detail = f"/configurador/{KEY}/aprobaciones/{pending.id}"
    web = as_user(app, ADMIN)
    assert 'href="/configurador/aprobaciones"' in web.get("/admin/conectores").get_data(
        as_text=True
    )  # the administration's side navigation
    token = csrf_from(web.get(detail).get_data(as_text=True))
    rejected = web.post(
        detail, data={"csrf_token": token, "decision": "reject", "reason": "Falta el inglés"}
    )
    assert rejected.status_code == 302
    page = liaison.get(PUBLISH).get_data(as_text=True)
    assert "La última solicitud fue rechazada" in page and "Falta el inglés" in page
    assert audit_actions(app)[-1][0] == "template.publication_rejected"
    # an administrator publishes directly even with the rule on
    assert post_publish(web, "Lo publico yo").status_code == 302
    assert catalog(app).publications(KEY)[0].note == "Lo publico yo"


def test_publication_requests_in_the_catalog(demo_app: Flask) -> None:
    """The four-eyes storage and its rules on each database."""
    store = catalog(demo_app)
    ids = {e: Editor(account(demo_app, e).id) for e in (LIAISON, ADMIN, DIRECTOR, OTHER_DIRECTOR)}
    edit_draft(demo_app, retitle("Pedida"))
    seen = store.info(KEY).draft_revision
    with pytest.raises(NoteRequiredError):
        store.request_publication(KEY, ids[LIAISON], " ")
    with pytest.raises(RevisionConflictError):
        store.request_publication(KEY, ids[LIAISON], "Nota", revision=seen - 1)
    first = store.request_publication(KEY, ids[LIAISON], "Primera", revision=seen)
    second = store.request_publication(KEY, ids[LIAISON], "Segunda")
    assert store.publication_request(first.id).status == "superseded"
    assert [r.id for r in store.publication_requests(departments=["desarrollo-economico"])] == [
        second.id
    ]
    assert store.publication_requests(departments=["proteccion-civil"]) == []
    with pytest.raises(TemplateForbiddenError):
        store.decide_publication(second.id, ids[OTHER_DIRECTOR], approve=True)
    with pytest.raises(TemplateForbiddenError):
        store.decide_publication(second.id, ids[LIAISON], approve=True)
    with pytest.raises(RequestDecidedError):
        store.decide_publication(first.id, ids[DIRECTOR], approve=True)
    done = store.decide_publication(second.id, ids[DIRECTOR], approve=True)
    assert (done.status, done.version_number, done.decided_by_name) == (
        "approved",
        2,
        "Funcionario Desarrollo Económico",
    )
    assert store.publications(KEY)[0].published_by == "Funcionario Desarrollo Económico"
    assert store.decided_requests(KEY)[0].id == second.id
    edit_draft(demo_app, retitle("Del administrador"), email=ADMIN)
    own = store.request_publication(KEY, ids[ADMIN], "Mía")
    with pytest.raises(OwnRequestError):
        store.decide_publication(own.id, ids[ADMIN], approve=False, reason="No")
    with pytest.raises(RevisionConflictError):
        store.publish(KEY, ids[ADMIN], "Vieja", revision=seen)
