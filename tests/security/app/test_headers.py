"""Security headers on every response: pages, API JSON, errors, static files, PDFs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.security import content_security_policy
from tests.helpers.web import csrf_token
from tests.security.conftest import DEMO_ROLES, Route

CSP = "Content-Security-Policy"
REQUIRED = {
    "X-Frame-Options": {"DENY", "SAMEORIGIN"},
    "X-Content-Type-Options": {"nosniff"},
    "Referrer-Policy": {"strict-origin-when-cross-origin", "no-referrer"},
}


def _directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def _problems(method: str, url: str, response: Any, *, personal: bool) -> list[str]:
    found = []
    headers = response.headers
    for name, allowed in REQUIRED.items():
        if headers.get(name) not in allowed:
            found.append(f"{method} {url} ({response.status_code}): {name}={headers.get(name)}")
    policy = _directives(headers.get("Content-Security-Policy", ""))
    if "frame-ancestors" not in policy:
        found.append(f"{method} {url}: no CSP frame-ancestors")
    if response.mimetype == "text/html":
        for directive, value in (
            ("script-src", ["'self'"]),
            ("object-src", ["'none'"]),
            ("base-uri", ["'self'"]),
            ("frame-ancestors", ["'none'"]),
        ):
            if policy.get(directive) != value:
                found.append(f"{method} {url}: CSP {directive} {policy.get(directive)}")
        if "'unsafe-inline'" in str(policy):
            found.append(f"{method} {url}: CSP allows inline code")
    static = url.startswith("/static/")
    if personal and not static and "no-store" not in headers.get("Cache-Control", ""):
        found.append(f"{method} {url}: a logged-in page without Cache-Control: no-store")
    return found


def _visit(client: FlaskClient, routes: list[Route], *, personal: bool) -> list[str]:
    problems = []
    token = csrf_token(client)
    for route in routes:
        if route.endpoint == "auth.logout":
            continue  # it would end the session half-way; checked last
        for method in sorted(route.methods):
            if method == "GET":
                response = client.get(route.url)
            else:  # answered by CSRF, validation or permission errors: headers all the same
                response = client.open(route.url, method=method, headers={"X-CSRFToken": token})
            response.close()
            problems += _problems(method, route.url, response, personal=personal)
    return problems


@pytest.mark.parametrize("who", ["anonymous", *sorted(DEMO_ROLES)])
def test_every_route_answers_with_the_security_headers(
    security_app: Flask,
    login_as: Callable[[str], FlaskClient],
    routes: list[Route],
    who: str,
) -> None:
    client = security_app.test_client() if who == "anonymous" else login_as(who)
    problems = _visit(client, routes, personal=who != "anonymous")
    for url in ("/no-existe", "/api/v1/no-existe", "/static/no-existe.css"):  # error answers
        response = client.get(url)
        assert response.status_code == 404
        problems += _problems("GET", url, response, personal=who != "anonymous")
    refused = client.delete("/entrar")
    assert refused.status_code == 405
    problems += _problems("DELETE", "/entrar", refused, personal=who != "anonymous")
    bye = client.post("/salir", data={"csrf_token": csrf_token(client)})
    problems += _problems("POST", "/salir", bye, personal=False)
    assert not problems, "\n".join(problems)


def test_static_files_stay_cacheable_and_anonymous_pages_are_not_marked_private(
    security_app: Flask, login_as: Callable[[str], FlaskClient]
) -> None:
    citizen = login_as("citizen")
    css = citizen.get("/static/tramita.css")
    css.close()
    assert "no-store" not in css.headers.get("Cache-Control", "")
    assert "no-store" in citizen.get("/").headers["Cache-Control"]
    assert "no-store" in citizen.get("/api/v1/cases").headers["Cache-Control"]
    assert "no-store" not in security_app.test_client().get("/").headers.get("Cache-Control", "")


def test_hsts_outside_demo_mode_only(seeded_url: str, app_factory: Any) -> None:
    demo = app_factory(seeded_url).test_client().get("/entrar")
    assert "Strict-Transport-Security" not in demo.headers
    production = app_factory(seeded_url, demo_mode=False).test_client()
    for url in ("/entrar", "/api/v1/procedures", "/no-existe"):
        hsts = production.get(url).headers.get("Strict-Transport-Security", "")
        assert hsts.startswith("max-age=31536000"), url


def test_the_payment_gateway_may_receive_the_checkout_form() -> None:
    """The «Pagar en línea» form's 303 goes to the gateway: form-action must allow it."""
    policy = _directives(content_security_policy("https://pagos.example.com/api"))
    assert policy["form-action"] == ["'self'", "https://pagos.example.com"]
    assert _directives(content_security_policy(None))["form-action"] == ["'self'"]


def test_a_configured_map_tile_server_may_serve_images_and_nothing_else_changes(
    seeded_url: str, app_factory: Any
) -> None:
    """With MAP_TILE_URL the geo_point map's tiles load: img-src gains exactly that origin."""
    plain = _directives(app_factory(seeded_url).test_client().get("/entrar").headers[CSP])
    assert plain["img-src"] == ["'self'", "data:"]
    tiles = "https://tiles.example:8443/osm/{z}/{x}/{y}.png"
    web = app_factory(seeded_url, map_tile_url=tiles).test_client()
    for url in ("/entrar", "/api/v1/procedures", "/no-existe"):
        policy = _directives(web.get(url).headers[CSP])
        assert policy["img-src"] == ["'self'", "data:", "https://tiles.example:8443"], url
        assert {k: v for k, v in policy.items() if k != "img-src"} == {
            k: v for k, v in plain.items() if k != "img-src"
        }, url
