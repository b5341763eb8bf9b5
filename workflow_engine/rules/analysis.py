"""Look at a rule without evaluating it: limits, well-formedness, the variables it reads.

The template validator uses these to refuse a malformed rule when a liaison saves it, and to
check that every variable a rule reads is a field of the procedure.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from workflow_engine.rules.errors import RuleProblem
from workflow_engine.rules.spec import (
    ARITY,
    MAX_DEPTH,
    MAX_NODES,
    ROUND_PLACES,
    SCOPED,
    arity_text,
    split_args,
)
from workflow_engine.rules.values import describe, number_or_none

__all__ = ["check", "limit_problems", "referenced_tables", "referenced_vars", "within_limits"]

_NUMERIC_ARGS = frozenset({"+", "-", "*", "/", "%", "max", "min", "round", "floor", "ceil"})


def within_limits(expr: Any) -> bool:
    """Fast test that ``expr`` respects MAX_DEPTH and MAX_NODES (run on every evaluate)."""
    level = [expr]
    depth = 0
    count = 0
    while level:
        depth += 1
        count += len(level)
        if count > MAX_NODES:
            return False
        below: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                for raw in node.values():
                    if isinstance(raw, list):
                        below.extend(raw)
                    else:
                        below.append(raw)
            elif isinstance(node, list):
                below.extend(node)
            else:
                continue
            if depth > MAX_DEPTH:
                return False
        level = below
    return True


def _children(node: Any, path: str) -> list[tuple[Any, str]]:
    """The nodes directly below ``node`` with their paths (argument lists are not nodes)."""
    if isinstance(node, list):
        return [(item, f"{path}[{i}]") for i, item in enumerate(node)]
    out: list[tuple[Any, str]] = []
    for op, raw in node.items():
        if isinstance(raw, list):
            out.extend((arg, f"{path}.{op}[{i}]") for i, arg in enumerate(raw))
        else:
            out.append((raw, f"{path}.{op}"))
    return out


def _limits(expr: Any, path: str) -> tuple[RuleProblem | None, RuleProblem | None]:
    """(depth problem at the first node too deep, size problem at ``path``), None when fine."""
    too_deep: RuleProblem | None = None
    stack: list[tuple[Any, str, int]] = [(expr, path, 1)]
    count = 0
    while stack:
        node, node_path, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            too_big = RuleProblem(
                path,
                f"La regla es demasiado grande (máximo {MAX_NODES} elementos). "
                "Divídala o simplifíquela.",
                f"The rule is too large (at most {MAX_NODES} elements). Split or simplify it.",
            )
            return too_deep, too_big
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            if too_deep is None:
                too_deep = RuleProblem(
                    node_path,
                    f"La regla tiene demasiados niveles anidados (máximo {MAX_DEPTH}). "
                    "Simplifíquela.",
                    f"The rule is nested too deeply (at most {MAX_DEPTH} levels). Simplify it.",
                )
            continue
        children = _children(node, node_path)
        stack.extend((child, child_path, depth + 1) for child, child_path in reversed(children))
    return too_deep, None


def limit_problems(expr: Any, path: str = "$") -> list[RuleProblem]:
    """The depth and size problems of ``expr``, if any (what ``evaluate`` refuses first)."""
    return [p for p in _limits(expr, path) if p is not None]


def check(expr: Any, *, path: str = "$") -> list[RuleProblem]:
    """Every reason why ``expr`` is not a well-formed rule; empty when it is.

    Needs no case data. ``path`` is where ``expr`` sits in the template, so problems read like
    ``$.steps[3].transitions[0].when.and[1]``.
    """
    too_deep, too_big = _limits(expr, path)
    problems = [p for p in (too_deep, too_big) if p is not None]
    if too_big is None:
        _check_node(expr, path, 1, problems)
    return problems


def _problem(out: list[RuleProblem], path: str, es: str, en: str) -> None:
    out.append(RuleProblem(path, es, en))


def _check_node(node: Any, path: str, depth: int, out: list[RuleProblem]) -> None:
    if depth > MAX_DEPTH:
        return  # already reported by limit_problems
    if isinstance(node, list):
        for i, item in enumerate(node):
            _check_node(item, f"{path}[{i}]", depth + 1, out)
        return
    if not isinstance(node, dict):
        _check_literal(node, path, out)
        return
    if len(node) != 1:
        if node:
            _problem(
                out,
                path,
                "Un objeto de regla debe tener exactamente una operación (una sola clave); "
                f"este tiene {len(node)}: {', '.join(map(str, node))}.",
                "A rule object must hold exactly one operation (a single key); "
                f"this one has {len(node)}: {', '.join(map(str, node))}.",
            )
        else:
            _problem(
                out,
                path,
                "Hay un objeto vacío donde se esperaba una operación.",
                "There is an empty object where an operation was expected.",
            )
        return
    ((op, raw),) = node.items()
    op_path = f"{path}.{op}"
    if not isinstance(op, str) or op not in ARITY:
        _problem(
            out,
            op_path,
            f"La operación «{op}» no existe. Use una de las operaciones permitidas.",
            f"The operation “{op}” does not exist. Use one of the allowed operations.",
        )
        return
    args, listed = split_args(op, raw)
    low, high = ARITY[op]
    if len(args) < low or (high is not None and len(args) > high):
        es, en = arity_text(low, high)
        _problem(
            out,
            op_path,
            f"La operación «{op}» necesita {es}, pero aquí tiene {len(args)}.",
            f"The operation “{op}” needs {en}, but has {len(args)} here.",
        )

    def arg_path(i: int) -> str:
        return f"{op_path}[{i}]" if listed else op_path

    _check_operands(op, args, arg_path, out)
    for i, arg in enumerate(args):
        _check_node(arg, arg_path(i), depth + 1, out)


def _check_literal(value: Any, path: str, out: list[RuleProblem]) -> None:
    if value is None or isinstance(value, str | bool | int | Decimal):
        return
    if isinstance(value, float) and number_or_none(value) is not None:
        return
    es, en = describe(value)
    _problem(
        out,
        path,
        f"El valor {es} no es válido en una regla.",
        f"The value {en} is not valid in a rule.",
    )


def _is_name(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, int) and not isinstance(value, bool) and value >= 0
    )


def _check_operands(op: str, args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    """Problems visible in the literal (non-computed) arguments of one operator."""
    if op in _NUMERIC_ARGS:
        _check_numbers(op, args, arg_path, out)
        return
    check = _OPERAND_CHECKS.get(op)
    if check is not None:
        check(args, arg_path, out)


def _check_var(args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    if not args:
        return
    name = args[0]
    if name is not None and not isinstance(name, dict) and not _is_name(name):
        es, en = describe(name)
        _problem(
            out,
            arg_path(0),
            f"El nombre de una variable debe ser un texto, no {es}.",
            f"A variable name must be text, not {en}.",
        )
    elif isinstance(name, str) and name and "" in name.split("."):
        _problem(
            out,
            arg_path(0),
            f"El nombre de variable «{name}» tiene un punto de más o de menos.",
            f"The variable name “{name}” has a stray or missing dot.",
        )


def _check_missing(args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    if len(args) == 1 and isinstance(args[0], list):
        _check_names(args[0], arg_path(0), out, indexed=True)
    else:
        for i, arg in enumerate(args):
            _check_names([arg], arg_path(i), out, indexed=False)


def _check_missing_some(args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    if len(args) != 2:
        return
    need = args[0]
    if not isinstance(need, dict) and not (
        isinstance(need, int) and not isinstance(need, bool) and need >= 0
    ):
        es, en = describe(need)
        _problem(
            out,
            arg_path(0),
            f"«missing_some» necesita una cantidad entera, no {es}.",
            f"“missing_some” needs a whole number, not {en}.",
        )
    if isinstance(args[1], list):
        _check_names(args[1], arg_path(1), out, indexed=True)
    elif not isinstance(args[1], dict):
        _problem(
            out,
            arg_path(1),
            "«missing_some» necesita una lista de nombres de campos como segundo argumento.",
            "“missing_some” needs a list of field names as its second argument.",
        )


def _check_table(args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    if args and (not isinstance(args[0], str) or not args[0]):
        _problem(
            out,
            arg_path(0),
            "El nombre de la tabla de tarifas debe escribirse como un texto fijo.",
            "The fee table name must be written as fixed text.",
        )


def _check_dates(args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    for i, arg in enumerate(args):
        if isinstance(arg, dict):
            continue
        if not (isinstance(arg, str) and _is_date(arg)):
            es, en = describe(arg)
            _problem(
                out,
                arg_path(i),
                f"Se esperaba una fecha con el formato AAAA-MM-DD, no {es}.",
                f"A date in the form YYYY-MM-DD was expected, not {en}.",
            )


def _check_substr(args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    for i in (1, 2):
        if i < len(args) and not isinstance(args[i], dict) and number_or_none(args[i]) is None:
            es, en = describe(args[i])
            _problem(
                out,
                arg_path(i),
                f"Se esperaba un número, no {es}.",
                f"A number was expected, not {en}.",
            )


_OPERAND_CHECKS: dict[str, Callable[[list[Any], Any, list[RuleProblem]], None]] = {
    "var": _check_var,
    "missing": _check_missing,
    "missing_some": _check_missing_some,
    "table": _check_table,
    "date_diff_days": _check_dates,
    "substr": _check_substr,
}


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _check_names(names: list[Any], path: str, out: list[RuleProblem], *, indexed: bool) -> None:
    for i, name in enumerate(names):
        if isinstance(name, dict) or _is_name(name):
            continue
        es, en = describe(name)
        _problem(
            out,
            f"{path}[{i}]" if indexed else path,
            f"El nombre de un campo debe ser un texto, no {es}.",
            f"A field name must be text, not {en}.",
        )


def _check_numbers(op: str, args: list[Any], arg_path: Any, out: list[RuleProblem]) -> None:
    if op in ("max", "min") and len(args) == 1 and isinstance(args[0], list):
        return  # a list to spread; its items are checked as literals
    for i, arg in enumerate(args):
        if isinstance(arg, dict):
            continue
        number = number_or_none(arg)
        if number is None:
            es, en = describe(arg)
            _problem(
                out,
                arg_path(i),
                f"Se esperaba un número, no {es}.",
                f"A number was expected, not {en}.",
            )
        elif i == 1 and op in ("/", "%") and number.is_zero():
            _problem(
                out,
                arg_path(i),
                "No se puede dividir entre cero.",
                "Cannot divide by zero.",
            )
        elif i == 1 and op == "round":
            low, high = ROUND_PLACES
            if number != number.to_integral_value() or not low <= number <= high:
                _problem(
                    out,
                    arg_path(i),
                    f"Los decimales para redondear deben ser un número entero entre {low} y "
                    f"{high}.",
                    f"The decimal places to round to must be a whole number between {low} and "
                    f"{high}.",
                )


def referenced_vars(expr: Any) -> set[str]:
    """The case-data variables ``expr`` reads by name (``var``, ``missing``, ``missing_some``).

    Names are dotted paths as written. Reserved names (``$const.uma``) and the whole-data name
    ``""`` are left out, and so is everything inside the per-item rule of ``map``, ``filter``,
    ``reduce``, ``all``, ``none`` and ``some``, which reads the list item, not the case.
    """
    out: set[str] = set()
    _collect_vars(expr, out, 1)
    return out


def _add_name(name: Any, out: set[str]) -> bool:
    """Record a literal name; False when ``name`` is not a literal name (an expression)."""
    if isinstance(name, str):
        if name and not name.startswith("$"):
            out.add(name)
        return True
    if isinstance(name, int) and not isinstance(name, bool):
        out.add(str(name))
        return True
    return False


def _collect_vars(node: Any, out: set[str], depth: int) -> None:
    if depth > MAX_DEPTH + 1:
        return
    if isinstance(node, list):
        for item in node:
            _collect_vars(item, out, depth + 1)
        return
    if not isinstance(node, dict) or len(node) != 1:
        return
    ((op, raw),) = node.items()
    args, _ = split_args(op, raw) if isinstance(op, str) else ([], False)
    if op == "var":
        if args and not _add_name(args[0], out):
            _collect_vars(args[0], out, depth + 1)
        for arg in args[1:]:
            _collect_vars(arg, out, depth + 1)
    elif op == "missing":
        _collect_names(args, out, depth)
    elif op == "missing_some":
        for arg in args[:1]:
            _collect_vars(arg, out, depth + 1)
        _collect_names(args[1:], out, depth)
    elif op in SCOPED:
        if args:
            _collect_vars(args[0], out, depth + 1)
        if op == "reduce" and len(args) > 2:
            _collect_vars(args[2], out, depth + 1)
    else:
        for arg in args:
            _collect_vars(arg, out, depth + 1)


def _collect_names(args: list[Any], out: set[str], depth: int) -> None:
    """Names given to ``missing``: literal texts, lists of them, or expressions producing them."""
    for arg in args:
        for item in arg if isinstance(arg, list) else [arg]:
            if not _add_name(item, out):
                _collect_vars(item, out, depth + 1)


def referenced_tables(expr: Any) -> set[str]:
    """The fee tables ``expr`` reads with ``{"table": ["name", key]}`` (literal names only)."""
    out: set[str] = set()
    _collect_tables(expr, out, 1)
    return out


def _collect_tables(node: Any, out: set[str], depth: int) -> None:
    if depth > MAX_DEPTH + 1:
        return
    if isinstance(node, list):
        for item in node:
            _collect_tables(item, out, depth + 1)
        return
    if not isinstance(node, dict):
        return
    for op, raw in node.items():
        args, _ = split_args(str(op), raw)
        if op == "table" and args and isinstance(args[0], str):
            out.add(args[0])
        for arg in args:
            _collect_tables(arg, out, depth + 1)
