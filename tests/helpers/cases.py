"""Case factories: cases moved forward through the real CaseService with each procedure's
example data, the way a citizen and the officials would."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.helpers.web import account
from workflow_engine.engine import Actor, CaseState, Decide, StartCase, SubmitCase, SubmitStep
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.models import PaymentOrder, table
from workflow_engine.persistence.types import utcnow

CITIZEN = "ciudadano@demo.gob.mx"
FILLING_IN = (case_state.DRAFT, case_state.READY, case_state.AWAITING_APPLICANT)


def walk_with_examples(
    services: Any,
    case_id: int,
    actor: Actor,
    until: Callable[[CaseState], bool],
    answers: Mapping[str, Mapping[str, Any]] | None = None,
    limit: int = 30,
    run_outbox: bool = True,
) -> CaseState:
    """Move the case until `until(state)`: the outbox runs (unless `run_outbox` is false: a
    worker runs it), each form step is answered with the procedure's example data
    (`answers[step]` overrides fields), the case is filed when ready and every open review
    task is approved. Returns the state that satisfied `until`."""
    for _ in range(limit):
        if run_outbox:
            services.outbox.run_due()
        loaded = services.cases.load(case_id)
        state: CaseState = loaded[0]
        definition = loaded[1]
        if until(state):
            return state
        if state.status in (case_state.DRAFT, case_state.AWAITING_APPLICANT):
            values = dict(definition.example_data().get(state.position, {}))
            values.update((answers or {}).get(state.position, {}))
            services.cases.execute(
                case_id, SubmitStep(at=utcnow(), actor=actor, step_id=state.position, values=values)
            )
        elif state.status == case_state.READY:
            services.cases.execute(case_id, SubmitCase(at=utcnow(), actor=actor, declaration=True))
        elif state.status == case_state.IN_REVIEW:
            for task in state.open_tasks():
                official = Actor(
                    id="x",
                    kind="official",
                    departments=frozenset([task.department]),
                    roles=frozenset([task.role]),
                )
                services.cases.execute(
                    case_id,
                    Decide(at=utcnow(), actor=official, task_id=task.id, decision="approve"),
                )
    raise AssertionError(f"case {case_id} never got there (status {state.status})")


def file_with_examples(services: Any, key: str, actor: Actor) -> Any:
    """A case of `key` started and filed by `actor` with the example data (the outbox is left
    alone); returns what `cases.start` returned (case id, folio)."""
    started = services.cases.start(key, StartCase(at=utcnow(), actor=actor))
    walk_with_examples(
        services,
        started.case_id,
        actor,
        lambda s: s.status not in FILLING_IN,
        run_outbox=False,
    )
    return started


def awaiting_payment(
    app: Flask,
    key: str,
    email: str = CITIZEN,
    answers: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[int, Any]:
    """A case of `email`'s, filed (and approved where it needs to be), waiting for payment:
    (case id, its payment order row)."""
    services = app.extensions["tramita"]
    actor = account(app, email).actor()
    case_id = services.cases.start(key, StartCase(at=utcnow(), actor=actor)).case_id
    state = walk_with_examples(
        services,
        case_id,
        actor,
        lambda s: (
            s.status == case_state.AWAITING_PAYMENT and bool(s.payment and s.payment.reference)
        ),
        answers,
    )
    assert state.payment is not None
    orders = table(PaymentOrder)
    with services.engine.connect() as conn:
        order = conn.execute(
            select(orders).where(orders.c.reference == state.payment.reference)
        ).one()
    return case_id, order
