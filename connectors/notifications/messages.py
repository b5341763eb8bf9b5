"""What each notification says, in plain Spanish.

Messages carry the least personal data that lets the reader act: the folio, the procedure's
name and what to do next. Anything more (an official's observations, a payment failure
reason) is a `private` note: it is kept in the in-app notification, and the e-mail only
says where to read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectors._common import CaseRecord, localized, long_date, money

RETURN_REASONS = {
    "incorrect": "hay datos incorrectos",
    "incomplete": "falta información o documentos",
    "outdated": "algún documento no está vigente",
}
# Document kinds with the agreement of «listo/lista».
KIND_NAMES = {
    "licencia": ("licencia", "lista"),
    "permiso": ("permiso", "listo"),
    "constancia": ("constancia", "lista"),
    "certificado": ("certificado", "listo"),
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str  # what everybody reads (in-app and e-mail)
    private: str | None = None  # only in-app; the e-mail points to the case instead


def _currency(case: CaseRecord | None, payload: Mapping[str, Any]) -> str:
    if payload.get("currency"):
        return str(payload["currency"])
    if case is not None:
        reference = payload.get("reference")
        for payment in [case.state.get("payment") or {}, *(case.state.get("payments") or ())]:
            if payment and payment.get("reference") == reference and payment.get("currency"):
                return str(payment["currency"])
    return "MXN"


def compose(
    template: str, payload: Mapping[str, Any], case: CaseRecord | None, audience: str
) -> Message:
    """The subject and text of a notification. `audience` is `applicant` or `staff`."""
    folio = str(payload.get("folio") or (case.folio if case else ""))
    title = case.procedure_title if case else str(payload.get("procedure") or "su trámite")
    proc = f"«{title}»"
    amount = money(payload.get("total_cents"), _currency(case, payload))
    reference = str(payload.get("reference") or "")

    if template == "case_submitted":
        return Message(
            f"Recibimos su solicitud {folio}",
            f"Su solicitud de {proc} quedó registrada con el folio {folio}. "
            "Le avisaremos cuando haya una respuesta o si necesita hacer algo.",
        )
    if template == "draft_expiring":
        expires = long_date(payload.get("expires_on"))
        return Message(
            f"Su borrador {folio} se cancelará el {expires}",
            f"Su solicitud de {proc} (folio {folio}) sigue como borrador y no ha tenido cambios. "
            f"Si no la continúa, la cancelaremos el {expires} y se borrarán los archivos que "
            "subió. Para conservarla, entre a su expediente y continúe la solicitud.",
        )
    if template == "case_returned":
        reason = RETURN_REASONS.get(str(payload.get("reason")), "")
        why = f" porque {reason}" if reason else ""
        respond_by = long_date(payload.get("respond_by"))
        deadline = (
            f" Tiene hasta el {respond_by} para corregirla; si no lo hace, la solicitud "
            "se dará por concluida."
            if respond_by
            else ""
        )
        comment = str(payload.get("message") or "").strip()
        return Message(
            f"Su solicitud {folio} necesita correcciones",
            f"Revisamos su solicitud de {proc} y necesita correcciones{why}.{deadline}",
            f"Observaciones del personal que la revisó: {comment}" if comment else None,
        )
    if template == "case_resubmitted":
        return Message(
            f"Recibimos sus correcciones ({folio})",
            f"Recibimos las correcciones de su solicitud de {proc} (folio {folio}). "
            "Continuaremos con la revisión.",
        )
    if template == "case_approved":
        return Message(
            f"Su trámite {folio} concluyó favorablemente",
            f"Su solicitud de {proc} fue aprobada y el trámite concluyó. Si se emitió un "
            "documento, puede descargarlo desde su expediente.",
        )
    if template == "case_rejected":
        return Message(
            f"Su solicitud {folio} fue resuelta",
            f"Su solicitud de {proc} fue resuelta en sentido negativo. En su expediente "
            "puede consultar el motivo y cómo inconformarse si no está de acuerdo.",
        )
    if template == "case_cancelled":
        return Message(
            f"Su solicitud {folio} fue cancelada",
            f"La solicitud de {proc} con folio {folio} fue cancelada y no continuará.",
        )
    if template == "payment_due":
        expires = long_date(payload.get("expires_on"))
        until = f" Fecha límite de pago: {expires}." if expires else ""
        return Message(
            f"Orden de pago de su trámite {folio}",
            f"Para continuar con {proc} debe pagar {amount}. Línea de captura: "
            f"{reference}.{until} Puede pagar en línea desde su expediente o en las cajas "
            "de la Tesorería municipal.",
        )
    if template == "payment_received":
        return Message(
            f"Recibimos su pago ({folio})",
            f"Registramos su pago de {amount} con la línea de captura {reference}. "
            f"Su trámite {proc} continúa.",
        )
    if template == "payment_failed":
        reason = str(payload.get("reason") or "").strip()
        return Message(
            f"No se completó su pago ({folio})",
            f"El pago con la línea de captura {reference} no se completó. Puede intentarlo "
            "de nuevo desde su expediente o pagar en las cajas de la Tesorería municipal.",
            f"Motivo informado por el banco: {reason}" if reason else None,
        )
    if template == "payment_expired":
        return Message(
            f"Venció su orden de pago ({folio})",
            f"La línea de captura {reference} venció sin pago. Generamos una nueva orden de "
            "pago; la recibirá en breve y también la verá en su expediente.",
        )
    if template == "document_issued":
        kind, ready = KIND_NAMES.get(str(payload.get("kind")), ("documento", "listo"))
        return Message(
            f"Su {kind} está {ready} ({folio})",
            f"Ya puede descargar su {kind} del trámite {proc} desde su expediente.",
        )
    if template == "action_required":
        return Message(
            f"Su trámite {folio} requiere que complete un paso",
            f"Para continuar con {proc} necesitamos que complete un paso más en su expediente.",
        )
    if template == "task_assigned":
        due = long_date(payload.get("due_on"))
        return Message(
            f"Nueva solicitud por revisar: {folio}",
            f"La solicitud {folio} de {proc} espera revisión en la bandeja de su área."
            + (f" Plazo para resolver: {due}." if due else ""),
        )
    if template == "deadline_reminder":
        due = long_date(payload.get("due_on"))
        return Message(
            f"Recordatorio: la solicitud {folio} vence el {due}",
            f"El plazo para resolver la solicitud {folio} de {proc} vence el {due}. "
            "Resuélvala antes para cumplir el plazo legal.",
        )
    if template == "task_escalated":
        due = long_date(payload.get("due_on"))
        return Message(
            f"Plazo vencido: solicitud {folio}",
            f"Venció el plazo ({due}) para resolver la solicitud {folio} de {proc}. "
            "Revise la bandeja del área para asignarla o resolverla.",
        )
    if template == "step_notice":
        subject = localized(payload.get("subject"), f"Aviso sobre su trámite {folio}")
        text = localized(payload.get("message"), "")
        lead = f"{text}\n\n" if text else ""
        return Message(subject, f"{lead}Trámite: {title}. Folio: {folio}.")
    return Message(
        f"Novedades de su trámite {folio}",
        f"Hay novedades en su trámite {proc} (folio {folio}). Consulte su expediente.",
    )
