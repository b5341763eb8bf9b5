"""GET /bandeja: the views (mine, unclaimed, department, overdue) with counts, filters,
search and keyset pages. Query parameters are Spanish words because officials share links."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.citizen.cases import status_label
from app.formatting import department_names, format_date, localized, reader_language
from app.guards import require_official
from app.i18n import N_
from app.staff import blueprint
from app.staff.access import inbox, services, viewer_for
from workflow_engine.engine import Actor, AssignTask, ClaimTask, Command, ReleaseTask
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.cases import casework
from workflow_engine.persistence.cases.inbox import (
    COUNT_CAP,
    DEADLINE_STATES,
    SORTS,
    VIEWS,
    InboxFilter,
    InboxQueryError,
)
from workflow_engine.persistence.cases.service import NotFoundError
from workflow_engine.persistence.models import User, table
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.field_types.date import typed_date

PAGE_SIZE = 25
users_t = table(User)


class BadFilterError(ValueError):
    """A filter value an official typed or edited by hand that makes no sense."""


def _date_param(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return typed_date(raw)
    except ValueError:
        raise BadFilterError(
            _("La fecha «%(value)s» no es válida (use DD/MM/AAAA).", value=raw)
        ) from None


def _choice(name: str, allowed: tuple[str, ...], default: str | None) -> str | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if raw not in allowed:
        raise BadFilterError(_("El filtro «%(name)s» no es válido.", name=name))
    return raw


def _filters(is_director: bool) -> InboxFilter:
    view = _choice("vista", VIEWS, "mine") or "mine"
    if view == "department" and not is_director:
        view = "unclaimed"
    received_from = _date_param("desde")
    received_to = _date_param("hasta")
    if received_from and received_to and received_from > received_to:
        raise BadFilterError(_("La fecha inicial es posterior a la final."))
    return InboxFilter(
        view=view,
        procedure_key=request.args.get("tramite", "").strip() or None,
        received_from=received_from,
        received_to=received_to,
        deadline=_choice("plazo", DEADLINE_STATES, None),
        q=request.args.get("q", "").strip()[:100],
        sort=_choice("orden", SORTS, "deadline") or "deadline",
    )


def _procedures(lang: str) -> list[tuple[str, str]]:
    return sorted(
        ((info.key, localized(info.title, lang) or info.key) for info in services().catalog.all()),
        key=lambda kv: kv[1].lower(),
    )


VIEW_LABELS = {
    "mine": N_("Mis tareas"),
    "unclaimed": N_("Por tomar"),
    "department": N_("Toda el área"),
    "overdue": N_("Vencidas"),
    "decided": N_("Resueltas"),
}
TASK_STATUS = {
    "approved": N_("Aprobada"),
    "rejected": N_("Rechazada"),
    "returned": N_("Devuelta para corrección"),
}
DEADLINE_LABELS = {
    "on_time": N_("En plazo"),
    "due_soon": N_("Por vencer"),
    "overdue": N_("Vencida"),
    "none": N_("Sin plazo"),
}


def _query(**changes: Any) -> str:
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    args.update({k: v for k, v in changes.items() if v is not None})
    return "?" + urlencode({k: v for k, v in args.items() if v != ""})


@blueprint.route("/bandeja")
def inbox_page() -> ResponseReturnValue:
    account = require_official()
    viewer = viewer_for(account)
    lang = reader_language()
    problem = None
    status = 200
    try:
        flt = _filters(viewer.is_director)
        page = inbox().page(viewer, flt, cursor=request.args.get("cursor") or None, limit=PAGE_SIZE)
    except (BadFilterError, InboxQueryError) as exc:
        problem = (
            str(exc)
            if isinstance(exc, BadFilterError)
            else _("El enlace de la página ya no es válido; vuelva a la primera página.")
        )
        status = 400
        flt = InboxFilter(view="mine")
        page = None
    counts = inbox().counts(viewer, cap=COUNT_CAP + 1)  # COUNT_CAP + 1 reads "1000+"
    holders = _holder_names([r.assignee_id for r in page.rows] if page else [])
    titles = dict(_procedures(lang))
    departments = department_names(lang)
    rows = []
    for r in page.rows if page else ():
        rows.append(
            {
                "folio": r.folio,
                "procedure": titles.get(r.procedure_key, r.procedure_key),
                "department": departments.get(r.department, r.department),
                "applicant": r.applicant_name,
                "received": format_date(r.submitted_at, lang) if r.submitted_at else "",
                "due_on": format_date(r.due_on, lang) if r.due_on else "",
                "deadline_state": r.deadline_state,
                "deadline_label": _(DEADLINE_LABELS[r.deadline_state]),
                "response_due": format_date(r.response_due, lang) if r.response_due else "",
                "status": status_label(r.case_status, None, lang),
                "assignee_id": r.assignee_id,
                "holder": holders.get(r.assignee_id or "", ""),
                "mine": r.assignee_id == viewer.user_id,
                "escalated": r.escalated,
                "task_key": r.task_key,
                "open": r.status == "open",
                "decision": _(TASK_STATUS[r.status]) if r.status in TASK_STATUS else r.status,
            }
        )
    views = [
        {
            "key": v,
            "label": _(VIEW_LABELS[v]),
            "count": counts.get(v),
            "url": "?" + urlencode({"vista": v}),
            "current": v == flt.view,
        }
        for v in VIEWS
        if v != "department" or viewer.is_director
    ]
    body = render_template(
        "inbox/list.html",
        views=views,
        view_label=_(VIEW_LABELS[flt.view]),
        flt=flt,
        rows=rows,
        procedures=_procedures(lang),
        deadline_labels=[(k, _(v)) for k, v in DEADLINE_LABELS.items()],
        next_url=_query(cursor=page.next_cursor) if page and page.next_cursor else None,
        first_url=_query() if request.args.get("cursor") else None,
        problem=problem,
        cap=COUNT_CAP,
        columns=_sort_columns(flt.sort),
        sort_options=[(k, _(SORT_LABELS[k])) for k in SORTS],
        is_director=viewer.is_director,
        team=_team(viewer.departments) if viewer.is_director else [],
        here=_query(),
        exportable=_exportable(flt.procedure_key, viewer.departments),
        received_from=flt.received_from.isoformat() if flt.received_from else "",
        received_to=flt.received_to.isoformat() if flt.received_to else "",
    )
    return body, status


def _exportable(key: str | None, departments: frozenset[str]) -> str:
    """The filtered procedure, when the official may export its cases (its department's,
    published); "" otherwise (the link goes to the list of procedures instead)."""
    if not key:
        return ""
    try:
        info = services().catalog.info(key[:64])
    except NotFoundError:
        return ""
    return key if info.department in departments and info.latest_version is not None else ""


def _holder_names(ids: list[str | None]) -> dict[str, str]:
    """The names of the officials holding the page's tasks (one query)."""
    wanted = sorted({i for i in ids if i and i.isdigit()})
    if not wanted:
        return {}
    with services().engine.connect() as conn:
        rows = conn.execute(
            select(users_t.c.id, users_t.c.name, users_t.c.email).where(
                users_t.c.id.in_([int(i) for i in wanted])
            )
        ).all()
    return {str(r.id): r.name or r.email for r in rows}


