"""Every example procedure applied for in a real browser, as a citizen would, on a phone.

Start, one validation error, save and exit, log out, log back in, resume from "Mis trámites",
fill every step from the template's example_data (files uploaded for real), check answers,
submit with the declaration, see the folio and receive it by e-mail.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, LiveServer, axe, login, logout, no_horizontal_scroll
from tests.helpers.browser_wizard import (
    check_error_summary,
    example,
    example_keys,
    fill_step,
    form_steps,
    press,
    start_case,
    step_of,
    submit_case,
    walk_to_review,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _resume_from_my_cases(page: Any, folio: str) -> None:
    """From /mis-tramites, follow the case's link to the page where the citizen left off."""
    page.goto("/mis-tramites")
    assert folio in page.inner_text("main"), f"{folio} is not listed in Mis trámites"
    axe(page, "/mis-tramites")
    no_horizontal_scroll(page)
    with page.expect_navigation():
        page.locator(f'main a[href*="/expedientes/{folio}/pasos/"]').first.click()
    assert step_of(page.url), f"resuming {folio} led to {page.url}"
    # The draft's case page offers the same way back.
    page.goto(f"/expedientes/{folio}")
    axe(page, f"case page {folio} (draft)")
    with page.expect_navigation():
        page.locator(f'main a[href*="/expedientes/{folio}/pasos/"]').first.click()
    assert step_of(page.url), f"resuming {folio} from its case page led to {page.url}"


def _first_text_value(key: str, step_id: str) -> tuple[str, str] | None:
    data = example(key)["example_data"].get(step_id, {})
    for field in form_steps(key)[step_id]["fields"]:
        if field["type"] in ("text", "email", "curp") and field["id"] in data:
            return field["id"], str(data[field["id"]])
    return None


@pytest.mark.parametrize("key", example_keys())
def test_apply_for_every_example_procedure(
    key: str, new_context: Any, live_server: LiveServer
) -> None:
    page = new_context(mobile=True).new_page()
    login(page, CITIZEN)
    folio, first = start_case(page, key)
    assert first == example(key)["start"]

    # One validation error: nothing filled in.
    axe(page, f"{key}: first step")
    no_horizontal_scroll(page)
    press(page, "continuar")
    assert step_of(page.url) == (folio, first), page.url
    check_error_summary(page)
    axe(page, f"{key}: first step with errors")
    no_horizontal_scroll(page)

    # Fill the first step, save and exit, log out; log back in and resume.
    fill_step(page, key, first)
    press(page, "guardar")
    assert page.url.split("?")[0].endswith("/mis-tramites"), page.url
    logout(page)
    login(page, CITIZEN)
    _resume_from_my_cases(page, folio)
    assert step_of(page.url) == (folio, first), f"resumed at {page.url}, not at {first}"
    kept = _first_text_value(key, first)
    assert kept is not None, f"{key}: the first step's example has no text answer to check"
    name, value = kept
    assert page.input_value(f'main [name="{name}"]') == value, f"{name} was not saved"
    for field in form_steps(key)[first]["fields"]:
        if field["type"] == "file" and field["id"] in example(key)["example_data"][first]:
            keeps = page.locator(f'main input[name="{field["id"]}.keep"]').count()
            assert keeps == len(example(key)["example_data"][first][field["id"]]), (
                f"{field['id']}: {keeps} saved files kept after resuming"
            )

    # Resume: the saved first step goes through as it is (files kept), then the rest.
    press(page, "continuar")
    seen = [first, *walk_to_review(page, key)]
    assert "/revisar" in page.url

    # Check answers, then submit with the declaration.
    axe(page, f"{key}: check answers")
    no_horizontal_scroll(page)
    assert value in page.inner_text("main"), "the check-answers page omits an answer"
    change_links = page.locator(f'main a[href*="/expedientes/{folio}/pasos/"]')
    assert change_links.count() >= len(set(seen)), "every step needs a change link"
    submit_case(page, folio)
    assert folio in page.inner_text("main")
    axe(page, f"{key}: confirmation")
    no_horizontal_scroll(page)

    mail = live_server.mail.wait_for(containing=folio)
    addresses = {CITIZEN} | {
        str(v).lower()
        for step in example(key)["example_data"].values()
        for k, v in step.items()
        if k == "correo"
    }
    assert addresses & {r.lower() for r in mail.to}, f"folio e-mail went to {mail.to}"

    # The case page and the receipt.
    response = page.goto(f"/expedientes/{folio}")
    assert response is not None and response.status == 200
    assert folio in page.inner_text("main")
    axe(page, f"{key}: case page after submission")
    no_horizontal_scroll(page)
    receipt = page.request.get(f"/expedientes/{folio}/acuse.pdf")
    assert receipt.status == 200, receipt.status
    assert receipt.body().startswith(b"%PDF"), "the receipt is not a PDF"


def test_anonymous_start_asks_to_log_in(page: Any) -> None:
    page.goto("/tramites/constancia-residencia/informacion")
    with page.expect_navigation():
        page.locator('main form[action$="/tramites/constancia-residencia"] button').click()
    assert "/entrar" in page.url and "next=" in page.url, page.url
    page.fill("input[name=email]", CITIZEN)
    page.fill("input[name=password]", "demo12345")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    assert page.url.split("?")[0].endswith("/tramites/constancia-residencia/informacion"), (
        f"after logging in the citizen should be back on the procedure page, not {page.url}"
    )


def test_conditional_field_appears_with_javascript(new_context: Any) -> None:
    page = new_context(mobile=True).new_page()
    login(page, CITIZEN)
    start_case(page, "licencia-funcionamiento")
    razon = page.locator('main [name="razon_social"]')
    page.locator('main [name="tipo_persona"][value="fisica"]').check()
    assert not razon.is_visible(), "razon_social shows although tipo_persona is fisica"
    page.locator('main [name="tipo_persona"][value="moral"]').check()
    razon.wait_for(state="visible", timeout=3_000)
    axe(page, "licencia-funcionamiento: conditional field shown")
    page.locator('main [name="tipo_persona"][value="fisica"]').check()
    razon.wait_for(state="hidden", timeout=3_000)


def test_conditional_step_works_without_javascript(new_context: Any) -> None:
    """Without JavaScript the page cannot react to an answer, so every conditional field is
    shown; the server then requires the ones the answers call for."""
    key = "licencia-funcionamiento"
    page = new_context(mobile=True, js=False).new_page()
    login(page, CITIZEN)
    folio, first = start_case(page, key)
    razon = page.locator('main [name="razon_social"]')
    assert razon.is_visible(), "without JS razon_social (shown if moral) must be on the page"
    # Persona moral without its razón social: the server asks for it.
    fill_step(page, key, first, only_shown=True)
    razon.fill("")
    press(page, "continuar")
    assert step_of(page.url) == (folio, first), "a persona moral needs its razón social"
    check_error_summary(page)
    fill_step(page, key, first, only_shown=True)
    press(page, "continuar")
    assert step_of(page.url) == (folio, "negocio"), f"without JS the step did not go on: {page.url}"
    # The group's "add another" is a real submit button: it works without JavaScript too.
    fill_step(page, key, "negocio", only_shown=True)
    press(page, "continuar")
    assert step_of(page.url) == (folio, "documentos"), page.url
    fill_step(page, key, "documentos", only_shown=True)
    press(page, "continuar")
    assert page.url.split("?")[0].endswith(f"/expedientes/{folio}/revisar"), page.url
    assert "Comercializadora La Esperanza" in page.inner_text("main")
