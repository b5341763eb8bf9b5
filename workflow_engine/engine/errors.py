"""Domain errors: each carries a stable code and a message in Spanish and English."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_engine.rules import RuleError


class EngineError(Exception):
    """A command the engine refuses; nothing is written when it is raised."""

    code = "invalid_command"
    http_status = 422

    def __init__(self, message_es: str, message_en: str, **details: Any) -> None:
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en
        self.details = details

    def message(self, lang: str = "es") -> str:
        return self.message_en if lang == "en" else self.message_es


class InvalidCommandError(EngineError):
    """The command does not fit the case's current state."""


class ForbiddenError(EngineError):
    """The actor may not do this to this case."""

    code = "forbidden"
    http_status = 403


class ConflictError(EngineError):
    """Someone else changed the case first (stale decision, concurrent update)."""

    code = "conflict"
    http_status = 409


class StepValidationError(EngineError):
    """Submitted form data has errors; `details["errors"]` lists them per field."""

    code = "validation_failed"


class EligibilityError(EngineError):
    """An eligibility rule of the template stops the submission."""

    code = "not_eligible"


def fee_error(exc: RuleError) -> InvalidCommandError:
    """A fee that gives no amount that can be charged refuses the command."""
    return InvalidCommandError(
        "Una tarifa del trámite no dio un importe que se pueda cobrar: "
        + exc.message_es
        + " Revise los datos del expediente.",
        "A fee of the procedure did not give an amount that can be charged: "
        + exc.message_en
        + " Check the case data.",
        rule_path=exc.path,
    )
