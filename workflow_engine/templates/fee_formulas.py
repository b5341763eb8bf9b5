"""A fee line's amount as a liaison builds it: the product of a few factors — a fixed
amount, a constant of the template (the UMA, a yearly value), the answer to a numeric field,
or a fee table looked up by a field's answer. A negative factor (−0.5) is a discount.

`factors_of` reads a stored amount (JSON Logic) back into factors, or None when the amount
is something else (dates, sums...): the configurator then shows it as JSON Logic. The fee
itself is always computed by the engine (`step_types.payment.fee_lines`), never here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "KINDS",
    "Factor",
    "FormulaError",
    "factors_of",
    "number_text",
    "parse_number",
    "to_amount",
]

KINDS = ("number", "const", "field", "table")
MAX_FACTORS = 4


class FormulaError(ValueError):
    """A factor the formula cannot use, said in Spanish and English."""

    def __init__(self, message_es: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_es


@dataclass(frozen=True)
class Factor:
    """One factor: `kind` number (`name` is the decimal text), const (`name` a constant),
    field (`name` a field id) or table (`name` a fee table, `key` the field looked up)."""

    kind: str
    name: str
    key: str = ""


def _var(expr: Any) -> str | None:
    if isinstance(expr, dict) and len(expr) == 1 and "var" in expr:
        name = expr["var"]
        return name if isinstance(name, str) and name else None
    return None


def _factor(expr: Any) -> Factor | None:
    if isinstance(expr, bool):
        return None
    if isinstance(expr, int | float | str):
        try:
            number = Decimal(str(expr))
        except InvalidOperation:
            return None
        return Factor("number", number_text(number)) if number.is_finite() else None
    name = _var(expr)
    if name is not None:
        if name.startswith("$const."):
            return Factor("const", name.removeprefix("$const."))
        return None if name.startswith("$") else Factor("field", name)
    if isinstance(expr, dict) and len(expr) == 1 and "table" in expr:
        args = expr["table"]
        if isinstance(args, list) and len(args) == 2 and isinstance(args[0], str):
            key = _var(args[1])
            if key is not None and not key.startswith("$"):
                return Factor("table", args[0], key)
    return None


def factors_of(amount: Any) -> list[Factor] | None:
    """The factors of a stored amount, or None when it is not a product of factors."""
    if isinstance(amount, dict) and len(amount) == 1 and "*" in amount:
        terms = amount["*"]
        if not isinstance(terms, list) or not 1 <= len(terms) <= MAX_FACTORS:
            return None
        found = [_factor(term) for term in terms]
        return None if any(f is None for f in found) else [f for f in found if f is not None]
    single = _factor(amount)
    return None if single is None else [single]


def number_text(number: Decimal) -> str:
    """A decimal as the template stores it: plain notation, no exponent."""
    return format(number, "f")


def parse_number(text: str) -> str:
    """A typed amount («1,250.50», «$ 300») as a decimal text; FormulaError otherwise."""
    cleaned = text.strip().replace("$", "").replace(",", "").replace(" ", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        number = Decimal("NaN")
    if not cleaned or not number.is_finite() or abs(number) >= Decimal("1e12"):
        raise FormulaError(
            f"«{text.strip()}» no es una cantidad. Escriba un número, por ejemplo 650.00 "
            "(negativo para un descuento: -0.5).",
            f"“{text.strip()}” is not an amount. Type a number, e.g. 650.00 (negative for "
            "a discount: -0.5).",
        )
    return number_text(number)


def _term(factor: Factor) -> Any:
    if factor.kind == "number":
        return parse_number(factor.name)
    if factor.kind == "const":
        return {"var": f"$const.{factor.name}"}
    if factor.kind == "field":
        return {"var": factor.name}
    return {"table": [factor.name, {"var": factor.key}]}


def to_amount(factors: Sequence[Factor]) -> Any:
    """The JSON Logic of the product of `factors` (one factor: itself)."""
    if not factors:
        raise FormulaError(
            "Elija al menos un factor del importe (una cantidad fija, una constante, un "
            "campo o una tarifa).",
            "Choose at least one factor of the amount (a fixed amount, a constant, a field "
            "or a fee table).",
        )
    if len(factors) > MAX_FACTORS:
        raise FormulaError(
            f"Un importe tiene como máximo {MAX_FACTORS} factores.",
            f"An amount has at most {MAX_FACTORS} factors.",
        )
    terms = [_term(f) for f in factors]
    return terms[0] if len(terms) == 1 else {"*": terms}
