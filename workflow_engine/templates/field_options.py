"""A field type's own options as the configurator edits them: one input per option, chosen
from the option's JSON Schema (the registry's editor metadata), and the text typed in it read
back into the value the template stores.

An integer is a whole-number input, a number or decimal a number text, a boolean a checkbox,
an ``enum`` a list to choose from, a list of texts one text separated by commas; anything
else is edited as JSON. Option lists (``choice_options``) and a group's sub-fields have their
own editors and are not inputs here (``is_option_list`` / ``is_subfield_list``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from form_schemas import load_meta_schema
from workflow_engine.templates.field_types import REGISTRY

__all__ = [
    "OptionInput",
    "OptionValueError",
    "is_option_list",
    "is_subfield_list",
    "option_inputs",
    "palette",
    "read_option",
    "shown_value",
]


@dataclass(frozen=True)
class OptionInput:
    """One option of a field type as an input: ``widget`` is integer, number, decimal,
    boolean, enum, list, text or json."""

    name: str
    label: Mapping[str, str]
    widget: str
    schema: Mapping[str, Any]
    choices: tuple[Any, ...] = ()


class OptionValueError(ValueError):
    """The text typed for an option is not a value it takes."""

    def __init__(self, message_es: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en

    def message(self, lang: str) -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_es


def is_option_list(schema: Mapping[str, Any]) -> bool:
    return schema.get("$ref") == "#/$defs/choice_options"


def is_subfield_list(schema: Mapping[str, Any]) -> bool:
    items = schema.get("items")
    return isinstance(items, Mapping) and items.get("$ref") == "#/$defs/subfield"


def palette(*, in_group: bool = False) -> list[str]:
    """Every field type the registry offers (those allowed in a group, for a group's rows)."""
    return [name for name, cls in REGISTRY.items() if cls.allowed_in_group or not in_group]


def _widget(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return "enum"
    if schema.get("$ref") == "#/$defs/decimal_or_number":
        return "decimal"
    kind = schema.get("type")
    items = schema.get("items")
    if kind == "array" and isinstance(items, Mapping) and items.get("type") == "string":
        return "list"
    return {"integer": "integer", "number": "number", "boolean": "boolean", "string": "text"}.get(
        str(kind), "json"
    )


def option_inputs(type_name: str) -> list[OptionInput]:
    """The inputs for the options of ``type_name``, in the registry's order."""
    cls = REGISTRY.get(type_name)
    if cls is None:
        return []
    out = []
    for name, option in cls.options.items():
        schema = option.schema
        if is_option_list(schema) or is_subfield_list(schema):
            continue
        out.append(
            OptionInput(name, option.label, _widget(schema), schema, tuple(schema.get("enum", ())))
        )
    return out


def shown_value(option: OptionInput, value: Any) -> str:
    """The stored value as its input shows it."""
    if value is None:
        return ""
    if option.widget == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if option.widget == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@cache
def _validator(schema_json: str) -> Draft202012Validator:
    schema = {"$defs": load_meta_schema()["$defs"], **json.loads(schema_json)}
    return Draft202012Validator(schema)


def read_option(option: OptionInput, raw: str | None) -> Any:
    """The value of ``option`` from the text typed (None: the option is left out; a boolean
    is None unless ticked). OptionValueError when the text is not a value it takes."""
    text = (raw or "").strip()
    if option.widget == "boolean":
        return True if text else None
    if not text:
        return None
    value = _parsed(option, text)
    errors = sorted(
        _validator(json.dumps(dict(option.schema), sort_keys=True)).iter_errors(value),
        key=str,
    )
    if errors:
        raise OptionValueError(
            f"«{text}» no sirve para esta opción ({errors[0].message}).",
            f"“{text}” does not fit this option ({errors[0].message}).",
        )
    return value


def _parsed(option: OptionInput, text: str) -> Any:
    if option.widget in ("integer", "number", "decimal"):
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise OptionValueError(f"«{text}» no es un número.", f"“{text}” is not a number.")
        if number == number.to_integral_value():
            return int(number)
        if option.widget == "integer":
            raise OptionValueError(
                f"«{text}» debe ser un número entero.", f"“{text}” must be a whole number."
            )
        return str(number) if option.widget == "decimal" else float(number)
    if option.widget == "enum":
        for choice in option.choices:
            if str(choice) == text:
                return choice
        raise OptionValueError("Elija una de las opciones.", "Choose one of the options.")
    if option.widget == "list":
        return [part.strip() for part in text.split(",") if part.strip()]
    if option.widget == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            raise OptionValueError(
                f"No es JSON válido: {exc}.", f"It is not valid JSON: {exc}."
            ) from exc
    return text
