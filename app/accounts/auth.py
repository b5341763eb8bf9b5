"""The login and logout pages (who is asking is app/sessions.py)."""

from __future__ import annotations

import math
import time
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from app.accounts.forms import login_form
from app.guards import is_configurator, is_official
from app.sessions import accounts, end_session, start_session
from workflow_engine.persistence.platform.accounts import Account
from workflow_engine.persistence.platform.staff import Staff

blueprint = Blueprint("auth", __name__)


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


def _landing(account: Account, target: str | None) -> str:
    """Where to go after login: the page asked for, else officials' inbox, liaisons'
    configurator, else the catalog."""
    if target:
        return safe_next(target)
    if is_official(account):
        return str(url_for("inbox.inbox_page"))
    if account.role == "liaison" and is_configurator(account):
        return str(url_for("configurator.procedure_list"))
    return safe_next(None)


def _deactivated(email: str, password: str) -> bool:
    """Right password of a deactivated account: say so instead of "wrong password"."""
    services = current_app.extensions["tramita"]
    return Staff(services.engine).deactivated_credentials(
        email, password, demo_mode=services.settings.demo_mode
    )


# Waits before a login from an address with many recent failures (tests replace it).
pause = time.sleep


@blueprint.route("/entrar", methods=["GET", "POST"])
def login() -> Any:
    error = None
    status = 200
    email = ""
    if request.method == "POST":
        email, password = login_form(request.form)
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
            return redirect(_landing(account, request.args.get("next")))
    return render_template("login.html", error=error, email=email, locked=False), status


@blueprint.route("/salir", methods=["POST"])
def logout() -> Any:
    end_session()
    return redirect(url_for("catalog.home"))
