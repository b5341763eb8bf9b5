"""The «Ubicación geográfica» field type (``geo_point``) in the validator, wizard (plain
inputs, no JavaScript), check answers, inbox and documents."""

from __future__ import annotations

import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.field_types import (
    document_text,
    inbox_lines,
    problems_of,
    review_html,
    stored,
    submit,
)
from workflow_engine.templates import validate_step_data
from workflow_engine.templates.fields import check_draft

PUNTO = {"id": "ubicacion", "type": "geo_point", "label": {"es": "Ubicación", "en": "Location"}}
GDL = {"south": 20.5, "west": -103.5, "north": 20.8, "east": -103.2}
TODAY = datetime.date(2026, 3, 5)


def clean(value: object, **options: object) -> tuple[dict[str, object], list[str]]:
    step = {"id": "datos", "type": "form", "fields": [{**PUNTO, **options}]}
    cleaned, errors = validate_step_data(step, {"ubicacion": value}, {}, today=TODAY)
    return cleaned, [f"{e.path}:{e.code}" for e in errors]


def test_numbers_and_texts_become_canonical_decimal_strings() -> None:
    expected = {"ubicacion": {"lat": "20.676722", "lng": "-103.347499"}}
    assert clean({"lat": " 20.6767222 ", "lng": "-103.347499"}) == (expected, [])
    assert clean({"lat": 20.676722, "lng": -103.347499}) == (expected, [])
    assert clean({"lat": 20, "lng": "-103.50"}) == (
        {"ubicacion": {"lat": "20", "lng": "-103.5"}},
        [],
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ({"lat": "91", "lng": "0"}, "ubicacion.lat:out_of_range"),
        ({"lat": "0", "lng": "-180.5"}, "ubicacion.lng:out_of_range"),
        ({"lat": "20,5", "lng": "0"}, "ubicacion.lat:not_a_number"),
        ({"lat": "norte", "lng": "0"}, "ubicacion.lat:not_a_number"),
        ({"lat": "20.5"}, "ubicacion.lng:required"),
        ({"lat": "20", "lng": "0", "alt": "3"}, "ubicacion.alt:unknown_field"),
        ("20.5, -103.3", "ubicacion:invalid_type"),
    ],
)
def test_bad_coordinates_are_refused_at_the_right_part(value: object, problem: str) -> None:
    assert clean(value) == ({}, [problem])


def test_the_templates_area_bounds_the_point() -> None:
    assert clean({"lat": "20.67", "lng": "-103.34"}, bounds=GDL)[1] == []
    assert clean({"lat": "19.43", "lng": "-99.13"}, bounds=GDL)[1] == ["ubicacion:outside_area"]


def test_the_validator_checks_its_options() -> None:
    assert problems_of({**PUNTO, "bounds": GDL}) == []
    crossed = problems_of({**PUNTO, "bounds": {**GDL, "south": 21, "west": -103}})
    assert [p for p, _ in crossed] == [
        "$.steps[0].fields[4].bounds.south",
        "$.steps[0].fields[4].bounds.west",
    ]
    assert problems_of({**PUNTO, "bounds": {"south": 20}})  # the schema wants every side


def test_a_draft_keeps_an_unfinished_point_but_not_a_huge_one() -> None:
    step = {"id": "datos", "type": "form", "fields": [PUNTO]}
    assert check_draft(step, {"ubicacion": {"lat": "20.6"}}) == []
    assert [e.code for e in check_draft(step, {"ubicacion": {"lat": "9" * 50}})] == ["invalid_type"]


def test_through_the_wizard_check_answers_inbox_and_documents(
    app: Flask,
    client: FlaskClient,
) -> None:
    form = {"ubicacion.lat": "20.676722", "ubicacion.lng": "-103.347499"}
    html, folio, page = submit(app, client, {**PUNTO, "required": True, "bounds": GDL}, form)
    assert 'name="ubicacion.lat"' in html and 'name="ubicacion.lng"' in html
    assert "<script" not in html.split('name="ubicacion.lat"')[0].rsplit("<fieldset", 1)[1]
    assert page.status_code == 302, page.get_data(as_text=True)
    assert stored(app, folio, "ubicacion") == {"lat": "20.676722", "lng": "-103.347499"}
    assert "20.676722, -103.347499" in review_html(client, folio)
    assert inbox_lines(app, folio, "ubicacion") == ["20.676722, -103.347499"]
    assert document_text(app, folio, "ubicacion") == "20.676722, -103.347499"


def test_a_wrong_part_is_explained_and_linked(
    app: Flask,
    client: FlaskClient,
) -> None:
    form = {"ubicacion.lat": "120", "ubicacion.lng": "-103.3"}
    _html, _folio, page = submit(app, client, PUNTO, form)
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "la latitud va de -90 a 90" in body
    assert 'href="#ubicacion-lat"' in body and 'value="120"' in body


@pytest.mark.parametrize("tiles", [None, "https://tiles.example/{z}/{x}/{y}.png"])
def test_a_map_only_when_a_tile_server_is_configured(
    app: Flask,
    client: FlaskClient,
    tiles: str | None,
) -> None:
    """Without MAP_TILE_URL the page neither shows a map nor loads Leaflet or its script."""
    app.extensions["tramita"].settings.map_tile_url = tiles
    app.extensions["tramita"].settings.map_tile_attribution = "© Mapas de prueba"
    html, _folio, _page = submit(app, client, {**PUNTO, "bounds": GDL}, {})
    if tiles is None:
        assert "data-geo-map" not in html and "geo-map" not in html
        assert "geo_point.js" not in html and "leaflet" not in html.lower()
        return
    box = html.split("data-geo-map", 1)[1].split(">", 1)[0]
    assert 'data-tiles="https://tiles.example/{z}/{x}/{y}.png"' in box
    assert 'data-attribution="© Mapas de prueba"' in box
    assert 'data-lat="ubicacion-lat"' in box and 'data-lng="ubicacion-lng"' in box
    assert 'data-bounds="[20.5, -103.5, 20.8, -103.2]"' in box
    assert html.count("geo_point.js") == 1 and "vendor/leaflet/leaflet.js" in html
    assert 'name="ubicacion.lat"' in html  # the inputs stay the answer
