"""The case review page for officials and the actions on it: claim, release, assign (directors),
decide (with requirement-by-requirement review) and internal notes. Each action is one engine
command; a refusal re-renders the page with the reason and keeps what the official wrote."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app import case_messages
from app.citizen.cases import status_label
from app.citizen.wizard.forms import dom_id, parse_step
from app.citizen.wizard.uploads import Uploads
from app.citizen.wizard.views import Errors, is_person_name
from app.db import reading
from app.formatting import department_names, format_date, localized, reader_language
from app.guards import require_official
from app.i18n import N_
from app.staff import blueprint, forms
from app.staff.access import client_ip, context, deadline_state, services
from app.staff.forms import FIELD_PREFIX
from app.staff.present import requirements, staff_timeline, submitted_sections, what_changed
from workflow_engine.engine import (
    AddNote,
    AssignTask,
    CaseState,
    ClaimTask,
    Command,
    Decide,
    EngineError,
    ProcedureDefinition,
    ReleaseTask,
)
from workflow_engine.engine.events import RETURN_REASONS, reason_text
from workflow_engine.persistence.cases import casework
from workflow_engine.persistence.cases.hotpath import LoadedCase
from workflow_engine.persistence.platform.accounts import Account
from workflow_engine.persistence.platform.uploads import (
    UnknownFileError,
    only_stored_files,
    stored_case_files,
)
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.field_types.base import FieldError
from workflow_engine.templates.step_types.review import decision_fields

TASK_STATUS = {
    "open": N_("Abierta"),
    "approved": N_("Aprobada"),
    "rejected": N_("Rechazada"),
    "returned": N_("Devuelta"),
    "cancelled": N_("Cancelada"),
}
DEADLINE_LABELS = {
    "on_time": N_("En plazo"),
    "due_soon": N_("Por vencer"),
    "overdue": N_("Vencida"),
    "none": N_("Sin plazo"),
}


def _load(account: Account, folio: str) -> tuple[Any, ProcedureDefinition]:
    svc = services()
    with svc.engine.connect() as conn:
        row = casework.case_for_staff(conn, account.actor(), folio)
        if row is None:
            abort(404)
        definition = svc.cases.definition(conn, int(row.version_id))
    return row, definition


def _task_view(task: Any, account: Account, lang: str, today: Any, ctx: Any) -> dict[str, Any]:
    due = task.due_on
    from datetime import date

    state = deadline_state(date.fromisoformat(due) if due else None, ctx, today)
    actor = account.actor()
    mine = task.assignee == actor.id
    director = "director" in actor.roles
    may_work = task.role in actor.roles or director
    return {
        "key": task.id,
        "step": task.step_id,
        "department": task.department,
        "role": task.role,
        "status": task.status,
        "status_label": _(TASK_STATUS[task.status]) if task.status in TASK_STATUS else task.status,
        "due_on": format_date(due, lang) if due else "",
        "deadline_state": state,
        "deadline_label": _(DEADLINE_LABELS[state]),
        "escalated": task.escalated,
        "assignee": task.assignee,
        "assignee_name": task.assignee_name,
        "mine": mine,
        "open": task.is_open,
        "can_claim": task.is_open and may_work and not task.assignee,
        "can_release": task.is_open and task.assignee is not None and (mine or director),
        "can_assign": task.is_open and director,
        "can_decide": task.is_open and may_work and (mine or not task.assignee or director),
        "comment": task.comment or "",
    }


def _response_due(state: CaseState, ctx: Any, today: Any, lang: str) -> dict[str, str] | None:
    """The procedure's maximum response time while the case is open: its date and badge."""
    if not state.response_due or state.is_closed:
        return None
    from datetime import date

    due = date.fromisoformat(state.response_due)
    badge = deadline_state(due, ctx, today)
    return {
        "date": format_date(due, lang),
        "state": badge,
        "label": _(DEADLINE_LABELS[badge]),
    }


