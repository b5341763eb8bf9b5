"""A procedure's flow as a graph, for the configurator's diagram and its text outline: each
step with its type, title and problems, and every way out of it as its step type says
(`StepType.edges`). Works on drafts with errors: damaged parts are left out, and a way to a
step that does not exist is kept so the diagram can show it broken."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow_engine.templates import step_types
from workflow_engine.templates.step_types.base import Edge, StepType
from workflow_engine.templates.validation import Problem

__all__ = ["FlowStep", "flow", "problems_by_step"]

_STEP_PATH = re.compile(r"^\$\.steps\[(\d+)\]")


@dataclass(frozen=True)
class FlowStep:
    id: str
    type: str
    title: Mapping[str, str]
    edges: tuple[Edge, ...]
    errors: int = 0
    warnings: int = 0
    is_start: bool = False
    reachable: bool = True


def problems_by_step(
    doc: Mapping[str, Any], problems: Sequence[Problem]
) -> dict[str, list[Problem]]:
    """The problems located in each step (by its index in the document), by step id."""
    listed = doc.get("steps")
    steps: list[Any] = listed if isinstance(listed, list) else []
    found: dict[str, list[Problem]] = {}
    for problem in problems:
        match = _STEP_PATH.match(problem.path)
        if match is None or int(match[1]) >= len(steps):
            continue
        step = steps[int(match[1])]
        if isinstance(step, Mapping) and isinstance(step.get("id"), str):
            found.setdefault(step["id"], []).append(problem)
    return found


def flow(doc: Mapping[str, Any], problems: Sequence[Problem] = ()) -> list[FlowStep]:
    """The steps in document order, the start step first, each with its ways out; steps no
    way reaches from the start are marked `reachable=False`."""
    raw = [
        s for s in doc.get("steps") or () if isinstance(s, Mapping) and isinstance(s.get("id"), str)
    ]
    start = doc.get("start")
    raw.sort(key=lambda s: s["id"] != start)
    located = problems_by_step(doc, problems)
    edges = {s["id"]: tuple((step_types.get(str(s.get("type"))) or StepType).edges(s)) for s in raw}
    reached = _reachable(start if isinstance(start, str) else None, edges)
    out = []
    for step in raw:
        title = step.get("title")
        mine = located.get(step["id"], [])
        errors = sum(1 for p in mine if p.is_error)
        out.append(
            FlowStep(
                id=step["id"],
                type=str(step.get("type")),
                title=title if isinstance(title, Mapping) else {},
                edges=edges[step["id"]],
                errors=errors,
                warnings=len(mine) - errors,
                is_start=step["id"] == start,
                reachable=step["id"] in reached,
            )
        )
    return out


def _reachable(start: str | None, edges: Mapping[str, Sequence[Edge]]) -> set[str]:
    seen: set[str] = set()
    todo = [start] if start is not None and start in edges else []
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo += [e.to for e in edges.get(current, ()) if e.to in edges]
    return seen
