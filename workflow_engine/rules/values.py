"""Truthiness, numbers and comparisons with JsonLogic's (JavaScript's) meaning, on Decimal.

JsonLogic inherits JavaScript's loose typing: ``"2" > 1`` is true and ``1 == "1"`` too. These
helpers reproduce that behaviour without floats, so money stays exact.
"""

from __future__ import annotations

import datetime
import decimal
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from workflow_engine.rules.errors import RuleError

# Every arithmetic operation runs in this context: 34 significant digits (IEEE decimal128),
# and anything odd (overflow, invalid operation, division by zero) raises instead of
# producing Infinity or NaN.
CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

ZERO = Decimal(0)
ONE = Decimal(1)

# Decimal numbers as a person writes them: "48.50", "-3", ".5", "1e3". No underscores,
# no "NaN"/"Infinity", no hexadecimal.
_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_NUMERIC_TEXT = 200
# Numbers whose magnitude is beyond 10^±1000 have no business in a municipal procedure and
# would make formatting or integer conversion expensive.
_MAX_EXPONENT = 1000
_MAX_DATA_DEPTH = 64


def describe(value: Any) -> tuple[str, str]:
    """A short rendering of ``value`` for a message (Spanish, English)."""
    if value is None:
        return "vacío", "empty"
    if value is True:
        return "verdadero", "true"
    if value is False:
        return "falso", "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f"«{text}»", f"“{text}”"
    if isinstance(value, int | float | Decimal):
        text = format_number(value)
        return text, text
    if isinstance(value, list | tuple):
        return "una lista", "a list"
    if isinstance(value, Mapping):
        return "un objeto", "an object"
    text = str(value)[:40]
    return f"«{text}»", f"“{text}”"


def _not_a_number(value: Any) -> RuleError:
    es, en = describe(value)
    return RuleError(
        f"Se esperaba un número, pero el valor es {es}.",
        f"A number was expected, but the value is {en}.",
    )


def _checked(d: Decimal, original: Any) -> Decimal:
    if not d.is_finite():
        raise _not_a_number(original)
    if d.is_zero():
        return d if abs(d.adjusted()) <= _MAX_EXPONENT else ZERO
    if abs(d.adjusted()) > _MAX_EXPONENT:
        es, en = describe(original)
        raise RuleError(
            f"El número {es} es demasiado grande o demasiado pequeño.",
            f"The number {en} is too large or too small.",
        )
    return d


MAX_AMOUNT_CENTS = 2**31 - 1
"""The largest amount of money, in centavos, a fee line or a total may come to (about 21.4
million pesos): payment orders and the ledger keep centavos in 32-bit integer columns."""


def to_cents(value: Any) -> int:
    """``value`` (pesos) as whole centavos, rounded half-up; RuleError when it is not a number
    or its size is beyond :data:`MAX_AMOUNT_CENTS`."""
    amount = to_decimal(value)
    cents = None
    if amount.is_zero() or amount.adjusted() < 12:
        cents = int(amount.scaleb(2, CONTEXT).quantize(ONE, decimal.ROUND_HALF_UP, CONTEXT))
    if cents is None or abs(cents) > MAX_AMOUNT_CENTS:
        es, en = describe(value)
        limit = format(Decimal(MAX_AMOUNT_CENTS).scaleb(-2), ",.2f")
        raise RuleError(
            f"El importe {es} excede el máximo que se puede cobrar (${limit}).",
            f"The amount {en} is more than can be charged (${limit}).",
        )
    return cents


def in_range(d: Decimal) -> Decimal:
    """``d`` itself, or RuleError when a calculated result is absurdly large or small."""
    if d.is_zero() or abs(d.adjusted()) <= _MAX_EXPONENT:
        return d
    raise RuleError(
        "El resultado del cálculo es demasiado grande o demasiado pequeño.",
        "The result of the calculation is too large or too small.",
    )


_INT_LIMIT = 10**18


def _checked_int(value: int) -> Decimal:
    if value.bit_length() > 3000:
        raise _not_a_number(value)
    return _checked(Decimal(value), value)


