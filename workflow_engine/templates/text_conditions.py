"""A condition of the condition builder (JSON Logic, `condition_rows.to_logic`) as the
`{% if %}` test of a document text: `{"==": [{"var": "giro"}, "restaurante"]}` becomes
`data.giro == "restaurante"`, so a conditional paragraph is built with the same rows as any
other condition. Only what the builder writes is translated; anything else gives None."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["jinja_test"]

_COMPARE = {"==": "==", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<=", "in": "in"}
_JOIN = {"and": " and ", "or": " or "}


def _literal(value: Any) -> str | None:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        items = [_literal(v) for v in value]
        return None if any(i is None for i in items) else "[" + ", ".join(map(str, items)) + "]"
    return None


def _operand(expr: Any) -> str | None:
    if isinstance(expr, dict):
        if len(expr) == 1 and "var" in expr:
            name = expr["var"]
            if isinstance(name, str) and name.replace("_", "").isalnum() and name[:1].isalpha():
                return f"data.{name}"
            return None
        return jinja_test(expr)
    return _literal(expr)


def jinja_test(logic: Any) -> str | None:
    """The Jinja test for `logic`, or None when it is not something the builder writes."""
    if not isinstance(logic, dict) or len(logic) != 1:
        return None
    ((op, args),) = logic.items()
    if op in ("!", "!!"):
        inner = _operand(args[0] if isinstance(args, list) and len(args) == 1 else args)
        if inner is None:
            return None
        return f"not ({inner})" if op == "!" else f"({inner})"
    if not isinstance(args, list):
        return None
    if op in _JOIN:
        parts = [jinja_test(a) for a in args]
        if not parts or any(p is None for p in parts):
            return None
        return _JOIN[op].join(f"({p})" for p in parts)
    if op in _COMPARE and len(args) == 2:
        left, right = _operand(args[0]), _operand(args[1])
        if left is None or right is None:
            return None
        return f"{left} {_COMPARE[op]} {right}"
    return None
