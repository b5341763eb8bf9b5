"""One citizen cannot see another's case, its pages, its receipt or its files."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import CITIZEN, CITIZEN_B, LiveServer, login
from tests.helpers.browser_wizard import (
    continue_step,
    fill_step,
    start_case,
    submit_case,
    walk_to_review,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
KEY = "constancia-residencia"


def test_citizen_b_gets_404_on_citizen_a_case(new_context: Any, live_server: LiveServer) -> None:
    live_server.ensure_citizen(CITIZEN_B, "Vecina de Prueba")

    a = new_context().new_page()
    login(a, CITIZEN)
    folio, first = start_case(a, KEY)
    fill_step(a, KEY, first)
    continue_step(a)
    # Back on the first step, the uploaded files are listed as kept (hidden <id>.keep).
    a.goto(f"/expedientes/{folio}/pasos/{first}")
    file_ids = a.locator("main input[name$='.keep']").evaluate_all("els => els.map(e => e.value)")
    assert file_ids, "no uploaded file is kept on the step page"
    a.goto(f"/expedientes/{folio}/pasos/{first}")
    continue_step(a)
    walk_to_review(a, KEY, check_pages=False)
    submit_case(a, folio)

    urls = [
        f"/expedientes/{folio}",
        f"/expedientes/{folio}/pasos/{first}",
        f"/expedientes/{folio}/revisar",
        f"/expedientes/{folio}/confirmacion",
        f"/expedientes/{folio}/acuse.pdf",
        *(f"/archivos/{public_id}" for public_id in file_ids),
    ]
    for url in urls:
        assert a.request.get(url).status == 200, f"the owner cannot open {url}"

    b = new_context().new_page()
    login(b, CITIZEN_B)
    for url in urls:
        status = b.request.get(url).status
        assert status == 404, f"citizen B got {status} on citizen A's {url}"
    token = b.get_attribute("meta[name=csrf-token]", "content")
    post = b.request.post(
        f"/expedientes/{folio}/pasos/{first}",
        form={"csrf_token": token or "", "accion": "continuar"},
        max_redirects=0,
    )
    assert post.status == 404, f"citizen B could post to A's step: {post.status}"

    anonymous = new_context().new_page()
    for url in urls:
        response = anonymous.request.get(url, max_redirects=0)
        location = response.headers.get("location", "")
        assert response.status == 302 and location.startswith("/entrar?next="), (
            f"anonymous got {response.status} {location!r} on {url}: must be asked to log in"
        )