def to_decimal(value: Any) -> Decimal:
    """The exact Decimal for a number or numeric text (``48.50``); RuleError otherwise.

    Floats go through ``str`` so that ``0.1`` becomes ``Decimal("0.1")``. Booleans, empty
    values, lists and words are not numbers.
    """
    if type(value) is int:
        return Decimal(value) if -_INT_LIMIT < value < _INT_LIMIT else _checked_int(value)
    if isinstance(value, Decimal):
        return _checked(value, value)
    if isinstance(value, bool):
        raise _not_a_number(value)
    if isinstance(value, int):
        return _checked_int(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _not_a_number(value)
        return _checked(Decimal(repr(value)), value)
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= _MAX_NUMERIC_TEXT and _NUMERIC.fullmatch(text):
            return _checked(Decimal(text), value)
    raise _not_a_number(value)


def number_or_none(value: Any) -> Decimal | None:
    """Like :func:`to_decimal` but None for anything that is not a number (JavaScript NaN)."""
    try:
        return to_decimal(value)
    except RuleError:
        return None


def is_truthy(value: Any) -> bool:
    """JsonLogic truthiness: 0, "", [], null and false are false; "0" and {} are true."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int):
        return value != 0
    if isinstance(value, Decimal):
        return not (value.is_nan() or value.is_zero())
    if isinstance(value, float):
        return not (value != value or value == 0.0)
    if isinstance(value, list | tuple):
        return len(value) > 0
    return True


def format_number(value: int | float | Decimal) -> str:
    """Render a number as JavaScript would: ``2.5``, ``485`` (no trailing zeros), ``1e+21``."""
    d = value if isinstance(value, Decimal) else Decimal(repr(value))
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "Infinity" if d > 0 else "-Infinity"
    if d.is_zero():
        return "0"
    try:
        n = d.normalize(CONTEXT)
    except decimal.DecimalException:
        return str(d)
    if -7 <= n.adjusted() < 21:
        return format(n, "f")
    return format(n, "e").replace("E", "e")


def js_string(value: Any, depth: int = 0) -> str:
    """JavaScript's ``String(value)``; lists are joined with commas like ``Array.toString``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float | Decimal):
        return format_number(value)
    if isinstance(value, list | tuple):
        if depth > _MAX_DATA_DEPTH:
            raise _too_deep()
        return ",".join("" if item is None else js_string(item, depth + 1) for item in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def _too_deep() -> RuleError:
    return RuleError(
        "Los datos están anidados demasiado profundo para compararlos.",
        "The data is nested too deeply to be compared.",
    )


def _to_number(value: Any) -> Decimal | None:
    """JavaScript's ``Number(value)`` on a primitive; None stands for NaN."""
    if value is None or value is False:
        return ZERO
    if value is True:
        return ONE
    if isinstance(value, str):
        if value.strip() == "":
            return ZERO
        return number_or_none(value)
    if isinstance(value, int | float | Decimal):
        return number_or_none(value)
    return None


def _primitive(value: Any) -> Any:
    """JavaScript's ToPrimitive: lists become their text, dates their ISO text."""
    if isinstance(value, list | tuple | Mapping | datetime.date):
        return js_string(value)
    return value


_NULL, _BOOL, _NUMBER, _STRING, _ARRAY, _OBJECT, _OTHER = range(7)


def _kind(value: Any) -> int:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, str):
        return _STRING
    if isinstance(value, int | float | Decimal):
        return _NUMBER
    if isinstance(value, list | tuple):
        return _ARRAY
    if isinstance(value, Mapping):
        return _OBJECT
    return _OTHER


def _same_number(a: Any, b: Any) -> bool:
    if type(a) is int and type(b) is int:
        return bool(a == b)
    x, y = number_or_none(a), number_or_none(b)
    return x is not None and y is not None and x == y


def strict_equals(a: Any, b: Any, depth: int = 0) -> bool:
    """``===``: same kind and same value. Lists and objects compare by content.

    (JavaScript compares lists by identity, so two lists are never ``===``; comparing content
    is the only useful meaning for data that came from JSON.)
    """
    if isinstance(a, datetime.date):
        a = a.isoformat()
    if isinstance(b, datetime.date):
        b = b.isoformat()
    kind = _kind(a)
    if kind != _kind(b):
        return False
    if kind == _NUMBER:
        return _same_number(a, b)
    if depth > _MAX_DATA_DEPTH:
        raise _too_deep()
    if kind == _ARRAY:
        return len(a) == len(b) and all(
            strict_equals(x, y, depth + 1) for x, y in zip(a, b, strict=True)
        )
    if kind == _OBJECT:
        return set(a.keys()) == set(b.keys()) and all(
            strict_equals(a[k], b[k], depth + 1) for k in a
        )
    return bool(a == b)


def loose_equals(a: Any, b: Any) -> bool:
    """``==`` with JavaScript's coercions: ``1 == "1"``, ``0 == ""``, ``true == 1``."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, datetime.date):
        a = a.isoformat()
    if isinstance(b, datetime.date):
        b = b.isoformat()
    ka, kb = _kind(a), _kind(b)
    if ka == kb:
        return strict_equals(a, b)
    if ka == _BOOL:
        return loose_equals(1 if a else 0, b)
    if kb == _BOOL:
        return loose_equals(a, 1 if b else 0)
    if (ka, kb) in ((_NUMBER, _STRING), (_STRING, _NUMBER)):
        x, y = _to_number(a), _to_number(b)
        return x is not None and y is not None and x == y
    if ka in (_ARRAY, _OBJECT) and kb in (_NUMBER, _STRING):
        return loose_equals(_primitive(a), b)
    if kb in (_ARRAY, _OBJECT) and ka in (_NUMBER, _STRING):
        return loose_equals(a, _primitive(b))
    return False


def compare(a: Any, b: Any) -> int | None:
    """Order two values for ``<``, ``>``...: -1, 0 or 1; None when they cannot be ordered.

    As in JavaScript, two texts compare as text ("2024-01-05" < "2024-02-01") and everything
    else as numbers (null counts as 0). Unlike JavaScript, two texts that are both numbers
    compare as numbers, because form fields hold money as text: "100.00" > "99.50".
    """
    if type(a) is int and type(b) is int:
        return (a > b) - (a < b)
    pa, pb = _primitive(a), _primitive(b)
    if isinstance(pa, str) and isinstance(pb, str):
        x, y = number_or_none(pa), number_or_none(pb)
        if x is None or y is None:
            return (pa > pb) - (pa < pb)
    else:
        x, y = _to_number(pa), _to_number(pb)
        if x is None or y is None:
            return None
    return (x > y) - (x < y)
