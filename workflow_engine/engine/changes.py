"""What the applicant changed since the case was last returned, read from the history alone.

The history is append-only: every `step.submitted` event holds the cleaned values of its
step. The values in force when the case was returned are the last ones submitted before the
`case.returned` event; the corrections are those submitted after it. `changes_since_return`
compares the two, field by field (files by their stored ids), so the official who returned
the case sees what is new without reading the whole case again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    """One field whose value differs: before and after (None: it was not there)."""

    step: str
    field: str
    old: Any
    new: Any

    @property
    def is_files(self) -> bool:
        return _is_files(self.old) or _is_files(self.new)

    def files(self) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
        """(files removed, files added), compared by id."""
        old = _file_list(self.old)
        new = _file_list(self.new)
        old_ids = {f.get("id") for f in old}
        new_ids = {f.get("id") for f in new}
        return [f for f in old if f.get("id") not in new_ids], [
            f for f in new if f.get("id") not in old_ids
        ]


@dataclass(frozen=True)
class Changes:
    """The corrections since the last return; `returned_at` is None when never returned."""

    returned_at: Any
    resubmitted: bool
    fields: tuple[FieldChange, ...]


def _is_files(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, Mapping) and "sha256" in v and "id" in v for v in value)
    )


def _file_list(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def changes_since_return(events: Iterable[Mapping[str, Any]]) -> Changes:
    """Compare what was submitted before the last return with what came after it.

    `events` are history rows (oldest first) with `type`, `data` and `created_at`."""
    before: dict[str, dict[str, Any]] = {}
    after: dict[str, dict[str, Any]] = {}
    returned_at = None
    resubmitted = False
    for event in events:
        kind = event.get("type")
        data = event.get("data") or {}
        if kind == "case.returned":
            for step, values in after.items():  # an earlier correction round is now the base
                before[step] = values
            after = {}
            returned_at = event.get("created_at")
            resubmitted = False
        elif kind == "case.resubmitted":
            resubmitted = True
        elif kind == "step.submitted":
            target = before if returned_at is None else after
            target[str(data.get("step"))] = dict(data.get("values") or {})
    out: list[FieldChange] = []
    for step, new_values in after.items():
        old_values = before.get(step, {})
        for name in list(old_values) + [k for k in new_values if k not in old_values]:
            old, new = old_values.get(name), new_values.get(name)
            if old != new:
                out.append(FieldChange(step, name, old, new))
    return Changes(returned_at, resubmitted, tuple(out))
