"""Check a procedure template before it is saved or published, and say what to fix.

Two layers (docs/template-format.md): the JSON Schema meta-schema catches structural mistakes
(missing properties, typos, wrong types); only when the structure is sound do the semantic
checks run (ids, reachability, dead ends, references, JSON Logic). Every problem carries a JSON
path such as ``$.steps[2].transitions[0].to`` and a message for the liaison in Spanish and
English.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from form_schemas import load_meta_schema

# The module, not its names: strict_json imports the engine's errors, whose package imports
# this module, so whichever is imported first must not need the other one complete yet.
from workflow_engine import strict_json
from workflow_engine.plural import counted
from workflow_engine.rules import (
    RuleError,
    check,
    evaluate,
    is_truthy,
    referenced_tables,
    referenced_vars,
)
from workflow_engine.templates import step_types
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.markup import foreign_tags
from workflow_engine.templates.step_types.review import outcome_routes

__all__ = [
    "CASE_VARIABLES",
    "ERROR",
    "MAX_TEMPLATE_DEPTH",
    "WARNING",
    "Problem",
    "TemplateProblem",
    "errors",
    "json_path",
    "parse_path",
    "validate_template",
]

CASE_VARIABLES = frozenset({"folio", "created_at", "submitted_at"})
"""Names allowed after ``$case.`` in a rule and after ``case.`` in a document body."""
FEE_VARIABLES = frozenset({"total", "total_cents", "currency", "reference", "paid_at", "lines"})
"""Names allowed after ``fees.`` in a document text (docs/template-format.md)."""
MAX_TEMPLATE_DEPTH = 100
"""Lists and objects nested in a template: a rule at its own limit (``rules.MAX_DEPTH``
operators, each an object holding a list) inside a group field fits well below it."""

ERROR = "error"
"""Blocks publication."""
WARNING = "warning"
"""Worth a look by the liaison; publication goes ahead."""


@dataclass(frozen=True)
class Problem:
    """One thing to fix (error) or look at (warning), located by element ids and JSON path."""

    code: str
    severity: str
    element: str
    path: str
    message_es: str
    message_en: str

    @property
    def is_error(self) -> bool:
        """True when the problem blocks publication: everything but a warning does."""
        return self.severity != WARNING

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("es" or "en"; anything else gets Spanish)."""
        return self.message_en if lang.lower().startswith("en") else self.message_es

    def as_dict(self) -> dict[str, str]:
        """The JSON shape the API and the CLI report."""
        return {
            "code": self.code,
            "severity": self.severity,
            "element": self.element,
            "path": self.path,
            "message_es": self.message_es,
            "message_en": self.message_en,
        }


TemplateProblem = Problem
"""Former name, kept for callers written before problems had codes."""


def errors(problems: Iterable[Problem]) -> list[Problem]:
    """Only the problems that block publication."""
    return [p for p in problems if p.is_error]


def validate_template(
    doc: Any, known_departments: Iterable[str] | None = None, *, with_warnings: bool = False
) -> list[Problem]:
    """Every error of ``doc`` (and, ``with_warnings``, its warnings after them); it can be
    published when there is no error.

    Structural (JSON Schema) errors are reported per element, and the semantic checks still
    run on every part whose structure is sound. ``known_departments``, when given, is the set
    of department keys of the municipality; any other key is a problem.
    """
    if strict_json.nesting_exceeds(doc, MAX_TEMPLATE_DEPTH):
        error = strict_json.too_deep(MAX_TEMPLATE_DEPTH)
        return [Problem("too_deep", ERROR, "", "$", error.message_es, error.message_en)]
    known = None if known_departments is None else frozenset(known_departments)
    memo_key = _memo_key(doc, known)
    problems = _MEMO.get(memo_key) if memo_key is not None else None
    if problems is None:
        structural, damaged = _structural_problems(doc)
        problems = list(structural)
        if isinstance(doc, dict):
            sound = _without(doc, damaged) if damaged else doc
            problems += _Semantics(sound, known).run()
        problems = [replace(p, element=element_of(doc, parse_path(p.path))) for p in problems]
        problems = sorted(problems, key=lambda p: p.severity != ERROR)
        if memo_key is not None:
            _MEMO.put(memo_key, problems)
    if not with_warnings:
        return errors(problems)
    return list(problems)


class _Memo:
    """The problems of the last documents validated, by content: an editor page, the edit
    it posts, the save and the page it redirects to all validate the same draft, and the
    validation of a big procedure costs tens of milliseconds. Problems are immutable."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[tuple[str, frozenset[str] | None], list[Problem]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple[str, frozenset[str] | None]) -> list[Problem] | None:
        with self.lock:
            found = self.items.get(key)
            if found is not None:
                self.items.move_to_end(key)
            return found

    def put(self, key: tuple[str, frozenset[str] | None], problems: list[Problem]) -> None:
        with self.lock:
            self.items[key] = problems
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


_MEMO = _Memo(64)


def forget_validations() -> None:
    """Forget the remembered problems (benchmarks time a validation from scratch)."""
    with _MEMO.lock:
        _MEMO.items.clear()


def _memo_key(doc: Any, known: frozenset[str] | None) -> tuple[str, frozenset[str] | None] | None:
    """The document's content digest; None (not remembered) for what is not JSON. Templates
    are JSON (parsed, or read from the database), so their keys are strings and the JSON
    text tells two documents apart."""
    try:
        text = json.dumps(doc, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode()).hexdigest(), known


def _dicts_only(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


# -- paths ------------------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts: Iterable[str | int]) -> str:
    """``["steps", 2, "id"]`` -> ``$.steps[2].id`` (odd keys are quoted: ``$["a-b"]``)."""
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            out.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'["{escaped}"]')
    return "".join(out)


def _child(path: str, key: str | int) -> str:
    """``path`` extended by one key or index."""
    return path + json_path([key])[1:]


# -- structure --------------------------------------------------------------------------------


def _schema_problem(path: str, es: str, en: str) -> Problem:
    """A structural error; its code and element are filled in by the caller."""
    return Problem("invalid_value", ERROR, "", path, es, en)


@cache
def _validator() -> Draft202012Validator:
    schema = load_meta_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def _fast_validator() -> Any:
    """jsonschema-rs, about 100 times faster: it answers "is the document sound?" on every
    edit of the configurator (bench/templates.py); the Python validator then explains only
    documents that are not."""
    import jsonschema_rs

    return jsonschema_rs.validator_for(load_meta_schema(), validate_formats=False)


def _structurally_sound(doc: Any) -> bool:
    try:
        return bool(_fast_validator().is_valid(doc))
    except (TypeError, ValueError):  # not a JSON document: let the full validator say why
        return False


_SCHEMA_CODES = {
    "required": "missing_property",
    "additionalProperties": "unknown_property",
    "unevaluatedProperties": "unknown_property",
    "type": "wrong_type",
    "enum": "invalid_choice",
    "const": "invalid_value",
    "pattern": "invalid_format",
    "minItems": "list_size",
    "maxItems": "list_size",
    "uniqueItems": "repeated_items",
    "minLength": "text_length",
    "maxLength": "text_length",
    "minimum": "out_of_range",
    "exclusiveMinimum": "out_of_range",
    "maximum": "out_of_range",
    "exclusiveMaximum": "out_of_range",
}
# Step types whose deadline is optional for the engine: without one nothing lapses, which the
# liaison should know (a warning) but which does not stop publication.
_DEADLINE_STEPS = frozenset({"approval", "parallel"})


def _structural_problems(doc: Any) -> tuple[list[Problem], set[tuple[str | int, ...]]]:
    """The schema's problems, and the paths of the values they make unusable."""
    if _structurally_sound(doc):
        return [], set()
    errors_ = sorted(_validator().iter_errors(doc), key=lambda e: _sort_key(e.absolute_path))
    out: list[Problem] = []
    damaged: set[tuple[str | int, ...]] = set()
    seen: set[tuple[str, str]] = set()
    for error in errors_:
        parts = tuple(error.absolute_path)
        kind = str(error.validator)
        if "propertyNames" in error.absolute_schema_path:
            damaged.add((*parts, str(error.instance)))
            code = "invalid_name"
        elif kind in ("required", "additionalProperties", "unevaluatedProperties"):
            code = _SCHEMA_CODES[kind]  # a missing or extra key spoils nothing else
        else:
            damaged.add(parts)
            code = _SCHEMA_CODES.get(kind, "invalid_value")
        for problem in _explain(error):
            if (problem.path, problem.message_en) in seen:
                continue
            seen.add((problem.path, problem.message_en))
            downgraded = _without_deadline(doc, parts, problem, code)
            if downgraded is not None:
                if downgraded.code != "skip":
                    out.append(downgraded)
                continue
            out.append(replace(problem, code=code))
    return out, damaged


def _without_deadline(
    doc: Any, parts: tuple[str | int, ...], problem: Problem, code: str
) -> Problem | None:
    """A review step without ``deadline_days`` (and so without ``on_lapse``) is a warning."""
    if code != "missing_property":
        return None
    step = _at(doc, parts)
    if not (
        len(parts) == 2
        and parts[0] == "steps"
        and isinstance(step, dict)
        and step.get("type") in _DEADLINE_STEPS
        and "deadline_days" not in step
    ):
        return None
    if problem.path.endswith(".on_lapse"):
        return replace(problem, code="skip")
    if not problem.path.endswith(".deadline_days"):
        return None
    sid = step.get("id")
    return Problem(
        "approval_without_deadline",
        WARNING,
        "",
        problem.path,
        f"La revisión «{sid}» no tiene plazo («deadline_days»): nunca vencerá ni habrá "
        "afirmativa o negativa ficta. Indique los días hábiles que tiene la dependencia.",
        f"The review “{sid}” has no deadline (“deadline_days”): it never lapses and no "
        "tacit approval or refusal applies. Give the working days the department has.",
    )


def _at(doc: Any, parts: Sequence[str | int]) -> Any:
    """The value at ``parts`` in ``doc``, or None when there is none."""
    value = doc
    for part in parts:
        if isinstance(part, int) and isinstance(value, list) and 0 <= part < len(value):
            value = value[part]
            continue
        if isinstance(part, str) and isinstance(value, dict) and part in value:
            value = value[part]
            continue
        return None
    return value


class _Damaged:
    """Stands for a value the schema rejected: present, but not to be read."""

    def __repr__(self) -> str:
        return "DAMAGED"


DAMAGED: Any = _Damaged()


def _list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def _map(value: Any) -> Mapping[str, Any]:
    """``value`` if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(position, item) for the objects of a list (damaged items skipped)."""
    for i, item in enumerate(_list(value)):
        if isinstance(item, dict):
            yield i, item


@cache
def _step_types() -> frozenset[str]:
    return frozenset(load_meta_schema()["$defs"]["step"]["properties"]["type"]["enum"])


@cache
def _field_types() -> frozenset[str]:
    return frozenset(load_meta_schema()["$defs"]["field"]["properties"]["type"]["enum"])


