"""Staff administration pages: departments, users (invite, edit, deactivate), the audit log,
and the invitation link where a new staff member chooses a password.

Only translates HTTP: every rule and every audit row lives in
`workflow_engine.persistence.platform.staff`. Like /admin/outbox, /admin/* answers 401 to anonymous
visitors and 404 to anyone but an administrator (nobody learns what is there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from app.admin import forms
from app.formatting import format_moment, reader_language
from app.guards import guard_blueprint, require_admin
from app.sessions import accounts, current_account, start_session
from workflow_engine.persistence.cases.casework import release_tasks_of
from workflow_engine.persistence.platform.staff import (
    KNOWN_TAGS,
    ROLES,
    STAFF_ROLES,
    STATUSES,
    ActingAdmin,
    Staff,
    StaffError,
    StaffUser,
)

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("staff_admin", __name__, url_prefix="/admin")
invitations = Blueprint("staff_invitation", __name__)
PER_PAGE = 50
DEMO_LINK_KEY = "_staff_demo_link"


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _staff() -> Staff:
    return Staff(_services().engine)


def _by() -> ActingAdmin:
    account = current_account()
    assert account is not None
    return ActingAdmin(account.id, request.remote_addr or "")


guard_blueprint(blueprint, require_admin)


@blueprint.after_request
@invitations.after_request
def _private(response: Response) -> Response:
    """Staff data and invitation tokens must not stay in caches or leak through Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def role_label(role: str) -> str:
    return {
        "admin": _("Administración"),
        "liaison": _("Enlace"),
        "official": _("Funcionario"),
        "citizen": _("Ciudadano"),
    }.get(role, role)


def status_label(status: str) -> str:
    return {
        "active": _("Activa"),
        "invited": _("Invitación pendiente"),
        "inactive": _("Desactivada"),
    }.get(status, status)


def action_label(action: str) -> str:
    return {
        "department.created": _("Creó una dependencia"),
        "department.renamed": _("Cambió el nombre de una dependencia"),
        "user.invited": _("Invitó a una persona"),
        "user.admin_created": _("Creó una cuenta de administración desde el servidor"),
        "user.invitation_resent": _("Reenvió una invitación"),
        "user.invitation_accepted": _("Aceptó su invitación"),
        "user.updated": _("Cambió una cuenta"),
        "user.deactivated": _("Desactivó una cuenta"),
        "user.reactivated": _("Reactivó una cuenta"),
        "document.revoked": _("Revocó un documento"),
        "taxpayer_account.viewed": _("Consultó la cuenta fiscal de un contribuyente"),
    }.get(action, action)


def field_label(field: str) -> str:
    return {
        "name": _("Nombre"),
        "position": _("Cargo"),
        "role": _("Rol"),
        "department": _("Dependencia"),
        "role_tags": _("Roles del funcionario"),
        "email": _("Correo electrónico"),
        "name_es": _("Nombre en español"),
        "name_en": _("Nombre en inglés"),
    }.get(field, field)


def _errors(exc: StaffError) -> dict[str, str]:
    """Form field -> message in the page's language ('form' for the whole form)."""
    errors: dict[str, str] = {}
    for problem in exc.problems:
        errors.setdefault(problem.field or "form", problem.message(reader_language()))
    return errors


def _page_context() -> dict[str, Any]:
    departments = _staff().departments()
    lang = reader_language()
    return {
        "departments": departments,
        "department_names": {d.key: d.name(lang) for d in departments},
        "role_label": role_label,
        "status_label": status_label,
        "known_tags": KNOWN_TAGS,
        "moment": lambda value: format_moment(value, lang),
    }


def _link_for(token: str) -> str:
    base = str(_services().settings.base_url).rstrip("/")
    return base + url_for("staff_invitation.accept", token=token)


def _dispatch(outbox_id: int) -> None:
    _services().cases.dispatch([outbox_id])


def _remember_demo_link(link: str) -> None:
    """Demo mode without a mail server: show the link the e-mail carries (like /registro)."""
    settings = _services().settings
    if settings.demo_mode and not settings.smtp_host:
        session[DEMO_LINK_KEY] = link


def _int_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


# -- users ------------------------------------------------------------------------------------


