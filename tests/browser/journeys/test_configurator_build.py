"""Issue 16's journeys through the configurator's pages, with the mouse.

`test_the_reference_licence_built_through_the_ui_exports_as_the_reference`: a liaison builds
the FULL reference licence (form_schemas/examples/licencia-funcionamiento.json) from a blank
draft without typing JSON: three forms (every field with its texts, required, its type's
options, option lists pasted, ids as the reference has them, show-if conditions, a
repeating group of three sub-fields, two conditions to continue, one of them «any» of two
rows), a conditional route, a parallel review by two departments and a single review (roles,
deadlines, lapses, reminders, approve / reject / return), a payment with constants (the UMA
by year), a fee table and three lines (a table lookup, a product of a field and two
constants, a conditional line), a document (kind, holder, text with placeholders and an
if/else paragraph, validity, signer, a table with a free-text right-aligned column), a notice,
four ends and the information page; tries it, publishes it, and its export equals the
reference as JSON values, with the route ids typed on the transitions editor, the municipal
register built on «Padrón municipal» (value pickers, a conditional holder name, attributes,
the yearly renewal from the fee table) and the sample answers saved on «Respuestas de
ejemplo» (the partners' rows, the address, sample PDFs uploaded under the reference's names),
bar what `NOT_COMPARED` and `comparable` list (the key, the sample files' hashes, ids and
sizes, two spellings of the same JSON Logic, CRLF).

`test_build_publish_apply_approve`: a smaller licence-like procedure built the same way goes
all the way: test run, publication, the citizen completes it in the wizard (a conditional
field, two partners in the repeating group), both departments' officials approve, the citizen
pays the fee the table gave through the sandbox gateway, and the licence is issued with the
business name and the restaurant's paragraph (the case closed, approved)."""

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
from tests.helpers.paths import EXAMPLES
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


def approve_to(page: Any, to: str) -> None:
    """On a review step's page: the approval leads to `to` (the route a step added after it
    was given is changed; else one is added)."""
    existing = page.locator("#aprobar-0 select")
    if existing.count():
        existing.select_option(to)
        click(page, "#aprobar-0 button[value=set]")
    else:
        page.select_option("#approve-new", to)
        click(page, "form:has(#approve-new) button[value=add]")


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
    approve_to(page, "pago_de_derechos")
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


# -- the reference licence, built entirely through the UI ---------------------------------------

FULL_KEY = "licencia-ui"
REFERENCE_FILE = EXAMPLES / "licencia-funcionamiento.json"


def full(page: Any, path: str) -> None:
    page.goto(f"/configurador/{FULL_KEY}{path}")


def rename(page: Any, new_id: str) -> None:
    """The «Identificador» form of the step or field page the browser is on."""
    page.fill("#new_id", new_id)
    click(page, "button:has-text('Cambiar identificador')")
    assert f"ahora es «{new_id}»" in flashed(page), flashed(page)


def full_step(page: Any, kind: str, title: tuple[str, str], step_id: str) -> None:
    """Add a step from the steps page; its id as the reference has it."""
    full(page, "/pasos")
    page.check(f"#tipo-{kind}")
    page.fill("#title_es", title[0])
    page.fill("#title_en", title[1])
    click(page, "button:has-text('Agregar paso')")
    if not page.url.rstrip("/").endswith(f"/pasos/{step_id}"):
        rename(page, step_id)


def details(page: Any, step: str, title: tuple[str, str], description: tuple[str, str]) -> None:
    full(page, f"/pasos/{step}")
    page.fill("#title_es", title[0])
    page.fill("#title_en", title[1])
    page.fill("#description_es", description[0])
    page.fill("#description_en", description[1])
    click(page, "button:has-text('Guardar nombre y descripción')")


