"""Undo of the last changes on the configurator's steps page, through HTTP as the liaison of
the licence's department: a change then undo puts the previous draft back as a new revision
(history kept, who and when said), undoing again goes further back, a stale undo is refused
naming who saved, another department's procedure is not found."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"
FIELD = f"{BASE}/pasos/negocio/campos/nombre_comercial"


def _catalog(app: Flask) -> Any:
    return app.extensions["tramita"].catalog


def _form(web: FlaskClient, path: str) -> dict[str, str]:
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _label(app: Flask) -> str:
    step = next(s for s in _catalog(app).draft(KEY)["steps"] if s["id"] == "negocio")
    fld = next(f for f in step["fields"] if f["id"] == "nombre_comercial")
    return str(fld["label"]["es"])


def _rename(web: FlaskClient, label: str) -> None:
    page = web.post(
        FIELD,
        data={**_form(web, FIELD), "part": "basics", "label_es": label, "required": "1"},
        follow_redirects=True,
    )
    assert "Se guardó el campo" in page.get_data(as_text=True)


def _undo(web: FlaskClient, form: dict[str, str] | None = None) -> str:
    data = form or _form(web, f"{BASE}/pasos")
    page = web.post(f"{BASE}/deshacer", data=data, follow_redirects=True)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_undo_restores_the_previous_draft_as_a_new_revision(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    original = _catalog(app).draft(KEY)
    before = _catalog(app).info(KEY).draft_revision
    _rename(web, "Nombre del negocio")
    assert _label(app) == "Nombre del negocio"

    steps = web.get(f"{BASE}/pasos").get_data(as_text=True)
    assert "Cambios recientes" in steps and "Deshacer el último cambio" in steps
    assert f"Revisión {before + 1}:" in steps

    text = _undo(web)
    assert "Se deshizo el cambio que guardó" in text
    assert f"revisión {before}" in text  # back to how it was
    assert _catalog(app).draft(KEY) == original
    revisions = _catalog(app).revisions(KEY)
    assert [r.number for r in revisions[:3]] == [before + 2, before + 1, before]
    assert revisions[0].restored == before
    assert "deshizo un cambio" in text  # the list says which revision was an undo


def test_repeated_undo_goes_further_back(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    original = _label(app)
    _rename(web, "Primer nombre")
    _rename(web, "Segundo nombre")
    _undo(web)
    assert _label(app) == "Primer nombre"
    _undo(web)
    assert _label(app) == original
    # nothing is lost: every step is a revision of its own
    labels = [r.number for r in _catalog(app).revisions(KEY)]
    assert labels == sorted(labels, reverse=True) and len(labels) >= 5


def test_a_stale_undo_is_refused_naming_who_saved(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    admin = login(app.test_client(), "admin@demo.gob.mx")
    _rename(web, "Nombre del negocio")
    stale = _form(web, f"{BASE}/pasos")
    _rename(admin, "Cambio del administrador")
    text = _undo(web, stale)
    assert "usa-alert--error" in text and "admin" in text.lower()
    assert "no se sobrescribió" in text
    assert _label(app) == "Cambio del administrador"


def test_nothing_to_undo_on_a_first_revision(app: Flask) -> None:
    catalog = _catalog(app)
    doc = {**catalog.draft(KEY), "key": "licencia-copia-undo"}
    doc["catalog"] = {**doc["catalog"], "homoclave": "CHO-DE-998"}
    catalog.save_draft(doc)
    web = login(app.test_client(), LIAISON)
    steps = web.get("/configurador/licencia-copia-undo/pasos").get_data(as_text=True)
    assert "Deshacer el último cambio" not in steps
    form = {**_form(web, "/configurador/licencia-copia-undo/pasos")}
    page = web.post("/configurador/licencia-copia-undo/deshacer", data=form, follow_redirects=True)
    assert "No hay un cambio anterior que deshacer" in page.get_data(as_text=True)


def test_another_department_gets_not_found(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    other = "/configurador/permiso-construccion"
    token = _form(web, f"{BASE}/pasos")
    before = _catalog(app).info("permiso-construccion").draft_revision
    assert web.post(f"{other}/deshacer", data=token).status_code == 404
    assert _catalog(app).info("permiso-construccion").draft_revision == before


def test_english_page_shows_english(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    _rename(web, "Nombre del negocio")
    html = web.get(f"{BASE}/pasos?lang=en").get_data(as_text=True)
    assert "Recent changes" in html and "Undo the last change" in html


EDITOR_PAGES = (
    "/",
    "/informacion",
    "/pasos",
    "/pasos/negocio",
    "/pasos/negocio/campos/nombre_comercial",
    "/pasos/revision_conjunta",
    "/pasos/pago",
    "/pasos/pago/cobros/derecho_giro",
    "/pasos/emision",
    "/pasos/aviso",
    "/pasos/aprobada",
    "/diagrama",
    "/problemas",
    "/vista-previa",
    "/constantes",
    "/tarifas/tarifa_giro",
    "/prueba",
    "/prueba/respuestas-de-ejemplo",
    "/padron",
    "/publicar",
    "/versiones",
)


def test_every_editor_page_has_the_recent_changes_and_the_undo_form(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    _rename(web, "Nombre del negocio")  # two revisions: undo is offered
    for path in EDITOR_PAGES:
        page = web.get(BASE + path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert html.count('id="cambios-recientes"') == 1, path
        assert f'action="{BASE}/deshacer"' in html, path
        assert f'name="next" value="{BASE}{path}"' in html, path


def test_undo_goes_back_to_the_page_it_was_on(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    original = _label(app)
    _rename(web, "Nombre del negocio")
    response = web.post(f"{BASE}/deshacer", data={**_form(web, FIELD), "next": FIELD})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{FIELD}#cambios-recientes"
    assert _label(app) == original
    assert "Se deshizo el cambio" in web.get(FIELD).get_data(as_text=True)


def test_undo_of_what_the_page_edits_goes_to_the_nearest_page_left(app: Flask) -> None:
    """Undoing the step just added, from that step's page, lands on the steps list; a
    `next` outside this procedure's editor is not followed."""
    web = login(app.test_client(), LIAISON)
    steps = f"{BASE}/pasos"
    web.post(steps, data={**_form(web, steps), "type": "notify", "title_es": "Aviso extra"})
    page = f"{BASE}/pasos/aviso_extra"
    assert web.get(page).status_code == 200
    response = web.post(f"{BASE}/deshacer", data={**_form(web, page), "next": page})
    assert response.headers["Location"] == f"{steps}#cambios-recientes"
    assert web.get(page).status_code == 404
    _rename(web, "Otro nombre")
    for outside in ("https://example.com/", "/configurador/otro-tramite/pasos", "//evil/x"):
        response = web.post(f"{BASE}/deshacer", data={**_form(web, FIELD), "next": outside})
        assert response.headers["Location"] == f"{steps}#cambios-recientes"
        _rename(web, "Otro nombre más")
