"""Mexican RFC of a person or a company, checked with python-stdnum."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from stdnum.exceptions import ValidationError
from stdnum.mx import rfc as mx_rfc

from workflow_engine.templates.field_types.base import (
    Env,
    FieldType,
    InvalidValueError,
    Localized,
    text_of,
)


class Rfc(FieldType):
    """RFC (México)."""

    name = "rfc"
    order = 130
    label: ClassVar[Localized] = {"es": "RFC (México)", "en": "RFC (Mexico)"}
    identity: ClassVar[Localized | None] = {"es": "RFC", "en": "RFC"}
    description: ClassVar[Localized] = {
        "es": "El Registro Federal de Contribuyentes, 12 o 13 caracteres.",
        "en": "The Mexican taxpayer registry number, 12 or 13 characters.",
    }
    sample = "GODE561231GR8"

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        """RFC of a person (13) or company (12); the check digit is not enforced.

        python-stdnum notes that about 1.5 % of RFCs issued by the SAT carry an invalid check
        digit, so refusing them would turn away real taxpayers; format, date and length are
        enforced.
        """
        text = text_of(value)
        try:
            number: str = mx_rfc.validate(text, validate_check_digits=False)
        except ValidationError:
            number = ""
        if len(number) not in (12, 13):
            if len(number) == 10:
                raise InvalidValueError(
                    "invalid_rfc",
                    "falta la homoclave: escriba el RFC completo de 13 caracteres (persona física) "
                    "o 12 (persona moral).",
                    "the homoclave is missing: enter the full RFC, 13 characters (individual) or "
                    "12 (company).",
                )
            raise InvalidValueError(
                "invalid_rfc",
                "el RFC no es válido: son 13 caracteres para persona física (4 letras, fecha "
                "AAMMDD y homoclave) o 12 para persona moral.",
                "the RFC is not valid: 13 characters for an individual (4 letters, date YYMMDD "
                "and homoclave) or 12 for a company.",
            )
        return number
