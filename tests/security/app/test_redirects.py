"""No answer sends the browser off-site, whatever `next` (or any parameter) says."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts.auth import safe_next
from tests.helpers.web import csrf_token
from tests.security.conftest import DEMO_ROLES, Route

# Targets that a browser turns into another site, or that broke the response (raw, as the
# query string carries them; quote() encodes them once more).
OFF_SITE = [
    "//evil.example/",
    "///evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\nSet-Cookie:x=1",
    "/%09/evil.example/",
    "/%0d%0aSet-Cookie:x=1",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/%5Cevil.example/",
    "/%2F/evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    " //evil.example/",
    "/\u3000/evil.example/",
    "/\u200b/evil.example/",
    "%2F%2Fevil.example/",
    "/%252F%252Fevil.example/",
]
LOCAL = ["/", "/mis-tramites", "/expedientes/CHO-2026-7K4M9P?paso=2", "/tramites/año/informacion"]


def leaves_site(location: str) -> bool:
    """Where a browser goes with this Location, after it dropped tabs and newlines and
    read backslashes as slashes (the WHATWG URL parser)."""
    cleaned = "".join(ch for ch in location if ch not in "\t\r\n").replace("\\", "/")
    target = urlsplit(urljoin("http://tramites.local/base/", cleaned.strip()))
    return target.scheme not in ("http", "https") or target.netloc != "tramites.local"


@pytest.fixture
def plain_app(sqlite_url: str, app_factory: Any) -> Flask:
    """The app without data: enough for url_for."""
    app: Flask = app_factory(sqlite_url)
    return app


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_every_off_site_form(plain_app: Flask, target: str) -> None:
    with plain_app.test_request_context():
        assert safe_next(target) == "/"


@pytest.mark.parametrize("target", LOCAL)
def test_safe_next_keeps_local_paths(plain_app: Flask, target: str) -> None:
    with plain_app.test_request_context():
        assert safe_next(target) == target


def test_login_with_an_off_site_next_goes_home_never_elsewhere_never_500(
    security_app: Flask,
) -> None:
    for target in OFF_SITE:
        client = security_app.test_client()
        response = client.post(
            f"/entrar?next={quote(target, safe='')}",
            data={
                "email": DEMO_ROLES["citizen"],
                "password": "demo12345",
                "csrf_token": csrf_token(client, "/entrar"),
            },
        )
        assert response.status_code == 302, (target, response.status_code)
        assert response.headers["Location"] == "/", target


def _with_next(url: str, target: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}next={quote(target, safe='')}"


@pytest.mark.parametrize("who", ["anonymous", "citizen", "admin"])
def test_no_route_redirects_off_site(
    security_app: Flask,
    login_as: Callable[[str], FlaskClient],
    routes: list[Route],
    who: str,
) -> None:
    client = security_app.test_client() if who == "anonymous" else login_as(who)
    token = csrf_token(client)
    problems = []
    for route in routes:
        if route.endpoint == "auth.logout":
            continue
        for method in sorted(route.methods):
            for target in ("//evil.example/", "/%09/evil.example/", "https://evil.example/"):
                url = _with_next(route.url, target)
                if method == "GET":
                    response: Any = client.get(url)
                else:
                    data = {"csrf_token": token, "next": target}
                    response = client.open(url, method=method, data=data)
                response.close()
                location = response.headers.get("Location")
                if response.status_code >= 500:
                    problems.append(f"{method} {url}: {response.status_code}")
                elif location and leaves_site(location):
                    problems.append(f"{method} {url}: Location {location}")
    assert not problems, "\n".join(problems)
