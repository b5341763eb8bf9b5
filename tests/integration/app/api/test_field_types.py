"""The three new field types through the JSON API: the same cleaning, the same errors with
their paths, the catalog checked on the server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.api import assert_error, key_auth
from tests.helpers.catalogs import SCIAN, load
from tests.helpers.field_types import template_with

FIELDS = [
    {"id": "cita", "type": "datetime", "label": {"es": "Cita"}},
    {"id": "ubicacion", "type": "geo_point", "label": {"es": "Ubicación"}},
    {"id": "giro_scian", "type": "catalog_select", "label": {"es": "Giro"}, "catalog": "scian"},
]
BASE = {"nombre": "Ana", "edad": 30, "giro": "tienda", "superficie": 20}


def test_new_types_through_the_api(
    api_app: Flask, api_client: FlaskClient, api_keys: dict[str, str], tmp_path: Path
) -> None:
    assert load(api_app, tmp_path, "scian", SCIAN)[0] == 0
    doc = template_with(FIELDS[0], "campos-nuevos")
    doc["steps"][0]["fields"] += FIELDS[1:]
    catalog = api_app.extensions["tramita"].catalog
    catalog.save_draft(doc)
    catalog.publish("campos-nuevos")
    auth = key_auth(api_keys["citizen"])
    started = api_client.post("/api/v1/cases", json={"procedure": "campos-nuevos"}, headers=auth)
    assert started.status_code == 201, started.json
    folio = started.json["folio"]
    url = f"/api/v1/cases/{folio}/steps/datos/submit"

    bad: dict[str, Any] = {
        **BASE,
        "cita": "2026-02-30 10:00",
        "ubicacion": {"lat": 95, "lng": -103.3},
        "giro_scian": "999999",
    }
    error = assert_error(
        api_client.post(url, json={"values": bad}, headers=auth), 422, "validation_failed"
    )
    paths = {e["path"]: e["code"] for e in error["details"]["errors"]}
    assert paths == {
        "cita": "invalid_datetime",
        "ubicacion.lat": "out_of_range",
        "giro_scian": "invalid_choice",
    }

    good = {
        **BASE,
        "cita": "2026-03-05 10:30",
        "ubicacion": {"lat": 20.676722, "lng": -103.347499},
        "giro_scian": "311811",
    }
    response = api_client.post(url, json={"values": good}, headers=auth)
    assert response.status_code == 200, response.json
    data = api_client.get(f"/api/v1/cases/{folio}", headers=auth).json["data"]
    assert data["cita"] == "2026-03-05T10:30"
    assert data["ubicacion"] == {"lat": "20.676722", "lng": "-103.347499"}
    assert data["giro_scian"] == "311811"
