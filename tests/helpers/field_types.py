"""One field of a new type through every place a field shows: the template validator, the
wizard (widget, submission, check answers), the staff inbox and documents."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from connectors.documents.body import document_data, render_body
from tests.helpers.engine import MINI
from tests.helpers.web import csrf_token
from tests.helpers.wizard import case_state, post_step
from workflow_engine.persistence.platform.catalogs import EngineCatalogs
from workflow_engine.templates.validation import validate_template

BASE_FORM = {"nombre": "Ana", "edad": "30", "giro": "tienda", "superficie": "20"}


def template_with(field: Mapping[str, Any], key: str) -> dict[str, Any]:
    """MINI with ``field`` added to its first form step."""
    doc = copy.deepcopy(MINI)
    doc["key"] = key
    doc["steps"][0]["fields"].append(dict(field))
    return doc


def problems_of(field: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The validator's problems (path, Spanish message) for a template holding ``field``."""
    doc = template_with(field, "con-campo")
    return [(p.path, p.message_es) for p in validate_template(doc)]


def submit(
    app: Flask, client: FlaskClient, field: Mapping[str, Any], form: Mapping[str, Any]
) -> tuple[str, str, Any]:
    """Publish a template with ``field``, answer its step; (widget html, folio, response)."""
    key = f"campo-{field['type'].replace('_', '-')}"
    catalog = app.extensions["tramita"].catalog
    catalog.save_draft(template_with(field, key))
    catalog.publish(key)
    page = client.post(f"/tramites/{key}", data={"csrf_token": csrf_token(client)})
    location = page.headers["Location"]
    html = client.get(location).get_data(as_text=True)
    folio = location.split("/")[2]
    response = post_step(client, folio, "datos", {**BASE_FORM, **form})
    return html, folio, response


def review_html(client: FlaskClient, folio: str) -> str:
    return client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)


def stored(app: Flask, folio: str, field_id: str) -> Any:
    return case_state(app, folio).data.get(field_id)


def document_text(app: Flask, folio: str, field_id: str) -> str:
    """How ``{{ data.<field_id> }}`` prints in an issued document of the case."""
    cases = app.extensions["tramita"].cases
    state, definition, _lock = cases.load(cases.case_id_for_folio(folio))
    engine = app.extensions["tramita"].engine
    data = document_data(state.data, definition.doc, EngineCatalogs(engine))
    return "\n".join(render_body(f"{{{{ data.{field_id} }}}}", {"data": data}))


def inbox_lines(app: Flask, folio: str, field_id: str, lang: str = "es") -> list[str]:
    """The lines the official's case page shows for ``field_id``."""
    from app.staff.present import submitted_sections

    cases = app.extensions["tramita"].cases
    state, definition, _lock = cases.load(cases.case_id_for_folio(folio))
    label = next(
        f["label"].get(lang) or f["label"]["es"]
        for f in definition.doc["steps"][0]["fields"]
        if f["id"] == field_id
    )
    with app.test_request_context(headers={"Cookie": f"lang={lang}"}):
        sections = submitted_sections(definition.doc, state, lang)
    shown = [f for s in sections for f in s["fields"] if f["label"] == label]
    return list(shown[0]["lines"]) if shown else []
