"""«Mis trámites» and the applicant's case page: status in plain words, what to do next,
the history as sentences, documents, payment and the receipt.

Only the applicant sees these pages (officials get the inbox); anyone else gets a 404.
Nothing internal is shown: no task ids, no officials' names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template
from flask_babel import get_locale
from flask_login import login_required
from sqlalchemy import select

from app.auth import current_account
from app.db import reading
from connectors._common import MONTHS_ES, money
from workflow_engine.engine import state as case_state
from workflow_engine.engine.events import DOCUMENT_KINDS as KIND_NAMES
from workflow_engine.engine.events import Words, citizen_line
from workflow_engine.engine.state import CaseState
from workflow_engine.persistence.drafts import expires_on as draft_expires_on
from workflow_engine.persistence.models import Case, Department, Document, table
from workflow_engine.persistence.uploads import only_stored_files, stored_case_files

blueprint = Blueprint("cases", __name__)
cases_t = table(Case)
documents_t = table(Document)
departments_t = table(Department)

MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

STATUS_LABELS: dict[str, tuple[str, str]] = {
    case_state.DRAFT: ("Borrador", "Draft"),
    case_state.READY: ("Listo para enviar", "Ready to submit"),
    case_state.IN_REVIEW: ("En revisión", "Under review"),
    case_state.AWAITING_APPLICANT: ("Requiere un paso de su parte", "Needs a step from you"),
    case_state.AWAITING_CORRECTION: ("Requiere correcciones", "Needs corrections"),
    case_state.AWAITING_PAYMENT: ("Pendiente de pago", "Awaiting payment"),
    case_state.AWAITING_DOCUMENT: ("Emitiendo documento", "Issuing the document"),
    case_state.AWAITING_CONNECTOR: ("En proceso", "In progress"),
}
OUTCOME_LABELS: dict[str | None, tuple[str, str]] = {
    "approved": ("Concluido: aprobado", "Completed: approved"),
    "rejected": ("Concluido: no aprobado", "Completed: not approved"),
    "cancelled": ("Cancelado", "Cancelled"),
    None: ("Concluido", "Completed"),
}
NEXT_STEPS: dict[str, tuple[str, str]] = {
    case_state.DRAFT: (
        "Complete los pasos que faltan y envíe su solicitud. Mientras sea borrador, el "
        "municipio no la ha recibido.",
        "Complete the remaining steps and submit your application. While it is a draft, the "
        "municipality has not received it.",
    ),
    case_state.READY: (
        "Revise sus respuestas y envíe la solicitud.",
        "Check your answers and submit the application.",
    ),
    case_state.IN_REVIEW: (
        "No tiene que hacer nada por ahora. Le avisaremos cuando haya una respuesta.",
        "You do not need to do anything for now. We will let you know when there is an answer.",
    ),
    case_state.AWAITING_APPLICANT: (
        "Complete el paso que falta para que su trámite continúe.",
        "Complete the pending step so that your application can continue.",
    ),
    case_state.AWAITING_CORRECTION: (
        "Corrija lo que se le indica y vuelva a enviar su solicitud antes de la fecha límite.",
        "Correct what you were asked to and submit your application again before the deadline.",
    ),
    case_state.AWAITING_PAYMENT: (
        "Pague los derechos con la línea de captura para que su trámite continúe.",
        "Pay the fees with the payment reference so that your application can continue.",
    ),
    case_state.AWAITING_DOCUMENT: (
        "Estamos preparando su documento; estará disponible aquí en breve.",
        "We are preparing your document; it will be available here shortly.",
    ),
    case_state.AWAITING_CONNECTOR: (
        "Estamos consultando información; no tiene que hacer nada.",
        "We are looking up information; you do not need to do anything.",
    ),
    case_state.CLOSED: ("Este trámite concluyó.", "This application is completed."),
}
PAYMENT_STATUS = {
    "requested": ("Generando la orden de pago", "Creating the payment order"),
    "pending": ("Pendiente de pago", "Awaiting payment"),
    "paid": ("Pagado", "Paid"),
    "failed": ("El pago no se completó", "The payment did not go through"),
    "expired": ("Orden vencida", "Order expired"),
}


def _lang() -> str:
    return "en" if str(get_locale() or "es") == "en" else "es"


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _text(value: Any, lang: str, default: str = "") -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or value.get("es") or default)
    return str(value) if value else default


def _services() -> Any:
    return current_app.extensions["tramita"]


def _tz() -> ZoneInfo:
    return ZoneInfo(_services().settings.timezone)


def format_date(value: date | datetime | str | None, lang: str) -> str:
    """«5 de marzo de 2026» / «5 March 2026»; local dates for moments."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        value = value.astimezone(_tz()).date() if value.tzinfo else value.date()
    if lang == "en":
        return f"{value.day} {MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.day} de {MONTHS_ES[value.month - 1]} de {value.year}"


