"""A published template version, indexed for the engine (built once per version and cached)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from workflow_engine.engine.errors import InvalidCommandError

if TYPE_CHECKING:
    from workflow_engine.engine.state import CaseState


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
        self._form_steps: list[str] | None = None
        self.fields: dict[str, Mapping[str, Any]] = {}
        self.field_step: dict[str, str] = {}
        for step in doc["steps"]:
            if step.get("type") != "form":
                continue  # an approval's `fields` are what the official writes, not case data
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

    def form_steps(self) -> list[str]:
        """Form steps filled in before filing, in template order (for "Paso 2 de 5"): the
        forms reached from the start through form-to-form transitions."""
        if self._form_steps is None:
            reachable = {self.start}
            todo = [self.start]
            while todo:
                step = self.steps[todo.pop()]
                for transition in step.get("transitions", ()):
                    target = str(transition["to"])
                    if self.is_form(target) and target not in reachable:
                        reachable.add(target)
                        todo.append(target)
            self._form_steps = [sid for sid in self.steps if sid in reachable]
        return list(self._form_steps)

    def rule_data(
        self,
        data: Mapping[str, Any],
        *,
        folio: str,
        created_at: str,
        submitted_at: str | None,
        results: Mapping[str, Mapping[str, Any]],
        year: int,
    ) -> dict[str, Any]:
        """A case's data as the template's rules see it: the answers plus `$const` (the
        constants in force in `year`), `$case` and `$result` (connector answers)."""
        out = dict(data)
        out["$const"] = self.constants_for(year)
        out["$case"] = {"folio": folio, "created_at": created_at, "submitted_at": submitted_at}
        out["$result"] = {k: dict(v) for k, v in results.items()}
        return out

    def case_rule_data(self, state: CaseState, year: int) -> dict[str, Any]:
        """`rule_data` of a stored case state."""
        return self.rule_data(
            state.data,
            folio=state.folio,
            created_at=state.created_at,
            submitted_at=state.submitted_at,
            results=state.results,
            year=year,
        )

    def step_type(self, step_id: str) -> str:
        return str(self.step(step_id)["type"])

    def is_form(self, step_id: str) -> bool:
        return step_id in self.steps and self.steps[step_id]["type"] == "form"

    def title(self, lang: str = "es") -> str:
        title = self.doc.get("title", {})
        return str(title.get(lang) or title.get("es") or self.key)

    def example_data(self) -> Mapping[str, Mapping[str, Any]]:
        return self.doc.get("example_data") or {}
