"""A small, safe JSON Logic evaluator: closed operator list, Decimal arithmetic, hard limits.

Conditions, eligibility rules and fee formulas are data written by liaisons, so they are
interpreted here operator by operator; nothing is ever passed to ``eval``. Semantics follow
json-logic-js (jsonlogic.com) except where noted in the operator's docstring.
"""

from __future__ import annotations

import datetime
import decimal
import itertools
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from workflow_engine.rules.analysis import limit_problems, within_limits
from workflow_engine.rules.errors import RuleError
from workflow_engine.rules.spec import (
    MAX_ITEMS,
    MAX_STEPS,
    MAX_STRING,
    OPERATORS,
    ROUND_PLACES,
    arity_text,
    split_args,
)
from workflow_engine.rules.values import (
    CONTEXT,
    ONE,
    ZERO,
    compare,
    describe,
    format_number,
    in_range,
    is_truthy,
    js_string,
    loose_equals,
    strict_equals,
    to_decimal,
)

__all__ = ["evaluate"]


class _State:
    """What one ``evaluate`` call carries around besides the data."""

    __slots__ = ("steps", "tables", "today")

    def __init__(
        self, tables: Mapping[str, Mapping[str, Any]], today: datetime.date | None
    ) -> None:
        self.tables = tables
        self.today = today
        self.steps = 0


_Eager = Callable[[list[Any], Any, _State], Any]
_Lazy = Callable[[list[Any], bool, Any, _State], Any]

_MISSING: Any = object()


def evaluate(
    expr: Any,
    data: Mapping[str, Any],
    *,
    tables: Mapping[str, Mapping[str, Any]] | None = None,
    today: datetime.date | None = None,
) -> Any:
    """The value of the JSON Logic expression ``expr`` for ``data``.

    ``tables`` are the template's fee tables (for ``table``), ``today`` the date ``today`` and
    ``date_diff_days`` see (the machine's date when omitted). Numbers come back as Decimal.
    Raises RuleError, with a path into ``expr``, for anything it cannot evaluate.
    """
    if isinstance(expr, (dict, list)) and not within_limits(expr):
        for problem in limit_problems(expr, "$"):
            raise RuleError(problem.message_es, problem.message_en, problem.path)
        raise RuleError("La regla es demasiado grande.", "The rule is too large.")
    state = _State(tables if tables is not None else {}, today)
    return _eval(expr, data, state)


def _eval(node: Any, data: Any, st: _State) -> Any:
    if isinstance(node, dict):
        if len(node) != 1:
            raise _not_an_operator(node)
        ((op, raw),) = node.items()
        st.steps += 1
        if st.steps > MAX_STEPS:
            raise RuleError(
                "La regla requiere demasiados cálculos con estos datos.",
                "The rule needs too many calculations with this data.",
            )
        if isinstance(raw, list):
            args, listed = raw, True
        else:
            args, listed = split_args(op, raw)
        try:
            eager = _EAGER.get(op)
            if eager is not None:
                values = []
                for i, arg in enumerate(args):
                    if isinstance(arg, (dict, list)):
                        try:
                            arg = _eval(arg, data, st)
                        except RuleError as error:
                            if listed:
                                error.prepend(f"[{i}]")
                            raise
                    values.append(arg)
                return eager(values, data, st)
            lazy = _LAZY.get(op)
            if lazy is None:
                raise _unknown_operator(op)
            return lazy(args, listed, data, st)
        except RuleError as error:
            if error.arg_index is not None:
                if listed:
                    error.prepend(f"[{error.arg_index}]")
                error.arg_index = None
            error.prepend(f".{op}")
            raise
    if isinstance(node, list):
        return [
            _arg(node, i, True, data, st) if isinstance(item, (dict, list)) else item
            for i, item in enumerate(node)
        ]
    return node


def _arg(args: list[Any], i: int, listed: bool, data: Any, st: _State) -> Any:
    """Evaluate argument ``i``; on error, record ``[i]`` in the path when args were a list."""
    try:
        return _eval(args[i], data, st)
    except RuleError as error:
        if listed:
            error.prepend(f"[{i}]")
        raise


