"""Without a broker, INLINE_EFFECTS=thread runs effects beside the request, not inside it."""

from __future__ import annotations

import copy
import time

from sqlalchemy import select

from tests.unit.engine_helpers import CITIZEN, MINI
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.models import OutboxMessage, table
from workflow_engine.persistence.types import utcnow


def test_effects_run_on_a_background_thread(sqlite_url: str, app_factory) -> None:  # type: ignore[no-untyped-def]
    app = app_factory(sqlite_url, inline_effects="thread")
    services = app.extensions["tramita"]
    services.catalog.save_draft(copy.deepcopy(MINI))
    services.catalog.publish("mini")
    case = services.cases.start("mini", StartCase(at=utcnow(), actor=CITIZEN))
    services.cases.execute(
        case.case_id,
        SubmitStep(
            at=utcnow(), actor=CITIZEN, step_id="datos", values=MINI["example_data"]["datos"]
        ),
    )
    services.cases.execute(case.case_id, SubmitCase(at=utcnow(), actor=CITIZEN, declaration=True))
    outbox = table(OutboxMessage)
    deadline = time.monotonic() + 20
    statuses: list[str] = []
    while time.monotonic() < deadline:
        with services.engine.connect() as conn:
            statuses = list(conn.execute(select(outbox.c.status)).scalars())
        if statuses and set(statuses) == {"done"}:
            break
        time.sleep(0.05)
    assert statuses and set(statuses) == {"done"}, statuses
