"""Issue 15, citizens: the correction loop with per-document reasons and a replaced file, the
fee estimate before submitting, a refused final submit answered with a redirect, group rows
that say what changed, plurals and date options (over real HTTP handling)."""

from __future__ import annotations

import copy
import io
import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.helpers.engine import MINI
from tests.helpers.paths import REPO_ROOT
from tests.helpers.web import csrf_token, login
from tests.helpers.wizard import (
    CITIZEN,
    NEGOCIO,
    SOLICITANTE,
    case_state,
    documents,
    fill_all,
    pdf_bytes,
    post_step,
    start,
)
from workflow_engine.engine import Actor, Decide, RequirementReview
from workflow_engine.persistence.models import User
from workflow_engine.persistence.types import utcnow

OFFICIAL = Actor(
    "99", "official", frozenset({"desarrollo-economico"}), frozenset({"revisor"}), "Rev"
)


@pytest.fixture
def app(api_seeded_db: Any, app_factory: Any, tmp_path: Path) -> Flask:
    db_path = tmp_path / "citizens.db"
    shutil.copyfile(api_seeded_db.path, db_path)
    flask_app: Flask = app_factory(f"sqlite:///{db_path}")
    with flask_app.extensions["tramita"].engine.begin() as conn:
        conn.execute(update(User.__table__).values(email_verified_at=utcnow()))
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    web = app.test_client()
    login(web, CITIZEN)
    return web


def submit(client: FlaskClient, folio: str) -> Any:
    return client.post(
        f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client), "declaracion": "si"}
    )


STALE = "Tiene más de tres meses."


def return_with_rejected(app: Flask, folio: str) -> str:
    """The official returns the case: the proof of address (a one-file field) is not
    accepted."""
    services = app.extensions["tramita"]
    case_id = services.cases.case_id_for_folio(folio)
    state = case_state(app, folio)
    task = next(t for t in state.open_tasks() if t.department == "desarrollo-economico")
    ine = state.data["doc_comprobante_domicilio"][0]["id"]
    reviews = tuple(
        RequirementReview(ref["id"], ref["id"] != ine, "" if ref["id"] != ine else STALE)
        for fid in documents()
        for ref in state.data[fid]
    )
    services.cases.execute(
        case_id,
        Decide(
            at=utcnow(),
            actor=OFFICIAL,
            task_id=task.id,
            decision="return",
            comment="Suba un comprobante reciente.",
            reason="incorrect",
            requirement_reviews=reviews,
        ),
    )
    return str(ine)


def test_correction_loop_shows_reasons_and_replaces_the_one_file(
    app: Flask, client: FlaskClient
) -> None:
    folio = start(client)
    fill_all(client, folio)
    assert submit(client, folio).headers["Location"].endswith("/confirmacion")
    old_id = return_with_rejected(app, folio)

    # the case page: the message and the per-document reason at the top, linked to the file
    page = client.get(f"/expedientes/{folio}").get_data(as_text=True)
    top = page.index('id="devuelto"')
    assert top < page.index('id="que-sigue"')
    assert "Suba un comprobante reciente." in page
    assert "Documentos no aceptados" in page and "recibo.png" in page and STALE in page
    assert f'href="/expedientes/{folio}/pasos/documentos#doc_comprobante_domicilio"' in page

    # the corrected step: the reason beside the rejected file; one submit replaces it
    step = client.get(f"/expedientes/{folio}/pasos/documentos").get_data(as_text=True)
    assert "Suba un comprobante reciente." in step
    beside = step[step.index('value="' + old_id + '"') :][:800]
    assert "No aceptado:" in beside and STALE in beside
    assert "reemplaza al que ya subió" in step
    data = case_state(app, folio).data
    form: dict[str, Any] = {f"{f}.keep": [r["id"] for r in data[f]] for f in documents()}
    form["doc_comprobante_domicilio"] = [
        (io.BytesIO(pdf_bytes("nuevo")), "recibo-2026.pdf", "application/pdf")
    ]
    page = post_step(client, folio, "documentos", form)
    assert page.status_code == 302, page.get_data(as_text=True)
    refs = case_state(app, folio).data["doc_comprobante_domicilio"]
    assert [r["name"] for r in refs] == ["recibo-2026.pdf"]
    assert submit(client, folio).headers["Location"].endswith("/confirmacion")
    assert case_state(app, folio).status == "in_review"


