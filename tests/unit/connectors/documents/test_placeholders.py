"""Every placeholder docs/template-format.md lists prints something in a document, and the
validator accepts it (`{{ case.created_at }}` used to print nothing)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from connectors import ConnectorSettings
from connectors.common import CaseRecord
from connectors.documents.issue import document_content
from tests.helpers.paths import REPO_ROOT
from workflow_engine.templates.validation import validate_template

DOCS = REPO_ROOT / "docs" / "template-format.md"
# the first column of the placeholders table: | `{{ name }}` | what it prints |
DOCUMENTED = re.findall(r"^\| `\{\{ ([a-z_.<> ]+?) \}\}` \|", DOCS.read_text("utf-8"), re.M)
# a documented name with a <field id> stands for a field of the case below
FIELD = {"data.<field id>": "data.nombre"}
# what each one prints for the case below (the part that proves it is not empty)
EXPECTED = {
    "data.nombre": "María López",
    "case.folio": "CHO-2026-ABCDE0",
    "case.created_at": "3 de marzo de 2026",
    "case.submitted_at": "5 de marzo de 2026",
    "fees.total": "1,250.00",
    "fees.total_cents": "125000",
    "fees.currency": "MXN",
    "fees.reference": "CHO0012345",
    "fees.paid_at": "6 de marzo de 2026",
}
ISSUED = date(2026, 3, 9)
DEFINITION = {
    "key": "constancia",
    "title": {"es": "Constancia"},
    "steps": [{"id": "datos", "type": "form", "fields": [{"id": "nombre", "type": "text"}]}],
}
CASE = CaseRecord(
    id=1,
    folio="CHO-2026-ABCDE0",
    procedure_key="constancia",
    applicant_id="7",
    state={
        "data": {"nombre": "María López"},
        "created_at": "2026-03-03T16:00:00+00:00",
        "submitted_at": "2026-03-05T16:00:00+00:00",
        "payments": [
            {
                "reference": "CHO0012345",
                "currency": "MXN",
                "total_cents": 125000,
                "paid_at": "2026-03-06T16:00:00+00:00",
                "lines": [{"id": "derecho", "label": {"es": "Derecho"}, "amount_cents": 125000}],
            }
        ],
    },
    definition=DEFINITION,
    submitted_at=None,
)


def test_the_placeholders_table_is_found() -> None:
    assert len(DOCUMENTED) >= 10
    assert "case.created_at" in DOCUMENTED and "fees.lines" in DOCUMENTED


@pytest.mark.parametrize("documented", DOCUMENTED)
def test_every_documented_placeholder_prints_something(documented: str, tmp_path: Path) -> None:
    name = FIELD.get(documented, documented)
    settings = ConnectorSettings(documents_dir=str(tmp_path))
    if name == "fees.lines":
        spec = {
            "body": {"es": "Pagos:"},
            "tables": [
                {
                    "id": "pagos",
                    "rows": "fees.lines",
                    "columns": [
                        {"label": {"es": "Concepto"}, "value": "{{ row.label }}"},
                        {"label": {"es": "Importe"}, "value": "{{ row.amount }}"},
                    ],
                }
            ],
        }
        content = document_content(
            settings, CASE, {"id": "emision"}, spec, code="X", issued_on=ISSUED, expires_on=None,
            department=None,
        )  # fmt: skip
        assert content.tables[0].rows == [["Derecho", "$1,250.00"]]
        return
    spec = {"body": {"es": f"«{{{{ {name} }}}}»"}}
    content = document_content(
        settings, CASE, {"id": "emision"}, spec, code="X", issued_on=ISSUED, expires_on=None,
        department=None,
    )  # fmt: skip
    (paragraph,) = content.body
    assert paragraph != "«»", name
    assert EXPECTED[name] in paragraph, paragraph


@pytest.mark.parametrize("documented", DOCUMENTED)
def test_the_validator_accepts_every_documented_placeholder(documented: str) -> None:
    from tests.helpers.engine import MINI

    name = FIELD.get(documented, documented)
    doc = {**MINI, "steps": [dict(s) for s in MINI["steps"]]}
    for step in doc["steps"]:
        if step["type"] == "document":
            step["document"] = {**step["document"], "body": {"es": f"{{{{ {name} }}}}"}}
    assert validate_template(doc) == []


def test_a_misspelt_fee_placeholder_is_an_error() -> None:
    from tests.helpers.engine import MINI

    doc = {**MINI, "steps": [dict(s) for s in MINI["steps"]]}
    for step in doc["steps"]:
        if step["type"] == "document":
            step["document"] = {**step["document"], "body": {"es": "{{ fees.totla }}"}}
    assert [p.code for p in validate_template(doc)] == ["unknown_placeholder"]
