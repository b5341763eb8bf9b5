"""Citizen accounts: register, verify the e-mail address, reset the password, profile.

E-mails go through the outbox (`enqueue_email`, then the dispatcher), so a mail server that
is down delays them but loses none. Without SMTP in demo mode the pages show the link the
e-mail would have carried, so `make run` works without a mail server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.forms import (
    PROFILE_IDS,
    check_new_password,
    forgot_form,
    profile_form,
    profile_shown,
    registration_form,
)
from app.formatting import reader_language
from app.guards import login_required
from app.sessions import accounts, current_account, start_session
from workflow_engine.mail import render_account_mail
from workflow_engine.persistence.cases.mailbox import enqueue_email
from workflow_engine.persistence.platform.accounts import (
    RESET_PASSWORD,
    RESET_TTL,
    VERIFY_EMAIL,
    VERIFY_TTL,
    Account,
    EmailTakenError,
    normalize_email,
)

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("accounts", __name__)


@blueprint.after_request
def _private(response: Response) -> Response:
    """Pages of e-mailed links: the token must not leak through Referer or a cache."""
    if request.endpoint in ("accounts.verify", "accounts.reset"):
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
    return response


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _demo_links() -> bool:
    """Show e-mailed links on the page: only in demo mode without a mail server."""
    settings = _services().settings
    return bool(settings.demo_mode and not settings.smtp_host)


def _url(path: str) -> str:
    return str(_services().settings.base_url).rstrip("/") + path


def _send(kind: str, *, to: str, link: str, key: str) -> None:
    """Queue the account e-mail `kind` (workflow_engine.mail) in the reader's language."""
    services = _services()
    lang = reader_language()
    message = render_account_mail(kind, {"link": link}, lang)
    message_id = enqueue_email(
        services.engine, to=to, subject=message.subject, text=message.body, key=key, lang=lang
    )
    services.cases.dispatch([message_id])


def _send_verification(account: Account) -> str:
    issued = accounts().issue_token(account.id, VERIFY_EMAIL, VERIFY_TTL)
    link = _url(url_for("accounts.verify", token=issued.token))
    _send("email_verification", to=account.email, link=link, key=f"account:verify:{issued.id}")
    return link


