"""Conditions as rows «field · operator · value» joined by «todas» / «cualquiera»: what the
configurator's condition builder shows instead of JSON Logic.

``to_logic`` turns rows into the JSON Logic a template stores (a ``show_if``, a ``when``);
``from_logic`` reads such a rule back into rows, or answers None when the rule says something
rows cannot show (arithmetic, nested and/or, another shape): the builder then shows it
read-only with the advanced editor, checked by ``parse_advanced``.

Which operators a row offers depends on the kind of its field (``kind_of``, asked of the
field-type registry): numbers compare, yes/no is true or false, a choice is one of its
options, a list of choices includes one, text is equal or contains.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from workflow_engine.rules import check
from workflow_engine.templates.field_types import field_type

__all__ = [
    "JOINS",
    "OPERATORS",
    "Condition",
    "ConditionError",
    "Operator",
    "Row",
    "from_logic",
    "kind_of",
    "operators_for",
    "parse_advanced",
    "to_logic",
]

NUMBER, BOOLEAN, CHOICE, CHOICES, TEXT = "number", "boolean", "choice", "choices", "text"
JOINS = {"all": "and", "any": "or"}


@dataclass(frozen=True)
class Operator:
    """One operator a row may use: its code, its words, and what value it takes
    (``one``, ``many`` for a list of options, ``none``)."""

    code: str
    es: str
    en: str
    takes: str = "one"

    def label(self, lang: str) -> str:
        return self.en if lang.startswith("en") else self.es


OPERATORS: dict[str, Operator] = {
    op.code: op
    for op in (
        Operator("eq", "es igual a (=)", "is equal to (=)"),
        Operator("ne", "no es igual a (≠)", "is not equal to (≠)"),
        Operator("gt", "es mayor que (>)", "is greater than (>)"),
        Operator("ge", "es mayor o igual que (≥)", "is greater than or equal to (≥)"),
        Operator("lt", "es menor que (<)", "is less than (<)"),
        Operator("le", "es menor o igual que (≤)", "is less than or equal to (≤)"),
        Operator("is", "es", "is"),
        Operator("is_not", "no es", "is not"),
        Operator("one_of", "es una de", "is one of", "many"),
        Operator("not_one_of", "no es ninguna de", "is none of", "many"),
        Operator("contains", "contiene", "contains"),
        Operator("not_contains", "no contiene", "does not contain"),
        Operator("includes", "incluye", "includes"),
        Operator("excludes", "no incluye", "does not include"),
        Operator("answered", "tiene respuesta", "is answered", "none"),
        Operator("empty", "no tiene respuesta", "is not answered", "none"),
    )
}

_BY_KIND: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "ne", "gt", "ge", "lt", "le", "answered", "empty"),
    BOOLEAN: ("eq", "answered", "empty"),
    CHOICE: ("is", "is_not", "one_of", "not_one_of", "answered", "empty"),
    CHOICES: ("includes", "excludes", "answered", "empty"),
    TEXT: ("eq", "ne", "contains", "not_contains", "answered", "empty"),
}
_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<=", "is": "=="}
_COMPARE["is_not"] = "!="


def kind_of(fld: Mapping[str, Any]) -> str:
    """How a condition compares the answers of ``fld``: number, boolean, choice, choices
    (a list of ticked options) or text (anything else)."""
    cls = field_type(fld)
    if cls.value_kind in ("number", "money"):
        return NUMBER
    if cls.value_kind == "boolean":
        return BOOLEAN
    if "options" in cls.options:
        return CHOICES if cls.value_kind == "string_list" else CHOICE
    return TEXT


def operators_for(kind: str) -> list[Operator]:
    """The operators a row on a field of ``kind`` offers, in the builder's order."""
    return [OPERATORS[code] for code in _BY_KIND.get(kind, _BY_KIND[TEXT])]


@dataclass
class Row:
    """«field · operator · value»; ``value`` is a JSON value (a list for one_of)."""

    field: str = ""
    op: str = ""
    value: Any = None

    @property
    def values(self) -> list[str]:
        """The value as a list of texts (what a multiple select marks)."""
        items = self.value if isinstance(self.value, list) else [self.value]
        return [_text(v) for v in items if v is not None]

    @property
    def text(self) -> str:
        """The value as the builder's text input shows it."""
        return "" if self.value is None or isinstance(self.value, list) else _text(self.value)


