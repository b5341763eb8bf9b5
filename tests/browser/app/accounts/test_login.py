"""The login page in a real browser: accessible with and without an error, CSRF enforced."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, DEMO_PASSWORD, axe, login, logout, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_login_page_is_accessible(page: Any, mobile_page: Any) -> None:
    for p in (mobile_page, page):
        response = p.goto("/entrar")
        assert response is not None and response.status == 200
        axe(p, f"/entrar at {p.viewport_size['width']}px")
    no_horizontal_scroll(mobile_page)


def test_login_error_is_announced_and_accessible(mobile_page: Any) -> None:
    p = mobile_page
    p.goto("/entrar")
    p.fill("input[name=email]", CITIZEN)
    p.fill("input[name=password]", "not-the-password")
    with p.expect_navigation() as nav:
        p.click("main button[type=submit]")
    assert nav.value is not None and nav.value.status == 400
    summary = p.locator("[role=alert]")
    assert summary.count() == 1
    assert "Hay un problema" in summary.inner_text()
    assert p.input_value("input[name=email]") == CITIZEN, "the e-mail typed must be kept"
    assert p.input_value("input[name=password]") == "", "a password must never be echoed back"
    axe(p, "/entrar with an error")
    no_horizontal_scroll(p)


def test_login_then_logout(page: Any) -> None:
    login(page, CITIZEN)
    assert "María López Hernández" in page.inner_text("header")
    logout(page)
    assert page.locator("header").get_by_text("Entrar").count() == 1


def test_post_without_csrf_token_is_refused(page: Any) -> None:
    page.goto("/entrar")
    response = page.request.post(
        "/entrar", form={"email": CITIZEN, "password": DEMO_PASSWORD}, max_redirects=0
    )
    assert response.status == 400, response.status
    page.goto("/")
    assert page.locator("header").get_by_text("Entrar").count() == 1, "must not be logged in"
    # The same request with the page's token is accepted.
    token = page.get_attribute("meta[name=csrf-token]", "content")
    assert token
    ok = page.request.post(
        "/entrar",
        form={"email": CITIZEN, "password": DEMO_PASSWORD, "csrf_token": token},
        max_redirects=0,
    )
    assert ok.status == 302, ok.status
