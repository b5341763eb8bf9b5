"""What the option types (select, radio, checkboxes) share: options, their labels, checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    DocumentFormats,
    Env,
    FieldType,
    InvalidValueError,
    Option,
    OptionProblem,
    localized,
)

OPTIONS = Option({"$ref": "#/$defs/choice_options"}, {"es": "Opciones", "en": "Options"})


def option_values(field: Mapping[str, Any]) -> list[str]:
    return [o["value"] for o in field.get("options") or []]


def bad_choice(field: Mapping[str, Any]) -> InvalidValueError:
    labels = [o["label"]["es"] for o in field.get("options") or []]
    labels_en = [o["label"].get("en") or o["label"]["es"] for o in field.get("options") or []]
    return InvalidValueError(
        "invalid_choice",
        f"elija una de las opciones: {', '.join(labels)}.",
        f"choose one of the options: {', '.join(labels_en)}.",
    )


def option_label(field: Mapping[str, Any], value: Any, lang: str) -> str:
    for option in field.get("options") or []:
        if option.get("value") == value:
            return localized(option.get("label"), lang) or str(value)
    return str(value)


class Choice(FieldType):
    """One option out of the template's list."""

    options: ClassVar[Mapping[str, Option]] = {"options": OPTIONS}
    required_options: ClassVar[tuple[str, ...]] = ("options",)
    sample = "comercio"

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        out: list[OptionProblem] = []
        seen: set[str] = set()
        for k, option in enumerate(field.get("options") or ()):
            if option["value"] in seen:
                out.append(
                    (
                        "duplicate_option",
                        f".options[{k}].value",
                        f"La opción «{option['value']}» está repetida en el campo "
                        f"«{field['id']}». Cada opción necesita un valor distinto.",
                        f"The option “{option['value']}” is repeated in the field "
                        f"“{field['id']}”. Each option needs its own value.",
                    )
                )
            seen.add(option["value"])
        return out

    @classmethod
    def example_field(cls, field_id: str) -> dict[str, Any]:
        return {
            **super().example_field(field_id),
            "options": [
                {"value": "comercio", "label": {"es": "Comercio", "en": "Retail"}},
                {"value": "servicios", "label": {"es": "Servicios", "en": "Services"}},
            ],
        }

    @classmethod
    def max_items(cls, field: Mapping[str, Any]) -> int:
        return max(1, len(field.get("options") or ()))

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        if not isinstance(value, str) or value.strip() not in option_values(field):
            raise bad_choice(field)
        return value.strip()

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "":
            return []
        return [option_label(field, value, lang)]

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        if isinstance(value, str):
            for option in field.get("options", ()):
                if option.get("value") == value:
                    return fmt.shown(value, localized(option.get("label"), "es") or value)
        return value