def test_fee_estimate_before_submitting(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    fill_all(client, folio)
    page = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    assert "Costo estimado" in page and "Total estimado" in page
    assert "Es una estimación" in page
    assert "Anuencia para venta de bebidas alcohólicas" in page  # vende_alcohol: sí
    shown = re.search(r"Total estimado</strong></dt><dd><strong>([^<]+)<", page)
    assert shown is not None
    # the order the engine creates once approved has the same total
    from workflow_engine.engine.estimate import estimate_fees

    services = app.extensions["tramita"]
    state, definition, _lock = services.cases.load(services.cases.case_id_for_folio(folio))
    (estimate,) = estimate_fees(definition, state, utcnow().date())
    assert estimate.total_cents > 0 and estimate.total_cents % 100 == 0  # round_total: unit
    # without alcohol sales the line is not estimated
    post_step(client, folio, "negocio", {**NEGOCIO, "vende_alcohol": "no"}, query="?volver=revisar")
    page = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    assert "Costo estimado" in page and "Anuencia para venta" not in page


def test_refused_final_submit_redirects_and_focuses_its_summary(
    app: Flask, client: FlaskClient
) -> None:
    folio = start(client)
    fill_all(client, folio)
    page = client.post(f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client)})
    assert page.status_code == 303
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    assert 'id="error-summary"' in html and 'href="#declaracion"' in html
    assert "Marque la declaración" in html and "error_summary.js" in html
    assert html.startswith("<!doctype html>")
    # a reload shows the page as it is: nothing sent again, no stale error
    html = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    assert 'id="error-summary"' not in html
    assert case_state(app, folio).status == "ready_to_submit"


def test_group_row_added_and_removed_says_so_without_javascript(
    app: Flask, client: FlaskClient
) -> None:
    folio = start(client)
    post_step(client, folio, "solicitante", SOLICITANTE)
    page = post_step(client, folio, "negocio", NEGOCIO, accion="agregar:socios")
    assert page.headers["Location"].endswith("/pasos/negocio#socios-2")
    html = client.get(f"/expedientes/{folio}/pasos/negocio").get_data(as_text=True)
    assert re.search(r'role="status"[^>]*>\s*<p[^>]*>Se agregó la fila 3\.', html)
    assert 'id="socios-2" data-row="socios[2]" tabindex="-1"' in html
    # said once: a reload does not repeat it
    html = client.get(f"/expedientes/{folio}/pasos/negocio").get_data(as_text=True)
    assert "Se agregó la fila" not in html and 'role="status"' in html
    page = post_step(client, folio, "negocio", NEGOCIO, accion="quitar:socios:1")
    assert page.headers["Location"].endswith("/pasos/negocio#socios")
    html = client.get(f"/expedientes/{folio}/pasos/negocio").get_data(as_text=True)
    assert "Se quitó la fila 2." in html


def test_plurals_of_business_days(app: Flask, client: FlaskClient) -> None:
    html = client.get("/tramites/licencia-funcionamiento/informacion").get_data(as_text=True)
    assert re.search(r"\d+ días hábiles", html)
    assert "(s)" not in html and "(es)" not in html


# -- dates typed day/month/year with the template's bounds; required parts; revealed fields --


def publish_dates(app: Flask) -> None:
    doc = copy.deepcopy(MINI)
    doc["key"] = "fechas"
    doc["steps"][0]["fields"] += [
        {
            "id": "inicio",
            "type": "date",
            "label": {"es": "Inicio de la obra"},
            "required": True,
            "min": "today",
        },
        {"id": "tiene_local", "type": "yesno", "label": {"es": "¿Tiene local?"}, "required": True},
        {
            "id": "local",
            "type": "address",
            "label": {"es": "Domicilio del local"},
            "required": True,
            "show_if": {"==": [{"var": "tiene_local"}, True]},
        },
    ]
    catalog = app.extensions["tramita"].catalog
    catalog.save_draft(doc)
    catalog.publish("fechas")


