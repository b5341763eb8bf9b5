"""The configurator's pages of the review, parallel review, notice, connector and end steps,
and the transitions editor (also on a form step's page), through HTTP as the liaison of the
licence's department: every change read back from the draft, a conditional route after
approving, a branch condition, bad values answered with messages (not saved), another
department's steps not found."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"
GIRO_RESTAURANTE = {"row_count": "1", "row-0-field": "giro", "row-0-op": "is"}


def _step(app: Flask, step_id: str) -> dict[str, Any]:
    draft = app.extensions["tramita"].catalog.draft(KEY)
    return dict(next(s for s in draft["steps"] if s["id"] == step_id))


def _form(web: FlaskClient, path: str) -> dict[str, str]:
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _post(web: FlaskClient, path: str, data: dict[str, Any]) -> Any:
    return web.post(path, data={**_form(web, path), **data}, follow_redirects=True)


def _liaison(app: Flask) -> FlaskClient:
    return login(app.test_client(), LIAISON)


def test_approval_department_role_deadline_lapse_and_reminder(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/revision"
    html = web.get(path).get_data(as_text=True)
    assert "Quién revisa y en qué plazo" in html and 'list="roles"' in html
    assert "Afirmativa ficta" in html and 'value="inspector"' in html  # a role suggested
    page = _post(
        web,
        path,
        {
            "part": "settings",
            "department": "proteccion-civil",
            "role": "inspector",
            "deadline_days": "7",
            "on_lapse": "negativa_ficta",
            "reminder_days_before": "",
        },
    )
    assert page.status_code == 200 and "Se guardaron el área" in page.get_data(as_text=True)
    step = _step(app, "revision")
    assert (step["department"], step["role"], step["deadline_days"]) == (
        "proteccion-civil",
        "inspector",
        7,
    )
    assert step["on_lapse"] == "negativa_ficta" and "reminder_days_before" not in step

    bad = _post(
        web,
        path,
        {
            "part": "settings",
            "department": "no-existe",
            "role": "Jefe de Área",
            "deadline_days": "0",
            "on_lapse": "escalate",
        },
    )
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Revise este paso" in text and "Elija el área que revisa." in text
    assert "Escriba el rol en minúsculas" in text and "entre 1 y 365" in text
    assert _step(app, "revision")["deadline_days"] == 7  # nothing saved


def test_approval_outcomes_with_a_conditional_route_and_a_return(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/revision"
    added = _post(web, path, {"part": "approve", "action": "add", "to": "emision"})
    assert "indique cuándo se sigue" in added.get_data(as_text=True)  # now at the builder
    assert _step(app, "revision")["outcomes"]["approve"] == [{"to": "emision"}, {"to": "pago"}]
    condition = f"{path}?condicion=approve/0"
    assert "Condición de la ruta 1 al aprobar" in web.get(condition).get_data(as_text=True)
    saved = _post(
        web, condition, {**GIRO_RESTAURANTE, "row-0-value": "restaurante", "cond_action": "save"}
    )
    assert "Se guardó la condición." in saved.get_data(as_text=True)
    routes = _step(app, "revision")["outcomes"]["approve"]
    assert routes == [
        {"to": "emision", "when": {"==": [{"var": "giro"}, "restaurante"]}},
        {"to": "pago"},
    ]
    html = web.get(path).get_data(as_text=True)
    assert "En cualquier otro caso" in html
    assert "Giro del negocio es Restaurante, cocina económica o cafetería" in html

    when = f"{path}?condicion=when"
    rows = {"row_count": "1", "row-0-field": "superficie_m2", "row-0-op": "gt"}
    _post(web, when, {**rows, "row-0-value": "100", "cond_action": "save"})
    assert _step(app, "revision")["when"] == {">": [{"var": "superficie_m2"}, 100]}
    assert "Solo si:" in web.get(path).get_data(as_text=True)

    moved = _post(web, path, {"part": "approve", "action": "down", "route": "0"})
    assert moved.status_code == 200
    assert _step(app, "revision")["outcomes"]["approve"][0] == {"to": "pago"}
    _post(web, path, {"part": "approve", "action": "remove", "route": "1"})
    assert _step(app, "revision")["outcomes"]["approve"] == {"to": "pago"}

    page = _post(
        web,
        path,
        {
            "part": "outcomes",
            "reject": "desechada",
            "return_to": "negocio",
            "response_days": "5",
            "lapse_to": "rechazada",
        },
    )
    assert "Se guardó a dónde llevan" in page.get_data(as_text=True)
    outcomes = _step(app, "revision")["outcomes"]
    assert outcomes["reject"] == {"to": "desechada"}
    assert outcomes["return"] == {"to_step": "negocio", "response_days": 5, "lapse_to": "rechazada"}
    bad = _post(web, path, {"part": "outcomes", "reject": "nowhere", "return_to": ""})
    assert bad.status_code == 422 and "Elija a qué paso lleva el rechazo." in bad.get_data(
        as_text=True
    )
    _post(web, path, {"part": "outcomes", "reject": "rechazada", "return_to": ""})
    assert "return" not in _step(app, "revision")["outcomes"]


def test_parallel_branches_added_changed_conditioned_and_removed(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/revision_conjunta"
    html = web.get(path).get_data(as_text=True)
    assert "Áreas que revisan a la vez" in html and 'id="b-proteccion-role"' in html
    added = _post(
        web,
        path,
        {"part": "branch", "action": "add", "new-department": "tesoreria", "new-role": "cajero"},
    )
    assert "Se agregó el área" in added.get_data(as_text=True)
    branches = _step(app, "revision_conjunta")["branches"]
    assert branches[-1] == {"id": "tesoreria", "department": "tesoreria", "role": "cajero"}
    _post(
        web,
        path,
        {
            "part": "branch",
            "action": "save",
            "branch": "proteccion",
            "b-proteccion-department": "proteccion-civil",
            "b-proteccion-role": "director",
        },
    )
    assert _step(app, "revision_conjunta")["branches"][1]["role"] == "director"

    condition = f"{path}?condicion=branches/tesoreria"
    rows = {"row_count": "1", "row-0-field": "vende_alcohol", "row-0-op": "eq"}
    saved = _post(web, condition, {**rows, "row-0-value": "true", "cond_action": "save"})
    assert "Se guardó la condición." in saved.get_data(as_text=True)
    assert _step(app, "revision_conjunta")["branches"][-1]["when"] == {
        "==": [{"var": "vende_alcohol"}, True]
    }
    _post(
        web,
        path,
        {
            "part": "outcomes",
            "reject": "rechazada",
            "return_to": "documentos",
            "response_days": "10",
            "lapse_to": "desechada",
            "review_again": "all",
        },
    )
    assert _step(app, "revision_conjunta")["outcomes"]["return"]["review_again"] == "all"
    _post(web, path, {"part": "branch", "action": "remove", "branch": "tesoreria"})
    assert [b["id"] for b in _step(app, "revision_conjunta")["branches"]] == [
        "desarrollo",
        "proteccion",
    ]
    bad = _post(
        web, path, {"part": "branch", "action": "add", "new-department": "x", "new-role": "r"}
    )
    assert bad.status_code == 422 and "Elija el área que revisa." in bad.get_data(as_text=True)
    assert web.get(f"{path}?condicion=branches/nadie").status_code == 404


def test_notice_recipient_texts_and_transitions(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/aviso"
    html = web.get(path).get_data(as_text=True)
    assert "A dónde sigue" in html and "Su licencia de funcionamiento está lista" in html
    page = _post(
        web,
        path,
        {
            "part": "notice",
            "to": "department",
            "subject_es": "Licencia emitida",
            "subject_en": "Licence issued",
            "message_es": "Se emitió la licencia <b>hoy</b>.",
            "message_en": "",
        },
    )
    assert "Se guardó el aviso." in page.get_data(as_text=True)
    assert "&lt;b&gt;hoy&lt;/b&gt;" in page.get_data(as_text=True)  # escaped
    step = _step(app, "aviso")
    assert step["to"] == "department"
    assert step["subject"] == {"es": "Licencia emitida", "en": "Licence issued"}
    assert step["message"] == {"es": "Se emitió la licencia <b>hoy</b>."}
    bad = _post(web, path, {"part": "notice", "to": "alguien", "subject_es": "", "message_es": ""})
    assert bad.status_code == 422
    assert "Elija a quién se envía el aviso." in bad.get_data(as_text=True)

    # a conditional route before the default one, its condition, a new target, removed
    added = _post(web, path, {"part": "transitions", "action": "add", "to": "rechazada"})
    assert "indique cuándo se sigue" in added.get_data(as_text=True)
    assert [t["id"] for t in _step(app, "aviso")["transitions"]] == ["ruta", "fin"]
    condition = f"{path}?condicion=transitions/ruta"
    _post(web, condition, {**GIRO_RESTAURANTE, "row-0-value": "farmacia", "cond_action": "save"})
    first = _step(app, "aviso")["transitions"][0]
    assert first == {
        "id": "ruta",
        "to": "rechazada",
        "when": {"==": [{"var": "giro"}, "farmacia"]},
    }
    _post(
        web,
        path,
        {"part": "transitions", "action": "set", "transition": "ruta", "to": "desechada"},
    )
    assert _step(app, "aviso")["transitions"][0]["to"] == "desechada"
    _post(web, path, {"part": "transitions", "action": "remove", "transition": "ruta"})
    assert _step(app, "aviso")["transitions"] == [{"id": "fin", "to": "aprobada"}]
    refused = _post(web, path, {"part": "transitions", "action": "add", "to": "nowhere"})
    assert "Elija el paso al que lleva la ruta." in refused.get_data(as_text=True)


def test_form_step_routes(app: Flask) -> None:
    """A form step's page edits where it goes next too: its conditional route is shown in
    words, a route's target changes, one is added (before the default) and removed."""
    web = _liaison(app)
    path = f"{BASE}/pasos/documentos"
    html = web.get(path).get_data(as_text=True)
    assert "A dónde sigue" in html and 'id="to-revision_simple"' in html
    saved = _post(
        web,
        path,
        {
            "part": "transitions",
            "action": "set",
            "transition": "revision_simple",
            "to": "rechazada",
        },
    )
    assert "Se guardó el destino de la ruta." in saved.get_data(as_text=True)
    assert _step(app, "documentos")["transitions"][-1] == {
        "id": "revision_simple",
        "to": "rechazada",
    }
    _post(web, path, {"part": "transitions", "action": "add", "to": "desechada"})
    routes = _step(app, "documentos")["transitions"]
    assert [t["to"] for t in routes] == ["revision_conjunta", "desechada", "rechazada"]
    new_id = routes[1]["id"]
    _post(web, path, {"part": "transitions", "action": "remove", "transition": new_id})
    assert [t["id"] for t in _step(app, "documentos")["transitions"]] == [
        "revision_conjunta",
        "revision_simple",
    ]