def render_case(
    account: Account,
    folio: str,
    *,
    problem: str | None = None,
    errors: list[dict[str, str]] | None = None,
    form: Mapping[str, Any] | None = None,
    status: int = 200,
    field_errors: list[FieldError] | None = None,
) -> ResponseReturnValue:
    """The page, for a GET or after a refused action (then with the reason and the values)."""
    row, definition = _load(account, folio)
    svc = services()
    actor = account.actor()
    lang = reader_language()
    state = CaseState.from_json(row.state)
    ctx = context()
    today = ctx.local_date(utcnow())
    departments = department_names(lang)
    procedure = definition.model
    steps = procedure.step_titles(lang)
    all_tasks = sorted(state.tasks.values(), key=lambda t: (t.opened_at, t.id))
    mine = [
        _task_view(t, account, lang, today, ctx)
        for t in all_tasks
        if t.department in actor.departments
    ]
    others = [
        {
            "department": departments.get(t.department, t.department),
            "step": steps.get(t.step_id, t.step_id),
            "status_label": _(TASK_STATUS[t.status]) if t.status in TASK_STATUS else t.status,
        }
        for t in all_tasks
        if t.department not in actor.departments
    ]
    by_id = definition.steps
    for t in mine:
        t["department_name"] = departments.get(t["department"], t["department"])
        t["step_title"] = steps.get(t["step"], t["step"])
        t["decision_fields"] = decision_fields(by_id.get(t["step"], {}))
        t["decided_fields"] = _decided(t["decision_fields"], state.tasks[t["key"]].fields, lang)
    with reading(svc.engine) as conn:
        stored = stored_case_files(conn, int(row.id))
    received = only_stored_files(definition.steps.values(), state.data, stored)
    sections = submitted_sections(procedure, replace(state, data=received), lang)
    history = svc.cases.history(int(row.id))
    timeline = staff_timeline(history, lang, departments, steps)
    changed = what_changed(procedure, history, lang)
    notes = [t for t in timeline if t["internal"]]
    director_departments = {t["department"] for t in mine if t["can_assign"]}
    with svc.engine.connect() as conn:
        team = {d: casework.colleagues(conn, d) for d in director_departments}
        viewers = (
            casework.access_log(conn, int(row.id), limit=20) if "director" in actor.roles else []
        )
    if status == 200:
        casework.log_access(svc.engine, int(row.id), actor, "case", client_ip())
    body = render_template(
        "inbox/case.html",
        case=row,
        title=procedure.name(lang),
        status_label=status_label(row.status, row.outcome, lang),
        submitted=format_date(row.submitted_at, lang) if row.submitted_at else "",
        response_due=_response_due(state, ctx, today, lang),
        tasks=mine,
        others=others,
        sections=sections,
        files=requirements(sections),
        timeline=timeline,
        changed=changed,
        thread_messages=case_messages.thread(history, lang, departments, "official"),
        message_action=url_for("inbox.send_message", folio=row.folio)
        if case_messages.open_for_messages(row.status)
        else None,
        messages_closed=not case_messages.open_for_messages(row.status),
        message_label=_("Escriba a la persona solicitante (lo leerá)"),
        notes=notes,
        team=team,
        viewers=viewers,
        return_steps=[(s["id"], s["title"]) for s in sections],
        reasons=[(k, reason_text(k, lang)) for k in RETURN_REASONS],
        problem=problem,
        summary=errors or [],
        form=form or {},
        lang=lang,
        field_errors=Errors(
            [replace(e, path=FIELD_PREFIX + e.path) for e in field_errors or ()], lang
        ),
        field_prefix=FIELD_PREFIX,
        dom_id=dom_id,
        is_person_name=is_person_name,
    )
    return body, status