def _not_an_operator(node: Mapping[Any, Any]) -> RuleError:
    if not node:
        return RuleError(
            "Hay un objeto vacío donde se esperaba una operación.",
            "There is an empty object where an operation was expected.",
        )
    return RuleError(
        "Un objeto de regla debe tener exactamente una operación (una sola clave); "
        f"este tiene {len(node)}.",
        f"A rule object must hold exactly one operation (a single key); this one has {len(node)}.",
    )


def _unknown_operator(op: str) -> RuleError:
    return RuleError(
        f"La operación «{op}» no existe. Use una de las operaciones permitidas.",
        f"The operation “{op}” does not exist. Use one of the allowed operations.",
    )


def _arity(op: str, args: list[Any], low: int, high: int | None) -> None:
    n = len(args)
    if n < low or (high is not None and n > high):
        es, en = arity_text(low, high)
        raise RuleError(
            f"La operación «{op}» necesita {es}, pero aquí tiene {n}.",
            f"The operation “{op}” needs {en}, but has {n} here.",
        )


def _blame(error: RuleError, i: int) -> RuleError:
    error.arg_index = i
    return error


def _number(values: list[Any], i: int) -> Decimal:
    try:
        return to_decimal(values[i])
    except RuleError as error:
        raise _blame(error, i) from None


def _integer(values: list[Any], i: int, what_es: str, what_en: str) -> int:
    """A whole number argument (positions, counts); decimals are truncated as in JavaScript."""
    d = _number(values, i)
    if abs(d) > 1_000_000_000:
        es, en = describe(values[i])
        raise _blame(
            RuleError(
                f"{what_es} {es} es demasiado grande.",
                f"{what_en} {en} is too large.",
            ),
            i,
        )
    return int(d)


def _decimal_op(fn: Callable[[], Decimal]) -> Decimal:
    try:
        return in_range(fn())
    except decimal.DecimalException:
        raise RuleError(
            "El resultado del cálculo es demasiado grande o no es válido.",
            "The result of the calculation is too large or not valid.",
        ) from None


# -- data access -------------------------------------------------------------------------------


def _resolve(data: Any, name: Any, i: int) -> Any:
    """The value at dotted path ``name`` (``propietarios.0.nombre``) or _MISSING."""
    if name is None or name == "":
        return data
    if isinstance(name, str):
        key = name
    elif isinstance(name, int) and not isinstance(name, bool):
        key = str(name)
    else:
        es, en = describe(name)
        raise _blame(
            RuleError(
                f"El nombre de una variable debe ser un texto, no {es}.",
                f"A variable name must be text, not {en}.",
            ),
            i,
        )
    current = data
    for part in key.split("."):
        if isinstance(current, Mapping):
            current = current.get(part, _MISSING)
        elif isinstance(current, list | tuple):
            if not (part.isascii() and part.isdigit() and len(part) < 10) or (
                part != "0" and part[0] == "0"
            ):
                return _MISSING
            index = int(part)
            if index >= len(current):
                return _MISSING
            current = current[index]
        else:
            return _MISSING
        if current is _MISSING or current is None:
            return _MISSING
    return current


def _op_var(values: list[Any], data: Any, st: _State) -> Any:
    """``{"var": ["a.b", default]}``. The default also replaces a null value.

    (json-logic-js returns null for a key that is present with a null value; using the default
    is what a fee formula like ``{"var": ["descuento", 0]}`` means.)
    """
    _arity("var", values, 0, 2)
    if not values:
        return data
    found = _resolve(data, values[0], 0)
    if found is _MISSING:
        return values[1] if len(values) > 1 else None
    return found


def _missing_keys(keys: list[Any], data: Any, blame: int | None) -> list[Any]:
    """The keys whose value is absent, null or "" (``blame``: argument holding the list)."""
    if len(keys) > MAX_ITEMS:
        raise _too_many_items("missing", blame or 0)
    out = []
    for position, key in enumerate(keys):
        found = _resolve(data, key, position if blame is None else blame)
        if found is _MISSING or found is None or (isinstance(found, str) and found == ""):
            out.append(key)
    return out


