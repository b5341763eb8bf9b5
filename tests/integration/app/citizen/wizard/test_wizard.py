"""The citizen's wizard over real HTTP handling: start, every step, check answers, submit."""

from __future__ import annotations

import copy
import io
import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text as sql_text
from sqlalchemy import update

from tests.helpers.engine import MINI
from tests.helpers.paths import EXAMPLES
from tests.helpers.web import csrf_token, login
from tests.helpers.wizard import (
    CITIZEN,
    KEY,
    NEGOCIO,
    SOLICITANTE,
    case_state,
    documents,
    fill_all,
    pdf_bytes,
    png_bytes,
    post_step,
    start,
)
from tests.integration.conftest import API_USERS
from workflow_engine.engine import Actor, Decide
from workflow_engine.persistence.models import User
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.types import utcnow

NEIGHBOUR = API_USERS["citizen_b"]  # a second citizen, seeded by tests/integration/conftest.py


# -- tests -----------------------------------------------------------------------------------


def test_anonymous_start_goes_to_login_and_back_to_the_procedure(app: Flask) -> None:
    anonymous = app.test_client()
    page = anonymous.post(f"/tramites/{KEY}", data={"csrf_token": csrf_token(anonymous)})
    assert page.status_code == 302
    assert page.headers["Location"] == f"/entrar?next=/tramites/{KEY}/informacion"


def test_start_button_partial_and_unverified_or_unknown(app: Flask, client: FlaskClient) -> None:
    with app.test_request_context("/"):
        from flask import render_template_string

        html = render_template_string(
            '{% include "wizard/_start.html" %}', doc={"key": KEY}, current_user=None
        )
    assert f'action="/tramites/{KEY}"' in html
    assert "Iniciar trámite" in html
    assert (
        client.post("/tramites/no-existe", data={"csrf_token": csrf_token(client)}).status_code
        == 404
    )
    with app.extensions["tramita"].engine.begin() as conn:
        conn.execute(update(User.__table__).values(email_verified_at=None))
    page = client.post(f"/tramites/{KEY}", data={"csrf_token": csrf_token(client)})
    assert page.headers["Location"] == f"/tramites/{KEY}/informacion"


