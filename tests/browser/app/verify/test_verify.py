"""«Verificación de documento» in a real browser at 360 px: accessible (axe, WCAG 2.1 AA)
when the document is valid, after an upload is checked, and once an administrator revoked
it from the same page; unknown codes get an accessible 404 page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def issue_document(live_server: LiveServer) -> tuple[str, Path]:
    """Walk the residence certificate through the engine; return (code, stored file)."""
    from connectors.payments.handler import settle_payment
    from workflow_engine.persistence.cases.walkthrough import run_walkthrough

    services = live_server.app.extensions["tramita"]
    citizen = live_server.accounts().by_email("ciudadano@demo.gob.mx")
    assert citizen is not None
    result = run_walkthrough(
        services.cases,
        services.outbox,
        "constancia-residencia",
        citizen.actor(),
        settle=lambda ref: settle_payment(services.engine, ref, "test")[1],
    )
    (doc,) = result.documents
    return doc["verification_code"], Path(services.settings.documents_dir) / doc["storage_path"]


def test_verification_page_is_accessible_valid_checked_and_revoked(
    live_server: LiveServer, mobile_page: Any, new_context: Any
) -> None:
    code, path = issue_document(live_server)
    p = mobile_page

    response = p.goto(f"/verificar/{code}")
    assert response is not None and response.status == 200
    assert "Documento vigente" in p.inner_text("main")
    axe(p, "/verificar/<code> (valid) at 360px")
    no_horizontal_scroll(p)

    p.set_input_files("#archivo", str(path))
    with p.expect_navigation():
        p.click("form.verify-upload button[type=submit]")
    result = p.inner_text("main")
    assert "El archivo es idéntico" in result and "La firma electrónica es válida" in result
    axe(p, "/verificar/<code> (upload result) at 360px")
    no_horizontal_scroll(p)

    tampered = bytearray(path.read_bytes())
    at = tampered.index(b"stream") + 40
    tampered[at] ^= 0x01
    p.goto(f"/verificar/{code}")
    p.set_input_files(
        "#archivo", {"name": "copia.pdf", "mimeType": "application/pdf", "buffer": bytes(tampered)}
    )
    with p.expect_navigation():
        p.click("form.verify-upload button[type=submit]")
    assert "La firma electrónica no es válida" in p.inner_text("main")
    axe(p, "/verificar/<code> (tampered upload) at 360px")

    admin = new_context(mobile=True).new_page()
    login(admin, "admin@demo.gob.mx")
    admin.goto(f"/verificar/{code}")
    admin.fill("#motivo", "Constancia expedida por error; se emitirá una nueva.")
    with admin.expect_navigation():
        admin.click("text=Revocar documento >> nth=-1")
    text = admin.inner_text("main")
    assert "Documento revocado" in text and "expedida por error" in text
    axe(admin, "/verificar/<code> (revoked, admin) at 360px")
    no_horizontal_scroll(admin)

    p.goto(f"/verificar/{code}")
    assert "Documento revocado" in p.inner_text("main")
    axe(p, "/verificar/<code> (revoked, public) at 360px")

    missing = p.goto("/verificar/ZZZZZZZZZZ")
    assert missing is not None and missing.status == 404
    assert "Documento no encontrado" in p.inner_text("main")
    axe(p, "/verificar/<unknown> at 360px")

    p.goto("/verificar")
    axe(p, "/verificar at 360px")
