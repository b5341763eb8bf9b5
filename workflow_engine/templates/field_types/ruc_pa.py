"""Panamanian RUC of a person or a company, checked by format."""

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
from workflow_engine.templates.field_types.cedula_pa import clean_cedula_pa

_RUC = re.compile(r"^(?P<base>.+?)(?:\s*-?\s*DV\s*-?\s*(?P<dv>\d{1,2}))?$")
_RUC_JURIDICA = re.compile(r"^\d{1,10}-\d{1,4}-\d{1,7}$")


def clean_ruc_pa(value: str) -> str:
    """The canonical Panamanian RUC (``155634567-2-2016 DV 45``) or InvalidValueError.

    A person's RUC is their cédula (see :func:`clean_cedula_pa`); a company's is three
    numbers ``ficha/folio-rollo/tomo-imagen/asiento`` (``155634567-2-2016`` or
    ``2588017-1-831938``). The two-digit DV (dígito verificador) may follow, written
    ``DV 45``; it is kept as ``DV nn`` but not recomputed (the DGI algorithm is not published
    in a form we can verify, and python-stdnum has no Panamanian module).
    """
    text = " ".join(value.strip().upper().split())
    match = _RUC.match(text)
    bad = InvalidValueError(
        "invalid_ruc",
        "escriba el RUC como aparece en su aviso de operación, por ejemplo "
        "155634567-2-2016 DV 45 (sociedad) u 8-745-1290 DV 12 (persona natural).",
        "enter the RUC as it appears on your operating notice, for example "
        "155634567-2-2016 DV 45 (company) or 8-745-1290 DV 12 (individual).",
    )
    if not match:
        raise bad
    base = re.sub(r"\s*-\s*", "-", match["base"].strip())
    if _RUC_JURIDICA.match(base):
        base = "-".join(str(int(part)) for part in base.split("-"))
    else:
        try:
            base = clean_cedula_pa(base)
        except InvalidValueError:
            raise bad from None
    return f"{base} DV {int(match['dv']):02d}" if match["dv"] else base


class RucPa(FieldType):
    """RUC (Panamá)."""

    name = "ruc_pa"
    order = 150
    label: ClassVar[Localized] = {"es": "RUC (Panamá)", "en": "RUC (Panama)"}
    identity: ClassVar[Localized | None] = {"es": "RUC", "en": "RUC"}
    description: ClassVar[Localized] = {
        "es": "El Registro Único de Contribuyente de Panamá, con su dígito verificador.",
        "en": "The Panamanian taxpayer number, with its check digit.",
    }
    sample = "155634567-2-2016 DV 45"

    @classmethod
    def clean_value(cls, field: Mapping[str, Any], value: Any, env: Env) -> Any:
        return clean_ruc_pa(text_of(value))
