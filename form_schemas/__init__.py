"""The template meta-schema, the field-type catalog and example procedures, as package data."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "catalogs_dir",
    "examples_dir",
    "field_types_path",
    "load_field_types",
    "load_meta_schema",
    "meta_schema_path",
]

_HERE = Path(__file__).resolve().parent


def meta_schema_path() -> Path:
    """Where the JSON Schema 2020-12 meta-schema of procedure templates lives."""
    return _HERE / "procedure.schema.json"


def field_types_path() -> Path:
    """Where the field-type catalog (labels, value kinds, options) for the editor lives."""
    return _HERE / "field_types.json"


def examples_dir() -> Path:
    """The folder of example procedure templates (one ``<key>.json`` per procedure)."""
    return _HERE / "examples"


def catalogs_dir() -> Path:
    """The folder of the demo municipality's catalogs (one ``<name>.csv`` per catalog)."""
    return _HERE / "catalogs"


@cache
def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_meta_schema() -> dict[str, Any]:
    """The meta-schema as a dict (cached: do not mutate it)."""
    schema: dict[str, Any] = _load(meta_schema_path())
    return schema


def load_field_types() -> dict[str, Any]:
    """The field-type catalog as a dict (cached: do not mutate it)."""
    catalog: dict[str, Any] = _load(field_types_path())
    return catalog
