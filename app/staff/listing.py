"""GET /bandeja: the views (mine, unclaimed, department, overdue) with counts, filters,
search and keyset pages. Query parameters are Spanish words because officials share links."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.citizen.cases import status_label
from app.formatting import department_names, format_date, localized, reader_language
from app.guards import require_official
from app.i18n import N_
from app.staff import blueprint
from app.staff.access import inbox, services, viewer_for
from workflow_engine.persistence.cases.inbox import (
    COUNT_CAP,
    DEADLINE_STATES,
    SORTS,
    VIEWS,
    InboxFilter,
    InboxQueryError,
)

PAGE_SIZE = 25


class BadFilterError(ValueError):
    """A filter value an official typed or edited by hand that makes no sense."""


def _date_param(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadFilterError(
            _("La fecha «%(value)s» no es válida (use AAAA-MM-DD).", value=raw)
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
        received_from=flt.received_from.isoformat() if flt.received_from else "",
        received_to=flt.received_to.isoformat() if flt.received_to else "",
    )
    return body, status
