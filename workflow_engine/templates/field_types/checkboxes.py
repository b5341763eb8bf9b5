"""Several options ticked out of the template's list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.plural import counted
from workflow_engine.templates.field_types._choices import (
    OPTIONS,
    Choice,
    bad_choice,
    option_label,
    option_values,
)
from workflow_engine.templates.field_types.base import (
    ABSENT,
    MAX_ITEMS,
    MIN_ITEMS,
    DocumentFormats,
    Env,
    FormData,
    InvalidValueError,
    Localized,
    Option,
    OptionProblem,
    items_problems,
)


class Checkboxes(Choice):
    """A list of the options the applicant ticked, in the template's order."""

    name = "checkboxes"
    order = 80
    label: ClassVar[Localized] = {
        "es": "Casillas (varias opciones)",
        "en": "Checkboxes (several choices)",
    }
    description: ClassVar[Localized] = {
        "es": "Marcar varias opciones de una lista.",
        "en": "Tick several options of a list.",
    }
    value_kind = "string_list"
    value_kind_label: ClassVar[Localized] = {"es": "lista de textos", "en": "list of strings"}
    options: ClassVar[Mapping[str, Option]] = {
        "options": OPTIONS,
        "min_items": MIN_ITEMS,
        "max_items": MAX_ITEMS,
    }
    sample: ClassVar[Any] = ["comercio"]

    @classmethod
    def option_problems(cls, field: Mapping[str, Any]) -> list[OptionProblem]:
        out = items_problems(field) + super().option_problems(field)
        options = field.get("options") or ()
        if options and field.get("min_items", 0) > len(options):
            out.append(
                (
                    "min_items_above_options",
                    ".min_items",
                    f"«min_items» pide {field['min_items']} casillas pero solo hay "
                    f"{len(options)} opciones.",
                    f"“min_items” asks for {field['min_items']} boxes but there are only "
                    f"{len(options)} options.",
                )
            )
        return out

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise InvalidValueError(
                "invalid_type", "marque una o más opciones.", "tick one or more options."
            )
        allowed = option_values(field)
        chosen = {v.strip() for v in value}
        if not chosen <= set(allowed):
            raise bad_choice(field)
        low, high = field.get("min_items"), field.get("max_items")
        if low is not None and len(chosen) < low:
            raise InvalidValueError(
                "too_few_items",
                f"marque al menos {counted(low, 'opción', 'opciones')}.",
                f"tick at least {counted(low, 'option', 'options')}.",
            )
        if high is not None and len(chosen) > high:
            raise InvalidValueError(
                "too_many_items",
                f"marque como máximo {counted(high, 'opción', 'opciones')}.",
                f"tick at most {counted(high, 'option', 'options')}.",
            )
        return [v for v in allowed if v in chosen]

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "" or value == []:
            return []
        if isinstance(value, list):
            return [option_label(field, v, lang) for v in value]
        return [str(value)]

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        if isinstance(value, list):
            return [Choice.document_value(field, v, fmt) for v in value]
        return value

    @classmethod
    def from_form(cls, form: FormData, name: str) -> Any:
        chosen = [v for v in form.getlist(name) if v != ""]
        return chosen if chosen else ABSENT