def condition(page: Any, rows: list[tuple[str, str, Any]], join: str = "all") -> None:
    """Fill the condition builder of the page: rows (field, operator, value or values)."""
    for n, (fid, op, value) in enumerate(rows):
        page.select_option("#new_field", fid)
        click(page, "button[value=add_row]")
        before = page.url
        op_select = f"#row-{n}-op"
        current = page.locator(f"{op_select} option:checked").get_attribute("data-takes")
        wanted = page.locator(f"{op_select} option[value='{op}']").get_attribute("data-takes")
        if current != wanted:  # configurator_conditions.js redraws the row
            with page.expect_navigation():
                page.select_option(op_select, op)
        else:
            page.select_option(op_select, op)
        assert page.url.split("#")[0] == before.split("#")[0]
        if isinstance(value, list):
            for v in value:
                page.check(f"input[name='row-{n}-value'][value='{v}']")
        elif value is not None:
            target = page.locator(f"#row-{n}-value")
            if target.evaluate("e => e.tagName") == "SELECT":
                target.select_option(value)
            else:
                target.fill(value)
    if join == "any":
        page.check("input[name=join][value=any]")
    click(page, "button[value=save]")
    assert "Se guardó la condición" in flashed(page), flashed(page)


def full_field(
    page: Any,
    step: str,
    spec: dict[str, Any],
    *,
    group: str | None = None,
    rename_from: str | None = None,
) -> None:
    """One field of the reference as the liaison makes it: from the palette (or, for the
    group's first row field, the one the group starts with), its texts, required, its type's
    options, its option list, its id and its show-if condition."""
    if rename_from is None:
        where = f"/pasos/{step}" + (f"/campos/{group}" if group else "")
        full(page, where)
        heading = "agregar-subcampo" if group else "agregar-campo"
        page.check(f"#{heading}-{spec['type']}")
        page.fill(f"#{heading}-label", spec["label"]["es"])
        click(page, f"form:has(#{heading}-label) button:has-text('Agregar campo')")
    else:
        full(page, f"/pasos/{step}/campos/{rename_from}")
    page.fill("#label_es", spec["label"]["es"])
    page.fill("#label_en", spec["label"]["en"])
    help_ = spec.get("help") or {}
    page.fill("#help_es", help_.get("es", ""))
    page.fill("#help_en", help_.get("en", ""))
    page.set_checked("#required", bool(spec.get("required")))
    for option in page.locator("input[id^='opt-'], select[id^='opt-'], textarea[id^='opt-']").all():
        name = str(option.get_attribute("id"))[4:]
        value = spec.get(name)
        if option.get_attribute("type") == "checkbox":
            option.set_checked(bool(value))
        elif isinstance(value, list):
            option.fill(", ".join(value))
        else:
            option.fill("" if value is None else str(value))
    click(page, "button:has-text('Guardar campo')")
    assert "Se guardó el campo" in flashed(page), flashed(page)
    if spec.get("options"):
        page.fill(
            "#options_text",
            "\n".join(
                f"{o['value']} | {o['label']['es']} | {o['label']['en']}" for o in spec["options"]
            ),
        )
        click(page, "button:has-text('Guardar opciones')")
    if not page.url.split("#")[0].endswith(f"/campos/{spec['id']}"):
        rename(page, spec["id"])
    if spec.get("show_if"):
        condition(page, RULE_ROWS[json.dumps(spec["show_if"], sort_keys=True)])


RULE_ROWS: dict[str, list[tuple[str, str, Any]]] = {
    json.dumps({"==": [{"var": "tipo_persona"}, "moral"]}, sort_keys=True): [
        ("tipo_persona", "is", "moral")
    ],
    json.dumps({">": [{"var": "superficie_m2"}, 100]}, sort_keys=True): [
        ("superficie_m2", "gt", "100")
    ],
}


ROUTE_IDS = {
    (step["id"], t["to"]): t["id"]
    for step in json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))["steps"]
    for t in step.get("transitions") or ()
}
"""The reference's route ids by (step, destination): the liaison types each one."""


def full_route(
    page: Any, step: str, to: str, *, when: list[tuple[str, str, Any]] | None = None
) -> None:
    """A route of `step` to `to` with the reference's id: the default one (changed if there
    is one), or, with `when`, a route before it with that condition."""
    full(page, f"/pasos/{step}")
    existing = page.locator("select[id^='to-']")
    if when is None and existing.count():
        existing.last.select_option(to)
        page.locator("li.configurator-route:last-child input[name=route_id]").fill(
            ROUTE_IDS[(step, to)]
        )
        click(page, "li.configurator-route:last-child button[name=action][value=set]")
        assert "Se guardó el destino de la ruta" in flashed(page), flashed(page)
        return
    page.select_option("#new-route-to", to)
    page.fill("#new-route-id", ROUTE_IDS[(step, to)])
    click(page, "form:has(#new-route-to) button[value=add]")
    if when is not None:
        condition(page, when)