@dataclass
class Condition:
    """Rows joined by ``all`` (every row holds) or ``any`` (one row is enough)."""

    join: str = "all"
    rows: list[Row] = field(default_factory=list)


class ConditionError(ValueError):
    """A row that does not make a condition (no operator, a value missing or of the wrong
    kind); ``row`` is its position."""

    def __init__(self, row: int, message_es: str, message_en: str) -> None:
        super().__init__(message_en)
        self.row = row
        self.message_es = message_es
        self.message_en = message_en

    def message(self, lang: str) -> str:
        return self.message_en if lang.lower().startswith("en") else self.message_es


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- rows -> JSON Logic -----------------------------------------------------------------------


def to_logic(condition: Condition, kinds: Mapping[str, str]) -> Any:
    """The JSON Logic of ``condition`` (None when it has no row with a field): one row is
    its own rule, several are wrapped in ``and`` / ``or``. ``kinds``: field id -> kind.
    Raises ConditionError for a row that says nothing sensible."""
    rules = [
        _row_logic(n, row, kinds) for n, row in enumerate(condition.rows, start=1) if row.field
    ]
    if not rules:
        return None
    if len(rules) == 1:
        return rules[0]
    return {JOINS.get(condition.join, "and"): rules}


def _row_logic(n: int, row: Row, kinds: Mapping[str, str]) -> Any:
    if row.field not in kinds:
        raise ConditionError(
            n,
            f"Fila {n}: «{row.field}» no es un campo que la condición pueda leer.",
            f"Row {n}: “{row.field}” is not a field the condition can read.",
        )
    kind = kinds[row.field]
    if row.op not in _BY_KIND.get(kind, _BY_KIND[TEXT]):
        raise ConditionError(
            n,
            f"Fila {n}: elija qué se compara (la operación).",
            f"Row {n}: choose how it compares (the operator).",
        )
    var = {"var": row.field}
    operator = OPERATORS[row.op]
    if operator.takes == "none":
        return {"!!": var} if row.op == "answered" else {"!": var}
    if operator.takes == "many":
        values = [v for v in row.values if v]
        if not values:
            raise _missing(n)
        rule: Any = {"in": [var, values]}
        return rule if row.op == "one_of" else {"!": rule}
    value = _typed(n, kind, row.value)
    if row.op in ("contains", "includes"):
        return {"in": [value, var]}
    if row.op in ("not_contains", "excludes"):
        return {"!": {"in": [value, var]}}
    return {_COMPARE[row.op]: [var, value]}


def _missing(n: int) -> ConditionError:
    return ConditionError(
        n,
        f"Fila {n}: escriba o elija el valor con el que se compara.",
        f"Row {n}: enter or choose the value to compare with.",
    )


def _typed(n: int, kind: str, raw: Any) -> Any:
    text = _text(raw).strip() if raw is not None else ""
    if not text:
        raise _missing(n)
    if kind == BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ConditionError(n, f"Fila {n}: elija «Sí» o «No».", f"Row {n}: choose Yes or No.")
        return text.lower() == "true"
    if kind == NUMBER:
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise ConditionError(
                n,
                f"Fila {n}: «{text}» no es un número; escríbalo con cifras (por ejemplo 120 o "
                "99.5).",
                f"Row {n}: “{text}” is not a number; write it in digits (for example 120 or 99.5).",
            )
        return int(number) if number == number.to_integral_value() else float(number)
    return text


# -- JSON Logic -> rows -----------------------------------------------------------------------


