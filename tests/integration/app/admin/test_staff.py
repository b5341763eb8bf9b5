"""Staff administration over real HTTP handling, migrated databases (SQLite and PostgreSQL)
and a real SMTP server: invitations, roles, deactivation, the append-only audit log, and
that nobody but an administrator reaches /admin/*."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from app.sessions import current_actor
from tests.helpers.mail import SmtpServer
from tests.helpers.web import account, csrf_token, post_login
from workflow_engine.persistence.models import AuditLog, AuthToken, OutboxMessage, User, table
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.staff import (
    STAFF_INVITATION,
    ActingAdmin,
    Staff,
    StaffError,
)
from workflow_engine.persistence.types import utcnow

BASE_URL = "https://tramites.example.mx"
PASSWORD = "una frase bastante larga"
DEPARTMENT = "desarrollo-economico"
audit_t = table(AuditLog)
users_t = table(User)
tokens_t = table(AuthToken)
outbox_t = table(OutboxMessage)


def _seed(app: Flask) -> None:
    store = _store(app)
    store.ensure_department(DEPARTMENT, "Desarrollo Económico", "Economic Development")
    store.ensure_department("tesoreria", "Tesorería Municipal", "Treasury")
    store.create("admin@muni.mx", PASSWORD, role="admin", name="Ada Administradora")
    store.create("vecina@correo.mx", PASSWORD, role="citizen", name="Vera Vecina", verified=True)


def _make_app(url: str, app_factory: Any, smtp: SmtpServer) -> Flask:
    app: Flask = app_factory(url, smtp_host="127.0.0.1", smtp_port=smtp.port, base_url=BASE_URL)
    app.add_url_rule("/_actor", "actor_probe", _actor_probe)
    _seed(app)
    return app


def _actor_probe() -> Any:
    actor = current_actor()
    if actor is None:
        return {"actor": None}
    return {
        "id": actor.id,
        "kind": actor.kind,
        "departments": sorted(actor.departments),
        "roles": sorted(actor.roles),
        "name": actor.name,
    }


@pytest.fixture
def app(db_url: str, app_factory: Any, smtp: SmtpServer) -> Flask:
    return _make_app(db_url, app_factory, smtp)


@pytest.fixture
def sqlite_app(sqlite_url: str, app_factory: Any, smtp: SmtpServer) -> Flask:
    return _make_app(sqlite_url, app_factory, smtp)


def _store(app: Flask) -> Accounts:
    return Accounts(app.extensions["tramita"].engine, demo_mode=True)


def _engine(app: Flask) -> Any:
    return app.extensions["tramita"].engine


def _admin_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert post_login(client, "admin@muni.mx", PASSWORD).status_code == 302
    return client


def _post(client: FlaskClient, path: str, data: dict[str, Any], form_page: str) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page)})


def _audit(app: Flask) -> list[Any]:
    with _engine(app).connect() as conn:
        return list(conn.execute(select(audit_t).order_by(audit_t.c.id)).all())


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def _invite(client: FlaskClient, **fields: Any) -> Any:
    data = {
        "email": "nuevo@muni.mx",
        "name": "Nico Nuevo",
        "role": "official",
        "department": DEPARTMENT,
        "role_tags": ["revisor"],
        "other_tags": "",
        "language": "es",
    }
    data.update(fields)
    return _post(client, "/admin/usuarios/invitar", data, "/admin/usuarios/invitar")


def _official(app: Flask, email: str = "olga@muni.mx", tags: tuple[str, ...] = ("revisor",)) -> int:
    account = _store(app).create(
        email,
        PASSWORD,
        role="official",
        name="Olga Oficial",
        department_key=DEPARTMENT,
        role_tags=list(tags),
    )
    return account.id


# -- invitations --------------------------------------------------------------------------------


def test_admin_invites_an_official_who_sets_a_password_and_logs_in(
    app: Flask, smtp: SmtpServer
) -> None:
    admin = _admin_client(app)
    sent = _invite(
        admin,
        email="Nico.Nuevo@Muni.mx",
        role_tags=["revisor", "director"],
        other_tags="notificador",
    )
    assert sent.status_code == 302, _main(sent.get_data(as_text=True))
    user_id = account(app, "nico.nuevo@muni.mx").id
    assert sent.headers["Location"] == f"/admin/usuarios/{user_id}"
    page = admin.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Enviamos la invitación a nico.nuevo@muni.mx" in page
    assert "Invitación pendiente" in page
    assert "Modo demostración" not in page  # a mail server is configured: no link on screen

    # The e-mail went through the outbox to the SMTP server, with a single-use link.
    assert len(smtp.sink.messages) == 1
    mail = smtp.sink.messages[0].message
    assert mail["To"] == "nico.nuevo@muni.mx"
    assert mail["Subject"] == "Invitación a los trámites en línea de Municipio de Chocotlán"
    body = smtp.sink.messages[-1].text()
    assert "funcionario(a) de Desarrollo Económico" in body
    path = smtp.sink.messages[-1].path(BASE_URL)
    assert path.startswith("/invitacion/")
    token = path.rsplit("/", 1)[1]
    with _engine(app).connect() as conn:
        outbox = conn.execute(select(outbox_t).where(outbox_t.c.kind == "email")).one()
        stored = conn.execute(select(tokens_t).where(tokens_t.c.user_id == user_id)).one()
    assert outbox.status == "done" and outbox.payload["to"] == "nico.nuevo@muni.mx"
    assert stored.purpose == STAFF_INVITATION and token not in stored.token_hash
    assert timedelta(days=6) < stored.expires_at - stored.created_at <= timedelta(days=7)
    # No password yet: nobody can log in to the invited account.
    assert post_login(app.test_client(), "nico.nuevo@muni.mx", "").status_code == 400

    invitee = app.test_client()
    form = invitee.get(path)
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert "nico.nuevo@muni.mx" in form.get_data(as_text=True)
    weak = invitee.post(
        path,
        data={
            "name": "Nicolás Nuevo",
            "password": "corta",
            "password_confirm": "corta",
            "csrf_token": csrf_token(invitee, path),
        },
    )
    assert weak.status_code == 400
    assert "al menos 10 caracteres" in weak.get_data(as_text=True)
    accepted = invitee.post(
        path,
        data={
            "name": "Nicolás Nuevo",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "csrf_token": csrf_token(invitee, path),
        },
    )
    assert accepted.status_code == 302
    actor = invitee.get("/_actor").get_json()
    assert actor == {
        "id": str(user_id),
        "kind": "official",
        "departments": [DEPARTMENT],
        "roles": ["director", "notificador", "revisor"],
        "name": "Nicolás Nuevo",
    }
    again = app.test_client().get(path)
    assert again.status_code == 410
    assert "ya se usó" in again.get_data(as_text=True)
    fresh = app.test_client()
    assert post_login(fresh, "nico.nuevo@muni.mx", PASSWORD).status_code == 302
    assert fresh.get("/_actor").get_json()["roles"] == ["director", "notificador", "revisor"]

    rows = _audit(app)
    assert [(r.action, r.actor_name, r.target_id) for r in rows] == [
        ("user.invited", "Ada Administradora", str(user_id)),
        ("user.invitation_accepted", "Nicolás Nuevo", str(user_id)),
    ]
    assert rows[0].details == {
        "email": "nico.nuevo@muni.mx",
        "name": "Nico Nuevo",
        "role": "official",
        "department": DEPARTMENT,
        "role_tags": ["director", "notificador", "revisor"],
    }
    assert rows[0].ip == "127.0.0.1"
    assert rows[0].actor_id == str(account(app, "admin@muni.mx").id)


def test_expired_and_resent_invitations(sqlite_app: Flask, smtp: SmtpServer) -> None:
    app = sqlite_app
    admin_id = account(app, "admin@muni.mx").id
    past = utcnow() - timedelta(days=8)
    old = Staff(_engine(app), clock=lambda: past).invite(
        ActingAdmin(admin_id, "10.0.0.1"),
        email="tardia@muni.mx",
        role="liaison",
        department_key="tesoreria",
        link_for=lambda token: f"{BASE_URL}/invitacion/{token}",
        municipality="Municipio de Prueba",
        language="en",
    )
    expired = app.test_client().get(old.link.removeprefix(BASE_URL) + "?lang=es")
    assert expired.status_code == 410
    assert "La invitación venció" in expired.get_data(as_text=True)
    with _engine(app).connect() as conn:
        payload = conn.execute(select(outbox_t.c.payload)).scalar_one()
    assert payload["subject"] == "Invitation to the online procedures of Municipio de Prueba"
    assert "as liaison of Treasury" in payload["text"]

    admin = _admin_client(app)
    user_id = account(app, "tardia@muni.mx").id
    page = f"/admin/usuarios/{user_id}"
    resent = _post(admin, f"{page}/reenviar-invitacion", {}, page)
    assert resent.status_code == 303
    assert "Enviamos una nueva invitación" in admin.get(page).get_data(as_text=True)
    new_path = smtp.sink.messages[-1].path(BASE_URL)
    assert new_path != old.link.removeprefix(BASE_URL)
    assert app.test_client().get(old.link.removeprefix(BASE_URL)).status_code == 410
    assert app.test_client().get(new_path).status_code == 200
    # Deactivated before accepting: the link stops working at once.
    assert _post(admin, f"{page}/desactivar", {}, page).status_code == 303
    assert app.test_client().get(new_path).status_code == 404
    actions = [r.action for r in _audit(app)]
    assert actions == ["user.invited", "user.invitation_resent", "user.deactivated"]


# -- editing, deactivating --------------------------------------------------------------------


def test_admin_edits_tags_then_deactivation_ends_sessions_and_logins(app: Flask) -> None:
    official_id = _official(app)
    official = app.test_client()
    assert post_login(official, "olga@muni.mx", PASSWORD).status_code == 302
    assert official.get("/_actor").get_json()["roles"] == ["revisor"]

    admin = _admin_client(app)
    page = f"/admin/usuarios/{official_id}"
    edited = _post(
        admin,
        page,
        {
            "name": "Olga Oficial",
            "role": "official",
            "department": DEPARTMENT,
            "role_tags": ["revisor", "inspector"],
            "other_tags": "",
        },
        page,
    )
    assert edited.status_code == 302
    assert "Se guardaron los cambios" in admin.get(page).get_data(as_text=True)
    # The official's next request already carries the new roles.
    assert official.get("/_actor").get_json()["roles"] == ["inspector", "revisor"]
    unchanged = _post(
        admin,
        page,
        {
            "name": "Olga Oficial",
            "role": "official",
            "department": DEPARTMENT,
            "role_tags": ["inspector", "revisor"],
        },
        page,
    )
    assert unchanged.status_code == 302
    assert "No había nada que cambiar" in admin.get(page).get_data(as_text=True)

    deactivated = _post(admin, f"{page}/desactivar", {}, page)
    assert deactivated.status_code == 303
    assert "La cuenta quedó desactivada" in admin.get(page).get_data(as_text=True)
    # The open session is over on its next request.
    assert official.get("/_actor").get_json() == {"actor": None}
    assert official.get("/perfil").status_code == 302
    # Logging in is refused with a clear message, only to whoever knows the password.
    refused = post_login(app.test_client(), "olga@muni.mx", PASSWORD)
    assert refused.status_code == 403
    assert "Su cuenta está desactivada" in refused.get_data(as_text=True)
    wrong = post_login(app.test_client(), "olga@muni.mx", "otra frase equivocada")
    assert wrong.status_code == 400
    assert "Correo o contraseña incorrectos" in wrong.get_data(as_text=True)

    assert _post(admin, f"{page}/reactivar", {}, page).status_code == 303
    # The session from before the deactivation stays dead; a new login works.
    assert official.get("/_actor").get_json() == {"actor": None}
    assert post_login(official, "olga@muni.mx", PASSWORD).status_code == 302
    assert official.get("/_actor").get_json()["roles"] == ["inspector", "revisor"]

    rows = _audit(app)
    assert [r.action for r in rows] == ["user.updated", "user.deactivated", "user.reactivated"]
    assert rows[0].details == {
        "email": "olga@muni.mx",
        "changes": {"role_tags": [["revisor"], ["inspector", "revisor"]]},
    }
    audit_page = admin.get("/admin/auditoria").get_data(as_text=True)
    assert "Cambió una cuenta" in audit_page and "inspector, revisor" in audit_page
    assert "Desactivó una cuenta" in audit_page


def test_the_audit_log_refuses_update_and_delete(app: Flask) -> None:
    admin_id = account(app, "admin@muni.mx").id
    Staff(_engine(app)).create_department(ActingAdmin(admin_id), key="mercados", name_es="Mercados")
    engine = _engine(app)
    for statement in (
        update(audit_t).values(actor_name="otra persona"),
        delete(audit_t),
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    rows = _audit(app)
    assert [(r.action, r.actor_name) for r in rows] == [
        ("department.created", "Ada Administradora")
    ]


def test_a_change_refused_records_nothing_and_changes_nothing(app: Flask) -> None:
    official_id = _official(app)
    admin_id = account(app, "admin@muni.mx").id
    staff = Staff(_engine(app))
    with pytest.raises(StaffError) as refused:
        staff.update_user(
            ActingAdmin(admin_id),
            official_id,
            name="Olga",
            role="official",
            department_key="no-existe",
            role_tags=["revisor"],
        )
    assert refused.value.problems[0].message_en.startswith("That department does not exist")
    # Only active administrators act, whatever the caller passes.
    for actor in (official_id, 999_999):
        with pytest.raises(StaffError) as forbidden:
            staff.deactivate(ActingAdmin(actor), official_id)
        assert forbidden.value.http_status == 403
    assert _audit(app) == []
    assert _store(app).get(official_id).is_active  # type: ignore[union-attr]


# -- validation ---------------------------------------------------------------------------------


def test_invitation_and_edit_validation_in_spanish_and_english(
    sqlite_app: Flask, smtp: SmtpServer
) -> None:
    app = sqlite_app
    admin = _admin_client(app)
    cases = [
        ({"email": "vecina@correo.mx"}, "Ya existe una cuenta con ese correo"),
        ({"email": "no-es-correo"}, "Escriba un correo electrónico válido"),
        ({"department": ""}, "Elija la dependencia"),
        ({"department": "no-existe"}, "Esa dependencia no existe"),
        ({"role_tags": [], "other_tags": ""}, "Elija al menos un rol del funcionario"),
        ({"other_tags": "Revisión"}, "no es válida"),
        ({"role": "superusuario"}, "Elija un rol de la lista"),
        ({"role": "citizen"}, "Elija un rol de la lista"),  # invitations are for staff
    ]
    for fields, message in cases:
        page = _invite(admin, **fields)
        assert page.status_code == 400, fields
        html = page.get_data(as_text=True)
        assert "Hay un problema" in html and message in html, (fields, _main(html))
    english = admin.post(
        "/admin/usuarios/invitar?lang=en",
        data={
            "email": "x@muni.mx",
            "role": "liaison",
            "csrf_token": csrf_token(admin, "/admin/usuarios/invitar"),
        },
    )
    assert "Choose the department: liaisons and officials belong to one." in english.get_data(
        as_text=True
    )
    assert smtp.sink.messages == []
    assert _audit(app) == []

    # A liaison needs no tags (any given are dropped); an admin has no department.
    assert _invite(admin, email="enlace@muni.mx", role="liaison").status_code == 302
    liaison = _store(app).by_email("enlace@muni.mx")
    assert liaison is not None and liaison.role_tags == () and liaison.department_key == DEPARTMENT
    assert _invite(admin, email="jefa@muni.mx", role="admin").status_code == 302
    boss = _store(app).by_email("jefa@muni.mx")
    assert boss is not None and boss.department_key is None


def test_the_last_active_admin_cannot_be_removed(sqlite_app: Flask) -> None:
    app = sqlite_app
    admin = _admin_client(app)
    admin_id = account(app, "admin@muni.mx").id
    page = f"/admin/usuarios/{admin_id}"
    html = admin.get(page).get_data(as_text=True)
    assert "Desactivar la cuenta" not in html  # no button for one's own account
    demoted = _post(
        admin,
        page,
        {"name": "Ada", "role": "official", "department": DEPARTMENT, "role_tags": ["revisor"]},
        page,
    )
    assert demoted.status_code == 400
    assert "única persona administradora activa" in demoted.get_data(as_text=True)
    self_off = _post(admin, f"{page}/desactivar", {}, page)
    assert self_off.status_code == 303
    assert "No puede desactivar su propia cuenta" in admin.get(page).get_data(as_text=True)
    assert _store(app).get(admin_id).is_active  # type: ignore[union-attr]

    # With a second administrator, the first may step down.
    second = _store(app).create("beto@muni.mx", PASSWORD, role="admin", name="Beto")
    assert (
        _post(
            admin,
            page,
            {"name": "Ada", "role": "official", "department": DEPARTMENT, "role_tags": ["revisor"]},
            page,
        ).status_code
        == 302
    )
    assert admin.get("/admin/usuarios").status_code == 404  # no longer an administrator
    staff = Staff(_engine(app))
    with pytest.raises(StaffError, match="only active administrator"):
        staff.update_user(
            ActingAdmin(second.id),
            second.id,
            name="Beto",
            role="liaison",
            department_key=DEPARTMENT,
            role_tags=[],
        )
    assert [r.action for r in _audit(app)] == ["user.updated"]


def test_departments_are_created_and_renamed_with_audit(sqlite_app: Flask) -> None:
    app = sqlite_app
    admin = _admin_client(app)
    form = "/admin/dependencias"
    bad = _post(admin, form, {"key": "Obras Públicas", "name_es": ""}, form)
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "La clave sólo puede tener letras minúsculas" in html
    assert "Escriba el nombre de la dependencia en español" in html
    taken = _post(admin, form, {"key": "tesoreria", "name_es": "Otra"}, form)
    assert taken.status_code == 400
    assert "Ya existe una dependencia con esa clave" in taken.get_data(as_text=True)

    made = _post(admin, form, {"key": "obras-publicas", "name_es": "Obras <b>Públicas</b>"}, form)
    assert made.status_code == 302
    listing = admin.get(form).get_data(as_text=True)
    assert "Obras &lt;b&gt;Públicas&lt;/b&gt;" in listing  # escaped, never markup
    page = "/admin/dependencias/obras-publicas"
    renamed = _post(admin, page, {"name_es": "Obras Públicas", "name_en": "Public Works"}, page)
    assert renamed.status_code == 302
    assert (
        _post(
            admin, page, {"name_es": "Obras Públicas", "name_en": "Public Works"}, page
        ).status_code
        == 302
    )  # unchanged: nothing recorded
    assert admin.get("/admin/dependencias/no-existe").status_code == 404
    assert _store(app).departments()["obras-publicas"] == ("Obras Públicas", "Public Works")
    rows = _audit(app)
    assert [(r.action, r.target_type, r.target_id) for r in rows] == [
        ("department.created", "department", "obras-publicas"),
        ("department.renamed", "department", "obras-publicas"),
    ]
    assert rows[1].details["after"] == {"name_es": "Obras Públicas", "name_en": "Public Works"}
    # The new department can be chosen for staff at once.
    assert _invite(admin, department="obras-publicas").status_code == 302


def test_user_list_filters_and_audit_pagination(sqlite_app: Flask) -> None:
    app = sqlite_app
    _official(app, "olga@muni.mx")
    _official(app, "cajero@muni.mx", ("cajero",))
    admin_id = account(app, "admin@muni.mx").id
    staff = Staff(_engine(app))
    staff.deactivate(ActingAdmin(admin_id), account(app, "cajero@muni.mx").id)
    admin = _admin_client(app)

    def emails(query: str) -> list[str]:
        html = admin.get("/admin/usuarios" + query).get_data(as_text=True)
        return re.findall(r'<span class="email meta">([^<]+)</span>', html)

    assert emails("") == ["admin@muni.mx", "cajero@muni.mx", "olga@muni.mx"]  # staff only
    assert emails("?rol=citizen") == ["vecina@correo.mx"]
    assert emails("?rol=all&q=VERA") == ["vecina@correo.mx"]  # name, case-insensitive
    assert emails("?estado=inactive") == ["cajero@muni.mx"]
    assert emails(f"?dependencia={DEPARTMENT}&estado=active") == ["olga@muni.mx"]
    assert emails("?q=%25") == []  # a LIKE wildcard is just a character
    assert admin.get("/admin/usuarios?pagina=abc&rol=x&estado=y").status_code == 200
    assert admin.get("/admin/usuarios/999999").status_code == 404

    for i in range(60):
        staff.create_department(ActingAdmin(admin_id), key=f"dep-{i:02d}", name_es=f"Dep {i}")
    first = admin.get("/admin/auditoria").get_data(as_text=True)
    assert first.count("Creó una dependencia") == 50
    older = re.search(r'href="(/admin/auditoria\?antes=\d+)"', first)
    assert older, "no link to older entries"
    second = admin.get(older.group(1)).get_data(as_text=True)
    assert second.count("Creó una dependencia") == 10
    assert "Desactivó una cuenta" in second  # the oldest entry
    assert "Más antiguos" not in second
    only_cajero = admin.get(f"/admin/auditoria?usuario={account(app, 'cajero@muni.mx').id}")
    assert only_cajero.get_data(as_text=True).count("<tr>") == 2  # header + one entry


# -- who may use it -------------------------------------------------------------------------------


def _admin_urls(app: Flask, user_id: int) -> list[tuple[str, str]]:
    """Every /admin rule with its methods, with sample values for its arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        path = rule.rule.replace("<int:user_id>", str(user_id)).replace("<key>", DEPARTMENT)
        path = path.replace("<folio>", "CHO-2026-000001")
        assert "<" not in path, path
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            urls.append((method, path))
    return urls


