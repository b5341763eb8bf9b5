"""Option lists as a liaison pastes them, and ids made from names.

One option per line: ``valor | etiqueta | English label``, ``valor | etiqueta`` or just the
label (its value is the label made into an id: «Venta de alimentos» -> ``venta_de_alimentos``).
``option_lines`` writes a list back in the same shape, so the text round-trips.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["MAX_OPTIONS", "option_lines", "parse_option_lines", "slug", "unique_id"]

MAX_OPTIONS = 500
_VALUE_MAX = 100


def slug(text: str, *, fallback: str = "opcion") -> str:
    """``text`` as an id: lowercase ASCII letters, digits and ``_``, starting with a letter."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    if not out:
        out = fallback
    if not out[0].isalpha():
        out = f"{fallback}_{out}"
    return out[:50].rstrip("_")


def unique_id(base: str, taken: Iterable[str]) -> str:
    """``base``, or ``base_2``, ``base_3``... whichever is not in ``taken``."""
    used = set(taken)
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def parse_option_lines(text: str) -> list[dict[str, Any]]:
    """The options of a pasted text; blank lines are skipped, and a value already used gets
    a suffix (``_2``) so every option keeps its own value."""
    options: list[dict[str, Any]] = []
    used: set[str] = set()
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not any(parts):
            continue
        if len(parts) == 1:
            value, label_es, label_en = "", parts[0], ""
        else:
            value, label_es = parts[0], parts[1]
            label_en = parts[2] if len(parts) > 2 else ""
        label_es = label_es or value
        value = unique_id((value or slug(label_es))[:_VALUE_MAX], used)
        used.add(value)
        label = {"es": label_es}
        if label_en:
            label["en"] = label_en
        options.append({"value": value, "label": label})
        if len(options) >= MAX_OPTIONS:
            break
    return options


def option_lines(options: Iterable[Mapping[str, Any]]) -> str:
    """The options as pasted lines: ``valor | etiqueta`` (``| English`` when there is one)."""
    lines = []
    for option in options:
        label = option.get("label") or {}
        parts = [str(option.get("value", "")), str(label.get("es", ""))]
        if label.get("en"):
            parts.append(str(label["en"]))
        lines.append(" | ".join(parts))
    return "\n".join(lines)