def build_reference_information(page: Any, ref: dict[str, Any]) -> None:
    cat = ref["catalog"]
    full(page, "/informacion")
    for name in ("summary",):
        page.fill(f"#{name}-es", ref[name]["es"])
        page.fill(f"#{name}-en", ref[name]["en"])
    page.fill("#keywords", "\n".join(ref["keywords"]))
    page.fill("#homoclave", cat["homoclave"])
    for name in ("modality", "who_may_apply", "validity", "cost"):
        page.fill(f"#{name}-es", cat[name]["es"])
        page.fill(f"#{name}-en", cat[name]["en"])
    for n, basis in enumerate(cat["legal_basis"]):
        if not page.locator(f"#legal_basis-{n}-es").count():
            click(page, "button[name=agregar][value=legal_basis]")
        page.fill(f"#legal_basis-{n}-es", basis["es"])
        page.fill(f"#legal_basis-{n}-en", basis["en"])
    for n, req in enumerate(cat["requirements"]):
        p = f"requirements-{n}"
        if not page.locator(f"#{p}-name-es").count():
            click(page, "button[name=agregar][value=requirements]")
        page.fill(f"#{p}-name-es", req["name"]["es"])
        page.fill(f"#{p}-name-en", req["name"]["en"])
        page.fill(f"#{p}-description-es", req.get("description", {}).get("es", ""))
        page.fill(f"#{p}-description-en", req.get("description", {}).get("en", ""))
        page.select_option(f"#{p}-original_copy", req["original_copy"])
        page.select_option(f"#{p}-field", req["field"])
        page.fill(f"#{p}-id", req["id"])
    page.fill("#max_response_days", str(cat["max_response_days"]))
    page.select_option("#ficta", cat["ficta"])
    page.select_option("#response_deadline", ref["response_deadline"]["on_lapse"])
    for n, office in enumerate(cat["offices"]):
        p = f"offices-{n}"
        if not page.locator(f"#{p}-name-es").count():
            click(page, "button[name=agregar][value=offices]")
        page.fill(f"#{p}-name-es", office["name"]["es"])
        page.fill(f"#{p}-name-en", office["name"]["en"])
        page.fill(f"#{p}-address", office["address"])
        page.fill(f"#{p}-hours-es", office["hours"]["es"])
        page.fill(f"#{p}-hours-en", office["hours"]["en"])
        page.fill(f"#{p}-phone", office["phone"])
        page.fill(f"#{p}-email", office["email"])
    for name, value in cat["contact"].items():
        page.fill(f"#contact-{name}", value)
    click(page, "main form button:has-text('Guardar') >> nth=-1")
    assert "Falta este dato" not in flashed(page), flashed(page)


def build_reference_steps(page: Any, ref: dict[str, Any]) -> None:
    steps = {s["id"]: s for s in ref["steps"]}

    def title(sid: str) -> tuple[str, str]:
        return steps[sid]["title"]["es"], steps[sid]["title"]["en"]

    full(page, "/pasos/solicitud")
    rename(page, "solicitante")
    details(page, "solicitante", title("solicitante"), _pair(steps["solicitante"]["description"]))
    full_step(page, "form", title("negocio"), "negocio")
    full_step(page, "form", title("documentos"), "documentos")
    details(page, "documentos", title("documentos"), _pair(steps["documentos"]["description"]))
    full_step(page, "parallel", title("revision_conjunta"), "revision_conjunta")
    full_step(page, "approval", title("revision"), "revision")
    full_step(page, "payment", title("pago"), "pago")
    full_step(page, "document", title("emision"), "emision")
    full_step(page, "notify", title("aviso"), "aviso")
    full(page, "/pasos/fin")
    rename(page, "aprobada")
    page.fill("#title_es", title("aprobada")[0])
    page.fill("#title_en", title("aprobada")[1])
    click(page, "button:has-text('Guardar nombre y descripción')")
    for sid in ("rechazada", "desechada", "sin_pago"):
        full_step(page, "end", title(sid), sid)
        page.select_option("#outcome", steps[sid]["outcome"])
        click(page, "button:has-text('Guardar resultado')")


