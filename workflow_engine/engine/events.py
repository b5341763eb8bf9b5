"""The event catalog: every kind of event the engine records, once, with what the applicant
and what staff read about it and who may see it. The citizen timeline, the staff history,
notifications and the API all read this catalog instead of wording events themselves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow_engine.plural import counted

# Who may see an event: the applicant (and staff), staff only in their history (the
# applicant's API copy still lists it as data of their own case), or staff only everywhere.
CITIZEN = "citizen"
STAFF = "staff"
INTERNAL = "internal"

# Why an official returns a case (workflow_engine.engine.transition.RETURN_REASONS).
RETURN_REASONS: dict[str, tuple[str, str]] = {
    "incorrect": ("hay datos incorrectos", "some data is incorrect"),
    "incomplete": ("falta información o documentos", "information or documents are missing"),
    "outdated": ("algún documento no está vigente", "a document is out of date"),
}
# The same reasons as a heading (the wizard's banner on a returned case).
RETURN_REASON_TITLES: dict[str, tuple[str, str]] = {
    "incorrect": ("Datos o documentos incorrectos", "Incorrect data or documents"),
    "incomplete": ("Información incompleta", "Incomplete information"),
    "outdated": ("Documentos desactualizados", "Outdated documents"),
}
# What the applicant calls the document a step issues (a step's `document.kind`).
DOCUMENT_KINDS: dict[str, tuple[str, str]] = {
    "licencia": ("licencia", "licence"),
    "permiso": ("permiso", "permit"),
    "constancia": ("constancia", "certificate"),
    "certificado": ("certificado", "certificate"),
}
# How a case ended (an end step's `outcome`, or a cancellation), as a reader says it.
OUTCOMES: dict[str, tuple[str, str]] = {
    "approved": ("aprobado", "approved"),
    "rejected": ("no aprobado", "not approved"),
    "cancelled": ("cancelado", "cancelled"),
}


def outcome_name(outcome: Any, lang: str) -> str:
    """How a case ended, in the reader's language; "" for an outcome the catalog does not know
    (never the stored word itself, which is English)."""
    pair = OUTCOMES.get(str(outcome))
    return "" if pair is None else pair[1] if lang == "en" else pair[0]


def _no_money(cents: Any, currency: str) -> str:
    return f"{cents} {currency}"


@dataclass(frozen=True)
class Words:
    """What wording needs from outside the engine, in the reader's language: names of
    steps and departments and how dates and money are written."""

    lang: str = "es"
    steps: Mapping[str, str] = field(default_factory=dict)
    departments: Mapping[str, str] = field(default_factory=dict)
    date: Callable[[Any], str] = str
    money: Callable[[Any, str], str] = _no_money

    def say(self, es: str, en: str) -> str:
        return en if self.lang == "en" else es

    def step(self, data: Mapping[str, Any]) -> str:
        step = str(data.get("step") or "")
        return self.steps.get(step, step)

    def department(self, data: Mapping[str, Any]) -> str:
        """The department's name; "" when it is unknown."""
        return self.departments.get(str(data.get("department")), "")


@dataclass(frozen=True)
class Line:
    """One entry of a history: a sentence and an optional detail (a comment, a reason)."""

    text: str
    detail: str = ""


Wording = Callable[[Mapping[str, Any], Words], Line | None]


@dataclass(frozen=True)
class EventKind:
    kind: str
    audience: str
    citizen: Wording | None = None  # None: not in the applicant's timeline
    staff: Wording | None = None  # None: not in the staff history


def reason_text(reason: Any, lang: str) -> str:
    """Why a case was returned, as a clause ("hay datos incorrectos"); "" for no reason."""
    pair = RETURN_REASONS.get(str(reason))
    return "" if pair is None else pair[1] if lang == "en" else pair[0]


def reason_title(reason: Any, lang: str) -> str:
    """Why a case was returned, as a heading ("Información incompleta"); "" for no reason."""
    pair = RETURN_REASON_TITLES.get(str(reason))
    return "" if pair is None else pair[1] if lang == "en" else pair[0]