def _without(value: Any, damaged: set[tuple[str | int, ...]]) -> Any:
    """``value`` with every damaged value replaced by ``DAMAGED`` (keys stay present)."""
    prefixes = {d[:k] for d in damaged for k in range(len(d) + 1)}

    def walk(node: Any, here: tuple[str | int, ...]) -> Any:
        if here not in prefixes:
            return node
        if isinstance(node, dict):
            return {
                k: DAMAGED if (*here, k) in damaged else walk(v, (*here, k))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [
                DAMAGED if (*here, i) in damaged else walk(v, (*here, i))
                for i, v in enumerate(node)
            ]
        return node

    return walk(value, ())


# -- elements ---------------------------------------------------------------------------------

_LIST_KEYS = frozenset(
    {
        "steps",
        "fields",
        "transitions",
        "eligibility",
        "fee_lines",
        "branches",
        "options",
        "signers",
        "tables",
        "columns",
        "requirements",
        "offices",
    }
)
_MAP_KEYS = frozenset(
    {"outcomes", "fee_tables", "constants", "example_data", "result_map", "input"}
)
_OBJECT_KEYS = frozenset({"catalog", "document", "ledger", "register"})
_PATH_TOKEN = re.compile(r'\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def parse_path(path: str) -> list[str | int]:
    """The inverse of ``json_path`` (``$.steps[2].id`` -> ``["steps", 2, "id"]``)."""
    out: list[str | int] = []
    for match in _PATH_TOKEN.finditer(path, 1):
        plain, index, quoted = match.groups()
        if index is not None:
            out.append(int(index))
        elif plain is not None:
            out.append(plain)
        else:
            out.append(re.sub(r"\\(.)", r"\1", quoted))
    return out


def element_of(doc: Any, parts: Sequence[str | int]) -> str:
    """The id path of the element a JSON path points into: ``$.steps[2].outcomes.approve.to``
    -> ``steps/revision/outcomes/approve``; list items without a usable id go by position."""
    out: list[str] = []
    value = doc
    k = 0
    while k < len(parts):
        part = parts[k]
        nxt = parts[k + 1] if k + 1 < len(parts) else None
        if isinstance(part, int):
            item = value[part] if isinstance(value, list) and 0 <= part < len(value) else None
            name = None
            if isinstance(item, dict):
                name = item.get("id", item.get("value"))
            out.append(name if isinstance(name, str) and name else str(part))
            value = item
        elif part in _LIST_KEYS and isinstance(nxt, int):
            out.append(part)
            value = value.get(part) if isinstance(value, dict) else None
        elif part in _MAP_KEYS and nxt is not None and not isinstance(nxt, int):
            out += [part, str(nxt)]
            inner = value.get(part) if isinstance(value, dict) else None
            value = inner.get(nxt) if isinstance(inner, dict) else None
            k += 1
        elif part in _OBJECT_KEYS or k == 0:
            out.append(part)
            value = value.get(part) if isinstance(value, dict) else None
        else:
            break
        k += 1
    return "/".join(out)


def _sort_key(parts: Iterable[Any]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in parts)


_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "string": ("un texto", "a text"),
    "integer": ("un número entero", "a whole number"),
    "number": ("un número", "a number"),
    "object": ("un objeto { … }", "an object { … }"),
    "array": ("una lista [ … ]", "a list [ … ]"),
    "boolean": ("true o false", "true or false"),
    "null": ("null", "null"),
}

# pattern of the meta-schema -> (what it expects, es / en)
_PATTERN_HINTS: dict[str, tuple[str, str]] = {
    "^[a-z][a-z0-9_]{0,62}$": (
        "un identificador: letras minúsculas sin acentos, dígitos y guion bajo, que empiece "
        "con una letra y tenga como máximo 63 caracteres (por ejemplo «datos_solicitante»)",
        "an identifier: lowercase letters without accents, digits and underscores, starting "
        "with a letter, at most 63 characters (for example “datos_solicitante”)",
    ),
    "^[a-z][a-z0-9-]{2,63}$": (
        "una clave de trámite: minúsculas sin acentos, dígitos y guiones, de 3 a 64 "
        "caracteres (por ejemplo «licencia-funcionamiento»)",
        "a procedure key: lowercase letters without accents, digits and hyphens, 3 to 64 "
        "characters (for example “licencia-funcionamiento”)",
    ),
    "^[a-z][a-z0-9-]{1,63}$": (
        "una clave de dependencia: minúsculas sin acentos, dígitos y guiones (por ejemplo "
        "«desarrollo-economico»)",
        "a department key: lowercase letters without accents, digits and hyphens (for "
        "example “desarrollo-economico”)",
    ),
    "^[a-z][a-z0-9_-]{0,62}$": (
        "una clave de rol: minúsculas sin acentos, dígitos, guion o guion bajo (por ejemplo "
        "«revisor»)",
        "a role key: lowercase letters without accents, digits, hyphens or underscores (for "
        "example “revisor”)",
    ),
    "^-?[0-9]+(\\.[0-9]+)?$": (
        "un número decimal escrito como texto, con punto decimal y sin separador de miles "
        '(por ejemplo "48.50")',
        "a decimal number written as text, with a decimal point and no thousands separator "
        '(for example "48.50")',
    ),
    "^(today|[0-9]{4}-[0-9]{2}-[0-9]{2})$": (
        'una fecha AAAA-MM-DD o la palabra "today"',
        'a date YYYY-MM-DD or the word "today"',
    ),
    "^[a-z]+/([a-z0-9][a-z0-9.+-]*|\\*)$": (
        'un tipo MIME en minúsculas (por ejemplo "application/pdf" o "image/*")',
        'a lowercase MIME type (for example "application/pdf" or "image/*")',
    ),
    "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$": (
        "el nombre de un conector y su operación separados por punto (por ejemplo "
        '"catastro.consultar_predio")',
        "a connector name and operation separated by a dot (for example "
        '"catastro.consultar_predio")',
    ),
    "^[A-Z]{2,5}-[A-Z]{2,5}-[0-9]{3}$": (
        "una homoclave como «CHO-DE-001» (municipio, dependencia y número de tres dígitos)",
        "a homoclave such as “CHO-DE-001” (municipality, department and a three-digit number)",
    ),
    "^[A-Z]{3}$": (
        "un código de moneda ISO 4217 de tres letras mayúsculas (por ejemplo MXN o USD)",
        "a three-letter ISO 4217 currency code in capitals (for example MXN or USD)",
    ),
    "^[A-Za-z_][A-Za-z0-9_.]{0,62}$": (
        "el nombre de un dato devuelto por el conector (letras, dígitos, guion bajo y punto)",
        "the name of a value returned by the connector (letters, digits, underscore and dot)",
    ),
}


def _quote_list(values: Iterable[Any]) -> str:
    return ", ".join(f"«{v}»" if isinstance(v, str) else repr(v) for v in values)


def _quote_list_en(values: Iterable[Any]) -> str:
    return ", ".join(f"“{v}”" if isinstance(v, str) else repr(v) for v in values)


def _explain(error: ValidationError) -> Iterator[Problem]:
    """Readable problems for one jsonschema error."""
    parts = list(error.absolute_path)
    path = json_path(parts)
    kind = error.validator
    value = error.validator_value
    instance = error.instance
    if "propertyNames" in error.absolute_schema_path:
        name = str(instance)
        yield _name_problem(_child(path, name), name, kind, value)
        return
    if kind == "required":
        assert isinstance(instance, dict)
        for name in value:
            if name not in instance and f"'{name}'" in error.message:
                yield _schema_problem(
                    _child(path, name),
                    f"Falta la propiedad obligatoria «{name}». Agréguela.",
                    f"The required property “{name}” is missing. Add it.",
                )
        return
    if kind in ("additionalProperties", "unevaluatedProperties") and isinstance(instance, dict):
        allowed = sorted(error.schema.get("properties", {}))
        pattern_props = error.schema.get("patternProperties", {})
        for name in instance:
            if name in allowed or any(re.search(p, name) for p in pattern_props):
                continue
            if allowed:
                guess = difflib.get_close_matches(name, allowed, n=1)
                hint_es = f" ¿Quiso decir «{guess[0]}»?" if guess else ""
                hint_en = f" Did you mean “{guess[0]}”?" if guess else ""
                yield _schema_problem(
                    _child(path, name),
                    f"La propiedad «{name}» no se admite aquí.{hint_es} Permitidas: "
                    f"{_quote_list(allowed)}.",
                    f"The property “{name}” is not allowed here.{hint_en} Allowed: "
                    f"{_quote_list_en(allowed)}.",
                )
            else:
                yield _schema_problem(
                    _child(path, name),
                    f"La propiedad «{name}» no se admite aquí; elimínela.",
                    f"The property “{name}” is not allowed here; remove it.",
                )
        return
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "type" and set(schema.get("properties", {})) == {"es", "en"}:
        yield _schema_problem(
            path,
            'Aquí va un texto en español y, si quiere, en inglés: {"es": "…", "en": "…"}.',
            'A text in Spanish and, optionally, English goes here: {"es": "…", "en": "…"}.',
        )
        return
    yield _value_problem(path, kind, value, instance, error.message)


def _name_problem(path: str, name: str, kind: str, value: Any) -> Problem:
    if kind == "pattern" and value in _PATTERN_HINTS:
        es, en = _PATTERN_HINTS[value]
        return _schema_problem(
            path,
            f"El nombre «{name}» no es válido: debe ser {es}.",
            f"The name “{name}” is not valid: it must be {en}.",
        )
    return _schema_problem(
        path,
        f"El nombre «{name}» no es válido aquí; cámbielo.",
        f"The name “{name}” is not valid here; change it.",
    )


def _value_problem(path: str, kind: str, value: Any, instance: Any, raw: str) -> Problem:
    if kind == "type":
        names = value if isinstance(value, list) else [value]
        es = " o ".join(_TYPE_NAMES.get(n, (n, n))[0] for n in names)
        en = " or ".join(_TYPE_NAMES.get(n, (n, n))[1] for n in names)
        return _schema_problem(
            path, f"Aquí se espera {es}.", f"{en[0].upper()}{en[1:]} is expected here."
        )
    if kind == "enum":
        guess = difflib.get_close_matches(str(instance), [str(v) for v in value], n=1)
        hint_es = f" ¿Quiso decir «{guess[0]}»?" if guess else ""
        hint_en = f" Did you mean “{guess[0]}”?" if guess else ""
        return _schema_problem(
            path,
            f"El valor {_show(instance)} no es válido.{hint_es} Use uno de: {_quote_list(value)}.",
            f"The value {_show(instance)} is not valid.{hint_en} Use one of: "
            f"{_quote_list_en(value)}.",
        )
    if kind == "const":
        return _schema_problem(
            path, f"El valor debe ser {_show(value)}.", f"The value must be {_show(value)}."
        )
    if kind == "pattern":
        if value in _PATTERN_HINTS:
            es, en = _PATTERN_HINTS[value]
        else:
            es = en = f"/{value}/"
        return _schema_problem(
            path,
            f"El valor {_show(instance)} no tiene el formato esperado: debe ser {es}.",
            f"The value {_show(instance)} does not have the expected format: it must be {en}.",
        )
    if kind == "minItems":
        return _schema_problem(
            path,
            f"La lista debe tener al menos {counted(value, 'elemento', 'elementos')}.",
            f"The list must have at least {counted(value, 'item', 'items')}.",
        )
    if kind == "maxItems":
        return _schema_problem(
            path,
            f"La lista puede tener como máximo {counted(value, 'elemento', 'elementos')}.",
            f"The list may have at most {counted(value, 'item', 'items')}.",
        )
    if kind == "uniqueItems":
        return _schema_problem(
            path, "La lista tiene elementos repetidos.", "The list has repeated items."
        )
    if kind == "minLength":
        if value == 1:
            return _schema_problem(
                path, "Este texto no puede quedar vacío.", "This text may not be empty."
            )
        return _schema_problem(
            path,
            f"El texto debe tener al menos {value} caracteres.",
            f"The text must have at least {value} characters.",
        )
    if kind == "maxLength":
        return _schema_problem(
            path,
            f"El texto puede tener como máximo {value} caracteres.",
            f"The text may have at most {value} characters.",
        )
    if kind in ("minimum", "exclusiveMinimum"):
        strict_es = "mayor que" if kind == "exclusiveMinimum" else "al menos"
        strict_en = "greater than" if kind == "exclusiveMinimum" else "at least"
        return _schema_problem(
            path,
            f"El número debe ser {strict_es} {value}.",
            f"The number must be {strict_en} {value}.",
        )
    if kind in ("maximum", "exclusiveMaximum"):
        return _schema_problem(
            path,
            f"El número puede ser como máximo {value}.",
            f"The number may be at most {value}.",
        )
    if kind == "minProperties":
        return _schema_problem(
            path,
            f"Este objeto debe tener al menos {counted(value, 'entrada', 'entradas')}.",
            f"This object must have at least {counted(value, 'entry', 'entries')}.",
        )
    return _schema_problem(
        path,
        f"Valor no válido según el esquema de plantillas ({raw}).",
        f"Value not valid under the template schema ({raw}).",
    )


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "…"


# -- semantics --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FieldInfo:
    path: str
    field: Mapping[str, Any]
    step_id: str
    group: str | None  # id of the enclosing group field, if any


_PLACEHOLDER = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_DATA_PLACEHOLDER = re.compile(r"^data\.([A-Za-z0-9_]+)(\..+)?$")
# `decision.<approval step>.<what>`: what the deciding official wrote (see check_decisions).
_DECISION_PLACEHOLDER = re.compile(
    r"^decision\.([A-Za-z0-9_]+)\.(comment|decision|decided_on|fields\.([A-Za-z0-9_]+)"
    r"|official\.(?:name|position))(\..+)?$"
)
_STATEMENT_DECISION = re.compile(
    r"(?<=[\s(])decision\.[A-Za-z0-9_]+\.(?:comment|decision|fields\.[A-Za-z0-9_]+)(?=[^%]*%\})"
)
_DECISION_FILES = re.compile(r"^decision\.([A-Za-z0-9_]+)\.fields\.([A-Za-z0-9_]+)$")
_LOOP_NAMES = re.compile(r"\{%-?\s*(?:for|set)\s+([A-Za-z_][A-Za-z0-9_, ]*?)\s+(?:in|=)")
# `data.<field>` read by a `{% if %}` / `{% for %}` statement (checked like a placeholder).
_STATEMENT_DATA = re.compile(r"(?<=[\s(])data\.[A-Za-z0-9_]+(?=[^%]*%\})")


class _Semantics:
    """One pass of semantic checks over the sound parts of a template.

    Values the schema rejects were removed beforehand (a list item became None), so every
    value read here has its schema type, but required keys may be missing: read with care.
    """

    def __init__(self, doc: Mapping[str, Any], known_departments: frozenset[str] | None):
        self.doc = doc
        self.known = known_departments
        self.problems: list[Problem] = []
        self.steps: list[Mapping[str, Any]] = []
        self.step_paths: list[str] = []
        self.step_positions: list[int] = []
        # every step id written, also on steps too broken to check: a reference to one of
        # them is not "unknown"
        self.step_ids: set[str] = set()
        self.all_steps_known = True
        for i, step in _dicts(doc.get("steps")):
            sid = step.get("id")
            if isinstance(sid, str):
                self.step_ids.add(sid)
            if isinstance(sid, str) and step.get("type") in _step_types():
                self.steps.append(step)
                self.step_paths.append(f"$.steps[{i}]")
                self.step_positions.append(i)
            else:
                self.all_steps_known = False
        steps = doc.get("steps")
        if not isinstance(steps, list) or any(not isinstance(s, dict) for s in steps):
            self.all_steps_known = False
        self.step_index: dict[str, int] = {}
        for i, known_step in enumerate(self.steps):
            self.step_index.setdefault(known_step["id"], i)
        self.fields: dict[str, _FieldInfo] = {}
        self.all_fields_known = self.all_steps_known
        self.constants: Mapping[str, Any] = _map(doc.get("constants"))
        self.tables: Mapping[str, Any] = _map(doc.get("fee_tables"))
        self.catalog: Mapping[str, Any] = _map(doc.get("catalog"))
        self.read_fields: set[str] = set()  # ids some rule, document or requirement reads

    # helpers

    def add(self, code: str, path: str, es: str, en: str, severity: str = ERROR) -> None:
        self.problems.append(Problem(code, severity, "", path, es, en))

    def warn(self, code: str, path: str, es: str, en: str) -> None:
        self.add(code, path, es, en, WARNING)

    def step_path(self, i: int) -> str:
        return self.step_paths[i]

    def broken_step(self, step_id: str) -> bool:
        """True when ``step_id`` might name a step too broken to check."""
        if step_id in self.step_index:
            return False
        return step_id in self.step_ids or not self.all_steps_known

    def step_of(self, step_id: str) -> Mapping[str, Any] | None:
        i = self.step_index.get(step_id)
        return None if i is None else self.steps[i]

    def suggest(self, name: str, candidates: Iterable[str]) -> tuple[str, str]:
        guess = difflib.get_close_matches(name, list(candidates), n=1)
        if not guess:
            return "", ""
        return f" ¿Quiso decir «{guess[0]}»?", f" Did you mean “{guess[0]}”?"

    # driver

    def run(self) -> list[Problem]:
        self.check_step_ids()
        self.collect_fields()
        self.check_local_ids()
        self.check_start()
        self.check_targets()
        self.check_response_deadline()
        self.check_graph()
        self.check_departments()
        self.check_field_options()
        self.check_expressions()
        self.check_requirements()
        self.check_documents()
        self.check_decisions()
        self.check_connectors()
        self.check_validity()
        self.check_example_data()
        self.check_row_references()
        self.check_example_values()
        self.check_liaison_warnings()
        return self.problems

    # ids

    def check_step_ids(self) -> None:
        seen: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            sid = step["id"]
            position = self.step_positions[i]
            if sid in seen:
                self.add(
                    "duplicate_step_id",
                    _child(self.step_path(i), "id"),
                    f"El id de paso «{sid}» ya lo usa el paso {seen[sid] + 1}. Cada paso "
                    "necesita un id distinto; cambie uno de los dos.",
                    f"The step id “{sid}” is already used by step {seen[sid] + 1}. Every step "
                    "needs its own id; rename one of them.",
                )
            else:
                seen[sid] = position

    def collect_fields(self) -> None:
        for i, step in enumerate(self.steps):
            if step["type"] != "form":
                continue
            if not isinstance(step.get("fields"), list):
                self.all_fields_known = False
            for j, field in enumerate(_list(step.get("fields"))):
                fpath = f"{self.step_path(i)}.fields[{j}]"
                info = self.register_field(fpath, field, step["id"], None)
                if info is None or info.field.get("type") != "group":
                    continue
                if not isinstance(info.field.get("fields"), list):
                    self.all_fields_known = False
                for k, sub in enumerate(_list(info.field.get("fields"))):
                    self.register_field(f"{fpath}.fields[{k}]", sub, step["id"], info.field["id"])

    def register_field(
        self, path: str, field: Any, step_id: str, group: str | None
    ) -> _FieldInfo | None:
        """Remember a field by its id; one whose type is unusable is known by its id only."""
        fid = field.get("id") if isinstance(field, dict) else None
        if not isinstance(fid, str):
            self.all_fields_known = False
            return None
        if field.get("type") not in _field_types():
            if "fields" in field:  # a broken group: its members' ids are unknown
                self.all_fields_known = False
            field = {"id": fid}
        if fid in self.fields:
            other = self.fields[fid]
            self.add(
                "duplicate_field_id",
                _child(path, "id"),
                f"El id de campo «{fid}» ya se usa en {other.path}. Los ids de campo deben ser "
                "únicos en todo el trámite (también dentro de los grupos); cambie uno.",
                f"The field id “{fid}” is already used at {other.path}. Field ids must be "
                "unique in the whole procedure (group fields included); rename one.",
            )
            return None
        info = _FieldInfo(path, field, step_id, group)
        self.fields[fid] = info
        return info

    def check_local_ids(self) -> None:
        for i, step in enumerate(self.steps):
            sp = self.step_path(i)
            for key, what_es, what_en in (
                ("transitions", "transición", "transition"),
                ("eligibility", "regla de elegibilidad", "eligibility rule"),
                ("fee_lines", "línea de cobro", "fee line"),
                ("branches", "rama", "branch"),
            ):
                items = _list(step.get(key))
                self.check_unique(f"{sp}.{key}", items, what_es, what_en, step["id"])
        reqs = _list(self.catalog.get("requirements"))
        self.check_unique("$.catalog.requirements", reqs, "requisito", "requirement", None)

    def check_unique(
        self,
        path: str,
        items: Sequence[Any],
        what_es: str,
        what_en: str,
        step_id: str | None,
    ) -> None:
        seen: set[str] = set()
        where_es = f" del paso «{step_id}»" if step_id else ""
        where_en = f" of step “{step_id}”" if step_id else ""
        for k, item in _dicts(items):
            iid = item.get("id")
            if not isinstance(iid, str):
                continue
            if iid in seen:
                self.add(
                    "duplicate_id",
                    f"{path}[{k}].id",
                    f"El id «{iid}» está repetido entre las entradas de {what_es}{where_es}. "
                    "Use un id distinto para cada una.",
                    f"The id “{iid}” is repeated among the {what_en} entries{where_en}. Give "
                    "each one its own id.",
                )
            seen.add(iid)

    # start, targets, graph

    def check_start(self) -> None:
        start = self.doc.get("start")
        if not isinstance(start, str) or self.broken_step(start):
            return
        step = self.step_of(start)
        if step is None:
            es, en = self.suggest(start, self.step_index)
            self.add(
                "unknown_start_step",
                "$.start",
                f"El paso inicial «{start}» no existe.{es} Indique en «start» el id de un paso "
                "de formulario.",
                f"The start step “{start}” does not exist.{en} Set “start” to the id of a form "
                "step.",
            )
        elif step["type"] != "form":
            self.add(
                "start_not_a_form",
                "$.start",
                f"El paso inicial «{start}» es de tipo «{step['type']}»; el trámite debe "
                "empezar con un formulario que llene el solicitante.",
                f"The start step “{start}” is of type “{step['type']}”; a procedure must start "
                "with a form filled in by the applicant.",
            )

    def check_target(self, path: str, target: Any, *, need: str | None = None) -> None:
        if not isinstance(target, str) or self.broken_step(target):
            return
        step = self.step_of(target)
        if step is None:
            es, en = self.suggest(target, self.step_index)
            self.add(
                "unknown_target_step",
                path,
                f"El paso destino «{target}» no existe.{es} Elija un paso existente.",
                f"The target step “{target}” does not exist.{en} Choose an existing step.",
            )
            return
        if need == "form" and step["type"] != "form":
            self.add(
                "return_not_to_form",
                path,
                f"La devolución para corrección debe llevar a un paso de formulario, y "
                f"«{target}» es de tipo «{step['type']}». Elija el formulario que el "
                "solicitante debe corregir.",
                f"A return for correction must lead to a form step, but “{target}” is of type "
                f"“{step['type']}”. Choose the form the applicant must correct.",
            )
        if need == "end" and step["type"] != "end":
            self.add(
                "lapse_not_to_end",
                path,
                f"«lapse_to» debe ser un paso final (end) y «{target}» es de tipo "
                f"«{step['type']}». Elija el final que aplica si el solicitante no corrige a "
                "tiempo (por ejemplo «desechada»).",
                f"“lapse_to” must be an end step, but “{target}” is of type "
                f"“{step['type']}”. Choose the end that applies when the applicant does not "
                "correct in time (for example “desechada”).",
            )

    def check_targets(self) -> None:
        for i, step in enumerate(self.steps):
            sp = self.step_path(i)
            transitions = _list(step.get("transitions"))
            for k, transition in _dicts(transitions):
                tpath = f"{sp}.transitions[{k}]"
                self.check_target(f"{tpath}.to", transition.get("to"))
                last = k == len(transitions) - 1
                if last and "when" in transition:
                    self.add(
                        "default_transition_with_condition",
                        f"{tpath}.when",
                        f"La última transición del paso «{step['id']}» no debe tener "
                        "condición: es la salida por defecto cuando ninguna otra se cumple. "
                        "Quite su «when» o agregue al final una transición sin condición.",
                        f"The last transition of step “{step['id']}” must have no condition: "
                        "it is the default way out when no other applies. Remove its “when” "
                        "or add an unconditional transition at the end.",
                    )
                if not last and "when" not in transition:
                    self.add(
                        "unreachable_transition",
                        tpath,
                        f"La transición «{transition.get('id')}» no tiene condición, así que las "
                        "siguientes nunca se usarán. Agregue un «when» o muévala al final.",
                        f"The transition “{transition.get('id')}” has no condition, so the ones "
                        "after it are never taken. Add a “when” or move it to the end.",
                    )
            outcomes = _map(step.get("outcomes"))
            op = f"{sp}.outcomes"
            for name in ("approve", "reject"):
                self.check_outcome(step, f"{op}.{name}", outcomes.get(name))
            ret = _map(outcomes.get("return"))
            self.check_target(f"{op}.return.to_step", ret.get("to_step"), need="form")
            self.check_target(f"{op}.return.lapse_to", ret.get("lapse_to"), need="end")
            self.check_step_deadline(step, sp)

    def check_step_deadline(self, step: Mapping[str, Any], sp: str) -> None:
        """A form or payment step's own deadline needs where the case goes when it lapses
        (an end step), and an end to go to needs a deadline."""
        if step.get("type") not in ("form", "payment"):
            return
        has_days, has_lapse = "deadline_days" in step, "lapse_to" in step
        if has_days and not has_lapse:
            self.add(
                "step_deadline_without_lapse",
                f"{sp}.lapse_to",
                f"El paso «{step['id']}» tiene plazo («deadline_days») pero no dice qué pasa "
                "al vencer. Agregue «lapse_to» con el paso final que aplica (por ejemplo "
                "«desechada»).",
                f"Step “{step['id']}” has a deadline (“deadline_days”) but does not say what "
                "happens when it lapses. Add “lapse_to” with the end step that applies (for "
                "example “desechada”).",
            )
        elif has_lapse and not has_days:
            self.add(
                "lapse_without_step_deadline",
                f"{sp}.deadline_days",
                f"El paso «{step['id']}» tiene «lapse_to» pero no plazo. Agregue "
                "«deadline_days» (días hábiles) o quite «lapse_to».",
                f"Step “{step['id']}” has “lapse_to” but no deadline. Add “deadline_days” "
                "(business days) or remove “lapse_to”.",
            )
        self.check_target(f"{sp}.lapse_to", step.get("lapse_to"), need="end")
        if has_days and step.get("type") == "form" and step.get("id") in self.filing_forms():
            self.warn(
                "form_deadline_before_filing",
                f"{sp}.deadline_days",
                f"El plazo del formulario «{step['id']}» solo corre cuando el expediente "
                "vuelve a él después de enviarse; antes de enviar la solicitud no vence.",
                f"The deadline of form “{step['id']}” only runs when the case comes back to "
                "it after filing; before the application is filed it never lapses.",
            )

    def filing_forms(self) -> set[str]:
        """The form steps reached from the start through forms only (filled before filing)."""
        seen: set[str] = set()
        todo = [self.doc.get("start")]
        while todo:
            sid = todo.pop()
            step = self.step_of(sid) if isinstance(sid, str) else None
            if step is None or step.get("type") != "form" or sid in seen:
                continue
            seen.add(str(sid))
            todo += [t.get("to") for t in _dicts_only(step.get("transitions"))]
        return seen

    def check_response_deadline(self) -> None:
        """The whole-case deadline counts the catalog's `max_response_days` from filing; its
        ficta is the catalog's `ficta`."""
        spec = self.doc.get("response_deadline")
        if not isinstance(spec, Mapping):
            return
        catalog = _map(self.doc.get("catalog"))
        days = catalog.get("max_response_days")
        if isinstance(days, int) and days < 1:
            self.add(
                "response_deadline_without_days",
                "$.catalog.max_response_days",
                "El trámite tiene plazo máximo de respuesta («response_deadline») pero "
                "«max_response_days» es 0. Indique los días hábiles que tiene el municipio "
                "para responder.",
                "The procedure has a maximum response time (“response_deadline”) but "
                "“max_response_days” is 0. Give the business days the municipality has to "
                "answer.",
            )
        if spec.get("on_lapse") == "ficta" and catalog.get("ficta") == "none":
            self.add(
                "response_ficta_none",
                "$.response_deadline.on_lapse",
                "«on_lapse» es «ficta» pero la ficha del trámite dice que no aplica ficta "
                "(«catalog.ficta»: «none»). Indique en la ficha si es afirmativa o negativa, "
                "o use «escalate».",
                "“on_lapse” is “ficta” but the catalog says no tacit decision applies "
                "(“catalog.ficta”: “none”). Say in the catalog whether it is afirmativa or "
                "negativa, or use “escalate”.",
            )

    def check_outcome(self, step: Mapping[str, Any], path: str, outcome: Any) -> None:
        """An outcome's target, or each route of an outcome that branches: routes are tried
        in order and the last one, without `when`, is the default."""
        if not isinstance(outcome, list):
            self.check_target(f"{path}.to", _map(outcome).get("to"))
            return
        for k, route in _dicts(outcome):
            rpath = f"{path}[{k}]"
            self.check_target(f"{rpath}.to", route.get("to"))
            last = k == len(outcome) - 1
            if last and "when" in route:
                self.add(
                    "default_route_with_condition",
                    f"{rpath}.when",
                    f"La última ruta de «{path.rsplit('.', 1)[-1]}» en el paso «{step['id']}» no "
                    "debe tener condición: es la ruta por defecto cuando ninguna otra se "
                    "cumple. Quite su «when» o agregue al final una ruta sin condición.",
                    f"The last route of “{path.rsplit('.', 1)[-1]}” in step “{step['id']}” "
                    "must have no condition: it is the default when no other applies. Remove "
                    "its “when” or add an unconditional route at the end.",
                )
            if not last and "when" not in route:
                self.add(
                    "unreachable_route",
                    rpath,
                    f"La ruta {k + 1} de «{path.rsplit('.', 1)[-1]}» en el paso «{step['id']}» "
                    "no tiene condición, así que las siguientes nunca se usarán. Agregue un "
                    "«when» o muévala al final.",
                    f"Route {k + 1} of “{path.rsplit('.', 1)[-1]}” in step “{step['id']}” has "
                    "no condition, so the ones after it are never taken. Add a “when” or move "
                    "it to the end.",
                )

    def edges(self, step: Mapping[str, Any]) -> tuple[list[str], bool]:
        """The steps ``step`` can lead to, and whether that list is certain (a damaged
        transition, outcome or target step could lead anywhere)."""
        out: list[Any] = []
        certain = True
        if step["type"] != "end" and "transitions" not in step and "outcomes" not in step:
            certain = False
        transitions = step.get("transitions")
        if transitions is not None and not isinstance(transitions, list):
            certain = False
        for transition in _list(transitions):
            if not isinstance(transition, dict) or transition.get("when") is DAMAGED:
                certain = False
                continue
            out.append(transition.get("to"))
            if "when" not in transition:
                break  # the transitions after an unconditional one are never taken
        outcomes = step.get("outcomes")
        if outcomes is not None:
            if not isinstance(outcomes, dict):
                outcomes = {"approve": DAMAGED}
            for name in ("approve", "reject"):
                routes = outcome_routes(outcomes.get(name))
                out += [r.get("to") for r in routes] if routes else [None]
            if "return" in outcomes:
                ret = _map(outcomes["return"])
                out += [ret.get("to_step"), ret.get("lapse_to")]
        if "lapse_to" in step:  # a form or payment step's own deadline
            out.append(step["lapse_to"])
        targets = [t for t in out if isinstance(t, str) and t in self.step_index]
        if len(targets) < len(out) and any(
            not isinstance(t, str) or self.broken_step(t) for t in out
        ):
            certain = False
        return targets, certain

    def graph(self) -> tuple[dict[str, list[str]], list[str]]:
        """Step id -> the steps it can lead to, and the steps whose way out is uncertain."""
        graph: dict[str, list[str]] = {}
        uncertain: list[str] = []
        for sid, i in self.step_index.items():
            graph[sid], certain = self.edges(self.steps[i])
            if not certain:
                uncertain.append(sid)
        return graph, uncertain

    def check_graph(self) -> None:
        ends = [s["id"] for s in self.steps if s["type"] == "end"]
        if not ends and self.all_steps_known:
            self.add(
                "no_end_step",
                "$.steps",
                "El trámite no tiene ningún paso final (end). Agregue al menos uno, por "
                "ejemplo «aprobada» con outcome «approved».",
                "The procedure has no end step. Add at least one, for example “aprobada” with "
                "outcome “approved”.",
            )
        start = self.doc.get("start")
        if not isinstance(start, str) or start not in self.step_index:
            return
        graph, uncertain = self.graph()
        reached = _closure([start], graph)
        if reached & set(uncertain):  # a damaged part could lead anywhere
            reached = set(graph)
        reverse: dict[str, list[str]] = {sid: [] for sid in graph}
        for sid, targets in graph.items():
            for target in targets:
                reverse[target].append(sid)
        finishes = _closure([*ends, *uncertain], reverse)
        for i, step in enumerate(self.steps):
            sid = step["id"]
            if self.step_index[sid] != i:
                continue  # duplicate id, already reported
            if sid not in reached:
                self.add(
                    "unreachable_step",
                    self.step_path(i),
                    f"Ningún camino lleva desde el inicio hasta el paso «{sid}». Agregue una "
                    "transición o un resultado de revisión que lleve a él, o elimínelo.",
                    f"No path leads from the start to the step “{sid}”. Add a transition or a "
                    "review outcome that leads to it, or delete it.",
                )
            elif sid not in finishes:
                self.add(
                    "dead_end",
                    self.step_path(i),
                    f"Desde el paso «{sid}» no se puede llegar a ningún paso final: el "
                    "expediente quedaría atorado. Agregue una transición que lleve hacia un "
                    "final.",
                    f"From the step “{sid}” no end step can be reached: the case would be "
                    "stuck. Add a transition that leads towards an end.",
                )

    # departments

    def check_department(self, path: str, key: Any) -> None:
        if self.known is not None and isinstance(key, str) and key not in self.known:
            es, en = self.suggest(key, self.known)
            known = sorted(self.known)
            self.add(
                "unknown_department",
                path,
                f"La dependencia «{key}» no existe en este municipio.{es} Use una de: "
                f"{_quote_list(known)}.",
                f"The department “{key}” does not exist in this municipality.{en} Use one of: "
                f"{_quote_list_en(known)}.",
            )

    def check_departments(self) -> None:
        self.check_department("$.department", self.doc.get("department"))
        for i, step in enumerate(self.steps):
            sp = self.step_path(i)
            kind = step_types.get(step["type"])
            for code, path, es, en in kind.problems(step, sp) if kind else ():
                self.add(code, path, es, en)
            if step["type"] == "approval":
                has_dept = "department" in step
                has_rule = "department_rule" in step
                if has_dept:
                    self.check_department(f"{sp}.department", step["department"])
                if has_rule:
                    for value in _rule_results(step["department_rule"]):
                        if isinstance(value, str):
                            self.check_department(f"{sp}.department_rule", value)
            for k, branch in _dicts(step.get("branches")):
                self.check_department(f"{sp}.branches[{k}].department", branch.get("department"))
            if step["type"] == "document" and isinstance(step.get("document"), Mapping):
                self.check_department(
                    f"{sp}.document.department", step["document"].get("department")
                )

    # fields

    def check_field_options(self) -> None:
        """Each field's own options, one field at a time (the field type's concern)."""
        for info in self.fields.values():
            self.check_field(info.path, info.field)

    def check_field(self, path: str, field: Mapping[str, Any]) -> None:
        # Options the schema rejected are as good as absent here (already reported).
        field = {k: v for k, v in field.items() if v is not DAMAGED}
        try:
            found = field_type(field).option_problems(field)
        except (KeyError, TypeError, AttributeError, ValueError):
            # A field the schema found broken (a missing key, a damaged value): its schema
            # problems already say what to fix; its options are checked once it is sound.
            found = []
        for code, suffix, es, en in found:
            self.add(code, f"{path}{suffix}", es, en)

    # expressions

    def expressions(self) -> Iterator[tuple[str, Any, str, str]]:
        """(path, expression, what it is in es, in en) for every sound JSON Logic."""
        for found in (*self.all_expressions(), *self.validity_expressions()):
            if found[1] is not DAMAGED:
                yield found

    def all_expressions(self) -> Iterator[tuple[str, Any, str, str]]:
        """Every JSON Logic of the template (DAMAGED where the schema rejected it)."""
        yield from self.field_expressions()
        for i, step in enumerate(self.steps):
            yield from self.step_expressions(self.step_path(i), step)
        yield from self.ledger_expressions()

    def field_expressions(self) -> Iterator[tuple[str, Any, str, str]]:
        for info in self.fields.values():
            if "show_if" in info.field:
                yield (
                    f"{info.path}.show_if",
                    info.field["show_if"],
                    "la condición para mostrar el campo",
                    "the condition to show the field",
                )

    def step_expressions(
        self, sp: str, step: Mapping[str, Any]
    ) -> Iterator[tuple[str, Any, str, str]]:
        yield from self.decision_field_expressions(sp, step)
        yield from self.eligibility_and_transition_expressions(sp, step)
        yield from self.fee_line_expressions(sp, step)
        yield from self.routing_expressions(sp, step)
        yield from self.review_expressions(sp, step)

    def decision_field_expressions(
        self, sp: str, step: Mapping[str, Any]
    ) -> Iterator[tuple[str, Any, str, str]]:
        if step.get("type") == "approval":  # what the official writes: shown by a condition
            for j, fld in _dicts(step.get("fields")):
                if "show_if" in fld:
                    yield (
                        f"{sp}.fields[{j}].show_if",
                        fld["show_if"],
                        "la condición para mostrar el campo de la decisión",
                        "the condition to show the decision field",
                    )

    def eligibility_and_transition_expressions(
        self, sp: str, step: Mapping[str, Any]
    ) -> Iterator[tuple[str, Any, str, str]]:
        for k, rule in _dicts(step.get("eligibility")):
            yield (
                f"{sp}.eligibility[{k}].rule",
                rule.get("rule", DAMAGED),
                "la regla de elegibilidad",
                "the eligibility rule",
            )
        for k, transition in _dicts(step.get("transitions")):
            if "when" in transition:
                yield (
                    f"{sp}.transitions[{k}].when",
                    transition["when"],
                    "la condición de la transición",
                    "the transition condition",
                )

    def fee_line_expressions(
        self, sp: str, step: Mapping[str, Any]
    ) -> Iterator[tuple[str, Any, str, str]]:
        for k, line in _dicts(step.get("fee_lines")):
            yield (
                f"{sp}.fee_lines[{k}].amount",
                line.get("amount", DAMAGED),
                "el importe de la línea de cobro",
                "the fee line amount",
            )
            if "when" in line:
                yield (
                    f"{sp}.fee_lines[{k}].when",
                    line["when"],
                    "la condición de la línea de cobro",
                    "the fee line condition",
                )

    def routing_expressions(
        self, sp: str, step: Mapping[str, Any]
    ) -> Iterator[tuple[str, Any, str, str]]:
        """Where the case goes: the department rule, a connector's input, parallel branches."""
        if "department_rule" in step:
            yield (
                f"{sp}.department_rule",
                step["department_rule"],
                "la regla que elige la dependencia",
                "the rule that chooses the department",
            )
        for name, expr in _map(step.get("input")).items():
            yield (
                _child(f"{sp}.input", name),
                expr,
                "el dato que se envía al conector",
                "the value sent to the connector",
            )
        for k, branch in _dicts(step.get("branches")):
            if "when" in branch:
                yield (
                    f"{sp}.branches[{k}].when",
                    branch["when"],
                    "la condición de la rama",
                    "the branch condition",
                )

    def review_expressions(
        self, sp: str, step: Mapping[str, Any]
    ) -> Iterator[tuple[str, Any, str, str]]:
        """A review's own condition and the conditions of its approval routes."""
        if "when" in step and step["type"] in ("approval", "parallel"):
            yield (
                f"{sp}.when",
                step["when"],
                "la condición de la revisión",
                "the review's condition",
            )
        approve = _map(step.get("outcomes")).get("approve")
        for k, route in _dicts(approve if isinstance(approve, list) else []):
            if "when" in route:
                yield (
                    f"{sp}.outcomes.approve[{k}].when",
                    route["when"],
                    "la condición de la ruta de aprobación",
                    "the approval route's condition",
                )

    def ledger_expressions(self) -> Iterator[tuple[str, Any, str, str]]:
        register = _map(_map(self.doc.get("ledger")).get("register"))
        for name in ("key", "description", "rfc", "curp", "name"):
            if name in register:
                yield (
                    f"$.ledger.register.{name}",
                    register[name],
                    "el dato del registro en el padrón",
                    "the value registered in the ledger",
                )
        for name, expr in _map(register.get("attributes")).items():
            yield (
                _child("$.ledger.register.attributes", name),
                expr,
                "el dato del registro en el padrón",
                "the value registered in the ledger",
            )
        if "recurring" in register:
            yield (
                "$.ledger.register.recurring.amount",
                _map(register["recurring"]).get("amount", DAMAGED),
                "el importe del cobro anual",
                "the yearly charge amount",
            )

    def check_expressions(self) -> None:
        for path, expr, what_es, what_en in self.expressions():
            rule_problems = check(expr, path=path)
            for p in rule_problems:
                self.add("invalid_rule", p.path, p.message_es, p.message_en)
            if rule_problems:
                continue
            for name in sorted(referenced_vars(expr)):
                head = name.split(".", 1)[0]
                self.read_fields.add(head)
                if head not in self.fields and self.all_fields_known:
                    es, en = self.suggest(head, self.fields)
                    self.add(
                        "unknown_field_reference",
                        path,
                        f"En {what_es} se usa la variable «{name}», pero no hay ningún campo "
                        f"con id «{head}».{es} Corrija el nombre o agregue ese campo a un "
                        "formulario.",
                        f"{what_en[0].upper()}{what_en[1:]} uses the variable “{name}”, but no "
                        f"field has the id “{head}”.{en} Fix the name or add that field to a "
                        "form.",
                    )
            for table in sorted(referenced_tables(expr)):
                if table not in self.tables and self.doc.get("fee_tables") is not DAMAGED:
                    es, en = self.suggest(table, self.tables)
                    self.add(
                        "unknown_fee_table",
                        path,
                        f"En {what_es} se usa la tabla de tarifas «{table}», que no está "
                        f"definida en «fee_tables».{es} Agréguela o corrija el nombre.",
                        f"{what_en[0].upper()}{what_en[1:]} uses the fee table “{table}”, "
                        f"which is not defined in “fee_tables”.{en} Add it or fix the name.",
                    )
            for name in sorted(_reserved_vars(expr)):
                self.check_reserved(path, name)

    def in_decision_field(self, path: str) -> bool:
        """Whether `path` is the show-if of an approval's decision field."""
        found = re.match(r"^\$\.steps\[(\d+)\]\.fields\[\d+\]\.show_if$", path)
        if found is None or int(found.group(1)) >= len(self.steps):
            return False
        step = self.steps[int(found.group(1))]
        return isinstance(step, Mapping) and step.get("type") == "approval"

    def check_reserved(self, path: str, name: str) -> None:
        root, _, rest = name.partition(".")
        if root == "$const":
            if rest not in self.constants and self.doc.get("constants") is not DAMAGED:
                es, en = self.suggest(rest, self.constants)
                self.add(
                    "unknown_constant",
                    path,
                    f"La constante «{rest}» no está definida en «constants».{es} Agréguela "
                    '(por ejemplo "uma": "113.14") o corrija el nombre.',
                    f"The constant “{rest}” is not defined in “constants”.{en} Add it (for "
                    'example "uma": "113.14") or fix the name.',
                )
        elif root == "$case":
            if rest not in CASE_VARIABLES:
                self.add(
                    "unknown_case_variable",
                    path,
                    f"«{name}» no existe. Del expediente se pueden leer: "
                    f"{_quote_list('$case.' + v for v in sorted(CASE_VARIABLES))}.",
                    f"“{name}” does not exist. From the case you can read: "
                    f"{_quote_list_en('$case.' + v for v in sorted(CASE_VARIABLES))}.",
                )
        elif root == "$result":
            step_id = rest.split(".", 1)[0]
            step = self.step_of(step_id)
            if step is None and self.broken_step(step_id):
                return
            if step is None or step["type"] != "connector":
                self.add(
                    "invalid_result_reference",
                    path,
                    f"«{name}» no es válido: después de «$result.» debe ir el id de un paso "
                    "conector.",
                    f"“{name}” is not valid: “$result.” must be followed by the id of a "
                    "connector step.",
                )
        elif name == "$decision" and self.in_decision_field(path):
            return  # approve / reject / return: which decision the official is writing
        else:
            self.add(
                "unknown_reserved_variable",
                path,
                f"La variable «{name}» no existe. Los nombres que empiezan con «$» están "
                "reservados: $const.…, $case.… y $result.….",
                f"The variable “{name}” does not exist. Names starting with “$” are reserved: "
                "$const.…, $case.… and $result.….",
            )

    # catalog, documents, connectors, example data

    def check_requirements(self) -> None:
        for k, req in _dicts(self.catalog.get("requirements")):
            fid = req.get("field")
            if not isinstance(fid, str):
                continue
            self.read_fields.add(fid)
            info = self.fields.get(fid)
            path = f"$.catalog.requirements[{k}].field"
            if info is None and not self.all_fields_known:
                continue
            if info is None:
                es, en = self.suggest(fid, self.fields)
                self.add(
                    "unknown_requirement_field",
                    path,
                    f"El requisito «{req.get('id')}» dice que se recibe en el campo «{fid}», "
                    f"que no existe.{es} Indique el id de un campo de tipo archivo (file).",
                    f"The requirement “{req.get('id')}” says it is collected by the field "
                    f"“{fid}”, which does not exist.{en} Give the id of a file field.",
                )
            elif info.field.get("type") not in ("file", None):
                self.add(
                    "requirement_field_not_file",
                    path,
                    f"El requisito «{req.get('id')}» se debe recibir en un campo de tipo archivo "
                    f"(file), pero «{fid}» es de tipo «{info.field['type']}».",
                    f"The requirement “{req.get('id')}” must be collected by a file field, but "
                    f"“{fid}” is of type “{info.field['type']}”.",
                )

    def check_documents(self) -> None:
        for i, step in enumerate(self.steps):
            document = step.get("document")
            if not isinstance(document, dict):
                continue
            base = f"{self.step_path(i)}.document"
            for lang, text in _map(document.get("body")).items():
                if isinstance(text, str):
                    self.check_text(f"{base}.body.{lang}", text)
                    self.check_markup(f"{base}.body.{lang}", text)
            if isinstance(document.get("holder"), str):
                self.check_text(f"{base}.holder", document["holder"])
            for t, spec in _dicts(document.get("tables")):
                path = f"{base}.tables[{t}]"
                rows = spec.get("rows")
                if isinstance(rows, str) and rows.startswith("data."):
                    self.read_fields.add(rows[5:])
                    info = self.fields.get(rows[5:])
                    if info is None and not self.all_fields_known:
                        pass
                    elif info is None or info.field.get("type") != "group":
                        self.add(
                            "table_rows_not_group",
                            f"{path}.rows",
                            f"La tabla recorre «{rows}», que no es un grupo repetible (group) "
                            "del trámite. Use data.<id de un campo group> o fees.lines.",
                            f"The table iterates “{rows}”, which is not a repeating group of "
                            "the procedure. Use data.<group field id> or fees.lines.",
                        )
                for c, column in _dicts(spec.get("columns")):
                    if isinstance(column.get("value"), str):
                        cell = f"{path}.columns[{c}].value"
                        self.check_text(cell, column["value"], {"row"})
                        self.check_syntax(cell, column["value"])

    def check_text(self, path: str, text: str, local: set[str] | None = None) -> None:
        """Placeholders of a document text; names bound by `{% for x in ... %}` or
        `{% set x = ... %}` (and `local`) are the template's own."""
        names = set(local or ())
        for match in _LOOP_NAMES.finditer(text):
            names.update(n.strip() for n in match.group(1).split(","))
        for match in _PLACEHOLDER.finditer(text):
            name = match.group(1).split("|", 1)[0].strip()
            if re.split(r"[.[]", name, maxsplit=1)[0].strip() in names:
                continue
            self.check_placeholder(path, name)
        for match in _STATEMENT_DATA.finditer(text):
            self.check_placeholder(path, match.group(0))
        for match in _STATEMENT_DECISION.finditer(text):
            self.check_decision_reference(path, match.group(0))

    def check_markup(self, path: str, text: str) -> None:
        """Only <b>, <i> and <br/> (no attributes): anything else would print as written.
        The text must also compile, or every case reaching the step could not be issued."""
        self.check_syntax(path, text)
        found = foreign_tags(text)
        if found:
            shown = ", ".join(f"«{_show_tag(t)}»" for t in found[:3])
            shown_en = ", ".join(f"“{_show_tag(t)}”" for t in found[:3])
            self.add(
                "unsupported_markup",
                path,
                f"El texto tiene marcas que no se admiten: {shown}. Solo se permiten "
                "<b>…</b> (negritas), <i>…</i> (cursivas) y <br/> (salto de línea), sin "
                "atributos; quite las demás (imágenes, enlaces, estilos): se mostrarían tal "
                "cual en el documento.",
                f"The text has tags that are not allowed: {shown_en}. Only <b>…</b> (bold), "
                "<i>…</i> (italic) and <br/> (line break) are allowed, without attributes; "
                "remove the others (images, links, styles): they would print as written in "
                "the document.",
            )

    def check_syntax(self, path: str, text: str) -> None:
        """The text must compile as a document template (a body, a table cell)."""
        syntax = _template_syntax_error(text)
        if syntax is not None:
            line, reason = syntax
            self.add(
                "template_syntax",
                path,
                f"El texto no se puede usar como plantilla (línea {line}): {reason}. "
                "Revise las llaves {{ }} y {% %}.",
                f"The text cannot be used as a template (line {line}): {reason}. "
                "Check the {{ }} and {% %} braces.",
            )

    def check_placeholder(self, path: str, name: str) -> None:
        data = _DATA_PLACEHOLDER.match(name)
        if data:
            fid = data.group(1)
            self.read_fields.add(fid)
            if fid not in self.fields and self.all_fields_known:
                es, en = self.suggest(fid, self.fields)
                self.add(
                    "unknown_field_placeholder",
                    path,
                    f"El texto usa {{{{ {name} }}}}, pero no hay ningún campo «{fid}».{es} "
                    "Corrija el nombre del campo.",
                    f"The text uses {{{{ {name} }}}}, but there is no field “{fid}”.{en} Fix "
                    "the field name.",
                )
            return
        if name == "fees" or (name.startswith("fees.") and name.split(".")[1] in FEE_VARIABLES):
            return
        if name.startswith("decision."):
            self.check_decision_reference(path, name)
            return
        if name.startswith("case.") and name[5:] in CASE_VARIABLES:
            return
        self.add(
            "unknown_placeholder",
            path,
            f"El marcador {{{{ {name} }}}} no existe. Use {{{{ data.<id de campo> }}}}, "
            "{{ case.folio }}, {{ case.created_at }}, {{ case.submitted_at }} o "
            f"{{{{ fees.<{'|'.join(sorted(FEE_VARIABLES))}> }}}}.",
            f"The placeholder {{{{ {name} }}}} does not exist. Use {{{{ data.<field id> }}}}, "
            "{{ case.folio }}, {{ case.created_at }}, {{ case.submitted_at }} or "
            f"{{{{ fees.<{'|'.join(sorted(FEE_VARIABLES))}> }}}}.",
        )

    def decision_step(self, path: str, step_id: Any, what: str) -> Mapping[str, Any] | None:
        """The approval step `step_id` names, or None after saying why it cannot be one."""
        step = self.step_of(step_id) if isinstance(step_id, str) else None
        if step is not None and step["type"] == "approval":
            return step
        if isinstance(step_id, str) and self.broken_step(step_id):
            return None
        es, en = self.suggest(
            str(step_id), [s["id"] for s in self.steps if s["type"] == "approval"]
        )
        self.add(
            "unknown_decision_step",
            path,
            f"{what} nombra «{step_id}», que no es un paso de revisión (approval) del "
            f"trámite.{es} Use el id del paso de revisión cuya resolución se lee.",
            f"{what} names “{step_id}”, which is not a review (approval) step of the "
            f"procedure.{en} Use the id of the review step whose decision is read.",
        )
        return None

    def decision_field(
        self, path: str, step: Mapping[str, Any], fid: str
    ) -> Mapping[str, Any] | None:
        own = {f.get("id"): f for _, f in _dicts(step.get("fields"))}
        if fid in own:
            return own[fid]
        es, en = self.suggest(fid, [str(k) for k in own])
        self.add(
            "unknown_decision_field",
            path,
            f"El paso de revisión «{step['id']}» no tiene un campo de resolución «{fid}».{es} "
            "Agréguelo a sus «fields» o corrija el nombre.",
            f"The review step “{step['id']}” has no decision field “{fid}”.{en} Add it to "
            "its “fields” or fix the name.",
        )
        return None

    def check_decision_reference(self, path: str, name: str) -> None:
        match = _DECISION_PLACEHOLDER.match(name)
        if match is None:
            self.add(
                "unknown_placeholder",
                path,
                f"El marcador {{{{ {name} }}}} no existe. Use decision.<paso>.comment, "
                "decision.<paso>.fields.<campo>, decision.<paso>.official.name o "
                "decision.<paso>.official.position.",
                f"The placeholder {{{{ {name} }}}} does not exist. Use decision.<step>.comment, "
                "decision.<step>.fields.<field>, decision.<step>.official.name or "
                "decision.<step>.official.position.",
            )
            return
        step = self.decision_step(path, match.group(1), f"{{{{ {name} }}}}")
        if step is not None and match.group(3):
            self.decision_field(path, step, match.group(3))

    def check_decisions(self) -> None:
        """What officials write (an approval's `fields`) and where documents read it: the
        signer who decided, the files attached, the placeholders (check_placeholder)."""
        for i, step in enumerate(self.steps):
            sp = self.step_path(i)
            if step["type"] == "approval":
                decision_fields = _list(step.get("fields"))
                self.check_unique(f"{sp}.fields", decision_fields, "campo", "field", step["id"])
                for j, declared in _dicts(decision_fields):
                    if declared.get("type") in _field_types():
                        self.check_field(f"{sp}.fields[{j}]", declared)
            document = step.get("document")
            if not isinstance(document, dict):
                continue
            base = f"{sp}.document"
            for k, signer in _dicts(document.get("signers")):
                if "decided_by" not in signer:
                    continue
                spath = f"{base}.signers[{k}].decided_by"
                self.decision_step(spath, signer["decided_by"], "«decided_by»")
                if "name" in signer:
                    self.add(
                        "signer_name_and_decided_by",
                        f"{base}.signers[{k}]",
                        "Una firma lleva «name» (una persona fija) o «decided_by» (quien "
                        "resolvió), no ambos. Quite uno.",
                        "A signer has “name” (a fixed person) or “decided_by” (whoever "
                        "decided), not both. Remove one.",
                    )
            for k, ref in enumerate(_list(document.get("attachments"))):
                apath = f"{base}.attachments[{k}]"
                match = _DECISION_FILES.match(ref) if isinstance(ref, str) else None
                if match is None:
                    continue  # the schema already said what shape it must have
                review = self.decision_step(apath, match.group(1), f"«{ref}»")
                fld = self.decision_field(apath, review, match.group(2)) if review else None
                if fld is not None and fld.get("type") != "file":
                    self.add(
                        "attachment_not_file",
                        apath,
                        f"«{ref}» no es un campo de archivo (file): solo se anexan archivos.",
                        f"“{ref}” is not a file field: only files can be attached.",
                    )

    def check_connectors(self) -> None:
        targets: set[str] = set()
        complete = self.all_steps_known  # every connector's result map could be read
        for i, step in enumerate(self.steps):
            if step.get("result_map") is DAMAGED:
                complete = False
            for key, fid in _map(step.get("result_map")).items():
                path = _child(f"{self.step_path(i)}.result_map", key)
                if not isinstance(fid, str):
                    complete = False
                    continue
                info = self.fields.get(fid)
                if info is None and not self.all_fields_known:
                    continue
                if info is None:
                    es, en = self.suggest(fid, self.fields)
                    self.add(
                        "unknown_result_field",
                        path,
                        f"El resultado «{key}» del conector se guardaría en el campo «{fid}», "
                        f"que no existe.{es} Declárelo en un formulario (normalmente con "
                        '"readonly": true) o corrija el id.',
                        f"The connector result “{key}” would be stored in the field “{fid}”, "
                        f"which does not exist.{en} Declare it in a form (usually with "
                        '"readonly": true) or fix the id.',
                    )
                elif info.group is not None:
                    self.add(
                        "result_field_in_group",
                        path,
                        f"Un conector no puede llenar «{fid}», que está dentro del grupo "
                        f"«{info.group}». Use un campo fuera de grupos.",
                        f"A connector cannot fill “{fid}”, which is inside the group "
                        f"“{info.group}”. Use a field outside groups.",
                    )
                else:
                    targets.add(fid)
        for fid, info in self.fields.items():
            if info.field.get("readonly") is True and fid not in targets and complete:
                self.add(
                    "readonly_never_filled",
                    f"{info.path}.readonly",
                    f"El campo «{fid}» es de solo lectura, pero ningún conector lo llena "
                    "(«result_map»). Quite «readonly» o mapee un resultado de conector a él.",
                    f"The field “{fid}” is read-only, but no connector fills it "
                    "(“result_map”). Remove “readonly” or map a connector result to it.",
                )

    def check_row_references(self) -> None:
        """Names read from one row of a group (per-item rules over it, table cells and
        ``{% for %}`` over it, its rows in ``example_data``) must be its subfields; a table
        cell over something else may name any field. The references module finds them."""
        from workflow_engine.templates import references

        try:
            found = references.references(self.doc)
        except (TypeError, ValueError, KeyError, AttributeError):  # a part too broken to read
            return
        groups = self.sound_groups()
        for ref in found:
            if ref.group is None or ref.kind != references.FIELD:
                continue
            subfields = groups.get(ref.group)
            name = ref.target_id
            if subfields is not None:
                self.read_fields.add(name)
                if name not in subfields:
                    self.unknown_subfield(ref.json_path, ref.context, ref.group, name, subfields)
            elif ref.context == "table_row" and name not in self.fields and self.all_fields_known:
                self.add(
                    "unknown_field_reference",
                    ref.json_path,
                    f"Se usa el campo «{name}», que no existe. Corrija el nombre o quítelo.",
                    f"The field “{name}” is used but does not exist. Fix the name or remove it.",
                )

    def sound_groups(self) -> dict[str, list[str]]:
        """Group id -> its subfield ids, for the groups whose every subfield has an id."""
        out: dict[str, list[str]] = {}
        for fid, info in self.fields.items():
            subs = info.field.get("fields")
            if info.field.get("type") != "group" or not isinstance(subs, list):
                continue
            ids = [sub["id"] for sub in subs if isinstance(_map(sub).get("id"), str)]
            if len(ids) == len(subs):
                out[fid] = ids
        return out

    def unknown_subfield(
        self, path: str, context: str, group: str, name: str, subfields: Sequence[str]
    ) -> None:
        es, en = self.suggest(name, subfields)
        if context in ("item_rule", "reduce_item"):
            where_es = f"La regla que recorre las filas del grupo «{group}» lee «{name}»"
            where_en = f"The rule that walks the rows of the group “{group}” reads “{name}”"
        elif context == "example_row":
            where_es = f"Una fila de ejemplo del grupo «{group}» tiene «{name}»"
            where_en = f"An example row of the group “{group}” has “{name}”"
        else:
            where_es = f"El texto lee «{name}» de cada fila del grupo «{group}»"
            where_en = f"The text reads “{name}” from each row of the group “{group}”"
        self.add(
            "unknown_subfield_reference",
            path,
            f"{where_es}, pero ese grupo no tiene ningún campo «{name}».{es} Sus campos son: "
            f"{_quote_list(subfields)}.",
            f"{where_en}, but that group has no field “{name}”.{en} Its fields are: "
            f"{_quote_list_en(subfields)}.",
        )

    # warnings: nothing is broken, but the liaison probably meant something else

    def check_liaison_warnings(self) -> None:
        self.warn_steps()
        self.warn_outcomes()
        self.warn_cycles_without_exit()
        self.warn_requirements()
        self.warn_unreachable_options()
        self.warn_unused_fields()
        self.warn_unbounded_numbers()

    def warn_steps(self) -> None:
        for i, step in enumerate(self.steps):
            sp, sid = self.step_path(i), step["id"]
            if step["type"] == "form" and "description" not in step:
                self.warn(
                    "step_without_description",
                    f"{sp}.description",
                    f"El paso «{sid}» no tiene descripción. Explique al solicitante en una o "
                    "dos frases qué se le pide aquí y para qué.",
                    f"The step “{sid}” has no description. Tell the applicant in a sentence or "
                    "two what is asked here and why.",
                )
            document = step.get("document")
            if (
                isinstance(document, dict)
                and document.get("validity_days", None) is None
                and "valid_until" not in document
            ):
                self.warn(
                    "document_without_validity",
                    f"{sp}.document.validity_days",
                    f"El documento del paso «{sid}» no tiene vigencia («validity_days» o "
                    "«valid_until»): valdrá para siempre. Si vence, indique cuántos días vale "
                    "o la fecha en que vence.",
                    f"The document of step “{sid}” has no validity (“validity_days” or "
                    "“valid_until”): it stays valid forever. If it expires, give how many days "
                    "it is valid or the date it expires.",
                )
            for k, line in _dicts(step.get("fee_lines")):
                amount = line.get("amount", DAMAGED)
                if "when" in line or amount is DAMAGED or not _may_be_negative(amount):
                    continue
                self.warn(
                    "fee_line_may_be_negative",
                    f"{sp}.fee_lines[{k}].amount",
                    f"La línea de cobro «{line.get('id')}» resta o usa un número negativo y "
                    "no tiene condición («when»): se aplicaría a todos. Si es un descuento, "
                    "agregue el «when» de quien lo recibe.",
                    f"The fee line “{line.get('id')}” subtracts or uses a negative number and "
                    "has no condition (“when”): it would apply to everyone. If it is a "
                    "discount, add the “when” of who gets it.",
                )

    def warn_outcomes(self) -> None:
        """A review's outcome that leads nowhere: approving or rejecting only comes back to
        the same review, or returning asks for a form the applicant never filled."""
        graph, uncertain = self.graph()
        ends = {s["id"] for s in self.steps if s["type"] == "end"}
        for i, step in enumerate(self.steps):
            outcomes, sid = step.get("outcomes"), step["id"]
            if not isinstance(outcomes, dict) or self.step_index[sid] != i:
                continue
            op = f"{self.step_path(i)}.outcomes"
            for name, es, en in (
                ("approve", "Aprobar", "Approving"),
                ("reject", "Rechazar", "Rejecting"),
            ):
                target = _map(outcomes.get(name)).get("to")
                if not isinstance(target, str) or target not in graph:
                    continue
                seen = _closure([target], {k: v for k, v in graph.items() if k != sid})
                if seen & (ends | set(uncertain)) or sid in uncertain:
                    continue
                self.warn(
                    "outcome_leads_nowhere",
                    f"{op}.{name}.to",
                    f"{es} en «{sid}» lleva a «{target}», y desde ahí el expediente solo puede "
                    f"volver a «{sid}»: nunca terminará por ese camino. Elija un paso que "
                    "lleve hacia un final.",
                    f"{en} at “{sid}” leads to “{target}”, from where the case can only come "
                    f"back to “{sid}”: it never ends that way. Choose a step that leads "
                    "towards an end.",
                )
            to_step = _map(outcomes.get("return")).get("to_step")
            form = self.step_of(to_step) if isinstance(to_step, str) else None
            if form is None or form["type"] != "form" or uncertain:
                continue
            if sid in _closure([to_step], graph):  # type: ignore[list-item]
                continue
            self.warn(
                "outcome_leads_nowhere",
                f"{op}.return.to_step",
                f"Devolver en «{sid}» pide corregir «{to_step}», un formulario que no lleva a "
                f"«{sid}»: el solicitante no lo llenó antes de llegar aquí y la devolución no "
                "se podrá hacer. Elija uno de los formularios anteriores a esta revisión.",
                f"Returning at “{sid}” asks to correct “{to_step}”, a form that does not lead "
                f"to “{sid}”: the applicant did not fill it in before getting here, so the "
                "return cannot be made. Choose one of the forms before this review.",
            )

    def warn_cycles_without_exit(self) -> None:
        """A loop of steps whose only ways out are transitions that can never be taken (their
        condition reads nothing and is false, e.g. {"==": [1, 2]}): a case that enters it
        goes round for ever, which the dead-end check (it follows every transition) misses.
        One warning per loop, at the condition of the exit that is never taken."""
        start = self.doc.get("start")
        graph, uncertain = self.graph()
        if not isinstance(start, str) or start not in graph or uncertain:
            return  # a damaged part: its own errors come first
        never = {
            sid: [(k, t) for k, t in _dicts(self.steps[i].get("transitions")) if _never_taken(t)]
            for sid, i in self.step_index.items()
        }
        live = {  # the graph again, without the transitions that are never taken
            sid: self.edges(
                {**step, "transitions": [t for t in step["transitions"] if not _never_taken(t)]}
                if never[sid]
                else step
            )[0]
            for sid, step in ((sid, self.steps[i]) for sid, i in self.step_index.items())
        }
        ends = [s["id"] for s in self.steps if s["type"] == "end"]
        finishes = _closure(ends, _reverse(graph))
        finishes_live = _closure(ends, _reverse(live))
        reported: set[str] = set()
        for sid in sorted(_closure([start], live) - finishes_live, key=self.step_index.__getitem__):
            loop = {t for t in _closure(live[sid], live) if sid in _closure(live[t], live)}
            if sid not in loop or sid not in finishes or loop & reported:
                continue
            reported |= loop
            members = sorted(loop, key=self.step_index.__getitem__)
            exits = [
                (step_id, k, t)
                for step_id in members
                for k, t in never[step_id]
                if t.get("to") in finishes and t.get("to") not in loop
            ]
            if not exits:
                continue
            step_id, k, transition = exits[0]
            names = _quote_list(members)
            self.warn(
                "loop_without_exit",
                f"{self.step_path(self.step_index[step_id])}.transitions[{k}].when",
                f"Los pasos {names} forman un ciclo cuya única salida, la transición "
                f"«{transition.get('id')}» de «{step_id}» hacia «{transition.get('to')}», "
                "nunca se toma: su condición no lee ningún dato y siempre es falsa. Un "
                "expediente que entre al ciclo nunca terminará. Corrija la condición o "
                "agregue otra salida.",
                f"The steps {_quote_list_en(members)} form a loop whose only way out, the "
                f"transition “{transition.get('id')}” of “{step_id}” to "
                f"“{transition.get('to')}”, is never taken: its condition reads no data and "
                "is always false. A case that enters the loop never ends. Fix the condition "
                "or add another way out.",
            )

    def warn_requirements(self) -> None:
        for k, req in _dicts(self.catalog.get("requirements")):
            if "field" not in req:
                self.warn(
                    "requirement_without_field",
                    f"$.catalog.requirements[{k}].field",
                    f"El requisito «{req.get('id')}» no dice en qué campo de archivo se "
                    "recibe: nadie lo podrá entregar en línea. Indique el id de un campo de "
                    "tipo archivo (file) en «field».",
                    f"The requirement “{req.get('id')}” does not say which file field "
                    "collects it: nobody can hand it in online. Give the id of a file field "
                    "in “field”.",
                )

    def warn_unreachable_options(self) -> None:
        """A condition that compares a choice field with a value it does not offer."""
        for path, expr, what_es, what_en in self.expressions():
            for fid, value in sorted(set(_choice_comparisons(expr))):
                info = self.fields.get(fid)
                options = _list(info.field.get("options")) if info else []
                values = {o.get("value") for _, o in _dicts(options)}
                if not options or len(values) < len(options) or value in values:
                    continue
                self.warn(
                    "unreachable_option",
                    path,
                    f"En {what_es} se compara «{fid}» con «{value}», pero ese campo no ofrece "
                    f"esa opción (ofrece {_quote_list(sorted(map(str, values)))}): esa parte "
                    "nunca se cumplirá. Corrija el valor o agregue la opción.",
                    f"{what_en[0].upper()}{what_en[1:]} compares “{fid}” with “{value}”, but "
                    f"that field does not offer it (it offers "
                    f"{_quote_list_en(sorted(map(str, values)))}): that part never holds. Fix "
                    "the value or add the option.",
                )

    def warn_unused_fields(self) -> None:
        """A field nobody is asked for and nothing reads.

        Nobody is asked for a field when its condition to show can never hold (it reads no
        field and is false) or its group's cannot; nothing reads it when no rule, document
        text or requirement names it. Filling it is then wasted on everyone.
        """
        hidden = {
            fid
            for fid, info in self.fields.items()
            if "show_if" in info.field
            and info.field["show_if"] is not DAMAGED
            and _never_true(info.field["show_if"])
        }
        for fid, info in self.fields.items():
            if fid in self.read_fields or (fid not in hidden and info.group not in hidden):
                continue
            self.warn(
                "unused_field",
                f"{info.path}.show_if" if fid in hidden else info.path,
                f"El campo «{fid}» nunca se muestra (su condición nunca se cumple) y ninguna "
                "regla, documento ni requisito lo usa. Quítelo o corrija su condición.",
                f"The field “{fid}” is never shown (its condition never holds) and no rule, "
                "document or requirement uses it. Remove it or fix its condition.",
            )

    def check_example_data(self) -> None:
        for step_id, values in _map(self.doc.get("example_data")).items():
            path = _child("$.example_data", step_id)
            step = self.step_of(step_id)
            if step is None and self.broken_step(step_id):
                continue
            if step is None or step["type"] not in ("form", "approval"):
                es, en = self.suggest(step_id, self.step_index)
                self.add(
                    "example_not_a_form_step",
                    path,
                    f"«{step_id}» no es un paso de formulario ni de revisión.{es} Las claves "
                    "de «example_data» deben ser ids de pasos de formulario (lo que llena el "
                    "solicitante) o de revisión (lo que escribe quien resuelve).",
                    f"“{step_id}” is not a form or review step.{en} The keys of "
                    "“example_data” must be ids of form steps (what the applicant fills in) or "
                    "review steps (what the deciding official writes).",
                )
                continue
            if not isinstance(step.get("fields"), list):
                continue
            own = {f["id"]: f for _, f in _dicts(step["fields"]) if isinstance(f.get("id"), str)}
            if len(own) < len(step["fields"]):
                continue  # a damaged field could be the one named
            for fid in _map(values):
                fpath = _child(path, fid)
                if fid not in own:
                    es, en = self.suggest(fid, own)
                    self.add(
                        "example_unknown_field",
                        fpath,
                        f"El paso «{step_id}» no tiene el campo «{fid}».{es} Quítelo del "
                        "ejemplo o corrija el nombre.",
                        f"The step “{step_id}” has no field “{fid}”.{en} Remove it from the "
                        "example or fix the name.",
                    )
                elif own[fid].get("readonly") is True:
                    self.add(
                        "example_readonly_field",
                        fpath,
                        f"El campo «{fid}» es de solo lectura (lo llena un conector); quítelo "
                        "del ejemplo.",
                        f"The field “{fid}” is read-only (a connector fills it); remove it "
                        "from the example.",
                    )

    # validity from data, example values, unbounded numbers (issue 14)

    def validity_expressions(self) -> Iterator[tuple[str, Any, str, str]]:
        """A document's ``valid_until``: a JSON Logic expression giving a date."""
        for i, step in enumerate(self.steps):
            document = step.get("document")
            if isinstance(document, dict) and "valid_until" in document:
                yield (
                    f"{self.step_path(i)}.document.valid_until",
                    document["valid_until"],
                    "la fecha de vencimiento del documento",
                    "the document's expiry date",
                )

    def check_validity(self) -> None:
        """``valid_until`` must give a date: a date or date-and-time field, or a literal
        date; other expressions (``if``, ``cat``…) are checked when the document is issued."""
        for path, expr, _es, _en in self.validity_expressions():
            if expr is DAMAGED:
                continue
            name = _var_name(expr)
            info = self.fields.get(name.split(".", 1)[0]) if name else None
            if info is not None and info.field.get("type") not in ("date", "datetime", None):
                self.add(
                    "valid_until_not_a_date",
                    path,
                    f"La vigencia del documento se toma del campo «{name}», que es de tipo "
                    f"«{info.field['type']}», no una fecha. Use un campo de fecha (date o "
                    "datetime) o una expresión que dé una fecha AAAA-MM-DD.",
                    f"The document's validity is read from the field “{name}”, of type "
                    f"“{info.field['type']}”, not a date. Use a date (date or datetime) field "
                    "or an expression that gives a YYYY-MM-DD date.",
                )
            elif not isinstance(expr, dict | list) and not _is_date(expr):
                self.add(
                    "valid_until_not_a_date",
                    path,
                    f"«valid_until» vale {_show(expr)}, que no es una fecha. Escriba una fecha "
                    'AAAA-MM-DD o una expresión que la dé, por ejemplo {"var": "fin_evento"}.',
                    f"“valid_until” is {_show(expr)}, which is not a date. Write a YYYY-MM-DD "
                    'date or an expression that gives one, for example {"var": "fin_evento"}.',
                )

    def check_example_values(self) -> None:
        """Each example answer is cleaned by its field's own type, as the wizard would:
        a wrong check digit or a bad option names the field here, not in the walkthrough.
        Bounds relative to today (``"today"``) and eligibility rules are left out: they
        depend on the day the example is run."""
        from workflow_engine.templates.fields import validate_step_data

        case_data: dict[str, Any] = {}
        for step in self.steps:
            values = _map(self.doc.get("example_data")).get(step["id"])
            if step["type"] != "form" or not isinstance(values, dict):
                continue
            if not self.fields_sound(step):
                continue  # fix the fields first: their own problems say how
            base = _child("$.example_data", step["id"])
            try:
                cleaned, found = validate_step_data(
                    _without_today_bounds(step),
                    values,
                    case_data,
                    today=datetime.date(2000, 1, 1),
                    tables=self.tables,
                    constants=self.constants,
                )
            except (KeyError, TypeError, ValueError, AttributeError, RuleError, re.error):
                continue  # a step too broken to fill in: its own problems say what to fix
            case_data.update(cleaned)
            for error in found:
                if error.code in ("unknown_field", "eligibility"):
                    continue  # unknown keys: check_example_data; eligibility: depends on today
                if re.split(r"[.\[]", error.path, maxsplit=1)[0] not in values:
                    continue  # only the values written are checked, not the example's extent
                self.add(
                    "invalid_example_value",
                    base + json_path(parse_path("$." + error.path))[1:],
                    f"El ejemplo del campo «{error.field}» no es válido: {error.message_es} "
                    "Corrija el valor en «example_data».",
                    f"The example value of the field “{error.field}” is not valid: "
                    f"{error.message_en} Fix the value in “example_data”.",
                )

    def fields_sound(self, step: Mapping[str, Any]) -> bool:
        """True when no field of ``step`` is damaged or has inconsistent options."""
        fields = step.get("fields")
        if not isinstance(fields, list) or _damaged(fields):
            return False
        for f in fields:
            for one in (f, *_list(f.get("fields"))):
                try:
                    if field_type(one).option_problems(one):
                        return False
                except (KeyError, TypeError, AttributeError, ValueError):
                    return False
        return True

    def feeding_expressions(self) -> Iterator[tuple[str, Any, str, str]]:
        """Expressions whose result becomes an amount charged or a date."""
        for path, expr, what_es, what_en in self.expressions():
            if path.endswith(".amount") or path.endswith(".valid_until"):
                yield path, expr, what_es, what_en

    def warn_unbounded_numbers(self) -> None:
        """A number or money field read by a fee, a yearly charge or a date without ``min``
        and ``max``: any value the applicant types goes straight into what is charged."""
        warned: set[tuple[str, str]] = set()
        for path, expr, what_es, what_en in self.feeding_expressions():
            for name in sorted(referenced_vars(expr)):
                fid = name.split(".", 1)[0]
                info = self.fields.get(fid)
                if info is None or info.field.get("type") not in ("number", "money"):
                    continue
                missing = [k for k in ("min", "max") if k not in info.field]
                if not missing or (fid, path) in warned:
                    continue
                warned.add((fid, path))
                shown = " ni ".join(f"«{k}»" for k in missing)
                shown_en = " or ".join(f"“{k}”" for k in missing)
                self.warn(
                    "unbounded_number",
                    info.path,
                    f"El campo «{fid}» no tiene {shown} y alimenta {what_es} ({path}): "
                    "cualquier cifra que se escriba pasaría tal cual. Indique los límites "
                    "razonables del campo.",
                    f"The field “{fid}” has no {shown_en} and feeds {what_en} ({path}): any "
                    "figure typed would go straight through. Give the field sensible bounds.",
                )


def _damaged(value: Any, depth: int = 0) -> bool:
    """True when a part of ``value`` was removed as damaged (or ``value`` is too deep)."""
    if value is DAMAGED or depth > MAX_TEMPLATE_DEPTH:
        return True
    if isinstance(value, list):
        return any(_damaged(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(_damaged(v, depth + 1) for v in value.values())
    return False


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return len(value) == 10 or value[10] == "T"


def _without_today_bounds(step: Mapping[str, Any]) -> dict[str, Any]:
    """``step`` with every ``"today"`` bound dropped (also inside groups)."""

    def field(f: Any) -> Any:
        if not isinstance(f, dict):
            return f
        out = {k: v for k, v in f.items() if not (k in ("min", "max") and v == "today")}
        if isinstance(out.get("fields"), list):
            out["fields"] = [field(sub) for sub in out["fields"]]
        return out

    return {**step, "fields": [field(f) for f in _list(step.get("fields"))]}


_COMPARISONS = frozenset({"==", "===", "!=", "!=="})


def _choice_comparisons(expr: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """(field id, literal text) for every ``var`` compared with a text, or tested with
    ``in`` against a list of texts, anywhere in ``expr``."""
    if depth > 64:
        return
    if isinstance(expr, list):
        for item in expr:
            yield from _choice_comparisons(item, depth + 1)
        return
    if not isinstance(expr, dict):
        return
    for op, args in expr.items():
        if isinstance(args, list) and len(args) == 2:
            name = _var_name(args[0])
            other = args[1]
            if name is None:
                name, other = _var_name(args[1]), args[0]
            if name is not None and op in _COMPARISONS and isinstance(other, str):
                yield name, other
            if op == "in" and _var_name(args[0]) is not None and isinstance(args[1], list):
                for value in args[1]:
                    if isinstance(value, str):
                        yield str(_var_name(args[0])), value
        yield from _choice_comparisons(args, depth + 1)


def _var_name(node: Any) -> str | None:
    """``x`` for ``{"var": "x"}`` (or ``{"var": ["x", default]}``), else None."""
    if isinstance(node, dict) and len(node) == 1 and "var" in node:
        name = node["var"]
        if isinstance(name, list) and name:
            name = name[0]
        return name if isinstance(name, str) else None
    return None


def _may_be_negative(expr: Any, depth: int = 0) -> bool:
    """True when ``expr`` subtracts or holds a negative number (it may come out below 0)."""
    if depth > 64:
        return False
    if isinstance(expr, bool):
        return False
    if isinstance(expr, int | float):
        return expr < 0
    if isinstance(expr, str):
        number = _decimal(expr)
        return number is not None and number < 0
    if isinstance(expr, list):
        return any(_may_be_negative(item, depth + 1) for item in expr)
    if isinstance(expr, dict):
        return any(op == "-" or _may_be_negative(args, depth + 1) for op, args in expr.items())
    return False


def _never_true(expr: Any) -> bool:
    """True when ``expr`` reads nothing and is false: a condition that can never hold."""
    if referenced_vars(expr) or _reserved_vars(expr):
        return False
    try:
        return not is_truthy(evaluate(expr, {}, today=datetime.date(2000, 1, 1)))
    except RuleError:
        return False


def _never_taken(transition: Mapping[str, Any]) -> bool:
    """A transition whose condition can never hold (see :func:`_never_true`)."""
    when = transition.get("when", True)
    return "when" in transition and when is not DAMAGED and _never_true(when)


def _reverse(graph: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Step -> the steps that lead to it."""
    out: dict[str, list[str]] = {sid: [] for sid in graph}
    for sid, targets in graph.items():
        for target in targets:
            out.setdefault(target, []).append(sid)
    return out


def _closure(roots: Iterable[str], graph: Mapping[str, Sequence[str]]) -> set[str]:
    seen = set(roots)
    queue = deque(seen)
    while queue:
        node = queue.popleft()
        for nxt in graph.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _rule_results(expr: Any, depth: int = 0) -> Iterator[Any]:
    """The literal values a department rule can produce (through ``if`` and ``?:``)."""
    if depth > 32:
        return
    if isinstance(expr, dict) and len(expr) == 1:
        ((op, args),) = expr.items()
        if op == "if" and isinstance(args, list):
            picks = [args[k] for k in range(1, len(args), 2)]
            if len(args) % 2 == 1:
                picks.append(args[-1])
            for pick in picks:
                yield from _rule_results(pick, depth + 1)
        elif op == "?:" and isinstance(args, list) and len(args) == 3:
            yield from _rule_results(args[1], depth + 1)
            yield from _rule_results(args[2], depth + 1)
        return
    if not isinstance(expr, list):
        yield expr


def _reserved_vars(expr: Any, depth: int = 0) -> set[str]:
    """Literal ``$``-names read by ``var`` anywhere in ``expr`` (``$const.uma``)."""
    out: set[str] = set()
    if depth > 64:
        return out
    if isinstance(expr, list):
        for item in expr:
            out |= _reserved_vars(item, depth + 1)
    elif isinstance(expr, dict):
        for op, args in expr.items():
            if op == "var":
                name = args[0] if isinstance(args, list) and args else args
                if isinstance(name, str) and name.startswith("$"):
                    out.add(name)
            out |= _reserved_vars(args, depth + 1)
    return out


@cache
def _jinja() -> ImmutableSandboxedEnvironment:
    """The document renderer's sandbox, to compile texts (same syntax, same filters)."""
    return ImmutableSandboxedEnvironment()


@lru_cache(maxsize=2048)
def _template_syntax_error(text: str) -> tuple[int | None, str] | None:
    """Line and reason when `text` does not compile as a document template; cached, since
    an editor validates the same unchanged texts on every edit (bench/templates.py)."""
    try:
        _jinja().from_string(text)
    except TemplateSyntaxError as exc:
        return exc.lineno, (exc.message or "").rstrip(".")
    return None


def _show_tag(tag: str) -> str:
    return tag if len(tag) <= 60 else tag[:57] + "…"


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