def _pair(text: dict[str, str]) -> tuple[str, str]:
    return text["es"], text["en"]


def build_reference_forms(page: Any, ref: dict[str, Any]) -> None:
    steps = {s["id"]: s for s in ref["steps"]}
    for sid in ("solicitante", "negocio", "documentos"):
        for spec in steps[sid]["fields"]:
            full_field(page, sid, spec)
            if spec["type"] == "group":
                subs = spec["fields"]
                full_field(page, sid, subs[0], rename_from="nombre")
                for sub in subs[1:]:
                    full_field(page, sid, sub, group=spec["id"])
    rules = {r["id"]: r for r in steps["negocio"]["eligibility"]}
    rows: dict[str, tuple[list[tuple[str, str, Any]], str]] = {
        "uso_suelo_compatible": ([("cuenta_uso_suelo", "eq", "true")], "all"),
        "alcohol_giro": (
            [
                ("vende_alcohol", "empty", None),
                ("giro", "one_of", ["abarrotes", "restaurante", "salon_eventos"]),
            ],
            "any",
        ),
    }
    for rid, rule in rules.items():
        full(page, "/pasos/negocio")
        page.fill("#new-message_es", rule["message"]["es"])
        page.fill("#new-message_en", rule["message"]["en"])
        page.fill("#new-rule_id", rid)
        click(page, "button:has-text('Agregar condición para continuar')")
        condition(page, *rows[rid])
    full_route(page, "solicitante", "negocio")
    full_route(page, "negocio", "documentos")
    full_route(page, "documentos", "revision")
    full_route(page, "documentos", "revision_conjunta", when=[("superficie_m2", "gt", "100")])


def review_outcomes(page: Any, spec: dict[str, Any]) -> None:
    outcomes = spec["outcomes"]
    approve_to(page, outcomes["approve"]["to"])
    page.select_option("#reject", outcomes["reject"]["to"])
    page.select_option("#return_to", outcomes["return"]["to_step"])
    page.fill("#response_days", str(outcomes["return"]["response_days"]))
    page.select_option("#lapse_to", outcomes["return"]["lapse_to"])
    click(page, "button:has-text('Guardar rechazo y prevención')")
    assert "Se guardó a dónde llevan el rechazo" in flashed(page), flashed(page)


def review_timing(page: Any, spec: dict[str, Any], button: str) -> None:
    page.fill("#deadline_days", str(spec["deadline_days"]))
    page.check(f"#on_lapse-{spec['on_lapse']}")
    page.fill("#reminder_days_before", str(spec["reminder_days_before"]))
    click(page, f"button:has-text('{button}')")
    assert "Se guardaron" in flashed(page), flashed(page)


def build_reference_reviews(page: Any, ref: dict[str, Any]) -> None:
    steps = {s["id"]: s for s in ref["steps"]}
    joint = steps["revision_conjunta"]
    full(page, "/pasos/revision_conjunta")
    for branch in joint["branches"]:
        page.select_option("#new-department", branch["department"])
        page.fill("#new-role", branch["role"])
        page.fill("#new-id", branch["id"])
        click(page, "button:has-text('Agregar área')")
    review_timing(page, joint, "Guardar plazo")
    review_outcomes(page, joint)
    single = steps["revision"]
    full(page, "/pasos/revision")
    page.select_option("#department", single["department"])
    page.fill("#role", single["role"])
    review_timing(page, single, "Guardar área y plazo")
    review_outcomes(page, single)


