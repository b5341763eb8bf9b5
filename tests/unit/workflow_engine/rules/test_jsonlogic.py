"""Conformance and safety tests for the JSON Logic evaluator in workflow_engine.rules."""

from __future__ import annotations

import datetime
import json
import pickle
from decimal import Decimal
from typing import Any

import pytest

from workflow_engine.rules import (
    MAX_ITEMS,
    MAX_NODES,
    OPERATORS,
    RuleError,
    RuleProblem,
    check,
    evaluate,
    is_truthy,
    jsonlogic,
    referenced_tables,
    referenced_vars,
    to_decimal,
)


def same(actual: Any, expected: Any) -> bool:
    """Deep equality that keeps booleans apart from numbers and compares numbers exactly."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float | Decimal):
        if not isinstance(actual, int | float | Decimal):
            return False
        return Decimal(str(actual)) == Decimal(str(expected))
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(same(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(same(actual[k], expected[k]) for k in expected)
        )
    return type(actual) is type(expected) and actual == expected


DESSERTS = {
    "desserts": [
        {"name": "apple", "qty": 1},
        {"name": "brownie", "qty": 2},
        {"name": "cupcake", "qty": 3},
    ]
}
ITEMS = {"items": [{"qty": 1, "sku": "apple"}, {"qty": 2, "sku": "banana"}]}
INTS = {"integers": [1, 2, 3]}

# Rewritten from json-logic-js tests/tests.json (jsonlogic.com); only the alias operators
# (equal, add, ...) and custom operators of that file are left out: they are not in our
# whitelist. (expression, data, expected)
REFERENCE_CASES: list[tuple[Any, Any, Any]] = [
    # Non-rules get passed through
    (True, {}, True),
    (False, {}, False),
    (17, {}, 17),
    (3.14, {}, 3.14),
    ("apple", {}, "apple"),
    (None, {}, None),
    (["a", "b"], {}, ["a", "b"]),
    # Single operator tests
    ({"==": [1, 1]}, {}, True),
    ({"==": [1, "1"]}, {}, True),
    ({"==": [1, 2]}, {}, False),
    ({"===": [1, 1]}, {}, True),
    ({"===": [1, "1"]}, {}, False),
    ({"===": [1, 2]}, {}, False),
    ({"!=": [1, 2]}, {}, True),
    ({"!=": [1, 1]}, {}, False),
    ({"!=": [1, "1"]}, {}, False),
    ({"!==": [1, 2]}, {}, True),
    ({"!==": [1, 1]}, {}, False),
    ({"!==": [1, "1"]}, {}, True),
    ({">": [2, 1]}, {}, True),
    ({">": [1, 1]}, {}, False),
    ({">": [1, 2]}, {}, False),
    ({">": ["2", 1]}, {}, True),
    ({">=": [2, 1]}, {}, True),
    ({">=": [1, 1]}, {}, True),
    ({">=": [1, 2]}, {}, False),
    ({">=": ["2", 1]}, {}, True),
    ({"<": [2, 1]}, {}, False),
    ({"<": [1, 1]}, {}, False),
    ({"<": [1, 2]}, {}, True),
    ({"<": ["1", 2]}, {}, True),
    ({"<": [1, 2, 3]}, {}, True),
    ({"<": [1, 1, 3]}, {}, False),
    ({"<": [1, 4, 3]}, {}, False),
    ({"<=": [2, 1]}, {}, False),
    ({"<=": [1, 1]}, {}, True),
    ({"<=": [1, 2]}, {}, True),
    ({"<=": ["1", 2]}, {}, True),
    ({"<=": [1, 2, 3]}, {}, True),
    ({"<=": [1, 4, 3]}, {}, False),
    ({"!": [False]}, {}, True),
    ({"!": False}, {}, True),
    ({"!": [True]}, {}, False),
    ({"!": True}, {}, False),
    ({"!": 0}, {}, True),
    ({"!": 1}, {}, False),
    ({"or": [True, True]}, {}, True),
    ({"or": [False, True]}, {}, True),
    ({"or": [True, False]}, {}, True),
    ({"or": [False, False]}, {}, False),
    ({"or": [False, False, True]}, {}, True),
    ({"or": [False, False, False]}, {}, False),
    ({"or": [False]}, {}, False),
    ({"or": [True]}, {}, True),
    ({"or": [1, 3]}, {}, 1),
    ({"or": [3, False]}, {}, 3),
    ({"or": [False, 3]}, {}, 3),
    ({"and": [True, True]}, {}, True),
    ({"and": [False, True]}, {}, False),
    ({"and": [True, False]}, {}, False),
    ({"and": [False, False]}, {}, False),
    ({"and": [True, True, True]}, {}, True),
    ({"and": [True, True, False]}, {}, False),
    ({"and": [False]}, {}, False),
    ({"and": [True]}, {}, True),
    ({"and": [1, 3]}, {}, 3),
    ({"and": [3, False]}, {}, False),
    ({"and": [False, 3]}, {}, False),
    ({"?:": [True, 1, 2]}, {}, 1),
    ({"?:": [False, 1, 2]}, {}, 2),
    ({"in": ["Bart", ["Bart", "Homer", "Lisa", "Marge", "Maggie"]]}, {}, True),
    ({"in": ["Milhouse", ["Bart", "Homer", "Lisa", "Marge", "Maggie"]]}, {}, False),
    ({"in": ["Spring", "Springfield"]}, {}, True),
    ({"in": ["i", "team"]}, {}, False),
    ({"cat": "ice"}, {}, "ice"),
    ({"cat": ["ice"]}, {}, "ice"),
    ({"cat": ["ice", "cream"]}, {}, "icecream"),
    ({"cat": [1, 2]}, {}, "12"),
    ({"cat": ["Robocop", 2]}, {}, "Robocop2"),
    ({"cat": ["we all scream for ", "ice", "cream"]}, {}, "we all scream for icecream"),
    ({"%": [1, 2]}, {}, 1),
    ({"%": [2, 2]}, {}, 0),
    ({"%": [3, 2]}, {}, 1),
    ({"max": [1, 2, 3]}, {}, 3),
    ({"max": [1, 3, 3]}, {}, 3),
    ({"max": [3, 2, 1]}, {}, 3),
    ({"max": [1]}, {}, 1),
    ({"min": [1, 2, 3]}, {}, 1),
    ({"min": [1, 1, 3]}, {}, 1),
    ({"min": [3, 2, 1]}, {}, 1),
    ({"min": [1]}, {}, 1),
    ({"+": [1, 2]}, {}, 3),
    ({"+": [2, 2, 2]}, {}, 6),
    ({"+": [1]}, {}, 1),
    ({"+": ["1", 1]}, {}, 2),
    ({"*": [3, 2]}, {}, 6),
    ({"*": [2, 2, 2]}, {}, 8),
    ({"*": [1]}, {}, 1),
    ({"*": ["1", 1]}, {}, 1),
    ({"-": [2, 3]}, {}, -1),
    ({"-": [3, 2]}, {}, 1),
    ({"-": [3]}, {}, -3),
    ({"-": ["1", 1]}, {}, 0),
    ({"/": [4, 2]}, {}, 2),
    ({"/": [2, 4]}, {}, 0.5),
    ({"/": ["1", 1]}, {}, 1),
    # Substring
    ({"substr": ["jsonlogic", 4]}, None, "logic"),
    ({"substr": ["jsonlogic", -5]}, None, "logic"),
    ({"substr": ["jsonlogic", 0, 1]}, None, "j"),
    ({"substr": ["jsonlogic", -1, 1]}, None, "c"),
    ({"substr": ["jsonlogic", 4, 5]}, None, "logic"),
    ({"substr": ["jsonlogic", -5, 5]}, None, "logic"),
    ({"substr": ["jsonlogic", -5, -2]}, None, "log"),
    ({"substr": ["jsonlogic", 1, -5]}, None, "son"),
    # Merge arrays
    ({"merge": []}, None, []),
    ({"merge": [[1]]}, None, [1]),
    ({"merge": [[1], []]}, None, [1]),
    ({"merge": [[1], [2]]}, None, [1, 2]),
    ({"merge": [[1], [2], [3]]}, None, [1, 2, 3]),
    ({"merge": [[1, 2], [3]]}, None, [1, 2, 3]),
    ({"merge": [[1], [2, 3]]}, None, [1, 2, 3]),
    ({"merge": 1}, None, [1]),
    ({"merge": [1, 2]}, None, [1, 2]),
    ({"merge": [1, [2]]}, None, [1, 2]),
    # Too few args
    ({"if": []}, None, None),
    ({"if": [True]}, None, True),
    ({"if": [False]}, None, False),
    ({"if": ["apple"]}, None, "apple"),
    # Simple if/then/else cases
    ({"if": [True, "apple"]}, None, "apple"),
    ({"if": [False, "apple"]}, None, None),
    ({"if": [True, "apple", "banana"]}, None, "apple"),
    ({"if": [False, "apple", "banana"]}, None, "banana"),
    # Empty arrays are falsey
    ({"if": [[], "apple", "banana"]}, None, "banana"),
    ({"if": [[1], "apple", "banana"]}, None, "apple"),
    ({"if": [[1, 2, 3, 4], "apple", "banana"]}, None, "apple"),
    # Empty strings are falsey, all other strings are truthy
    ({"if": ["", "apple", "banana"]}, None, "banana"),
    ({"if": ["zucchini", "apple", "banana"]}, None, "apple"),
    ({"if": ["0", "apple", "banana"]}, None, "apple"),
    # You can cast a string to numeric with a unary +
    ({"===": [0, "0"]}, None, False),
    ({"===": [0, {"+": "0"}]}, None, True),
    ({"if": [{"+": "0"}, "apple", "banana"]}, None, "banana"),
    ({"if": [{"+": "1"}, "apple", "banana"]}, None, "apple"),
    # Zero is falsy, all other numbers are truthy
    ({"if": [0, "apple", "banana"]}, None, "banana"),
    ({"if": [1, "apple", "banana"]}, None, "apple"),
    ({"if": [3.1416, "apple", "banana"]}, None, "apple"),
    ({"if": [-1, "apple", "banana"]}, None, "apple"),
    # Truthy and falsy definitions matter in Boolean operations
    ({"!": [[]]}, {}, True),
    ({"!!": [[]]}, {}, False),
    ({"and": [[], True]}, {}, []),
    ({"or": [[], True]}, {}, True),
    ({"!": [0]}, {}, True),
    ({"!!": [0]}, {}, False),
    ({"and": [0, True]}, {}, 0),
    ({"or": [0, True]}, {}, True),
    ({"!": [""]}, {}, True),
    ({"!!": [""]}, {}, False),
    ({"and": ["", True]}, {}, ""),
    ({"or": ["", True]}, {}, True),
    ({"!": ["0"]}, {}, False),
    ({"!!": ["0"]}, {}, True),
    ({"and": ["0", True]}, {}, True),
    ({"or": ["0", True]}, {}, "0"),
    # If the conditional is logic, it gets evaluated
    ({"if": [{">": [2, 1]}, "apple", "banana"]}, None, "apple"),
    ({"if": [{">": [1, 2]}, "apple", "banana"]}, None, "banana"),
    # If the consequents are logic, they get evaluated
    ({"if": [True, {"cat": ["ap", "ple"]}, {"cat": ["ba", "na", "na"]}]}, None, "apple"),
    ({"if": [False, {"cat": ["ap", "ple"]}, {"cat": ["ba", "na", "na"]}]}, None, "banana"),
    # If/then/elseif/then cases
    ({"if": [True, "apple", True, "banana"]}, None, "apple"),
    ({"if": [True, "apple", False, "banana"]}, None, "apple"),
    ({"if": [False, "apple", True, "banana"]}, None, "banana"),
    ({"if": [False, "apple", False, "banana"]}, None, None),
    ({"if": [True, "apple", True, "banana", "carrot"]}, None, "apple"),
    ({"if": [True, "apple", False, "banana", "carrot"]}, None, "apple"),
    ({"if": [False, "apple", True, "banana", "carrot"]}, None, "banana"),
    ({"if": [False, "apple", False, "banana", "carrot"]}, None, "carrot"),
    ({"if": [False, "apple", False, "banana", False, "carrot"]}, None, None),
    ({"if": [False, "apple", False, "banana", False, "carrot", "date"]}, None, "date"),
    ({"if": [False, "apple", False, "banana", True, "carrot", "date"]}, None, "carrot"),
    ({"if": [False, "apple", True, "banana", False, "carrot", "date"]}, None, "banana"),
    ({"if": [False, "apple", True, "banana", True, "carrot", "date"]}, None, "banana"),
    ({"if": [True, "apple", False, "banana", False, "carrot", "date"]}, None, "apple"),
    ({"if": [True, "apple", False, "banana", True, "carrot", "date"]}, None, "apple"),
    ({"if": [True, "apple", True, "banana", False, "carrot", "date"]}, None, "apple"),
    ({"if": [True, "apple", True, "banana", True, "carrot", "date"]}, None, "apple"),
    # Compound tests
    ({"and": [{">": [3, 1]}, True]}, {}, True),
    ({"and": [{">": [3, 1]}, False]}, {}, False),
    ({"and": [{">": [3, 1]}, {"!": True}]}, {}, False),
    ({"and": [{">": [3, 1]}, {"<": [1, 3]}]}, {}, True),
    ({"?:": [{">": [3, 1]}, "visible", "hidden"]}, {}, "visible"),
    # Data-driven
    ({"var": ["a"]}, {"a": 1}, 1),
    ({"var": ["b"]}, {"a": 1}, None),
    ({"var": ["a"]}, None, None),
    ({"var": "a"}, {"a": 1}, 1),
    ({"var": "b"}, {"a": 1}, None),
    ({"var": "a"}, None, None),
    ({"var": ["a", 1]}, None, 1),
    ({"var": ["b", 2]}, {"a": 1}, 2),
    ({"var": "a.b"}, {"a": {"b": "c"}}, "c"),
    ({"var": "a.q"}, {"a": {"b": "c"}}, None),
    ({"var": ["a.q", 9]}, {"a": {"b": "c"}}, 9),
    ({"var": 1}, ["apple", "banana"], "banana"),
    ({"var": "1"}, ["apple", "banana"], "banana"),
    ({"var": "1.1"}, ["apple", ["banana", "beer"]], "beer"),
    (
        {"and": [{"<": [{"var": "temp"}, 110]}, {"==": [{"var": "pie.filling"}, "apple"]}]},
        {"temp": 100, "pie": {"filling": "apple"}},
        True,
    ),
    (
        {"var": [{"?:": [{"<": [{"var": "temp"}, 110]}, "pie.filling", "pie.eta"]}]},
        {"temp": 100, "pie": {"filling": "apple", "eta": "60s"}},
        "apple",
    ),
    ({"in": [{"var": "filling"}, ["apple", "cherry"]]}, {"filling": "apple"}, True),
    ({"var": "a.b.c"}, None, None),
    ({"var": "a.b.c"}, {"a": None}, None),
    ({"var": "a.b.c"}, {"a": {"b": None}}, None),
    ({"var": ""}, 1, 1),
    ({"var": None}, 1, 1),
    ({"var": []}, 1, 1),
    ({"var": ""}, 0, 0),
    ({"var": ["a", "fallback"]}, 7, "fallback"),
    # Missing
    ({"missing": []}, None, []),
    ({"missing": ["a"]}, None, ["a"]),
    ({"missing": "a"}, None, ["a"]),
    ({"missing": "a"}, {"a": "apple"}, []),
    ({"missing": ["a"]}, {"a": "apple"}, []),
    ({"missing": ["a", "b"]}, {"a": "apple"}, ["b"]),
    ({"missing": ["a", "b"]}, {"b": "banana"}, ["a"]),
    ({"missing": ["a", "b"]}, {"a": "apple", "b": "banana"}, []),
    ({"missing": ["a", "b"]}, {}, ["a", "b"]),
    ({"missing": ["a", "b"]}, None, ["a", "b"]),
    ({"missing": ["a.b"]}, None, ["a.b"]),
    ({"missing": ["a.b"]}, {"a": "apple"}, ["a.b"]),
    ({"missing": ["a.b"]}, {"a": {"c": "apple cake"}}, ["a.b"]),
    ({"missing": ["a.b"]}, {"a": {"b": "apple brownie"}}, []),
    ({"missing": ["a.b", "a.c"]}, {"a": {"b": "apple brownie"}}, ["a.c"]),
    # Missing some
    ({"missing_some": [1, ["a", "b"]]}, {"a": "apple"}, []),
    ({"missing_some": [1, ["a", "b"]]}, {"b": "banana"}, []),
    ({"missing_some": [1, ["a", "b"]]}, {"a": "apple", "b": "banana"}, []),
    ({"missing_some": [1, ["a", "b"]]}, {"c": "carrot"}, ["a", "b"]),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple", "b": "banana"}, []),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple", "c": "carrot"}, []),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple", "b": "banana", "c": "carrot"}, []),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"a": "apple", "d": "durian"}, ["b", "c"]),
    ({"missing_some": [2, ["a", "b", "c"]]}, {"d": "durian", "e": "eggplant"}, ["a", "b", "c"]),
    # Missing and If are friends, because empty arrays are falsey in JsonLogic
    ({"if": [{"missing": "a"}, "missed it", "found it"]}, {"a": "apple"}, "found it"),
    ({"if": [{"missing": "a"}, "missed it", "found it"]}, {"b": "banana"}, "missed it"),
    # Missing, Merge, and If are friends
    (
        {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr"], []]}]}},
        {"financing": True},
        ["vin", "apr"],
    ),
    (
        {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr"], []]}]}},
        {"financing": False},
        ["vin"],
    ),
    # Filter, map, all, none, and some
    ({"filter": [{"var": "integers"}, True]}, INTS, [1, 2, 3]),
    ({"filter": [{"var": "integers"}, False]}, INTS, []),
    ({"filter": [{"var": "integers"}, {">=": [{"var": ""}, 2]}]}, INTS, [2, 3]),
    ({"filter": [{"var": "integers"}, {"%": [{"var": ""}, 2]}]}, INTS, [1, 3]),
    ({"map": [{"var": "integers"}, {"*": [{"var": ""}, 2]}]}, INTS, [2, 4, 6]),
    ({"map": [{"var": "integers"}, {"*": [{"var": ""}, 2]}]}, None, []),
    ({"map": [{"var": "desserts"}, {"var": "qty"}]}, DESSERTS, [1, 2, 3]),
    (
        {"reduce": [{"var": "integers"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]},
        {"integers": [1, 2, 3, 4]},
        10,
    ),
    (
        {"reduce": [{"var": "integers"}, {"+": [{"var": "current"}, {"var": "accumulator"}]}, 0]},
        None,
        0,
    ),
    (
        {"reduce": [{"var": "integers"}, {"*": [{"var": "current"}, {"var": "accumulator"}]}, 1]},
        {"integers": [1, 2, 3, 4]},
        24,
    ),
    (
        {"reduce": [{"var": "integers"}, {"*": [{"var": "current"}, {"var": "accumulator"}]}, 0]},
        {"integers": [1, 2, 3, 4]},
        0,
    ),
    (
        {
            "reduce": [
                {"var": "desserts"},
                {"+": [{"var": "accumulator"}, {"var": "current.qty"}]},
                0,
            ]
        },
        DESSERTS,
        6,
    ),
    ({"all": [{"var": "integers"}, {">=": [{"var": ""}, 1]}]}, INTS, True),
    ({"all": [{"var": "integers"}, {"==": [{"var": ""}, 1]}]}, INTS, False),
    ({"all": [{"var": "integers"}, {"<": [{"var": ""}, 1]}]}, INTS, False),
    ({"all": [{"var": "integers"}, {"<": [{"var": ""}, 1]}]}, {"integers": []}, False),
    ({"all": [{"var": "items"}, {">=": [{"var": "qty"}, 1]}]}, ITEMS, True),
    ({"all": [{"var": "items"}, {">": [{"var": "qty"}, 1]}]}, ITEMS, False),
    ({"all": [{"var": "items"}, {"<": [{"var": "qty"}, 1]}]}, ITEMS, False),
    ({"all": [{"var": "items"}, {">=": [{"var": "qty"}, 1]}]}, {"items": []}, False),
    ({"none": [{"var": "integers"}, {">=": [{"var": ""}, 1]}]}, INTS, False),
    ({"none": [{"var": "integers"}, {"==": [{"var": ""}, 1]}]}, INTS, False),
    ({"none": [{"var": "integers"}, {"<": [{"var": ""}, 1]}]}, INTS, True),
    ({"none": [{"var": "integers"}, {"<": [{"var": ""}, 1]}]}, {"integers": []}, True),
    ({"none": [{"var": "items"}, {">=": [{"var": "qty"}, 1]}]}, ITEMS, False),
    ({"none": [{"var": "items"}, {">": [{"var": "qty"}, 1]}]}, ITEMS, False),
    ({"none": [{"var": "items"}, {"<": [{"var": "qty"}, 1]}]}, ITEMS, True),
    ({"none": [{"var": "items"}, {">=": [{"var": "qty"}, 1]}]}, {"items": []}, True),
    ({"some": [{"var": "integers"}, {">=": [{"var": ""}, 1]}]}, INTS, True),
    ({"some": [{"var": "integers"}, {"==": [{"var": ""}, 1]}]}, INTS, True),
    ({"some": [{"var": "integers"}, {"<": [{"var": ""}, 1]}]}, INTS, False),
    ({"some": [{"var": "integers"}, {"<": [{"var": ""}, 1]}]}, {"integers": []}, False),
    ({"some": [{"var": "items"}, {">=": [{"var": "qty"}, 1]}]}, ITEMS, True),
    ({"some": [{"var": "items"}, {">": [{"var": "qty"}, 1]}]}, ITEMS, True),
    ({"some": [{"var": "items"}, {"<": [{"var": "qty"}, 1]}]}, ITEMS, False),
    ({"some": [{"var": "items"}, {">=": [{"var": "qty"}, 1]}]}, {"items": []}, False),
]

CASE = {
    "superficie_m2": "180.5",
    "zona": "A",
    "edad": 17,
    "nombre": "Ana",
    "propietarios": [{"nombre": "Ana", "pct": "60"}, {"nombre": "Luis", "pct": "40"}],
    "giro": "restaurante",
    "opcional": None,
    "fecha_inicio": "2025-01-31",
    "$const": {"uma": Decimal("117.31"), "iva": "0.16"},
    "$case": {"folio": "CHO-2026-7K4M9P", "created_at": "2026-03-01T10:15:00+00:00"},
    "$result": {"consulta_rfc": {"razon_social": "Tacos SA"}},
}

# Our operators and JavaScript coercions beyond the reference file.
EXTRA_CASES: list[tuple[Any, Any, Any]] = [
    # var: dotted paths, list indices, reserved names, defaults
    ({"var": "propietarios.0.nombre"}, CASE, "Ana"),
    ({"var": "propietarios.1.pct"}, CASE, "40"),
    ({"var": "propietarios.2.nombre"}, CASE, None),
    ({"var": "propietarios.01.nombre"}, CASE, None),
    ({"var": "propietarios.x"}, CASE, None),
    ({"var": "propietarios.²"}, CASE, None),
    ({"var": "propietarios." + "9" * 5000}, CASE, None),
    ({"var": "propietarios.-1"}, CASE, None),
    ({"var": "$const.uma"}, CASE, Decimal("117.31")),
    ({"var": "$case.folio"}, CASE, "CHO-2026-7K4M9P"),
    ({"var": "$result.consulta_rfc.razon_social"}, CASE, "Tacos SA"),
    ({"var": ["opcional", 0]}, CASE, 0),
    ({"var": ["nombre.x", "?"]}, CASE, "?"),
    ({"var": "nombre.0"}, CASE, None),
    # equality with JavaScript coercions
    ({"==": [0, ""]}, {}, True),
    ({"==": [None, 0]}, {}, False),
    ({"==": [None, None]}, {}, True),
    ({"==": [True, 1]}, {}, True),
    ({"==": [True, "1"]}, {}, True),
    ({"==": [False, ""]}, {}, True),
    ({"==": ["1.0", 1]}, {}, True),
    ({"==": ["1.0", "1"]}, {}, False),
    ({"==": ["abc", 0]}, {}, False),
    ({"==": [[1], 1]}, {}, True),
    ({"==": [[1, 2], [1, 2]]}, {}, True),
    ({"==": [{"+": ["48.50"]}, "48.5"]}, {}, True),
    ({"===": [Decimal("2.0"), 2]}, {}, True),
    ({"===": [0.1, Decimal("0.1")]}, {}, True),
    ({"===": [True, 1]}, {}, False),
    ({"===": [None, None]}, {}, True),
    ({"===": [["a"], ["a"]]}, {}, True),
    ({"!==": [["a"], ["b"]]}, {}, True),
    ({"!=": ["a", "b"]}, {}, True),
    # ordering
    ({">": [{"var": "superficie_m2"}, 150]}, CASE, True),
    ({">": ["100.00", "99.50"]}, {}, True),
    ({"<": ["2024-01-05", "2024-02-01"]}, {}, True),
    ({"<": ["abc", "abd"]}, {}, True),
    ({">": ["abc", 1]}, {}, False),
    ({"<": [None, 1]}, {}, True),
    ({"<": [1, {"var": "edad"}, 18]}, CASE, True),
    ({"<=": [18, {"var": "edad"}, 65]}, CASE, False),
    ({">=": [Decimal("0.30"), 0.3]}, {}, True),
    # arithmetic and money (Decimal, never float)
    ({"+": [0.1, 0.2]}, {}, Decimal("0.3")),
    ({"*": [0.1, 3]}, {}, Decimal("0.3")),
    ({"+": ["48.50", "35.00", 1]}, {}, Decimal("84.50")),
    ({"+": "3.14"}, {}, Decimal("3.14")),
    ({"+": []}, {}, 0),
    ({"-": "2"}, {}, -2),
    ({"-": [{"var": "$const.uma"}, 17.31]}, CASE, Decimal("100.00")),
    ({"*": [{"var": "$const.uma"}, 3]}, CASE, Decimal("351.93")),
    ({"/": [10, 4]}, {}, Decimal("2.5")),
    ({"/": [1, 3]}, {}, Decimal("0.3333333333333333333333333333333333")),
    ({"%": [-7, 3]}, {}, -1),
    ({"%": ["10.5", 3]}, {}, Decimal("1.5")),
    ({"max": [1, "7", Decimal("6.5")]}, {}, 7),
    ({"min": [1, "-7", 3.5]}, {}, -7),
    ({"max": []}, {}, None),
    ({"min": []}, {}, None),
    ({"max": {"map": [{"var": "propietarios"}, {"var": "pct"}]}}, CASE, 60),
    ({"round": [2.675, 2]}, {}, Decimal("2.68")),
    ({"round": ["2.665", 2]}, {}, Decimal("2.67")),
    ({"round": [2.5]}, {}, 3),
    ({"round": 2.4}, {}, 2),
    ({"round": [-2.5]}, {}, -3),
    ({"round": [1234.5, -2]}, {}, 1200),
    ({"round": [{"/": [10, 3]}, 2]}, {}, Decimal("3.33")),
    ({"floor": 2.7}, {}, 2),
    ({"floor": -2.1}, {}, -3),
    ({"ceil": 2.1}, {}, 3),
    ({"ceil": "-2.7"}, {}, -2),
    # fee formulas with tables
    (
        {"*": [{"table": ["tarifa_zona", {"var": "zona"}]}, {"var": "superficie_m2"}]},
        CASE,
        Decimal("8754.25"),
    ),
    ({"table": ["tarifa_zona", "B"]}, {}, Decimal("35.00")),
    ({"table": ["por_numero", 2]}, {}, Decimal("10")),
    (
        {"*": [{"var": "$const.uma"}, {"+": [1, {"var": "$const.iva"}]}]},
        CASE,
        Decimal("136.0796"),
    ),
    # lists
    ({"map": [{"var": "propietarios"}, {"var": "nombre"}]}, CASE, ["Ana", "Luis"]),
    (
        {"filter": [{"var": "propietarios"}, {">": [{"var": "pct"}, 50]}]},
        CASE,
        [CASE["propietarios"][0]],
    ),
    (
        {
            "reduce": [
                {"var": "propietarios"},
                {"+": [{"var": "accumulator"}, {"var": "current.pct"}]},
                0,
            ]
        },
        CASE,
        100,
    ),
    ({"reduce": [[1, 2], {"var": "accumulator"}]}, {}, None),
    ({"map": [[1, 2], {"var": "edad"}]}, CASE, [None, None]),
    ({"filter": ["texto", True]}, {}, []),
    ({"all": [None, True]}, {}, False),
    ({"some": [None, True]}, {}, False),
    ({"none": [None, True]}, {}, True),
    ({"merge": [[1, [2]], 3]}, {}, [1, [2], 3]),
    ({"in": [1, [1, 2]]}, {}, True),
    ({"in": ["1", [1, 2]]}, {}, False),
    ({"in": [{"var": "giro"}, ["bar", "restaurante"]]}, CASE, True),
    ({"in": [1, "a1b"]}, {}, True),
    ({"in": ["a", None]}, {}, False),
    ({"in": ["a", 5]}, {}, False),
    # text
    ({"cat": ["Total: ", {"*": [2, "48.50"]}]}, {}, "Total: 97"),
    ({"cat": ["a", None, "b"]}, {}, "ab"),
    ({"cat": [True, "/", [1, 2]]}, {}, "true/1,2"),
    ({"cat": [0.5, " ", Decimal("2.50")]}, {}, "0.5 2.5"),
    ({"cat": []}, {}, ""),
    ({"substr": ["jsonlogic", 20]}, {}, ""),
    ({"substr": ["jsonlogic", -20]}, {}, "jsonlogic"),
    ({"substr": ["jsonlogic", 1, 3]}, {}, "son"),
    ({"substr": ["jsonlogic", 1.9, 3]}, {}, "son"),
    ({"substr": [12345, 1, 2]}, {}, "23"),
    ({"substr": [None, 1]}, {}, ""),
    ({"length": "año"}, {}, 3),
    ({"length": [{"var": "propietarios"}]}, CASE, 2),
    ({"length": [{"var": "no_existe"}]}, CASE, 0),
    ({"length": [[]]}, {}, 0),
    # dates
    ({"date_diff_days": ["2025-01-01", "2025-03-01"]}, {}, 59),
    ({"date_diff_days": ["2025-03-01", "2025-01-01"]}, {}, -59),
    ({"date_diff_days": [{"var": "fecha_inicio"}, {"today": []}]}, CASE, 59),
    ({"date_diff_days": [{"var": "$case.created_at"}, "2026-03-11"]}, CASE, 10),
    ({"date_diff_days": [datetime.date(2024, 2, 28), "2024-03-01"]}, {}, 2),
    ({"today": []}, {}, "2025-03-31"),
    ({"today": None}, {}, "2025-03-31"),
    ({">=": [{"date_diff_days": ["2007-04-01", {"today": []}]}, 18 * 365]}, {}, True),
    # unary sugar and lists of rules
    ({"!": {"var": "opcional"}}, CASE, True),
    ({"!!": {"missing": ["nombre"]}}, CASE, False),
    ([{"var": "nombre"}, {"+": [1, 1]}, "x"], CASE, ["Ana", 2, "x"]),
]

TABLES = {"tarifa_zona": {"A": "48.50", "B": "35.00"}, "por_numero": {"2": 10}}
TODAY = datetime.date(2025, 3, 31)


def _id(value: Any) -> str:
    """A readable test id, the same in every process (sets sorted: pytest-xdist's workers
    must collect identical ids whatever their hash seed)."""
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    return json.dumps(value, default=str, ensure_ascii=False)[:80]


def _ids(cases: list[Any]) -> list[str]:
    return [_id(case[0] if isinstance(case, tuple) else case) for case in cases]


def _mismatches(cases: list[tuple[Any, Any, Any]], **kwargs: Any) -> list[str]:
    """Run a conformance table; one line per case that does not give the expected value.

    (One test per table rather than one per case keeps the suite fast.)
    """
    out = []
    for expr, data, expected in cases:
        try:
            actual = evaluate(expr, data, **kwargs)
        except RuleError as error:
            out.append(f"{_id(expr)} raised {error}")
            continue
        if not same(actual, expected):
            out.append(f"{_id(expr)} gave {actual!r}, expected {expected!r}")
    return out


def test_reference_conformance() -> None:
    assert _mismatches(REFERENCE_CASES) == []


def test_extra_conformance() -> None:
    assert _mismatches(EXTRA_CASES, tables=TABLES, today=TODAY) == []


def test_conformance_harness_notices_a_wrong_answer() -> None:
    assert _mismatches([({"+": [1, 1]}, {}, 3), ({"==": [1, 1]}, {}, 1)]) == [
        "{\"+\": [1, 1]} gave Decimal('2'), expected 3",
        '{"==": [1, 1]} gave True, expected 1',
    ]


def test_case_tables_cover_every_operator() -> None:
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for op, raw in node.items():
                seen.add(op)
                walk(raw)

    for expr, _, _ in REFERENCE_CASES + EXTRA_CASES:
        walk(expr)
    assert seen >= OPERATORS
    assert len(REFERENCE_CASES) + len(EXTRA_CASES) >= 150


def test_money_is_decimal_never_float() -> None:
    result = evaluate({"+": [0.1, 0.2]}, {})
    assert type(result) is Decimal
    assert result == Decimal("0.3")
    fee = evaluate(
        {"*": [{"table": ["tarifa_zona", {"var": "zona"}]}, {"var": "m2"}]},
        {"zona": "A", "m2": 10},
        tables=TABLES,
    )
    assert type(fee) is Decimal
    assert fee == Decimal("485.00")
    for expr in ({"/": [1, 4]}, {"-": [1]}, {"%": [5, 3]}, {"max": [1, 2]}, {"round": 1.5}):
        assert type(evaluate(expr, {})) is Decimal


def test_data_and_expression_are_not_modified() -> None:
    data = {"xs": [3, 1, 2], "m": {"a": 1}}
    expr = {"merge": [{"var": "xs"}, {"map": [{"var": "xs"}, {"+": [{"var": ""}, 1]}]}]}
    data_before, expr_before = json.dumps(data), json.dumps(expr)
    assert evaluate(expr, data) == [3, 1, 2, 4, 2, 3]
    assert json.dumps(data) == data_before
    assert json.dumps(expr) == expr_before


def test_control_structures_do_not_evaluate_untaken_branches() -> None:
    boom = {"/": [1, 0]}
    assert evaluate({"if": [True, "ok", boom]}, {}) == "ok"
    assert evaluate({"if": [False, boom, "ok"]}, {}) == "ok"
    assert evaluate({"and": [False, boom]}, {}) is False
    assert evaluate({"or": [1, boom]}, {}) == 1
    with pytest.raises(RuleError):
        evaluate({"or": [0, boom]}, {})


# -- errors ------------------------------------------------------------------------------------


def _error(expr: Any, data: Any = None, **kwargs: Any) -> RuleError:
    with pytest.raises(RuleError) as info:
        evaluate(expr, data if data is not None else {}, **kwargs)
    error = info.value
    assert error.message_es
    assert error.message_en
    assert error.path.startswith("$")
    return error


@pytest.mark.parametrize(
    ("expr", "path"),
    [
        ({"/": [1, 0]}, "$./[1]"),
        ({"%": [1, "0.00"]}, "$.%[1]"),
        ({"and": [True, {">": [{"/": [{"var": "a"}, {"var": "b"}]}, 1]}]}, "$.and[1].>[0]./[1]"),
        ({"and": [True, {">": [{"+": [1, "x"]}, 1]}]}, "$.and[1].>[0].+[1]"),
        ({"+": [True, 1]}, "$.+[0]"),
        ({"*": [None, 1]}, "$.*[0]"),
        ({"-": [[1], 1]}, "$.-[0]"),
        ({"+": "abc"}, "$.+"),
        ({"+": ""}, "$.+"),
        ({"+": "1_000"}, "$.+"),
        ({"+": "NaN"}, "$.+"),
        ({"+": float("inf")}, "$.+"),
        ({"max": [1, "dos"]}, "$.max[1]"),
        ({"round": [1.5, 2.5]}, "$.round[1]"),
        ({"round": [1.5, 99]}, "$.round[1]"),
        ({"floor": "x"}, "$.floor"),
        ({"map": [[1, 2], {"/": [1, {"-": [{"var": ""}, 2]}]}]}, "$.map[1]./[1]"),
        ({"foo": [1]}, "$.foo"),
        ({"if": [True, {"log": "x"}]}, "$.if[1].log"),
        ({"a": 1, "b": 2}, "$"),
        ({}, "$"),
        ([1, {"!": [1, 2]}], "$[1].!"),
        ({"var": [True]}, "$.var[0]"),
        ({"var": [["a"]]}, "$.var[0]"),
        ({"missing": [1.5]}, "$.missing[0]"),
        ({"missing_some": [1, "a"]}, "$.missing_some[1]"),
        ({"-": []}, "$.-"),
        ({"==": [1]}, "$.=="),
        ({"<": [1, 2, 3, 4]}, "$.<"),
        ({"today": [1]}, "$.today"),
        ({"substr": ["abc", "x"]}, "$.substr[1]"),
        ({"length": 5}, "$.length"),
        ({"cat": ["a", {"var": ""}]}, "$.cat[1]"),
        ({"date_diff_days": ["2025-02-30", "2025-03-01"]}, "$.date_diff_days[0]"),
        ({"date_diff_days": ["2025-03-01", None]}, "$.date_diff_days[1]"),
        ({"table": ["tarifa_zona", "C"]}, "$.table[1]"),
        ({"table": ["tarifa_zona", None]}, "$.table[1]"),
        ({"table": ["no_existe", "A"]}, "$.table[0]"),
        ({"table": ["texto", "A"]}, "$.table[1]"),
        ({"*": ["1e999", "1e999"]}, "$.*"),
        ({"+": "1e5000"}, "$.+"),
    ],
)
def test_errors_carry_a_path(expr: Any, path: str) -> None:
    tables = {**TABLES, "texto": {"A": "no es número"}}
    assert _error(expr, {"a": 1, "b": 0}, tables=tables).path == path


def test_division_by_zero_is_a_rule_error_with_clear_messages() -> None:
    error = _error({"/": [{"var": "monto"}, {"var": "partes"}]}, {"monto": 10, "partes": 0})
    assert error.message_es == "No se puede dividir entre cero."
    assert error.message_en == "Cannot divide by zero."
    assert str(error).startswith("$./[1]: No se puede dividir")


def test_missing_table_key_names_the_table_and_the_key() -> None:
    error = _error({"table": ["tarifa_zona", {"var": "zona"}]}, {"zona": "Z"}, tables=TABLES)
    assert "tarifa_zona" in error.message_es and "Z" in error.message_es
    assert "tarifa_zona" in error.message_en and "Z" in error.message_en
    _error({"table": ["tarifa_zona", "A"]})  # no tables given at all


def test_rule_error_survives_pickling() -> None:
    error = _error({"and": [True, {"/": [1, 0]}]})
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.message_es, copy.message_en) == (
        error.path,
        error.message_es,
        error.message_en,
    )


# -- limits ------------------------------------------------------------------------------------


def _nested_not(levels: int) -> Any:
    expr: Any = True
    for _ in range(levels):
        expr = {"!": expr}
    return expr


def test_depth_limit() -> None:
    assert evaluate(_nested_not(32), {}) is True
    error = _error(_nested_not(33))
    assert error.path == "$" + ".!" * 32
    assert "32" in error.message_es and "32" in error.message_en
    deep_list: Any = [1]
    for _ in range(40):
        deep_list = [deep_list]
    _error({"merge": deep_list})
    _error(_nested_not(5000))  # no RecursionError


def test_size_limit() -> None:
    assert evaluate({"+": [1] * (MAX_NODES - 1)}, {}) == MAX_NODES - 1
    error = _error({"+": [1] * MAX_NODES})
    assert error.path == "$"
    assert "2000" in error.message_es
    _error({"and": [True] * 10_000})


def test_string_limit() -> None:
    assert len(evaluate({"cat": ["x" * 5000, "y" * 5000]}, {})) == 10_000
    _error({"cat": ["x" * 5000, "y" * 5001]})
    doubling = {
        "reduce": [{"var": "xs"}, {"cat": [{"var": "accumulator"}, {"var": "accumulator"}]}, "ab"]
    }
    _error(doubling, {"xs": list(range(30))})


def test_item_limits() -> None:
    big = {"xs": list(range(MAX_ITEMS + 1))}
    ok = {"xs": list(range(MAX_ITEMS))}
    for op in ("map", "filter", "all", "none", "some"):
        evaluate({op: [{"var": "xs"}, True]}, ok)
        assert _error({op: [{"var": "xs"}, True]}, big).path == f"$.{op}[0]"
    assert evaluate({"reduce": [{"var": "xs"}, {"var": "current"}, 0]}, ok) == MAX_ITEMS - 1
    _error({"reduce": [{"var": "xs"}, {"var": "current"}, 0]}, big)
    _error({"max": {"var": "xs"}}, big)
    _error({"missing": {"var": "xs"}}, big)
    doubling = {
        "reduce": [{"var": "xs"}, {"merge": [{"var": "accumulator"}, {"var": "accumulator"}]}, [1]]
    }
    _error(doubling, {"xs": list(range(64))})


def test_total_work_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    assert jsonlogic.MAX_STEPS == 100_000
    monkeypatch.setattr(jsonlogic, "MAX_STEPS", 1000)
    grid = {"rows": [[0] * 30 for _ in range(30)]}
    rule = {"map": [{"var": "rows"}, {"map": [{"var": ""}, {"+": [{"var": ""}, 1]}]}]}
    error = _error(rule, grid)
    assert "cálculos" in error.message_es
    assert evaluate(rule, {"rows": [[0] * 10 for _ in range(10)]})[9][9] == 1


# -- check -------------------------------------------------------------------------------------


VALID_RULES: list[Any] = [
    {">": [{"var": "superficie_m2"}, 150]},
    {"and": [{"var": "a"}, {"!": {"var": "b"}}, {"in": ["x", ["x", "y"]]}]},
    {"*": [{"table": ["tarifa_zona", {"var": "zona"}]}, {"var": "superficie_m2"}]},
    {"round": [{"*": [{"var": "$const.uma"}, 1.5]}, 2]},
    {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr"], []]}]}},
    {"missing_some": [1, ["a", "b"]]},
    {"reduce": [{"var": "xs"}, {"+": [{"var": "accumulator"}, {"var": "current"}]}, 0]},
    {"date_diff_days": ["2025-01-01", {"today": []}]},
    {"substr": [{"var": "rfc"}, 0, 4]},
    {"var": ["propietarios.0.nombre", ""]},
    {"max": [[1, 2, 3]]},
    {"today": None},
    {"if": [{"var": "x"}, 1, 2]},
    True,
    "texto",
    [1, 2],
]


@pytest.mark.parametrize("rule", VALID_RULES, ids=_ids(VALID_RULES))
def test_check_accepts_well_formed_rules(rule: Any) -> None:
    assert check(rule) == []


@pytest.mark.parametrize(
    ("rule", "paths"),
    [
        ({"foo": [1]}, ["$.foo"]),
        ({"and": [True, {"xor": [1, 2]}]}, ["$.and[1].xor"]),
        ({"var": "a", "==": [1, 1]}, ["$"]),
        ({}, ["$"]),
        ({"!": [1, 2]}, ["$.!"]),
        ({"!!": []}, ["$.!!"]),
        ({"substr": ["abc"]}, ["$.substr"]),
        ({"substr": ["abc", 1, 2, 3]}, ["$.substr"]),
        ({"round": [1, 2, 3]}, ["$.round"]),
        ({"table": "tarifa"}, ["$.table"]),
        ({"table": [{"var": "t"}, "A"]}, ["$.table[0]"]),
        ({"table": [5, "A"]}, ["$.table[0]"]),
        ({"if": []}, ["$.if"]),
        ({"?:": [True, 1]}, ["$.?:"]),
        ({"and": []}, ["$.and"]),
        ({"==": [1, 2, 3]}, ["$.=="]),
        ({">": [1, 2, 3]}, ["$.>"]),
        ({"map": [{"var": "xs"}]}, ["$.map"]),
        ({"today": [1]}, ["$.today"]),
        ({"var": 1.5}, ["$.var"]),
        ({"var": [True, 1]}, ["$.var[0]"]),
        ({"var": "a..b"}, ["$.var"]),
        ({"missing": ["a", 3.5]}, ["$.missing[1]"]),
        ({"missing": [["a", None]]}, ["$.missing[0][1]"]),
        ({"missing_some": ["uno", ["a"]]}, ["$.missing_some[0]"]),
        ({"missing_some": [1, "a"]}, ["$.missing_some[1]"]),
        ({"+": [1, "dos"]}, ["$.+[1]"]),
        ({"/": [1, 0]}, ["$./[1]"]),
        ({"round": [1.234, 1.5]}, ["$.round[1]"]),
        ({"round": [1.234, 50]}, ["$.round[1]"]),
        ({"date_diff_days": ["2025-13-01", "2025-01-01"]}, ["$.date_diff_days[0]"]),
        ({"substr": ["abc", "x"]}, ["$.substr[1]"]),
        ({"in": ["a", {"foo": 1}]}, ["$.in[1].foo"]),
        ([1, {"bar": 2}], ["$[1].bar"]),
        ({"if": [{"var": "a"}, float("nan")]}, ["$.if[1]"]),
        ({"if": [{"var": "a"}, {1, 2}]}, ["$.if[1]"]),
        ({"and": [{"foo": 1}, {"!": [1, 2]}]}, ["$.and[0].foo", "$.and[1].!"]),
    ],
    ids=_id,
)
def test_check_reports_problems_with_paths(rule: Any, paths: list[str]) -> None:
    problems = check(rule)
    assert [p.path for p in problems] == paths
    for problem in problems:
        assert isinstance(problem, RuleProblem)
        assert problem.message_es and problem.message_en


def test_check_prefixes_the_given_path() -> None:
    rule = {"and": [{"var": "a"}, {"!": [1, 2]}]}
    problems = check(rule, path="$.steps[3].transitions[0].when")
    assert [p.path for p in problems] == ["$.steps[3].transitions[0].when.and[1].!"]
    assert (
        problems[0].message_es
        == "La operación «!» necesita exactamente 1 argumento, pero aquí tiene 2."
    )
    assert problems[0].message_en == "The operation “!” needs exactly 1 argument, but has 2 here."


def test_check_reports_limits() -> None:
    [problem] = check(_nested_not(33), path="$.when")
    assert problem.path == "$.when" + ".!" * 32
    [problem] = check({"+": [1] * MAX_NODES}, path="$.amount")
    assert problem.path == "$.amount"
    assert check(_nested_not(32)) == []
    assert len(check(_nested_not(10_000))) == 1


def test_problem_is_frozen() -> None:
    problem = RuleProblem("$", "es", "en")
    with pytest.raises(AttributeError):
        problem.path = "$.x"  # type: ignore[misc]


DEGENERATE = [
    {"if": []},
    {"+": []},
    {"max": []},
    {"min": []},
]


def test_every_well_formed_rule_in_the_tables_passes_check() -> None:
    for expr, _, _ in REFERENCE_CASES + EXTRA_CASES:
        if expr in DEGENERATE:  # legal for the reference implementation, flagged by check
            assert check(expr) != []
        elif not json.dumps(expr, default=repr).count("datetime.date("):
            assert check(expr) == [], expr


# -- referenced_vars / referenced_tables -------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "names"),
    [
        ({"var": "superficie_m2"}, {"superficie_m2"}),
        ({"var": ["propietarios.0.nombre", "x"]}, {"propietarios.0.nombre"}),
        ({"var": ""}, set()),
        ({"var": []}, set()),
        ({"var": "$const.uma"}, set()),
        ({"+": [{"var": "$case.folio"}, {"var": "a"}]}, {"a"}),
        ({"missing": ["a", "b.c"]}, {"a", "b.c"}),
        ({"missing": "a"}, {"a"}),
        ({"missing": [["a", "b"]]}, {"a", "b"}),
        ({"missing_some": [1, ["a", "b"]]}, {"a", "b"}),
        ({"missing_some": [{"var": "n"}, ["a"]]}, {"n", "a"}),
        (
            {"missing": {"merge": ["vin", {"if": [{"var": "financing"}, ["apr"], []]}]}},
            {"financing"},
        ),
        ({"map": [{"var": "propietarios"}, {"var": "nombre"}]}, {"propietarios"}),
        ({"filter": [{"var": "xs"}, {">": [{"var": "qty"}, {"var": "min"}]}]}, {"xs"}),
        (
            {"reduce": [{"var": "xs"}, {"+": [{"var": "current"}, 1]}, {"var": "inicio"}]},
            {"xs", "inicio"},
        ),
        (
            {"all": [{"var": "a"}, {"some": [{"var": "inner"}, {"var": "z"}]}]},
            {"a"},
        ),
        ({"none": [{"map": [{"var": "b"}, {"var": "c"}]}, True]}, {"b"}),
        (
            {"var": [{"?:": [{"<": [{"var": "temp"}, 110]}, "pie.filling", "pie.eta"]}]},
            {"temp"},
        ),
        (
            {
                "and": [
                    {">": [{"var": "superficie_m2"}, 150]},
                    {"in": [{"var": "zona"}, ["A", "B"]]},
                    {"==": [{"table": ["t", {"var": "zona"}]}, 1]},
                ]
            },
            {"superficie_m2", "zona"},
        ),
        ({"foo": [{"var": "a"}]}, {"a"}),
        ([{"var": "a"}, {"var": "b"}], {"a", "b"}),
        (5, set()),
    ],
    ids=_id,
)
def test_referenced_vars(rule: Any, names: set[str]) -> None:
    assert referenced_vars(rule) == names


def test_referenced_tables() -> None:
    rule = {
        "+": [
            {"*": [{"table": ["tarifa_zona", {"var": "zona"}]}, {"var": "m2"}]},
            {"reduce": [{"var": "xs"}, {"table": ["por_item", {"var": "current"}]}, 0]},
            {"table": [{"var": "computed"}, "A"]},
        ]
    }
    assert referenced_tables(rule) == {"tarifa_zona", "por_item"}
    assert referenced_tables({"var": "table"}) == set()
    assert referenced_tables(_nested_not(5000)) == set()
    assert referenced_vars(_nested_not(5000)) == set()


# -- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (True, True),
        (0, False),
        (0.0, False),
        (Decimal("0.00"), False),
        (Decimal("-0"), False),
        (float("nan"), False),
        (1, True),
        (-1, True),
        (Decimal("0.01"), True),
        ("", False),
        ("0", True),
        (" ", True),
        ([], False),
        ([0], True),
        ({}, True),
        ({"a": 1}, True),
    ],
    ids=repr,
)
def test_is_truthy(value: Any, expected: bool) -> None:
    assert is_truthy(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, Decimal(1)),
        (0.1, Decimal("0.1")),
        (2.675, Decimal("2.675")),
        ("48.50", Decimal("48.50")),
        (" -3 ", Decimal(-3)),
        (".5", Decimal("0.5")),
        ("1e3", Decimal("1e3")),
        (Decimal("117.31"), Decimal("117.31")),
    ],
    ids=repr,
)
def test_to_decimal(value: Any, expected: Decimal) -> None:
    result = to_decimal(value)
    assert type(result) is Decimal
    assert result == expected
    assert str(result) == str(expected)


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        None,
        "",
        "abc",
        "1,5",
        "1_000",
        "NaN",
        "Infinity",
        float("nan"),
        [],
        {},
        "1e99999",
    ],
    ids=repr,
)
def test_to_decimal_rejects_non_numbers(value: Any) -> None:
    with pytest.raises(RuleError) as info:
        to_decimal(value)
    assert info.value.message_es and info.value.message_en


def test_today_defaults_to_the_machine_date() -> None:
    assert evaluate({"today": []}, {}) == datetime.date.today().isoformat()
