"""Citizen accounts over real HTTP handling, a migrated database and a real SMTP server:
registration and e-mail verification, login throttling, password reset, profile."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select, update

from app.guards import require_verified
from tests.helpers.mail import SmtpServer
from tests.helpers.web import csrf_token, post_login
from workflow_engine.persistence.models import AuthToken, LoginAttempt, OutboxMessage, table
from workflow_engine.persistence.platform.accounts import (
    RESET_PASSWORD,
    RESET_TTL,
    VERIFY_EMAIL,
    VERIFY_TTL,
    Accounts,
)
from workflow_engine.persistence.types import utcnow

BASE_URL = "https://tramites.example.mx"
PASSWORD = "una frase bastante larga"
tokens_t = table(AuthToken)
attempts_t = table(LoginAttempt)
outbox_t = table(OutboxMessage)


@pytest.fixture
def app(sqlite_url: str, app_factory: Any, smtp: SmtpServer) -> Flask:
    app: Flask = app_factory(
        sqlite_url, smtp_host="127.0.0.1", smtp_port=smtp.port, base_url=BASE_URL
    )
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _store(app: Flask, **kwargs: Any) -> Accounts:
    return Accounts(app.extensions["tramita"].engine, demo_mode=True, **kwargs)


def _main(html: str) -> str:
    """The page's main content without the per-session CSRF token."""
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'value="[^"]*"', "", main)


def _register(client: FlaskClient, email: str, name: str = "Ana Pérez", **extra: str) -> Any:
    data = {
        "name": name,
        "email": email,
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "csrf_token": csrf_token(client, "/registro"),
    }
    data.update(extra)
    return client.post("/registro", data=data)


def test_register_then_the_emailed_link_verifies_the_address(
    app: Flask, client: FlaskClient, smtp: SmtpServer
) -> None:
    page = _register(client, "Ana@Correo.mx")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Revise su correo" in html
    assert "Modo demostración" not in html  # a real mail server is configured
    assert len(smtp.sink.messages) == 1
    email = smtp.sink.messages[0].message
    assert email["To"] == "ana@correo.mx"
    assert email["Subject"] == "Confirme su correo electrónico"
    path = smtp.sink.messages[-1].path(BASE_URL)
    assert path.startswith("/verificar-correo/")
    token = path.rsplit("/", 1)[1]

    store = _store(app)
    account = store.by_email("ana@correo.mx")
    assert account is not None and account.role == "citizen" and not account.is_verified
    with app.extensions["tramita"].engine.connect() as conn:
        row = conn.execute(select(tokens_t)).one()
    assert row.purpose == VERIFY_EMAIL
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the hash
    assert timedelta(hours=47) < row.expires_at - row.created_at <= VERIFY_TTL

    done = client.get(path)
    assert done.status_code == 200
    assert "Su correo quedó confirmado" in done.get_data(as_text=True)
    account = store.by_email("ana@correo.mx")
    assert account is not None and account.is_verified

    again = client.get(path)  # single use: nothing happens twice
    assert "ya se había usado" in again.get_data(as_text=True)
    assert store.verify_email(token).status == "used"


