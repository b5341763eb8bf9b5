"""Is a procedure ready to go live? The checklist the configurator shows before publishing.

``readiness(doc, problems)`` looks at a draft (valid or not) and the validator's problems for
it and answers, item by item, in the liaison's words (es and en):

- the requirements the applicant brings are listed (an empty list is allowed, with a warning:
  some procedures, such as an access-to-information request, may ask for nothing);
- what it costs is set: every payment step has fee lines, or, with no payment step, the
  information says what it costs (e.g. «Gratuito»: an explicit "no fee");
- every document step has its text;
- every review (approval, parallel approval) has its deadline in business days;
- English texts: optional, so a missing one is a warning, never a blocker;
- the validator has no errors.

An item is ``OK``, a ``WARNING`` (publishing goes ahead) or a ``BLOCKER`` (publishing is
refused while it remains). Pure: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from workflow_engine.plural import counted
from workflow_engine.templates.step_types import (
    ApprovalStep,
    DocumentStep,
    ParallelStep,
    PaymentStep,
)
from workflow_engine.templates.validation import Problem

__all__ = ["BLOCKER", "OK", "WARNING", "Check", "Readiness", "readiness"]

OK = "ok"
WARNING = "warning"
BLOCKER = "blocker"

# What is not text a citizen reads: sample answers, numbers, fee tables.
_NOT_TEXT = frozenset({"example_data", "constants", "fee_tables", "ledger"})


@dataclass(frozen=True)
class Check:
    """One item of the checklist: its code (``requirements``, ``fees``, ``document``,
    ``deadlines``, ``english``, ``errors``), its status and what to do, in es and en."""

    code: str
    status: str
    message_es: str
    message_en: str
    elements: tuple[str, ...] = ()  # the step ids at fault, when the item is about steps

    def message(self, lang: str) -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_es

    @property
    def blocks(self) -> bool:
        return self.status == BLOCKER


@dataclass(frozen=True)
class Readiness:
    checks: tuple[Check, ...]

    @property
    def ready(self) -> bool:
        """True when nothing blocks publication (warnings do not)."""
        return not any(c.blocks for c in self.checks)

    @property
    def blockers(self) -> list[Check]:
        return [c for c in self.checks if c.blocks]

    @property
    def warnings(self) -> list[Check]:
        return [c for c in self.checks if c.status == WARNING]


def readiness(doc: Any, problems: Iterable[Problem]) -> Readiness:
    """The checklist of ``doc`` given the validator's ``problems`` for it."""
    doc = doc if isinstance(doc, dict) else {}
    steps = [s for s in doc.get("steps") or [] if isinstance(s, dict)]
    return Readiness(
        (
            _requirements(doc),
            _fees(doc, steps),
            _documents(steps),
            _deadlines(steps),
            _english(doc),
            _errors(list(problems)),
        )
    )


def _requirements(doc: dict[str, Any]) -> Check:
    catalog = doc.get("catalog")
    found = catalog.get("requirements") if isinstance(catalog, dict) else None
    if not isinstance(found, list):
        return Check(
            "requirements",
            BLOCKER,
            "Falta la lista de requisitos en la información del trámite.",
            "The list of requirements is missing from the procedure's information.",
        )
    if not found:
        return Check(
            "requirements",
            WARNING,
            "No hay requisitos: confirme que el trámite de verdad no pide ningún documento.",
            "There are no requirements: make sure the procedure really asks for no document.",
        )
    return Check(
        "requirements",
        OK,
        f"{counted(len(found), 'requisito listado', 'requisitos listados')}.",
        f"{counted(len(found), 'requirement listed', 'requirements listed')}.",
    )


