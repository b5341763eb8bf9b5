"""The public transparency page passes axe-core on a desktop and a phone, anonymously, with
figures published and figures withheld (fewer than 5 cases), and fits the phone's screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, no_horizontal_scroll
from tests.helpers.transparency import CONSTANCIA, LICENCIA, seeded_case

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_transparency_page_is_accessible(new_context: Any, live_server: LiveServer) -> None:
    for closed in (2, 3, 5, 6, 9):
        seeded_case(live_server.app, CONSTANCIA, 2, closed)
    seeded_case(live_server.app, LICENCIA, 2, 5)
    for mobile in (False, True):
        page = new_context(mobile=mobile).new_page()
        response = page.goto("/transparencia")
        assert response is not None and response.status == 200
        assert page.get_by_role("table").first.is_visible()
        axe(page, f"/transparencia mobile={mobile}")
        if mobile:
            no_horizontal_scroll(page)
