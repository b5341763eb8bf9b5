"""The configurator's problems panel: every error and warning of the draft in plain language,
errors first, each saying where it is and linking to the page (and input) that fixes it."""

from __future__ import annotations

import copy

from flask import Flask

from tests.helpers.web import login
from workflow_engine.persistence.platform.catalog import Catalog, Editor

LIAISON = "enlace@demo.gob.mx"  # desarrollo-economico
OWN = "licencia-funcionamiento"
OTHER = "permiso-construccion"
PAGE = f"/configurador/{OWN}/problemas"


def break_draft(app: Flask) -> None:
    catalog: Catalog = app.extensions["tramita"].catalog
    doc = copy.deepcopy(catalog.draft(OWN))
    doc["catalog"]["homoclave"] = "mal"
    doc["catalog"]["requirements"][1]["name"] = {"en": "Proof of address"}
    doc["steps"][2]["fields"][0]["type"] = "nope"
    doc["steps"][5]["fee_lines"][0]["amount"] = {"var": "no_existe"}
    catalog.save_revision(doc, by=Editor.operator(), base=catalog.info(OWN).draft_revision)


def test_errors_come_first_each_linking_to_where_it_is_fixed(app: Flask) -> None:
    break_draft(app)
    web = login(app.test_client(), LIAISON)
    page = web.get(PAGE).get_data(as_text=True)
    assert "Mientras haya errores, el borrador no se puede publicar." in page
    errors, warnings = page.split('id="avisos"')
    assert "El paso «negocio» no tiene descripción." in warnings
    assert "formato esperado" in errors  # the homoclave
    assert f'href="/configurador/{OWN}/informacion#homoclave"' in errors
    assert f'href="/configurador/{OWN}/informacion#requirements-1-name-es"' in errors
    assert "Información del trámite · Requisito 2" in errors
    # A field: its own page when the field editor exists, else its step's page at the field.
    field_link = (
        f"/configurador/{OWN}/pasos/documentos/campos/doc_identificacion"
        if "configurator.field" in app.view_functions
        else f"/configurador/{OWN}/pasos/documentos#campo-doc_identificacion"
    )
    assert f'href="{field_link}"' in errors
    assert "Pasos y preguntas · paso «Documentos» · pregunta «Identificación oficial»" in errors
    assert f'href="/configurador/{OWN}/pasos/pago"' in errors
    assert "Pagos y tarifas · paso «Pago de derechos»" in errors
    assert f'href="/configurador/{OWN}/pasos/negocio"' in warnings
    overview = web.get(f"/configurador/{OWN}/").get_data(as_text=True)
    assert "Con problemas" in overview and "antes de publicar" in overview


def test_messages_are_in_the_readers_language(app: Flask) -> None:
    break_draft(app)
    web = login(app.test_client(), LIAISON)
    page = web.get(PAGE + "?lang=en").get_data(as_text=True)
    assert "While there are errors, the draft cannot be published." in page
    assert "has no description" in page and "no tiene descripción" not in page
    assert "Information about the procedure · Requirement 2" in page


def test_a_draft_without_errors_says_it_can_be_published(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(PAGE).get_data(as_text=True)
    assert "Ningún error impide publicar el borrador." in page
    assert "1 aviso" in page and 'id="errores"' not in page


def test_another_departments_problems_do_not_exist(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    assert web.get(f"/configurador/{OTHER}/problemas").status_code == 404


def test_a_malformed_imported_draft_still_opens_on_every_page(app: Flask) -> None:
    catalog: Catalog = app.extensions["tramita"].catalog
    doc = {
        "key": "importado-roto",
        "department": "desarrollo-economico",
        "title": "sin idiomas",
        "catalog": "nada",
        "keywords": 7,
        "steps": [3, {"id": "x", "type": "form", "fields": "no"}, {"type": "payment"}],
    }
    catalog.save_revision(doc, by=Editor.operator(), base=0)
    web = login(app.test_client(), LIAISON)
    for path in ("/configurador/", "/configurador/importado-roto/"):
        assert web.get(path).status_code == 200, path
    page = web.get("/configurador/importado-roto/problemas").get_data(as_text=True)
    assert "Mientras haya errores" in page
    html = web.get("/configurador/importado-roto/informacion").get_data(as_text=True)
    assert "Falta completar o corregir" in html
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    data = {"csrf_token": token, "revision": "1", "title-es": "Ya con nombre"}
    assert web.post("/configurador/importado-roto/informacion", data=data).status_code == 302
    saved = catalog.draft("importado-roto")
    assert saved["title"] == {"es": "Ya con nombre"} and saved["steps"] == doc["steps"]
