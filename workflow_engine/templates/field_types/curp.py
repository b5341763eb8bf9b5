"""Mexican CURP, checked with python-stdnum."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.mx import curp as mx_curp

from workflow_engine.templates.field_types.base import (
    Env,
    FieldType,
    InvalidValueError,
    Localized,
    text_of,
)


class Curp(FieldType):
    """CURP (México)."""

    name = "curp"
    order = 120
    label: ClassVar[Localized] = {"es": "CURP (México)", "en": "CURP (Mexico)"}
    identity: ClassVar[Localized | None] = {"es": "CURP", "en": "CURP"}
    description: ClassVar[Localized] = {
        "es": "La Clave Única de Registro de Población, 18 caracteres.",
        "en": "The Mexican population registry key, 18 characters.",
    }
    sample = "HELG850312MPLRPD05"

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        text = text_of(value)
        try:
            result: str = mx_curp.validate(text)
            return result
        except InvalidLength:
            raise InvalidValueError(
                "invalid_curp",
                "la CURP tiene 18 caracteres; revise que esté completa.",
                "a CURP has 18 characters; check that it is complete.",
            ) from None
        except InvalidChecksum:
            raise InvalidValueError(
                "invalid_curp",
                "el último carácter (dígito verificador) no corresponde; revise que la haya "
                "copiado bien.",
                "the last character (check digit) does not match; check that you copied it "
                "correctly.",
            ) from None
        except InvalidComponent:
            raise InvalidValueError(
                "invalid_curp",
                "la fecha de nacimiento, el sexo (H o M) o la clave del estado de la CURP no son "
                "válidos.",
                "the date of birth, sex (H or M) or state code in the CURP is not valid.",
            ) from None
        except ValidationError:
            raise InvalidValueError(
                "invalid_curp",
                "la CURP no tiene el formato correcto (4 letras, 6 dígitos de la fecha de "
                "nacimiento, H o M, 5 letras y 2 caracteres).",
                "the CURP does not have the right format (4 letters, 6 digits of the date of "
                "birth, H or M, 5 letters and 2 characters).",
            ) from None