def test_expired_unknown_and_reused_links_are_refused_and_a_new_one_can_be_sent(
    app: Flask, client: FlaskClient, smtp: SmtpServer
) -> None:
    past = utcnow() - timedelta(hours=49)
    store = _store(app, clock=lambda: past)
    account = store.create("beto@correo.mx", PASSWORD, role="citizen", name="Beto")
    old = store.issue_token(account.id, VERIFY_EMAIL, VERIFY_TTL)

    expired = client.get(f"/verificar-correo/{old.token}")
    assert expired.status_code == 410
    assert "El enlace venció" in expired.get_data(as_text=True)
    english = client.get(f"/verificar-correo/{old.token}?lang=en")
    assert "The link has expired" in english.get_data(as_text=True)
    unknown = client.get("/verificar-correo/no-such-token?lang=es")
    assert unknown.status_code == 404
    assert "El enlace no es válido" in unknown.get_data(as_text=True)
    assert not _store(app).get(account.id).is_verified  # type: ignore[union-attr]

    # An unverified citizen may log in, is told to confirm, and can ask for a new link.
    logged = post_login(client, "beto@correo.mx", PASSWORD)
    assert logged.status_code == 302
    notice = client.get("/verificar-correo").get_data(as_text=True)
    assert "Confirme su correo" in notice
    resend = client.post(
        "/verificar-correo", data={"csrf_token": csrf_token(client, "/verificar-correo")}
    )
    assert resend.status_code == 200
    assert len(smtp.sink.messages) == 1
    too_soon = client.post(
        "/verificar-correo", data={"csrf_token": csrf_token(client, "/verificar-correo")}
    )
    assert too_soon.status_code == 429
    assert len(smtp.sink.messages) == 1

    assert client.get(smtp.sink.messages[-1].path(BASE_URL)).status_code == 200
    assert _store(app).get(account.id).is_verified  # type: ignore[union-attr]
    reused = _store(app).issue_token(account.id, VERIFY_EMAIL, VERIFY_TTL)
    assert _store(app).verify_email(reused.token).ok
    assert _store(app).verify_email(reused.token).status == "used"


def test_unverified_citizens_cannot_start_procedures(app: Flask, client: FlaskClient) -> None:
    app.add_url_rule("/_probe", "probe", lambda: require_verified().email)
    store = _store(app)
    store.create("carla@correo.mx", PASSWORD, role="citizen")
    store.create("dora@correo.mx", PASSWORD, role="citizen", verified=True)
    store.create("eva@correo.mx", PASSWORD, role="official", department_key="x")

    assert client.get("/_probe").headers["Location"].startswith("/entrar?next=")
    post_login(client, "carla@correo.mx", PASSWORD)
    blocked = client.get("/_probe")
    assert blocked.status_code == 302
    assert blocked.headers["Location"] == "/verificar-correo"
    for email in ("dora@correo.mx", "eva@correo.mx"):  # verified citizen; staff
        client.post("/salir", data={"csrf_token": csrf_token(client, "/")})
        post_login(client, email, PASSWORD)
        assert client.get("/_probe").get_data(as_text=True) == email


def test_registering_an_existing_address_reveals_nothing(
    app: Flask, client: FlaskClient, smtp: SmtpServer
) -> None:
    first = _register(client, "fer@correo.mx")
    second = _register(
        client,
        "FER@correo.mx",
        name="Otra Persona",
        password="otra frase muy larga",
        password_confirm="otra frase muy larga",
    )
    assert first.status_code == second.status_code == 200
    assert _main(first.get_data(as_text=True)) == _main(second.get_data(as_text=True))
    assert [m.message["To"] for m in smtp.sink.messages] == ["fer@correo.mx", "fer@correo.mx"]
    assert "ya tiene una" in smtp.sink.messages[-1].text()
    assert smtp.sink.messages[-1].path(BASE_URL) == "/recuperar"
    store = _store(app)
    assert store.authenticate("fer@correo.mx", PASSWORD) is not None  # unchanged
    assert store.by_email("fer@correo.mx").name == "Ana Pérez"  # type: ignore[union-attr]


def test_registration_errors_are_listed_and_values_kept(client: FlaskClient) -> None:
    page = _register(
        client, "no-es-correo", name="  ", password="gil@x.mx", password_confirm="otra"
    )
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'role="alert"' in html and "Hay un problema" in html
    for anchor in ('href="#name"', 'href="#email"', 'href="#password"'):
        assert anchor in html
    assert 'value="no-es-correo"' in html
    assert 'aria-describedby="email-hint email-error"' in html
    for password, message in (
        ("1234567890", "muy común"),
        ("gil@correo.mx", "no puede ser su correo"),
        ("corta", "al menos 10 caracteres"),
    ):
        page = _register(client, "gil@correo.mx", password=password, password_confirm=password)
        assert message in page.get_data(as_text=True)
    mismatch = _register(client, "gil@correo.mx", password_confirm=PASSWORD + "x")
    assert "no coinciden" in mismatch.get_data(as_text=True)