def document_name(kind: Any, lang: str) -> str:
    pair = DOCUMENT_KINDS.get(str(kind), ("documento", "document"))
    return pair[1] if lang == "en" else pair[0]


def _fixed(es: str, en: str) -> Wording:
    return lambda data, w: Line(w.say(es, en))


# -- the applicant's wording -----------------------------------------------------------------


def _c_step_submitted(data: Mapping[str, Any], w: Words) -> Line:
    title = w.steps.get(str(data.get("step")), "")
    return Line(w.say(f"Completó el paso «{title}».", f"You completed the step “{title}”."))


def _c_submitted(data: Mapping[str, Any], w: Words) -> Line:
    folio = str(data.get("folio") or "")
    return Line(
        w.say(
            f"Envió su solicitud; quedó registrada con el folio {folio}.",
            f"You submitted your application; its reference is {folio}.",
        )
    )


def _c_task_opened(data: Mapping[str, Any], w: Words) -> Line:
    dept = w.department(data)
    return Line(
        w.say(
            f"{dept or 'El área responsable'} comenzó a revisar su solicitud.",
            f"{dept or 'The department in charge'} started reviewing your application.",
        )
    )


def _c_task_decided(data: Mapping[str, Any], w: Words) -> Line | None:
    dept = w.department(data)
    who_es = dept or "El área responsable"
    who_en = dept or "The department in charge"
    decision = data.get("decision")
    if decision == "approve":
        return Line(w.say(f"{who_es} aprobó su solicitud.", f"{who_en} approved your application."))
    if decision == "reject":
        return Line(
            w.say(
                f"{who_es} no aprobó su solicitud.", f"{who_en} did not approve your application."
            ),
            str(data.get("comment") or "").strip(),
        )
    return None  # a return is told by case.returned


def _c_returned(data: Mapping[str, Any], w: Words) -> Line:
    why = reason_text(data.get("reason"), w.lang)
    clause = (w.say(" porque ", " because ") + why) if why else ""
    due = w.date(data.get("respond_by"))
    detail = str(data.get("message") or "").strip()
    rejected = data.get("rejected_documents") or []
    if rejected:
        label = w.say("Documentos no aceptados", "Documents not accepted")
        listed = "; ".join(f"«{r.get('name')}»: {r.get('reason')}" for r in rejected)
        detail = f"{detail} {label}: {listed}.".strip()
    return Line(
        w.say(
            f"Su solicitud necesita correcciones{clause}. Tiene hasta el {due} para corregirla.",
            f"Your application needs corrections{clause}. You have until {due} to correct it.",
        ),
        detail,
    )


def _c_order_created(data: Mapping[str, Any], w: Words) -> Line:
    ref = str(data.get("reference") or "")
    return Line(
        w.say(
            f"Se generó su orden de pago con la línea de captura {ref}.",
            f"Your payment order was created with the payment reference {ref}.",
        )
    )


def _c_paid(data: Mapping[str, Any], w: Words) -> Line:
    amount = w.money(data.get("amount_cents"), str(data.get("currency") or "MXN"))
    return Line(w.say(f"Recibimos su pago de {amount}.", f"We received your payment of {amount}."))


def _c_issued(data: Mapping[str, Any], w: Words) -> Line:
    es, en = (document_name(data.get("kind"), lang) for lang in ("es", "en"))
    return Line(w.say(f"Se emitió su {es}.", f"Your {en} was issued."))


def _c_cancelled(data: Mapping[str, Any], w: Words) -> Line:
    reason = str(data.get("reason") or "").strip()
    return Line(w.say("Se canceló la solicitud.", "The application was cancelled."), reason)


def _c_closed(data: Mapping[str, Any], w: Words) -> Line | None:
    outcome = data.get("outcome")
    if outcome == "approved":
        return Line(w.say("Su trámite concluyó favorablemente.", "Your application was completed."))
    if outcome == "rejected":
        return Line(
            w.say(
                "Su trámite concluyó en sentido negativo.",
                "Your application was concluded with a refusal.",
            )
        )
    return None  # a cancellation is told by case.cancelled


# -- the staff's wording -----------------------------------------------------------------------


