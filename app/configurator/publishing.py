"""Publishing: the readiness checklist, the diff against the live version, publish with a
note, version history, compare, roll back; the optional four-eyes rule.

- `/configurador/<key>/publicar`: the checklist (`workflow_engine.templates.readiness`) and
  the plain-language diff (`workflow_engine.templates.diff`) first, then the note and the
  button; no button, and the server refuses, while something blocks. With the four-eyes rule
  on (municipal setting `configurator.four_eyes`) a liaison's button asks for approval
  instead of publishing.
- `/configurador/<key>/versiones`: who published each version, when, why, which version a
  roll back restored, the approvals; how many unfinished cases each version has (they stay
  on it); compare two versions; roll back (publish an old version's document again).
- `/configurador/aprobaciones` and `/configurador/<key>/aprobaciones/<id>`: administrators
  and department directors (their department's requests) approve or reject a liaison's
  request with the diff in front of them; approving publishes exactly the revision that was
  asked for, even when the draft changed since (the page says so): what was reviewed is what
  goes live, and the later changes need their own request. Directors reach only these pages
  (their own blueprint and guard).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import (
    base_revision,
    blueprint,
    catalog,
    editable,
    editor,
    procedure_title,
    render_editor,
)
from app.digitalization import summary as digitalization_summary
from app.formatting import localized, reader_language
from app.guards import guard_blueprint, is_publication_approver, require_publication_approver
from app.sessions import current_account
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.cases.service import NotFoundError
from workflow_engine.persistence.platform.catalog import (
    MAX_NOTE,
    Editor,
    PublicationRequestInfo,
    VersionInfo,
)
from workflow_engine.persistence.platform.municipal_settings import FOUR_EYES
from workflow_engine.templates.diff import ChangeGroup, diff, grouped
from workflow_engine.templates.readiness import readiness

__all__ = ["approvals", "four_eyes_on", "publications_waiting"]

approvals = Blueprint("publication_approvals", __name__, url_prefix="/configurador")
guard_blueprint(approvals, require_publication_approver)


def four_eyes_on() -> bool:
    """Whether a liaison's publication waits for an approval (the municipal setting)."""
    return bool(current_app.extensions["tramita"].settings_store.get(FOUR_EYES))


def publications_waiting() -> int:
    """How many publication requests the visitor may decide now (0 with the rule off, and
    for anybody who decides none): the inbox tells directors."""
    account = current_account()
    if account is None or not is_publication_approver(account) or not four_eyes_on():
        return 0
    departments = None if account.role == "admin" else [account.department_key or ""]
    return len(catalog().publication_requests(departments=departments))


@approvals.app_context_processor
def waiting_approvals() -> dict[str, Any]:
    """Pages that point approvers to their pending requests call `publications_waiting()`."""
    return {"publications_waiting": publications_waiting}


def _needs_approval() -> bool:
    account = current_account()
    return four_eyes_on() and account is not None and account.role != "admin"


def _note() -> str:
    return request.form.get("note", "").strip()[:MAX_NOTE]


def _changes(old: Any, new: Any) -> list[ChangeGroup]:
    return grouped(diff(old, new))


def _live(key: str) -> VersionInfo | None:
    try:
        return catalog().version(key)
    except NotFoundError:
        return None


# -- publish ---------------------------------------------------------------------------------


@blueprint.route("/<key>/publicar", methods=["GET", "POST"])
def publish(key: str) -> ResponseReturnValue:
    info = editable(key)
    doc = catalog().draft(info.key)
    check = readiness(doc, catalog().validate(doc))
    live = _live(info.key)
    error, status = "", 200
    if request.method == "POST":
        error, status = _refusal(check.ready, info.draft_revision, info.state == "live")
        if not error:
            done = _publish_or_request(info.key, _note())
            if done is not None:
                return done
            status = 422  # the catalog refused; its reason was flashed
    pending = catalog().publication_requests(key=info.key)
    decided = catalog().decided_requests(info.key)
    return render_editor(
        "configurator/publish.html",
        info.key,
        "configurator.publish",
        doc=doc,
        check=check,
        digitalization=digitalization_summary(doc),
        live=live,
        groups=_changes(live.definition, doc) if live else [],
        unchanged=info.state == "live",
        needs_approval=_needs_approval(),
        pending=pending[0] if pending else None,
        last_decision=decided[0] if decided else None,
        form_error=error,
        note=request.form.get("note", ""),
        status=status,
    )


def _refusal(ready: bool, draft_revision: int, unchanged: bool) -> tuple[str, int]:
    """Why a posted publication is refused before asking the catalog, with its status."""
    if unchanged:
        return _("El borrador es igual a la versión publicada: no hay nada que publicar."), 422
    if not ready:
        return _("Todavía hay puntos que impiden publicar; vea la lista."), 422
    if base_revision() != draft_revision:
        message = _(
            "El borrador cambió mientras usted revisaba los cambios; revíselos de nuevo "
            "antes de publicar."
        )
        return message, 409
    if not _note():
        return _("Escriba una nota que diga por qué se publica."), 422
    return "", 200


def _publish_or_request(key: str, note: str) -> ResponseReturnValue | None:
    lang = reader_language()
    try:
        if _needs_approval():
            catalog().request_publication(key, editor(), note, revision=base_revision())
            flash(
                _(
                    "Solicitud de publicación enviada: la persona directora de su dependencia "
                    "o una persona administradora debe aprobarla."
                )
            )
            return redirect(url_for("configurator.publish", key=key))
        version = catalog().publish(key, editor(), note, revision=base_revision())
    except EngineError as error:
        flash(error.message(lang), "error")
        return None
    flash(_("Publicada la versión %(n)s.", n=version.number))
    return redirect(url_for("configurator.history", key=key))


