"""Login for browsers (session) and API keys for systems; both end in an engine Actor."""

from __future__ import annotations

from typing import Any

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
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from workflow_engine.engine import Actor
from workflow_engine.persistence.accounts import Account, Accounts

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Inicie sesión para continuar."


class SessionUser(UserMixin):  # type: ignore[misc]
    def __init__(self, account: Account) -> None:
        self.account = account
        self.id = str(account.id)


def accounts() -> Accounts:
    services = current_app.extensions["tramita"]
    return Accounts(services.engine, demo_mode=services.settings.demo_mode)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    if not user_id.isdigit():
        return None
    account = accounts().get(int(user_id))
    if account is None or not account.is_active:
        return None
    return SessionUser(account)


def current_account() -> Account | None:
    """The API key's account if the request carries one, else the logged-in user."""
    if "api_account" in g:
        return g.api_account  # type: ignore[no-any-return]
    key = request.headers.get("X-API-Key")
    auth = request.headers.get("Authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    if key:
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


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


@blueprint.route("/entrar", methods=["GET", "POST"])
def login() -> Any:
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")
        account = accounts().authenticate(email, request.form.get("password", ""))
        if account is None:
            error = "Correo o contraseña incorrectos."
        else:
            login_user(SessionUser(account))
            flash("Sesión iniciada.")
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("catalog.home")
            return redirect(target)
    return render_template("login.html", error=error, email=email), (400 if error else 200)


@blueprint.route("/salir", methods=["POST"])
def logout() -> Any:
    logout_user()
    return redirect(url_for("catalog.home"))
