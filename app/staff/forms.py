"""The case review's forms: an official's decision on a task (verdict, comment, return
reason and steps, requirement reviews, decision fields), an assignment, a note. Read what
was posted; the engine checks the rest (`Decide`, `AssignTask`, `AddNote`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

from werkzeug.datastructures import FileStorage, MultiDict

from workflow_engine.engine import RequirementReview

# Decision fields are sent as `resolucion-<field id>`, apart from the form's own inputs.
FIELD_PREFIX = "resolucion-"
DECISIONS = ("approve", "reject", "return")
Verdict = Literal["approve", "reject", "return"]


@dataclass(frozen=True)
class DecisionForm:
    """A posted decision; `decision` is None when none of the three was chosen."""

    decision: Verdict | None
    comment: str
    reason: str | None
    return_steps: tuple[str, ...]
    reviews: tuple[RequirementReview, ...]


def decision_form(form: MultiDict[str, str]) -> DecisionForm:
    chosen = form.get("decision", "")
    decision = cast(Verdict, chosen) if chosen in DECISIONS else None
    returning = decision == "return"
    return DecisionForm(
        decision=decision,
        comment=form.get("comment", "")[:4000],
        reason=form.get("reason") or None if returning else None,
        return_steps=tuple(form.getlist("return_steps")) if returning else (),
        reviews=requirement_reviews(form),
    )


def requirement_reviews(form: Mapping[str, Any]) -> tuple[RequirementReview, ...]:
    """`req-<file id>` = accept | reject, with `req-<file id>-motivo` for a rejection."""
    reviews = []
    for key, verdict in form.items():
        if not key.startswith("req-") or key.endswith("-motivo"):
            continue
        file_id = key[4:]
        if verdict not in ("accept", "reject"):
            continue
        reason = str(form.get(f"req-{file_id}-motivo", ""))
        reviews.append(RequirementReview(file_id, verdict == "accept", reason))
    return tuple(reviews)


def decision_fields_posted(
    form: MultiDict[str, str], files: MultiDict[str, FileStorage]
) -> tuple[MultiDict[str, str], MultiDict[str, FileStorage]]:
    """The decision fields' inputs and files, named as the wizard names a step's fields."""
    n = len(FIELD_PREFIX)
    own = MultiDict([(k[n:], v) for k, v in form.items(multi=True) if k.startswith(FIELD_PREFIX)])
    sent = MultiDict([(k[n:], v) for k, v in files.items(multi=True) if k.startswith(FIELD_PREFIX)])
    return own, sent


def assignee(form: MultiDict[str, str]) -> str:
    """The colleague's id an official assigns a task to ('' when none was chosen)."""
    return form.get("assignee", "").strip()


def back_to_list(form: MultiDict[str, str]) -> bool:
    """Claimed from the inbox's list: go back there afterwards."""
    return form.get("next") == "list"


def note_text(form: MultiDict[str, str]) -> str:
    return form.get("text", "")
