"""Login for browsers (session) and API keys for systems; both end in an engine Actor."""

from __future__ import annotations

import math
import time
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from app.db import read_connection
from workflow_engine.engine import Actor
from workflow_engine.persistence.platform.accounts import Account, Accounts
from workflow_engine.persistence.platform.staff import Staff

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Inicie sesión para continuar."
login_manager.localize_callback = _


class SessionUser(UserMixin):  # type: ignore[misc]
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


def require_verified() -> Account:
    """The logged-in account, if its e-mail address is confirmed (staff always are).

    Anonymous visitors are sent to the login page; unverified citizens to the page that
    explains how to confirm the address (with a "send a new link" button). Call it before
    starting a procedure. API callers get a 401/403 JSON error instead of a redirect."""
    account = current_account()
    api = request.path.startswith("/api/")
    if account is None:
        if api:
            abort(401)
        abort(login_manager.unauthorized())
    if not account.is_verified:
        if api:
            abort(403)
        flash(_("Confirme su correo electrónico para iniciar trámites."))
        abort(redirect(url_for("accounts.verify_notice")))
    return account


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else goes to the catalog.

    Browsers forgive a lot in a URL (they drop tabs and newlines, read a backslash as a
    slash), so only a plain path is kept: it starts with one slash, has no scheme or host,
    and neither it nor its percent-decoded form has a control character, whitespace or a
    backslash or starts with two slashes."""
    home = str(url_for("catalog.home"))
    target = target or ""
    if len(target) > 2000:
        return home
    forms = [target]
    for _round in range(3):  # double-encoded tricks: decode until nothing changes
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    for form in forms:
        if not form.startswith("/") or form.startswith("//") or "\\" in form:
            return home
        if any(ch.isspace() or unicodedata.category(ch)[0] in "CZ" for ch in form):
            return home
    try:
        parts = urlsplit(target)
    except ValueError:
        return home
    if parts.scheme or parts.netloc:
        return home
    return target


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


def _deactivated(email: str, password: str) -> bool:
    """Right password of a deactivated account: say so instead of "wrong password"."""
    services = current_app.extensions["tramita"]
    return Staff(services.engine).deactivated_credentials(
        email, password, demo_mode=services.settings.demo_mode
    )


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


# Waits before a login from an address with many recent failures (tests replace it).
pause = time.sleep


@blueprint.route("/entrar", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        password = request.form.get("password", "")
        ip = request.remote_addr or ""
        store = accounts()
        delay = store.address_delay(ip)
        if delay:
            pause(delay)
        gate = store.reserve_login_attempt(email, ip)
        if gate.wait is not None:
            minutes = max(1, math.ceil(gate.wait / 60))
            error = _(
                "Demasiados intentos fallidos. Por seguridad, espere %(minutes)s minutos "
                "antes de volver a intentarlo, o recupere su contraseña.",
                minutes=minutes,
            )
            page = render_template("login.html", error=error, email=email, locked=True)
            return page, 429, {"Retry-After": str(math.ceil(gate.wait))}
        account = store.authenticate(email, password) if email and password else None
        store.finish_login_attempt(gate, success=account is not None)
        if account is None and email and password and _deactivated(email, password):
            error = _(
                "Su cuenta está desactivada. Si cree que es un error, comuníquese con la "
                "administración del municipio."
            )
            status = 403
        elif account is None:
            error = _("Correo o contraseña incorrectos.")
            status = 400
        else:
            start_session(account)
            flash(_("Sesión iniciada."))
            if not account.is_verified:
                flash(_("Confirme su correo electrónico para iniciar trámites."))
            return redirect(safe_next(request.args.get("next")))
    return render_template("login.html", error=error, email=email, locked=False), status


@blueprint.route("/salir", methods=["POST"])
def logout() -> Any:
    end_session()
    return redirect(url_for("catalog.home"))
