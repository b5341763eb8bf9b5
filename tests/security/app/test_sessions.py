"""Sessions and login under attack: a copied cookie after logout, sessions left open by a
password reset, parallel password guessing, one address locking everybody out, proxies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import workflow_engine.persistence.platform.accounts as accounts_module
from tests.helpers.web import csrf_token, login
from tests.security.conftest import (
    DEMO_ROLES,
    UNSAFE_METHODS,
    Route,
    is_login_redirect,
    refuses_anonymous,
)
from workflow_engine.persistence.platform.accounts import (
    LOGIN_MAX_FAILURES_PER_EMAIL,
    LOGIN_SLOW_AFTER_FAILURES_PER_IP,
    RESET_PASSWORD,
    RESET_TTL,
    Accounts,
    attempts_t,
)

NEW_PASSWORD = "una frase secreta nueva"


def _store(app: Flask) -> Accounts:
    return Accounts(app.extensions["tramita"].engine, demo_mode=True)


def _outcome(response: Any) -> tuple[int, str]:
    return response.status_code, response.headers.get("Location", "")


def _send(client: FlaskClient, route: Route, method: str, token: str | None = None) -> Any:
    if method == "GET":
        response = client.get(route.url)
    elif route.api:
        headers = {"X-CSRFToken": token} if token else {}
        response = client.open(route.url, method=method, json={}, headers=headers)
    else:
        data = {"csrf_token": token} if token else {}
        response = client.open(route.url, method=method, data=data)
    response.close()  # static files are streamed
    return response


@pytest.mark.parametrize("role", sorted(DEMO_ROLES))
def test_a_cookie_copied_before_logout_opens_no_route_afterwards(
    security_app: Flask,
    login_as: Callable[[str], FlaskClient],
    routes: list[Route],
    role: str,
) -> None:
    client = login_as(role)
    token = csrf_token(client)  # a thief with the cookie may have a page's token too
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert client.post("/salir", data={"csrf_token": token}).status_code == 302

    stale = security_app.test_client()
    stale.set_cookie("session", cookie.value)
    anonymous = security_app.test_client()
    problems = []
    for route in routes:
        for method in sorted(route.methods):
            if route.public and method in UNSAFE_METHODS:
                continue  # login, registration, webhooks...: nothing of the session is used
            answer = _send(stale, route, method, token)
            if answer.status_code // 100 == 2 and not route.public:
                problems.append(f"{method} {route.url}: {answer.status_code} with the old cookie")
            elif not route.public and not refuses_anonymous(route, answer):
                problems.append(f"{method} {route.url}: {answer.status_code}, not a login request")
            elif method == "GET" and _outcome(answer) != _outcome(_send(anonymous, route, "GET")):
                problems.append(f"GET {route.url}: the old cookie is treated unlike no cookie")
    assert not problems, "\n".join(problems)


def test_logout_ends_this_session_only(
    security_app: Flask, login_as: Callable[[str], FlaskClient]
) -> None:
    phone, laptop = login_as("citizen"), login_as("citizen")
    assert phone.get("/mis-tramites").status_code == 200
    assert phone.post("/salir", data={"csrf_token": csrf_token(phone)}).status_code == 302
    assert is_login_redirect(phone.get("/mis-tramites"))
    assert laptop.get("/mis-tramites").status_code == 200  # the other device stays logged in


def test_a_password_reset_ends_every_other_session_and_says_so(
    security_app: Flask, login_as: Callable[[str], FlaskClient]
) -> None:
    phone, laptop = login_as("citizen"), login_as("citizen")
    store = _store(security_app)
    account = store.by_email(DEMO_ROLES["citizen"])
    assert account is not None
    issued = store.issue_token(account.id, RESET_PASSWORD, RESET_TTL)  # the e-mailed link
    path = f"/restablecer/{issued.token}"
    resetter = security_app.test_client()
    done = resetter.post(
        path,
        data={
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(resetter, path),
        },
    )
    assert done.status_code == 302
    home = resetter.get("/").get_data(as_text=True)
    assert "Cerramos todas las demás sesiones" in home
    assert resetter.get("/mis-tramites").status_code == 200
    for device in (phone, laptop):
        assert is_login_redirect(device.get("/mis-tramites"))
    assert store.session_count(account.id) == 1
    login(security_app.test_client(), DEMO_ROLES["citizen"], NEW_PASSWORD)


def test_a_password_change_keeps_only_the_session_that_made_it(
    security_app: Flask, login_as: Callable[[str], FlaskClient]
) -> None:
    here, elsewhere = login_as("official"), login_as("official")
    store = _store(security_app)
    account = store.by_email(DEMO_ROLES["official"])
    assert account is not None
    with here.session_transaction() as session:
        session_id = session["_user_id"]
    assert store.set_password(account.id, NEW_PASSWORD, keep_session=session_id) == 1
    assert here.get("/bandeja").status_code == 200
    assert is_login_redirect(elsewhere.get("/bandeja"))


def test_deactivation_ends_every_session_and_reactivation_revives_none(
    security_app: Flask, login_as: Callable[[str], FlaskClient]
) -> None:
    citizen = login_as("citizen")
    admin = login_as("admin")
    account = _store(security_app).by_email(DEMO_ROLES["citizen"])
    assert account is not None
    page = f"/admin/usuarios/{account.id}"
    token = csrf_token(admin, page)
    assert admin.post(f"{page}/desactivar", data={"csrf_token": token}).status_code == 303
    assert is_login_redirect(citizen.get("/mis-tramites"))
    assert admin.post(f"{page}/reactivar", data={"csrf_token": token}).status_code == 303
    assert is_login_redirect(citizen.get("/mis-tramites"))
    assert _store(security_app).session_count(account.id) == 0


# -- login limits -------------------------------------------------------------------------------


def _login_form(client: FlaskClient, email: str, password: str) -> dict[str, str]:
    return {"email": email, "password": password, "csrf_token": csrf_token(client, "/entrar")}


def test_parallel_wrong_passwords_are_checked_at_most_the_limit(
    security_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    class CountingHasher(PasswordHasher):  # type: ignore[misc]
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checked.append(str(password))
            return bool(super().verify(hash, password))

    monkeypatch.setattr(
        accounts_module, "_hasher", CountingHasher(time_cost=2, memory_cost=19456, parallelism=1)
    )
    email = DEMO_ROLES["official"]
    clients = [security_app.test_client() for _ in range(30)]
    forms = [_login_form(c, email, f"adivinanza-{i}") for i, c in enumerate(clients)]
    start = threading.Barrier(15)
    statuses: list[int] = []

    def guess(index: int) -> None:
        start.wait()
        statuses.append(clients[index].post("/entrar", data=forms[index]).status_code)

    for wave in (range(15), range(15, 30)):  # 15 at a time, as the attack did
        threads = [threading.Thread(target=guess, args=(i,)) for i in wave]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        start.reset()
    assert len(statuses) == 30
    assert statuses.count(400) <= LOGIN_MAX_FAILURES_PER_EMAIL, statuses
    assert statuses.count(429) == 30 - statuses.count(400)
    assert len(checked) <= LOGIN_MAX_FAILURES_PER_EMAIL


def test_failures_from_one_address_slow_it_down_but_never_refuse_a_right_password(
    security_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: list[float] = []
    monkeypatch.setattr("app.accounts.auth.pause", delays.append)
    cafe = {"REMOTE_ADDR": "198.51.100.20"}
    attacker = security_app.test_client()
    attacker.environ_base.update(cafe)
    for i in range(LOGIN_SLOW_AFTER_FAILURES_PER_IP + 3):  # invented addresses, one each
        answer = attacker.post("/entrar", data=_login_form(attacker, f"x{i}@correo.mx", "nada"))
        assert answer.status_code == 400
    assert delays == [0.5, 1.0, 2.0], "each failure past the threshold doubles the wait"

    official = security_app.test_client()
    official.environ_base.update(cafe)
    right = official.post(
        "/entrar", data=_login_form(official, DEMO_ROLES["official"], accounts_module.DEMO_PASSWORD)
    )
    assert right.status_code == 302, "the right password works from the shared address"
    assert delays[-1] == 4.0

    elsewhere = security_app.test_client()
    elsewhere.environ_base.update({"REMOTE_ADDR": "192.0.2.1"})
    before = len(delays)
    login(elsewhere, DEMO_ROLES["citizen"])
    assert len(delays) == before, "other addresses are not slowed down"

    # Per-account limits stay: five failures lock the account, from any address.
    for _ in range(LOGIN_MAX_FAILURES_PER_EMAIL):
        elsewhere.post("/entrar", data=_login_form(elsewhere, DEMO_ROLES["liaison"], "mal"))
    locked = official.post(
        "/entrar", data=_login_form(official, DEMO_ROLES["liaison"], accounts_module.DEMO_PASSWORD)
    )
    assert locked.status_code == 429


@pytest.mark.parametrize("proxy_count", [0, 1])
def test_proxy_count_makes_limits_see_the_client_address(
    seeded_url: str, app_factory: Any, monkeypatch: pytest.MonkeyPatch, proxy_count: int
) -> None:
    """PROXY_COUNT=1: X-Forwarded-For names the client; 0: the header is anybody's to forge
    and is ignored (every request is the proxy's)."""
    app: Flask = app_factory(seeded_url, proxy_count=proxy_count)
    delays: list[float] = []
    monkeypatch.setattr("app.accounts.auth.pause", delays.append)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}

    def client(forwarded_for: str) -> FlaskClient:
        made = app.test_client()
        made.environ_base.update(proxy)
        made.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
        return made

    guesser = client("203.0.113.7")
    for i in range(LOGIN_SLOW_AFTER_FAILURES_PER_IP):
        guesser.post("/entrar", data=_login_form(guesser, f"y{i}@correo.mx", "nada"))
    login(client("203.0.113.8"), DEMO_ROLES["citizen"])  # a neighbour behind the same proxy
    with app.extensions["tramita"].engine.connect() as conn:
        addresses = set(conn.execute(select(attempts_t.c.ip)).scalars())
    if proxy_count:
        assert addresses == {"203.0.113.7", "203.0.113.8"}
        assert delays == [], "the neighbour is not slowed down by the guesser"
    else:
        assert addresses == {"10.0.0.2"}
        assert delays == [0.5], "without PROXY_COUNT everyone behind the proxy is one address"