def test_login_is_throttled_per_address_and_per_ip(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _store(app)
    store.create("hugo@correo.mx", PASSWORD, role="citizen", verified=True)
    for _ in range(5):
        assert post_login(client, "hugo@correo.mx", "contraseña equivocada").status_code == 400
    locked = post_login(client, "hugo@correo.mx", PASSWORD)  # even the right password waits
    assert locked.status_code == 429
    assert "Demasiados intentos fallidos" in locked.get_data(as_text=True)
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed attempts" in client.post(
        "/entrar?lang=en",
        data={
            "email": "hugo@correo.mx",
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/entrar"),
        },
    ).get_data(as_text=True)

    engine = app.extensions["tramita"].engine
    with engine.begin() as conn:  # the window passes
        for row in conn.execute(select(attempts_t)).all():
            conn.execute(
                update(attempts_t)
                .where(attempts_t.c.id == row.id)
                .values(created_at=row.created_at - timedelta(minutes=16))
            )
    assert post_login(client, "hugo@correo.mx", PASSWORD).status_code == 302

    # 20 failures from one address, for many accounts, slow that address down but never
    # refuse a right password (tests/security/app/test_sessions.py covers the delays).
    with engine.begin() as conn:
        conn.execute(
            insert(attempts_t),
            [
                {
                    "email": f"x{i}@correo.mx",
                    "ip": "127.0.0.1",
                    "success": False,
                    "created_at": utcnow(),
                }
                for i in range(20)
            ],
        )
    monkeypatch.setattr("app.accounts.auth.pause", lambda seconds: None)
    other = app.test_client()
    assert post_login(other, "hugo@correo.mx", PASSWORD).status_code == 302


def test_login_regenerates_the_session_and_logout_is_post_only(
    app: Flask, client: FlaskClient
) -> None:
    _store(app).create("ines@correo.mx", PASSWORD, role="citizen", verified=True)
    client.get("/entrar")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    page = client.post(
        "/entrar?next=//evil.example",
        data={
            "email": "ines@correo.mx",
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/entrar"),
        },
    )
    assert page.headers["Location"] == "/"
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"]
    assert client.get("/salir").status_code == 405


