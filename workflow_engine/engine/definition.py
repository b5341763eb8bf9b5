"""A published template version, indexed for the engine (built once per version and cached)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from workflow_engine.engine.errors import InvalidCommandError
from workflow_engine.templates import model as template_model

if TYPE_CHECKING:
    from workflow_engine.engine.state import CaseState


class ProcedureDefinition:
    """A template version for the engine: its typed model (``model``, parsed once here; the
    service caches definitions by version), constants by year, and the rule data.

    ``steps``, ``step()`` and ``fields`` are the raw dicts of the document, for the code that
    works on the document itself (preview's sample data, the registries' classes); everything
    else reads ``model``."""

    def __init__(self, doc: Mapping[str, Any], *, version_id: int | None = None) -> None:
        self.doc = doc
        self.version_id = version_id
        self.model: template_model.Procedure = template_model.parse(doc)
        self.key: str = doc["key"]
        self.start: str = doc["start"]
        self.steps: dict[str, Mapping[str, Any]] = {s.id: s.raw for s in self.model.steps}
        self.declarative: Mapping[str, Any] | None = doc.get("declarative")
        self.fee_tables: dict[str, Mapping[str, Any]] = dict(doc.get("fee_tables") or {})
        self.fields: dict[str, Mapping[str, Any]] = {f.id: f.raw for f in self.model.fields()}

    def constants_for(self, year: int) -> dict[str, Decimal]:
        """The constants in force in `year` (the model's rule)."""
        return self.model.constants_for(year)

    def step(self, step_id: str) -> Mapping[str, Any]:
        """The raw dict of a step (see the class docstring); InvalidCommandError if none."""
        return self.step_model(step_id).raw

    def step_model(self, step_id: str) -> template_model.Step:
        """The step ``step_id`` of the model; InvalidCommandError when there is none."""
        found = self.model.get_step(step_id)
        if found is None:
            raise InvalidCommandError(
                f"El paso «{step_id}» no existe en este trámite.",
                f"Step '{step_id}' does not exist in this procedure.",
                step=step_id,
            )
        return found

    def form_steps(self) -> list[str]:
        """Ids of the form steps filled in before filing, in wizard order (the model's)."""
        return [s.id for s in self.model.form_steps()]

    def shown(self, fld: template_model.Field, context: Mapping[str, Any], today: date) -> bool:
        """Whether ``fld`` is shown with the answers in ``context`` (rules may read this
        template's fee tables)."""
        return fld.shown(context, tables=self.fee_tables, today=today)

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
        return self.step_model(step_id).type

    def is_form(self, step_id: str) -> bool:
        return self.model.is_form(step_id)

    def title(self, lang: str = "es") -> str:
        return self.model.name(lang)

    def example_data(self) -> Mapping[str, Mapping[str, Any]]:
        return self.doc.get("example_data") or {}