def test_connector_operation_inputs_and_results(app: Flask) -> None:
    web = _liaison(app)
    _post(web, f"{BASE}/pasos", {"type": "connector", "title_es": "Consulta al padrón"})
    path = f"{BASE}/pasos/consulta_al_padron"
    html = web.get(path).get_data(as_text=True)
    assert 'value="catastro.consultar_predio"' in html and "Resultados que se guardan" in html
    page = _post(
        web,
        path,
        {
            "part": "connector",
            "connector": "padron_vehicular.consultar",
            "input-count": "2",
            "input-name-0": "placa",
            "input-field-0": "nombre_comercial",
            "result-count": "2",
            "result-name-0": "propietario",
            "result-field-0": "empleados",
        },
    )
    assert "Se guardó la consulta." in page.get_data(as_text=True)
    step = _step(app, "consulta_al_padron")
    assert step["connector"] == "padron_vehicular.consultar"
    assert step["input"] == {"placa": {"var": "nombre_comercial"}}
    assert step["result_map"] == {"propietario": "empleados"}
    bad = _post(
        web,
        path,
        {
            "part": "connector",
            "connector": "nada.inventado",
            "result-count": "1",
            "result-name-0": "mal nombre",
            "result-field-0": "empleados",
        },
    )
    assert bad.status_code == 422
    assert "Elija el sistema que se consulta." in bad.get_data(as_text=True)
    assert _step(app, "consulta_al_padron")["connector"] == "padron_vehicular.consultar"
    # added after the notice, it was linked from it and goes on to the notice's end; a
    # route added goes before that default one
    assert _step(app, "aviso")["transitions"][-1]["to"] == "consulta_al_padron"
    _post(web, path, {"part": "transitions", "action": "add", "to": "revision"})
    routes = _step(app, "consulta_al_padron")["transitions"]
    assert [t["to"] for t in routes] == ["revision", "aprobada"]


