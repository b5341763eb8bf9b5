"""An email address, domain in lower case."""

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

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


class Email(FieldType):
    """An email address."""

    name = "email"
    order = 100
    label: ClassVar[Localized] = {"es": "Correo electrónico", "en": "Email"}
    description: ClassVar[Localized] = {
        "es": "Una dirección de correo electrónico.",
        "en": "An email address.",
    }
    sample = "contacto@ejemplo.mx"

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        text = text_of(value)
        local, _, domain = text.rpartition("@")
        if (
            len(text) > 254
            or not _EMAIL.match(text)
            or local.startswith(".")
            or local.endswith(".")
            or ".." in local
        ):
            raise InvalidValueError(
                "invalid_email",
                "escriba un correo electrónico válido, por ejemplo nombre@dominio.mx.",
                "enter a valid email address, for example name@example.com.",
            )
        return f"{local}@{domain.lower()}"