@blueprint.route("/registro", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    values = {"name": "", "email": ""}
    if request.method == "POST":
        values, errors, password = registration_form(request.form)
        if not errors:
            return _registered(values["name"], normalize_email(values["email"]), password)
    return render_template("accounts/register.html", errors=errors, values=values), (
        400 if errors else 200
    )


def _registered(name: str, email: str, password: str) -> ResponseReturnValue:
    """The same page whether or not the address had an account: nobody learns which."""
    store = accounts()
    demo_link = None
    try:
        account = store.create(
            email, password, role="citizen", name=name, language=reader_language()
        )
    except EmailTakenError:
        existing = store.by_email(email)
        if existing is not None and existing.is_active:
            # One warning an hour at most: the outbox key repeats within the hour.
            hour = store.clock().strftime("%Y%m%d%H")
            link = _url(url_for("accounts.forgot"))
            key = f"account:exists:{existing.id}:{hour}"
            _send("account_exists", to=existing.email, link=link, key=key)
            demo_link = link if _demo_links() else None
    else:
        link = _send_verification(account)
        demo_link = link if _demo_links() else None
    return render_template("accounts/check_email.html", email=email, demo_link=demo_link)


@blueprint.route("/verificar-correo/<token>")
def verify(token: str) -> ResponseReturnValue:
    store = accounts()
    result = store.verify_email(token)
    if result.ok:
        return render_template("accounts/verified.html")
    account = store.get(result.user_id) if result.user_id is not None else None
    if result.status == "used" and account is not None and account.is_verified:
        return render_template("accounts/verified.html", already=True)
    status = 404 if result.status == "unknown" else 410
    return render_template("accounts/link_invalid.html", reason=result.status, purpose="verify"), (
        status
    )


@blueprint.route("/verificar-correo", methods=["GET", "POST"])
@login_required
def verify_notice() -> ResponseReturnValue:
    account = current_account()
    assert account is not None
    demo_link = None
    status = 200
    if request.method == "POST" and not account.is_verified:
        if accounts().may_send_token(account.id, VERIFY_EMAIL):
            link = _send_verification(account)
            demo_link = link if _demo_links() else None
            flash(_("Le enviamos un nuevo enlace a %(email)s.", email=account.email))
        else:
            flash(
                _(
                    "Ya le enviamos un enlace hace poco. Espere unos minutos y revise también "
                    "su carpeta de correo no deseado."
                )
            )
            status = 429
    return render_template(
        "accounts/verify_notice.html", account=account, demo_link=demo_link
    ), status


@blueprint.route("/recuperar", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    email = ""
    if request.method == "POST":
        email, wrong = forgot_form(request.form)
        if wrong:
            errors["email"] = wrong
        else:
            demo_link = _send_reset(normalize_email(email))
            return render_template(
                "accounts/check_email.html", email=email, demo_link=demo_link, reset=True
            )
    return render_template("accounts/forgot.html", errors=errors, email=email), (
        400 if errors else 200
    )


def _send_reset(email: str) -> str | None:
    store = accounts()
    account = store.by_email(email)
    if account is None or not account.is_active:
        return None
    if not store.may_send_token(account.id, RESET_PASSWORD):
        return None
    issued = store.issue_token(account.id, RESET_PASSWORD, RESET_TTL)
    link = _url(url_for("accounts.reset", token=issued.token))
    _send("password_reset", to=account.email, link=link, key=f"account:reset:{issued.id}")
    return link if _demo_links() else None


@blueprint.route("/restablecer/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    store = accounts()
    check = store.check_token(token, RESET_PASSWORD)
    account = store.get(check.user_id) if check.ok and check.user_id is not None else None
    if account is None or not account.is_active:
        reason = check.status if not check.ok else "unknown"
        status = 404 if reason == "unknown" else 410
        return render_template("accounts/link_invalid.html", reason=reason, purpose="reset"), (
            status
        )
    errors: dict[str, str] = {}
    if request.method == "POST":
        password = check_new_password(request.form, account.email, errors)
        if not errors:
            result = store.reset_password(token, password)
            if not result.ok:  # used by a concurrent request a moment ago
                return render_template(
                    "accounts/link_invalid.html", reason=result.status, purpose="reset"
                ), 410
            fresh = store.get(account.id)
            if fresh is not None and fresh.is_active:
                start_session(fresh)
                flash(
                    _(
                        "Su contraseña se cambió y ya inició sesión. Cerramos todas las demás "
                        "sesiones abiertas con su cuenta, en cualquier dispositivo."
                    )
                )
                return redirect(url_for("catalog.home"))
            flash(
                _(
                    "Su contraseña se cambió y cerramos todas las sesiones abiertas con su "
                    "cuenta. Entre con la nueva contraseña."
                )
            )
            return redirect(url_for("auth.login"))
    return render_template("accounts/reset.html", errors=errors, token=token), (
        400 if errors else 200
    )


@blueprint.route("/perfil", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    store = accounts()
    user_id = int(current_user.account.id)
    errors: dict[str, str] = {}
    data = store.profile(user_id)
    if request.method == "POST":
        posted, cleaned, errors = profile_form(request.form)
        if not errors:
            store.update_profile(user_id, cleaned)
            flash(_("Se guardaron sus datos."))
            return redirect(url_for("accounts.profile"))
        data = profile_shown(posted, data["email"])
    return render_template(
        "accounts/profile.html",
        errors=errors,
        data=data,
        ids=PROFILE_IDS,
        account=current_user.account,
    ), (400 if errors else 200)
