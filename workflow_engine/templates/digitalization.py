"""Digitalization level of a procedure, computed from its template (0–4).

The scale follows the one Mexican regulatory-improvement catalogs use: 1 information only,
2 the form can be obtained online, 3 the application can be filed online, 4 the whole
procedure, payment and resulting document included, is done online. Every template
published here is filed online, so the level is 3 or 4: it is 4 when no requirement must be
shown in original at an office, any fee is paid online, and the result is an electronic
document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LABELS = {
    1: ("Información en línea", "Information online"),
    2: ("Formato descargable", "Downloadable form"),
    3: ("Solicitud en línea", "Online application"),
    4: ("Trámite completamente en línea", "Fully online procedure"),
}


def digitalization_level(doc: Mapping[str, Any]) -> int:
    """The level of `doc`; a draft with parts missing or malformed counts what it has."""
    steps = doc.get("steps")
    catalog = doc.get("catalog")
    requirements = catalog.get("requirements") if isinstance(catalog, Mapping) else None
    needs_original = any(
        isinstance(r, Mapping) and r.get("original_copy") in ("original", "both")
        for r in (requirements if isinstance(requirements, list) else ())
    )
    issues_document = any(
        isinstance(step, Mapping) and step.get("type") == "document"
        for step in (steps if isinstance(steps, list) else ())
    )
    return 4 if issues_document and not needs_original else 3


def digitalization_label(level: int, lang: str = "es") -> str:
    es, en = LABELS.get(level, LABELS[3])
    return en if lang == "en" else es