def test_password_reset_end_to_end_and_single_use(
    app: Flask, client: FlaskClient, smtp: SmtpServer
) -> None:
    store = _store(app)
    account = store.create("juan@correo.mx", PASSWORD, role="citizen")
    earlier = _store(app, clock=lambda: utcnow() - timedelta(minutes=30))
    stale = earlier.issue_token(account.id, RESET_PASSWORD, RESET_TTL)  # an older link

    asked = client.post(
        "/recuperar",
        data={"email": "Juan@correo.mx", "csrf_token": csrf_token(client, "/recuperar")},
    )
    nobody = client.post(
        "/recuperar",
        data={"email": "nadie@correo.mx", "csrf_token": csrf_token(client, "/recuperar")},
    )
    assert asked.status_code == nobody.status_code == 200
    assert _main(asked.get_data(as_text=True)).replace("Juan@correo.mx", "@") == _main(
        nobody.get_data(as_text=True)
    ).replace("nadie@correo.mx", "@")
    assert [m.message["To"] for m in smtp.sink.messages] == ["juan@correo.mx"]
    path = smtp.sink.messages[-1].path(BASE_URL)
    assert path.startswith("/restablecer/")

    form = client.get(path)
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    weak = client.post(
        path,
        data={
            "password": "1234567890",
            "password_confirm": "1234567890",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert weak.status_code == 400
    assert "muy común" in weak.get_data(as_text=True)
    new = "otra frase secreta nueva"
    done = client.post(
        path,
        data={"password": new, "password_confirm": new, "csrf_token": csrf_token(client, path)},
    )
    assert done.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Su contraseña se cambió" in home
    assert store.authenticate("juan@correo.mx", PASSWORD) is None
    assert store.authenticate("juan@correo.mx", new) is not None
    assert store.get(account.id).is_verified  # type: ignore[union-attr]

    reused = client.get(path)
    assert reused.status_code == 410
    assert "El enlace ya se usó" in reused.get_data(as_text=True)
    assert store.check_token(stale.token, RESET_PASSWORD).status == "used"
    expired = _store(app, clock=lambda: utcnow() - timedelta(hours=2)).issue_token(
        account.id, RESET_PASSWORD, RESET_TTL
    )
    assert client.get(f"/restablecer/{expired.token}").status_code == 410


def test_profile_validates_the_curp_in_spanish_and_english(app: Flask, client: FlaskClient) -> None:
    store = _store(app)
    account = store.create("karla@correo.mx", PASSWORD, role="citizen", name="Karla")
    assert client.get("/perfil").status_code == 302
    post_login(client, "karla@correo.mx", PASSWORD)
    form = {
        "name": "Karla Ruiz",
        "curp": "BOXW310820HNERXN00",
        "phone": "55 1234 5678",
        "address.street": "Av. Juárez",
        "address.number": "12",
        "address.neighbourhood": "Centro",
        "address.postcode": "0600",
        "address.municipality": "Chocotlán",
    }
    bad = client.post("/perfil", data={**form, "csrf_token": csrf_token(client, "/perfil")})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "La CURP no es válida" in html
    assert 'href="#curp"' in html and 'href="#address-postcode"' in html
    assert 'aria-describedby="curp-hint curp-error"' in html
    assert 'value="BOXW310820HNERXN00"' in html and 'value="Av. Juárez"' in html
    english = client.post(
        "/perfil?lang=en", data={**form, "csrf_token": csrf_token(client, "/perfil?lang=en")}
    )
    assert "There is a problem" in english.get_data(as_text=True)
    assert "The CURP is not valid" in english.get_data(as_text=True)

    good = {**form, "curp": " boxw310820hnerxn09 ", "address.postcode": "06000"}
    saved = client.post(
        "/perfil?lang=es", data={**good, "csrf_token": csrf_token(client, "/perfil")}
    )
    assert saved.status_code == 302
    assert store.profile(account.id) == {
        "name": "Karla Ruiz",
        "email": "karla@correo.mx",
        "curp": "BOXW310820HNERXN09",
        "phone": "5512345678",
        "address": {
            "street": "Av. Juárez",
            "number": "12",
            "neighbourhood": "Centro",
            "postcode": "06000",
            "municipality": "Chocotlán",
        },
    }
    assert 'value="BOXW310820HNERXN09"' in client.get("/perfil").get_data(as_text=True)


def test_posts_without_csrf_token_are_refused(app: Flask, client: FlaskClient) -> None:
    _store(app).create("luis@correo.mx", PASSWORD, role="citizen", verified=True)
    data = {
        "name": "Luis",
        "email": "luis2@correo.mx",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
    }
    assert client.post("/registro", data=data).status_code == 400
    assert client.post("/recuperar", data={"email": "luis@correo.mx"}).status_code == 400
    assert (
        client.post("/entrar", data={"email": "luis@correo.mx", "password": PASSWORD}).status_code
        == 400
    )
    post_login(client, "luis@correo.mx", PASSWORD)
    assert client.post("/perfil", data={"name": "X"}).status_code == 400
    assert client.post("/verificar-correo").status_code == 400
    assert _store(app).by_email("luis2@correo.mx") is None


def test_email_waits_in_the_outbox_while_smtp_is_down(sqlite_url: str, app_factory: Any) -> None:
    server = SmtpServer()  # not started yet: connections are refused
    app = app_factory(sqlite_url, smtp_host="127.0.0.1", smtp_port=server.port, base_url=BASE_URL)
    services = app.extensions["tramita"]
    client = app.test_client()
    try:
        page = _register(client, "mario@correo.mx")
        assert page.status_code == 200
        with services.engine.connect() as conn:
            row = conn.execute(select(outbox_t).where(outbox_t.c.kind == "email")).one()
        assert row.status == "pending" and row.attempts == 1 and row.last_error
        assert row.case_id is None and row.payload["to"] == "mario@correo.mx"

        server.start()
        services.outbox.clock = lambda: utcnow() + timedelta(hours=1)
        assert services.outbox.run_due() == 1
        assert services.outbox.run_due() == 0  # sent once
        assert len(server.sink.messages) == 1
        assert client.get(server.sink.messages[-1].path(BASE_URL)).status_code == 200
    finally:
        server.stop()


def test_demo_mode_without_smtp_shows_the_link(sqlite_url: str, app_factory: Any) -> None:
    demo = app_factory(sqlite_url)
    html = _register(demo.test_client(), "nora@correo.mx").get_data(as_text=True)
    assert "Modo demostración" in html
    match = re.search(r'href="(http://127\.0\.0\.1:5000/verificar-correo/[^"]+)"', html)
    assert match
    with demo.extensions["tramita"].engine.connect() as conn:
        assert conn.execute(select(outbox_t.c.status)).scalar_one() == "done"
    client = demo.test_client()
    assert client.get(urlsplit(match.group(1)).path).status_code == 200

    production = app_factory(sqlite_url, demo_mode=False)
    html = _register(production.test_client(), "olga@correo.mx").get_data(as_text=True)
    assert "Revise su correo" in html and "Modo demostración" not in html


def test_tokens_throttle_and_mailbox_on_each_backend(db_url: str) -> None:
    from workflow_engine.persistence.cases.mailbox import enqueue_email
    from workflow_engine.persistence.db import make_engine

    engine = make_engine(db_url)
    try:
        store = Accounts(engine)
        account = store.create("pia@correo.mx", PASSWORD, role="citizen")
        issued = store.issue_token(account.id, VERIFY_EMAIL, VERIFY_TTL)
        assert store.check_token(issued.token, VERIFY_EMAIL).ok
        assert store.check_token(issued.token, RESET_PASSWORD).status == "unknown"
        assert store.verify_email(issued.token).ok
        assert store.verify_email(issued.token).status == "used"
        assert store.get(account.id).is_verified  # type: ignore[union-attr]
        assert not store.may_send_token(account.id, VERIFY_EMAIL)  # one a minute

        for _ in range(4):  # reserved attempts count as failures until they succeed
            assert store.reserve_login_attempt("pia@correo.mx", "10.0.0.1").wait is None
        assert store.reserve_login_attempt("PIA@correo.mx", "10.0.0.2").wait is None
        wait = store.reserve_login_attempt("pia@correo.mx", "10.0.0.3").wait
        assert wait is not None and 14 * 60 < wait <= 15 * 60
        later = Accounts(engine, clock=lambda: utcnow() + timedelta(minutes=16))
        gate = later.reserve_login_attempt("pia@correo.mx", "10.0.0.3")
        assert gate.wait is None
        later.finish_login_attempt(gate, success=True)

        first = enqueue_email(engine, to="pia@correo.mx", subject="s", text="t", key="k:1")
        assert enqueue_email(engine, to="pia@correo.mx", subject="s", text="t", key="k:1") == first
        with engine.connect() as conn:
            row = conn.execute(select(outbox_t).where(outbox_t.c.id == first)).one()
        assert (row.kind, row.case_id, row.status) == ("email", None, "pending")
        assert row.payload == {
            "to": "pia@correo.mx",
            "subject": "s",
            "text": "t",
            "html": None,
            "lang": "es",  # the language of the layout around the text (signature, footer)
        }
    finally:
        engine.dispose()