def build_reference_payment(page: Any, ref: dict[str, Any]) -> None:
    pago = next(s for s in ref["steps"] if s["id"] == "pago")
    rows = [("uma", year, value) for year, value in ref["constants"]["uma"]["by_year"].items()]
    rows += [(n, "", v) for n, v in ref["constants"].items() if isinstance(v, str)]
    for n, (name, year, value) in enumerate(rows):
        full(page, "/constantes?step=pago")
        page.fill(f"#name-{n}", name)
        page.fill(f"#year-{n}", year)
        page.fill(f"#value-{n}", value)
        click(page, "button:has-text('Guardar constantes')")
    full(page, "/pasos/pago")
    page.fill("#table_name", "tarifa_giro")
    click(page, "button:has-text('Crear tarifa')")
    for n, (key, amount) in enumerate(ref["fee_tables"]["tarifa_giro"].items()):
        page.fill(f"#key-{n}", key)
        page.fill(f"#amount-{n}", amount)
        click(page, "button:has-text('Guardar tarifa')")
    factors = {
        "derecho_giro": ["table:tarifa_giro:giro"],
        "derecho_superficie": ["field:superficie_m2", "const:uma", "const:uma_por_m2"],
        "venta_alcohol": ["const:uma", "const:umas_alcohol"],
    }
    for line in pago["fee_lines"]:
        full(page, "/pasos/pago")
        page.fill("#label_es", line["label"]["es"])
        page.fill("#label_en", line["label"]["en"])
        for n, factor in enumerate(factors[line["id"]]):
            page.select_option(f"#f-{n}", factor)
        page.fill("#line_id", line["id"])
        click(page, "button:has-text('Agregar línea')")
        assert "Se agregó la línea" in flashed(page), flashed(page)
    full(page, "/pasos/pago/cobros/venta_alcohol")
    condition(page, [("vende_alcohol", "eq", "true")])
    full(page, "/pasos/pago")
    page.fill("#concept_es", pago["concept"]["es"])
    page.fill("#concept_en", pago["concept"]["en"])
    page.fill("#expires_days", str(pago["expires_days"]))
    page.set_checked("#round_total", pago["round_total"] == "unit")
    page.fill("#deadline_days", str(pago["deadline_days"]))
    page.select_option("#lapse_to", pago["lapse_to"])
    click(page, "button:has-text('Guardar datos del pago')")
    full_route(page, "pago", "emision")


def build_reference_document(page: Any, ref: dict[str, Any]) -> None:
    spec = next(s for s in ref["steps"] if s["id"] == "emision")["document"]
    full(page, "/pasos/emision")
    page.fill("#title_es", spec["title"]["es"])
    page.fill("#title_en", spec["title"]["en"])
    page.select_option("#kind", spec["kind"])
    page.fill("#body_es", "")
    page.select_option("#placeholder_es", "{{ data.nombre_comercial }}")
    page.click("button[value='insert:es']")  # the picker, at the cursor
    assert page.input_value("#body_es") == "{{ data.nombre_comercial }}"
    page.fill("#body_es", spec["body"]["es"])
    page.fill("#body_en", spec["body"]["en"])
    page.fill("#holder", spec["holder"])
    page.check("#validity_kind-days")
    page.fill("#validity_days", str(spec["validity_days"]))
    signer = spec["signers"][0]
    page.fill("#signer-0-role", signer["role"])
    page.fill("#signer-0-name", signer["name"])
    page.fill("#signer-0-position_es", signer["position"]["es"])
    page.fill("#signer-0-position_en", signer["position"]["en"])
    click(page, "form[action$='#documento'] button[value=save] >> nth=-1")
    assert "Se guardó el documento" in flashed(page), flashed(page)
    table = spec["tables"][0]
    page.fill("#t-new-title_es", table["title"]["es"])
    page.fill("#t-new-title_en", table["title"]["en"])
    page.select_option("#t-new-rows", table["rows"])
    for n, column in enumerate(table["columns"]):
        if n >= 2:  # the form offers one more empty column after each save
            click(page, "form:has(#t-0-rows) button[value=save] >> nth=-1")
        pre = f"#t-{'new' if n < 2 else 0}-col-{n}"
        page.fill(f"{pre}-label_es", column["label"]["es"])
        page.fill(f"{pre}-label_en", column["label"]["en"])
        if page.locator(f"{pre}-value option[value='{column['value']}']").count():
            page.select_option(f"{pre}-value", column["value"])
        else:
            page.fill(f"{pre}-text", column["value"])  # free text: «{{ row.x }} %»
        page.select_option(f"{pre}-align", column.get("align", "left"))
        if n == 1:
            click(page, "form:has(#t-new-rows) button[value=save] >> nth=-1")
            assert "Se guardó la tabla" in flashed(page), flashed(page)
    click(page, "form:has(#t-0-rows) button[value=save] >> nth=-1")
    assert "Se guardó la tabla" in flashed(page), flashed(page)
    full_route(page, "emision", "aviso")