# -- history, compare, roll back -------------------------------------------------------------


@blueprint.route("/<key>/versiones")
def history(key: str) -> ResponseReturnValue:
    info = editable(key)
    versions = catalog().publications(info.key)
    approvals_by_version = {
        r.version_number: r for r in catalog().decided_requests(info.key) if r.version_number
    }
    numbers = [v.number for v in versions]
    return render_editor(
        "configurator/history.html",
        info.key,
        "configurator.history",
        versions=versions,
        in_flight=catalog().cases_in_flight(info.key),
        approvals_by_version=approvals_by_version,
        numbers=numbers,
        may_roll_back=not _needs_approval(),
    )


def _version_number(name: str) -> int:
    try:
        return int(request.args.get(name, ""))
    except ValueError:
        abort(404)


@blueprint.route("/<key>/versiones/comparar")
def compare(key: str) -> ResponseReturnValue:
    info = editable(key)
    first, second = _version_number("de"), _version_number("a")
    try:
        old, new = catalog().version(info.key, first), catalog().version(info.key, second)
    except NotFoundError:
        abort(404)
    return render_editor(
        "configurator/compare.html",
        info.key,
        "configurator.history",
        old=old,
        new=new,
        groups=_changes(old.definition, new.definition),
        numbers=[v.number for v in catalog().publications(info.key)],
    )


@blueprint.route("/<key>/versiones/restaurar", methods=["POST"])
def roll_back(key: str) -> ResponseReturnValue:
    """Publish the document of the posted version `number` again, as a new version."""
    info = editable(key)
    try:
        number = int(request.form.get("number", ""))
    except ValueError:
        abort(404)
    if _needs_approval():
        flash(
            _(
                "Con la regla de los cuatro ojos, sólo una persona administradora puede "
                "restaurar una versión."
            ),
            "error",
        )
        return redirect(url_for("configurator.history", key=info.key))
    note = _note()
    if not note:
        flash(_("Escriba una nota que diga por qué se restaura esta versión."), "error")
        return redirect(url_for("configurator.history", key=info.key))
    try:
        version = catalog().rollback(info.key, number, editor(), note)
    except NotFoundError:
        abort(404)
    except EngineError as error:
        flash(error.message(reader_language()), "error")
        return redirect(url_for("configurator.history", key=info.key))
    flash(
        _(
            "La versión %(old)s se publicó de nuevo como versión %(n)s.",
            old=number,
            n=version.number,
        )
    )
    return redirect(url_for("configurator.history", key=info.key))


# -- four-eyes approvals ---------------------------------------------------------------------


def _approver_departments() -> list[str] | None:
    """The departments whose requests the visitor decides: None (all) for administrators."""
    account = current_account()
    if account is None or not is_publication_approver(account):
        abort(404)
    return None if account.role == "admin" else [account.department_key or ""]


@approvals.route("/aprobaciones")
def approval_list() -> ResponseReturnValue:
    requests_ = catalog().publication_requests(departments=_approver_departments())
    titles = {
        r.key: procedure_title(catalog().draft(r.key), catalog().info(r.key)) for r in requests_
    }
    return render_template(
        "configurator/approvals.html", requests=requests_, titles=titles, enabled=four_eyes_on()
    )


def _request(key: str, request_id: int) -> PublicationRequestInfo:
    departments = _approver_departments()
    try:
        found = catalog().publication_request(request_id)
    except NotFoundError:
        abort(404)
    if found.key != key[:64] or (departments is not None and found.department not in departments):
        abort(404)
    return found


@approvals.route("/<key>/aprobaciones/<int:request_id>", methods=["GET", "POST"])
def approval(key: str, request_id: int) -> ResponseReturnValue:
    found = _request(key, request_id)
    status = 200
    if request.method == "POST" and found.status == "pending":
        done = _decide(found)
        if done is not None:
            return done
        status = 422
    info = catalog().info(found.key)
    doc, _checksum = catalog().revision_document(found.key, found.revision_number)
    live = _live(found.key)
    page = render_template(
        "configurator/approval.html",
        req=found,
        info=info,
        title=localized(doc.get("title"), reader_language(), found.key),
        live=live,
        groups=_changes(live.definition, doc) if live else [],
        draft_moved=info.draft_revision != found.revision_number,
        own=str(getattr(current_account(), "id", "")) == found.requested_by_id,
        reason=request.form.get("reason", ""),
        lang=reader_language(),
    )
    return page, status


def _decide(found: PublicationRequestInfo) -> ResponseReturnValue | None:
    approve = request.form.get("decision") == "approve"
    account = current_account()
    assert account is not None  # the blueprint's guard
    by = Editor(account.id, ip=request.remote_addr or "")
    try:
        decided = catalog().decide_publication(
            found.id, by, approve=approve, reason=request.form.get("reason", "")
        )
    except EngineError as error:
        flash(error.message(reader_language()), "error")
        return None
    if approve:
        flash(_("Aprobada: se publicó la versión %(n)s.", n=decided.version_number))
    else:
        flash(_("Solicitud rechazada; quien la envió verá el motivo."))
    return redirect(url_for("publication_approvals.approval_list"))
