"""Using the app as a browser does, through Flask's test client: CSRF tokens, logging in,
the accounts that do."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from workflow_engine.persistence.platform.accounts import DEMO_PASSWORD, Account, Accounts

_FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token a page carries: its first form's hidden field, else base.html's meta tag
    (the one scripts send as X-CSRFToken)."""
    match = _FORM_TOKEN.search(html) or _META_TOKEN.search(html)
    assert match, f"no CSRF token on the page: {html[:500]}"
    return match.group(1)


def csrf_token(client: FlaskClient, path: str = "/") -> str:
    """The token the page at `path` gives its forms."""
    return csrf_from(client.get(path).get_data(as_text=True))


def post_login(client: FlaskClient, email: str, password: str = DEMO_PASSWORD) -> TestResponse:
    """Post the real login form once; the answer as it comes (302 when it worked)."""
    data = {"email": email, "password": password, "csrf_token": csrf_token(client, "/entrar")}
    return client.post("/entrar", data=data)


def login(client: FlaskClient, email: str, password: str = DEMO_PASSWORD) -> FlaskClient:
    """Log in through the real login form; the client keeps the session cookie."""
    response = post_login(client, email, password)
    assert response.status_code == 302, (
        f"login as {email}: {response.status_code} {response.get_data(as_text=True)[:400]}"
    )
    return client


def forge_login(client: FlaskClient, user_id: int) -> FlaskClient:
    """Put a live session of the account in the client's cookie without the login form
    (what /entrar stores after checking the password)."""
    app: Any = client.application
    session_id = Accounts(app.extensions["tramita"].engine).open_session(user_id)
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def account(app: Flask, email: str) -> Account:
    """The app's account with this e-mail (it must exist)."""
    found = Accounts(app.extensions["tramita"].engine, demo_mode=True).by_email(email)
    assert found is not None, f"no account {email}"
    return found