def _op_missing(values: list[Any], data: Any, st: _State) -> Any:
    """``{"missing": ["a", "b"]}`` or ``{"missing": [<list>]}``: the names without a value."""
    if values and isinstance(values[0], list):
        return _missing_keys(values[0], data, 0)
    return _missing_keys(values, data, None)


def _op_missing_some(values: list[Any], data: Any, st: _State) -> Any:
    _arity("missing_some", values, 2, 2)
    need = _integer(values, 0, "La cantidad", "The count")
    options = values[1]
    if not isinstance(options, list):
        raise _blame(
            RuleError(
                "«missing_some» necesita una lista de nombres de campos como segundo argumento.",
                "“missing_some” needs a list of field names as its second argument.",
            ),
            1,
        )
    missing = _missing_keys(options, data, 1)
    return [] if len(options) - len(missing) >= need else missing


def _op_table(values: list[Any], data: Any, st: _State) -> Any:
    """``{"table": ["tarifa_zona", key]}``: the Decimal for ``key`` in a fee table."""
    _arity("table", values, 2, 2)
    name, key = values
    table = st.tables.get(name) if isinstance(name, str) else None
    if table is None:
        es, en = describe(name)
        raise _blame(
            RuleError(
                f"La tabla de tarifas {es} no existe.",
                f"The fee table {en} does not exist.",
            ),
            0,
        )
    if isinstance(key, str):
        text = key
    elif isinstance(key, int | float | Decimal) and not isinstance(key, bool):
        text = format_number(key)
    elif key is None:
        raise _blame(
            RuleError(
                f"Falta el valor que se busca en la tabla de tarifas «{name}».",
                f"The value to look up in the fee table “{name}” is missing.",
            ),
            1,
        )
    else:
        es, en = describe(key)
        raise _blame(
            RuleError(
                f"No se puede buscar {es} en la tabla de tarifas «{name}».",
                f"Cannot look up {en} in the fee table “{name}”.",
            ),
            1,
        )
    found = table.get(text, _MISSING)
    if found is _MISSING:
        raise _blame(
            RuleError(
                f"La tabla de tarifas «{name}» no tiene un valor para «{text}».",
                f"The fee table “{name}” has no entry for “{text}”.",
            ),
            1,
        )
    try:
        return to_decimal(found)
    except RuleError:
        es, en = describe(found)
        raise _blame(
            RuleError(
                f"El valor de «{text}» en la tabla de tarifas «{name}» no es un número: {es}.",
                f"The entry “{text}” in the fee table “{name}” is not a number: {en}.",
            ),
            1,
        ) from None


# -- logic -------------------------------------------------------------------------------------


