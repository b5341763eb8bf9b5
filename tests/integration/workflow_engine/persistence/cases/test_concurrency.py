"""Two officials in two processes decide the same task at the same moment: exactly one wins,
the other gets a conflict, and the history shows one decision."""

from __future__ import annotations

import copy
import multiprocessing as mp
from typing import Any

import pytest

from tests.helpers.engine import CITIZEN, MINI, REVIEWER, T0
from workflow_engine.engine import Decide, StartCase, SubmitCase, SubmitStep
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.platform.catalog import Catalog

pytestmark = pytest.mark.slow


def _decide(
    url: str, case_id: int, task_id: str, decision: str, barrier: Any, results: Any
) -> None:
    from workflow_engine.engine import ConflictError

    engine = make_engine(url)
    service = CaseService(engine)
    service.load(case_id)  # warm the connection and caches before the race
    barrier.wait()
    try:
        service.execute(
            case_id,
            Decide(at=T0, actor=REVIEWER, task_id=task_id, decision=decision, comment="motivo"),
        )
        results.put(("ok", decision))
    except ConflictError as exc:
        results.put(("conflict", exc.message_es))
    except Exception as exc:
        results.put(("error", repr(exc)))
    engine.dispose()


def test_two_processes_deciding_the_same_task_exactly_one_wins(db_url: str) -> None:
    engine = make_engine(db_url)
    Catalog(engine).save_draft(copy.deepcopy(MINI))
    Catalog(engine).publish("mini")
    service = CaseService(engine)
    ctx = mp.get_context("spawn")
    for _round in range(4):
        case = service.start("mini", StartCase(at=T0, actor=CITIZEN))
        service.execute(
            case.case_id,
            SubmitStep(at=T0, actor=CITIZEN, step_id="datos", values=MINI["example_data"]["datos"]),
        )
        service.execute(case.case_id, SubmitCase(at=T0, actor=CITIZEN, declaration=True))
        (task,) = service.load(case.case_id)[0].open_tasks()
        barrier = ctx.Barrier(2)
        results = ctx.Queue()
        procs = [
            ctx.Process(
                target=_decide, args=(db_url, case.case_id, task.id, decision, barrier, results)
            )
            for decision in ("approve", "reject")
        ]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["conflict", "ok"], outcomes
        decisions = [e for e in service.history(case.case_id) if e["type"] == "task.decided"]
        assert len(decisions) == 1
        winner = next(d for kind, d in outcomes if kind == "ok")
        assert decisions[0]["data"]["decision"] == winner
        assert service.verify_history(case.case_id) == []
    engine.dispose()
