"""The pure edits of a document's validity and tables: each shape read back as it was
written, never both validity keys, tables added, replaced, moved and removed."""

from __future__ import annotations

import pytest

from workflow_engine.templates import document_parts as parts

BASE = {"kind": "licencia", "title": {"es": "T"}, "body": {"es": "B"}, "validity_days": 30}


@pytest.mark.parametrize(
    ("kind", "value"),
    [("none", None), ("days", 90), ("field", "fin_evento"), ("fiscal_year", None)],
)
def test_each_validity_shape_is_read_back(kind: str, value: object) -> None:
    document = parts.with_validity(BASE, kind, value)
    assert parts.validity_of(document) == (kind, value)
    assert not ("validity_days" in document and "valid_until" in document)


def test_a_rule_of_another_shape_is_advanced() -> None:
    rule = {"if": [{"var": "x"}, "2027-01-01", "2026-12-31"]}
    document = parts.with_validity(BASE, "rule", rule)
    assert document["valid_until"] == rule and "validity_days" not in document
    assert parts.validity_of(document) == ("rule", rule)
    assert parts.validity_of(parts.with_validity(BASE, "rule", parts.FISCAL_YEAR_END)) == (
        "fiscal_year",
        None,
    )


def test_tables_are_added_replaced_moved_and_removed() -> None:
    one = {"id": "a", "rows": "fees.lines", "columns": [{"label": {"es": "C"}, "value": "x"}]}
    two = {**one, "id": parts.new_table_id({"tables": [one]})}
    assert two["id"] == "tabla_1"
    document = parts.with_table(parts.with_table(BASE, None, one), None, two)
    assert [t["id"] for t in document["tables"]] == ["a", "tabla_1"]
    document = parts.moved_table(document, 1, -1)
    assert [t["id"] for t in document["tables"]] == ["tabla_1", "a"]
    document = parts.with_table(document, 0, {**two, "rows": "data.socios"})
    assert document["tables"][0]["rows"] == "data.socios"
    assert "tables" not in parts.without_table(parts.without_table(document, 0), 0)
    assert BASE.get("tables") is None  # the input is never changed
    with pytest.raises(IndexError):
        parts.without_table(BASE, 0)


def test_a_new_table_of_a_groups_rows_is_named_after_the_group() -> None:
    assert parts.new_table_id({"tables": []}, "data.socios") == "socios"
    assert parts.new_table_id({"tables": [{"id": "socios"}]}, "data.socios") == "tabla_1"
    assert parts.new_table_id({"tables": []}, "fees.lines") == "tabla_1"
