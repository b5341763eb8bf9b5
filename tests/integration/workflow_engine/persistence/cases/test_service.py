"""The case service on a real database (SQLite and PostgreSQL): one transaction per command,
optimistic locking, the hash-chained append-only history, tasks and timers for queries."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.helpers.engine import CITIZEN, MINI, REVIEWER, SYSTEM, T0
from workflow_engine.engine import (
    ConflictError,
    Decide,
    SaveDraft,
    StartCase,
    StepValidationError,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.persistence.cases.service import CaseService, NotFoundError
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import Case, Task, Timer
from workflow_engine.persistence.platform.catalog import Catalog, TemplateInvalidError

GOOD = MINI["example_data"]["datos"]


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def service(engine):  # type: ignore[no-untyped-def]
    Catalog(engine).save_draft(copy.deepcopy(MINI))
    Catalog(engine).publish("mini")
    return CaseService(engine)


def filed(service: CaseService) -> int:
    case = service.start("mini", StartCase(at=T0, actor=CITIZEN))
    service.execute(case.case_id, SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=GOOD))
    service.execute(case.case_id, SubmitCase(at=T0, actor=CITIZEN, declaration=True))
    return case.case_id


def test_a_case_is_stored_with_a_valid_folio_and_its_history(service: CaseService) -> None:
    from workflow_engine.folio import is_valid_folio

    case_id = filed(service)
    state, _definition, version = service.load(case_id)
    assert is_valid_folio(state.folio) and state.folio.startswith("CHO-2026-")
    assert version == 4  # start, submit step, submit case
    types = [e["type"] for e in service.history(case_id)]
    assert (
        types[:3] == ["case.started", "step.entered", "step.submitted"]
        or types[0] == "case.started"
    )
    assert "case.submitted" in types and "task.opened" in types
    assert service.verify_history(case_id) == []


def test_tasks_and_timers_are_copied_for_inbox_queries(service: CaseService, engine) -> None:  # type: ignore[no-untyped-def]
    case_id = filed(service)
    with engine.connect() as conn:
        task = conn.execute(select(Task.__table__).where(Task.__table__.c.case_id == case_id)).one()
        timers = conn.execute(select(Timer.__table__.c.kind)).scalars().all()
    assert task.department == "desarrollo-economico" and task.status == "open"
    assert sorted(timers) == ["task_deadline", "task_reminder"]
    service.execute(
        case_id, Decide(at=T0, actor=REVIEWER, task_id=task.task_key, decision="approve")
    )
    with engine.connect() as conn:
        status = conn.execute(select(Task.__table__.c.status)).scalar_one()
        timers = conn.execute(select(Timer.__table__.c.kind)).scalars().all()
    assert status == "approved" and timers == []


def test_a_refused_command_writes_nothing(service: CaseService, engine) -> None:  # type: ignore[no-untyped-def]
    case = service.start("mini", StartCase(at=T0, actor=CITIZEN))
    before = service.history(case.case_id)
    with pytest.raises(StepValidationError):
        service.execute(
            case.case_id, SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values={"edad": "x"})
        )
    assert service.history(case.case_id) == before


def test_stale_expected_version_is_a_conflict(service: CaseService) -> None:
    case_id = filed(service)
    state, _d, version = service.load(case_id)
    (task,) = state.open_tasks()
    with pytest.raises(ConflictError):
        service.execute(
            case_id,
            Decide(at=T0, actor=REVIEWER, task_id=task.id, decision="approve"),
            expected_version=version - 1,
        )
    service.execute(
        case_id,
        Decide(at=T0, actor=REVIEWER, task_id=task.id, decision="approve"),
        expected_version=version,
    )
    with pytest.raises(ConflictError):
        service.execute(case_id, Decide(at=T0, actor=REVIEWER, task_id=task.id, decision="approve"))


def test_history_is_append_only_in_the_database(service: CaseService, engine) -> None:  # type: ignore[no-untyped-def]
    case_id = filed(service)
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE case_events SET type = 'x' WHERE case_id = :c"), {"c": case_id})
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM case_events WHERE case_id = :c"), {"c": case_id})


def test_tampering_is_detected_by_the_hash_chain(service: CaseService, engine) -> None:  # type: ignore[no-untyped-def]
    case_id = filed(service)
    with engine.begin() as conn:  # an attacker with DDL rights drops the guard first
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE case_events DISABLE TRIGGER case_events_no_change"))
        else:
            conn.execute(text("DROP TRIGGER case_events_no_update"))
        conn.execute(
            text("UPDATE case_events SET data = '{}' WHERE case_id = :c AND seq = 3"),
            {"c": case_id},
        )
    assert 3 in service.verify_history(case_id)


def test_a_case_stays_on_the_version_it_started_with(service: CaseService, engine) -> None:  # type: ignore[no-untyped-def]
    catalog = Catalog(engine)
    case = service.start("mini", StartCase(at=T0, actor=CITIZEN))
    changed = copy.deepcopy(MINI)
    changed["title"] = {"es": "Trámite mínimo v2"}
    catalog.save_draft(changed)
    assert catalog.info("mini").state == "live_with_draft"
    v2 = catalog.publish("mini")
    assert v2.number == 2 and catalog.info("mini").state == "live"
    newer = service.start("mini", StartCase(at=T0, actor=CITIZEN))
    with engine.connect() as conn:
        versions = dict(
            conn.execute(select(Case.__table__.c.id, Case.__table__.c.version_id)).all()
        )
    assert versions[case.case_id] != versions[newer.case_id]
    assert catalog.version("mini", 1).definition["title"] == {"es": "Trámite mínimo"}
    assert catalog.publish("mini").number == 2  # unchanged draft: no new version


def test_archived_procedures_cannot_be_started(service: CaseService, engine) -> None:  # type: ignore[no-untyped-def]
    Catalog(engine).archive("mini")
    with pytest.raises(NotFoundError):
        service.start("mini", StartCase(at=T0, actor=CITIZEN))


def test_an_invalid_template_is_not_saved(engine) -> None:  # type: ignore[no-untyped-def]
    broken = copy.deepcopy(MINI)
    broken["key"] = "roto"
    broken["steps"][0]["transitions"][1]["to"] = "nowhere"
    with pytest.raises(TemplateInvalidError) as info:
        Catalog(engine).save_draft(broken)
    assert any("nowhere" in p.message_es or "transitions" in p.path for p in info.value.problems)


def test_due_timers_are_listed_for_the_scheduler(service: CaseService) -> None:
    case_id = filed(service)
    assert service.due_timers(T0) == []
    due = service.due_timers(T0 + timedelta(days=30))
    assert {key for _c, key in due} == {key for key in service.load(case_id)[0].timers}
    assert SYSTEM.kind == "system"


def test_a_row_read_earlier_saves_the_read_and_a_stale_one_is_read_again(
    service: CaseService, engine
) -> None:  # type: ignore[no-untyped-def]
    """`execute(loaded=...)`: the caller's row is used as it is; when the case changed since
    the caller read it, the command is applied to a fresh read (never to the stale state)."""
    from workflow_engine.persistence.cases.hotpath import LoadedCase

    case = service.start("mini", StartCase(at=T0, actor=CITIZEN))

    def read() -> LoadedCase:
        with engine.connect() as conn:
            row = conn.execute(select(Case.__table__).where(Case.id == case.case_id)).one()
        return LoadedCase.from_row(row)

    fresh = read()
    first = service.execute(
        case.case_id,
        SaveDraft(at=T0, actor=CITIZEN, step_id="datos", values={"nombre": "A"}),
        loaded=fresh,
    )
    assert first.lock_version == fresh.lock_version + 1
    # `fresh` is stale now: the second command goes to a new read of the case.
    outcome = service.execute(
        case.case_id,
        SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=GOOD),
        loaded=fresh,
    )
    assert outcome.lock_version == first.lock_version + 1
    state, _definition, version = service.load(case.case_id)
    assert version == outcome.lock_version and state.status == "ready_to_submit"
