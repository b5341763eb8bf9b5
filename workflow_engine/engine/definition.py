"""A published template version, indexed for the engine (built once per version and cached)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from workflow_engine.engine.errors import InvalidCommandError


class ProcedureDefinition:
    """Read-only view over a template document: steps and fields by id."""

    def __init__(self, doc: Mapping[str, Any], *, version_id: int | None = None) -> None:
        self.doc = doc
        self.version_id = version_id
        self.key: str = doc["key"]
        self.start: str = doc["start"]
        self.steps: dict[str, Mapping[str, Any]] = {s["id"]: s for s in doc["steps"]}
        self.declarative: Mapping[str, Any] | None = doc.get("declarative")
        # A constant is a value, or values by year (an index such as Mexico's UMA changes every
        # January): {"uma": {"by_year": {"2026": "113.14", "2027": "117.31"}}}.
        self._plain: dict[str, Decimal] = {}
        self._yearly: dict[str, list[tuple[int, Decimal]]] = {}
        for name, value in (doc.get("constants") or {}).items():
            if isinstance(value, Mapping):
                self._yearly[name] = sorted(
                    (int(year), Decimal(str(v))) for year, v in value["by_year"].items()
                )
            else:
                self._plain[name] = Decimal(str(value))
        self._by_year: dict[int, dict[str, Decimal]] = {}
        self.fee_tables: dict[str, Mapping[str, Any]] = dict(doc.get("fee_tables") or {})
        self.fields: dict[str, Mapping[str, Any]] = {}
        self.field_step: dict[str, str] = {}
        for step in doc["steps"]:
            for fld in step.get("fields", ()):
                self.fields[fld["id"]] = fld
                self.field_step[fld["id"]] = step["id"]

    def constants_for(self, year: int) -> dict[str, Decimal]:
        """The constants in force in `year`: for a yearly one, the value of the latest year
        not after it (the earliest one before the table starts)."""
        cached = self._by_year.get(year)
        if cached is None:
            cached = dict(self._plain)
            for name, values in self._yearly.items():
                chosen = values[0][1]
                for y, value in values:
                    if y <= year:
                        chosen = value
                cached[name] = chosen
            self._by_year[year] = cached
        return cached

    def step(self, step_id: str) -> Mapping[str, Any]:
        try:
            return self.steps[step_id]
        except KeyError:
            raise InvalidCommandError(
                f"El paso «{step_id}» no existe en este trámite.",
                f"Step '{step_id}' does not exist in this procedure.",
                step=step_id,
            ) from None

    def step_type(self, step_id: str) -> str:
        return str(self.step(step_id)["type"])

    def is_form(self, step_id: str) -> bool:
        return step_id in self.steps and self.steps[step_id]["type"] == "form"

    def title(self, lang: str = "es") -> str:
        title = self.doc.get("title", {})
        return str(title.get(lang) or title.get("es") or self.key)

    def example_data(self) -> Mapping[str, Mapping[str, Any]]:
        return self.doc.get("example_data") or {}