def build_reference_notice(page: Any, ref: dict[str, Any]) -> None:
    spec = next(s for s in ref["steps"] if s["id"] == "aviso")
    full(page, "/pasos/aviso")
    page.check(f"#to-{spec['to']}")
    for name in ("subject", "message"):
        page.fill(f"#{name}_es", spec[name]["es"])
        page.fill(f"#{name}_en", spec[name]["en"])
    click(page, "button:has-text('Guardar aviso')")
    full_route(page, "aviso", "aprobada")


def _pick(page: Any, name: str, expr: Any) -> None:
    """The value picker `name` of the register page set to the reference's `expr`."""
    var = expr.get("var") if isinstance(expr, dict) else None
    if var == "$case.folio":
        page.check(f"#{name}-source-folio")
    elif var is not None:
        page.check(f"#{name}-source-field")
        page.select_option(f"#{name}-field", var)
    else:
        _rule, then, other = expr["if"]
        page.check(f"#{name}-source-if")
        page.select_option(f"#{name}-then", then["var"])
        page.select_option(f"#{name}-else", other["var"])


def build_reference_ledger(page: Any, ref: dict[str, Any]) -> None:
    """The municipal register on its page: kind, the five value pickers (the holder's name
    «depends on a condition», built afterwards with the condition builder), the attributes
    one row at a time, and the yearly renewal from the fee table."""
    register = ref["ledger"]["register"]
    full(page, "/padron")
    page.select_option("#kind", register["kind"])
    for name in ("key", "description", "rfc", "curp", "name"):
        _pick(page, name, register[name])
    recurring = register["recurring"]
    page.check("#recurring")
    page.fill("#concept", recurring["concept"])
    table, key = recurring["amount"]["table"]
    page.select_option("#f-0", f"table:{table}:{key['var']}")
    page.fill("#currency", recurring["currency"])
    page.fill("#due_month", str(recurring["due_month"]))
    page.fill("#due_day", str(recurring["due_day"]))
    for n, (attribute, expr) in enumerate(register["attributes"].items()):
        page.fill(f"#attr-{n}-name", attribute)
        page.select_option(f"#attr-{n}-field", expr["var"])
        click(page, "button:has-text('Guardar registro en el padrón')")
        assert "Se guardó el registro en el padrón" in flashed(page), flashed(page)
        if n == 0:  # the conditional name asks for its condition first
            assert "condicion=name" in page.url, page.url
            condition(page, RULE_ROWS[json.dumps(register["name"]["if"][0], sort_keys=True)])


def build_reference_examples(page: Any, ref: dict[str, Any]) -> None:
    """The sample answers on «Respuestas de ejemplo»: every answer typed, the partners' rows
    (a blank row is offered after each save), the address, and sample PDFs uploaded under
    the reference's names (their bytes, so their hashes and sizes, are the test's own)."""
    examples = ref["example_data"]

    def fill(name: str, value: Any) -> None:
        target = page.locator(f"[name='{name}']")
        if target.evaluate("e => e.tagName") == "SELECT":
            target.select_option(str(value).lower() if isinstance(value, bool) else value)
        else:
            target.fill(str(value))

    rows = examples["negocio"]["socios"]
    for _round in range(len(rows) + 1):
        full(page, "/prueba/respuestas-de-ejemplo")
        for _step, values in examples.items():
            for fid, value in values.items():
                if isinstance(value, dict):
                    for part, text in value.items():
                        fill(f"{fid}.{part}", text)
                elif isinstance(value, list) and value and "sha256" in value[0]:
                    for keep in page.locator(f"input[name='{fid}.keep']").all():
                        keep.uncheck()
                    page.set_input_files(
                        f"input[type=file][name='{fid}']",
                        [
                            {
                                "name": f["name"],
                                "mimeType": f["content_type"],
                                "buffer": b"%PDF-1.4\n% " + f["name"].encode() + b"\n%%EOF\n",
                            }
                            for f in value
                        ],
                    )
                elif isinstance(value, list):
                    for n, row in enumerate(value):
                        for sub, text in row.items():
                            if page.locator(f"[name='{fid}[{n}].{sub}']").count():
                                fill(f"{fid}[{n}].{sub}", text)
                else:
                    fill(fid, value)
        click(page, "button:has-text('Guardar como respuestas de ejemplo')")
        assert "Se guardaron las respuestas de ejemplo" in flashed(page), flashed(page)
        if page.locator(f"[name='socios[{len(rows) - 1}].socio_nombre']").count():
            break


