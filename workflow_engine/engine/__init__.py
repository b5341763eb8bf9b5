"""The functional core: (template version, case state, command) -> (new state, events, effects)."""

from workflow_engine.engine.commands import (
    Actor,
    CancelCase,
    Command,
    ConnectorCompleted,
    ConnectorFailed,
    Decide,
    DocumentIssued,
    PaymentConfirmed,
    PaymentExpired,
    PaymentFailed,
    PaymentOrderCreated,
    SaveDraft,
    StartCase,
    SubmitCase,
    SubmitStep,
    TimerFired,
)
from workflow_engine.engine.definition import ProcedureDefinition
from workflow_engine.engine.errors import (
    ConflictError,
    EligibilityError,
    EngineError,
    ForbiddenError,
    InvalidCommandError,
    StepValidationError,
)
from workflow_engine.engine.results import Effect, Event, TransitionResult
from workflow_engine.engine.state import CaseState, PaymentState, TaskState, TimerState
from workflow_engine.engine.transition import EngineContext, apply_command, start_case

__all__ = [
    "Actor",
    "CancelCase",
    "CaseState",
    "Command",
    "ConflictError",
    "ConnectorCompleted",
    "ConnectorFailed",
    "Decide",
    "DocumentIssued",
    "Effect",
    "EligibilityError",
    "EngineContext",
    "EngineError",
    "Event",
    "ForbiddenError",
    "InvalidCommandError",
    "PaymentConfirmed",
    "PaymentExpired",
    "PaymentFailed",
    "PaymentOrderCreated",
    "PaymentState",
    "ProcedureDefinition",
    "SaveDraft",
    "StartCase",
    "StepValidationError",
    "SubmitCase",
    "SubmitStep",
    "TaskState",
    "TimerFired",
    "TimerState",
    "TransitionResult",
    "apply_command",
    "start_case",
]
