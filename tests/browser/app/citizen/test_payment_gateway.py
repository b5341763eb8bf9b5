"""A citizen pays a fee online through the sandbox gateway in a real browser: «Pagar en
línea» on the case page, «Pagar» on the gateway's page, back to the case, which advances.
The payment section and the return page pass axe (WCAG 2.1 AA) and fit 360 px."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from connectors.gateway import GatewayConfig
from sandbox_gateway import SandboxServer, create_sandbox_app, serve_in_background
from tests.browser.conftest import CITIZEN, LiveServer, axe, login, no_horizontal_scroll
from tests.helpers.paths import REPO_ROOT
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]
EXAMPLE = REPO_ROOT / "form_schemas" / "examples" / "constancia-residencia.json"
API_KEY = "browser-gateway-api-key"
SECRET = "browser-gateway-webhook-secret"


@pytest.fixture(scope="module")
def sandbox(live_server: LiveServer) -> Iterator[SandboxServer]:
    """The sandbox gateway on loopback, delivering webhooks in the background (like a real
    gateway: the citizen may be back before the confirmation), wired into the live app."""
    from app.citizen.payments import configure

    server = serve_in_background(
        create_sandbox_app(api_key=API_KEY, webhook_secret=SECRET, deliver="thread")
    )
    configure(live_server.app, GatewayConfig("sandbox", server.url, API_KEY, SECRET))
    try:
        yield server
    finally:
        configure(live_server.app, None)
        server.stop()


def awaiting_payment(live_server: LiveServer) -> tuple[int, str, str]:
    """A «constancia de residencia» filed by the demo citizen, its fee order pending."""
    services = live_server.app.extensions["tramita"]
    citizen = live_server.accounts().by_email(CITIZEN)
    actor = citizen.actor()
    values = json.loads(EXAMPLE.read_text("utf-8"))["example_data"]["datos"]
    started = services.cases.start("constancia-residencia", StartCase(at=utcnow(), actor=actor))
    services.cases.execute(
        started.case_id, SubmitStep(at=utcnow(), actor=actor, step_id="datos", values=values)
    )
    services.cases.execute(started.case_id, SubmitCase(at=utcnow(), actor=actor, declaration=True))
    state = services.cases.load(started.case_id)[0]
    assert state.status == "awaiting_payment" and state.payment.reference
    return started.case_id, started.folio, state.payment.reference


def payments_of(live_server: LiveServer, case_id: int) -> list[str]:
    state = live_server.app.extensions["tramita"].cases.load(case_id)[0]
    return [str(p["reference"]) for p in state.payments]


def test_citizen_pays_online_and_the_case_advances(
    live_server: LiveServer, sandbox: SandboxServer, page: Any, mobile_page: Any
) -> None:
    case_id, folio, reference = awaiting_payment(live_server)
    login(mobile_page, CITIZEN)
    mobile_page.goto(f"/expedientes/{folio}")
    section = mobile_page.locator("#pago")
    assert section.get_by_role("button", name="Pagar en línea").is_visible()
    axe(mobile_page, "case page with online payment at 360px")
    no_horizontal_scroll(mobile_page)

    login(page, CITIZEN)
    page.goto(f"/expedientes/{folio}")
    axe(page, "case page with online payment")
    with page.expect_navigation():
        page.get_by_role("button", name="Pagar en línea").click()
    assert page.url.startswith(sandbox.url + "/checkout/")
    assert reference in page.inner_text("main") and "$95.00" in page.inner_text("main")
    page.get_by_role("button", name="Pagar", exact=True).click()

    # back on the case page at once, or on "Estamos confirmando su pago" until its status
    # region says the payment arrived (then its link leads to the case)
    page.wait_for_url(re.compile(rf"/expedientes/{folio}(#pago|/pago/regreso)?$"))
    if page.url.endswith("/pago/regreso"):
        live = page.locator("#pago-aviso[role=status]")
        live.get_by_text("Recibimos la confirmación").wait_for(timeout=20_000)
        with page.expect_navigation():
            live.get_by_role("link", name="Ver su trámite").click()
    assert "Recibimos su pago" in page.inner_text("main")
    assert page.get_by_role("button", name="Pagar en línea").count() == 0
    assert payments_of(live_server, case_id) == [reference]
    axe(page, "case page after paying online")


def test_return_page_waits_for_the_confirmation_then_shows_the_case(
    live_server: LiveServer, sandbox: SandboxServer, mobile_page: Any
) -> None:
    case_id, folio, reference = awaiting_payment(live_server)
    page = mobile_page
    login(page, CITIZEN)
    page.goto(f"/expedientes/{folio}")
    with page.expect_navigation():
        page.get_by_role("button", name="Pagar en línea").click()
    checkout_id = page.url.rsplit("/", 1)[1]

    # The citizen comes back before the gateway has said anything.
    page.goto(f"/expedientes/{folio}/pago/regreso")
    assert page.locator("h1").inner_text() == "Estamos confirmando su pago"
    axe(page, "return page, confirming, at 360px")
    no_horizontal_scroll(page)

    # The gateway confirms; the page notices by itself and shows the case.
    request = urllib.request.Request(
        f"{sandbox.url}/api/v1/checkouts/{checkout_id}/simulate",
        data=json.dumps({"outcome": "succeeded"}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
    # the page says so in its status region (no reload) and links to the case
    live = page.locator("#pago-aviso[role=status]")
    live.get_by_text("Recibimos la confirmación").wait_for(timeout=20_000)
    assert page.url.endswith("/pago/regreso")
    axe(page, "return page, confirmed, at 360px")
    with page.expect_navigation():
        live.get_by_role("link", name="Ver su trámite").click()
    assert re.search(rf"/expedientes/{folio}$", page.url), page.url
    assert "Recibimos su pago" in page.inner_text("main")
    assert payments_of(live_server, case_id) == [reference]
