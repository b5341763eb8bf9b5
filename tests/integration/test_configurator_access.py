"""The configurator (/configurador): liaisons edit their department's procedures,
administrators all; anybody else gets the 404 of a page that does not exist."""

from __future__ import annotations

from flask import Flask

from tests.helpers.web import login, post_login

LIAISON = "enlace@demo.gob.mx"  # desarrollo-economico
OTHER_DEPARTMENT = "permiso-construccion"  # desarrollo-urbano
OWN = "licencia-funcionamiento"


def test_liaison_lands_on_configurator_and_sees_own_department_only(app: Flask) -> None:
    web = app.test_client()
    response = post_login(web, LIAISON)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/configurador/")
    home = web.get("/configurador/").get_data(as_text=True)
    assert f"/configurador/{OWN}/" in home
    assert f"/configurador/{OTHER_DEPARTMENT}/" not in home
    assert web.get(f"/configurador/{OWN}/").status_code == 200
    assert web.get(f"/configurador/{OTHER_DEPARTMENT}/").status_code == 404
    assert 'href="/configurador/"' in web.get("/").get_data(as_text=True)  # in the navigation


def test_administrator_sees_every_department(app: Flask) -> None:
    web = login(app.test_client(), "admin@demo.gob.mx")
    home = web.get("/configurador/").get_data(as_text=True)
    assert f"/configurador/{OWN}/" in home and f"/configurador/{OTHER_DEPARTMENT}/" in home
    assert web.get(f"/configurador/{OTHER_DEPARTMENT}/").status_code == 200


def test_citizens_and_officials_get_not_found(app: Flask) -> None:
    for email in ("ciudadano@demo.gob.mx", "funcionario@demo.gob.mx"):
        web = login(app.test_client(), email)
        assert web.get("/configurador/").status_code == 404
        assert web.get(f"/configurador/{OWN}/").status_code == 404
        assert 'href="/configurador/"' not in web.get("/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_log_in(app: Flask) -> None:
    response = app.test_client().get("/configurador/")
    assert response.status_code == 302 and "/entrar" in response.headers["Location"]