def _team(departments: frozenset[str]) -> list[casework.Colleague]:
    with services().engine.connect() as conn:
        return [c for d in sorted(departments) for c in casework.colleagues(conn, d)]


# Sortable columns: (column, the ?orden= that sorts by it, the one that reverses it).
SORTABLE = {
    "folio": ("folio", "folio_desc"),
    "applicant": ("applicant", "applicant_desc"),
    "received": ("age", "newest"),
    "deadline": ("deadline", None),
    "state": ("state", "state_desc"),
}
# The same orders in the filters' «Ordenar por» (so applying filters keeps the order).
SORT_LABELS = {
    "deadline": N_("Fecha límite"),
    "age": N_("Antigüedad"),
    "newest": N_("Más recientes"),
    "folio": N_("Folio"),
    "folio_desc": N_("Folio, descendente"),
    "applicant": N_("Solicitante"),
    "applicant_desc": N_("Solicitante, descendente"),
    "state": N_("Estado"),
    "state_desc": N_("Estado, descendente"),
}


def _sort_columns(current: str) -> dict[str, dict[str, str]]:
    """Per sortable column: the link that sorts by it and its aria-sort state."""
    out = {}
    for column, (ascending, descending) in SORTABLE.items():
        state = "none"
        target = ascending
        if current == ascending:
            state = "ascending"
            target = descending or ascending
        elif current == descending:
            state = "descending"
        out[column] = {"url": _query(orden=target), "aria": state}
    return out


