"""«Mis trámites» and the applicant's case page: status in plain words, what to do next,
the history as sentences, documents, payment and the receipt.

Only the applicant sees these pages (officials get the inbox); anyone else gets a 404.
Nothing internal is shown: no task ids, no officials' names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app import case_messages
from app.citizen.returned import returned_notice
from app.db import reading
from app.formatting import (
    department_names,
    format_date,
    format_moment,
    localized,
    money,
    reader_language,
)
from app.guards import login_required
from app.i18n import N_
from app.sessions import current_account
from workflow_engine.engine import state as case_state
from workflow_engine.engine.errors import EngineError
from workflow_engine.engine.events import DOCUMENT_KINDS as KIND_NAMES
from workflow_engine.engine.events import Words, citizen_line, document_name
from workflow_engine.engine.state import CaseState
from workflow_engine.persistence.cases.drafts import expires_on as draft_expires_on
from workflow_engine.persistence.models import Case, Department, Document, table
from workflow_engine.persistence.platform.uploads import only_stored_files, stored_case_files
from workflow_engine.templates import model as template_model

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("cases", __name__)
cases_t = table(Case)
documents_t = table(Document)
departments_t = table(Department)

STATUS_LABELS: dict[str, str] = {
    case_state.DRAFT: N_("Borrador"),
    case_state.READY: N_("Listo para enviar"),
    case_state.IN_REVIEW: N_("En revisión"),
    case_state.AWAITING_APPLICANT: N_("Requiere un paso de su parte"),
    case_state.AWAITING_CORRECTION: N_("Requiere correcciones"),
    case_state.AWAITING_PAYMENT: N_("Pendiente de pago"),
    case_state.AWAITING_DOCUMENT: N_("Emitiendo documento"),
    case_state.AWAITING_CONNECTOR: N_("En proceso"),
}
OUTCOME_LABELS: dict[str | None, str] = {
    "approved": N_("Concluido: aprobado"),
    "rejected": N_("Concluido: no aprobado"),
    "cancelled": N_("Cancelado"),
    None: N_("Concluido"),
}
NEXT_STEPS: dict[str, str] = {
    case_state.DRAFT: N_(
        "Complete los pasos que faltan y envíe su solicitud. Mientras sea borrador, el "
        "municipio no la ha recibido."
    ),
    case_state.READY: N_("Revise sus respuestas y envíe la solicitud."),
    case_state.IN_REVIEW: N_(
        "No tiene que hacer nada por ahora. Le avisaremos cuando haya una respuesta."
    ),
    case_state.AWAITING_APPLICANT: N_("Complete el paso que falta para que su trámite continúe."),
    case_state.AWAITING_CORRECTION: N_(
        "Corrija lo que se le indica y vuelva a enviar su solicitud antes de la fecha límite."
    ),
    case_state.AWAITING_PAYMENT: N_(
        "Pague los derechos con la línea de captura para que su trámite continúe."
    ),
    case_state.AWAITING_DOCUMENT: N_(
        "Estamos preparando su documento; estará disponible aquí en breve."
    ),
    case_state.AWAITING_CONNECTOR: N_("Estamos consultando información; no tiene que hacer nada."),
    case_state.CLOSED: N_("Este trámite concluyó."),
}
PAYMENT_STATUS = {
    "requested": N_("Generando la orden de pago"),
    "pending": N_("Pendiente de pago"),
    "paid": N_("Pagado"),
    "failed": N_("El pago no se completó"),
    "expired": N_("Orden vencida"),
}


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _tz() -> ZoneInfo:
    return ZoneInfo(_services().settings.timezone)


def status_label(status: str, outcome: str | None, lang: str) -> str:
    if status == case_state.CLOSED:
        return _(OUTCOME_LABELS.get(outcome, OUTCOME_LABELS[None]))
    return _(STATUS_LABELS.get(status, STATUS_LABELS[case_state.AWAITING_CONNECTOR]))


@dataclass
class Action:
    label: str
    url: str
    kind: str = "primary"


@dataclass
class CaseView:
    """What the pages show of one case."""

    folio: str
    title: str
    status: str
    status_label: str
    outcome: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    deadline: str = ""
    deadline_label: str = ""
    response_due: str = ""  # the procedure's maximum response time, while the case is open
    actions: list[Action] = field(default_factory=list)
    is_draft: bool = False


def _draft_settings() -> tuple[int, int]:
    from workflow_engine.persistence.cases.drafts import draft_days

    return draft_days()


def case_view(row: Any, definition: Mapping[str, Any], lang: str) -> CaseView:
    state = CaseState.from_json(row.state)
    folio = str(row.folio)
    view = CaseView(
        folio=folio,
        title=localized(definition.get("title"), lang, str(row.procedure_key)),
        status=state.status,
        status_label=status_label(state.status, state.outcome, lang),
        outcome=state.outcome,
        created_at=row.created_at,
        updated_at=row.updated_at,
        submitted_at=row.submitted_at,
        is_draft=state.status in (case_state.DRAFT, case_state.READY),
    )
    base = f"/expedientes/{folio}"
    if state.status in (
        case_state.DRAFT,
        case_state.AWAITING_APPLICANT,
        case_state.AWAITING_CORRECTION,
    ):
        view.actions.append(Action(_("Continuar"), f"{base}/pasos/{state.position}"))
    elif state.status == case_state.READY:
        view.actions.append(Action(_("Revisar y enviar"), f"{base}/revisar"))
    elif state.status == case_state.AWAITING_PAYMENT:
        view.actions.append(Action(_("Pagar"), f"{base}#pago"))
    for doc in state.documents:
        view.actions.append(
            Action(
                _("Descargar %(document)s", document=document_name(doc.get("kind"), lang)),
                f"{base}/documentos/{doc.get('document_id')}",
                "download",
            )
        )
    if state.status == case_state.AWAITING_CORRECTION:
        due = state.correction_due(_tz())
        if due:
            view.deadline = format_date(due, lang)
            view.deadline_label = _("Corregir a más tardar")
    elif state.status == case_state.IN_REVIEW:
        dues = [t.due_on for t in state.open_tasks() if t.due_on]
        if dues:
            view.deadline = format_date(max(dues), lang)
            view.deadline_label = _("Respuesta a más tardar")
    elif state.status == case_state.AWAITING_PAYMENT:
        # the step's own deadline (the case closes after it) wins over the order's expiry
        pay_by = state.step_due(_tz()) or (state.payment.expires_on if state.payment else None)
        view.deadline = format_date(pay_by, lang)
        view.deadline_label = _("Pagar a más tardar") if pay_by else ""
    elif state.status == case_state.AWAITING_APPLICANT and state.step_due(_tz()):
        view.deadline = format_date(state.step_due(_tz()), lang)
        view.deadline_label = _("Completar a más tardar")
    elif view.is_draft:
        retention, warning = _draft_settings()
        expiry = draft_expires_on(
            row.updated_at,
            row.draft_warned_at
            if row.draft_warned_at and row.draft_warned_at >= row.updated_at
            else None,
            retention_days=retention,
            warning_days=warning,
            tz=_tz(),
        )
        view.deadline = format_date(expiry, lang)
        view.deadline_label = _("Se cancelará sin cambios el")
    if state.response_due and not state.is_closed:
        view.response_due = format_date(state.response_due, lang)
    return view


def _my_rows(applicant_id: str, limit: int = 200) -> tuple[list[Any], dict[int, Any]]:
    services = _services()
    with services.engine.connect() as conn:
        rows = list(
            conn.execute(
                select(cases_t)
                .where(cases_t.c.applicant_id == applicant_id)
                .order_by(cases_t.c.updated_at.desc(), cases_t.c.id.desc())
                .limit(limit)
            ).all()
        )
        definitions = {
            vid: services.cases.definition(conn, vid).doc
            for vid in {int(r.version_id) for r in rows}
        }
    return rows, definitions


@blueprint.route("/mis-tramites")
@login_required
def my_cases() -> ResponseReturnValue:
    account = current_account()
    assert account is not None
    lang = reader_language()
    rows, definitions = _my_rows(str(account.id))
    views = [case_view(r, definitions[int(r.version_id)], lang) for r in rows]
    drafts = [v for v in views if v.is_draft]
    filed = [v for v in views if not v.is_draft]
    return render_template(
        "cases/list.html", drafts=drafts, filed=filed, lang=lang, truncated=len(rows) >= 200
    )


# -- the case page -----------------------------------------------------------------------


def timeline(
    events: list[dict[str, Any]], procedure: template_model.Procedure, lang: str
) -> list[dict[str, str]]:
    """The case's history as short sentences the applicant understands (oldest first),
    worded by the engine's event catalog."""
    words = Words(
        lang=lang,
        steps=procedure.step_titles(lang),
        departments=department_names(lang),
        date=lambda value: format_date(value, lang),
        money=money,
    )
    items: list[dict[str, str]] = []
    for event in events:
        line = citizen_line(str(event["type"]), event.get("data") or {}, words)
        if line is None:
            continue
        items.append(
            {
                "text": line.text,
                "detail": line.detail,
                "when": format_moment(event["created_at"], lang),
                "iso": event["created_at"].isoformat(),
            }
        )
    return items


