"""A postal address: street, number, unit, neighbourhood, postcode, municipality."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    EMPTY,
    DocumentFormats,
    Env,
    FieldError,
    FieldType,
    InvalidValueError,
    Localized,
    PartsInput,
    bad_shape,
    error,
    is_empty,
    unknown,
)

ADDRESS_PART_MAX_LENGTH = 200
ADDRESS_PARTS = ("street", "number", "interior", "neighbourhood", "postcode", "municipality")
_ADDRESS_REQUIRED = ("street", "neighbourhood", "municipality")
_ADDRESS_LABELS = {
    "street": ("calle", "street"),
    "number": ("número", "number"),
    "interior": ("número interior", "unit number"),
    "neighbourhood": ("colonia o corregimiento", "neighbourhood"),
    "postcode": ("código postal", "postcode"),
    "municipality": ("municipio", "municipality"),
}
_INTERIOR = {"es": "int.", "en": "unit"}


def clean_address(
    field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
) -> tuple[Any, list[FieldError]]:
    if not isinstance(value, Mapping):
        exc = InvalidValueError(
            "invalid_type",
            "escriba el domicilio completo (calle, número, colonia, código postal, municipio).",
            "enter the full address (street, number, neighbourhood, postcode, municipality).",
        )
        return EMPTY, [error(field, path, names, exc)]
    errors: list[FieldError] = []
    out: dict[str, str] = {}
    for key in value:
        if key not in ADDRESS_PARTS:
            errors.append(unknown(str(key), f"{path}.{key}"))
    for part in ADDRESS_PARTS:
        raw = value.get(part)
        part_es, part_en = _ADDRESS_LABELS[part]
        if is_empty(raw):
            if part in _ADDRESS_REQUIRED:
                errors.append(
                    FieldError(
                        field["id"],
                        f"{path}.{part}",
                        "required",
                        f"{names[0]}: falta {part_es}.",
                        f"{names[1]}: the {part_en} is missing.",
                    )
                )
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            errors.append(
                FieldError(
                    field["id"],
                    f"{path}.{part}",
                    "invalid_type",
                    f"{names[0]}: escriba {part_es} como texto.",
                    f"{names[1]}: enter the {part_en} as text.",
                )
            )
            continue
        text = " ".join(str(raw).split())
        if len(text) > ADDRESS_PART_MAX_LENGTH:
            errors.append(
                FieldError(
                    field["id"],
                    f"{path}.{part}",
                    "too_long",
                    f"{names[0]}: {part_es} admite como máximo {ADDRESS_PART_MAX_LENGTH} "
                    "caracteres.",
                    f"{names[1]}: the {part_en} may have at most {ADDRESS_PART_MAX_LENGTH} "
                    "characters.",
                )
            )
            continue
        if part == "postcode" and not re.fullmatch(r"\d{4,6}", text):
            errors.append(
                FieldError(
                    field["id"],
                    f"{path}.{part}",
                    "invalid_postcode",
                    f"{names[0]}: el código postal son 4 a 6 dígitos (en México, 5).",
                    f"{names[1]}: the postcode has 4 to 6 digits (5 in Mexico).",
                )
            )
            continue
        out[part] = text
    return (out, []) if not errors else (EMPTY, errors)


class Address(PartsInput, FieldType):
    """A postal address as an object of parts."""

    name = "address"
    parts = ADDRESS_PARTS
    order = 160
    label: ClassVar[Localized] = {"es": "Domicilio", "en": "Address"}
    description: ClassVar[Localized] = {
        "es": "Un domicilio: calle, número, colonia, código postal y municipio.",
        "en": "An address: street, number, neighbourhood, postcode and municipality.",
    }
    value_kind = "address"
    value_kind_label: ClassVar[Localized] = {"es": "objeto domicilio", "en": "address object"}
    sample: ClassVar[Any] = {
        "street": "Av. Juárez",
        "number": "120",
        "neighbourhood": "Centro",
        "postcode": "44100",
        "municipality": "Guadalajara",
    }

    @classmethod
    def clean(
        cls, field: Mapping[str, Any], raw: Any, path: str, env: Env, names: tuple[str, str]
    ) -> tuple[Any, list[FieldError]]:
        if is_empty(raw):
            return EMPTY, []
        return clean_address(field, raw, path, names)

    @classmethod
    def draft_errors(
        cls, field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
    ) -> list[FieldError]:
        if value is None or value == "":
            return []
        if not isinstance(value, Mapping):
            return [error(field, path, names, bad_shape())]
        _out, errors = clean_address(field, value, path, names)
        # an unfinished address is fine in a draft: only unknown parts and sizes are refused
        return [e for e in errors if e.code in ("unknown_field", "too_long", "invalid_type")]

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if not isinstance(value, Mapping):
            return [] if value in (None, "") else [str(value)]
        if not value:
            return []
        street = " ".join(str(value[p]) for p in ("street", "number") if value.get(p))
        if value.get("interior"):
            street += f", {_INTERIOR['en' if lang.startswith('en') else 'es']} {value['interior']}"
        rest = [
            str(value[p]) for p in ("neighbourhood", "postcode", "municipality") if value.get(p)
        ]
        return [", ".join([s for s in [street, *rest] if s])]

    @classmethod
    def document_value(cls, field: Mapping[str, Any], value: Any, fmt: DocumentFormats) -> Any:
        return value
