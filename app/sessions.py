"""Who is asking: the browser session (flask-login, with a server-side registry of
sessions) or an API key, both ending in an engine Actor. Who may open which page is
app/guards.py; the login and logout pages are app/accounts/auth.py."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, request, session
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from app.db import read_connection
from workflow_engine.engine import Actor
from workflow_engine.persistence.platform.accounts import Account, Accounts

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Inicie sesión para continuar."
login_manager.localize_callback = _


class SessionUser(UserMixin):
    """The logged-in person; flask-login keeps `id`, the session's random registry id (not
    the account's), in the signed cookie."""

    def __init__(self, account: Account, session_id: str) -> None:
        self.account = account
        self.id = session_id


def accounts() -> Accounts:
    services = current_app.extensions["tramita"]
    return Accounts(services.engine, demo_mode=services.settings.demo_mode)


@login_manager.user_loader
def load_user(session_id: str) -> SessionUser | None:
    """The session's account while its row is in the registry: logout, a password change
    and a deactivation delete the row, so a copy of the cookie opens nothing afterwards."""
    account = accounts().session_account(session_id, conn=read_connection())
    if account is None or not account.is_active:
        return None
    return SessionUser(account, session_id)


def current_account() -> Account | None:
    """The API key's account if the request carries one, else the logged-in user."""
    if "api_account" in g:
        return g.api_account  # type: ignore[no-any-return]
    # A credential that is sent must be valid, even an empty one: never fall back to the
    # browser session behind a wrong API key.
    key = request.headers.get("X-API-Key")
    auth = request.headers.get("Authorization", "")
    if key is None and auth[:7].lower() in ("bearer", "bearer "):
        key = auth[7:].strip()
    elif key is None and "Authorization" in request.headers and request.path.startswith("/api/"):
        key = ""  # another scheme (Basic...): the API knows only keys, so it is a wrong one
    if key is not None:
        g.api_account = accounts().account_for_api_key(key)
        if g.api_account is None:
            abort(401)
        return g.api_account  # type: ignore[no-any-return]
    if current_user.is_authenticated:
        return current_user.account  # type: ignore[no-any-return]
    return None


def current_actor() -> Actor | None:
    account = current_account()
    return account.actor() if account else None


def start_session(account: Account) -> None:
    """Log in with a fresh session (a session id planted before login is worthless); the
    session gets a new id in the server-side registry."""
    session.clear()
    login_user(SessionUser(account, accounts().open_session(account.id)))


def current_session_id() -> str | None:
    """The registry id of the logged-in browser session (None for API keys, anonymous)."""
    if "api_account" not in g and current_user.is_authenticated:
        return str(current_user.id)
    return None


def end_session() -> None:
    """Logout: the registry forgets this session, then the cookie is emptied."""
    session_id = current_session_id()
    if session_id:
        accounts().end_session(session_id)
    logout_user()
    session.clear()


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