def _documents(case_id: int, lang: str) -> list[dict[str, Any]]:
    with _services().engine.connect() as conn:
        rows = conn.execute(
            select(documents_t)
            .where(documents_t.c.case_id == case_id)
            .order_by(documents_t.c.issued_at)
        ).all()
    out = []
    for r in rows:
        kind = document_name(r.kind, lang) if str(r.kind) in KIND_NAMES else str(r.kind)
        out.append(
            {
                "id": int(r.id),
                "name": kind.capitalize(),
                "filename": r.filename,
                "issued_on": format_date(r.issued_at, lang),
                "expires_on": format_date(r.expires_on, lang),
                "code": r.verification_code,
                "revoked": r.revoked_at is not None,
            }
        )
    return out


def _delivered(
    procedure: template_model.Procedure, data: Mapping[str, Any], lang: str
) -> list[Any]:
    """(field label, file refs) of every file field of the submitted data."""
    delivered = []
    for fld in procedure.fields():
        if not fld.takes_files:
            continue
        refs = data.get(fld.id)
        if isinstance(refs, list) and refs:
            delivered.append((fld.title(lang), refs))
    return delivered


def _online_payment() -> bool:
    """Whether a payment gateway is configured ("Pagar en línea", app/citizen/payments.py)."""
    from app.citizen.payments import online_payment_available

    return online_payment_available()


