"""Review steps: one department decides (approval) or several at once (parallel)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from workflow_engine.engine import state as case_state
from workflow_engine.engine.errors import InvalidCommandError, StepValidationError
from workflow_engine.engine.state import TaskState, TimerState
from workflow_engine.rules import is_truthy
from workflow_engine.templates.fields import validate_step_data
from workflow_engine.templates.step_types.base import LAPSE, Edge, Run, StepType


class _Review(StepType):
    """A step decided by officials; it leaves by the outcome they chose."""

    events = (
        "case.auto_approved",
        "review.skipped",
        "task.opened",
        "task.decided",
        "task.cancelled",
        "task.claimed",
        "task.released",
        "task.assigned",
        "task.reminder_due",
        "task.lapsed",
        "task.escalated",
        "case.afirmativa_ficta",
        "case.negativa_ficta",
        "case.returned",
        "case.resubmitted",
        "case.correction_lapsed",
        "requirements.reviewed",
        "task.kept_open",
        "task.returned_to_official",
        "task.returned_to_queue",
    )
    waits = True

    @classmethod
    def enter(cls, run: Run, step: Mapping[str, Any]) -> str | None:
        when = step.get("when")
        if when is not None and not is_truthy(run.eval(when)):
            # A conditional review (an extra approval above an amount, say) that does not
            # apply: the case goes on as if it had been approved, and the history says so.
            run.event("review.skipped", step=str(step["id"]), reason="condition")
            return cls.leave(run, step)
        declarative = run.d.declarative
        if declarative is not None:
            run.event(
                "case.auto_approved",
                step=str(step["id"]),
                explanation=dict(declarative.get("explanation", {})),
            )
            return cls.leave(run, step)
        if cls.open_review(run, step):
            return None
        return cls.leave(run, step)

    @classmethod
    def branches(cls, run: Run, step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Who reviews: the step itself for an approval, the branches that apply for a
        parallel review."""
        return [step]

    @classmethod
    def open_review(
        cls,
        run: Run,
        step: Mapping[str, Any],
        only: Mapping[str | None, tuple[str, str]] | None = None,
    ) -> bool:
        """Open one task per (applicable) branch, with its deadline and reminder timers.
        False when no branch applies. `only` (after a correction) reopens just the branches
        it names (branch id, None for a one-department step), each for the official who
        returned it (user id and name; empty: the department's queue)."""
        step_id = str(step["id"])
        round_ = run.next_attempt(step_id)
        branches = cls.branches(run, step)
        if only is not None:
            branches = [b for b in branches if cls.branch_id(step, b) in only]
        if not branches:
            run.event("review.skipped", step=step_id, reason="no_branch")
            return False
        deadline_days = step.get("deadline_days")
        due_on: date | None = None
        if deadline_days is not None:
            due_on = run.ctx.calendar.add_business_days(run.today, int(deadline_days))
        for branch in branches:
            department = run.department_for(branch)
            branch_id = cls.branch_id(step, branch)
            task_id = f"{step_id}.{branch_id or 'main'}.{round_}"
            assignee, assignee_name = (only or {}).get(branch_id) or ("", "")
            task = TaskState(
                id=task_id,
                step_id=step_id,
                branch_id=branch_id,
                department=department,
                role=str(branch.get("role", "revisor")),
                status="open",
                opened_at=run.now,
                due_on=due_on.isoformat() if due_on else None,
                round=round_,
                assignee=assignee or None,
                assignee_name=assignee_name,
            )
            run.tasks[task_id] = task
            run.event(
                "task.opened",
                task=task_id,
                step=step_id,
                department=department,
                role=task.role,
                due_on=task.due_on,
                **({"assignee": assignee, "assignee_name": assignee_name} if assignee else {}),
            )
            if due_on is not None:
                fires_at = run.ctx.start_of_day_utc(due_on + timedelta(days=1))
                run.timers[f"deadline:{task_id}"] = TimerState(
                    f"deadline:{task_id}", "task_deadline", fires_at, task_id
                )
                before = step.get("reminder_days_before")
                if before:
                    remind_on = run.ctx.calendar.subtract_business_days(due_on, int(before))
                    if remind_on > run.today:
                        run.timers[f"reminder:{task_id}"] = TimerState(
                            f"reminder:{task_id}",
                            "task_reminder",
                            run.ctx.start_of_day_utc(remind_on),
                            task_id,
                        )
            run.notify(
                "task_assigned",
                to=f"user:{assignee}" if assignee else f"department:{department}",
                task=task_id,
                role=task.role,
                due_on=task.due_on,
            )
        run.f["status"] = case_state.IN_REVIEW
        return True

    @staticmethod
    def branch_id(step: Mapping[str, Any], branch: Mapping[str, Any]) -> str | None:
        return None if branch is step else str(branch["id"])

    @classmethod
    def leave(cls, run: Run, step: Mapping[str, Any], outcome: str = "approve") -> str:
        """The outcome's target; an outcome that branches goes to its first route whose
        `when` holds (the last route has none: the default)."""
        for route in outcome_routes(step["outcomes"][outcome]):
            when = route.get("when")
            if when is None or is_truthy(run.eval(when)):
                return str(route["to"])
        raise InvalidCommandError(
            f"El resultado «{outcome}» del paso «{step['id']}» no tiene a dónde continuar.",
            f"The outcome '{outcome}' of step '{step['id']}' has no route to follow.",
        )

    @classmethod
    def edges(cls, step: Mapping[str, Any]) -> list[Edge]:
        outcomes = step.get("outcomes")
        outcomes = outcomes if isinstance(outcomes, Mapping) else {}
        out = [
            Edge(route["to"], kind, route.get("when") is not None)
            for kind in ("approve", "reject")
            for route in outcome_routes(outcomes.get(kind))
            if isinstance(route.get("to"), str)
        ]
        ret = outcomes.get("return")
        if isinstance(ret, Mapping):
            out += [Edge(ret["to_step"], "return")] if isinstance(ret.get("to_step"), str) else []
            out += [Edge(ret["lapse_to"], "lapse")] if isinstance(ret.get("lapse_to"), str) else []
        return out


