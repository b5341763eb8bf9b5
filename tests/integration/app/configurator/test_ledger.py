"""The municipal register page («Padrón municipal») through HTTP as the liaison of the
licence's department: the reference's register shown in the pickers, saved back unchanged
from the form; each picker kind (a field, the folio, «depends on a condition» whose
condition is then built on its own page); attributes added and removed; a recurring amount
from a fee table; a bad attribute name refused in Spanish with nothing saved; the whole
block removed and brought back with undo; another department's liaison gets 404; a
problem of the register links to this page, where a value the pickers cannot show is
shown read-only and kept."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.paths import EXAMPLES
from tests.helpers.web import csrf_from, login
from workflow_engine.persistence.platform.catalog import Catalog, Editor

LIAISON = "enlace@demo.gob.mx"
OTHER = "/configurador/permiso-construccion/padron"  # desarrollo-urbano's
KEY = "licencia-funcionamiento"
PAGE = f"/configurador/{KEY}/padron"
REFERENCE = json.loads((EXAMPLES / "licencia-funcionamiento.json").read_text(encoding="utf-8"))


def _ledger(app: Flask) -> Any:
    return app.extensions["tramita"].catalog.draft(KEY).get("ledger")


def _form(web: FlaskClient, path: str = PAGE) -> dict[str, str]:
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _reference_form() -> dict[str, str]:
    """The form as the liaison fills it for the reference's register."""
    return {
        "action": "save",
        "kind": "business",
        "key-source": "folio",
        "description-source": "field",
        "description-field": "nombre_comercial",
        "rfc-source": "field",
        "rfc-field": "rfc",
        "curp-source": "field",
        "curp-field": "curp",
        "name-source": "if",
        "name-then": "razon_social",
        "name-else": "nombre_solicitante",
        "attr_count": "3",
        "attr-0-name": "giro",
        "attr-0-field": "giro",
        "attr-1-name": "superficie_m2",
        "attr-1-field": "superficie_m2",
        "attr-2-name": "vende_alcohol",
        "attr-2-field": "vende_alcohol",
        "recurring": "1",
        "concept": "Refrendo anual de licencia de funcionamiento",
        "f-0": "table:tarifa_giro:giro",
        "currency": "MXN",
        "due_month": "3",
        "due_day": "31",
    }


