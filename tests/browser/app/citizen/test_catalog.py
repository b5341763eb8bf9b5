"""The public catalog in a real browser: accessible, usable on a phone, usable by keyboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import axe, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = [
    "/",
    "/?q=construccion",
    "/?q=zzzz-nada",
    "/?dependencia=desarrollo-economico",
    "/tramites/licencia-funcionamiento/informacion",
    "/tramites/permiso-construccion/informacion",
    "/?lang=en",
]


@pytest.mark.parametrize("path", PAGES)
def test_catalog_pages_are_accessible_on_phone_and_desktop(
    path: str, page: Any, mobile_page: Any
) -> None:
    for p in (mobile_page, page):
        response = p.goto(path)
        assert response is not None and response.status == 200, path
        axe(p, f"{path} at {p.viewport_size['width']}px")
    no_horizontal_scroll(mobile_page)


def _titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(".cards h2").all_inner_texts()]


def test_search_ignores_accents_and_case(page: Any) -> None:
    page.goto("/")
    everything = _titles(page)
    # every published procedure, once (the demo profile decides how many)
    assert len(everything) == len(set(everything)) >= 7, everything
    for query in ("construccion", "CONSTRUCCIÓN", "Construcción"):
        page.fill("#q", query)
        with page.expect_navigation():
            page.click("form[role=search] button[type=submit]")
        titles = _titles(page)
        assert titles == ["Licencia de construcción"], (query, titles)
        assert page.input_value("#q") == query
    page.goto("/?q=licéncia")
    assert "Licencia de funcionamiento de negocio" in " ".join(_titles(page))


def test_search_with_no_result_says_so(page: Any) -> None:
    page.goto("/?q=zzzz-nada")
    assert _titles(page) == []
    assert "No encontramos" in page.inner_text("main")


def test_procedure_page_reached_from_the_catalog(mobile_page: Any) -> None:
    p = mobile_page
    p.goto("/")
    with p.expect_navigation():
        p.click("text=Licencia de construcción")
    assert p.url.endswith("/tramites/permiso-construccion/informacion")
    assert p.inner_text("h1") == "Licencia de construcción"
    assert "Requisitos" in p.inner_text("main")


@pytest.mark.parametrize("path", ["/", "/tramites/licencia-funcionamiento/informacion"])
def test_keyboard_skip_link_is_first_and_moves_focus_to_main(path: str, page: Any) -> None:
    page.goto(path)
    page.keyboard.press("Tab")
    first = page.evaluate(
        "() => ({href: document.activeElement.getAttribute('href'),"
        " text: document.activeElement.textContent.trim(),"
        " visible: document.activeElement.getBoundingClientRect().left >= 0})"
    )
    assert first["href"] == "#contenido", f"first Tab stop is {first}"
    assert first["visible"], "the skip link must become visible when focused"
    page.keyboard.press("Enter")
    # the fragment navigation is reported asynchronously: wait for it, do not race it
    page.wait_for_url(re.compile(r"#contenido$"), timeout=5000)
    focused = page.evaluate(
        "() => document.activeElement.tagName.toLowerCase() + '#' + document.activeElement.id"
    )
    assert focused == "main#contenido", (
        f"after the skip link focus is on {focused}, not on <main> "
        "(give <main id=contenido> tabindex=-1 so it can take focus)"
    )
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')"), (
        "the next Tab after the skip link must land inside <main>"
    )


def test_not_found_page_is_accessible(mobile_page: Any) -> None:
    response = mobile_page.goto("/tramites/no-existe/informacion")
    assert response is not None and response.status == 404
    assert "No encontramos" in mobile_page.inner_text("main")
    axe(mobile_page, "404 page")
    no_horizontal_scroll(mobile_page)