def _op_if(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    """``if``/``?:``: condition, value, [condition, value...], [else]; null without a match."""
    n = len(args)
    i = 0
    while i < n - 1:
        if is_truthy(_arg(args, i, listed, data, st)):
            return _arg(args, i + 1, listed, data, st)
        i += 2
    if i == n - 1:
        return _arg(args, i, listed, data, st)
    return None


def _op_and(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    """The first falsy value, or the last value."""
    current = None
    for i in range(len(args)):
        current = _arg(args, i, listed, data, st)
        if not is_truthy(current):
            return current
    return current


def _op_or(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    """The first truthy value, or the last value."""
    current = None
    for i in range(len(args)):
        current = _arg(args, i, listed, data, st)
        if is_truthy(current):
            return current
    return current


def _op_not(values: list[Any], data: Any, st: _State) -> Any:
    _arity("!", values, 1, 1)
    return not is_truthy(values[0])


def _op_notnot(values: list[Any], data: Any, st: _State) -> Any:
    _arity("!!", values, 1, 1)
    return is_truthy(values[0])


def _equality(op: str, fn: Callable[[Any, Any], bool], negate: bool) -> _Eager:
    def run(values: list[Any], data: Any, st: _State) -> Any:
        _arity(op, values, 2, 2)
        return fn(values[0], values[1]) != negate

    return run


def _ordering(op: str, accept: Callable[[int], bool], most: int) -> _Eager:
    def run(values: list[Any], data: Any, st: _State) -> Any:
        _arity(op, values, 2, most)
        for a, b in itertools.pairwise(values):
            order = compare(a, b)
            if order is None or not accept(order):
                return False
        return True

    return run


# -- arithmetic --------------------------------------------------------------------------------


def _op_add(values: list[Any], data: Any, st: _State) -> Any:
    """Sum; ``{"+": "3.14"}`` turns text into a number."""
    nums = [_number(values, i) for i in range(len(values))]

    def run() -> Decimal:
        total = ZERO
        for n in nums:
            total = CONTEXT.add(total, n)
        return total

    return _decimal_op(run)


def _op_multiply(values: list[Any], data: Any, st: _State) -> Any:
    _arity("*", values, 1, None)
    nums = [_number(values, i) for i in range(len(values))]

    def run() -> Decimal:
        product = ONE
        for n in nums:
            product = CONTEXT.multiply(product, n)
        return product

    return _decimal_op(run)


def _op_subtract(values: list[Any], data: Any, st: _State) -> Any:
    """``{"-": [a, b]}`` is a - b; ``{"-": a}`` is -a."""
    _arity("-", values, 1, 2)
    a = _number(values, 0)
    if len(values) == 1:
        return _decimal_op(lambda: CONTEXT.minus(a))
    b = _number(values, 1)
    return _decimal_op(lambda: CONTEXT.subtract(a, b))


def _divisor(values: list[Any]) -> Decimal:
    b = _number(values, 1)
    if b.is_zero():
        raise _blame(
            RuleError("No se puede dividir entre cero.", "Cannot divide by zero."),
            1,
        )
    return b


def _op_divide(values: list[Any], data: Any, st: _State) -> Any:
    _arity("/", values, 2, 2)
    a = _number(values, 0)
    b = _divisor(values)
    return _decimal_op(lambda: CONTEXT.divide(a, b))


def _op_modulo(values: list[Any], data: Any, st: _State) -> Any:
    """Remainder with the sign of the dividend, as JavaScript's ``%``."""
    _arity("%", values, 2, 2)
    a = _number(values, 0)
    b = _divisor(values)
    return _decimal_op(lambda: CONTEXT.remainder(a, b))


def _extreme(op: str, pick: Callable[[list[Decimal]], Decimal]) -> _Eager:
    def run(values: list[Any], data: Any, st: _State) -> Any:
        """Largest/smallest number; null when there are none.

        A single list argument is spread: ``{"max": {"var": "montos"}}`` (json-logic-js
        would give NaN).
        """
        if len(values) == 1 and isinstance(values[0], list):
            items = values[0]
            if len(items) > MAX_ITEMS:
                raise _too_many_items(op, 0)
            try:
                nums = [to_decimal(item) for item in items]
            except RuleError as error:
                raise _blame(error, 0) from None
        else:
            nums = [_number(values, i) for i in range(len(values))]
        return pick(nums) if nums else None

    return run


def _op_round(values: list[Any], data: Any, st: _State) -> Any:
    """``{"round": [x, places]}``, half away from zero (2.675 -> 2.68); places default 0."""
    _arity("round", values, 1, 2)
    x = _number(values, 0)
    places = 0
    if len(values) == 2:
        places_d = _number(values, 1)
        low, high = ROUND_PLACES
        if places_d != places_d.to_integral_value() or not low <= places_d <= high:
            es, en = describe(values[1])
            raise _blame(
                RuleError(
                    f"Los decimales para redondear deben ser un número entero entre {low} y "
                    f"{high}, no {es}.",
                    f"The decimal places to round to must be a whole number between {low} and "
                    f"{high}, not {en}.",
                ),
                1,
            )
        places = int(places_d)

    def run() -> Decimal:
        rounded = x.quantize(ONE.scaleb(-places, CONTEXT), decimal.ROUND_HALF_UP, CONTEXT)
        if places < 0:
            rounded = rounded.quantize(ONE, decimal.ROUND_HALF_UP, CONTEXT)
        return rounded

    return _decimal_op(run)


def _integral(op: str, rounding: str) -> _Eager:
    def run(values: list[Any], data: Any, st: _State) -> Any:
        _arity(op, values, 1, 1)
        x = _number(values, 0)
        return _decimal_op(lambda: x.to_integral_value(rounding, CONTEXT))

    return run


# -- lists -------------------------------------------------------------------------------------


def _too_many_items(op: str, i: int) -> RuleError:
    return _blame(
        RuleError(
            f"La operación «{op}» recibió una lista demasiado larga (máximo {MAX_ITEMS} "
            "elementos).",
            f"The operation “{op}” got a list that is too long (at most {MAX_ITEMS} items).",
        ),
        i,
    )


def _items(op: str, args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    """The evaluated list a scoped operator walks over, or None when it is not a list."""
    found = _arg(args, 0, listed, data, st)
    if not isinstance(found, list | tuple):
        return None
    if len(found) > MAX_ITEMS:
        raise _too_many_items(op, 0)
    return found


def _op_map(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    _arity("map", args, 2, 2)
    items = _items("map", args, listed, data, st)
    if items is None:
        return []
    return [_arg(args, 1, listed, item, st) for item in items]


def _op_filter(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    _arity("filter", args, 2, 2)
    items = _items("filter", args, listed, data, st)
    if items is None:
        return []
    return [item for item in items if is_truthy(_arg(args, 1, listed, item, st))]


def _op_reduce(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    """``{"reduce": [list, rule, initial]}``; the rule sees ``current`` and ``accumulator``."""
    _arity("reduce", args, 2, 3)
    items = _items("reduce", args, listed, data, st)
    accumulator = _arg(args, 2, listed, data, st) if len(args) == 3 else None
    if items is None:
        return accumulator
    for item in items:
        accumulator = _arg(args, 1, listed, {"current": item, "accumulator": accumulator}, st)
    return accumulator


def _op_all(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    """True when every item passes; false for an empty list (as json-logic-js)."""
    _arity("all", args, 2, 2)
    items = _items("all", args, listed, data, st)
    if not items:
        return False
    return all(is_truthy(_arg(args, 1, listed, item, st)) for item in items)


def _op_none(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    _arity("none", args, 2, 2)
    items = _items("none", args, listed, data, st) or []
    return not any(is_truthy(_arg(args, 1, listed, item, st)) for item in items)


def _op_some(args: list[Any], listed: bool, data: Any, st: _State) -> Any:
    _arity("some", args, 2, 2)
    items = _items("some", args, listed, data, st) or []
    return any(is_truthy(_arg(args, 1, listed, item, st)) for item in items)


def _op_merge(values: list[Any], data: Any, st: _State) -> Any:
    """One flat list; values that are not lists are added as items."""
    out: list[Any] = []
    for value in values:
        if isinstance(value, list | tuple):
            out.extend(value)
        else:
            out.append(value)
        if len(out) > MAX_ITEMS:
            raise _too_many_items("merge", 0)
    return out


def _op_in(values: list[Any], data: Any, st: _State) -> Any:
    """``{"in": [needle, "text"]}`` finds text within text; with a list, an equal item."""
    _arity("in", values, 2, 2)
    needle, haystack = values
    if isinstance(haystack, str):
        return js_string(needle) in haystack
    if isinstance(haystack, list | tuple):
        return any(strict_equals(needle, item) for item in haystack)
    return False


# -- text --------------------------------------------------------------------------------------


def _op_cat(values: list[Any], data: Any, st: _State) -> Any:
    """Join everything as text; null adds nothing, numbers print as 2.5 / 485."""
    parts = []
    size = 0
    for i, value in enumerate(values):
        if isinstance(value, Mapping):
            raise _blame(
                RuleError(
                    "Un objeto no se puede convertir en texto.",
                    "An object cannot be turned into text.",
                ),
                i,
            )
        part = "" if value is None else js_string(value)
        size += len(part)
        if size > MAX_STRING:
            raise RuleError(
                f"El texto resultante es demasiado largo (máximo {MAX_STRING} caracteres).",
                f"The resulting text is too long (at most {MAX_STRING} characters).",
            )
        parts.append(part)
    return "".join(parts)


def _op_substr(values: list[Any], data: Any, st: _State) -> Any:
    """``{"substr": [text, start, length]}``; negative start counts from the end, negative
    length leaves that many characters off the end (as json-logic-js). Null is ""."""
    _arity("substr", values, 2, 3)
    text = "" if values[0] is None else js_string(values[0])
    start = _integer(values, 1, "La posición", "The position")
    n = len(text)
    begin = max(n + start, 0) if start < 0 else min(start, n)
    if len(values) == 2:
        return text[begin:]
    length = _integer(values, 2, "La longitud", "The length")
    if length < 0:
        return text[begin : max(n + length, begin)]
    return text[begin : begin + length]


def _op_length(values: list[Any], data: Any, st: _State) -> Any:
    """Characters in a text or items in a list; 0 for null."""
    _arity("length", values, 1, 1)
    value = values[0]
    if value is None:
        return 0
    if isinstance(value, str | list | tuple):
        return len(value)
    es, en = describe(value)
    raise _blame(
        RuleError(
            f"Solo se puede medir la longitud de un texto o de una lista, no de {es}.",
            f"Only the length of a text or a list can be measured, not of {en}.",
        ),
        0,
    )


# -- dates -------------------------------------------------------------------------------------


def _date(values: list[Any], i: int) -> datetime.date:
    value = values[i]
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and 10 <= len(value) <= 40:
        try:
            if len(value) == 10:
                return datetime.date.fromisoformat(value)
            return datetime.datetime.fromisoformat(value).date()
        except ValueError:
            pass
    es, en = describe(value)
    raise _blame(
        RuleError(
            f"Se esperaba una fecha con el formato AAAA-MM-DD, pero el valor es {es}.",
            f"A date in the form YYYY-MM-DD was expected, but the value is {en}.",
        ),
        i,
    )


def _op_date_diff_days(values: list[Any], data: Any, st: _State) -> Any:
    """``{"date_diff_days": [a, b]}``: days from date a to date b (negative if b is earlier)."""
    _arity("date_diff_days", values, 2, 2)
    return (_date(values, 1) - _date(values, 0)).days


def _op_today(values: list[Any], data: Any, st: _State) -> Any:
    """Today's date as ``YYYY-MM-DD`` (the ``today`` given to evaluate)."""
    _arity("today", values, 0, 0)
    return (st.today or datetime.date.today()).isoformat()


_LAZY: dict[str, _Lazy] = {
    "if": _op_if,
    "?:": _op_if,
    "and": _op_and,
    "or": _op_or,
    "map": _op_map,
    "filter": _op_filter,
    "reduce": _op_reduce,
    "all": _op_all,
    "none": _op_none,
    "some": _op_some,
}

_EAGER: dict[str, _Eager] = {
    "var": _op_var,
    "missing": _op_missing,
    "missing_some": _op_missing_some,
    "==": _equality("==", loose_equals, False),
    "===": _equality("===", strict_equals, False),
    "!=": _equality("!=", loose_equals, True),
    "!==": _equality("!==", strict_equals, True),
    "!": _op_not,
    "!!": _op_notnot,
    ">": _ordering(">", lambda order: order > 0, 2),
    ">=": _ordering(">=", lambda order: order >= 0, 2),
    "<": _ordering("<", lambda order: order < 0, 3),
    "<=": _ordering("<=", lambda order: order <= 0, 3),
    "max": _extreme("max", max),
    "min": _extreme("min", min),
    "+": _op_add,
    "-": _op_subtract,
    "*": _op_multiply,
    "/": _op_divide,
    "%": _op_modulo,
    "round": _op_round,
    "floor": _integral("floor", decimal.ROUND_FLOOR),
    "ceil": _integral("ceil", decimal.ROUND_CEILING),
    "merge": _op_merge,
    "in": _op_in,
    "cat": _op_cat,
    "substr": _op_substr,
    "length": _op_length,
    "table": _op_table,
    "date_diff_days": _op_date_diff_days,
    "today": _op_today,
}

assert set(_LAZY) | set(_EAGER) == OPERATORS, "operator table out of sync with spec.ARITY"
