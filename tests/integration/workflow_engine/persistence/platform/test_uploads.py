"""The upload store and the draft sweep on SQLite and PostgreSQL (no Flask, no demo seed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from workflow_engine.engine import Actor, StartCase
from workflow_engine.persistence.cases.drafts import expire_drafts
from workflow_engine.persistence.cases.service import CaseService
from workflow_engine.persistence.db import make_engine
from workflow_engine.persistence.models import Case, OutboxMessage, Task, table
from workflow_engine.persistence.platform.catalog import Catalog
from workflow_engine.persistence.platform.demo import examples_dir
from workflow_engine.persistence.platform.uploads import UploadStore

PDF = b"%PDF-1.4\n%%EOF\n"
T0 = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
FIELD = {"id": "doc_identificacion", "accept": ["application/pdf"]}


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    catalog = Catalog(engine)
    doc = json.loads((examples_dir() / "constancia-residencia.json").read_text("utf-8"))
    catalog.save_draft(doc)
    catalog.publish(doc["key"])
    yield engine
    engine.dispose()


def test_store_and_sweep(engine: Engine, tmp_path: Path) -> None:
    cases = CaseService(engine)
    store = UploadStore(engine, tmp_path / "uploads", clock=lambda: T0)
    owner = Actor(id="41", kind="citizen", name="Ana")
    stranger = Actor(id="42", kind="citizen")
    official = Actor(id="7", kind="official", departments=frozenset(["secretaria-ayuntamiento"]))
    started = cases.start("constancia-residencia", StartCase(at=T0, actor=owner))
    ref = store.save(
        owner_id="41",
        case_id=started.case_id,
        step_id="datos",
        field_id="doc_identificacion",
        filename="ine.pdf",
        data=PDF,
        field=FIELD,
    )
    assert store.refs(started.case_id, "41", "doc_identificacion", [ref["id"]]) == [ref]
    opened = store.open_for(ref["id"], owner)
    assert (
        opened is not None
        and opened[0].read_bytes() == PDF
        and opened[1:]
        == (
            "ine.pdf",
            "application/pdf",
        )
    )
    assert store.open_for(ref["id"], stranger) is None
    assert store.open_for(ref["id"], official) is None  # no task in the case (a draft)
    with engine.begin() as conn:
        conn.execute(
            table(Task)
            .insert()
            .values(
                case_id=started.case_id,
                task_key="t1",
                step_id="revision",
                department="secretaria-ayuntamiento",
                role="revisor",
                status="approved",
                opened_at=T0,
            )
        )
    assert store.open_for(ref["id"], official) is not None  # had a task: may read it

    with engine.begin() as conn:
        conn.execute(
            update(table(Case)).where(table(Case).c.id == started.case_id).values(updated_at=T0)
        )
    warned = expire_drafts(cases, store, now=T0 + timedelta(days=53))
    assert warned.warned == [started.folio]
    with engine.connect() as conn:
        keys = conn.execute(select(table(OutboxMessage).c.idempotency_key)).scalars().all()
    assert any("draft_expiring" in k for k in keys)
    assert expire_drafts(cases, store, now=T0 + timedelta(days=55)).warned == []
    done = expire_drafts(cases, store, now=T0 + timedelta(days=60))
    assert done.cancelled == [started.folio]
    assert store.open_for(ref["id"], owner) is None
    assert not opened[0].exists()
