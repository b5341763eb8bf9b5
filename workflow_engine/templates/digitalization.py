"""Digitalization level of a procedure, computed from its template (0–4), and what it
lacks to reach 4.

The scale follows the one Mexican regulatory-improvement catalogs use: 1 information only,
2 the form can be obtained online, 3 the application can be filed online, 4 the whole
procedure, payment and resulting document included, is done online. Every template
published here is filed online, so the level is 3 or 4: it is 4 when nothing is missing
(`digitalization_missing`): no requirement must be shown in original at an office, any fee
is paid online, and the result is an electronic document.

The missing items are codes (`Missing.code`) with what they are about; the web layer says
them in words (app/digitalization.py). `municipality_score` sums up the levels of many
procedures (the live ones of a municipality).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

LABELS = {
    1: ("Información en línea", "Information online"),
    2: ("Formato descargable", "Downloadable form"),
    3: ("Solicitud en línea", "Online application"),
    4: ("Trámite completamente en línea", "Fully online procedure"),
}
LEVELS = (0, 1, 2, 3, 4)

# The codes of what is missing to reach level 4.
ORIGINAL_AT_OFFICE = "original_at_office"  # a requirement shown in original at an office
NO_ELECTRONIC_DOCUMENT = "no_electronic_document"  # no step issues the resulting document
MISSING_CODES = (ORIGINAL_AT_OFFICE, NO_ELECTRONIC_DOCUMENT)


@dataclass(frozen=True)
class Missing:
    """One thing a procedure lacks to be fully online: `code` (MISSING_CODES) and, for a
    requirement, its id and name ({"es", "en"})."""

    code: str
    subject_id: str = ""
    subject: Mapping[str, str] = field(default_factory=dict)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def digitalization_missing(doc: Mapping[str, Any]) -> list[Missing]:
    """What `doc` lacks to reach level 4, in the order a liaison would fix it; [] at 4. A
    draft with parts missing or malformed counts what it has."""
    catalog = doc.get("catalog")
    requirements = _list(catalog.get("requirements")) if isinstance(catalog, Mapping) else []
    missing = [
        Missing(
            ORIGINAL_AT_OFFICE,
            str(r.get("id") or ""),
            r["name"] if isinstance(r.get("name"), Mapping) else {"es": str(r.get("name", ""))},
        )
        for r in requirements
        if isinstance(r, Mapping) and r.get("original_copy") in ("original", "both")
    ]
    issues_document = any(
        isinstance(step, Mapping) and step.get("type") == "document"
        for step in _list(doc.get("steps"))
    )
    if not issues_document:
        missing.append(Missing(NO_ELECTRONIC_DOCUMENT))
    return missing


def digitalization_level(doc: Mapping[str, Any]) -> int:
    """The level of `doc`: 4 when nothing is missing, else 3 (it is filed online)."""
    return 3 if digitalization_missing(doc) else 4


def digitalization_label(level: int, lang: str = "es") -> str:
    es, en = LABELS.get(level, LABELS[3])
    return en if lang == "en" else es


@dataclass(frozen=True)
class Score:
    """Many procedures' levels summed up: how many, their mean (None without any) and how
    many are at each level (every level 0–4, zeros included)."""

    procedures: int
    mean: float | None
    distribution: dict[int, int]

    @property
    def fully_online_pct(self) -> float | None:
        if not self.procedures:
            return None
        return round(100 * self.distribution.get(4, 0) / self.procedures, 1)


def municipality_score(levels: Iterable[int]) -> Score:
    """The score of a set of procedures' levels (a municipality's live procedures)."""
    found = list(levels)
    distribution = {level: 0 for level in LEVELS}
    for level in found:
        distribution[level] = distribution.get(level, 0) + 1
    mean = round(sum(found) / len(found), 2) if found else None
    return Score(len(found), mean, distribution)