@blueprint.route("/expedientes/<folio>")
@login_required
def case_page(folio: str) -> ResponseReturnValue:
    return render_case_page(folio)


def render_case_page(
    folio: str, message_error: str = "", message_text: str = "", status: int = 200
) -> ResponseReturnValue:
    """The applicant's case page; after a refused message, with the reason and the text."""
    account = current_account()
    assert account is not None
    services = _services()
    with services.engine.connect() as conn:
        row = conn.execute(select(cases_t).where(cases_t.c.folio == folio)).one_or_none()
        if row is None or str(row.applicant_id) != str(account.id):
            abort(404)
        procedure = services.cases.definition(conn, int(row.version_id)).model
    definition = procedure.raw
    lang = reader_language()
    view = case_view(row, definition, lang)
    state = CaseState.from_json(row.state)
    payment = None
    if state.payment is not None:
        p = state.payment
        payment = {
            "status": _(PAYMENT_STATUS[p.status]) if p.status in PAYMENT_STATUS else "",
            "reference": p.reference,
            "amount": money(p.total_cents, p.currency),
            "expires_on": format_date(p.expires_on, lang),
            "lines": [
                {
                    "label": localized(line.get("label"), lang),
                    "amount": money(line.get("amount_cents"), p.currency),
                }
                for line in p.lines
            ],
            "pending": p.status in ("pending", "requested"),
            "online": p.status == "pending" and bool(p.reference) and _online_payment(),
        }
    with reading(services.engine) as conn:
        stored = stored_case_files(conn, int(row.id))
    received = only_stored_files(definition.get("steps") or (), state.data, stored)
    paid = [
        {
            "reference": str(p.get("reference") or ""),
            "amount": money(p.get("total_cents"), str(p.get("currency") or "MXN")),
            "paid_on": format_date(p.get("paid_at"), lang),
        }
        for p in state.payments
    ]
    history = services.cases.history(int(row.id))
    page = render_template(
        "cases/case.html",
        case=view,
        returned=returned_notice(state, history, procedure, lang),
        lang=lang,
        next_step=_(NEXT_STEPS.get(state.status, NEXT_STEPS[case_state.CLOSED])),
        timeline=timeline(history, procedure, lang),
        thread_messages=case_messages.thread(history, lang, department_names(lang), "applicant"),
        message_action=url_for("cases.send_message", folio=row.folio)
        if row.submitted_at and case_messages.open_for_messages(row.status)
        else None,
        messages_closed=not case_messages.open_for_messages(row.status),
        message_label=_("Escriba al personal que revisa su solicitud"),
        message_error=message_error,
        message_text=message_text,
        documents=_documents(int(row.id), lang),
        payment=payment,
        paid=paid,
        delivered=_delivered(procedure, received, lang),
        submitted=format_moment(row.submitted_at, lang) if row.submitted_at else "",
        receipt_url=f"/expedientes/{row.folio}/acuse.pdf" if row.submitted_at else None,
    )
    return page, status


@blueprint.route("/expedientes/<folio>/mensajes", methods=["POST"])
@login_required
def send_message(folio: str) -> ResponseReturnValue:
    """The applicant writes to the officials of the case (thread on the case page)."""
    account = current_account()
    assert account is not None
    with _services().engine.connect() as conn:
        row = conn.execute(
            select(cases_t.c.id, cases_t.c.applicant_id, cases_t.c.status).where(
                cases_t.c.folio == folio
            )
        ).one_or_none()
    if row is None or str(row.applicant_id) != str(account.id):
        abort(404)
    try:
        case_messages.send(
            int(row.id),
            str(row.status),
            account.actor(),
            request.form.get(case_messages.FORM_TEXT, ""),
            request.files.getlist(case_messages.FORM_FILES),
        )
    except EngineError as exc:
        return render_case_page(
            folio,
            message_error=exc.message(reader_language()),
            message_text=request.form.get(case_messages.FORM_TEXT, ""),
            status=exc.http_status,
        )
    flash(_("Mensaje enviado."))
    return redirect(url_for("cases.case_page", folio=folio) + "#hilo")
