"""Without a broker, INLINE_EFFECTS=thread runs effects beside the request, not inside it."""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers.engine import CITIZEN, MINI
from workflow_engine.engine import StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.models import OutboxMessage, table
from workflow_engine.persistence.types import utcnow

outbox = table(OutboxMessage)


def _statuses(services: Any, kind: str | None = None) -> list[str]:
    query = select(outbox.c.status)
    if kind is not None:
        query = query.where(outbox.c.kind == kind)
    with services.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _wait_all_done(services: Any) -> list[str]:
    deadline = time.monotonic() + 20
    statuses: list[str] = []
    while time.monotonic() < deadline:
        statuses = _statuses(services)
        if statuses and set(statuses) == {"done"}:
            break
        time.sleep(0.05)
    return statuses


@pytest.mark.parametrize("mode", ["thread", "sync"])
def test_filing_returns_while_its_effects_are_still_running(
    sqlite_url: str,
    app_factory: Any,
    mode: str,
) -> None:
    """An e-mail that hangs does not hold up the citizen's submission (`thread`); with `sync`
    it runs inside the call, so the same check must see the opposite."""
    app = app_factory(sqlite_url, inline_effects=mode)
    services = app.extensions["tramita"]
    services.catalog.save_draft(copy.deepcopy(MINI))
    services.catalog.publish("mini")
    caller = threading.current_thread()
    blocked, release = threading.Event(), threading.Event()
    ran_on: list[threading.Thread] = []
    real_notify = services.outbox.handlers["notify"]

    def hanging_notify(item: Any) -> Any:
        ran_on.append(threading.current_thread())
        if threading.current_thread() is not caller:  # never hang the test itself
            blocked.set()
            release.wait(30)
        return real_notify(item)

    services.outbox.handlers["notify"] = hanging_notify
    case = services.cases.start("mini", StartCase(at=utcnow(), actor=CITIZEN))
    values = MINI["example_data"]["datos"]
    services.cases.execute(
        case.case_id, SubmitStep(at=utcnow(), actor=CITIZEN, step_id="datos", values=values)
    )
    try:
        services.cases.execute(
            case.case_id, SubmitCase(at=utcnow(), actor=CITIZEN, declaration=True)
        )
        # The call is back; where did its e-mails go?
        if mode == "thread":
            assert blocked.wait(10), "no effect started beside the command"
            assert "done" not in _statuses(services, "notify"), "an e-mail finished while hung"
        else:
            assert not blocked.is_set() and ran_on and set(ran_on) == {caller}
            assert set(_statuses(services, "notify")) == {"done"}
    finally:
        release.set()
    statuses = _wait_all_done(services)
    assert statuses and set(statuses) == {"done"}, statuses
    if mode == "thread":
        assert ran_on and caller not in ran_on, "an effect ran inside the command"
