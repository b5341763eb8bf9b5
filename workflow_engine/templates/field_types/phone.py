"""A phone number: 7 to 15 digits, optional leading +."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from workflow_engine.templates.field_types.base import (
    Env,
    FieldType,
    InvalidValueError,
    Localized,
    text_of,
)

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().-]+$")


class Phone(FieldType):
    """A phone number, kept as digits."""

    name = "phone"
    order = 110
    label: ClassVar[Localized] = {"es": "Teléfono", "en": "Phone"}
    description: ClassVar[Localized] = {
        "es": "Un número de teléfono fijo o celular.",
        "en": "A landline or mobile phone number.",
    }
    sample = "+523312345678"

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        text = text_of(value)
        digits = re.sub(r"\D", "", text)
        if not _PHONE_CHARS.match(text) or not 7 <= len(digits) <= 15:
            raise InvalidValueError(
                "invalid_phone",
                "escriba un teléfono de 7 a 15 dígitos; puede empezar con + y la clave del país.",
                "enter a phone number of 7 to 15 digits; it may start with + and the country code.",
            )
        return ("+" if text.startswith("+") else "") + digits
