"""Every route that changes state refuses a request without the CSRF token, before its
view runs (so nothing changes), unless it is listed in CSRF_EXEMPT with the reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFError

from tests.security.conftest import CSRF_EXEMPT, DEMO_ROLES, UNSAFE_METHODS, Route


@pytest.fixture
def csrf_refusals(security_app: Flask) -> list[str]:
    """The paths whose request the CSRF check refused (recorded before any request)."""
    refused: list[str] = []

    def record(error: CSRFError) -> Any:
        from flask import request

        refused.append(request.path)
        return "csrf", 400

    security_app.register_error_handler(CSRFError, record)
    return refused


@pytest.mark.parametrize("who", ["anonymous", *sorted(DEMO_ROLES)])
def test_every_state_changing_route_needs_the_csrf_token(
    csrf_refusals: list[str],
    security_app: Flask,
    login_as: Callable[[str], FlaskClient],
    routes: list[Route],
    who: str,
) -> None:
    client = security_app.test_client() if who == "anonymous" else login_as(who)
    problems = []
    for route in routes:
        if route.endpoint in CSRF_EXEMPT:
            continue
        for method in sorted(route.methods & UNSAFE_METHODS):
            if route.api:
                response = client.open(route.url, method=method, json={})
                code = (response.get_json(silent=True) or {}).get("error", {}).get("code")
                expected = "unauthorized" if who == "anonymous" else "csrf_failed"
                if code != expected:
                    problems.append(f"{method} {route.url}: {response.status_code} {code}")
                continue
            before = len(csrf_refusals)
            response = client.open(route.url, method=method, data={"anything": "x"})
            if response.status_code != 400 or len(csrf_refusals) != before + 1:
                problems.append(f"{method} {route.url}: {response.status_code}, not refused")
    assert not problems, "\n".join(problems)
    with client.session_transaction() as session:
        assert who == "anonymous" or session.get("_user_id"), "still logged in: nothing ran"
