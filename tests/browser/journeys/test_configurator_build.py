"""Issue 16's journey through the configurator's pages, with the mouse: a liaison builds a small
licence-like procedure from a blank draft without typing any JSON (two form steps with a select
from a pasted option list, a yes/no and a field shown only when it is «sí», a repeating group;
a parallel review by two departments, the second one only when the business sells alcohol; a
payment whose line looks the fee up in a table by the chosen line of business; a document with
a placeholder and a conditional paragraph; the end), tries it with the test run, publishes it
with a note; the citizen completes it in the wizard, both departments' officials approve, the
citizen pays the fee the table gave through the sandbox gateway, and the licence is issued with
the business name and the restaurant's paragraph (the case closed, approved).

«Its export is semantically equal to the reference example»: the reference (the 1,035-line
licence) is much bigger than what a test should click through, so the export of this smaller
procedure is compared with the JSON written by hand below (EXPECTED_STEPS and FEES): every
step exactly (types, routes, fields with their types and options, the show-if condition, the
branches and their condition, the fee line's table factor, the document's text), the fee
table, key, department and start. The ids are those the UI derives from titles and labels, so
they are predictable and compared too; the information page's catalog fields (checked by the
publish checklist) and the textarea's CRLF line breaks (read as LF) are left out."""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from connectors.gateway import GatewayConfig
from sandbox_gateway import SandboxServer, create_sandbox_app, serve_in_background
from tests.browser.conftest import CITIZEN, LiveServer, login
from workflow_engine.engine import state as case_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KEY = "licencia-e2e"
LIAISON = "enlace@demo.gob.mx"
RESTAURANT_PARAGRAPH = "Incluye la venta de alimentos preparados."
FEES = {"comercio": "1000", "servicios": "1500", "restaurante": "2500"}


