"""Dry runs of a template, for the command line (`templates simulate`) and the
configurator's test run: one way to answer connector lookups, read the municipality's
calendar and draw a document's preview PDF, so both say the same thing. Nothing is stored,
no e-mail is sent, nothing reaches an inbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflow_engine.templates.preview import (
    SimulatedDocument,
    Simulation,
    SimulationError,
    readable,
    simulate,
)
from workflow_engine.templates.validation import Problem, validate_template

if TYPE_CHECKING:
    from app.services import Services

__all__ = ["TrialRun", "connector_lookup", "preview_pdf", "run_trial"]


@dataclass(frozen=True)
class TrialRun:
    """A dry run's result: how far it went, and why it stopped early (es, en) if it did."""

    simulation: Simulation
    stopped: tuple[str, str] | None
    problems: list[Problem]


def connector_lookup(name: str, given: Mapping[str, Any]) -> Any:
    """Answer a connector step as the configured registry would (the demo's doubles); None
    when no connector of that name is configured (the dry run notes it was skipped)."""
    from connectors.registry import UnknownConnectorError, default_registry

    try:
        operation = default_registry().operation(name)
    except UnknownConnectorError:
        return None
    return operation(dict(given))


def run_trial(
    services: Services,
    doc: Mapping[str, Any],
    data: Mapping[str, Mapping[str, Any]] | None,
    decisions: Sequence[str],
    *,
    at: datetime,
    pay: bool = True,
    problems: list[Problem] | None = None,
) -> TrialRun:
    """Walk one case of `doc` (a draft may have errors) on the municipality's calendar."""
    if problems is None:
        problems = validate_template(doc)
    try:
        sim = simulate(
            doc,
            data,
            decisions,
            at=at,
            ctx=services.cases.detached_context(),
            lookup=connector_lookup,
            problems=problems,
            pay=pay,
        )
    except SimulationError as exc:
        return TrialRun(exc.simulation, (exc.message_es, exc.message_en), problems)
    return TrialRun(sim, None, problems)


def preview_pdf(
    services: Services, doc: Mapping[str, Any], document: SimulatedDocument, at: datetime
) -> bytes | None:
    """The unsigned PDF (marked «VISTA PREVIA») a document step would issue in the dry run;
    None when a draft's document cannot be drawn (its errors are the validator's)."""
    from app.services import connector_settings
    from connectors.common import department_name
    from connectors.documents.issue import issuing_department
    from connectors.documents.preview import render_preview

    shown = readable(doc)
    key = issuing_department(shown, document.step_id)
    with services.engine.connect() as conn:
        department = department_name(conn, key if isinstance(key, str) else None)
    try:
        return render_preview(
            connector_settings(services.settings), shown, document, at=at, department=department
        )
    except Exception:  # a draft's broken document: said by the caller, never a traceback
        return None
