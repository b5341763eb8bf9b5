"""What a transition produces besides the new state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_engine.engine.state import CaseState


@dataclass(frozen=True)
class Event:
    """Something that happened to a case; persisted append-only in the case history."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Effect:
    """Work to do outside the transaction (email, payment order, document, connector call).

    `key` is the idempotency key: running the same effect twice must be harmless.
    """

    kind: str
    key: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TransitionResult:
    state: CaseState
    events: tuple[Event, ...]
    effects: tuple[Effect, ...]
