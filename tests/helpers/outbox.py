"""The outbox in tests: a settable clock, a filed mini case, the outbox rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.helpers.engine import CITIZEN, MINI, T0
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.models import OutboxMessage, table

outbox_t = table(OutboxMessage)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def file_mini_case(service: CaseService) -> int:
    case = service.start("mini", StartCase(at=T0, actor=CITIZEN))
    service.execute(
        case.case_id,
        SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=MINI["example_data"]["datos"]),
    )
    service.execute(case.case_id, SubmitCase(at=T0, actor=CITIZEN, declaration=True))
    return case.case_id


def outbox_rows(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return list(conn.execute(select(outbox_t).order_by(outbox_t.c.id)).mappings())