def build_reference(page: Any) -> dict[str, Any]:
    ref: dict[str, Any] = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    page.goto("/configurador/nuevo")
    page.fill("#blank-title-es", ref["title"]["es"])
    page.fill("#blank-title-en", ref["title"]["en"])
    page.fill("#blank-key", FULL_KEY)
    click(page, "button:has-text('Crear en blanco')")
    build_reference_steps(page, ref)
    build_reference_forms(page, ref)
    build_reference_reviews(page, ref)
    build_reference_payment(page, ref)
    build_reference_document(page, ref)
    build_reference_notice(page, ref)
    build_reference_information(page, ref)
    build_reference_ledger(page, ref)
    build_reference_examples(page, ref)
    return ref


def test_the_reference_licence_built_through_the_ui_exports_as_the_reference(
    live_server: LiveServer, new_context: Any
) -> None:
    page = new_context().new_page()
    login(page, LIAISON)
    ref = build_reference(page)
    full(page, "/prueba")
    click(page, "button:has-text('Correr la prueba')")
    result = page.inner_text("main")
    assert "Estado final: Concluido: aprobado" in result, result
    full(page, "/publicar")
    page.fill("#note", "La licencia de referencia, hecha en el configurador")
    click(page, "button:has-text('Publicar nueva versión')")
    assert "La licencia de referencia, hecha en el configurador" in flashed(page), flashed(page)
    exported = export_of(page, FULL_KEY)
    assert comparable(exported) == comparable(ref), _diff(comparable(exported), comparable(ref))


def export_of(page: Any, key: str) -> dict[str, Any]:
    page.goto(f"/configurador/{key}/")
    with page.expect_download() as download:
        page.click("button:has-text('Descargar el borrador en JSON')")
    data: dict[str, Any] = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    return data


NOT_COMPARED = ("key",)
"""What the UI-built export may not equal in the reference: its key (the reference itself is
installed under its key, and a procedure's key is unique)."""

FILE_KEYS = {"id", "name", "sha256", "size", "content_type"}


def comparable(doc: Any) -> Any:
    """`doc` as the comparison reads it: without NOT_COMPARED, `declarative: null` read as
    absent, JSON Logic's one-argument operators with or without their list ({"!": x} is
    {"!": [x]}), CRLF line breaks (a textarea's) read as LF, and a sample file's `id`,
    `sha256` and `size` read as the same placeholder: the browser uploads files of the
    reference's names and types, but their content is this test's own (the reference's
    PDFs are not in the repository, only their hashes), so the hash, the id made from it
    and the size differ while everything else of the entry is compared."""
    if isinstance(doc, dict):
        if set(doc) == FILE_KEYS:
            doc = {**doc, "id": "f-…", "sha256": "…", "size": 0}
        out = {}
        for k, v in doc.items():
            if k in NOT_COMPARED or (k == "declarative" and v is None):
                continue
            if k in ("!", "!!") and isinstance(v, list) and len(v) == 1:
                v = v[0]
            out[k] = comparable(v)
        return out
    if isinstance(doc, list):
        return [comparable(v) for v in doc]
    if isinstance(doc, str):
        return doc.replace("\r\n", "\n")
    return doc


def _diff(a: Any, b: Any, path: str = "") -> str:
    """Where `a` (the export) and `b` (the reference) first differ, and how."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                where = "export" if k in a else "reference"
                return f"{path}.{k}: only in the {where}: {a.get(k, b.get(k))!r:.300}"
            if a[k] != b[k]:
                return _diff(a[k], b[k], f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _diff(x, y, f"{path}[{i}]")
    return f"{path}: export {a!r:.400} != reference {b!r:.400}"
