"""JSON as RFC 8259 defines it, in and out: no NaN or Infinity, no text that is not Unicode,
no absurd nesting. The one parser for JSON handed in by a person or another system: API
bodies, webhooks, template files of the command line, bank-file mappings, connector configs.

Python's `json` accepts `NaN`, `Infinity` and `1e999` (which becomes infinity) and writes them
back as `NaN`/`Infinity`, which no other JSON parser reads; it also accepts `"\\ud800"`, a lone
surrogate that no database can store as UTF-8. Everything that reads JSON from outside (the
API, webhooks) parses with `loads`; everything that writes JSON (responses, JSON columns, the
history hash) serialises with `dumps`, which refuses what `loads` refuses.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from workflow_engine.engine.errors import EngineError

__all__ = [
    "InvalidJSONError",
    "dumps",
    "invalid_text",
    "invalid_text_path",
    "loads",
    "nesting_exceeds",
    "too_deep",
]

_SURROGATE = re.compile("[\ud800-\udfff]")


class InvalidJSONError(EngineError, ValueError):
    """A text that is not standard JSON (or carries text that is not valid Unicode, or nests
    deeper than its reader allows)."""

    code = "bad_request"
    http_status = 400


def _non_finite(text: str) -> Any:
    raise InvalidJSONError(
        f"«{text}» no es un número válido en JSON: use números finitos.",
        f"'{text}' is not a valid JSON number: use finite numbers.",
        reason="non_finite_number",
    )


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        _non_finite(text if len(text) <= 40 else text[:37] + "...")
    return value


def loads(raw: str | bytes, *, max_depth: int | None = None) -> Any:
    """Parse standard JSON; InvalidJSONError (with `reason`) for anything else, including lists
    and objects nested deeper than `max_depth` (checked without recursion)."""
    try:
        value = json.loads(raw, parse_constant=_non_finite, parse_float=_finite_float)
    except InvalidJSONError:
        raise
    except RecursionError:
        raise too_deep(max_depth) from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
        raise InvalidJSONError(
            f"No es JSON válido ({exc}).",
            f"Not valid JSON ({exc}).",
            reason="syntax",
        ) from None
    if max_depth is not None and nesting_exceeds(value, max_depth):
        raise too_deep(max_depth)
    where = invalid_text_path(value)
    if where is not None:
        raise invalid_text(where)
    return value


def nesting_exceeds(value: Any, limit: int) -> bool:
    """True when lists and objects in `value` nest deeper than `limit` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def too_deep(limit: int | None) -> InvalidJSONError:
    levels_es = f"más de {limit}" if limit is not None else "demasiados"
    levels_en = f"deeper than {limit}" if limit is not None else "too deep"
    return InvalidJSONError(
        f"El JSON tiene {levels_es} niveles de anidamiento.",
        f"The JSON nests {levels_en} levels.",
        reason="too_deep",
    )


def invalid_text(where: str = "") -> InvalidJSONError:
    """The error for text that is not valid Unicode (at JSON path `where`, when known)."""
    at_es, at_en = (f" en {where}", f" at {where}") if where else ("", "")
    return InvalidJSONError(
        f"El texto{at_es} contiene caracteres que no son Unicode válido "
        "(un sustituto «surrogate» suelto); corríjalo antes de enviarlo.",
        f"The text{at_en} contains characters that are not valid Unicode "
        "(a lone surrogate); fix it before sending.",
        reason="invalid_text",
        path=where or None,
    )


def invalid_text_path(value: Any) -> str | None:
    """The JSON path (`$.values.nombre`) of the first key or string holding a lone
    surrogate, or None when every text is valid Unicode. Walks without recursion."""
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _SURROGATE.search(key):
                    return path
                stack.append((child, f"{path}.{_safe(key)}"))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}[{n}]") for n, child in enumerate(item))
    return None


def _safe(key: Any) -> str:
    return _SURROGATE.sub("\ufffd", str(key))[:64]


def dumps(value: Any, **kwargs: Any) -> str:
    """`json.dumps` that refuses NaN and infinity (InvalidJSONError) instead of writing non-JSON."""
    kwargs["allow_nan"] = False
    try:
        return json.dumps(value, **kwargs)
    except ValueError as exc:
        if "JSON compliant" not in str(exc):
            raise
        raise InvalidJSONError(
            "Un número no finito (NaN o infinito) no se puede guardar ni enviar como JSON.",
            "A non-finite number (NaN or infinity) cannot be stored or sent as JSON.",
            reason="non_finite_number",
        ) from None