def _fees(doc: dict[str, Any], steps: list[dict[str, Any]]) -> Check:
    payments = [s for s in steps if s.get("type") == PaymentStep.name]
    if payments:
        empty = tuple(str(s.get("id", "")) for s in payments if not s.get("fee_lines"))
        if empty:
            return Check(
                "fees",
                BLOCKER,
                "Un paso de pago no tiene conceptos de cobro: agréguelos o quite el paso.",
                "A payment step has no fee lines: add them or remove the step.",
                empty,
            )
        lines = sum(len(s.get("fee_lines") or []) for s in payments)
        return Check(
            "fees",
            OK,
            f"Cobro definido: {counted(lines, 'concepto', 'conceptos')}.",
            f"Fees set: {counted(lines, 'fee line', 'fee lines')}.",
        )
    catalog = doc.get("catalog")
    cost = catalog.get("cost") if isinstance(catalog, dict) else None
    if isinstance(cost, dict) and str(cost.get("es") or "").strip():
        return Check(
            "fees",
            OK,
            f"Sin pago; la información dice: «{cost['es']}».",
            f"No payment; the information says: “{cost.get('en') or cost['es']}”.",
        )
    return Check(
        "fees",
        BLOCKER,
        "No se sabe cuánto cuesta: agregue un paso de pago o escriba en la información que "
        "el trámite es gratuito (campo «Costo»).",
        "What it costs is not said: add a payment step or write in the information that "
        "the procedure is free (the “Cost” field).",
    )


def _documents(steps: list[dict[str, Any]]) -> Check:
    issuing = [s for s in steps if s.get("type") == DocumentStep.name]
    if not issuing:
        return Check(
            "document", OK, "El trámite no emite documentos.", "The procedure issues no document."
        )
    missing = tuple(str(s.get("id", "")) for s in issuing if not _has_text(s.get("document")))
    if missing:
        return Check(
            "document",
            BLOCKER,
            f"Falta el texto del documento en {counted(len(missing), 'paso', 'pasos')}.",
            f"The document text is missing in {counted(len(missing), 'step', 'steps')}.",
            missing,
        )
    return Check(
        "document",
        OK,
        f"Texto listo en {counted(len(issuing), 'documento', 'documentos')}.",
        f"Text ready in {counted(len(issuing), 'document', 'documents')}.",
    )


def _has_text(document: Any) -> bool:
    body = document.get("body") if isinstance(document, dict) else None
    return isinstance(body, dict) and bool(str(body.get("es") or "").strip())


def _deadlines(steps: list[dict[str, Any]]) -> Check:
    reviews = [s for s in steps if s.get("type") in (ApprovalStep.name, ParallelStep.name)]
    if not reviews:
        return Check(
            "deadlines", OK, "El trámite no tiene revisiones.", "The procedure has no reviews."
        )
    missing = tuple(str(s.get("id", "")) for s in reviews if not s.get("deadline_days"))
    if missing:
        return Check(
            "deadlines",
            BLOCKER,
            f"Falta el plazo (días hábiles) en {counted(len(missing), 'revisión', 'revisiones')}.",
            f"The deadline (business days) is missing in "
            f"{counted(len(missing), 'review', 'reviews')}.",
            missing,
        )
    return Check(
        "deadlines",
        OK,
        f"Plazo definido en {counted(len(reviews), 'revisión', 'revisiones')}.",
        f"Deadline set in {counted(len(reviews), 'review', 'reviews')}.",
    )


def _texts(value: Any) -> Iterator[dict[str, Any]]:
    """Every localized text ({"es": …, "en": …}) in a part of the document."""
    if isinstance(value, dict):
        if "es" in value and set(value) <= {"es", "en"} and isinstance(value["es"], str):
            yield value
            return
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _english(doc: dict[str, Any]) -> Check:
    texts = [t for k, v in doc.items() if k not in _NOT_TEXT for t in _texts(v)]
    missing = sum(1 for t in texts if t["es"].strip() and not str(t.get("en") or "").strip())
    if missing:
        return Check(
            "english",
            WARNING,
            f"{counted(missing, 'texto sin traducción', 'textos sin traducción')} al inglés "
            "(opcional: se mostrarán en español).",
            f"{counted(missing, 'text', 'texts')} without an English translation (optional: "
            "they are shown in Spanish).",
        )
    return Check("english", OK, "Textos en inglés completos.", "English texts complete.")


def _errors(problems: list[Problem]) -> Check:
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    if errors:
        return Check(
            "errors",
            BLOCKER,
            f"El revisor encontró {counted(errors, 'error', 'errores')}: corríjalos antes de "
            "publicar.",
            f"The checker found {counted(errors, 'error', 'errors')}: fix them before publishing.",
        )
    if warnings:
        return Check(
            "errors",
            WARNING,
            f"Sin errores; {counted(warnings, 'advertencia', 'advertencias')} para revisar.",
            f"No errors; {counted(warnings, 'warning', 'warnings')} to look at.",
        )
    return Check("errors", OK, "Sin errores ni advertencias.", "No errors or warnings.")
