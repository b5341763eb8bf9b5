"""The event catalog: every event the engine records is worded once, for the applicant and for
staff, and an internal one never reaches the applicant."""

from __future__ import annotations

import re

import pytest

from connectors.notifications.messages import compose
from tests.helpers.paths import REPO_ROOT
from workflow_engine.engine.events import (
    CATALOG,
    CITIZEN,
    INTERNAL,
    RETURN_REASON_TITLES,
    RETURN_REASONS,
    Words,
    citizen_line,
    is_internal,
    staff_line,
)
from workflow_engine.engine.transition import RETURN_REASONS as ENGINE_REASONS
from workflow_engine.templates.step_types import STEP_TYPES

ENGINE = REPO_ROOT / "workflow_engine"
EMITTED = re.compile(r"(?:\.event|Event)\(\s*\"([a-z_]+\.[a-z_]+)\"")


def emitted_kinds() -> set[str]:
    """Every event kind the engine's source can record (run.event / Event calls)."""
    found: set[str] = set()
    for path in ENGINE.rglob("*.py"):
        found |= set(EMITTED.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_event_the_engine_can_record_is_in_the_catalog() -> None:
    kinds = emitted_kinds()
    assert len(kinds) > 30  # the scan sees the engine
    assert kinds - set(CATALOG) == set()


def test_the_catalog_names_no_event_the_engine_never_records() -> None:
    assert set(CATALOG) - emitted_kinds() == set()


@pytest.mark.parametrize("name", list(STEP_TYPES))
def test_every_event_a_step_type_declares_is_in_the_catalog(name: str) -> None:
    assert set(STEP_TYPES[name].events) <= set(CATALOG)


SAMPLE = {
    "step": "datos",
    "department": "obras",
    "folio": "CHO-2026-000001",
    "decision": "reject",
    "comment": "Falta el plano.",
    "reason": "incomplete",
    "respond_by": "2026-12-10",
    "message": "Falta el plano.",
    "reference": "REF-1",
    "amount_cents": 12345,
    "currency": "MXN",
    "kind": "licencia",
    "outcome": "approved",
    "to_name": "Ana",
    "text": "nota",
    "accepted": ["a"],
    "rejected": [{"name": "Plano", "reason": "ilegible"}],
}


@pytest.mark.parametrize("kind", sorted(CATALOG))
@pytest.mark.parametrize("lang", ["es", "en"])
def test_a_worded_event_reads_as_a_sentence_in_each_language(kind: str, lang: str) -> None:
    words = Words(lang=lang, steps={"datos": "Datos"}, departments={"obras": "Obras Públicas"})
    entry = CATALOG[kind]
    for line in (citizen_line(kind, SAMPLE, words), staff_line(kind, SAMPLE, words)):
        if line is not None:
            assert line.text.strip()
            assert "{" not in line.text
    if entry.audience == CITIZEN:
        assert entry.citizen is not None
    if entry.citizen is not None:
        assert entry.audience == CITIZEN


@pytest.mark.parametrize("kind", sorted(CATALOG))
def test_an_internal_event_never_reaches_the_applicant(kind: str) -> None:
    words = Words()
    if CATALOG[kind].audience == INTERNAL:
        assert is_internal(kind, {})
        assert citizen_line(kind, SAMPLE, words) is None
    # any event an author marked internal stays with staff
    assert is_internal(kind, {**SAMPLE, "internal": True})
    assert citizen_line(kind, {**SAMPLE, "internal": True}, words) is None


def test_the_catalog_words_every_reason_the_engine_accepts() -> None:
    assert set(RETURN_REASONS) == set(ENGINE_REASONS) == set(RETURN_REASON_TITLES)


@pytest.mark.parametrize("reason", sorted(RETURN_REASONS))
@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_notification_and_the_timeline_give_the_same_reason(reason: str, lang: str) -> None:
    payload = {"folio": "CHO-2026-000001", "reason": reason, "respond_by": "2026-12-10"}
    body = compose("case_returned", payload, None, "applicant", lang).body
    words = Words(lang=lang)
    timeline = citizen_line("case.returned", payload, words)
    clause = RETURN_REASONS[reason][1 if lang == "en" else 0]
    assert timeline is not None and clause in timeline.text
    assert clause in " ".join(body.split())