def click(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def flashed(page: Any) -> str:
    return page.inner_text("main")


def edit(page: Any, path: str) -> None:
    page.goto(f"/configurador/{KEY}{path}")


@pytest.fixture
def sandbox(live_server: LiveServer) -> Iterator[SandboxServer]:
    """The sandbox payment gateway on loopback, wired into the live app."""
    from app.citizen.payments import configure

    server = serve_in_background(
        create_sandbox_app(api_key="journey-key", webhook_secret="journey-secret", deliver="thread")
    )
    configure(
        live_server.app, GatewayConfig("sandbox", server.url, "journey-key", "journey-secret")
    )
    try:
        yield server
    finally:
        configure(live_server.app, None)
        server.stop()


# -- the liaison builds it ----------------------------------------------------------------------


def create_blank(page: Any) -> None:
    page.goto("/configurador/nuevo")
    page.fill("#blank-title-es", "Licencia de prueba E2E")
    page.fill("#blank-title-en", "E2E test licence")
    page.fill("#blank-key", KEY)
    click(page, "button:has-text('Crear en blanco')")
    assert page.url.endswith(f"/configurador/{KEY}/"), flashed(page)


def fill_information(page: Any) -> None:
    edit(page, "/informacion")
    values = {
        "#summary-es": "Permite abrir un negocio de bajo riesgo.",
        "#summary-en": "Lets you open a low-risk business.",
        "#homoclave": "CHO-DE-901",
        "#modality-es": "Expedición",
        "#modality-en": "Issuance",
        "#who_may_apply-es": "Personas físicas o morales.",
        "#who_may_apply-en": "Individuals or companies.",
        "#requirements-0-name-es": "Identificación oficial",
        "#requirements-0-name-en": "Official ID",
        "#max_response_days": "10",
        "#cost-es": "Según la tarifa por giro.",
        "#cost-en": "According to the fee per line of business.",
    }
    for selector, value in values.items():
        page.fill(selector, value)
    page.select_option("#requirements-0-original_copy", "copy")
    page.select_option("#ficta", "negativa")
    page.select_option("#response_deadline", "ficta")
    click(page, "main form button:has-text('Guardar') >> nth=-1")
    assert "Falta este dato" not in flashed(page), flashed(page)


def add_step(page: Any, kind: str, es: str, en: str) -> None:
    edit(page, "/pasos")
    page.check(f"#tipo-{kind}")
    page.fill("#title_es", es)
    page.fill("#title_en", en)
    click(page, "button:has-text('Agregar paso')")


def add_field(page: Any, step: str, kind: str, label: str, en: str) -> str:
    """Add a field from the palette, name it in English, mark it required; its id."""
    edit(page, f"/pasos/{step}")
    page.check(f"#agregar-campo-{kind}")
    page.fill("#agregar-campo-label", label)
    click(page, "button:has-text('Agregar campo')")
    page.fill("#label_en", en)
    page.check("#required")
    click(page, "button:has-text('Guardar campo')")
    return str(page.url.split("/campos/")[1])


def route(page: Any, step: str, to: str) -> None:
    """The step's only route leads to `to` (the blank form's one to the end is changed)."""
    edit(page, f"/pasos/{step}")
    existing = page.locator("select[id^='to-']")
    if existing.count():
        existing.first.select_option(to)
        click(page, "button[name=action][value=set]")
    else:
        page.select_option("#new-route-to", to)
        click(page, "form:has(#new-route-to) button[value=add]")


def build_forms(page: Any) -> None:
    add_field(page, "solicitud", "text", "Razón social", "Business name")
    add_field(page, "solicitud", "select", "Giro", "Line of business")
    page.fill(
        "#options_text",
        "comercio | Comercio | Retail\nservicios | Servicios | Services\n"
        "restaurante | Restaurante | Restaurant",
    )
    click(page, "button:has-text('Guardar opciones')")
    assert "Se guardaron 3 opciones" in flashed(page)
    add_field(page, "solicitud", "yesno", "Vende bebidas alcohólicas", "Sells alcohol")
    add_field(page, "solicitud", "text", "Número de permiso de alcoholes", "Alcohol permit number")
    page.select_option("#new_field", "vende_bebidas_alcoholicas")
    click(page, "button[value=add_row]")
    page.select_option("#row-0-op", "eq")
    page.select_option("#row-0-value", "true")
    click(page, "button[value=save]")
    add_field(page, "datos_del_local", "number", "Superficie en metros cuadrados", "Floor area")
    add_field(page, "datos_del_local", "group", "Socios", "Partners")
    route(page, "solicitud", "datos_del_local")
    route(page, "datos_del_local", "revision_de_areas")


def build_review(page: Any) -> None:
    """Two areas at once; Protección Civil only when the business sells alcohol."""
    edit(page, "/pasos/revision_de_areas")
    click(page, "button:has-text('Agregar área')")  # Desarrollo Económico, the default
    page.select_option("#new-department", "proteccion-civil")
    click(page, "button:has-text('Agregar área')")
    edit(page, "/pasos/revision_de_areas?condicion=branches/proteccion_civil")
    page.select_option("#new_field", "vende_bebidas_alcoholicas")
    click(page, "button[value=add_row]")
    page.select_option("#row-0-value", "true")
    click(page, "button[value=save]")
    assert "Revisa si Vende bebidas alcohólicas" in flashed(page), flashed(page)
    page.select_option("#approve-new", "pago_de_derechos")
    click(page, "form:has(#approve-new) button[value=add]")
    page.select_option("#reject", "fin")
    click(page, "button:has-text('Guardar rechazo y prevención')")
    assert "«reject»" not in flashed(page), flashed(page)


def build_payment(page: Any) -> None:
    """A fee table by line of business and one line that looks the chosen one up."""
    edit(page, "/pasos/pago_de_derechos")
    page.fill("#table_name", "cuota_por_giro")
    click(page, "button:has-text('Crear tarifa')")
    for n, (key, amount) in enumerate(FEES.items()):
        page.fill(f"#key-{n}", key)
        page.fill(f"#amount-{n}", amount)
        click(page, "button:has-text('Guardar tarifa')")
    edit(page, "/pasos/pago_de_derechos")
    page.fill("#label_es", "Derechos de la licencia")
    page.fill("#label_en", "Licence fee")
    page.select_option("#f-0", "table:cuota_por_giro:giro")
    click(page, "button:has-text('Agregar línea')")
    page.fill("#concept_es", "Licencia de funcionamiento")
    page.fill("#concept_en", "Operating licence")
    click(page, "button:has-text('Guardar datos del pago')")
    route(page, "pago_de_derechos", "licencia")


def build_document(page: Any) -> None:
    """The licence's text: a placeholder from the picker and a paragraph only for restaurants."""
    edit(page, "/pasos/licencia")
    page.fill("#title_es", "Licencia de funcionamiento")
    page.fill("#title_en", "Operating licence")
    page.fill("#body_es", "Se otorga la licencia a ")
    page.select_option("#placeholder_es", "{{ data.razon_social }}")
    page.click("button[value='insert:es']")  # configurator_placeholders.js: at the cursor
    assert page.input_value("#body_es").endswith("a {{ data.razon_social }}")
    page.select_option("#paragraph_es", 'data.giro == "restaurante"')
    click(page, "button[value='paragraph:es']")
    body = page.input_value("#body_es")
    assert '{% if data.giro == "restaurante" %}' in body, body
    page.fill("#body_es", body.replace("Texto del párrafo.", RESTAURANT_PARAGRAPH))
    page.fill("#body_en", "The licence is granted.")
    click(page, "form[action$='#documento'] button[value=save] >> nth=-1")
    route(page, "licencia", "fin")


def build(page: Any) -> None:
    create_blank(page)
    fill_information(page)
    add_step(page, "form", "Datos del local", "Premises details")
    add_step(page, "parallel", "Revisión de áreas", "Area review")
    add_step(page, "payment", "Pago de derechos", "Fee payment")
    add_step(page, "document", "Licencia", "Licence")
    build_forms(page)
    build_review(page)
    build_payment(page)
    build_document(page)


def try_and_publish(page: Any) -> None:
    edit(page, "/prueba")
    click(page, "button:has-text('Correr la prueba')")
    result = page.inner_text("main")
    assert "Estado final: Concluido: aprobado" in result, result
    assert "Derechos de la licencia" in result and "$1,000.00" in result, result  # comercio
    assert "Protección Civil" in result, result  # the example answer sells alcohol
    edit(page, "/publicar")
    page.fill("#note", "Primera versión, construida en el configurador")
    click(page, "button:has-text('Publicar nueva versión')")
    assert "Primera versión, construida en el configurador" in flashed(page), flashed(page)


def apply(page: Any) -> str:
    """The citizen fills both steps (the conditional field appears with «sí»; two partners in
    the repeating group), sees the fee from the table and sends it; the folio."""
    page.goto(f"/tramites/{KEY}/informacion")
    click(page, "main form button:has-text('Iniciar trámite')")
    folio = page.url.split("/expedientes/")[1].split("/")[0]
    page.fill("#razon_social", "La Fonda de María")
    page.select_option("#giro", "restaurante")
    page.check("#vende_bebidas_alcoholicas")
    page.fill("#numero_de_permiso_de_alcoholes", "ALC-123")
    click(page, "button[value=continuar]")
    page.fill("#superficie_en_metros_cuadrados", "80")
    page.fill("#socios-0-nombre", "María López")
    click(page, "button[value='agregar:socios']")
    page.fill("#socios-1-nombre", "Juan Pérez")
    click(page, "button[value=continuar]")
    summary = page.inner_text("main")
    assert "Nombre: Juan Pérez" in summary and "ALC-123" in summary, summary
    assert "$2,500.00" in summary, summary  # cuota_por_giro["restaurante"]
    page.check("#declaracion")
    click(page, "button:has-text('Enviar solicitud')")
    return folio


def approve(page: Any, folio: str) -> None:
    page.goto(f"/bandeja/expedientes/{folio}")
    click(page, "form[action$='/tomar'] button")
    page.check("#decision-approve")
    click(page, "#decision-form button[type=submit]")
    assert "Aprob" in flashed(page), flashed(page)


def case_status(server: LiveServer, folio: str) -> str:
    cases = server.app.extensions["tramita"].cases
    return str(cases.load(cases.case_id_for_folio(folio))[0].status)


def pay(page: Any, folio: str) -> None:
    """The citizen pays online through the sandbox gateway and comes back to the case."""
    page.goto(f"/expedientes/{folio}")
    assert "$2,500.00" in page.inner_text("main")
    click(page, "button:has-text('Pagar en línea')")
    page.get_by_role("button", name="Pagar", exact=True).click()
    page.wait_for_url(re.compile(rf"/expedientes/{folio}(#pago|/pago/regreso)?$"))
    if page.url.endswith("/pago/regreso"):
        live = page.locator("#pago-aviso[role=status]")
        live.get_by_text("Recibimos la confirmación").wait_for(timeout=20_000)
        click(page, "#pago-aviso a")


def settled(server: LiveServer, folio: str) -> str:
    """The case's status once the gateway's webhook (sent in the background, like a real
    gateway's) has moved it on from awaiting payment (at most ~20 s on a busy machine)."""
    for _ in range(100):
        status = case_status(server, folio)
        if status != case_state.AWAITING_PAYMENT:
            return status
        time.sleep(0.2)
    return case_status(server, folio)


def issue_documents(server: LiveServer, folio: str) -> None:
    """What the worker does (the live server runs none): the outbox's due effects, the
    licence's issuance among them, until the case has left «awaiting document»."""
    outbox = server.app.extensions["tramita"].outbox
    for _ in range(50):
        outbox.run_due()
        if case_status(server, folio) != case_state.AWAITING_DOCUMENT:
            return
        time.sleep(0.2)


def issued_text(page: Any, folio: str) -> str:
    """The text of the licence the citizen downloads from the case page (the placeholder
    filled, the restaurant's paragraph printed)."""
    link = page.locator(f"main a[href*='/expedientes/{folio}/documentos/']").first
    response = page.request.get(str(link.get_attribute("href")))
    assert response.ok, response.status
    reader = PdfReader(io.BytesIO(response.body()))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def test_build_publish_apply_approve(
    live_server: LiveServer, new_context: Any, sandbox: SandboxServer
) -> None:
    page = new_context().new_page()
    login(page, LIAISON)
    build(page)
    try_and_publish(page)
    exported = export(page)
    assert_like_expected(exported)

    citizen = new_context().new_page()
    login(citizen, CITIZEN)
    folio = apply(citizen)
    assert case_status(live_server, folio) == case_state.IN_REVIEW

    for official in ("revisora@demo.gob.mx", "proteccion@demo.gob.mx"):
        staff = new_context().new_page()
        login(staff, official)
        approve(staff, folio)
    assert case_status(live_server, folio) == case_state.AWAITING_PAYMENT
    pay(citizen, folio)
    assert settled(live_server, folio) in (case_state.AWAITING_DOCUMENT, case_state.CLOSED)
    issue_documents(live_server, folio)
    assert case_status(live_server, folio) == case_state.CLOSED
    citizen.goto(f"/expedientes/{folio}")
    text = citizen.inner_text("main")
    assert "Concluido: aprobado" in text and "Se emitió su documento" in text, text
    issued = issued_text(citizen, folio)
    assert "La Fonda de María" in issued and RESTAURANT_PARAGRAPH in issued, issued


def export(page: Any) -> dict[str, Any]:
    edit(page, "/")
    with page.expect_download() as download:
        page.click("button:has-text('Descargar el borrador en JSON')")
    path = download.value.path()
    data: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def _text(es: str, en: str) -> dict[str, str]:
    return {"es": es, "en": en}


ALCOHOL = {"==": [{"var": "vende_bebidas_alcoholicas"}, True]}
DOCUMENT_BODY = (
    "Se otorga la licencia a {{ data.razon_social }}\n\n"
    '{% if data.giro == "restaurante" %}' + RESTAURANT_PARAGRAPH + "{% endif %}"
)
EXPECTED_STEPS: list[dict[str, Any]] = [
    {
        "id": "solicitud",
        "type": "form",
        "title": _text("Solicitud", "Application"),
        "fields": [
            {
                "id": "razon_social",
                "type": "text",
                "label": _text("Razón social", "Business name"),
                "max_length": 500,
                "required": True,
            },
            {
                "id": "giro",
                "type": "select",
                "label": _text("Giro", "Line of business"),
                "options": [
                    {"value": "comercio", "label": _text("Comercio", "Retail")},
                    {"value": "servicios", "label": _text("Servicios", "Services")},
                    {"value": "restaurante", "label": _text("Restaurante", "Restaurant")},
                ],
                "required": True,
            },
            {
                "id": "vende_bebidas_alcoholicas",
                "type": "yesno",
                "label": _text("Vende bebidas alcohólicas", "Sells alcohol"),
                "required": True,
            },
            {
                "id": "numero_de_permiso_de_alcoholes",
                "type": "text",
                "label": _text("Número de permiso de alcoholes", "Alcohol permit number"),
                "max_length": 500,
                "required": True,
                "show_if": ALCOHOL,
            },
        ],
        "transitions": [{"id": "enviar", "to": "datos_del_local"}],
    },
    {
        "id": "datos_del_local",
        "type": "form",
        "title": _text("Datos del local", "Premises details"),
        "fields": [
            {
                "id": "superficie_en_metros_cuadrados",
                "type": "number",
                "label": _text("Superficie en metros cuadrados", "Floor area"),
                "required": True,
            },
            {
                "id": "socios",
                "type": "group",
                "label": _text("Socios", "Partners"),
                "fields": [{"id": "nombre", "type": "text", "label": _text("Nombre", "Name")}],
                "required": True,
            },
        ],
        "transitions": [{"id": "ruta", "to": "revision_de_areas"}],
    },
    {
        "id": "revision_de_areas",
        "type": "parallel",
        "title": _text("Revisión de áreas", "Area review"),
        "branches": [
            {"id": "desarrollo_economico", "department": "desarrollo-economico", "role": "revisor"},
            {
                "id": "proteccion_civil",
                "department": "proteccion-civil",
                "role": "revisor",
                "when": ALCOHOL,
            },
        ],
        "deadline_days": 10,
        "on_lapse": "escalate",
        "outcomes": {"approve": {"to": "pago_de_derechos"}, "reject": {"to": "fin"}},
    },
    {
        "id": "pago_de_derechos",
        "type": "payment",
        "title": _text("Pago de derechos", "Fee payment"),
        "currency": "MXN",
        "concept": _text("Licencia de funcionamiento", "Operating licence"),
        "fee_lines": [
            {
                "id": "derechos_de_la_licencia",
                "label": _text("Derechos de la licencia", "Licence fee"),
                "amount": {"table": ["cuota_por_giro", {"var": "giro"}]},
            }
        ],
        "transitions": [{"id": "ruta", "to": "licencia"}],
    },
    {
        "id": "licencia",
        "type": "document",
        "title": _text("Licencia", "Licence"),
        "document": {
            "title": _text("Licencia de funcionamiento", "Operating licence"),
            "body": _text(DOCUMENT_BODY, "The licence is granted."),
            "kind": "documento",
        },
        "transitions": [{"id": "ruta", "to": "fin"}],
    },
    {
        "id": "fin",
        "type": "end",
        "title": _text("Trámite concluido", "Procedure completed"),
        "outcome": "approved",
    },
]


def assert_like_expected(exported: dict[str, Any]) -> None:
    """The export's steps and fee tables equal EXPECTED_STEPS and FEES, as JSON values (key
    order aside); a textarea posts its line breaks as CRLF, read here as LF."""
    for step in exported["steps"]:
        body = step.get("document", {}).get("body", {})
        for lang, text in body.items():
            body[lang] = text.replace("\r\n", "\n")
    assert exported["key"] == KEY and exported["department"] == "desarrollo-economico"
    assert exported["start"] == "solicitud"
    assert exported["steps"] == EXPECTED_STEPS, json.dumps(exported["steps"], ensure_ascii=False)
    assert exported["fee_tables"] == {"cuota_por_giro": FEES}
