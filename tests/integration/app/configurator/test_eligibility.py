"""A form step's conditions to continue, through HTTP as the liaison of the licence's
department: a new one (message, id) goes straight to its condition builder, the rows saved
become its rule, the message is changed, removing its condition or the rule removes it; the
citizen's wizard then refuses an answer that breaks it with the message."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"
PAGE = f"{BASE}/pasos/negocio"


def _rules(app: Flask) -> list[dict[str, Any]]:
    draft = app.extensions["tramita"].catalog.draft(KEY)
    step = next(s for s in draft["steps"] if s["id"] == "negocio")
    return list(step.get("eligibility") or [])


def _form(web: FlaskClient, path: str = PAGE) -> dict[str, str]:
    html = web.get(path).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision, html[:300]
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _post(web: FlaskClient, path: str = PAGE, **data: str) -> Any:
    return web.post(path, data={**_form(web, path), **data})


def test_the_page_lists_the_rules_in_words(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    page = web.get(PAGE).get_data(as_text=True)
    assert "Condiciones para continuar" in page
    assert "Antes de solicitar la licencia necesita la constancia" in page
    assert "condición avanzada" in page or "Giro" in page  # the alcohol rule in words


def test_a_new_rule_is_added_its_condition_built_and_removed(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    added = _post(
        web,
        part="eligibility",
        action="add",
        message_es="Solo negocios con empleados.",
        message_en="Only businesses with employees.",
        rule_id="con_empleados",
    )
    assert added.headers["Location"].endswith("?condicion=eligibility/con_empleados")
    assert _rules(app)[-1] == {
        "id": "con_empleados",
        "rule": True,
        "message": {"es": "Solo negocios con empleados.", "en": "Only businesses with employees."},
    }
    builder = f"{PAGE}?condicion=eligibility/con_empleados"
    assert "Se puede continuar solo si…" in web.get(builder).get_data(as_text=True)
    _post(web, builder, new_field="empleados", cond_action="add_row", row_count="0")
    saved = _post(
        web,
        builder,
        row_count="1",
        join="all",
        **{"row-0-field": "empleados", "row-0-op": "gt", "row-0-value": "0"},
        cond_action="save",
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    assert _rules(app)[-1]["rule"] == {">": [{"var": "empleados"}, 0]}
    assert "Número de empleados es mayor que (&gt;) 0" in web.get(PAGE).get_data(as_text=True)

    _post(web, part="eligibility", action="message", rule="con_empleados", message_es="Otro.")
    assert _rules(app)[-1]["message"] == {"es": "Otro."}
    _post(web, builder, cond_action="clear", row_count="0")
    assert [r["id"] for r in _rules(app)] == ["uso_suelo_compatible", "alcohol_giro"]


def test_a_rule_without_message_or_with_a_taken_id_is_refused(app: Flask) -> None:
    web = login(app.test_client(), LIAISON)
    before = _rules(app)
    empty = web.post(
        PAGE,
        data={**_form(web), "part": "eligibility", "action": "add", "message_es": " "},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Escriba el mensaje que verá la persona" in empty
    taken = web.post(
        PAGE,
        data={
            **_form(web),
            "part": "eligibility",
            "action": "add",
            "message_es": "Algo.",
            "rule_id": "alcohol_giro",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "no sirve como identificador" in taken
    _post(web, part="eligibility", action="remove", rule="alcohol_giro")
    assert [r["id"] for r in _rules(app)] == ["uso_suelo_compatible"]
    assert len(before) == 2
