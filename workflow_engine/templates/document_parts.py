"""Pure edits of a document step's spec: its validity in the shapes the configurator builds
(a number of days, a date answer, the end of the fiscal year, any other JSON Logic rule) and
its tables (added, replaced, removed, moved). Each returns a new document; the step is saved
with ``editing.set_step``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "FISCAL_YEAR_END",
    "VALIDITY_KINDS",
    "moved_table",
    "new_table_id",
    "validity_of",
    "with_table",
    "with_validity",
    "without_table",
]

FISCAL_YEAR_END: dict[str, Any] = {"cat": [{"substr": [{"today": []}, 0, 4]}, "-12-31"]}
"""The last day of the year of issue (the municipal fiscal year is the calendar year)."""

VALIDITY_KINDS = ("none", "days", "field", "fiscal_year", "rule")


def validity_of(document: Mapping[str, Any]) -> tuple[str, Any]:
    """(kind, value) of the document's validity: ("none", None), ("days", n),
    ("field", field id), ("fiscal_year", None) or ("rule", the JSON Logic)."""
    if "valid_until" in document:
        expr = document["valid_until"]
        if expr == FISCAL_YEAR_END:
            return "fiscal_year", None
        if isinstance(expr, Mapping) and list(expr) == ["var"] and isinstance(expr["var"], str):
            return "field", expr["var"]
        return "rule", expr
    days = document.get("validity_days")
    return ("days", days) if days else ("none", None)


def with_validity(document: Mapping[str, Any], kind: str, value: Any = None) -> dict[str, Any]:
    """The document with its validity set to `kind` (see ``validity_of``); the other shape
    removed, so never both."""
    out = {k: v for k, v in document.items() if k not in ("validity_days", "valid_until")}
    if kind == "days":
        out["validity_days"] = int(value)
    elif kind == "field":
        out["valid_until"] = {"var": str(value)}
    elif kind == "fiscal_year":
        out["valid_until"] = dict(FISCAL_YEAR_END)
    elif kind == "rule":
        out["valid_until"] = value
    elif kind != "none":
        raise ValueError(f"unknown validity kind {kind!r}")
    return out


def _tables(document: Mapping[str, Any]) -> list[Any]:
    return list(document.get("tables") or ())


def _with_tables(document: Mapping[str, Any], tables: list[Any]) -> dict[str, Any]:
    out = dict(document)
    if tables:
        out["tables"] = tables
    else:
        out.pop("tables", None)
    return out


def new_table_id(document: Mapping[str, Any], rows: str = "") -> str:
    """An id no table of the document has: the repeating group's id when the table prints
    its rows (`rows` «data.socios» -> socios), else tabla_1, tabla_2…"""
    taken = {t.get("id") for t in _tables(document) if isinstance(t, Mapping)}
    group = rows.removeprefix("data.") if rows.startswith("data.") else ""
    if group and group not in taken:
        return group
    n = 1
    while f"tabla_{n}" in taken:
        n += 1
    return f"tabla_{n}"


def with_table(
    document: Mapping[str, Any], index: int | None, table: Mapping[str, Any]
) -> dict[str, Any]:
    """The document with table `index` replaced by `table` (None: `table` added at the end);
    IndexError when there is no such table."""
    tables = _tables(document)
    if index is None:
        tables.append(dict(table))
    else:
        if not 0 <= index < len(tables):
            raise IndexError(index)
        tables[index] = dict(table)
    return _with_tables(document, tables)


def without_table(document: Mapping[str, Any], index: int) -> dict[str, Any]:
    """The document without table `index`; IndexError when there is no such table."""
    tables = _tables(document)
    if not 0 <= index < len(tables):
        raise IndexError(index)
    del tables[index]
    return _with_tables(document, tables)


def moved_table(document: Mapping[str, Any], index: int, offset: int) -> dict[str, Any]:
    """The document with table `index` moved `offset` places (-1 up, 1 down), kept within
    the list; IndexError when there is no such table."""
    tables = _tables(document)
    if not 0 <= index < len(tables):
        raise IndexError(index)
    target = min(max(index + offset, 0), len(tables) - 1)
    tables.insert(target, tables.pop(index))
    return _with_tables(document, tables)
