"""Two demo lookup operations, so the example procedures run end to end without a real land
registry or vehicle register. They are deterministic: the same input always gives the same
answer, so tests and walkthroughs are repeatable. `default_registry()` registers them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from connectors.operations import InvalidInputError, Operation

_FIRST_NAMES = (
    "María Guadalupe",
    "José Luis",
    "Ana Sofía",
    "Juan Carlos",
    "Rosa Elena",
    "Miguel Ángel",
    "Carmen",
    "Francisco Javier",
)
_LAST_NAMES = (
    "Hernández",
    "Martínez",
    "García",
    "López",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
)
_CLAVE = re.compile(r"^(\d{3})-?(\d{3})-?(\d{3})$")
_PLATE = re.compile(r"^[A-Z0-9]{5,7}$")
_VEHICLES = (
    ("Toyota", "Hilux", "pickup"),
    ("Nissan", "Versa", "automovil"),
    ("Kia", "Rio", "automovil"),
    ("Hyundai", "Tucson", "automovil"),
    ("Honda", "CB190R", "motocicleta"),
    ("Isuzu", "NPR", "camion_liviano"),
    ("Mitsubishi", "L200", "pickup"),
    ("Yamaha", "FZ25", "motocicleta"),
)


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256(":".join(parts).encode()).digest()[:8], "big")


def _person(seed: int) -> str:
    first = _FIRST_NAMES[seed % len(_FIRST_NAMES)]
    last1 = _LAST_NAMES[(seed // 7) % len(_LAST_NAMES)]
    last2 = _LAST_NAMES[(seed // 71) % len(_LAST_NAMES)]
    return f"{first} {last1} {last2}"


def catastro_consultar_predio(data: Mapping[str, Any]) -> dict[str, Any]:
    """Demo land registry: zone, plot area and owner of a plot by its cadastral key.

    The zone follows the sector (first three digits): 000-024 centre (A), 025-049 B,
    050-074 C, 075-999 outskirts (D). Area and owner are derived from the key.
    """
    raw = str(data.get("clave_catastral") or "").strip()
    match = _CLAVE.match(raw)
    if not match:
        raise InvalidInputError(f"clave catastral {raw!r} must look like 017-024-003")
    clave = "-".join(match.groups())
    sector = int(match.group(1))
    zona = "A" if sector < 25 else "B" if sector < 50 else "C" if sector < 75 else "D"
    seed = _digest("catastro", clave)
    superficie = Decimal(15000 + seed % 75000) / 100  # 150.00 .. 899.99 m²
    return {
        "clave_catastral": clave,
        "zona": zona,
        "superficie_terreno_m2": f"{superficie:.2f}",
        "propietario": _person(seed),
        "uso_suelo": ("habitacional", "comercial", "mixto")[seed % 3],
    }


def padron_vehicular_consultar(data: Mapping[str, Any]) -> dict[str, Any]:
    """Demo vehicle register: make, model, year, type and owner of a vehicle by its plate."""
    raw = str(data.get("placa_anterior") or data.get("placa") or "")
    plate = raw.strip().upper().replace("-", "").replace(" ", "")
    if not _PLATE.match(plate):
        raise InvalidInputError(f"placa {raw!r} must be 5 to 7 letters or digits")
    seed = _digest("padron", plate)
    marca, modelo, tipo = _VEHICLES[seed % len(_VEHICLES)]
    anio = 2008 + (seed // 11) % 17  # 2008 .. 2024
    return {
        "placa": plate,
        "marca": marca,
        "modelo": modelo,
        "anio": anio,
        "tipo": tipo,
        "propietario": _person(seed),
        "ultimo_pago": str(2021 + (seed // 13) % 4),  # 2021 .. 2024
    }


DEMO_OPERATIONS: dict[str, Operation] = {
    "catastro.consultar_predio": catastro_consultar_predio,
    "padron_vehicular.consultar": padron_vehicular_consultar,
}
