"""Generate the registry-owned parts of ``form_schemas/``: field types (``field_types.json``,
``$defs.field``/``subfield``) and step types (``$defs.step``).

``flask --app wsgi templates generate-schemas`` writes them; a test fails when the
committed files differ from what the registry generates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workflow_engine.templates.field_types import REGISTRY

COMMON_PROPERTIES: dict[str, Any] = {
    "id": {"$ref": "#/$defs/id"},
    "label": {"$ref": "#/$defs/localized"},
    "help": {"$ref": "#/$defs/localized"},
    "required": {"type": "boolean"},
    "show_if": {"$ref": "#/$defs/json_logic"},
    "readonly": {"type": "boolean"},
}
_COMMON_ORDER = ("id", "type", "label", "help", "required", "show_if", "readonly")


def field_types_catalog() -> dict[str, Any]:
    """The content of ``form_schemas/field_types.json`` (for the visual editor)."""
    value_kinds: dict[str, Any] = {}
    option_labels: dict[str, Any] = {}
    for cls in REGISTRY.values():
        value_kinds.setdefault(cls.value_kind, dict(cls.value_kind_label))
        for name, option in cls.options.items():
            option_labels.setdefault(name, dict(option.label))
    return {
        "format_version": 1,
        "description": "Field types of the template format, for the visual editor. Generated "
        "from workflow_engine/templates/field_types by `flask --app wsgi templates "
        "generate-schemas`; do not edit by hand.",
        "common_properties": list(_COMMON_ORDER),
        "value_kinds": value_kinds,
        "option_labels": option_labels,
        "types": {name: cls.catalog_entry() for name, cls in REGISTRY.items()},
    }


def _field_schema(in_group: bool) -> dict[str, Any]:
    types = [n for n, cls in REGISTRY.items() if cls.allowed_in_group or not in_group]
    properties = {"id": COMMON_PROPERTIES["id"], "type": {"enum": types}}
    properties.update({k: v for k, v in COMMON_PROPERTIES.items() if k != "id"})
    branches = []
    for name in types:
        cls = REGISTRY[name]
        then: dict[str, Any] = {
            "properties": {
                **dict.fromkeys(_COMMON_ORDER, True),
                **{k: dict(o.schema) for k, o in cls.options.items()},
            },
            "additionalProperties": False,
        }
        if cls.required_options:
            then["required"] = list(cls.required_options)
        branches.append(
            {"if": {"properties": {"type": {"const": name}}, "required": ["type"]}, "then": then}
        )
    return {
        "type": "object",
        "required": ["id", "type", "label"],
        "properties": properties,
        "allOf": branches,
    }


def procedure_schema(current: dict[str, Any]) -> dict[str, Any]:
    """``current`` (the meta-schema) with its ``field``, ``subfield`` and ``step`` definitions
    regenerated from the registries."""
    from workflow_engine.templates.step_types import step_schema

    schema: dict[str, Any] = json.loads(json.dumps(current))
    schema["$defs"]["field"] = _field_schema(in_group=False)
    schema["$defs"]["subfield"] = _field_schema(in_group=True)
    schema["$defs"]["step"] = step_schema()
    return schema


def dump(document: dict[str, Any]) -> str:
    """JSON as the committed files are written: two spaces, UTF-8 kept, final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def generated_files(directory: Path) -> dict[Path, str]:
    """Each generated file under ``directory`` and the text it should hold."""
    schema_path = directory / "procedure.schema.json"
    current = json.loads(schema_path.read_text("utf-8"))
    return {
        directory / "field_types.json": dump(field_types_catalog()),
        schema_path: dump(procedure_schema(current)),
    }


def stale_files(directory: Path) -> list[Path]:
    """The generated files under ``directory`` whose content is out of date."""
    return [p for p, text in generated_files(directory).items() if p.read_text("utf-8") != text]


def write_schemas(directory: Path) -> list[Path]:
    """Rewrite the out-of-date generated files; the paths written."""
    written = []
    for path, text in generated_files(directory).items():
        if path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            written.append(path)
    return written
