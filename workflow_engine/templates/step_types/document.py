"""The document the procedure issues (licence, permit, certificate), signed outside the engine."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from workflow_engine.engine import state as case_state
from workflow_engine.rules import RuleError, evaluate
from workflow_engine.templates.step_types.base import TRANSITIONS, Run, StepType


class DocumentStep(StepType):
    name = "document"
    label = {"es": "Documento", "en": "Document"}
    description = {
        "es": "Emite el documento firmado (licencia, permiso, constancia).",
        "en": "Issues the signed document (licence, permit, certificate).",
    }
    properties = {"document": {"$ref": "#/$defs/document"}, "transitions": TRANSITIONS}
    required = ("document", "transitions")
    defaults = {"transitions": []}
    events = ("document.requested", "document.issued")
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        step_id = str(step["id"])
        attempt = run.next_attempt(step_id)
        run.f["status"] = case_state.AWAITING_DOCUMENT
        run.event("document.requested", step=step_id, attempt=attempt)
        run.effect(
            "document.issue", f"document:{step_id}:{attempt}", step_id=step_id, attempt=attempt
        )
        return None

    @classmethod
    def problems(cls, step: Mapping[str, Any], path: str) -> list[tuple[str, str, str, str]]:
        document = step.get("document")
        if not isinstance(document, Mapping):
            return []
        if document.get("validity_days") is not None and "valid_until" in document:
            return [
                (
                    "validity_twice",
                    f"{path}.document.valid_until",
                    f"El documento del paso «{step['id']}» tiene «validity_days» y "
                    "«valid_until» a la vez. Deje solo uno: un número de días o la fecha en "
                    "que vence.",
                    f"The document of step “{step['id']}” has both “validity_days” and "
                    "“valid_until”. Keep only one: a number of days or the date it expires.",
                )
            ]
        return []

    @classmethod
    def expires_on(
        cls,
        spec: Mapping[str, Any],
        issued_on: datetime.date,
        rule_data: Mapping[str, Any],
        tables: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> datetime.date | None:
        """The last day a document issued on ``issued_on`` is valid: ``valid_until`` (a JSON
        Logic expression giving a date, evaluated on the case's data with ``today`` the day
        of issue), else ``validity_days`` after issue; None when it never expires.

        Raises ValueError (with the reason) when ``valid_until`` gives no date."""
        expr = spec.get("valid_until")
        if expr is not None:
            try:
                value = evaluate(expr, dict(rule_data), tables=tables or {}, today=issued_on)
            except RuleError as exc:
                raise ValueError(exc.message_en) from None
            return as_date(value)
        days = spec.get("validity_days")
        return issued_on + datetime.timedelta(days=int(days)) if days else None


def as_date(value: Any) -> datetime.date:
    """A date from what a rule gave: ``YYYY-MM-DD`` or the day of a ``YYYY-MM-DDTHH:MM``
    date and time (e.g. a datetime field); ValueError otherwise."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return datetime.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise ValueError(f"valid_until gave {value!r}, not a date (YYYY-MM-DD)")