def _decided(
    fields: list[Mapping[str, Any]], values: Mapping[str, Any], lang: str
) -> list[tuple[str, str]]:
    """(label, value as read) of what the official wrote when deciding."""
    out = []
    for fld in fields:
        if fld["id"] in values:
            lines = field_type(fld).display_lines(fld, values[fld["id"]], lang)
            out.append((localized(fld.get("label"), lang) or fld["id"], "; ".join(lines)))
    return out


@blueprint.route("/bandeja/expedientes/<folio>")
def case_page(folio: str) -> ResponseReturnValue:
    account = require_official()
    return render_case(account, folio)


def _run(
    account: Account,
    folio: str,
    make: Any,
    done: str,
    back_to_list: bool = False,
    row: Any = None,
) -> ResponseReturnValue:
    """Execute one command on the case (`row`: the case as this request already read it);
    on refusal re-render with the engine's reason."""
    if row is None:
        row, _definition = _load(account, folio)
    actor = account.actor()
    try:
        command: Command = make(actor)
        services().cases.execute(int(row.id), command, loaded=LoadedCase.from_row(row))
    except EngineError as exc:
        lang = reader_language()
        field = str(exc.details.get("field") or "")
        errors = [{"text": exc.message(lang), "href": _anchor(field)}] if field else []
        wrong: list[FieldError] = list(exc.details.get("errors") or ())
        errors += [{"text": e.message(lang), "href": dom_id(FIELD_PREFIX + e.path)} for e in wrong]
        return render_case(
            account,
            folio,
            problem=None if errors else exc.message(lang),
            errors=errors,
            form=request.form,
            status=exc.http_status,
            field_errors=wrong,
        )
    flash(done)
    if back_to_list:
        return redirect(url_for("inbox.inbox_page"))
    return redirect(url_for("inbox.case_page", folio=folio))


def _anchor(field: str) -> str:
    if field.startswith("requirement:"):
        return "req-" + field.split(":", 1)[1]
    return {"comment": "comment", "reason": "reason", "return_steps": "return-steps"}.get(
        field, "decision-form"
    )


@blueprint.route("/bandeja/expedientes/<folio>/tareas/<task_key>/tomar", methods=["POST"])
def claim(folio: str, task_key: str) -> ResponseReturnValue:
    account = require_official()
    return _run(
        account,
        folio,
        lambda actor: ClaimTask(at=utcnow(), actor=actor, task_id=task_key),
        _("Tomó la tarea del expediente %(folio)s.", folio=folio),
        back_to_list=forms.back_to_list(request.form),
    )


@blueprint.route("/bandeja/expedientes/<folio>/tareas/<task_key>/liberar", methods=["POST"])
def release(folio: str, task_key: str) -> ResponseReturnValue:
    account = require_official()
    return _run(
        account,
        folio,
        lambda actor: ReleaseTask(at=utcnow(), actor=actor, task_id=task_key),
        _("La tarea volvió a la bandeja del área."),
    )


@blueprint.route("/bandeja/expedientes/<folio>/tareas/<task_key>/asignar", methods=["POST"])
def assign(folio: str, task_key: str) -> ResponseReturnValue:
    account = require_official()
    row, _definition = _load(account, folio)
    task = CaseState.from_json(row.state).tasks.get(task_key)
    if task is None or task.department not in account.actor().departments:
        abort(404)
    wanted = forms.assignee(request.form)
    with services().engine.connect() as conn:
        person = casework.colleague(conn, task.department, wanted) if wanted else None
    if person is None:
        return render_case(
            account,
            folio,
            errors=[{"text": _("Elija a una persona del área."), "href": f"assignee-{task_key}"}],
            form=request.form,
            status=422,
        )
    return _run(
        account,
        folio,
        lambda actor: AssignTask(
            at=utcnow(),
            actor=actor,
            task_id=task_key,
            assignee_id=person.id,
            assignee_name=person.name,
        ),
        _("Tarea asignada a %(name)s.", name=person.name),
        row=row,
    )


