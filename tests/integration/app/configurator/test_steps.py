"""The configurator's steps page, the form step's page and a field's page, through HTTP as the
liaison of the licence's department: steps added, moved and removed, a field of every type
from the palette, options, pasted option lists, a repeating group's sub-field, a show-if
condition built from rows, a stale revision and another department's procedure."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login
from workflow_engine.templates.field_types import REGISTRY
from workflow_engine.templates.step_types import STEP_TYPES

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"


def _draft(app: Flask) -> dict[str, Any]:
    draft: dict[str, Any] = app.extensions["tramita"].catalog.draft(KEY)
    return draft


def _step(app: Flask, step_id: str) -> dict[str, Any]:
    return next(s for s in _draft(app)["steps"] if s["id"] == step_id)


def _field(app: Flask, field_id: str) -> dict[str, Any]:
    for step in _draft(app)["steps"]:
        for fld in step.get("fields") or ():
            if fld["id"] == field_id:
                return dict(fld)
            for sub in fld.get("fields") or ():
                if sub["id"] == field_id:
                    return dict(sub)
    raise AssertionError(f"no field {field_id}")


def _form(web: FlaskClient, path: str) -> dict[str, str]:
    """The CSRF token and draft revision the page's forms post."""
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _post(web: FlaskClient, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    return web.post(path, data={**_form(web, page or path), **data}, follow_redirects=True)


def _liaison(app: Flask) -> FlaskClient:
    return login(app.test_client(), LIAISON)


def _step_ids(app: Flask) -> list[str]:
    return [s["id"] for s in _draft(app)["steps"]]


def test_steps_listed_in_order_with_type_and_links(app: Flask) -> None:
    web = _liaison(app)
    html = web.get(f"{BASE}/pasos").get_data(as_text=True)
    assert "Pasos y preguntas" in html
    positions = [html.index(f'id="paso-{step_id}"') for step_id in _step_ids(app)]
    assert positions == sorted(positions)
    assert f'href="{BASE}/pasos/negocio"' in html
    assert "Revisión en paralelo" in html or "Formulario" in html
    for cls in STEP_TYPES.values():  # every registered step type can be added
        assert f'value="{cls.name}"' in html


def test_add_a_step_of_each_type_then_remove_one_after_confirming(app: Flask) -> None:
    web = _liaison(app)
    for type_name in STEP_TYPES:
        page = _post(web, f"{BASE}/pasos", {"type": type_name})
        assert page.status_code == 200
        assert "Se agregó el paso" in page.get_data(as_text=True)
    steps = _draft(app)["steps"]
    ends = [s for s in steps if s["type"] == "end"]
    assert steps[-len(ends) :] == ends  # new steps go before the end steps, an end at the end
    new_types = [s["type"] for s in steps[8:-5]]  # after the example's 8 steps before its ends
    assert new_types == [t for t in STEP_TYPES if t != "end"]
    assert steps[-1]["type"] == "end" and steps[-1]["title"]["es"] == STEP_TYPES["end"].label["es"]
    named = _post(web, f"{BASE}/pasos", {"type": "form", "title_es": "Datos del local"})
    assert "Datos del local" in named.get_data(as_text=True)
    assert _step(app, "datos_del_local")["title"] == {"es": "Datos del local"}

    confirm = web.get(f"{BASE}/pasos/datos_del_local/eliminar")
    assert confirm.status_code == 200
    assert "¿Eliminar el paso «Datos del local»?" in confirm.get_data(as_text=True)
    assert "datos_del_local" in _step_ids(app)  # asking removes nothing
    done = _post(web, f"{BASE}/pasos/datos_del_local/eliminar", {})
    assert "Se eliminó el paso «Datos del local»" in done.get_data(as_text=True)
    assert "datos_del_local" not in _step_ids(app)


def test_reorder_steps_with_buttons_and_by_index(app: Flask) -> None:
    web = _liaison(app)
    before = _step_ids(app)
    assert before[1:3] == ["negocio", "documentos"]
    page = _post(web, f"{BASE}/pasos/documentos/mover", {"direction": "up"}, f"{BASE}/pasos")
    assert "ahora es el paso 2 de" in page.get_data(as_text=True)
    assert _step_ids(app)[1:3] == ["documentos", "negocio"]
    _post(web, f"{BASE}/pasos/negocio/mover", {"index": "4"}, f"{BASE}/pasos")
    assert _step_ids(app).index("negocio") == 4
    # nothing may go before the start step: said, not saved
    refused = _post(web, f"{BASE}/pasos/documentos/mover", {"direction": "up"}, f"{BASE}/pasos")
    assert "antes del paso inicial" in refused.get_data(as_text=True)
    assert _step_ids(app)[0] == "solicitante"


def test_palette_offers_every_registry_type_and_adds_each(app: Flask) -> None:
    web = _liaison(app)
    html = web.get(f"{BASE}/pasos/negocio").get_data(as_text=True)
    for name, cls in REGISTRY.items():
        assert f'value="{name}"' in html, name
        assert cls.label["es"] in html
    assert 'id="campo-giro"' in html
    for name in REGISTRY:
        page = _post(
            web, f"{BASE}/pasos/negocio", {"action": "add_field", "type": name, "label_es": ""}
        )
        assert page.status_code == 200, name
        assert "Se agregó el campo" in page.get_data(as_text=True)
    added = [f["type"] for f in _step(app, "negocio")["fields"][-len(REGISTRY) :]]
    assert added == list(REGISTRY)


def test_field_label_help_required_and_type_options(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/negocio/campos/superficie_m2"
    html = web.get(path).get_data(as_text=True)
    for option in ("opt-min", "opt-max", "opt-integer"):  # the number type's own options
        assert f'name="{option}"' in html
    page = _post(
        web,
        path,
        {
            "part": "basics",
            "label_es": "Superficie del local (m²)",
            "label_en": "Floor area (m²)",
            "help_es": "Sin contar estacionamiento.",
            "required": "1",
            "opt-min": "1",
            "opt-max": "5000",
            "opt-integer": "true",
        },
    )
    assert "Se guardó el campo." in page.get_data(as_text=True)
    fld = _field(app, "superficie_m2")
    assert fld["label"] == {"es": "Superficie del local (m²)", "en": "Floor area (m²)"}
    assert fld["help"] == {"es": "Sin contar estacionamiento."}
    assert (fld["required"], fld["min"], fld["max"], fld["integer"]) == (True, 1, 5000, True)

    bad = _post(web, path, {"part": "basics", "label_es": "Superficie", "opt-min": "mucho"})
    assert bad.status_code == 422
    assert "no es un número" in bad.get_data(as_text=True)
    assert _field(app, "superficie_m2")["min"] == 1  # nothing saved


def test_change_type_says_what_was_dropped(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/negocio/campos/giro"
    page = _post(web, path, {"part": "type", "type": "text"})
    text = page.get_data(as_text=True)
    assert "Se cambió el tipo del campo." in text
    assert "La opción «options» no aplica" in text
    assert _field(app, "giro")["type"] == "text"


def test_pasted_option_list(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/negocio/campos/giro"
    pasted = "comercio | Comercio | Retail\nServicios profesionales\n\nVenta de alimentos\n"
    page = _post(web, path, {"part": "options", "options_text": pasted})
    assert "Se guardaron 3 opciones." in page.get_data(as_text=True)
    assert _field(app, "giro")["options"] == [
        {"value": "comercio", "label": {"es": "Comercio", "en": "Retail"}},
        {"value": "servicios_profesionales", "label": {"es": "Servicios profesionales"}},
        {"value": "venta_de_alimentos", "label": {"es": "Venta de alimentos"}},
    ]
    assert "servicios_profesionales | Servicios profesionales" in page.get_data(as_text=True)
    empty = _post(web, path, {"part": "options", "options_text": "  \n"})
    assert empty.status_code == 422


def test_repeating_group_sub_field(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/negocio/campos/socios"
    html = web.get(path).get_data(as_text=True)
    assert "Campos de cada fila" in html
    assert 'value="group"' not in html.split("Campos de cada fila")[1]  # no group in a group
    page = _post(web, path, {"action": "add_field", "type": "number", "label_es": "Aportación"})
    assert "Se agregó el campo «Aportación»" in page.get_data(as_text=True)
    assert [f["id"] for f in _field(app, "socios")["fields"]][-1] == "aportacion"
    sub = f"{BASE}/pasos/negocio/campos/aportacion"
    assert "Volver al grupo" in web.get(sub).get_data(as_text=True)
    _post(web, sub, {"part": "basics", "label_es": "Aportación (MXN)", "opt-min": "0"})
    assert _field(app, "aportacion")["label"] == {"es": "Aportación (MXN)"}
    _post(web, path, {"action": "move_field", "field": "aportacion", "direction": "up"})
    assert [f["id"] for f in _field(app, "socios")["fields"]][-2] == "aportacion"


def test_condition_built_from_rows_saved_and_read_back(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/negocio/campos/cuenta_uso_suelo"
    # without JS: add a row (page redrawn, nothing saved), then fill it and save
    added = _post(
        web,
        path,
        {"part": "condition", "row_count": "0", "new_field": "giro", "cond_action": "add_row"},
    )
    html = added.get_data(as_text=True)
    assert 'name="row-0-field"' in html and "es una de" in html
    assert "show_if" not in _field(app, "cuenta_uso_suelo")
    rows = {
        "part": "condition",
        "row_count": "2",
        "join": "any",
        "row-0-field": "giro",
        "row-0-op": "one_of",
        "row-0-value": ["comercio", "servicios"],
        "row-1-field": "superficie_m2",
        "row-1-op": "ge",
        "row-1-value": "100",
        "cond_action": "save",
    }
    page = _post(web, path, rows)
    assert "Se guardó la condición." in page.get_data(as_text=True)
    assert _field(app, "cuenta_uso_suelo")["show_if"] == {
        "or": [
            {"in": [{"var": "giro"}, ["comercio", "servicios"]]},
            {">=": [{"var": "superficie_m2"}, 100]},
        ]
    }
    shown = web.get(path).get_data(as_text=True)  # read back as rows
    assert 'id="join-any" type="radio" name="join" value="any" checked' in shown
    assert re.search(r'<option value="ge"[^>]*selected', shown)
    assert 'name="row-1-value" value="100"' in shown
    assert "Con condición" in web.get(f"{BASE}/pasos/negocio").get_data(as_text=True)

    bad = _post(web, path, {**rows, "row-1-value": "cien"})
    assert bad.status_code == 422 and "no es un número" in bad.get_data(as_text=True)
    cleared = _post(web, path, {"part": "condition", "cond_action": "clear"})
    assert "Se quitó la condición." in cleared.get_data(as_text=True)
    assert "show_if" not in _field(app, "cuenta_uso_suelo")


def test_condition_rows_cannot_show_goes_to_the_advanced_editor(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/negocio/campos/cuenta_uso_suelo"
    rule = '{">": [{"*": [{"var": "superficie_m2"}, 2]}, 100]}'
    page = _post(web, path, {"part": "condition", "cond_action": "save_advanced", "advanced": rule})
    assert "Se guardó la condición." in page.get_data(as_text=True)
    html = web.get(path).get_data(as_text=True)
    assert "no se puede mostrar como filas" in html and 'name="advanced"' in html
    wrong = _post(
        web,
        path,
        {"part": "condition", "cond_action": "save_advanced", "advanced": '{"masque": [1, 2]}'},
    )
    assert wrong.status_code == 422
    assert _field(app, "cuenta_uso_suelo")["show_if"][">"][1] == 100  # unchanged
    check = web.post(
        f"{BASE}/condiciones/revisar",
        data={"advanced": "{not json", "csrf_token": _form(web, path)["csrf_token"]},
    )
    assert check.status_code == 200 and check.get_json()["problems"]


def test_stale_revision_is_refused_naming_who_saved(app: Flask) -> None:
    web = _liaison(app)
    admin = login(app.test_client(), "admin@demo.gob.mx")
    stale = _form(web, f"{BASE}/pasos")
    _post(admin, f"{BASE}/pasos", {"type": "end"})
    page = web.post(
        f"{BASE}/pasos/documentos/mover",
        data={**stale, "direction": "up"},
        follow_redirects=True,
    )
    text = page.get_data(as_text=True)
    assert "usa-alert--error" in text and "admin" in text.lower()
    assert _step_ids(app)[1:3] == ["negocio", "documentos"]


def test_another_department_gets_not_found(app: Flask) -> None:
    web = _liaison(app)
    other = "/configurador/permiso-construccion"
    assert web.get(f"{other}/pasos").status_code == 404
    token = _form(web, f"{BASE}/pasos")
    assert web.post(f"{other}/pasos", data={**token, "type": "end"}).status_code == 404
    step = app.extensions["tramita"].catalog.draft("permiso-construccion")["steps"][0]
    assert web.get(f"{other}/pasos/{step['id']}").status_code == 404
    assert web.get(f"{other}/pasos/{step['id']}/eliminar").status_code == 404
    field_id = step["fields"][0]["id"]
    assert web.get(f"{other}/pasos/{step['id']}/campos/{field_id}").status_code == 404
    assert web.post(f"{other}/condiciones/revisar", data=token).status_code == 404
    assert web.get(f"{BASE}/pasos/negocio/campos/no_existe").status_code == 404


def test_a_new_step_is_linked_from_the_one_before_and_undo_unlinks_it(app: Flask) -> None:
    """A blank procedure (solicitud -> fin): a form step added goes after the application,
    which now leads to it, and it goes on to the end; undo puts the routes back."""
    import re as _re

    from tests.helpers.web import csrf_from, login

    web = login(app.test_client(), "enlace@demo.gob.mx")
    page = web.get("/configurador/nuevo").get_data(as_text=True)
    web.post(
        "/configurador/nuevo",
        data={
            "csrf_token": csrf_from(page),
            "blank-title-es": "Enlazado",
            "blank-key": "enlazado",
        },
    )
    catalog = app.extensions["tramita"].catalog
    before = catalog.draft("enlazado")

    def form(path: str) -> dict[str, str]:
        html = web.get(path).get_data(as_text=True)
        revision = _re.search(r'name="revision" value="(\d+)"', html)
        assert revision, html[:500]
        return {"csrf_token": csrf_from(html), "revision": revision.group(1)}

    steps = "/configurador/enlazado/pasos"
    added = web.post(
        steps, data={**form(steps), "type": "form", "title_es": "Datos"}, follow_redirects=True
    )
    text = added.get_data(as_text=True)
    assert "«Solicitud» lleva ahora al paso nuevo, y este a «Trámite concluido»." in text
    draft = catalog.draft("enlazado")
    assert [s["id"] for s in draft["steps"]] == ["solicitud", "datos", "fin"]
    assert draft["steps"][0]["transitions"] == [{"id": "enviar", "to": "datos"}]
    assert draft["steps"][1]["transitions"] == [{"id": "ruta", "to": "fin"}]

    web.post("/configurador/enlazado/deshacer", data=form(steps))
    assert catalog.draft("enlazado") == before
