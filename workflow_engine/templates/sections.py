"""The configurator's view of a procedure in parts: where each validator problem belongs, and
how far along each part of the procedure is (the editor's overview, a task list).

A procedure is edited in seven sections: its information (names, summary, keywords, the
catalog fields the law asks for), its steps and questions (form steps, connectors, ends), its
approvals (approval and parallel approval steps), its fees (payment steps, fee tables,
constants), the document it issues, what an approved case records in the municipal register
(``ledger``) and its notifications. Each section has a status:

- ``not_started``: nothing of it is there yet;
- ``in_progress``: started, but something it needs is still missing;
- ``has_problems``: something in it is wrong (an error other than a missing value);
- ``done``: nothing missing and nothing wrong (warnings may remain; they are counted).

Pure functions of the draft and its problems (``validation.Problem``); the web layer turns a
`Location` into a link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow_engine.templates.validation import Problem, parse_path

__all__ = [
    "DONE",
    "HAS_PROBLEMS",
    "INFORMATION_LISTS",
    "IN_PROGRESS",
    "LEDGER",
    "LOCALIZED_KEYS",
    "NOT_STARTED",
    "SECTIONS",
    "Location",
    "SectionStatus",
    "information_anchor",
    "locate",
    "section_statuses",
    "steps_of",
]

INFORMATION = "information"
STEPS = "steps"
APPROVALS = "approvals"
FEES = "fees"
DOCUMENT = "document"
NOTIFICATIONS = "notifications"
LEDGER = "ledger"
SECTIONS = (INFORMATION, STEPS, APPROVALS, FEES, DOCUMENT, LEDGER, NOTIFICATIONS)
"""The overview's task list, in its order."""

NOT_STARTED = "not_started"
IN_PROGRESS = "in_progress"
HAS_PROBLEMS = "has_problems"
DONE = "done"

# The section a step of each type is edited in (any other type: steps and questions).
_STEP_SECTION = {
    "approval": APPROVALS,
    "parallel": APPROVALS,
    "payment": FEES,
    "document": DOCUMENT,
    "notify": NOTIFICATIONS,
}
# Top-level keys of a template and the section that edits them.
_KEY_SECTION = {
    "format_version": INFORMATION,
    "key": INFORMATION,
    "department": INFORMATION,
    "title": INFORMATION,
    "summary": INFORMATION,
    "keywords": INFORMATION,
    "catalog": INFORMATION,
    "response_deadline": INFORMATION,
    "declarative": APPROVALS,
    "fee_tables": FEES,
    "constants": FEES,
    "ledger": LEDGER,
}
# Errors that say something is missing (the section is unfinished), not that it is wrong.
_MISSING_CODES = frozenset({"missing_property", "list_size", "text_length"})

LOCALIZED_KEYS = frozenset(
    {"title", "summary", "modality", "who_may_apply", "validity", "cost", "name", "description"}
    | {"hours"}
)
"""Texts of the information page written in Spanish and English (an input per language)."""
INFORMATION_LISTS = ("legal_basis", "requirements", "offices")
"""The information page's repeating lists (a row of inputs per item)."""


@dataclass(frozen=True)
class Location:
    """Where the liaison fixes a problem: a section, and in it the step and field at fault
    (steps), or the id of the information page's input (``anchor``)."""

    section: str
    step: str | None = None
    field: str | None = None
    anchor: str | None = None


@dataclass(frozen=True)
class SectionStatus:
    """One line of the overview: a section, its status, its problems, and the ids of the
    steps it edits (in the procedure's order; the first is where its link goes)."""

    section: str
    status: str
    errors: int = 0
    warnings: int = 0
    steps: tuple[str, ...] = ()


