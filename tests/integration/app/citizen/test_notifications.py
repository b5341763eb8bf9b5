"""«Notificaciones»: each person sees their own notifications (and, for staff, their
department's), newest first, a page at a time; marking them read needs the CSRF token and
works only on what the person can see (anything else is a 404)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select

from connectors.notifications.inbox import unread_count
from tests.helpers.market import file_market_case
from tests.helpers.web import account, csrf_token, forge_login
from workflow_engine.persistence.models import Notification, table
from workflow_engine.persistence.types import utcnow

notifications_t = table(Notification)
BASE = utcnow() - timedelta(days=1)


def notify(app: Flask, recipient: str, subject: str, *, minutes: int = 0, **extra: Any) -> int:
    """One in-app notification row, as the notify handler writes them."""
    values = {
        "idempotency_key": f"test:{recipient}:{subject}:{minutes}",
        "recipient": recipient,
        "template": "case_update",
        "subject": subject,
        "body": extra.pop("body", f"Texto de «{subject}»."),
        "created_at": BASE + timedelta(minutes=minutes),
        **extra,
    }
    with app.extensions["tramita"].engine.begin() as conn:
        return int(conn.execute(insert(notifications_t).values(**values)).inserted_primary_key[0])


def read_at(app: Flask, notification_id: int) -> Any:
    with app.extensions["tramita"].engine.connect() as conn:
        return conn.execute(
            select(notifications_t.c.read_at).where(notifications_t.c.id == notification_id)
        ).scalar_one()


def client_for(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    forge_login(client, account(app, email).id)
    return client


def user(app: Flask, email: str) -> str:
    return f"user:{account(app, email).id}"


@pytest.fixture
def app(api_app: Flask) -> Flask:
    return api_app


def test_the_page_needs_a_login(app: Flask) -> None:
    got = app.test_client().get("/notificaciones")
    assert got.status_code == 302 and "/entrar" in got.headers["Location"]


def test_a_citizen_sees_only_their_own_newest_first_and_escaped(app: Flask) -> None:
    me = user(app, "ciudadano@demo.gob.mx")
    notify(app, me, "Recibimos su solicitud", minutes=1)
    notify(app, me, "Orden de pago <b>urgente</b>", minutes=2)
    notify(app, user(app, "vecino@demo.gob.mx"), "Aviso del vecino", minutes=3)
    notify(app, "department:desarrollo-economico", "Aviso del área", minutes=4)

    html = client_for(app, "ciudadano@demo.gob.mx").get("/notificaciones").get_data(as_text=True)
    assert "<h1>Notificaciones</h1>" in html
    assert html.index("Orden de pago") < html.index("Recibimos su solicitud")
    assert "Orden de pago &lt;b&gt;urgente&lt;/b&gt;" in html and "<b>urgente" not in html
    assert "Aviso del vecino" not in html and "Aviso del área" not in html
    assert html.count(">Nueva</span>") == 2
    assert "Notificaciones sin leer: 2." in html

    english = client_for(app, "ciudadano@demo.gob.mx").get("/notificaciones?lang=en")
    text = english.get_data(as_text=True)
    assert "<h1>Notifications</h1>" in text and "Mark as read" in text


def test_staff_see_their_department_and_directors_their_escalations(app: Flask) -> None:
    notify(app, "department:desarrollo-economico", "Nadie en el área", minutes=1)
    notify(app, "director:desarrollo-economico", "Para la dirección", minutes=2)
    notify(app, "department:proteccion-civil", "Protección Civil", minutes=3)
    notify(app, user(app, "revisora@demo.gob.mx"), "Para la revisora", minutes=4)

    director = client_for(app, "funcionario@demo.gob.mx").get("/notificaciones")
    html = director.get_data(as_text=True)
    assert "Nadie en el área" in html and "Para la dirección" in html
    assert "Protección Civil" not in html and "Para la revisora" not in html

    reviewer = client_for(app, "revisora@demo.gob.mx").get("/notificaciones")
    html = reviewer.get_data(as_text=True)
    assert "Nadie en el área" in html and "Para la revisora" in html
    assert "Para la dirección" not in html

    engine = app.extensions["tramita"].engine
    assert unread_count(engine, account(app, "funcionario@demo.gob.mx")) == 2
    assert unread_count(engine, account(app, "revisora@demo.gob.mx")) == 2
    assert unread_count(engine, account(app, "proteccion@demo.gob.mx")) == 1
    assert unread_count(engine, None) == 0


def test_marking_one_read_needs_csrf_and_only_works_on_your_own(app: Flask) -> None:
    mine = notify(app, user(app, "ciudadano@demo.gob.mx"), "Mía", minutes=1)
    theirs = notify(app, user(app, "vecino@demo.gob.mx"), "Del vecino", minutes=2)
    other_department = notify(app, "department:proteccion-civil", "Del área", minutes=3)
    client = client_for(app, "ciudadano@demo.gob.mx")

    assert client.post(f"/notificaciones/{mine}/leida").status_code == 400  # no CSRF token
    assert read_at(app, mine) is None

    token = csrf_token(client, "/notificaciones")
    for other in (theirs, other_department, 999_999, 10**30):
        got = client.post(f"/notificaciones/{other}/leida", data={"csrf_token": token})
        assert got.status_code == 404, other
    assert read_at(app, theirs) is None and read_at(app, other_department) is None

    got = client.post(f"/notificaciones/{mine}/leida", data={"csrf_token": token})
    assert got.status_code == 302 and got.headers["Location"].endswith("/notificaciones")
    assert read_at(app, mine) is not None
    html = client.get("/notificaciones").get_data(as_text=True)
    assert ">Nueva</span>" not in html and "No tiene notificaciones sin leer." in html
    # Marking it again is harmless.
    again = client.post(f"/notificaciones/{mine}/leida", data={"csrf_token": token})
    assert again.status_code == 302


def test_mark_all_read_stops_at_what_was_on_screen(app: Flask) -> None:
    me = user(app, "ciudadano@demo.gob.mx")
    first = notify(app, me, "Primera", minutes=1)
    second = notify(app, me, "Segunda", minutes=2)
    other = notify(app, user(app, "vecino@demo.gob.mx"), "Del vecino", minutes=3)
    client = client_for(app, "ciudadano@demo.gob.mx")
    html = client.get("/notificaciones").get_data(as_text=True)
    assert f'name="hasta" value="{second}"' in html
    token = csrf_token(client, "/notificaciones")
    later = notify(app, me, "Llegó después", minutes=4)  # arrives while the page is open

    assert client.post("/notificaciones/leidas", data={"hasta": str(second)}).status_code == 400
    got = client.post("/notificaciones/leidas", data={"csrf_token": token, "hasta": str(second)})
    assert got.status_code == 302
    assert read_at(app, first) is not None and read_at(app, second) is not None
    assert read_at(app, later) is None and read_at(app, other) is None
    page = client.get("/notificaciones").get_data(as_text=True)
    assert "Se marcaron 2 notificaciones como leídas." in page


def test_pages_of_twenty_follow_each_other_without_gaps(app: Flask) -> None:
    me = user(app, "ciudadano@demo.gob.mx")
    for i in range(45):
        # Two rows per minute: the cursor must order ties by id, not lose them.
        notify(app, me, f"Aviso número {i:02d}", minutes=i // 2)
    client = client_for(app, "ciudadano@demo.gob.mx")
    seen: list[str] = []
    url = "/notificaciones"
    for _ in range(5):
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r"Aviso número (\d\d)</h2>", html)
        older = r'href="(/notificaciones\?despues=\d+)"[^>]*>(?:<[^>]*>)*Anteriores'
        found = re.search(older, html)
        if not found:
            break
        url = found.group(1)
    assert len(seen) == 45 and len(set(seen)) == 45
    assert seen[:2] == ["44", "43"] and seen[-1] == "00"
    # A cursor that is nonsense, or not one of mine, shows nothing of anybody else.
    assert client.get("/notificaciones?despues=abc").status_code == 200
    other = notify(app, user(app, "vecino@demo.gob.mx"), "Secreto", minutes=1)
    html = client.get(f"/notificaciones?despues={other}").get_data(as_text=True)
    assert "Secreto" not in html and "Aviso número" not in html


def test_a_real_case_notification_links_to_the_case(app: Flask) -> None:
    citizen = account(app, "ciudadano@demo.gob.mx")
    filed = file_market_case(app, citizen)
    app.extensions["tramita"].outbox.run_due()
    html = client_for(app, "ciudadano@demo.gob.mx").get("/notificaciones").get_data(as_text=True)
    assert f"Recibimos su solicitud {filed['folio']}" in html
    assert f'href="http://127.0.0.1:5000/expedientes/{filed["folio"]}"' in html