def from_logic(rule: Any, kinds: Mapping[str, str]) -> Condition | None:
    """The rows that say what ``rule`` says, or None when rows cannot show it. No rule is a
    condition without rows. ``kinds``: the fields a row may read, id -> kind."""
    if rule is None:
        return Condition()
    if isinstance(rule, Mapping) and len(rule) == 1:
        ((op, args),) = rule.items()
        if op in ("and", "or") and isinstance(args, list) and args:
            rows = [_row(item, kinds) for item in args]
            if any(r is None for r in rows):
                return None
            join = "all" if op == "and" else "any"
            return Condition(join, [r for r in rows if r is not None])
    row = _row(rule, kinds)
    return None if row is None else Condition("all", [row])


def _var(node: Any) -> str | None:
    """The field a ``{"var": "x"}`` (or ``{"var": ["x"]}``) reads; None for anything else."""
    if not isinstance(node, Mapping) or set(node) != {"var"}:
        return None
    name = node["var"]
    if isinstance(name, list) and len(name) == 1:
        name = name[0]
    return name if isinstance(name, str) and name else None


def _one(rule: Any) -> tuple[str, list[Any]] | None:
    """(operator, arguments) of a one-operator rule; a lone argument becomes a list."""
    if not isinstance(rule, Mapping) or len(rule) != 1:
        return None
    ((op, args),) = rule.items()
    return str(op), args if isinstance(args, list) else [args]


def _row(rule: Any, kinds: Mapping[str, str]) -> Row | None:
    found = _one(rule)
    if found is None:
        return None
    op, args = found
    row: Row | None
    if op in ("!", "!!") and len(args) == 1:
        row = _negated(op, args[0], kinds)
    elif op in ("==", "!=", ">", ">=", "<", "<=") and len(args) == 2:
        row = _comparison(op, args, kinds)
    elif op == "in" and len(args) == 2:
        row = _membership(args, kinds, negated=False)
    else:
        row = None
    if row is None or kinds.get(row.field) is None:
        return None
    return row if row.op in _BY_KIND[kinds[row.field]] else None


def _negated(op: str, inner: Any, kinds: Mapping[str, str]) -> Row | None:
    name = _var(inner)
    if name is not None:
        return Row(name, "answered" if op == "!!" else "empty")
    found = _one(inner)
    if op == "!" and found is not None and found[0] == "in" and len(found[1]) == 2:
        return _membership(found[1], kinds, negated=True)
    return None


def _comparison(op: str, args: list[Any], kinds: Mapping[str, str]) -> Row | None:
    name, value = _var(args[0]), args[1]
    if name is None or name not in kinds:
        return None
    kind = kinds[name]
    fits = {
        NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
        BOOLEAN: isinstance(value, bool) and op == "==",
        CHOICE: isinstance(value, str) and op in ("==", "!="),
        TEXT: isinstance(value, str) and op in ("==", "!="),
    }
    if not fits.get(kind, False):
        return None
    codes = {v: k for k, v in _COMPARE.items() if k not in ("is", "is_not")}
    code = codes[op]
    if kind == CHOICE:
        code = "is" if op == "==" else "is_not"
    return Row(name, code, value)


def _membership(args: list[Any], kinds: Mapping[str, str], *, negated: bool) -> Row | None:
    first, second = args
    name = _var(first)
    if name is not None and isinstance(second, list):  # {"in": [var, [a, b]]}: one of
        if not second or not all(isinstance(v, str) for v in second):
            return None
        return Row(name, "not_one_of" if negated else "one_of", list(second))
    name = _var(second)
    if name is None or not isinstance(first, str) or name not in kinds:
        return None  # {"in": ["a", var]}: contains / includes
    if kinds[name] == CHOICES:
        return Row(name, "excludes" if negated else "includes", first)
    return Row(name, "not_contains" if negated else "contains", first)


# -- the advanced editor ----------------------------------------------------------------------


def parse_advanced(text: str) -> tuple[Any, list[tuple[str, str]]]:
    """The rule written in the advanced editor and what is wrong with it, as (es, en)
    messages; an empty text is no rule."""
    if not text.strip():
        return None, []
    try:
        rule = json.loads(text)
    except ValueError as exc:
        return None, [
            (
                f"No es JSON válido: {exc}.",
                f"It is not valid JSON: {exc}.",
            )
        ]
    return rule, [(f"{p.path}: {p.message_es}", f"{p.path}: {p.message_en}") for p in check(rule)]