def test_complete_licence_through_every_step(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    first = client.get(f"/expedientes/{folio}/pasos/solicitante").get_data(as_text=True)
    assert "Paso 1 de 3" in first
    assert 'value="María López Hernández"' in first  # prefilled from the profile
    assert "data-show-if=" in first and 'id="campo-razon_social"' in first
    assert 'type="tel"' in first and 'autocomplete="email"' in first
    # no skipping ahead
    ahead = client.get(f"/expedientes/{folio}/pasos/documentos")
    assert ahead.headers["Location"] == f"/expedientes/{folio}/pasos/solicitante"

    # a validation error: 422, error summary linking to the field, values kept
    bad = dict(SOLICITANTE, curp="HELG850312MPLRPD0X")
    page = post_step(client, folio, "solicitante", bad)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'role="alert"' in html and "Hay un problema" in html
    assert 'href="#curp"' in html
    assert 'aria-describedby="curp-error"' in html
    assert 'value="Comercializadora La Esperanza de Chocotlán, S.A. de C.V."' in html
    assert 'value="HELG850312MPLRPD0X"' in html
    assert case_state(app, folio).drafts["solicitante"]["curp"] == "HELG850312MPLRPD0X"

    # show-if: the company name is required only for a company
    without = {k: v for k, v in SOLICITANTE.items() if k != "razon_social"}
    page = post_step(client, folio, "solicitante", without)
    assert page.status_code == 422
    assert 'href="#razon_social"' in page.get_data(as_text=True)
    person = dict(without, tipo_persona="fisica", rfc="HELG850312AB1")
    assert post_step(client, folio, "solicitante", person).status_code == 302
    assert "razon_social" not in case_state(app, folio).data

    page = post_step(client, folio, "solicitante", SOLICITANTE)
    assert page.headers["Location"] == f"/expedientes/{folio}/pasos/negocio"
    second = client.get(f"/expedientes/{folio}/pasos/negocio").get_data(as_text=True)
    assert "Paso 2 de 3" in second
    assert f'href="/expedientes/{folio}/pasos/solicitante"' in second  # back link
    assert 'name="domicilio_negocio.postcode"' in second
    assert 'value="agregar:socios"' in second

    page = post_step(client, folio, "negocio", NEGOCIO)
    assert page.headers["Location"] == f"/expedientes/{folio}/pasos/documentos"
    third = client.get(f"/expedientes/{folio}/pasos/documentos").get_data(as_text=True)
    assert "Paso 3 de 3" in third
    assert 'type="file"' in third and 'accept="application/pdf,image/jpeg,image/png"' in third
    page = post_step(client, folio, "documentos", documents())
    assert page.status_code == 302, page.get_data(as_text=True)
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"
    state = case_state(app, folio)
    assert state.status == "ready_to_submit"
    assert [r["name"] for r in state.data["doc_acta_constitutiva"]] == ["acta.pdf", "poder.pdf"]
    assert state.data["vende_alcohol"] is True
    assert state.data["socios"][1]["socio_porcentaje"] == 40
    assert state.data["domicilio_negocio"]["postcode"] == "72960"

    review = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    assert "Revise sus respuestas" in review
    for text in (
        "Persona moral (empresa)",
        "Restaurante, cocina económica o cafetería",
        "Calle 5 de Mayo 214, Barrio de San Miguel, 72960, Chocotlán",
        "Sí",
        "poder.pdf",
        "Juan Carlos Ramírez Torres",
        "Fila 2",
    ):
        assert text in review, text
    change = f"/expedientes/{folio}/pasos/negocio?volver=revisar#giro"
    assert f'href="{change}"' in review
    assert '<span class="visually-hidden"> Giro del negocio</span>' in review

    # submit without the declaration: error summary; with it: confirmation
    # (post/redirect/get: a reload of the answer does not send the form again)
    page = client.post(f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client)})
    assert page.status_code == 303
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"
    refused = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "Hay un problema" in refused and 'id="error-summary"' in refused
    assert "error_summary.js" in refused
    again = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    assert "Hay un problema" not in again
    assert case_state(app, folio).status == "ready_to_submit"
    page = client.post(
        f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client), "declaracion": "si"}
    )
    assert page.headers["Location"] == f"/expedientes/{folio}/confirmacion"
    done = client.get(f"/expedientes/{folio}/confirmacion").get_data(as_text=True)
    assert folio in done and f"/expedientes/{folio}/acuse.pdf" in done
    assert "10 días hábiles" in done
    assert case_state(app, folio).submitted_at is not None
    # after filing the steps are read-only and revisar leads away
    after = client.get(f"/expedientes/{folio}/pasos/negocio")
    assert after.status_code == 200 and "no se puede modificar" in after.get_data(as_text=True)
    assert post_step(client, folio, "negocio", NEGOCIO).status_code == 302
    assert client.get(f"/expedientes/{folio}/revisar").headers["Location"] == (
        f"/expedientes/{folio}"
    )