def test_end_outcome_and_name(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/sin_pago"
    assert "Resultado del expediente" in web.get(path).get_data(as_text=True)
    _post(web, path, {"part": "end", "outcome": "rejected"})
    _post(web, path, {"part": "details", "title_es": "Sin pago", "title_en": "Unpaid"})
    step = _step(app, "sin_pago")
    assert step["outcome"] == "rejected" and step["title"] == {"es": "Sin pago", "en": "Unpaid"}
    bad = _post(web, path, {"part": "end", "outcome": "maybe"})
    assert bad.status_code == 422 and "Elija con qué resultado" in bad.get_data(as_text=True)
    blank = _post(web, path, {"part": "details", "title_es": ""})
    assert blank.status_code == 422 and "Escriba el nombre del paso" in blank.get_data(as_text=True)


def test_validator_problems_of_the_step_are_shown_beside_it(app: Flask) -> None:
    web = _liaison(app)
    path = f"{BASE}/pasos/revision_conjunta"
    _post(web, path, {"part": "branch", "action": "remove", "branch": "proteccion"})
    html = web.get(path).get_data(as_text=True)
    assert "Revise este paso" in html and 'href="#ramas"' in html


def test_english_pages_and_another_department(app: Flask) -> None:
    web = _liaison(app)
    web.set_cookie("lang", "en")
    review = web.get(f"{BASE}/pasos/revision").get_data(as_text=True)
    assert "Who reviews and by when" in review and "Tacit approval" in review
    assert "Where it goes next" in web.get(f"{BASE}/pasos/aviso").get_data(as_text=True)
    other = "/configurador/permiso-construccion"
    steps = app.extensions["tramita"].catalog.draft("permiso-construccion")["steps"]
    kinds = {s["type"]: s["id"] for s in steps}
    for type_name in ("approval", "connector", "end"):
        if type_name in kinds:
            assert web.get(f"{other}/pasos/{kinds[type_name]}").status_code == 404
    token = _form(web, f"{BASE}/pasos/revision")
    posted = web.post(f"{other}/pasos/{kinds['end']}", data={**token, "part": "end"})
    assert posted.status_code == 404


def test_form_payment_and_document_steps_edit_their_routes(app: Flask) -> None:
    """Form, payment and document steps go on by `transitions` too: their pages carry the same
    routes editor (a liaison who adds a step must be able to lead to it)."""
    web = _liaison(app)
    for step_id, first, other in (
        ("negocio", "continuar", "documentos"),
        ("pago", "pagado", "aviso"),
        ("emision", "avisar", "aprobada"),
    ):
        path = f"{BASE}/pasos/{step_id}"
        html = web.get(path).get_data(as_text=True)
        assert "A dónde sigue" in html and f'id="to-{first}"' in html, step_id
        page = _post(
            web, path, {"part": "transitions", "action": "set", "transition": first, "to": other}
        )
        assert page.status_code == 200, step_id
        assert _step(app, step_id)["transitions"][0]["to"] == other, step_id
    condition = web.get(f"{BASE}/pasos/documentos?condicion=transitions/revision_conjunta")
    assert condition.status_code == 200
    assert "Guardar condición" in condition.get_data(as_text=True)
