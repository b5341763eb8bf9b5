"""The closed list of JSON Logic operators a template may use, their arities and the limits."""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 32
"""Operators and literal lists nested inside each other, counting the outermost as 1."""
MAX_NODES = 2000
"""Operators plus literal values (numbers, texts, lists and their elements) in one rule."""
MAX_STRING = 10_000
"""Longest text ``cat`` may produce."""
MAX_ITEMS = 10_000
"""Longest list ``map``/``filter``/``reduce``/``all``/``none``/``some``/``merge`` may handle."""
MAX_STEPS = 100_000
"""Operator evaluations per call of ``evaluate`` (bounds nested loops over big lists)."""

# operator -> (minimum, maximum or None) number of arguments a well-formed rule gives it.
# ``check`` enforces these; ``evaluate`` is lenient only where the reference implementation
# gives a defined answer (``{"if": []}`` is null, ``{"and": []}`` is null, ``{"max": []}``...).
ARITY: dict[str, tuple[int, int | None]] = {
    "var": (0, 2),
    "missing": (0, None),
    "missing_some": (2, 2),
    "if": (1, None),
    "?:": (3, 3),
    "==": (2, 2),
    "===": (2, 2),
    "!=": (2, 2),
    "!==": (2, 2),
    "!": (1, 1),
    "!!": (1, 1),
    "or": (1, None),
    "and": (1, None),
    ">": (2, 2),
    ">=": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    "max": (1, None),
    "min": (1, None),
    "+": (1, None),
    "-": (1, 2),
    "*": (1, None),
    "/": (2, 2),
    "%": (2, 2),
    "round": (1, 2),
    "floor": (1, 1),
    "ceil": (1, 1),
    "map": (2, 2),
    "filter": (2, 2),
    "reduce": (2, 3),
    "all": (2, 2),
    "none": (2, 2),
    "some": (2, 2),
    "merge": (0, None),
    "in": (2, 2),
    "cat": (0, None),
    "substr": (2, 3),
    "length": (1, 1),
    "table": (2, 2),
    "date_diff_days": (2, 2),
    "today": (0, 0),
}

OPERATORS: frozenset[str] = frozenset(ARITY)

SCOPED = frozenset({"map", "filter", "reduce", "all", "none", "some"})
"""Operators whose second argument runs once per list item, with the item as its data."""

ROUND_PLACES = (-10, 20)
"""Allowed range for the ``places`` of ``round`` (negative rounds to tens, hundreds...)."""


def split_args(op: str, raw: Any) -> tuple[list[Any], bool]:
    """The argument list of ``{op: raw}`` and whether it was written as a list.

    ``{"var": "x"}`` is shorthand for ``{"var": ["x"]}``; ``{"today": null}`` has no arguments.
    """
    if isinstance(raw, list):
        return raw, True
    if op == "today" and raw is None:
        return [], False
    return [raw], False


def arity_text(low: int, high: int | None) -> tuple[str, str]:
    """How many arguments, said in words (Spanish, English): "entre 2 y 3 argumentos"."""

    def plural(n: int) -> tuple[str, str]:
        return ("argumento", "argument") if n == 1 else ("argumentos", "arguments")

    if high is None:
        es, en = plural(low)
        return f"al menos {low} {es}", f"at least {low} {en}"
    if low == high:
        if low == 0:
            return "ningún argumento", "no arguments"
        es, en = plural(low)
        return f"exactamente {low} {es}", f"exactly {low} {en}"
    return f"entre {low} y {high} argumentos", f"between {low} and {high} arguments"