BULK_ACTIONS = ("tomar", "liberar", "asignar")
MAX_BULK = 100


def _bulk_command(action: str, actor: Actor, task_key: str, person: Any) -> Command:
    if action == "tomar":
        return ClaimTask(at=utcnow(), actor=actor, task_id=task_key)
    if action == "liberar":
        return ReleaseTask(at=utcnow(), actor=actor, task_id=task_key)
    return AssignTask(
        at=utcnow(), actor=actor, task_id=task_key, assignee_id=person.id, assignee_name=person.name
    )


@blueprint.route("/bandeja/lote", methods=["POST"])
def bulk() -> ResponseReturnValue:
    """Claim, release or (directors) assign the selected tasks with one form post; each task
    is one engine command, so each is allowed or refused on its own."""
    account = require_official()
    actor = account.actor()
    one = request.form.get("tomar_uno", "")
    action = "tomar" if one else request.form.get("accion", "")
    chosen = [one] if one else request.form.getlist("tareas")[:MAX_BULK]
    back = url_for("inbox.inbox_page") + _safe_query(request.form.get("volver", ""))
    if action not in BULK_ACTIONS or not chosen:
        flash(_("Elija una o más tareas y una acción."), "error")
        return redirect(back)
    person = None
    if action == "asignar":
        wanted = request.form.get("asignar_a", "").strip()
        if "director" in actor.roles and wanted:
            with services().engine.connect() as conn:
                person = next(
                    (
                        c
                        for d in sorted(actor.departments)
                        for c in casework.colleagues(conn, d)
                        if c.id == wanted
                    ),
                    None,
                )
        if person is None:
            flash(_("Elija a una persona del área."), "error")
            return redirect(back)
    done, refused = 0, []
    for item in chosen:
        folio, _sep, task_key = item.partition(":")
        with services().engine.connect() as conn:
            row = casework.case_for_staff(conn, actor, folio)
        if row is None:
            refused.append(folio)
            continue
        try:
            services().cases.execute(int(row.id), _bulk_command(action, actor, task_key, person))
        except EngineError:
            refused.append(folio)
        else:
            done += 1
    if one and done:  # the row's own «Tomar»: as the case page's, on to «Mis tareas»
        flash(_("Tomó la tarea del expediente %(folio)s.", folio=one.partition(":")[0]))
        return redirect(url_for("inbox.inbox_page"))
    if done:
        flash(ngettext("Se actualizó %(num)d tarea.", "Se actualizaron %(num)d tareas.", done))
    if refused:
        flash(
            _(
                "No se pudo con: %(folios)s (otra persona la tiene o ya cambió).",
                folios=", ".join(refused),
            ),
            "error",
        )
    return redirect(back)


def _safe_query(raw: str) -> str:
    """The list's own query string to go back to (only a query, never a URL)."""
    raw = raw.strip()
    if not raw.startswith("?") or any(c in raw for c in "\\/\r\n\t ") or len(raw) > 500:
        return ""
    return raw
