"""Settings an administrator chooses for the municipality in the admin UI.

Only choices live here (how many days a payment order stays payable, whether citizens may pay
online); secrets (API keys, webhook secrets, certificate passwords) come from the environment
and are never stored in the database. Every change is audited. Reads are cached for a few
seconds per process, so a hot path may ask on every request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from workflow_engine.engine.errors import InvalidCommandError
from workflow_engine.persistence.models import AuditLog, MunicipalSetting, table
from workflow_engine.persistence.types import utcnow

settings_t = table(MunicipalSetting)
audit_t = table(AuditLog)
CACHE_SECONDS = 5.0
FOUR_EYES = "configurator.four_eyes"


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: str  # int | bool
    default: Any
    label_es: str
    label_en: str
    low: int | None = None
    high: int | None = None


SPECS: dict[str, SettingSpec] = {
    spec.key: spec
    for spec in (
        SettingSpec(
            "payments.order_expiry_days",
            "int",
            None,  # unset: PAYMENT_EXPIRY_DAYS from the environment
            "Días para pagar una orden de pago (si el trámite no dice otra cosa)",
            "Days to pay a payment order (unless the procedure says otherwise)",
            1,
            90,
        ),
        SettingSpec(
            "payments.online_enabled",
            "bool",
            True,
            "Ofrecer el pago en línea cuando hay pasarela configurada",
            "Offer online payment when a gateway is configured",
        ),
        SettingSpec(
            FOUR_EYES,
            "bool",
            False,
            "Regla de los cuatro ojos: lo que publica un enlace espera la aprobación de la "
            "persona directora de su dependencia o de una persona administradora",
            "Four-eyes rule: what a liaison publishes waits for the approval of their "
            "department's director or an administrator",
        ),
    )
}


class SettingError(InvalidCommandError):
    """A value an administrator typed that the setting cannot take."""


class MunicipalSettings:
    """Read (cached) and change the municipality's settings."""

    def __init__(
        self, engine: Engine, *, clock: Callable[[], datetime] = utcnow, ttl: float = CACHE_SECONDS
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.ttl = ttl
        self._cache: dict[str, Any] | None = None
        self._loaded = 0.0

    def _values(self) -> dict[str, Any]:
        if self._cache is None or time.monotonic() - self._loaded > self.ttl:
            with self.engine.connect() as conn:
                stored = dict(conn.execute(select(settings_t.c.key, settings_t.c.value)).all())
            self._cache = {k: stored.get(k, spec.default) for k, spec in SPECS.items()}
            self._loaded = time.monotonic()
        return self._cache

    def get(self, key: str) -> Any:
        return self._values()[key]

    def all(self) -> dict[str, Any]:
        return dict(self._values())

    def parse(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Form values (strings, checkboxes) -> typed values; SettingError names the field."""
        values: dict[str, Any] = {}
        for key, spec in SPECS.items():
            if spec.kind == "bool":
                values[key] = str(raw.get(key, "")).lower() in ("1", "on", "true", "si", "sí")
                continue
            text = str(raw.get(key, "")).strip()
            if not text.isdigit() or not (spec.low or 0) <= int(text) <= (spec.high or 10**6):
                raise SettingError(
                    f"«{spec.label_es}» debe ser un número entero entre {spec.low} y {spec.high}.",
                    f"“{spec.label_en}” must be a whole number between {spec.low} and {spec.high}.",
                    field=key,
                )
            values[key] = int(text)
        return values

    def update(
        self, values: Mapping[str, Any], *, actor_id: str, actor_name: str, ip: str = ""
    ) -> dict[str, Any]:
        """Store the values that changed (one audit row each); returns {key: (old, new)}."""
        now = self.clock()
        changed: dict[str, Any] = {}
        with self.engine.begin() as conn:
            stored = dict(conn.execute(select(settings_t.c.key, settings_t.c.value)).all())
            for key, value in values.items():
                if key not in SPECS:
                    continue
                old = stored.get(key, SPECS[key].default)
                if old == value:
                    continue
                row = {"value": value, "updated_at": now, "updated_by": actor_name[:200]}
                if key in stored:
                    conn.execute(update(settings_t).where(settings_t.c.key == key).values(**row))
                else:
                    conn.execute(insert(settings_t).values(key=key, **row))
                conn.execute(
                    insert(audit_t).values(
                        created_at=now,
                        actor_id=actor_id,
                        actor_name=actor_name[:200],
                        action="setting.changed",
                        target_type="setting",
                        target_id=key,
                        details={"old": old, "new": value},
                        ip=ip[:64],
                    )
                )
                changed[key] = (old, value)
        self._cache = None
        return changed
