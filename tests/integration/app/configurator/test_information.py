"""The information page of the configurator: every catalog field in one form, saved as a new
revision; the validator's problems beside their inputs and in an error summary; repeating
lists with add and remove buttons (no script); a stale form refused naming who saved."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import account, csrf_from, login
from workflow_engine.persistence.platform.catalog import Catalog, Editor

LIAISON = "enlace@demo.gob.mx"  # desarrollo-economico
OWN = "licencia-funcionamiento"
OTHER = "permiso-construccion"
PAGE = f"/configurador/{OWN}/informacion"
_INPUT = re.compile(r'<(input|textarea|select)[^>]*\bname="([^"]+)"[^>]*>', re.S)


def catalog(app: Flask) -> Catalog:
    found: Catalog = app.extensions["tramita"].catalog
    return found


def form_of(html: str) -> dict[str, str]:
    """The information form's fields as the browser would send them (selected options,
    textarea contents, input values)."""
    out: dict[str, str] = {}
    for match in _INPUT.finditer(html):
        tag, name = match.group(1), match.group(2)
        if name in ("quitar", "agregar") or 'type="file"' in match.group(0):
            continue
        rest = html[match.end() :]
        if tag == "textarea":
            out[name] = rest[: rest.index("</textarea>")]
        elif tag == "select":
            options = rest[: rest.index("</select>")]
            chosen = re.search(r'<option value="([^"]*)" selected', options)
            out[name] = chosen.group(1) if chosen else ""
        else:
            value = re.search(r'value="([^"]*)"', match.group(0))
            out[name] = value.group(1) if value else ""
    return {
        k: v.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
        for k, v in out.items()
    }


def open_form(web: FlaskClient, path: str = PAGE) -> dict[str, str]:
    html = web.get(path).get_data(as_text=True)
    return {**form_of(html), "csrf_token": csrf_from(html)}


def save(web: FlaskClient, data: dict[str, Any], path: str = PAGE) -> Any:
    return web.post(path, data=data)


def test_the_page_shows_every_catalog_field_of_the_draft(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    form = open_form(web)
    assert form["title-es"] == "Licencia de funcionamiento de negocio"
    assert form["title-en"] == "Business operating licence"
    assert form["homoclave"] == "CHO-DE-001"
    assert form["max_response_days"] == "10" and form["ficta"] == "afirmativa"
    assert form["response_deadline"] == "ficta"
    assert form["legal_basis-2-es"].startswith("Ley de Ingresos")
    assert form["requirements-0-name-es"] == "Identificación oficial vigente"
    assert form["requirements-0-field"] == "doc_identificacion"
    assert form["requirements-4-original_copy"] == "original"
    assert form["offices-0-address"].startswith("Av. Independencia 1")
    assert form["contact-url"] == "https://tramites.chocotlan.gob.mx"
    assert "SARE" in form["keywords"].splitlines()
    assert form["revision"] == "1"


def test_saving_changes_the_draft_as_a_new_revision(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    form = open_form(web)
    form.update(
        {
            "summary-en": "",
            "keywords": "negocio\nlicencia, comercio\nnegocio",
            "validity-es": "Dos años",
            "validity-en": "Two years",
            "max_response_days": "15",
            "ficta": "negativa",
            "response_deadline": "",
            "contact-phone": "",
            "homoclave": "cho-de-002",
        }
    )
    response = save(web, form)
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    doc = catalog(app).draft(OWN)
    assert doc["summary"] == {"es": form["summary-es"]}
    assert doc["keywords"] == ["negocio", "licencia", "comercio"]
    assert doc["catalog"]["validity"] == {"es": "Dos años", "en": "Two years"}
    assert doc["catalog"]["max_response_days"] == 15
    assert doc["catalog"]["ficta"] == "negativa" and "response_deadline" not in doc
    assert doc["catalog"]["homoclave"] == "CHO-DE-002"
    assert "phone" not in doc["catalog"]["contact"]
    assert len(doc["catalog"]["requirements"]) == 5 and len(doc["steps"]) == 12
    assert catalog(app).info(OWN).draft_revision == 2
    assert catalog(app).info(OWN).state == "live_with_draft"
    assert "Se guardó la información del trámite." in web.get(PAGE).get_data(as_text=True)


def test_problems_are_shown_beside_their_inputs_and_in_a_summary(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    form = open_form(web)
    form.update({"homoclave": "mal", "max_response_days": "diez", "modality-es": ""})
    form["modality-en"] = ""
    assert save(web, form).status_code == 302  # a draft is saved even with errors
    doc = catalog(app).draft(OWN)
    assert doc["catalog"]["max_response_days"] == "diez"  # kept as typed, to correct
    page = web.get(PAGE).get_data(as_text=True)
    assert "Falta completar o corregir 3 datos" in page
    assert 'href="#homoclave"' in page and 'href="#max_response_days"' in page
    assert 'href="#modality-es"' in page and "Modalidad: Falta este dato." in page
    assert (
        'id="homoclave-error"' in page
        and 'aria-describedby="homoclave-hint homoclave-error"' in page
    )
    assert "CHO-DE-001" in page  # the format's example, in the validator's message
    assert 'value="diez"' in page
    english = web.get(PAGE + "?lang=en").get_data(as_text=True)
    assert "Modality: This is missing." in english


def test_rows_are_added_and_removed_with_buttons_that_save(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    form = open_form(web)
    response = save(web, {**form, "agregar": "requirements"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"{PAGE}?agregar=requirements#requirements-5-name-es"
    )
    form = open_form(web, f"{PAGE}?agregar=requirements")
    assert form["requirements-5-name-es"] == "" and "requirements-6-name-es" not in form
    form.update(
        {"requirements-5-name-es": "Croquis de ubicación", "requirements-5-original_copy": "copy"}
    )
    assert save(web, form).status_code == 302
    added = catalog(app).draft(OWN)["catalog"]["requirements"][5]
    assert added == {
        "id": "croquis_de_ubicacion",
        "name": {"es": "Croquis de ubicación"},
        "original_copy": "copy",
    }

    form = open_form(web)
    response = save(web, {**form, "quitar": "requirements-0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#requirements")
    ids = [r["id"] for r in catalog(app).draft(OWN)["catalog"]["requirements"]]
    assert ids[0] == "comprobante_domicilio" and len(ids) == 5

    form = open_form(web)
    assert save(web, {**form, "quitar": "offices-0"}).status_code == 302
    assert "offices" not in catalog(app).draft(OWN)["catalog"]
    form = open_form(web, f"{PAGE}?agregar=offices")
    assert form["offices-0-address"] == ""
    assert save(web, {**form, "agregar": "legal_basis"}).status_code == 302
    assert "offices" not in catalog(app).draft(OWN)["catalog"]  # an empty row is no office
    assert save(web, {**form, "quitar": "../x"}).status_code == 400
    assert save(web, {**form, "agregar": "steps"}).status_code == 400


def test_a_stale_form_is_not_saved_and_names_who_saved_in_between(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    form = open_form(web)
    other = catalog(app).draft(OWN)
    other["keywords"] = ["otra"]
    admin_id = account(app, "admin@demo.gob.mx").id
    catalog(app).save_revision(other, by=Editor(admin_id), base=1)
    form["validity-es"] = "Tres años"
    response = save(web, form)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "no se sobrescribió" in page and "revisión 2" in page
    assert 'value="Tres años"' in page  # what was typed stays on the page
    assert 'name="revision" value="2"' in page
    doc = catalog(app).draft(OWN)
    assert doc["keywords"] == ["otra"] and doc["catalog"]["validity"]["es"] != "Tres años"


def test_another_departments_information_does_not_exist(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    token = csrf_from(web.get(PAGE).get_data(as_text=True))
    assert web.get(f"/configurador/{OTHER}/informacion").status_code == 404
    response = web.post(
        f"/configurador/{OTHER}/informacion", data={"csrf_token": token, "revision": "1"}
    )
    assert response.status_code == 404
    assert web.post(PAGE, data={"revision": "1"}).status_code == 400  # no CSRF token