def test_only_administrators_reach_admin_pages(sqlite_app: Flask) -> None:
    app = sqlite_app
    target = _official(app)
    store = _store(app)
    store.create("enlace@muni.mx", PASSWORD, role="liaison", department_key=DEPARTMENT)
    urls = _admin_urls(app, target)
    assert ("GET", "/admin/usuarios") in urls and ("POST", "/admin/dependencias") in urls
    assert len(urls) >= 12

    anonymous = app.test_client()
    token = csrf_token(anonymous, "/entrar")
    for method, path in urls:
        response = anonymous.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 401, (method, path)
    for email in ("vecina@correo.mx", "olga@muni.mx", "enlace@muni.mx"):
        client = app.test_client()
        assert post_login(client, email, PASSWORD).status_code == 302
        token = csrf_token(client, "/")
        for method, path in urls:
            response = client.open(
                path,
                method=method,
                data={"csrf_token": token, "email": "x@muni.mx", "role": "admin", "key": "x-y"},
            )
            assert response.status_code == 404, (email, method, path)
    assert _audit(app) == []
    assert store.get(target).is_active  # type: ignore[union-attr]


def test_every_admin_form_needs_the_csrf_token(sqlite_app: Flask, smtp: SmtpServer) -> None:
    app = sqlite_app
    target = _official(app)
    admin = _admin_client(app)
    for method, path in _admin_urls(app, target):
        if method != "POST":
            continue
        response = admin.post(
            path, data={"email": "x@muni.mx", "role": "admin", "key": "x-y", "name_es": "X"}
        )
        assert response.status_code == 400, path
    assert _audit(app) == []
    assert smtp.sink.messages == []
    assert _store(app).get(target).is_active  # type: ignore[union-attr]
    with _engine(app).connect() as conn:  # admin, citizen, official: nobody was invited
        assert conn.execute(select(func.count()).select_from(users_t)).scalar_one() == 3
    # The invitation page too: a forged POST cannot set someone's password.
    invitation = Staff(_engine(app)).invite(
        ActingAdmin(account(app, "admin@muni.mx").id),
        email="invitada@muni.mx",
        role="admin",
        link_for=lambda token: f"/invitacion/{token}",
        municipality="Municipio de Prueba",
    )
    forged = app.test_client().post(
        invitation.link, data={"name": "X", "password": PASSWORD, "password_confirm": PASSWORD}
    )
    assert forged.status_code == 400
    assert Staff(_engine(app)).check_invitation(invitation.link.rsplit("/", 1)[1]).ok


def test_admin_pages_are_not_cached(sqlite_app: Flask) -> None:
    admin = _admin_client(sqlite_app)
    response = admin.get("/admin/usuarios")
    assert response.headers["Cache-Control"] == "no-store"


def test_admin_sets_an_official_s_position_for_what_they_sign(app: Flask) -> None:
    official_id = _official(app)
    admin = _admin_client(app)
    page = f"/admin/usuarios/{official_id}"
    assert 'name="position"' in admin.get(page).get_data(as_text=True)
    edited = _post(
        admin,
        page,
        {
            "name": "Olga Oficial",
            "position": "  Jefa de   Licencias ",
            "role": "official",
            "department": DEPARTMENT,
            "role_tags": ["revisor"],
        },
        page,
    )
    assert edited.status_code == 302
    official = app.test_client()
    assert post_login(official, "olga@muni.mx", PASSWORD).status_code == 302
    found = Accounts(app.extensions["tramita"].engine).by_email("olga@muni.mx")
    assert found is not None and found.actor().position == "Jefa de Licencias"
    assert _audit(app)[-1].details["changes"] == {"position": ["", "Jefa de Licencias"]}
    assert "Cargo" in admin.get(page).get_data(as_text=True)
