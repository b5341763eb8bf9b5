"""JSON handed in by a person or another system: one parser and one nesting guard for all.

The API's request bodies, the template files of the command line and the template validator
refuse the same things the same way: text that is not JSON, NaN/Infinity (not JSON, and not
storable), and containers nested deeper than the caller's limit, checked without recursion so
that a document thousands of levels deep is an answer, never a ``RecursionError``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JsonTextError", "nesting_exceeds", "parse_json", "too_deep_error"]


class JsonTextError(ValueError):
    """The text is not a JSON document we accept; the messages say why (Spanish, English)."""

    def __init__(self, message_es: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en

    def message(self, lang: str = "es") -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_es


def nesting_exceeds(value: Any, limit: int) -> bool:
    """True when lists and objects in ``value`` nest deeper than ``limit`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def too_deep_error(limit: int) -> JsonTextError:
    return JsonTextError(
        f"El JSON tiene más de {limit} niveles de anidamiento.",
        f"The JSON nests deeper than {limit} levels.",
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str | bytes, *, max_depth: int) -> Any:
    """The document in ``text``; JsonTextError when it is not JSON, holds NaN/Infinity or
    nests deeper than ``max_depth``."""
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise too_deep_error(max_depth) from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise JsonTextError(
            f"No es JSON válido ({exc}).",
            f"Not valid JSON ({exc}).",
        ) from None
    if nesting_exceeds(doc, max_depth):
        raise too_deep_error(max_depth)
    return doc
