"""What a template lacks to reach digitalization level 4, on the example templates: the
level is 4 exactly when nothing is missing; each requirement shown in original is one item;
a procedure without a document step lacks the electronic document; the municipality score
sums levels up."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.helpers.paths import EXAMPLES
from workflow_engine.templates.digitalization import (
    NO_ELECTRONIC_DOCUMENT,
    ORIGINAL_AT_OFFICE,
    digitalization_level,
    digitalization_missing,
    municipality_score,
)


def _example(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return doc


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_level_four_exactly_when_nothing_is_missing(path: Any) -> None:
    doc = json.loads(path.read_text())
    missing = digitalization_missing(doc)
    assert digitalization_level(doc) == (4 if not missing else 3)
    originals = {
        r["id"]
        for r in doc["catalog"]["requirements"]
        if r.get("original_copy") in ("original", "both")
    }
    assert {m.subject_id for m in missing if m.code == ORIGINAL_AT_OFFICE} == originals


def test_the_examples_at_each_level() -> None:
    assert digitalization_missing(_example("constancia-residencia")) == []
    licencia = digitalization_missing(_example("licencia-funcionamiento"))
    assert [(m.code, m.subject_id) for m in licencia] == [(ORIGINAL_AT_OFFICE, "visto_bueno_pc")]
    assert licencia[0].subject["es"] and licencia[0].subject["en"]
    evento = digitalization_missing(_example("permiso-evento-via-publica"))
    assert [m.subject_id for m in evento] == ["anuencia_vecinal", "programa_proteccion_civil"]


def test_each_gap_is_one_item_and_fixing_them_reaches_four() -> None:
    doc = _example("constancia-residencia")
    worse = copy.deepcopy(doc)
    worse["catalog"]["requirements"][0]["original_copy"] = "both"
    worse["steps"] = [s for s in worse["steps"] if s.get("type") != "document"]
    codes = [m.code for m in digitalization_missing(worse)]
    assert codes == [ORIGINAL_AT_OFFICE, NO_ELECTRONIC_DOCUMENT]
    assert digitalization_level(worse) == 3
    worse["catalog"]["requirements"][0]["original_copy"] = "copy"
    assert [m.code for m in digitalization_missing(worse)] == [NO_ELECTRONIC_DOCUMENT]
    assert digitalization_level(doc) == 4


def test_a_malformed_draft_counts_what_it_has() -> None:
    assert [m.code for m in digitalization_missing({})] == [NO_ELECTRONIC_DOCUMENT]
    odd = {"catalog": {"requirements": "x"}, "steps": [None, {"type": "document"}]}
    assert digitalization_missing(odd) == []


def test_municipality_score() -> None:
    score = municipality_score([3, 4, 4, 3, 4])
    assert score.procedures == 5 and score.mean == 3.6
    assert score.distribution == {0: 0, 1: 0, 2: 0, 3: 2, 4: 3}
    assert score.fully_online_pct == 60.0
    empty = municipality_score([])
    assert empty.mean is None and empty.fully_online_pct is None