@blueprint.route("/usuarios")
def users() -> ResponseReturnValue:
    filters = {
        "q": request.args.get("q", "")[:200],
        "rol": request.args.get("rol", "staff"),
        "dependencia": request.args.get("dependencia", "")[:64],
        "estado": request.args.get("estado", ""),
    }
    if filters["rol"] not in (*ROLES, "staff", "all"):
        filters["rol"] = "staff"
    if filters["estado"] not in STATUSES:
        filters["estado"] = ""
    result = _staff().users(
        q=filters["q"],
        role=filters["rol"],
        department=filters["dependencia"],
        status=filters["estado"],
        page=_int_arg("pagina") or 1,
        per_page=PER_PAGE,
    )
    return render_template(
        "staff_admin/users.html",
        result=result,
        filters=filters,
        roles=ROLES,
        statuses=STATUSES,
        **_page_context(),
    )


@blueprint.route("/usuarios/invitar", methods=["GET", "POST"])
def invite() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "email": "",
        "name": "",
        "role": "official",
        "department": "",
        "role_tags": [],
        "other_tags": "",
        "language": "es",
    }
    if request.method == "POST":
        values = forms.invite_form(request.form)
        try:
            invitation = _staff().invite(
                _by(),
                email=values["email"],
                name=values["name"],
                role=values["role"],
                department_key=values["department"] or None,
                role_tags=forms.role_tags(request.form),
                link_for=_link_for,
                municipality=_services().settings.municipality_name,
                language=values["language"],
            )
        except StaffError as exc:
            errors = _errors(exc)
        else:
            _dispatch(invitation.outbox_id)
            _remember_demo_link(invitation.link)
            flash(_("Enviamos la invitación a %(email)s.", email=values["email"].lower()))
            return redirect(url_for("staff_admin.user", user_id=invitation.user_id))
    return render_template(
        "staff_admin/invite.html",
        errors=errors,
        values=values,
        roles=STAFF_ROLES,
        **_page_context(),
    ), (400 if errors else 200)


def _user_or_404(user_id: int) -> StaffUser:
    found = _staff().user(user_id)
    if found is None:
        abort(404)
    return found


@blueprint.route("/usuarios/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> ResponseReturnValue:
    target = _user_or_404(user_id)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name": target.name,
        "position": target.position,
        "role": target.role,
        "department": target.department_key or "",
        "role_tags": [t for t in target.role_tags if t in KNOWN_TAGS],
        "other_tags": " ".join(t for t in target.role_tags if t not in KNOWN_TAGS),
    }
    if request.method == "POST":
        values = forms.user_form(request.form)
        try:
            changes = _staff().update_user(
                _by(),
                user_id,
                name=values["name"],
                position=values["position"],
                role=values["role"],
                department_key=values["department"] or None,
                role_tags=forms.role_tags(request.form),
            )
        except StaffError as exc:
            errors = _errors(exc)
        else:
            flash(_("Se guardaron los cambios.") if changes else _("No había nada que cambiar."))
            return redirect(url_for("staff_admin.user", user_id=user_id))
    history = _staff().audit_entries(limit=10, target_type="user", target_id=str(user_id))
    return render_template(
        "staff_admin/user.html",
        target=target,
        errors=errors,
        values=values,
        roles=ROLES,
        history=history.entries,
        action_label=action_label,
        demo_link=session.pop(DEMO_LINK_KEY, None),
        is_self=target.id == _by().user_id,
        **_page_context(),
    ), (400 if errors else 200)


def _state_change(user_id: int, change: str) -> ResponseReturnValue:
    _user_or_404(user_id)
    staff = _staff()
    try:
        if change == "deactivate":
            done = staff.deactivate(_by(), user_id)
            flash(
                _("La cuenta quedó desactivada.") if done else _("La cuenta ya estaba desactivada.")
            )
            released = release_tasks_of(_services().cases, str(user_id))
            if released:
                flash(
                    ngettext(
                        "Su tarea tomada volvió a la bandeja del área.",
                        "Sus %(num)s tareas tomadas volvieron a la bandeja del área.",
                        released,
                    )
                )
        elif change == "reactivate":
            done = staff.reactivate(_by(), user_id)
            flash(_("La cuenta quedó activa.") if done else _("La cuenta ya estaba activa."))
        else:
            invitation = staff.resend_invitation(
                _by(),
                user_id,
                link_for=_link_for,
                municipality=_services().settings.municipality_name,
            )
            _dispatch(invitation.outbox_id)
            _remember_demo_link(invitation.link)
            flash(_("Enviamos una nueva invitación; el enlace anterior ya no sirve."))
    except StaffError as exc:
        flash(exc.problems[0].message(reader_language()))
    return redirect(url_for("staff_admin.user", user_id=user_id), 303)