def test_change_link_returns_to_check_answers(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    fill_all(client, folio)
    changed = dict(NEGOCIO, giro="abarrotes")
    page = post_step(client, folio, "negocio", changed, query="?volver=revisar")
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"
    review = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    assert "Tienda de abarrotes y misceláneas" in review
    # a change that makes a new field necessary stops on the step that needs it
    small = dict(NEGOCIO, superficie_m2="50")
    page = post_step(client, folio, "negocio", small, query="?volver=revisar")
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"
    assert "doc_programa_pc" not in case_state(app, folio).data


def test_group_rows_are_added_and_removed_without_javascript(
    app: Flask, client: FlaskClient
) -> None:
    folio = start(client)
    post_step(client, folio, "solicitante", SOLICITANTE)
    page = post_step(client, folio, "negocio", NEGOCIO, accion="agregar:socios")
    assert page.status_code == 302
    assert page.headers["Location"].endswith("/pasos/negocio#socios-2")
    html = client.get(f"/expedientes/{folio}/pasos/negocio").get_data(as_text=True)
    assert 'name="socios[2].socio_nombre"' in html
    assert 'value="Juan Carlos Ramírez Torres"' in html
    assert len(case_state(app, folio).drafts["negocio"]["socios"]) == 3
    three = dict(NEGOCIO)
    three.update({"socios[2].socio_nombre": "Sin CURP", "socios[2].socio_curp": ""})
    page = post_step(client, folio, "negocio", three)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'href="#socios-2-socio_curp"' in html
    page = post_step(client, folio, "negocio", three, accion="quitar:socios:2")
    assert page.status_code == 302
    rows = case_state(app, folio).drafts["negocio"]["socios"]
    assert [r["socio_nombre"] for r in rows] == [
        "María Guadalupe Hernández López",
        "Juan Carlos Ramírez Torres",
    ]
    page = post_step(client, folio, "negocio", NEGOCIO)
    assert page.headers["Location"].endswith("/pasos/documentos")


def test_save_and_exit_then_resume(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    half = {"tipo_persona": "moral", "razon_social": "Mi Empresa", "curp": "ABC"}
    page = post_step(client, folio, "solicitante", half, accion="guardar")
    assert page.headers["Location"] == "/mis-tramites"
    home = client.get("/").get_data(as_text=True)
    assert "Guardamos su avance" in home
    again = client.get(f"/expedientes/{folio}/pasos/solicitante").get_data(as_text=True)
    assert 'value="Mi Empresa"' in again and 'value="ABC"' in again
    assert re.search(r'value="moral" checked', again)
    assert case_state(app, folio).status == "draft"
    # Enter in a text box sends the form without `accion` (the hidden default button): continue
    url = f"/expedientes/{folio}/pasos/solicitante"
    page = client.post(url, data=dict(SOLICITANTE, csrf_token=csrf_token(client, url)))
    assert page.headers["Location"] == f"/expedientes/{folio}/pasos/negocio"


def test_eligibility_rule_is_explained(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    post_step(client, folio, "solicitante", SOLICITANTE)
    page = post_step(client, folio, "negocio", dict(NEGOCIO, cuenta_uso_suelo="no"))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "No es posible continuar" in html
    assert "constancia de uso de suelo compatible" in html


def test_english_messages(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    client.set_cookie("lang", "en")
    page = post_step(client, folio, "solicitante", dict(SOLICITANTE, correo="no-es-correo"))
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "enter a valid email address" in html
    assert "Applicant" in html and "Step 1 of 3" in html and "Save and continue" in html
    assert "There is a problem" in html


def test_files_are_kept_removed_and_foreign_ids_refused(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    fill_all(client, folio)
    other = start(client)
    post_step(client, other, "solicitante", SOLICITANTE)
    post_step(client, other, "negocio", NEGOCIO)
    foreign = case_state(app, folio).data["doc_uso_suelo"][0]["id"]
    form = documents()
    del form["doc_uso_suelo"]
    form["doc_uso_suelo.keep"] = foreign
    page = post_step(client, other, "documentos", form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "no pertenece a este trámite" in html
    state = case_state(app, other)
    assert state.status == "draft"
    assert "doc_uso_suelo" not in state.drafts["documentos"]
    kept = state.drafts["documentos"]["doc_identificacion"]
    html = client.get(f"/expedientes/{other}/pasos/documentos").get_data(as_text=True)
    assert f'name="doc_identificacion.keep" value="{kept[0]["id"]}"' in html
    # keep the saved files, add the missing one, remove the programme and re-upload it
    keep = {
        f"{fid}.keep": [r["id"] for r in refs] for fid, refs in state.drafts["documentos"].items()
    }
    keep["doc_programa_pc.quitar"] = keep["doc_programa_pc.keep"][0]
    keep["doc_uso_suelo"] = [(io.BytesIO(pdf_bytes()), "uso.pdf", "application/pdf")]
    keep["doc_programa_pc"] = [(io.BytesIO(pdf_bytes("2")), "pc-nuevo.pdf", "application/pdf")]
    page = post_step(client, other, "documentos", keep)
    assert page.status_code == 302, page.get_data(as_text=True)
    data = case_state(app, other).data
    assert data["doc_identificacion"] == kept
    assert [r["name"] for r in data["doc_programa_pc"]] == ["pc-nuevo.pdf"]


def test_wrong_file_type_is_refused_with_a_message(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    post_step(client, folio, "solicitante", SOLICITANTE)
    post_step(client, folio, "negocio", NEGOCIO)
    form = documents()
    form["doc_uso_suelo"] = [(io.BytesIO(png_bytes()), "uso.png", "image/png")]
    page = post_step(client, folio, "documentos", form)
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'href="#doc_uso_suelo"' in html
    # the files that were fine are kept for the next try
    assert "ine.pdf" in html


def test_unknown_fields_and_wrong_types_are_422(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    page = post_step(client, folio, "solicitante", dict(SOLICITANTE, intruso="x"))
    assert page.status_code == 422
    assert "no es un dato de este paso" in page.get_data(as_text=True)
    page = post_step(client, folio, "solicitante", dict(SOLICITANTE, tipo_persona="otro"))
    assert page.status_code == 422
    post_step(client, folio, "solicitante", SOLICITANTE)
    for broken in (
        {"superficie_m2": "mucho"},
        {"vende_alcohol": "quizas"},
        {"socios[99999].socio_nombre": "x"},
        {"domicilio_negocio.postcode": "abc"},
        {"giro": ["restaurante", "farmacia"]},
    ):
        page = post_step(client, folio, "negocio", dict(NEGOCIO, **broken))
        assert page.status_code == 422, broken
    page = post_step(client, folio, "negocio", NEGOCIO, accion="quitar:nada:x")
    assert page.status_code == 302
    assert client.get(f"/expedientes/{folio}/pasos/no_existe").status_code == 404
    assert client.get(f"/expedientes/{folio}/pasos/revision").status_code == 404


def test_other_people_get_404(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    fill_all(client, folio)
    urls = [
        f"/expedientes/{folio}/pasos/solicitante",
        f"/expedientes/{folio}/revisar",
        f"/expedientes/{folio}/confirmacion",
    ]
    for email in (NEIGHBOUR, "funcionario@demo.gob.mx"):
        other = app.test_client()
        login(other, email)
        for url in urls:
            assert other.get(url).status_code == 404, (email, url)
        page = other.post(
            f"/expedientes/{folio}/enviar",
            data={"csrf_token": csrf_token(other), "declaracion": "si"},
        )
        assert page.status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(urls[0]).headers["Location"].startswith("/entrar?next=")
    assert client.get("/expedientes/CHO-2026-NOEXISTE/revisar").status_code == 404


def test_returned_for_correction(app: Flask, client: FlaskClient) -> None:
    folio = start(client)
    fill_all(client, folio)
    client.post(
        f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client), "declaracion": "si"}
    )
    services = app.extensions["tramita"]
    case_id = services.cases.case_id_for_folio(folio)
    state = case_state(app, folio)
    official = Actor(
        "99", "official", frozenset({"desarrollo-economico"}), frozenset({"revisor"}), "Rev"
    )
    desarrollo = next(t for t in state.open_tasks() if t.department == "desarrollo-economico")
    services.cases.execute(
        case_id,
        Decide(
            at=utcnow(),
            actor=official,
            task_id=desarrollo.id,
            decision="return",
            comment="La identificación está ilegible <b>vuelva</b> a subirla.",
            reason="incorrect",
        ),
    )
    page = client.get(f"/expedientes/{folio}/pasos/documentos")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "devuelta para corrección" in html
    assert "ilegible &lt;b&gt;vuelva&lt;/b&gt;" in html
    assert "Datos o documentos incorrectos" in html
    readonly = client.get(f"/expedientes/{folio}/pasos/negocio").get_data(as_text=True)
    assert "no se puede modificar" in readonly
    assert post_step(client, folio, "negocio", NEGOCIO).status_code == 302
    review = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    assert "Reenviar solicitud" in review and "Aún falta corregir" in review
    page = client.post(
        f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client), "declaracion": "si"}
    )
    assert page.status_code == 303
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"
    refused = client.get(page.headers["Location"]).get_data(as_text=True)
    assert 'id="error-summary"' in refused
    refs = case_state(app, folio).data
    keep = {f"{f}.keep": [r["id"] for r in refs[f]] for f in documents()}
    page = post_step(client, folio, "documentos", keep)
    assert page.headers["Location"] == f"/expedientes/{folio}/revisar"
    page = client.post(
        f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client), "declaracion": "si"}
    )
    assert page.headers["Location"] == f"/expedientes/{folio}/confirmacion"
    assert case_state(app, folio).status == "in_review"


# -- every example procedure, from its example_data -----------------------------------------


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _upload(ref: dict[str, Any]) -> tuple[io.BytesIO, str, str]:
    kind = ref["content_type"]
    data = {"image/png": png_bytes, "image/jpeg": jpeg_bytes}.get(kind, lambda: pdf_bytes("x"))()
    return io.BytesIO(data), ref["name"], kind


def _put(form: dict[str, Any], field: dict[str, Any], name: str, value: Any) -> None:
    kind = field["type"]
    if kind in ("address", "geo_point"):
        form.update({f"{name}.{part}": str(v) for part, v in value.items()})
    elif kind == "yesno":
        form[name] = "si" if value else "no"
    elif kind == "checkboxes":
        form[name] = list(value)
    elif kind == "file":
        form[name] = [_upload(ref) for ref in value]
    elif kind == "group":
        for n, row in enumerate(value):
            for sub in field["fields"]:
                if sub["id"] in row:
                    _put(form, sub, f"{name}[{n}].{sub['id']}", row[sub["id"]])
    else:
        form[name] = str(value)


def form_for(step: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """The wizard form a citizen would send for `data` (docs/web-contract.md names)."""
    form: dict[str, Any] = {}
    for field in step["fields"]:
        if not field.get("readonly") and field["id"] in data:
            _put(form, field, field["id"], data[field["id"]])
    return form


@pytest.mark.parametrize("key", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_every_example_procedure_goes_through(app: Flask, client: FlaskClient, key: str) -> None:
    doc = json.loads((EXAMPLES / f"{key}.json").read_text(encoding="utf-8"))
    steps = {s["id"]: s for s in doc["steps"]}
    page = client.post(f"/tramites/{key}", data={"csrf_token": csrf_token(client)})
    location = page.headers["Location"]
    folio = location.split("/")[2]
    for _ in range(10):
        if location.endswith("/revisar"):
            break
        step_id = location.rsplit("/", 1)[1]
        html = client.get(location).get_data(as_text=True)
        assert steps[step_id]["title"]["es"] in html
        form = form_for(steps[step_id], doc["example_data"][step_id])
        page = post_step(client, folio, step_id, form)
        assert page.status_code == 302, (step_id, page.get_data(as_text=True)[-3000:])
        location = page.headers["Location"]
    review = client.get(location).get_data(as_text=True)
    assert "Revise sus respuestas" in review
    page = client.post(
        f"/expedientes/{folio}/enviar", data={"csrf_token": csrf_token(client), "declaracion": "si"}
    )
    assert page.headers["Location"] == f"/expedientes/{folio}/confirmacion"
    assert folio in client.get(page.headers["Location"]).get_data(as_text=True)
    services = app.extensions["tramita"]
    services.outbox.run_due()
    state = case_state(app, folio)
    after_filing = key in ("registro-vehicular", "permiso-construccion")  # connector, then a form
    assert (state.status == "awaiting_applicant") == after_filing, state.status
    if after_filing:
        step = steps[state.position]
        html = client.get(f"/expedientes/{folio}/pasos/{state.position}").get_data(as_text=True)
        readonly = [f for f in step["fields"] if f.get("readonly")]
        assert readonly, f"{key}: the step after the connector shows none of its answers"
        for field in readonly:
            assert str(state.data[field["id"]]) in html  # filled in by the connector
        page = post_step(client, folio, step["id"], form_for(step, doc["example_data"][step["id"]]))
        assert page.headers["Location"] == f"/expedientes/{folio}"
        assert case_state(app, folio).status != "awaiting_applicant"


def test_profile_prefills_a_new_application(app: Flask, client: FlaskClient) -> None:
    accounts = Accounts(app.extensions["tramita"].engine, demo_mode=True)
    account = accounts.by_email(CITIZEN)
    assert account is not None
    address = {
        "street": "Av. Reforma",
        "number": "10",
        "neighbourhood": "Centro",
        "postcode": "72960",
        "municipality": "Chocotlán",
    }
    accounts.update_profile(
        account.id,
        {
            "name": "María López Hernández",
            "curp": "HELG850312MPLRPD05",
            "phone": "2223184567",
            "address": address,
        },
    )
    page = client.post("/tramites/constancia-residencia", data={"csrf_token": csrf_token(client)})
    html = client.get(page.headers["Location"]).get_data(as_text=True)
    for value in ("María López Hernández", "HELG850312MPLRPD05", "2223184567", "Av. Reforma"):
        assert f'value="{value}"' in html, value
    assert 'value="ciudadano@demo.gob.mx"' in html
    # the case keeps the account's name and CURP (what the inbox lists and searches)
    folio = page.headers["Location"].split("/")[2]
    with app.extensions["tramita"].engine.connect() as conn:
        row = conn.execute(
            sql_text("SELECT applicant_name, applicant_ref FROM cases WHERE folio = :f"),
            {"f": folio},
        ).one()
    assert tuple(row) == ("María López Hernández", "HELG850312MPLRPD05")


def test_every_field_type_renders_and_liaison_text_is_escaped(
    app: Flask, client: FlaskClient
) -> None:
    doc = copy.deepcopy(MINI)
    doc["key"] = "todos-los-campos"
    fields = doc["steps"][0]["fields"]
    fields[0]["label"] = {"es": "<script>alert(1)</script> Nombre"}
    fields[0]["help"] = {"es": "<b>negritas</b>"}
    fields += [
        {
            "id": "colonia",
            "type": "select",
            "label": {"es": "Colonia"},
            "options": [{"value": f"c{n}", "label": {"es": f"Colonia {n}"}} for n in range(20)],
        },
        {
            "id": "dias",
            "type": "checkboxes",
            "label": {"es": "Días"},
            "options": [
                {"value": "lun", "label": {"es": "Lunes"}},
                {"value": "mar", "label": {"es": "Martes"}},
            ],
        },
        {"id": "importe", "type": "money", "label": {"es": "Importe"}},
        {"id": "inicio", "type": "date", "label": {"es": "Inicio"}},
        {"id": "notas", "type": "textarea", "label": {"es": "Notas"}},
        {
            "id": "detalle",
            "type": "text",
            "label": {"es": "Detalle"},
            "show_if": {"==": [{"var": "notas"}, "it's <b>"]},
        },
    ]
    catalog = app.extensions["tramita"].catalog
    catalog.save_draft(doc)
    catalog.publish("todos-los-campos")
    page = client.post("/tramites/todos-los-campos", data={"csrf_token": csrf_token(client)})
    location = page.headers["Location"]
    html = client.get(location).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>negritas</b>" not in html
    # the label's markers, the hint and aria-describedby are markup around the escaped texts
    required = '<span class="required" aria-hidden="true"> *</span>'
    assert f"&lt;script&gt;alert(1)&lt;/script&gt; Nombre{required}</label>" in html
    assert 'Notas <span class="optional">(opcional)</span></label>' in html
    assert '<p class="usa-hint" id="nombre-ayuda">&lt;b&gt;negritas&lt;/b&gt;</p>' in html
    assert re.search(r'id="nombre"[^>]* aria-describedby="nombre-ayuda"', html)
    assert 'data-typeahead="1"' in html
    assert 'type="checkbox"' in html and 'data-kind="date"' in html and "<textarea" in html
    assert "it's" not in html and "\\u0027" in html  # the rule is JSON-escaped in the attribute
    folio = location.split("/")[2]
    form = {
        "nombre": "Ana",
        "edad": "30",
        "giro": "tienda",
        "superficie": "20",
        "colonia": "c17",
        "dias": ["mar", "lun"],
        "importe": "$1,250.5",
        "inicio": "05/01/2026",
        "notas": "Sin notas",
    }
    # an answer missing: its message under the label, named by the input, after «Error:»
    page = post_step(client, folio, "datos", {**form, "nombre": ""})
    html = page.get_data(as_text=True)
    assert re.search(
        r'<p class="usa-error-message" id="nombre-error"><span class="visually-hidden">'
        r"Error:</span> [^<]+</p>",
        html,
    )
    assert re.search(r'id="nombre"[^>]* aria-describedby="nombre-ayuda nombre-error"', html)
    page = post_step(client, folio, "datos", form)
    assert page.status_code == 302, page.get_data(as_text=True)
    data = case_state(app, folio).data
    assert data["importe"] == "1250.50" and data["dias"] == ["lun", "mar"]
    assert data["inicio"] == "2026-01-05"
    review = client.get(f"/expedientes/{folio}/revisar").get_data(as_text=True)
    for text in ("$1,250.50", "Lunes", "Martes", "05/01/2026", "Colonia 17", "Tienda"):
        assert text in review, text


def test_a_step_post_reads_the_case_row_once(app: Flask, client: FlaskClient) -> None:
    """The wizard reads the case once and hands that row to the case service
    (`execute(loaded=...)`) instead of the service reading it again. Every statement is
    counted at the driver (the hot path sends its own through the sqlite3 cursor)."""
    from sqlalchemy import event

    folio = start(client)
    url = f"/expedientes/{folio}/pasos/solicitante"
    form = {**SOLICITANTE, "csrf_token": csrf_token(client, url), "accion": "continuar"}
    engine = app.extensions["tramita"].engine
    statements: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(engine, "connect", trace)
    engine.dispose()  # connections opened from here on are traced
    try:
        page = client.post(url, data=form, content_type="multipart/form-data")
    finally:
        event.remove(engine, "connect", trace)
    assert page.headers["Location"] == f"/expedientes/{folio}/pasos/negocio"
    reads = [s for s in statements if re.match(r"(?is)\s*SELECT\b.*\b(FROM|JOIN)\s+cases\b", s)]
    assert len(reads) == 1, reads
    assert any(re.match(r"(?is)\s*UPDATE\s+cases\b", s) for s in statements)
