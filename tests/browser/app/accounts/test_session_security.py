"""Open redirect after login and session reuse after logout, in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, DEMO_PASSWORD, LiveServer, login, logout

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# What Chromium makes of a redirect to `next`: a tab or newline is dropped, a backslash is a
# slash; each of these used to lead to //evil.example/ once the browser had cleaned it up.
OFF_SITE_NEXT = [
    "/%09/evil.example/",
    "/%0a/evil.example/",
    "/%5C/evil.example/",
    "//evil.example/",
    "https://evil.example/",
    "/%2509/evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE_NEXT)
def test_login_never_leaves_the_site_whatever_next_says(
    new_context: Callable[..., Any], live_server: LiveServer, target: str
) -> None:
    context = new_context()
    visited: list[str] = []

    def evil(route: Any) -> None:
        visited.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>evil</title>")

    context.route("http://evil.example/**", evil)
    context.route("https://evil.example/**", evil)
    page = context.new_page()
    page.goto(f"/entrar?next={target}")
    page.fill("input[name=email]", CITIZEN)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert not visited, f"next={target} sent the browser to {visited}"
    assert page.url.startswith(live_server.url + "/"), page.url
    assert "María López Hernández" in page.inner_text("header")  # logged in, at home


def test_a_cookie_copied_before_logout_opens_nothing_afterwards(
    new_context: Callable[..., Any],
) -> None:
    context = new_context()
    page = context.new_page()
    login(page, CITIZEN)
    copied = context.cookies()
    assert page.goto("/mis-tramites").status == 200
    logout(page)

    thief = new_context()
    thief.add_cookies(copied)
    stolen = thief.new_page()
    response = stolen.goto("/mis-tramites")
    assert response is not None
    assert "/entrar" in stolen.url, f"the old cookie still opened {stolen.url}"
    assert "Mis trámites" not in stolen.inner_text("main h1")
    assert stolen.locator("header").get_by_text("Entrar").count() == 1
