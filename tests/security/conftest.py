"""Abuse-suite fixtures: the demo municipality on both databases, a logged-in client per
demo role, and every route of the app's url_map, so a route added tomorrow is attacked by
default (or listed here, with the reason, as public by design)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.helpers.web import csrf_token, login

# One demo account per kind of person (README, "Demo accounts").
DEMO_ROLES = {
    "citizen": "ciudadano@demo.gob.mx",
    "official": "funcionario@demo.gob.mx",
    "liaison": "enlace@demo.gob.mx",
    "treasury": "tesoreria@demo.gob.mx",
    "admin": "admin@demo.gob.mx",
}

# Endpoints anyone may use without logging in, and why. Every other endpoint must send an
# anonymous visitor (and an ended session) to the login page, or answer 401.
PUBLIC_ROUTES = {
    "static": "the design system's CSS and JavaScript",
    "theme.theme_css": "the municipality's colours (a stylesheet)",
    "theme.logo": "the municipality's logo",
    "catalog.home": "the catalog of procedures is public information",
    "catalog.procedure": "a procedure's official information is public",
    "transparency.page": "public aggregates (none from fewer than 5 cases)",
    "transparency.catalog_json": "the catalog of procedures as open data",
    "transparency.catalog_csv": "the catalog of procedures as open data",
    "auth.login": "the login page itself",
    "auth.logout": "logging out needs no session (it ends one if there is one)",
    "accounts.register": "creating an account",
    "accounts.forgot": "asking for a password reset link",
    "accounts.reset": "the e-mailed reset link (its token is the credential)",
    "accounts.verify": "the e-mailed verification link (its token is the credential)",
    "staff_invitation.accept": "the e-mailed invitation (its token is the credential)",
    "verify.start": "anyone checks an issued document",
    "verify.document": "anyone checks an issued document (the QR code's target)",
    "verify.upload": "anyone compares a PDF with the issued one",
    "wizard.catalog_suggestions": "type-ahead over the municipality's published reference "
    "catalogs (SCIAN lines, colonias)",
    "api.get_openapi": "the API's public description",
    "api.list_procedures": "published procedures are public information",
    "api.get_procedure": "published procedures are public information",
    "api.get_procedure_version": "published procedures are public information",
    "payments.webhook": "the payment gateway's webhook: authenticated by its HMAC signature",
    "observability_probes.healthz": "load balancers' liveness probe: says only 'ok'",
    "observability_probes.readyz": "load balancers' readiness probe: names failing parts, no data",
    "observability_metrics.metrics": "Prometheus scrape: aggregates only, METRICS_TOKEN to lock",
}

# Endpoints that answer 404 to anyone not allowed (as if they did not exist) instead of
# asking for a login, and why.
HIDDEN_ROUTES = {
    "verify.revoke": "administrators revoke from the public verification page; to anyone "
    "else the action does not exist",
}

# Routes that change state without the CSRF token of a form, and why.
CSRF_EXEMPT = {
    "payments.webhook": "a server-to-server call, authenticated by its HMAC signature",
}

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Route:
    """One URL rule with sample values in its placeholders."""

    endpoint: str
    rule: str
    methods: frozenset[str]
    url: str

    @property
    def public(self) -> bool:
        return self.endpoint in PUBLIC_ROUTES

    @property
    def api(self) -> bool:
        return self.rule.startswith("/api/")

    def __str__(self) -> str:
        return f"{self.endpoint} {self.rule}"


def sample_values(folio: str, procedure_key: str) -> dict[str, Any]:
    """A value for every placeholder name of the url_map (a new name fails loudly)."""
    return {
        "folio": folio,
        "key": procedure_key,
        "step_id": "solicitante",
        "field_id": "doc_identificacion",
        "file_id": "f" * 32,
        "task_key": "revision",
        "token": "t" * 43,
        "public_id": "f" * 32,
        "code": "ABCD-EFGH-JKMN",
        "gateway_name": "sandbox",
        "filename": "tramita.css",
        "user_id": 1,
        "task_id": 1,
        "document_id": 1,
        "notification_id": 1,
        "taxpayer_id": 1,
        "payment_id": 1,
        "number": 1,
        "request_id": 1,
        "name": "scian",
        "line_id": "derecho_giro",
        "export_id": 1,
    }


def app_routes(app: Flask, values: dict[str, Any]) -> list[Route]:
    """Every rule of the app with concrete URLs (HEAD and OPTIONS left out)."""
    routes = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            missing = set(rule.arguments) - set(values)
            assert not missing, f"{rule.rule}: give sample values for {sorted(missing)}"
            url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments}, method=None)
            methods = frozenset((rule.methods or set()) - {"HEAD", "OPTIONS"})
            routes.append(Route(rule.endpoint, rule.rule, methods, url))
    return sorted(routes, key=lambda r: (r.rule, sorted(r.methods)))


def refuses_anonymous(route: Route, response: Any) -> bool:
    """The answer a visitor without a (live) session gets from a non-public route."""
    if route.endpoint in HIDDEN_ROUTES:
        return response.status_code == 404
    return is_login_redirect(response) or response.status_code == 401


def is_login_redirect(response: Any) -> bool:
    return response.status_code in (301, 302, 303) and response.headers.get(
        "Location", ""
    ).startswith("/entrar")


@pytest.fixture
def security_app(seeded_url: str, app_factory: Any) -> Flask:
    """The whole application over the demo municipality."""
    app: Flask = app_factory(seeded_url)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def login_as(security_app: Flask) -> Callable[[str], FlaskClient]:
    """login_as("citizen") -> a new client logged in as that demo role (DEMO_ROLES)."""

    def make(role: str) -> FlaskClient:
        return login(security_app.test_client(), DEMO_ROLES[role])

    return make


@pytest.fixture
def sample_case(login_as: Callable[[str], FlaskClient]) -> tuple[str, str]:
    """(folio, procedure key) of a draft case of the demo citizen, started through the API."""
    client = login_as("citizen")
    procedures = client.get("/api/v1/procedures").get_json()["procedures"]
    key = procedures[0]["key"]
    started = client.post(
        "/api/v1/cases", json={"procedure": key}, headers={"X-CSRFToken": csrf_token(client)}
    )
    assert started.status_code == 201, started.get_data(as_text=True)
    return str(started.get_json()["folio"]), str(key)


@pytest.fixture
def routes(security_app: Flask, sample_case: tuple[str, str]) -> list[Route]:
    """Every route of the app, with the demo citizen's case in `<folio>`."""
    return app_routes(security_app, sample_values(*sample_case))