@blueprint.route("/bandeja/expedientes/<folio>/tareas/<task_key>/decidir", methods=["POST"])
def decide(folio: str, task_key: str) -> ResponseReturnValue:
    account = require_official()
    form = request.form
    posted = forms.decision_form(form)
    decision = posted.decision
    if decision is None:
        return render_case(
            account,
            folio,
            errors=[{"text": _("Elija una decisión."), "href": "decision-approve"}],
            form=form,
            status=422,
        )
    done = {
        "approve": _("Aprobó la tarea del expediente %(folio)s.", folio=folio),
        "reject": _("Rechazó la solicitud %(folio)s.", folio=folio),
        "return": _("Devolvió el expediente %(folio)s para corrección.", folio=folio),
    }[decision]
    written, refused = _written(account, folio, task_key, decision)
    if refused:
        lang = reader_language()
        return render_case(
            account,
            folio,
            errors=[
                {"text": e.message(lang), "href": dom_id(FIELD_PREFIX + e.path)} for e in refused
            ],
            form=form,
            status=422,
            field_errors=refused,
        )
    return _run(
        account,
        folio,
        lambda actor: Decide(
            at=utcnow(),
            actor=actor,
            task_id=task_key,
            decision=decision,
            comment=posted.comment,
            reason=posted.reason,
            return_steps=posted.return_steps,
            requirement_reviews=posted.reviews,
            fields=written,
        ),
        done,
        back_to_list=True,
    )


def _written(
    account: Account, folio: str, task_key: str, decision: str
) -> tuple[dict[str, Any], list[FieldError]]:
    """What the official wrote in the step's decision fields, parsed by the same field
    widgets as the wizard's (files stored for the case on the official's behalf), and the
    files refused; the engine cleans the values like any field's."""
    row, definition = _load(account, folio)
    task = CaseState.from_json(row.state).tasks.get(task_key)
    step: Mapping[str, Any] = definition.steps.get(task.step_id, {}) if task else {}
    fields = decision_fields(step)
    if not fields or decision == "return":
        return {}, []
    own, files = forms.decision_fields_posted(request.form, request.files)
    actor = account.actor()
    uploads = Uploads(owner_id=actor.id, case_id=int(row.id), step_id=str(step["id"]))
    uploads.owner_checked = True  # not the applicant: _load checked the official's access
    try:
        parsed = parse_step(
            definition.model.step(str(step["id"])),
            own,
            files,
            save_upload=uploads.save,
            kept_refs=uploads.kept,
        )
        if parsed.upload_errors:
            uploads.discard()
            return {}, parsed.upload_errors
        uploads.flush()
        return uploads.resolve({"fields": fields}, parsed.values), []
    except UnknownFileError as exc:
        uploads.discard()
        return {}, list(exc.details.get("errors") or ())


@blueprint.route("/bandeja/expedientes/<folio>/notas", methods=["POST"])
def add_note(folio: str) -> ResponseReturnValue:
    account = require_official()
    return _run(
        account,
        folio,
        lambda actor: AddNote(at=utcnow(), actor=actor, text=forms.note_text(request.form)),
        _("Nota interna guardada."),
    )


@blueprint.route("/bandeja/expedientes/<folio>/mensajes", methods=["POST"])
def send_message(folio: str) -> ResponseReturnValue:
    """An official of the case writes to the applicant (the thread on both case pages)."""
    account = require_official()
    row, _definition = _load(account, folio)
    open_ = case_messages.open_for_messages(row.status)
    try:
        case_messages.send(
            int(row.id),
            str(row.status),
            account.actor(),
            request.form.get(case_messages.FORM_TEXT, ""),
            request.files.getlist(case_messages.FORM_FILES),
        )
    except EngineError as exc:
        lang = reader_language()
        return render_case(
            account,
            folio,
            errors=[{"text": exc.message(lang), "href": "mensaje" if open_ else "hilo"}],
            form=request.form,
            status=exc.http_status,
        )
    flash(_("Mensaje enviado."))
    return redirect(url_for("inbox.case_page", folio=folio) + "#hilo")