def _s_dept(data: Mapping[str, Any], w: Words) -> str:
    return w.department(data) or str(data.get("department") or "")


def _s_step_submitted(data: Mapping[str, Any], w: Words) -> Line:
    step = w.step(data)
    return Line(w.say(f"Se llenó «{step}».", f"“{step}” was filled in."))


def _s_task_opened(data: Mapping[str, Any], w: Words) -> Line:
    dept = _s_dept(data, w)
    return Line(w.say(f"Tarea abierta para {dept}.", f"Task opened for {dept}."))


def _s_assigned(data: Mapping[str, Any], w: Words) -> Line:
    to = str(data.get("to_name") or data.get("to") or "")
    return Line(w.say(f"Asignó la tarea a {to}.", f"Assigned the task to {to}."))


_VERBS = {
    "approve": ("Aprobó", "Approved"),
    "reject": ("Rechazó", "Rejected"),
    "return": ("Devolvió para corrección", "Returned for correction"),
}


def _s_decided(data: Mapping[str, Any], w: Words) -> Line:
    es, en = _VERBS.get(str(data.get("decision")), ("Resolvió", "Decided"))
    dept = _s_dept(data, w)
    version = data.get("version")
    suffix = f" (v{version})" if version else ""
    return Line(
        w.say(f"{es} ({dept}){suffix}.", f"{en} ({dept}){suffix}."),
        str(data.get("comment") or ""),
    )


def _s_reviewed(data: Mapping[str, Any], w: Words) -> Line:
    rejected = data.get("rejected") or []
    accepted = len(data.get("accepted") or [])
    return Line(
        w.say(
            f"Revisó los documentos: {counted(accepted, 'aceptado', 'aceptados')}, "
            f"{counted(len(rejected), 'no aceptado', 'no aceptados')}.",
            f"Reviewed documents: {accepted} accepted, {len(rejected)} not accepted.",
        ),
        "; ".join(f"{r.get('name')}: {r.get('reason')}" for r in rejected),
    )


def _s_returned(data: Mapping[str, Any], w: Words) -> Line:
    why = reason_text(data.get("reason"), w.lang)
    return Line(
        w.say(f"Expediente devuelto: {why}.", f"Case returned: {why}."),
        str(data.get("message") or ""),
    )


def _s_kept_open(data: Mapping[str, Any], w: Words) -> Line:
    dept = _s_dept(data, w)
    by = w.departments.get(str(data.get("returned_by")), str(data.get("returned_by") or ""))
    return Line(
        w.say(
            f"La tarea de {dept} sigue abierta: la devolución de {by} sólo pide corregir lo "
            "que esa área revisa.",
            f"{dept}'s task stays open: {by}'s return only asks to correct what that "
            "department reviews.",
        )
    )


def _c_kept_open(data: Mapping[str, Any], w: Words) -> Line:
    dept = _s_dept(data, w)
    return Line(
        w.say(
            f"{dept} sigue revisando su solicitud mientras usted corrige.",
            f"{dept} keeps reviewing your application while you correct it.",
        )
    )


def _s_returned_to(data: Mapping[str, Any], w: Words) -> Line:
    to = str(data.get("to_name") or data.get("to") or "")
    return Line(
        w.say(
            f"Corrección recibida: la tarea vuelve a {to}, quien devolvió el expediente.",
            f"Correction received: the task goes back to {to}, who returned the case.",
        )
    )


def _s_returned_to_queue(data: Mapping[str, Any], w: Words) -> Line:
    dept = _s_dept(data, w)
    return Line(
        w.say(
            f"Corrección recibida: quien devolvió el expediente ya no atiende tareas de {dept}; "
            "la tarea vuelve a la bandeja del área.",
            f"Correction received: whoever returned the case no longer works {dept}'s tasks; "
            "the task goes back to the department's queue.",
        )
    )


def _message_files(data: Mapping[str, Any], w: Words) -> str:
    files = [str(f.get("name") or "") for f in data.get("attachments") or () if f]
    return w.say("Adjuntos: ", "Attachments: ") + ", ".join(files) if files else ""