def test_a_future_date_is_typed_day_month_year_and_checked_everywhere(
    app: Flask, client: FlaskClient, api_keys: dict[str, str]
) -> None:
    publish_dates(app)
    today = utcnow().astimezone(app.extensions["tramita"].cases.tz).date()
    page = client.post("/tramites/fechas", data={"csrf_token": csrf_token(client)})
    folio = page.headers["Location"].split("/")[2]
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    # the widget: a text input in the page's order, its format and its bound said in the hint
    field = html[html.index('id="campo-inicio"') :][:1500]
    assert 'type="text"' in field and 'data-kind="date"' in field and 'type="date"' not in field
    assert "Escriba día/mes/año" in field
    assert f"A partir del {today:%d/%m/%Y}." in field and f'data-min="{today:%d/%m/%Y}"' in field
    assert 'aria-describedby="inicio-formato"' in field
    # required: explained once; on every radio of the group and the address's needed parts
    assert html.count("marcadas con un asterisco (*) son obligatorias") == 1
    for answer in ("si", "no"):  # and each names the question it reveals
        radio = f'name="tiene_local" type="radio" value="{answer}"'
        assert f'{radio} aria-controls="campo-local" required' in html
    for part in ("street", "neighbourhood", "municipality"):
        assert re.search(rf'name="local\.{part}"[^>]*required', html), part
    assert not re.search(r'name="local\.interior"[^>]*required', html)
    # a revealed question is announced in a status region (wizard.js fills it)
    assert re.search(r'role="status" aria-live="polite" id="wizard-anuncios"', html)

    form = {**MINI["example_data"]["datos"], "tiene_local": "no"}
    yesterday = today - timedelta(days=1)
    page = post_step(client, folio, "datos", {**form, "inicio": f"{yesterday:%d/%m/%Y}"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert "no puede ser anterior" in html and f'value="{yesterday:%d/%m/%Y}"' in html
    page = post_step(client, folio, "datos", {**form, "inicio": f"{today:%d/%m/%Y}"})
    assert page.status_code == 302, page.get_data(as_text=True)
    assert case_state(app, folio).data["inicio"] == today.isoformat()
    html = client.get(f"/expedientes/{folio}/pasos/datos").get_data(as_text=True)
    assert f'value="{today:%d/%m/%Y}"' in html  # shown back in the page's order

    # the API applies the same bound
    api = app.test_client()
    auth = {"Authorization": f"Bearer {api_keys['citizen']}"}
    started = api.post("/api/v1/cases", json={"procedure": "fechas"}, headers=auth)
    assert started.status_code == 201, started.json
    values = {
        **MINI["example_data"]["datos"],
        "tiene_local": False,
        "inicio": yesterday.isoformat(),
    }
    url = f"/api/v1/cases/{started.json['folio']}/steps/datos/submit"
    refused = api.post(url, json={"values": values}, headers=auth)
    assert refused.status_code == 422
    (error,) = refused.json["error"]["details"]["errors"]
    assert error["field"] == "inicio" and error["code"] == "too_small"
    values["inicio"] = today.isoformat()
    accepted = api.post(url, json={"values": values}, headers=auth)
    assert accepted.status_code == 200, accepted.json


def test_payment_confirming_page_has_a_live_region_and_says_when_it_stops() -> None:
    root = REPO_ROOT / "app"
    page = (root / "citizen/templates/payments/_live_status.html").read_text()
    assert 'role="status"' in page and 'aria-live="polite"' in page and "data-stopped" in page
    script = (root / "static/payments.js").read_text()
    assert "location.reload" not in script and 'say("stopped"' in script
