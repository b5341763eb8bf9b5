"""The document step's page through HTTP as the liaison of the licence's department: the
text with a placeholder inserted from the picker (without JavaScript) saved and read back, a
conditional paragraph, signers and validity, the PDF preview (unsigned, «VISTA PREVIA»), and
another department's procedure not found."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.preview import assert_unsigned
from tests.helpers.web import csrf_from, login
from workflow_engine.templates import editing

LIAISON = "enlace@demo.gob.mx"
KEY = "licencia-funcionamiento"
BASE = f"/configurador/{KEY}"
PAGE = f"{BASE}/pasos/emision"


def _document(app: Flask) -> dict[str, Any]:
    draft = app.extensions["tramita"].catalog.draft(KEY)
    step = next(s for s in draft["steps"] if s["id"] == "emision")
    return dict(step["document"])


def _form(web: FlaskClient) -> dict[str, str]:
    html = web.get(PAGE).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', html)
    assert revision
    return {"csrf_token": csrf_from(html), "revision": revision.group(1)}


def _fields(app: Flask, **changes: str) -> dict[str, str]:
    """The document form as the page fills it, with `changes`."""
    document = _document(app)
    data = {
        "title_es": document["title"]["es"],
        "title_en": document["title"]["en"],
        "body_es": document["body"]["es"],
        "body_en": document["body"]["en"],
        "holder": document.get("holder", ""),
        "validity_days": str(document.get("validity_days", "")),
    }
    for n, signer in enumerate(document.get("signers") or []):
        data[f"signer-{n}-role"] = signer["role"]
        data[f"signer-{n}-name"] = signer.get("name", "")
        data[f"signer-{n}-position_es"] = signer.get("position", {}).get("es", "")
        data[f"signer-{n}-position_en"] = signer.get("position", {}).get("en", "")
    return {**data, **changes}


def _liaison(app: Flask) -> FlaskClient:
    return login(app.test_client(), LIAISON)


def test_the_page_shows_the_text_the_picker_and_the_preview_link(app: Flask) -> None:
    html = _liaison(app).get(PAGE).get_data(as_text=True)
    assert "Licencia de funcionamiento" in html
    assert "{{ data.nombre_comercial }}" in html
    assert 'name="placeholder_es"' in html
    assert 'value="{{ data.superficie_m2 }}"' in html
    assert f'href="{PAGE}/documento.pdf"' in html
    assert "Socios" in html  # the document's table, shown


def test_a_placeholder_inserted_without_javascript_is_saved_and_read_back(app: Flask) -> None:
    web = _liaison(app)
    token = _form(web)
    data = _fields(app, body_es="Se otorga a")
    page = web.post(
        PAGE,
        data={
            **token,
            **data,
            "action": "insert:es",
            "placeholder_es": "{{ data.nombre_comercial }}",
        },
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Se otorga a {{ data.nombre_comercial }}</textarea>" in html
    assert _document(app)["body"]["es"] != "Se otorga a {{ data.nombre_comercial }}"  # not yet
    data["body_es"] = "Se otorga a {{ data.nombre_comercial }}"
    page = web.post(PAGE, data={**token, **data, "action": "save"}, follow_redirects=True)
    assert "Se guardó el documento." in page.get_data(as_text=True)
    assert _document(app)["body"]["es"] == "Se otorga a {{ data.nombre_comercial }}"
    assert "Se otorga a {{ data.nombre_comercial }}</textarea>" in web.get(PAGE).get_data(
        as_text=True
    )


def test_a_conditional_paragraph_signers_and_validity(app: Flask) -> None:
    web = _liaison(app)
    token = _form(web)
    data = _fields(app, body_es="Texto.")
    page = web.post(
        PAGE, data={**token, **data, "action": "paragraph:es", "paragraph_es": "data.vende_alcohol"}
    )
    assert "{% if data.vende_alcohol %}Texto del párrafo.{% endif %}" in page.get_data(as_text=True)
    data = _fields(
        app,
        validity_days="30",
        **{"signer-0-remove": "1", "signer-1-role": "tesorero", "signer-1-name": "C.P. Luis"},
    )
    page = web.post(PAGE, data={**token, **data, "action": "save"}, follow_redirects=True)
    assert "Se guardó el documento." in page.get_data(as_text=True)
    document = _document(app)
    assert document["validity_days"] == 30
    assert document["signers"] == [{"role": "tesorero", "name": "C.P. Luis"}]
    page = web.post(PAGE, data={**_form(web), **_fields(app, title_es="", validity_days="0")})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "Escriba el título del documento en español." in html
    assert "Escriba un número entero de 1 a 3660." in html


def test_a_broken_placeholder_is_named_under_the_text(app: Flask) -> None:
    web = _liaison(app)
    data = _fields(app, body_es="Para {{ data.no_existe }}")
    page = web.post(PAGE, data={**_form(web), **data, "action": "save"}, follow_redirects=True)
    assert "no hay ningún campo «no_existe»" in page.get_data(as_text=True)


def test_the_preview_is_an_unsigned_pdf(app: Flask) -> None:
    pdf = _liaison(app).get(f"{PAGE}/documento.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert_unsigned(pdf.data)


def test_another_department_gets_not_found(app: Flask) -> None:
    web = _liaison(app)
    other = "/configurador/permiso-construccion"
    draft = app.extensions["tramita"].catalog.draft("permiso-construccion")
    step = next(s for s in draft["steps"] if s["type"] == "document")
    assert web.get(f"{other}/pasos/{step['id']}").status_code == 404
    assert web.get(f"{other}/pasos/{step['id']}/documento.pdf").status_code == 404
    assert web.get(f"{BASE}/pasos/pago/documento.pdf").status_code == 404


def test_the_page_is_in_english(app: Flask) -> None:
    html = _liaison(app).get(f"{PAGE}?lang=en").get_data(as_text=True)
    for text in ("Document preview (PDF)", "Placeholder for the text in Spanish", "Signers"):
        assert text in html
    assert "Firmantes" not in html


def test_a_conditional_paragraph_built_with_condition_rows(app: Flask) -> None:
    web = _liaison(app)
    rows = {"part": "paragraph", "join": "all", "row_count": "1", "row-0-field": "giro"}
    page = web.post(PAGE, data={**_form(web), **rows, "cond_action": "refresh"})
    assert page.status_code == 200
    assert 'name="row-0-op"' in page.get_data(as_text=True)
    page = web.post(
        PAGE,
        data={
            **_form(web),
            **rows,
            "cond_action": "save",
            "row-0-op": "is",
            "row-0-value": "restaurante",
        },
        follow_redirects=True,
    )
    assert "Se agregó un párrafo condicional" in page.get_data(as_text=True)
    body = _document(app)["body"]
    assert body["es"].endswith('{% if data.giro == "restaurante" %}Texto del párrafo.{% endif %}')
    assert body["en"].endswith('{% if data.giro == "restaurante" %}Paragraph text.{% endif %}')
    pdf = web.get(f"{PAGE}/documento.pdf")  # the example is a restaurant: still a valid text
    assert pdf.mimetype == "application/pdf"


def test_validity_until_a_date_answer_then_days_then_end_of_fiscal_year(app: Flask) -> None:
    catalog = app.extensions["tramita"].catalog
    fin = {"id": "fin_vigencia", "type": "date", "label": {"es": "Fin de vigencia", "en": "End"}}
    draft = editing.add_field(catalog.draft(KEY), "negocio", fin).doc
    draft["example_data"]["negocio"]["fin_vigencia"] = "2027-06-30"
    catalog.save_draft(draft)
    web = _liaison(app)
    html = web.get(PAGE).get_data(as_text=True)
    assert 'name="validity_kind"' in html and '<option value="fin_vigencia"' in html
    data = {**_form(web), **_fields(app), "validity_kind": "field"}
    page = web.post(PAGE, data={**data, "validity_field": "fin_vigencia", "action": "save"})
    assert page.status_code == 302
    document = _document(app)
    assert document["valid_until"] == {"var": "fin_vigencia"}
    assert "validity_days" not in document
    assert f'href="{PAGE}/documento.pdf"' in web.get(PAGE).get_data(as_text=True)
    assert web.get(f"{PAGE}/documento.pdf").mimetype == "application/pdf"
    data = {**_form(web), **_fields(app), "validity_kind": "days", "validity_days": "90"}
    web.post(PAGE, data={**data, "action": "save"})
    document = _document(app)
    assert document["validity_days"] == 90 and "valid_until" not in document
    data = {**_form(web), **_fields(app), "validity_kind": "fiscal_year", "action": "save"}
    web.post(PAGE, data=data)
    assert _document(app)["valid_until"] == {"cat": [{"substr": [{"today": []}, 0, 4]}, "-12-31"]}
    assert web.get(f"{PAGE}/documento.pdf").mimetype == "application/pdf"


def test_bad_validity_is_said_next_to_its_input(app: Flask) -> None:
    web = _liaison(app)
    before = _document(app)
    data = {**_form(web), **_fields(app), "action": "save"}
    page = web.post(PAGE, data={**data, "validity_kind": "field", "validity_field": "giro"})
    assert page.status_code == 422
    assert "Elija un campo de fecha de la solicitud." in page.get_data(as_text=True)
    page = web.post(PAGE, data={**data, "validity_kind": "rule", "validity_rule": "{nope"})
    assert page.status_code == 422
    assert "La regla no es JSON válido" in page.get_data(as_text=True)
    assert _document(app) == before
    rule = '{"var": "giro"}'
    page = web.post(
        PAGE,
        data={**data, "validity_kind": "rule", "validity_rule": rule},
        follow_redirects=True,
    )
    assert _document(app)["valid_until"] == {"var": "giro"}
    html = page.get_data(as_text=True)
    assert "no una fecha" in html  # the validator's problem, shown by the validity
    assert 'id="validity_rule"' in html and "{&#34;var&#34;: &#34;giro&#34;}" in html


def test_the_kind_of_document_is_chosen_from_the_list(app: Flask) -> None:
    web = _liaison(app)
    page = web.get(PAGE).get_data(as_text=True)
    assert '<option value="licencia" selected>licencia</option>' in page
    web.post(PAGE, data={**_form(web), **_fields(app, kind="permiso"), "action": "save"})
    assert _document(app)["kind"] == "permiso"
    web.post(PAGE, data={**_form(web), **_fields(app, kind="no_existe"), "action": "save"})
    assert _document(app)["kind"] == "permiso"  # an unknown kind keeps the one it had