def _steps(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    steps = doc.get("steps")
    return [s for s in steps if isinstance(s, Mapping)] if isinstance(steps, list) else []


def _step_section(step: Mapping[str, Any]) -> str:
    return _STEP_SECTION.get(str(step.get("type")), STEPS)


def _id(value: Any) -> str | None:
    found = value.get("id") if isinstance(value, Mapping) else None
    return found if isinstance(found, str) and found else None


def _step_location(doc: Mapping[str, Any], parts: Sequence[str | int]) -> Location:
    """A problem under ``$.steps[i]``: the step, and the innermost field it points into."""
    raw = doc.get("steps")
    index = parts[1] if len(parts) > 1 else None
    if not isinstance(raw, list) or not isinstance(index, int) or not 0 <= index < len(raw):
        return Location(STEPS)
    step = raw[index]
    if not isinstance(step, Mapping):
        return Location(STEPS)
    field = None
    node: Any = step
    rest = list(parts[2:])
    while len(rest) >= 2 and rest[0] == "fields" and isinstance(rest[1], int):
        items = node.get("fields") if isinstance(node, Mapping) else None
        if not isinstance(items, list) or not 0 <= rest[1] < len(items):
            break
        node = items[rest[1]]
        field = _id(node) or field
        rest = rest[2:]
    return Location(_step_section(step), _id(step), field)


def information_anchor(parts: Sequence[str | int]) -> str:
    """The id of the information page's input for a JSON path into the information
    (``$.catalog.requirements[1].name.es`` -> ``requirements-1-name-es``; a localized text
    without its language -> its Spanish input; a whole list -> the list)."""
    tokens = list(parts[1:] if parts and parts[0] == "catalog" else parts)
    if not tokens:
        return "homoclave" if parts else "title-es"
    head = tokens[0]
    if head == "keywords":
        return "keywords"
    if head == "response_deadline":
        return "response_deadline"
    if head == "contact":
        return "contact-" + str(tokens[1]) if len(tokens) > 1 else "contact-phone"
    if head in INFORMATION_LISTS:
        if len(tokens) == 1 or not isinstance(tokens[1], int):
            return str(head)
        row = tokens[:2]
        inner = tokens[2:3]
        if head == "legal_basis":
            return "-".join(str(t) for t in (*row, tokens[2] if len(tokens) > 2 else "es"))
        if not inner:
            inner = ["name"]
        tokens = [*row, *inner, *tokens[3:4]]
    text = "-".join(str(t) for t in tokens)
    if tokens[-1] in LOCALIZED_KEYS:
        text += "-es"
    return text


def locate(doc: Mapping[str, Any], problem: Problem) -> Location:
    """Where `problem` of `doc` is fixed: its section, step and field, or information input."""
    parts = parse_path(problem.path)
    if not parts:
        return Location(INFORMATION, anchor="title-es")
    head = parts[0]
    if head == "steps":
        return _step_location(doc, parts)
    section = _KEY_SECTION.get(str(head), STEPS)
    if section == INFORMATION:
        return Location(INFORMATION, anchor=information_anchor(parts))
    if head == "example_data" and len(parts) > 1:
        step = str(parts[1])
        known = {_id(s) for s in _steps(doc)}
        field = str(parts[2]) if len(parts) > 2 else None
        return Location(STEPS, step if step in known else None, field)
    return Location(section)


def steps_of(doc: Mapping[str, Any], section: str) -> tuple[str, ...]:
    """The ids of the steps edited in `section`, in the procedure's order."""
    return tuple(i for s in _steps(doc) if _step_section(s) == section and (i := _id(s)))


# -- the overview ----------------------------------------------------------------------------


def _has_text(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_text(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_text(v) for v in value)
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None


def _started(doc: Mapping[str, Any], section: str, steps: Sequence[Mapping[str, Any]]) -> bool:
    if section == INFORMATION:
        return any(_has_text(doc.get(k)) for k in ("summary", "keywords", "catalog"))
    if section == STEPS:
        return any(
            isinstance(s.get("fields"), list) and s["fields"]
            for s in steps
            if s.get("type") == "form"
        )
    if section == APPROVALS and _has_text(doc.get("declarative")):
        return True
    if section == LEDGER:
        return isinstance(doc.get("ledger"), Mapping)
    return any(_step_section(s) == section for s in steps)


def section_statuses(doc: Mapping[str, Any], problems: Iterable[Problem]) -> list[SectionStatus]:
    """Every section of `doc` with its status, given the validator's `problems` of it."""
    steps = _steps(doc)
    found: dict[str, list[Problem]] = {s: [] for s in SECTIONS}
    for problem in problems:
        found[locate(doc, problem).section].append(problem)
    out = []
    for section in SECTIONS:
        mine = found[section]
        errors = [p for p in mine if p.is_error]
        if not _started(doc, section, steps):
            status = NOT_STARTED
        elif any(p.code not in _MISSING_CODES for p in errors):
            status = HAS_PROBLEMS
        elif errors:
            status = IN_PROGRESS
        else:
            status = DONE
        ids = steps_of(doc, section)
        out.append(SectionStatus(section, status, len(errors), len(mine) - len(errors), ids))
    return out
