"""A repeating group: rows of sub-fields (partners, vehicles, rooms)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    MAX_ITEMS,
    MIN_ITEMS,
    DocumentFormats,
    FieldType,
    Localized,
    Option,
    OptionProblem,
    items_problems,
)


class Group(FieldType):
    """Rows of sub-fields; the engine cleans each row with its sub-fields' types."""

    name = "group"
    order = 180
    label: ClassVar[Localized] = {"es": "Grupo repetible", "en": "Repeating group"}
    description: ClassVar[Localized] = {
        "es": "Un conjunto de datos que se repite, como los socios de una empresa.",
        "en": "A set of fields that repeats, such as the partners of a company.",
    }
    value_kind = "row_list"
    value_kind_label: ClassVar[Localized] = {
        "es": "lista de filas (objetos)",
        "en": "list of rows (objects)",
    }
    options: ClassVar[Mapping[str, Option]] = {
        "fields": Option(
            {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/subfield"}},
            {"es": "Campos de cada fila", "en": "Fields of each row"},
        ),
        "min_items": MIN_ITEMS,
        "max_items": MAX_ITEMS,
    }
    required_options: ClassVar[tuple[str, ...]] = ("fields",)
    allowed_in_group = False
    is_group = True
    sample: ClassVar[Any] = [{"nombre": "Ana López"}]

    @classmethod
    def example_field(cls, field_id: str) -> dict[str, Any]:
        row = {"id": "nombre", "type": "text", "label": {"es": "Nombre", "en": "Name"}}
        return {**super().example_field(field_id), "fields": [row]}

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        return items_problems(field)

    @classmethod
    def export_text(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> str:
        """One line per row: «label: value; label: value» with each sub-field's own text."""
        from workflow_engine.templates.field_types import field_type

        if not isinstance(value, list):
            return ""
        lines = []
        for row in value:
            if not isinstance(row, Mapping):
                continue
            parts = []
            for sub in field.get("fields", ()):
                text = field_type(sub).export_text(sub, row.get(sub.get("id")), lang, file_url)
                if text:
                    label = sub.get("label")
                    name = label.get(lang) or label.get("es") if isinstance(label, Mapping) else ""
                    parts.append(f"{name or sub.get('id')}: {text.replace(chr(10), ', ')}")
            lines.append("; ".join(parts))
        return "\n".join(lines)

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        from workflow_engine.templates.field_types import field_type

        if not isinstance(value, list):
            return value
        nested = {f["id"]: f for f in field.get("fields", ())}
        return [
            {
                k: v if k not in nested else field_type(nested[k]).document_value(nested[k], v, fmt)
                for k, v in row.items()
            }
            if isinstance(row, Mapping)
            else row
            for row in value
        ]