def outcome_routes(outcome: Any) -> list[Mapping[str, Any]]:
    """An outcome's routes: `{"to": ...}` is one route; a list is routes tried in order,
    like transitions (`[{"when": ..., "to": ...}, {"to": ...}]`). Damaged input: none."""
    if isinstance(outcome, Mapping):
        return [outcome]
    if isinstance(outcome, list):
        return [r for r in outcome if isinstance(r, Mapping)]
    return []


def decision_fields(step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The fields an approval step asks the deciding official to fill in."""
    return list(step.get("fields") or ()) if step.get("type") == "approval" else []


# The `when` of a review: skipped (the case goes on by its approve outcome) when false.
WHEN = {"when": {"$ref": "#/$defs/json_logic"}}
# What the official writes when deciding: fields of any type, cleaned like the applicant's.
DECISION_FIELDS = {"fields": {"type": "array", "maxItems": 30, "items": {"$ref": "#/$defs/field"}}}


class ApprovalStep(_Review):
    name = "approval"
    label = {"es": "Revisión", "en": "Review"}
    description = {
        "es": "Un área del municipio revisa la solicitud y la aprueba, la rechaza o la devuelve.",
        "en": "A municipal department reviews the application and approves, rejects or returns it.",
    }
    properties = {
        "department": {"$ref": "#/$defs/department"},
        "department_rule": {"$ref": "#/$defs/json_logic"},
        "role": {"$ref": "#/$defs/role"},
        **LAPSE,
        **WHEN,
        **DECISION_FIELDS,
        "outcomes": {"$ref": "#/$defs/outcomes"},
    }
    required = ("role", "deadline_days", "on_lapse", "outcomes")
    defaults = {"role": "revisor", "deadline_days": 10, "on_lapse": "escalate"}

    @classmethod
    def decision_values(
        cls, run: Run, step: Mapping[str, Any], submitted: Mapping[str, Any], decision: str
    ) -> dict[str, Any]:
        """The cleaned values of the step's decision `fields` for an approve or reject,
        checked by the same field types as the applicant's data. A field's `show_if` sees the
        case's data and `$decision`, so reasons may be asked only on a rejection."""
        declared = decision_fields(step)
        if not declared and not submitted:
            return {}
        context = {**run.eval_data(), "$decision": decision}
        cleaned, errors = validate_step_data(
            {"fields": declared},
            submitted,
            context,
            today=run.today,
            tables=run.d.fee_tables,
            constants=run.d.constants_for(run.today.year),
            catalogs=run.ctx.catalogs,
        )
        if errors:
            raise StepValidationError(
                "Revise los datos de la resolución.",
                "Please check the decision's fields.",
                errors=errors,
            )
        return cleaned

    @classmethod
    def problems(cls, step: Mapping[str, Any], path: str) -> list[tuple[str, str, str, str]]:
        has_dept = "department" in step
        has_rule = "department_rule" in step
        if has_dept and has_rule:
            return [
                (
                    "department_and_rule",
                    path,
                    f"El paso de revisión «{step['id']}» tiene «department» y "
                    "«department_rule» a la vez. Deje solo uno: una dependencia fija o "
                    "una regla que la elija.",
                    f"The review step “{step['id']}” has both “department” and "
                    "“department_rule”. Keep only one: a fixed department or a rule that "
                    "chooses it.",
                )
            ]
        if not has_dept and not has_rule:
            return [
                (
                    "missing_department",
                    f"{path}.department",
                    f"Indique qué dependencia resuelve el paso «{step['id']}»: "
                    "«department» con su clave, o «department_rule» con una regla que la "
                    "elija.",
                    f"Say which department decides step “{step['id']}”: “department” with "
                    "its key, or “department_rule” with a rule that chooses it.",
                )
            ]
        return []


class ParallelStep(_Review):
    name = "parallel"
    label = {"es": "Revisión simultánea", "en": "Parallel review"}
    description = {
        "es": "Varias áreas revisan a la vez; se aprueba cuando todas aprueban.",
        "en": "Several departments review at once; approved when all of them approve.",
    }
    properties = {
        "branches": {"type": "array", "minItems": 2, "items": {"$ref": "#/$defs/branch"}},
        **LAPSE,
        **WHEN,
        "outcomes": {"$ref": "#/$defs/outcomes"},
    }
    required = ("branches", "deadline_days", "on_lapse", "outcomes")
    defaults = {"branches": [], "deadline_days": 10, "on_lapse": "escalate"}

    @classmethod
    def branches(cls, run: Run, step: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return [
            b for b in step["branches"] if b.get("when") is None or is_truthy(run.eval(b["when"]))
        ]
