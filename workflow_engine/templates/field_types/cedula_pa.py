"""Panamanian cédula, checked by format (python-stdnum has no Panamanian module)."""

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

_CEDULA = re.compile(
    r"^(?P<prefix>(?:[1-9]|1[0-3])(?:AV|PI)?|PE|E|N)-(?P<tomo>\d{1,4})-(?P<asiento>\d{1,6})$"
)


def clean_cedula_pa(value: str) -> str:
    """The canonical Panamanian cédula (``8-745-1290``) or InvalidValueError.

    Format ``prefix-tomo-asiento``: the prefix is a province (1 to 13), optionally followed
    by ``AV`` (registered before the current system) or ``PI`` (indigenous), or ``PE``
    (Panamanian born abroad), ``E`` (foreigner) or ``N`` (naturalised). The tomo has 1-4
    digits and the asiento 1-6; spaces become hyphens, letters are capitalised and leading
    zeros are dropped. There is no check digit, so only the format can be verified.
    """
    text = re.sub(r"[\s-]+", "-", value.strip().upper())
    match = _CEDULA.match(text)
    if not match or int(match["tomo"]) == 0 or int(match["asiento"]) == 0:
        raise InvalidValueError(
            "invalid_cedula",
            "escriba la cédula con guiones: provincia-tomo-asiento, por ejemplo 8-745-1290, "
            "PE-12-345, E-8-123456 o N-19-1234.",
            "enter the cédula with hyphens: province-volume-entry, for example 8-745-1290, "
            "PE-12-345, E-8-123456 or N-19-1234.",
        )
    return f"{match['prefix']}-{int(match['tomo'])}-{int(match['asiento'])}"


class CedulaPa(FieldType):
    """Cédula (Panamá)."""

    name = "cedula_pa"
    order = 140
    label: ClassVar[Localized] = {"es": "Cédula (Panamá)", "en": "Cédula (Panama)"}
    identity: ClassVar[Localized | None] = {"es": "Cédula", "en": "ID card (cédula)"}
    description: ClassVar[Localized] = {
        "es": "El número de cédula de identidad personal de Panamá.",
        "en": "The Panamanian personal identity card number.",
    }
    sample = "8-745-1290"

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        return clean_cedula_pa(text_of(value))