def _message_detail(data: Mapping[str, Any], w: Words) -> str:
    return " · ".join(p for p in (str(data.get("text") or ""), _message_files(data, w)) if p)


def _c_message(data: Mapping[str, Any], w: Words) -> Line:
    if data.get("side") == "applicant":
        return Line(w.say("Envió un mensaje.", "You sent a message."), _message_detail(data, w))
    dept = w.department(data)
    return Line(
        w.say(
            f"Mensaje del personal{f' de {dept}' if dept else ''}.",
            f"Message from the staff{f' of {dept}' if dept else ''}.",
        ),
        _message_detail(data, w),
    )


def _s_message(data: Mapping[str, Any], w: Words) -> Line:
    if data.get("side") == "applicant":
        text = w.say("Mensaje de la persona solicitante.", "Message from the applicant.")
    else:
        text = w.say("Mensaje a la persona solicitante.", "Message to the applicant.")
    return Line(text, _message_detail(data, w))


def _s_note(data: Mapping[str, Any], w: Words) -> Line:
    return Line(w.say("Nota interna", "Internal note"), str(data.get("text") or ""))


def _s_order_created(data: Mapping[str, Any], w: Words) -> Line:
    ref = str(data.get("reference") or "")
    return Line(w.say(f"Orden de pago {ref}.", f"Payment order {ref}."))


def _s_paid(data: Mapping[str, Any], w: Words) -> Line:
    amount = w.money(data.get("amount_cents"), str(data.get("currency") or "MXN"))
    return Line(w.say(f"Pago recibido: {amount}.", f"Payment received: {amount}."))


def _s_review_skipped(data: Mapping[str, Any], w: Words) -> Line:
    step = w.step(data)
    if data.get("reason") == "condition":
        return Line(
            w.say(
                f"Se omitió «{step}»: su condición no se cumple para este expediente.",
                f"“{step}” was skipped: its condition does not hold for this case.",
            )
        )
    return Line(
        w.say(
            f"Se omitió «{step}»: ninguna de sus áreas revisa este expediente.",
            f"“{step}” was skipped: none of its departments reviews this case.",
        )
    )


def _c_response_due(data: Mapping[str, Any], w: Words) -> Line:
    due = w.date(data.get("due_on"))
    return Line(
        w.say(
            f"El municipio tiene hasta el {due} para responder su solicitud.",
            f"The municipality has until {due} to answer your application.",
        )
    )


def _s_response_due(data: Mapping[str, Any], w: Words) -> Line:
    due = w.date(data.get("due_on"))
    return Line(w.say(f"Plazo máximo de respuesta: {due}.", f"Maximum response time: until {due}."))


def _c_response_lapsed(data: Mapping[str, Any], w: Words) -> Line | None:
    if not data.get("tasks"):
        return None  # the case was waiting for the applicant: nothing changes for them
    return Line(
        w.say(
            "Venció el plazo máximo de respuesta del trámite.",
            "The procedure's maximum response time has passed.",
        )
    )


def _s_response_lapsed(data: Mapping[str, Any], w: Words) -> Line:
    due = w.date(data.get("due_on"))
    return Line(
        w.say(
            f"Venció el plazo máximo de respuesta del trámite ({due}).",
            f"The procedure's maximum response time passed ({due}).",
        )
    )


def _c_step_deadline(data: Mapping[str, Any], w: Words) -> Line:
    due = w.date(data.get("due_on"))
    return Line(
        w.say(
            f"Tiene hasta el {due} para completar «{w.step(data)}».",
            f"You have until {due} to complete “{w.step(data)}”.",
        )
    )


def _s_step_deadline(data: Mapping[str, Any], w: Words) -> Line:
    due = w.date(data.get("due_on"))
    return Line(
        w.say(
            f"La persona solicitante tiene hasta el {due} para completar «{w.step(data)}».",
            f"The applicant has until {due} to complete “{w.step(data)}”.",
        )
    )


def _c_step_lapsed(data: Mapping[str, Any], w: Words) -> Line:
    return Line(
        w.say(
            f"Venció el plazo para completar «{w.step(data)}»; el trámite se dio por concluido.",
            f"The deadline to complete “{w.step(data)}” passed; the procedure was closed.",
        )
    )


