"""The «Elegir de un catálogo» field type (``catalog_select``) in the validator, wizard
(type-ahead hooks, no-JavaScript suggestions), check answers, inbox and documents."""

from __future__ import annotations

import datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.catalogs import SCIAN, load
from tests.helpers.field_types import (
    document_text,
    inbox_lines,
    problems_of,
    review_html,
    stored,
    submit,
)
from workflow_engine.persistence.platform.catalogs import CatalogStore
from workflow_engine.templates import validate_step_data

GIRO = {
    "id": "giro_scian",
    "type": "catalog_select",
    "label": {"es": "Giro SCIAN", "en": "SCIAN line"},
    "catalog": "scian",
}
TODAY = datetime.date(2026, 3, 5)


def test_the_validator_wants_a_catalog_name() -> None:
    assert problems_of(GIRO) == []
    assert problems_of({k: v for k, v in GIRO.items() if k != "catalog"})
    assert problems_of({**GIRO, "catalog": "Giros SCIAN"})


def test_only_codes_of_the_catalog_are_kept(app: Flask, tmp_path: Path) -> None:
    assert load(app, tmp_path, "scian", SCIAN)[0] == 0
    step = {"id": "datos", "type": "form", "fields": [GIRO]}
    with app.extensions["tramita"].engine.connect() as conn:
        catalogs = CatalogStore(conn)

        def clean(value: str) -> tuple[dict[str, object], list[str]]:
            cleaned, errors = validate_step_data(
                step, {"giro_scian": value}, {}, today=TODAY, catalogs=catalogs
            )
            return cleaned, [e.message_es for e in errors]

        assert clean(" 311811 ") == ({"giro_scian": "311811"}, [])
        assert clean("722514 · Cafeterías y fuentes de sodas") == ({"giro_scian": "722514"}, [])
        assert clean("999999")[1] == [
            "Giro SCIAN: no encontramos esa opción en el catálogo; escriba parte del nombre y "
            "elija una de las sugerencias, o escriba su clave."
        ]
        (message,) = clean("abarrotes")[1]
        assert "461110 · Comercio al por menor en tiendas de abarrotes" in message


def test_through_the_wizard_check_answers_inbox_and_documents(
    app: Flask,
    client: FlaskClient,
    tmp_path: Path,
) -> None:
    assert load(app, tmp_path, "scian", SCIAN)[0] == 0
    html, folio, page = submit(
        app, client, {**GIRO, "required": True}, {"giro_scian": "311811 · Panificación"}
    )
    assert 'data-suggest="/catalogos/scian/sugerencias"' in html
    assert 'list="giro_scian-opciones"' in html and '<datalist id="giro_scian-opciones">' in html
    assert page.status_code == 302, page.get_data(as_text=True)
    assert stored(app, folio, "giro_scian") == "311811"
    assert "311811 · Panificación tradicional" in review_html(client, folio)
    assert inbox_lines(app, folio, "giro_scian") == ["311811 · Panificación tradicional"]
    assert document_text(app, folio, "giro_scian") == "Panificación tradicional"


def test_without_javascript_a_typed_name_gets_the_matching_entries(
    app: Flask,
    client: FlaskClient,
    tmp_path: Path,
) -> None:
    assert load(app, tmp_path, "scian", SCIAN)[0] == 0
    _html, _folio, page = submit(app, client, GIRO, {"giro_scian": "cafeterias"})
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "722514 · Cafeterías y fuentes de sodas" in body and 'value="cafeterias"' in body
