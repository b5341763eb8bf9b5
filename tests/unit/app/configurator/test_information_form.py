"""The configurator's information form maps a template to its inputs and back: saving the
form untouched leaves every example exactly as it was, and emptied inputs remove what they
held without touching the rest of the document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.configurator.information import rows_of, values_of, with_information
from tests.helpers.paths import EXAMPLES

EXAMPLES = sorted(EXAMPLES.glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_an_untouched_form_gives_back_the_same_document(path: Path) -> None:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert with_information(doc, values_of(doc)) == doc


def test_emptied_inputs_remove_what_they_held_and_rows_keep_their_order() -> None:
    doc = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    values = values_of(doc)
    values.update({"validity-es": "", "validity-en": "", "contact-email": "", "keywords": ""})
    values = {k: v for k, v in values.items() if not k.startswith("offices-")}
    values.update({"requirements-9-name-es": "Último", "requirements-7-name-es": ""})
    new = with_information(doc, values)
    assert "validity" not in new["catalog"] and "keywords" not in new
    assert "offices" not in new["catalog"] and "email" not in new["catalog"]["contact"]
    assert new["catalog"]["requirements"][-1] == {"id": "ultimo", "name": {"es": "Último"}}
    assert new["steps"] == doc["steps"]
    assert rows_of({"requirements-3-id": "", "requirements-10-id": "", "x-1-id": ""}) == {
        "legal_basis": [],
        "requirements": [3, 10],
        "offices": [],
    }