def _s_step_lapsed(data: Mapping[str, Any], w: Words) -> Line:
    return Line(
        w.say(
            f"La persona solicitante no completó «{w.step(data)}» a tiempo.",
            f"The applicant did not complete “{w.step(data)}” in time.",
        )
    )


def _s_closed(data: Mapping[str, Any], w: Words) -> Line:
    outcome = outcome_name(data.get("outcome"), w.lang)
    if not outcome:
        return Line(w.say("Expediente concluido.", "Case closed."))
    return Line(w.say(f"Expediente concluido: {outcome}.", f"Case closed: {outcome}."))


_KINDS = (
    EventKind(
        "case.started",
        CITIZEN,
        _fixed("Inició la solicitud.", "You started the application."),
        _fixed("Se inició la solicitud.", "The application was started."),
    ),
    EventKind("step.entered", STAFF),
    EventKind("step.draft_saved", STAFF),
    EventKind("step.submitted", CITIZEN, _c_step_submitted, _s_step_submitted),
    EventKind(
        "case.submitted",
        CITIZEN,
        _c_submitted,
        _fixed("La persona solicitante envió la solicitud.", "Filed."),
    ),
    EventKind(
        "case.resubmitted",
        CITIZEN,
        _fixed("Envió sus correcciones.", "You submitted your corrections."),
        _fixed("Se enviaron correcciones.", "Corrections were submitted."),
    ),
    EventKind(
        "case.auto_approved",
        CITIZEN,
        _fixed("Su solicitud se aprobó de inmediato.", "Your application was approved at once."),
    ),
    EventKind("review.skipped", STAFF, None, _s_review_skipped),
    EventKind("task.opened", CITIZEN, _c_task_opened, _s_task_opened),
    EventKind("task.claimed", STAFF, None, _fixed("Tomó la tarea.", "Claimed the task.")),
    EventKind("task.released", STAFF, None, _fixed("Liberó la tarea.", "Released the task.")),
    EventKind("task.assigned", STAFF, None, _s_assigned),
    EventKind("task.decided", CITIZEN, _c_task_decided, _s_decided),
    EventKind("requirements.reviewed", STAFF, None, _s_reviewed),
    EventKind("case.returned", CITIZEN, _c_returned, _s_returned),
    EventKind("note.added", INTERNAL, None, _s_note),
    EventKind("message.sent", CITIZEN, _c_message, _s_message),
    EventKind("task.kept_open", CITIZEN, _c_kept_open, _s_kept_open),
    EventKind("task.returned_to_official", STAFF, None, _s_returned_to),
    EventKind("task.returned_to_queue", STAFF, None, _s_returned_to_queue),
    EventKind(
        "task.reminder_due",
        STAFF,
        None,
        _fixed("Recordatorio de plazo enviado.", "Deadline reminder sent."),
    ),
    EventKind(
        "task.lapsed",
        STAFF,
        None,
        _fixed("Venció el plazo de la tarea.", "The task's deadline lapsed."),
    ),
    EventKind(
        "task.escalated",
        STAFF,
        None,
        _fixed("Escalada a la dirección.", "Escalated to the director."),
    ),
    EventKind("task.cancelled", STAFF, None, _fixed("Tarea cancelada.", "Task cancelled.")),
    EventKind(
        "case.afirmativa_ficta",
        CITIZEN,
        _fixed(
            "Venció el plazo legal sin respuesta: su solicitud se tiene por aprobada "
            "(afirmativa ficta).",
            "The legal deadline passed without an answer: your application is deemed "
            "approved (afirmativa ficta).",
        ),
    ),
    EventKind(
        "case.negativa_ficta",
        CITIZEN,
        _fixed(
            "Venció el plazo legal sin respuesta: su solicitud se tiene por negada "
            "(negativa ficta).",
            "The legal deadline passed without an answer: your application is deemed "
            "refused (negativa ficta).",
        ),
    ),
    EventKind(
        "case.correction_lapsed",
        CITIZEN,
        _fixed(
            "Venció el plazo para corregir su solicitud sin recibir las correcciones.",
            "The deadline to correct your application passed without corrections.",
        ),
    ),
    EventKind("case.response_due_set", CITIZEN, _c_response_due, _s_response_due),
    EventKind("case.response_lapsed", CITIZEN, _c_response_lapsed, _s_response_lapsed),
    EventKind("step.deadline_set", CITIZEN, _c_step_deadline, _s_step_deadline),
    EventKind("step.lapsed", CITIZEN, _c_step_lapsed, _s_step_lapsed),
    EventKind("payment.order_requested", STAFF),
    EventKind(
        "payment.waived",
        CITIZEN,
        _fixed("Este trámite no tiene derechos que pagar.", "There are no fees to pay."),
    ),
    EventKind("payment.order_created", CITIZEN, _c_order_created, _s_order_created),
    EventKind("payment.confirmed", CITIZEN, _c_paid, _s_paid),
    EventKind(
        "payment.failed",
        CITIZEN,
        _fixed("Su pago no se completó.", "Your payment did not go through."),
    ),
    EventKind(
        "payment.refused",
        CITIZEN,
        _fixed(
            "El pago recibido no coincide con el importe de la orden.",
            "The payment received does not match the order's amount.",
        ),
    ),
    EventKind(
        "payment.expired",
        CITIZEN,
        _fixed(
            "Venció su orden de pago; se generará una nueva.",
            "Your payment order expired; a new one will be created.",
        ),
    ),
    EventKind("document.requested", STAFF),
    EventKind(
        "document.issued", CITIZEN, _c_issued, _fixed("Documento emitido.", "Document issued.")
    ),
    EventKind("notification.requested", STAFF),
    EventKind("connector.requested", STAFF),
    EventKind("connector.completed", STAFF),
    EventKind("connector.failed", STAFF),
    EventKind(
        "case.cancelled",
        CITIZEN,
        _c_cancelled,
        _fixed("Solicitud cancelada.", "Application cancelled."),
    ),
    EventKind("case.closed", CITIZEN, _c_closed, _s_closed),
    EventKind("ledger.registration_requested", STAFF),
)
CATALOG: dict[str, EventKind] = {k.kind: k for k in _KINDS}


