"""Administrators' overview: every case (filters, search, pages; each case read-only) and every
procedure with its published versions and draft revisions. Reads only: administrators hold no
task, so nothing here changes a case; each look at a case is logged like an official's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from app.citizen.cases import STATUS_LABELS, status_label
from app.formatting import (
    department_names,
    format_date,
    format_moment,
    reader_language,
    template_state_label,
)
from app.guards import guard_blueprint, require_admin
from app.staff.present import staff_timeline, submitted_sections
from workflow_engine.engine import CaseState
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.cases import casework
from workflow_engine.persistence.cases.overview import CaseFilter, case_by_folio, list_cases
from workflow_engine.persistence.cases.service import NotFoundError

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("admin_cases", __name__, url_prefix="/admin")
guard_blueprint(blueprint, require_admin)

STATUSES = (*STATUS_LABELS, case_state.CLOSED)


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _titles(lang: str) -> dict[str, str]:
    titles = {}
    for info in _services().catalog.all():
        titles[info.key] = info.title.get(lang) or info.title.get("es") or info.key
    return titles


def _choice(name: str, allowed: Any) -> str:
    value = request.args.get(name, "").strip()[:64]
    if value and value not in allowed:
        abort(400)
    return value


@blueprint.route("/expedientes")
def cases() -> ResponseReturnValue:
    lang = reader_language()
    titles = _titles(lang)
    departments = department_names(lang)
    flt = CaseFilter(
        procedure_key=_choice("tramite", titles),
        status=_choice("estado", STATUSES),
        department=_choice("dependencia", departments),
        q=request.args.get("q", "").strip()[:100],
    )
    raw_page = request.args.get("pagina", "1")
    if not raw_page.isdigit() or len(raw_page) > 6:
        abort(400)
    with _services().engine.connect() as conn:
        page = list_cases(conn, flt, int(raw_page))
    exportable = False
    if flt.procedure_key:
        exportable = _services().catalog.info(flt.procedure_key).latest_version is not None
    return render_template(
        "admin_cases.html",
        exportable=exportable,
        filters=flt,
        page=page,
        rows=[
            {
                "folio": r.folio,
                "procedure": titles.get(r.procedure_key, r.procedure_key),
                "department": departments.get(r.department, r.department),
                "applicant": r.applicant_name,
                "status": status_label(r.status, r.outcome, lang),
                "submitted": format_date(r.submitted_at, lang) if r.submitted_at else "",
                "updated": format_date(r.updated_at, lang),
            }
            for r in page.rows
        ],
        procedures=sorted(titles.items(), key=lambda kv: kv[1]),
        statuses=[(s, status_label(s, None, lang)) for s in STATUSES],
        departments=sorted(departments.items(), key=lambda kv: kv[1]),
    )


@blueprint.route("/expedientes/<folio>")
def case(folio: str) -> ResponseReturnValue:
    account = require_admin()
    svc = _services()
    lang = reader_language()
    with svc.engine.connect() as conn:
        row = case_by_folio(conn, folio[:32])
        if row is None:
            abort(404)
        definition = svc.cases.definition(conn, int(row.version_id))
    state = CaseState.from_json(row.state)
    procedure = definition.model
    departments = department_names(lang)
    steps = procedure.step_titles(lang)
    casework.log_access(svc.engine, int(row.id), account.actor(), "case", request.remote_addr or "")
    tasks = [
        {
            "department": departments.get(t.department, t.department),
            "step": steps.get(t.step_id, t.step_id),
            "status": t.status,
            "assignee": t.assignee_name or "",
            "due_on": format_date(t.due_on, lang) if t.due_on else "",
        }
        for t in sorted(state.tasks.values(), key=lambda t: (t.opened_at, t.id))
    ]
    return render_template(
        "admin_case.html",
        case=row,
        title=procedure.name(lang),
        status_label=status_label(row.status, row.outcome, lang),
        created=format_moment(row.created_at, lang),
        submitted=format_moment(row.submitted_at, lang) if row.submitted_at else "",
        tasks=tasks,
        sections=submitted_sections(procedure, state, lang),
        timeline=staff_timeline(svc.cases.history(int(row.id)), lang, departments, steps),
    )


@blueprint.route("/tramites")
def procedures() -> ResponseReturnValue:
    lang = reader_language()
    departments = department_names(lang)
    rows = []
    for info in _services().catalog.all():
        rows.append(
            {
                "key": info.key,
                "title": info.title.get(lang) or info.title.get("es") or info.key,
                "department": departments.get(info.department, info.department),
                "state": template_state_label(info.state),
                "version": info.latest_version,
                "revision": info.draft_revision,
            }
        )
    return render_template("admin_procedures.html", rows=rows)


@blueprint.route("/tramites/<key>")
def procedure(key: str) -> ResponseReturnValue:
    lang = reader_language()
    catalog = _services().catalog
    try:
        info = catalog.info(key[:64])
    except NotFoundError:
        abort(404)
    try:
        revisions = catalog.revisions(info.key)[:20]
    except NotFoundError:
        revisions = []
    return render_template(
        "admin_procedure.html",
        title=info.title.get(lang) or info.title.get("es") or info.key,
        key=info.key,
        department=department_names(lang).get(info.department, info.department),
        state=template_state_label(info.state),
        versions=[
            {
                "number": v.number,
                "published_at": format_moment(v.published_at, lang),
                "by": v.published_by,
                "note": v.note,
                "restored_from": v.restored_from,
            }
            for v in catalog.publications(info.key)
        ],
        revisions=[
            {
                "number": r.number,
                "saved_at": format_moment(r.saved_at, lang),
                "by": r.saved_by_name or r.saved_by_id,
                "errors": r.error_count,
                "warnings": r.warning_count,
            }
            for r in revisions
        ],
    )
