"""The case as an official reads it: answers under their labels (not JSON keys), attached
requirements with previews, and the history in sentences that name who did what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.cases import RETURN_REASONS, format_moment, money
from app.catalog import localized
from app.wizard.display import lines
from workflow_engine.engine import CaseState

PREVIEWABLE = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}


def _file(ref: Mapping[str, Any]) -> dict[str, Any]:
    ctype = str(ref.get("content_type", ""))
    return {
        "id": str(ref.get("id", "")),
        "name": str(ref.get("name", "")),
        "size_kb": max(1, int(ref.get("size", 0) or 0) // 1024),
        "preview": PREVIEWABLE.get(ctype, ""),
    }


def _field(fld: Mapping[str, Any], value: Any, lang: str) -> dict[str, Any] | None:
    label = localized(fld.get("label"), lang) or str(fld["id"])
    kind = fld.get("type")
    if kind == "file":
        refs = [r for r in value or () if isinstance(r, Mapping)]
        return {"label": label, "files": [_file(r) for r in refs]} if refs else None
    if kind == "group":
        items = []
        for item in value or ():
            if not isinstance(item, Mapping):
                continue
            sub = [_field(s, item.get(s["id"]), lang) for s in fld.get("fields", ())]
            items.append([s for s in sub if s])
        return {"label": label, "entries": items} if items else None
    shown = lines(fld, value)
    return {"label": label, "lines": shown} if shown else None


def submitted_sections(
    definition: Mapping[str, Any], state: CaseState, lang: str
) -> list[dict[str, Any]]:
    """One section per form step the applicant filled in, in the order they did."""
    steps = {s["id"]: s for s in definition.get("steps", ())}
    sections = []
    for step_id in state.form_path:
        step = steps.get(step_id)
        if step is None or step.get("type") != "form":
            continue
        fields = [_field(f, state.data.get(f["id"]), lang) for f in step.get("fields", ())]
        sections.append(
            {
                "id": step_id,
                "title": localized(step.get("title"), lang) or step_id,
                "fields": [f for f in fields if f],
            }
        )
    return sections


def requirements(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every attached file, with the requirement (field label) and step it answers."""
    found: list[dict[str, Any]] = []

    def walk(fields: list[dict[str, Any]], step: str, parent: str = "") -> None:
        for f in fields:
            label = f"{parent} · {f['label']}" if parent else f["label"]
            for file in f.get("files", ()):
                found.append({**file, "requirement": label, "step": step})
            for item in f.get("entries", ()):
                walk(item, step, f["label"])

    for section in sections:
        walk(section["fields"], section["title"])
    return found


def _says(lang: str, es: str, en: str) -> str:
    return en if lang == "en" else es


def staff_timeline(
    events: list[dict[str, Any]],
    lang: str,
    departments: Mapping[str, str],
    steps: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The whole history for staff, newest last; internal notes are marked as such."""
    out: list[dict[str, Any]] = []
    for event in events:
        kind = str(event["type"])
        data: Mapping[str, Any] = event.get("data") or {}
        who = str(data.get("by_name") or event.get("actor_name") or "")
        dept = departments.get(str(data.get("department")), str(data.get("department") or ""))
        text, detail = _describe(kind, data, lang, dept, steps)
        if text is None:
            continue
        out.append(
            {
                "text": text,
                "detail": detail,
                "who": who,
                "when": format_moment(event["created_at"], lang),
                "iso": event["created_at"].isoformat(),
                "internal": kind == "note.added",
            }
        )
    return out


def _describe(
    kind: str, data: Mapping[str, Any], lang: str, dept: str, steps: Mapping[str, str]
) -> tuple[str | None, str]:
    step = steps.get(str(data.get("step")), str(data.get("step") or ""))
    if kind == "case.started":
        return _says(lang, "Se inició la solicitud.", "The application was started."), ""
    if kind == "step.submitted":
        return _says(lang, f"Se llenó «{step}».", f"“{step}” was filled in."), ""
    if kind == "case.submitted":
        return _says(lang, "La persona solicitante envió la solicitud.", "Filed."), ""
    if kind == "case.resubmitted":
        return _says(lang, "Se enviaron correcciones.", "Corrections were submitted."), ""
    if kind == "task.opened":
        return _says(lang, f"Tarea abierta para {dept}.", f"Task opened for {dept}."), ""
    if kind == "task.claimed":
        return _says(lang, "Tomó la tarea.", "Claimed the task."), ""
    if kind == "task.released":
        return _says(lang, "Liberó la tarea.", "Released the task."), ""
    if kind == "task.assigned":
        to = str(data.get("to_name") or data.get("to") or "")
        return _says(lang, f"Asignó la tarea a {to}.", f"Assigned the task to {to}."), ""
    if kind == "task.decided":
        verb = {
            "approve": ("Aprobó", "Approved"),
            "reject": ("Rechazó", "Rejected"),
            "return": ("Devolvió para corrección", "Returned for correction"),
        }.get(str(data.get("decision")), ("Resolvió", "Decided"))
        version = data.get("version")
        suffix = f" (v{version})" if version else ""
        return (
            _says(lang, f"{verb[0]} ({dept}){suffix}.", f"{verb[1]} ({dept}){suffix}."),
            str(data.get("comment") or ""),
        )
    if kind == "requirements.reviewed":
        rejected = data.get("rejected") or []
        names = "; ".join(f"{r.get('name')}: {r.get('reason')}" for r in rejected)
        accepted = len(data.get("accepted") or [])
        return (
            _says(
                lang,
                f"Revisó los documentos: {accepted} aceptado(s), {len(rejected)} no aceptado(s).",
                f"Reviewed documents: {accepted} accepted, {len(rejected)} not accepted.",
            ),
            names,
        )
    if kind == "case.returned":
        pair = RETURN_REASONS.get(str(data.get("reason")))
        why = _says(lang, pair[0], pair[1]) if pair else ""
        return (
            _says(lang, f"Expediente devuelto: {why}.", f"Case returned: {why}."),
            str(data.get("message") or ""),
        )
    if kind == "note.added":
        return _says(lang, "Nota interna", "Internal note"), str(data.get("text") or "")
    if kind == "task.reminder_due":
        return _says(lang, "Recordatorio de plazo enviado.", "Deadline reminder sent."), ""
    if kind == "task.lapsed":
        return _says(lang, "Venció el plazo de la tarea.", "The task's deadline lapsed."), ""
    if kind == "task.escalated":
        return _says(lang, "Escalada a la dirección.", "Escalated to the director."), ""
    if kind == "task.cancelled":
        return _says(lang, "Tarea cancelada.", "Task cancelled."), ""
    if kind == "payment.order_created":
        ref = str(data.get("reference") or "")
        return _says(lang, f"Orden de pago {ref}.", f"Payment order {ref}."), ""
    if kind == "payment.confirmed":
        amount = money(data.get("amount_cents"), str(data.get("currency") or "MXN"))
        return _says(lang, f"Pago recibido: {amount}.", f"Payment received: {amount}."), ""
    if kind == "document.issued":
        return _says(lang, "Documento emitido.", "Document issued."), ""
    if kind == "case.closed":
        outcome = str(data.get("outcome") or "")
        return _says(lang, f"Expediente concluido: {outcome}.", f"Case closed: {outcome}."), ""
    if kind == "case.cancelled":
        return _says(lang, "Solicitud cancelada.", "Application cancelled."), ""
    return None, ""