def test_the_page_shows_the_reference_register(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(PAGE).get_data(as_text=True)
    assert "Padrón municipal" in page
    assert '<option value="business" selected>Negocio</option>' in page
    assert 'id="key-source-folio" name="key-source" value="folio" checked' in page
    assert 'id="name-source-if" name="name-source" value="if" checked' in page
    assert "Tipo de persona" in page  # the condition in words
    assert 'value="table:tarifa_giro:giro" selected' in page
    overview = web.get(f"/configurador/{KEY}/").get_data(as_text=True)
    assert f'href="{PAGE}"' in overview


def test_the_form_saves_the_reference_register_back_unchanged(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    saved = web.post(PAGE, data={**_form(web), **_reference_form()})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    assert _ledger(app) == REFERENCE["ledger"]


def test_each_picker_kind_and_a_new_condition(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    data = {
        **_reference_form(),
        "key-source": "field",
        "key-field": "rfc",
        "description-source": "folio",
        "rfc-source": "none",
        "curp-source": "if",
        "curp-then": "curp",
        "curp-else": "rfc",
    }
    saved = web.post(PAGE, data={**_form(web), **data})
    assert saved.headers["Location"].endswith("/padron?condicion=curp")
    register = _ledger(app)["register"]
    assert register["key"] == {"var": "rfc"}
    assert register["description"] == {"var": "$case.folio"}
    assert "rfc" not in register
    assert register["curp"] == {"if": [True, {"var": "curp"}, {"var": "rfc"}]}
    builder = f"{PAGE}?condicion=curp"
    assert "Condición de «CURP del titular»" in web.get(builder).get_data(as_text=True)
    done = web.post(
        builder,
        data={
            **_form(web, builder),
            "row_count": "1",
            "join": "all",
            "row-0-field": "tipo_persona",
            "row-0-op": "is",
            "row-0-value": "fisica",
            "cond_action": "save",
        },
    )
    assert done.status_code == 302, done.get_data(as_text=True)[:3000]
    assert _ledger(app)["register"]["curp"] == {
        "if": [{"==": [{"var": "tipo_persona"}, "fisica"]}, {"var": "curp"}, {"var": "rfc"}]
    }


def test_attributes_are_added_and_removed(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    data = {**_reference_form(), "attr_count": "4", "attr-3-name": "empleados"}
    data["attr-3-field"] = "empleados"
    web.post(PAGE, data={**_form(web), **data})
    assert _ledger(app)["register"]["attributes"]["empleados"] == {"var": "empleados"}
    web.post(PAGE, data={**_form(web), **data, "remove_attr": "0"})
    assert list(_ledger(app)["register"]["attributes"]) == [
        "superficie_m2",
        "vende_alcohol",
        "empleados",
    ]


def test_a_fixed_recurring_amount_and_no_recurring_charge(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    data = {**_reference_form(), "f-0": "number", "f-0-number": "1200.50"}
    web.post(PAGE, data={**_form(web), **data})
    assert _ledger(app)["register"]["recurring"]["amount"] == "1200.50"
    data.pop("recurring")
    web.post(PAGE, data={**_form(web), **data})
    assert "recurring" not in _ledger(app)["register"]


def test_bad_input_is_refused_in_spanish_and_nothing_is_saved(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    before = _ledger(app)
    refused = web.post(
        PAGE, data={**_form(web), **_reference_form(), "attr-0-name": "Giro Comercial"}
    )
    assert refused.status_code == 422
    assert "no sirve como nombre de dato" in refused.get_data(as_text=True)
    refused = web.post(PAGE, data={**_form(web), **_reference_form(), "due_month": "13"})
    assert refused.status_code == 422
    assert "Escriba un número entero de 1 a 12." in refused.get_data(as_text=True)
    assert _ledger(app) == before


def test_removed_then_undone(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    removed = web.post(PAGE, data={**_form(web), "action": "remove"}, follow_redirects=True)
    assert "ya no registra nada en el padrón" in removed.get_data(as_text=True)
    assert _ledger(app) is None
    undone = web.post(
        f"/configurador/{KEY}/deshacer", data={**_form(web), "next": PAGE}, follow_redirects=True
    )
    assert "Se deshizo el cambio" in undone.get_data(as_text=True)
    assert _ledger(app) == REFERENCE["ledger"]


def test_another_department_gets_not_found(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    assert web.get(OTHER).status_code == 404
    assert web.get(f"{OTHER}?condicion=name").status_code == 404
    token = _form(web)
    assert web.post(OTHER, data={**token, "action": "remove"}).status_code == 404


def test_a_register_problem_links_to_this_page(app: Flask) -> None:
    catalog: Catalog = app.extensions["tramita"].catalog
    doc = copy.deepcopy(catalog.draft(KEY))
    doc["ledger"]["register"]["rfc"] = {"var": "no_existe"}
    catalog.save_revision(doc, by=Editor.operator(), base=catalog.info(KEY).draft_revision)
    web = login(app.test_client(), LIAISON)
    problems = web.get(f"/configurador/{KEY}/problemas").get_data(as_text=True)
    errors = problems.split('id="avisos"')[0]
    assert f'href="{PAGE}"' in errors
    assert "Padrón municipal" in errors
    page = web.get(PAGE).get_data(as_text=True)
    assert 'id="rfc-source-advanced" name="rfc-source" value="advanced" checked' in page
    assert "no_existe" in page  # shown read-only, kept on save
    web.post(PAGE, data={**_form(web), **_reference_form(), "rfc-source": "advanced"})
    assert _ledger(app)["register"]["rfc"] == {"var": "no_existe"}


def test_the_condition_page_of_a_value_that_is_not_conditional_goes_back(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    for name in ("rfc", "nope"):
        response = web.get(f"{PAGE}?condicion={name}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/padron")
