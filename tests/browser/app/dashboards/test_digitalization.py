"""/tableros/digitalizacion in Chromium, desktop and phone-sized, in both languages: axe-core
finds nothing and the page fits 360 px."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import axe, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "360px"])
def test_the_digitalization_dashboard(new_context: Any, mobile: bool) -> None:
    page = new_context(mobile=mobile).new_page()
    login(page, "admin@demo.gob.mx")
    for path in ("/tableros/digitalizacion", "/tableros/digitalizacion?lang=en"):
        response = page.goto(path)
        assert response is not None and response.status == 200
        axe(page, path)
        no_horizontal_scroll(page)
