"""«Notificaciones» in a real browser: accessible (axe, WCAG 2.1 AA) at 360 px and on a
desktop, with unread and read items and a long link, and "mark as read" works by clicking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from tests.browser.conftest import LiveServer, axe, login, no_horizontal_scroll
from workflow_engine.persistence.models import Notification, table
from workflow_engine.persistence.types import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OFFICIAL = "funcionario@demo.gob.mx"


def seed_notifications(live_server: LiveServer) -> None:
    official = live_server.accounts().by_email(OFFICIAL)
    assert official is not None
    now = utcnow()
    link = f"{live_server.url}/bandeja/expedientes/CHO-2026-7K4M9P-{'enlace-muy-largo-' * 4}"
    rows = [
        ("Nueva solicitud por revisar: CHO-2026-7K4M9P", f"user:{official.id}", None),
        ("Plazo vencido: solicitud CHO-2026-ABCDE0", "director:desarrollo-economico", None),
        ("Recordatorio: la solicitud CHO-2026-ZZZZZ1 vence pronto", f"user:{official.id}", now),
    ]
    with live_server.app.extensions["tramita"].engine.begin() as conn:
        for i, (subject, recipient, read_at) in enumerate(rows):
            conn.execute(
                insert(table(Notification)).values(
                    idempotency_key=f"browser:{i}",
                    recipient=recipient,
                    template="task_assigned",
                    subject=subject,
                    body=f"La solicitud espera revisión en la bandeja de su área.\n\n{link}",
                    created_at=now - timedelta(minutes=10 - i),
                    read_at=read_at,
                )
            )


def test_notifications_page_is_accessible_and_marks_read(
    live_server: LiveServer, page: Any, mobile_page: Any
) -> None:
    seed_notifications(live_server)
    for p in (mobile_page, page):
        login(p, OFFICIAL)
        response = p.goto("/notificaciones")
        assert response is not None and response.status == 200
        assert p.locator("main h1").inner_text() == "Notificaciones"
        axe(p, f"/notificaciones at {p.viewport_size['width']}px")
    no_horizontal_scroll(mobile_page)

    p = mobile_page
    unread = p.locator("li.notification--unread")
    assert unread.count() == 2
    with p.expect_navigation():
        unread.first.get_by_role("button", name="Marcar como leída").click()
    assert p.locator("li.notification--unread").count() == 1
    with p.expect_navigation():
        p.get_by_role("button", name="Marcar todas como leídas").click()
    assert p.locator("li.notification--unread").count() == 0
    assert "No tiene notificaciones sin leer." in p.inner_text("main")
    axe(p, "/notificaciones, all read")
    no_horizontal_scroll(p)