@blueprint.route("/usuarios/<int:user_id>/desactivar", methods=["POST"])
def deactivate(user_id: int) -> ResponseReturnValue:
    return _state_change(user_id, "deactivate")


@blueprint.route("/usuarios/<int:user_id>/reactivar", methods=["POST"])
def reactivate(user_id: int) -> ResponseReturnValue:
    return _state_change(user_id, "reactivate")


@blueprint.route("/usuarios/<int:user_id>/reenviar-invitacion", methods=["POST"])
def resend(user_id: int) -> ResponseReturnValue:
    return _state_change(user_id, "resend")


# -- departments ------------------------------------------------------------------------------


@blueprint.route("/dependencias", methods=["GET", "POST"])
def departments() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    values = {"key": "", "name_es": "", "name_en": ""}
    if request.method == "POST":
        values = forms.department_form(request.form, tuple(values))
        try:
            created = _staff().create_department(
                _by(), key=values["key"], name_es=values["name_es"], name_en=values["name_en"]
            )
        except StaffError as exc:
            errors = _errors(exc)
        else:
            flash(_("Se creó la dependencia %(name)s.", name=created.name(reader_language())))
            return redirect(url_for("staff_admin.departments"))
    return render_template(
        "staff_admin/departments.html", errors=errors, values=values, **_page_context()
    ), (400 if errors else 200)


@blueprint.route("/dependencias/<key>", methods=["GET", "POST"])
def department(key: str) -> ResponseReturnValue:
    found = _staff().department(key)
    if found is None:
        abort(404)
    errors: dict[str, str] = {}
    values = {"name_es": found.name_es, "name_en": found.name_en}
    if request.method == "POST":
        values = forms.department_form(request.form, tuple(values))
        try:
            changed = _staff().rename_department(
                _by(), key, name_es=values["name_es"], name_en=values["name_en"]
            )
        except StaffError as exc:
            errors = _errors(exc)
        else:
            flash(_("Se guardaron los cambios.") if changed else _("No había nada que cambiar."))
            return redirect(url_for("staff_admin.departments"))
    return render_template(
        "staff_admin/department.html",
        department=found,
        errors=errors,
        values=values,
        **_page_context(),
    ), (400 if errors else 200)


# -- audit log --------------------------------------------------------------------------------


@blueprint.route("/auditoria")
def audit() -> ResponseReturnValue:
    user_id = _int_arg("usuario")
    target = _staff().user(user_id) if user_id else None
    page = _staff().audit_entries(
        before=_int_arg("antes"),
        limit=PER_PAGE,
        target_type="user" if user_id else None,
        target_id=str(user_id) if user_id else None,
    )
    return render_template(
        "staff_admin/audit.html",
        page=page,
        target=target,
        user_id=user_id,
        action_label=action_label,
        field_label=field_label,
        first_page=_int_arg("antes") is None,
        **_page_context(),
    )


# -- accepting an invitation ------------------------------------------------------------------


@invitations.route("/invitacion/<token>", methods=["GET", "POST"])
def accept(token: str) -> ResponseReturnValue:
    staff = _staff()
    check = staff.check_invitation(token)
    if not check.ok or check.user is None:
        status = 404 if check.status == "unknown" else 410
        return render_template("staff_admin/invitation_invalid.html", reason=check.status), status
    errors: dict[str, str] = {}
    name = check.user.name
    if request.method == "POST":
        posted = forms.invitation_form(request.form)
        name = posted["name"]
        try:
            result = staff.accept_invitation(
                token,
                name=name,
                password=posted["password"],
                password_confirm=posted["password_confirm"],
                ip=request.remote_addr or "",
            )
        except StaffError as exc:
            errors = _errors(exc)
        else:
            if not result.ok:  # used by a concurrent request a moment ago
                return render_template(
                    "staff_admin/invitation_invalid.html", reason=result.status
                ), 410
            account = accounts().get(check.user.id)
            if account is not None and account.is_active:
                start_session(account)
            flash(_("Su cuenta quedó activa y ya inició sesión."))
            return redirect(url_for("catalog.home"))
    return render_template(
        "staff_admin/accept.html",
        errors=errors,
        name=name,
        invited=check.user,
        token=token,
        role_label=role_label,
    ), (400 if errors else 200)