def format_moment(value: datetime | str | None, lang: str) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(_tz())
    return f"{format_date(local.date(), lang)}, {local:%H:%M}"


def status_label(status: str, outcome: str | None, lang: str) -> str:
    if status == case_state.CLOSED:
        return _pick(OUTCOME_LABELS.get(outcome, OUTCOME_LABELS[None]), lang)
    return _pick(STATUS_LABELS.get(status, ("En proceso", "In progress")), lang)


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
    actions: list[Action] = field(default_factory=list)
    is_draft: bool = False


def _draft_settings() -> tuple[int, int]:
    from app.tasks import draft_days

    return draft_days()


def case_view(row: Any, definition: Mapping[str, Any], lang: str) -> CaseView:
    state = CaseState.from_json(row.state)
    folio = str(row.folio)
    view = CaseView(
        folio=folio,
        title=_text(definition.get("title"), lang, str(row.procedure_key)),
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
        view.actions.append(
            Action(_pick(("Continuar", "Continue"), lang), f"{base}/pasos/{state.position}")
        )
    elif state.status == case_state.READY:
        view.actions.append(
            Action(_pick(("Revisar y enviar", "Check and submit"), lang), f"{base}/revisar")
        )
    elif state.status == case_state.AWAITING_PAYMENT:
        view.actions.append(Action(_pick(("Pagar", "Pay"), lang), f"{base}#pago"))
    for doc in state.documents:
        kind = KIND_NAMES.get(str(doc.get("kind")), ("documento", "document"))
        view.actions.append(
            Action(
                f"{_pick(('Descargar', 'Download'), lang)} {_pick(kind, lang)}",
                f"{base}/documentos/{doc.get('document_id')}",
                "download",
            )
        )
    if state.status == case_state.AWAITING_CORRECTION:
        due = state.correction_due(_tz())
        if due:
            view.deadline = format_date(due, lang)
            view.deadline_label = _pick(("Corregir a más tardar", "Correct by"), lang)
    elif state.status == case_state.IN_REVIEW:
        dues = [t.due_on for t in state.open_tasks() if t.due_on]
        if dues:
            view.deadline = format_date(max(dues), lang)
            view.deadline_label = _pick(("Respuesta a más tardar", "Answer due by"), lang)
    elif state.status == case_state.AWAITING_PAYMENT and state.payment and state.payment.expires_on:
        view.deadline = format_date(state.payment.expires_on, lang)
        view.deadline_label = _pick(("Pagar a más tardar", "Pay by"), lang)
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
        view.deadline_label = _pick(
            ("Se cancelará sin cambios el", "Cancelled if untouched on"), lang
        )
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
@login_required  # type: ignore[misc]
def my_cases() -> Any:
    account = current_account()
    assert account is not None
    lang = _lang()
    rows, definitions = _my_rows(str(account.id))
    views = [case_view(r, definitions[int(r.version_id)], lang) for r in rows]
    drafts = [v for v in views if v.is_draft]
    filed = [v for v in views if not v.is_draft]
    return render_template(
        "cases/list.html", drafts=drafts, filed=filed, lang=lang, truncated=len(rows) >= 200
    )


# -- the case page -----------------------------------------------------------------------
def _department_names(lang: str) -> dict[str, str]:
    with _services().engine.connect() as conn:
        rows = conn.execute(
            select(departments_t.c.key, departments_t.c.name_es, departments_t.c.name_en)
        ).all()
    return {r.key: (r.name_en or r.name_es) if lang == "en" else r.name_es for r in rows}


def _step_titles(definition: Mapping[str, Any], lang: str) -> dict[str, str]:
    return {
        str(s.get("id")): _text(s.get("title"), lang, str(s.get("id")))
        for s in definition.get("steps", ())
    }


def timeline(
    events: list[dict[str, Any]], definition: Mapping[str, Any], lang: str
) -> list[dict[str, str]]:
    """The case's history as short sentences the applicant understands (oldest first),
    worded by the engine's event catalog."""
    words = Words(
        lang=lang,
        steps=_step_titles(definition, lang),
        departments=_department_names(lang),
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
        kind = KIND_NAMES.get(str(r.kind), (str(r.kind), str(r.kind)))
        out.append(
            {
                "id": int(r.id),
                "name": _pick(kind, lang).capitalize(),
                "filename": r.filename,
                "issued_on": format_date(r.issued_at, lang),
                "expires_on": format_date(r.expires_on, lang),
                "code": r.verification_code,
                "revoked": r.revoked_at is not None,
            }
        )
    return out


def _delivered(definition: Mapping[str, Any], data: Mapping[str, Any], lang: str) -> list[Any]:
    """(field label, file refs) of every file field of the submitted data."""
    delivered = []
    for step in definition.get("steps", ()):
        for fld in step.get("fields", ()) or ():
            if fld.get("type") != "file":
                continue
            refs = data.get(str(fld.get("id")))
            if isinstance(refs, list) and refs:
                delivered.append((_text(fld.get("label"), lang, str(fld.get("id"))), refs))
    return delivered


def _online_payment() -> bool:
    """Whether a payment gateway is configured ("Pagar en línea", app/payments.py)."""
    from app.payments import online_payment_available

    return online_payment_available()


@blueprint.route("/expedientes/<folio>")
@login_required  # type: ignore[misc]
def case_page(folio: str) -> Any:
    account = current_account()
    assert account is not None
    services = _services()
    with services.engine.connect() as conn:
        row = conn.execute(select(cases_t).where(cases_t.c.folio == folio)).one_or_none()
        if row is None or str(row.applicant_id) != str(account.id):
            abort(404)
        definition = services.cases.definition(conn, int(row.version_id)).doc
    lang = _lang()
    view = case_view(row, definition, lang)
    state = CaseState.from_json(row.state)
    payment = None
    if state.payment is not None:
        p = state.payment
        payment = {
            "status": _pick(PAYMENT_STATUS.get(p.status, ("", "")), lang),
            "reference": p.reference,
            "amount": money(p.total_cents, p.currency),
            "expires_on": format_date(p.expires_on, lang),
            "lines": [
                {
                    "label": _text(line.get("label"), lang),
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
    return render_template(
        "cases/case.html",
        case=view,
        lang=lang,
        next_step=_pick(NEXT_STEPS.get(state.status, NEXT_STEPS[case_state.CLOSED]), lang),
        timeline=timeline(services.cases.history(int(row.id)), definition, lang),
        documents=_documents(int(row.id), lang),
        payment=payment,
        paid=paid,
        delivered=_delivered(definition, received, lang),
        submitted=format_moment(row.submitted_at, lang) if row.submitted_at else "",
        receipt_url=f"/expedientes/{row.folio}/acuse.pdf" if row.submitted_at else None,
    )