# Events a person's own command records about what they did; every other event is the
# system's doing (a task opened on filing, a payment order), whoever's command caused it.
PERSONAL: frozenset[str] = frozenset(
    {
        "case.started",
        "step.submitted",
        "step.draft_saved",
        "case.submitted",
        "case.resubmitted",
        "task.claimed",
        "task.released",
        "task.assigned",
        "task.decided",
        "requirements.reviewed",
        "case.returned",
        "note.added",
        "message.sent",
        "case.cancelled",
    }
)
SYSTEM_ACTOR_ID = "system"


def done_by(kind: str, data: Mapping[str, Any], actor_id: Any, actor_name: Any) -> str | None:
    """Who a history names for an event: the person who did it, or None for the system."""
    if str(actor_id or "") == SYSTEM_ACTOR_ID or kind not in PERSONAL:
        return None
    return str(data.get("by_name") or actor_name or "") or None


def citizen_line(kind: str, data: Mapping[str, Any], words: Words) -> Line | None:
    """What the applicant's timeline says about an event; None when it says nothing."""
    entry = CATALOG.get(kind)
    if entry is None or entry.citizen is None or not visible_to_applicant(kind, data):
        return None
    return entry.citizen(data, words)


def staff_line(kind: str, data: Mapping[str, Any], words: Words) -> Line | None:
    """What the staff history says about an event; None when it says nothing."""
    entry = CATALOG.get(kind)
    if entry is None or entry.staff is None:
        return None
    return entry.staff(data, words)


def is_internal(kind: str, data: Mapping[str, Any]) -> bool:
    """Staff business only: an internal note, or any event its author marked internal."""
    entry = CATALOG.get(kind)
    return bool(
        (entry is not None and entry.audience == INTERNAL)
        or (isinstance(data, Mapping) and data.get("internal"))
    )


def visible_to_applicant(kind: str, data: Mapping[str, Any]) -> bool:
    return not is_internal(kind, data)
