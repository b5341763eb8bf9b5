"""The document's tables on the document step's page, as the liaison of the licence: a
table of the fees paid added with two columns and read back from the draft, a column moved
up, a table moved and removed, mistakes said next to their inputs (never a 500), and the
preview PDF still rendered."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_from, login

KEY = "licencia-funcionamiento"
PAGE = f"/configurador/{KEY}/pasos/emision"


def _tables(app: Flask) -> list[dict[str, Any]]:
    draft = app.extensions["tramita"].catalog.draft(KEY)
    step = next(s for s in draft["steps"] if s["id"] == "emision")
    return list(step["document"].get("tables") or [])


def _post(web: FlaskClient, data: dict[str, str]) -> Any:
    html = web.get(PAGE).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision
    form = {"csrf_token": csrf_from(html), "revision": revision.group(1), "part": "table"}
    return web.post(PAGE, data={**form, **data})


NEW = {
    "table": "new",
    "t-new-title_es": "Derechos",
    "t-new-title_en": "Fees",
    "t-new-rows": "fees.lines",
    "t-new-col-0-label_es": "Concepto",
    "t-new-col-0-label_en": "Item",
    "t-new-col-0-value": "{{ row.label }}",
    "t-new-col-1-label_es": "Folio",
    "t-new-col-1-value": "{{ case.folio }}",
    "action": "save",
}


def test_a_table_with_two_columns_is_added_and_read_back(app: Flask) -> None:
    web = login(app.test_client(), "enlace@demo.gob.mx")
    html = web.get(PAGE).get_data(as_text=True)
    assert 'name="t-new-rows"' in html and 'value="{{ row.socio_nombre }}"' in html
    page = _post(web, NEW)
    assert page.status_code == 302
    tables = _tables(app)
    assert [t["id"] for t in tables] == ["socios", "tabla_1"]
    assert tables[1] == {
        "id": "tabla_1",
        "title": {"es": "Derechos", "en": "Fees"},
        "rows": "fees.lines",
        "columns": [
            {"label": {"es": "Concepto", "en": "Item"}, "value": "{{ row.label }}"},
            {"label": {"es": "Folio"}, "value": "{{ case.folio }}"},
        ],
    }
    html = web.get(PAGE).get_data(as_text=True)
    assert 'value="Derechos"' in html and "Se guardó la tabla." in html
    page = _post(
        web,
        {
            "table": "1",
            "t-1-rows": "fees.lines",
            "t-1-title_es": "Derechos",
            "t-1-col-0-label_es": "Concepto",
            "t-1-col-0-value": "{{ row.label }}",
            "t-1-col-1-label_es": "Importe",
            "t-1-col-1-value": "{{ row.amount }}",
            "action": "column-up:1",
        },
    )
    columns = _tables(app)[1]["columns"]
    assert [c["value"] for c in columns] == ["{{ row.amount }}", "{{ row.label }}"]
    assert "title" in _tables(app)[1] and "en" not in _tables(app)[1]["title"]
    _post(web, {"table": "1", "action": "up"})
    assert [t["id"] for t in _tables(app)] == ["tabla_1", "socios"]
    pdf = web.get(f"{PAGE}/documento.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    _post(web, {"table": "0", "action": "remove"})
    assert [t["id"] for t in _tables(app)] == ["socios"]


def test_mistakes_are_said_next_to_the_inputs(app: Flask) -> None:
    web = login(app.test_client(), "enlace@demo.gob.mx")
    page = _post(web, {**NEW, "t-new-rows": "data.nada", "t-new-col-1-value": "{{ x }}"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Elija de qué lista sale una fila por elemento." in html
    assert "Elija el dato que muestra la columna." in html
    page = _post(web, {**NEW, "t-new-col-0-label_es": "", "t-new-col-1-label_es": ""})
    assert page.status_code == 422
    assert "Escriba el encabezado de la columna en español." in page.get_data(as_text=True)
    page = _post(web, {"table": "new", "t-new-rows": "fees.lines", "action": "save"})
    assert "Agregue al menos una columna." in page.get_data(as_text=True)
    assert _post(web, {"table": "7", "action": "remove"}).status_code == 404
    assert [t["id"] for t in _tables(app)] == ["socios"]


def test_the_tables_and_validity_are_in_english(app: Flask) -> None:
    html = login(app.test_client(), "enlace@demo.gob.mx").get(f"{PAGE}?lang=en")
    text = html.get_data(as_text=True)
    for words in ("Add table", "One row per item of", "Until the end of the fiscal year"):
        assert words in text
    assert "Agregar tabla" not in text


def test_a_free_text_column_and_the_alignment_are_saved_and_shown(app: Flask) -> None:
    """The socios table as the reference licence has it: a typed value with a placeholder
    and a % sign, lined up right; the page shows the text in the free-text input."""
    web = login(app.test_client(), "enlace@demo.gob.mx")
    page = _post(
        web,
        {
            "table": "0",
            "t-0-title_es": "Socios",
            "t-0-rows": "data.socios",
            "t-0-col-0-label_es": "Nombre",
            "t-0-col-0-value": "{{ row.socio_nombre }}",
            "t-0-col-0-align": "left",
            "t-0-col-1-label_es": "Participación",
            "t-0-col-1-value": "{{ row.socio_nombre }}",  # the typed text wins
            "t-0-col-1-text": "{{ row.socio_porcentaje }} %",
            "t-0-col-1-align": "right",
            "t-0-col-2-label_es": "CURP",
            "t-0-col-2-value": "{{ row.socio_curp }}",
            "t-0-col-2-align": "center",
            "action": "save",
        },
    )
    assert page.status_code == 302, page.get_data(as_text=True)[:500]
    columns = _tables(app)[0]["columns"]
    assert [(c["value"], c.get("align")) for c in columns] == [
        ("{{ row.socio_nombre }}", None),
        ("{{ row.socio_porcentaje }} %", "right"),
        ("{{ row.socio_curp }}", "center"),
    ]
    html = web.get(PAGE).get_data(as_text=True)
    assert 'id="t-0-col-1-text"' in html and 'value="{{ row.socio_porcentaje }} %"' in html
    assert '<option value="center" selected>' in html
    pdf = web.get(f"{PAGE}/documento.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_a_too_long_free_text_is_refused_and_a_broken_one_is_a_problem(app: Flask) -> None:
    web = login(app.test_client(), "enlace@demo.gob.mx")
    before = _tables(app)
    page = _post(web, {**NEW, "t-new-col-1-text": "x" * 501})
    assert _tables(app) == before
    assert page.status_code == 422
    assert "El texto de la columna es muy largo" in page.get_data(as_text=True)
    text = web.post(
        PAGE,
        data={
            **{k: v for k, v in NEW.items()},
            "csrf_token": csrf_from(web.get(PAGE).get_data(as_text=True)),
            "revision": re.findall(
                r'name="revision" value="(\d+)"', web.get(PAGE).get_data(as_text=True)
            )[0],
            "part": "table",
            "t-new-col-1-text": "{{ row.label ",
        },
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "El texto no se puede usar como plantilla" in text  # the validator's problem
