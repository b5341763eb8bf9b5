"""Check a procedure template before it is saved or published, and say what to fix.

Two layers (docs/template-format.md): the JSON Schema meta-schema catches structural mistakes
(missing properties, typos, wrong types); only when the structure is sound do the semantic
checks run (ids, reachability, dead ends, references, JSON Logic). Every problem carries a JSON
path such as ``$.steps[2].transitions[0].to`` and a message for the liaison in Spanish and
English.
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from form_schemas import load_meta_schema
from workflow_engine.rules import check, referenced_tables, referenced_vars
from workflow_engine.strict_json import nesting_exceeds, too_deep
from workflow_engine.templates.field_types import field_type
from workflow_engine.templates.markup import foreign_tags

__all__ = [
    "CASE_VARIABLES",
    "MAX_TEMPLATE_DEPTH",
    "TemplateProblem",
    "json_path",
    "validate_template",
]

CASE_VARIABLES = frozenset({"folio", "created_at", "submitted_at"})
"""Names allowed after ``$case.`` in a rule and after ``case.`` in a document body."""
MAX_TEMPLATE_DEPTH = 100
"""Lists and objects nested in a template: a rule at its own limit (``rules.MAX_DEPTH``
operators, each an object holding a list) inside a group field fits well below it."""


@dataclass(frozen=True)
class TemplateProblem:
    """One thing the liaison must fix, located by a JSON path into the template."""

    path: str
    message_es: str
    message_en: str

    def message(self, lang: str) -> str:
        """The message in ``lang`` ("es" or "en"; anything else gets Spanish)."""
        return self.message_en if lang.lower().startswith("en") else self.message_es


def validate_template(
    doc: Any, known_departments: Iterable[str] | None = None
) -> list[TemplateProblem]:
    """Every problem of ``doc``; an empty list means it can be published.

    Semantic checks run only when the structure is valid. ``known_departments``, when given,
    is the set of department keys of the municipality; any other key is a problem.
    """
    if nesting_exceeds(doc, MAX_TEMPLATE_DEPTH):
        error = too_deep(MAX_TEMPLATE_DEPTH)
        return [TemplateProblem("$", error.message_es, error.message_en)]
    problems = _structural_problems(doc)
    if problems:
        return problems
    known = None if known_departments is None else frozenset(known_departments)
    return _Semantics(doc, known).run()


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


@cache
def _validator() -> Draft202012Validator:
    schema = load_meta_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _structural_problems(doc: Any) -> list[TemplateProblem]:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: _sort_key(e.absolute_path))
    out: list[TemplateProblem] = []
    seen: set[tuple[str, str]] = set()
    for error in errors:
        for problem in _explain(error):
            if (problem.path, problem.message_en) not in seen:
                seen.add((problem.path, problem.message_en))
                out.append(problem)
    return out


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


def _explain(error: ValidationError) -> Iterator[TemplateProblem]:
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
                yield TemplateProblem(
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
                yield TemplateProblem(
                    _child(path, name),
                    f"La propiedad «{name}» no se admite aquí.{hint_es} Permitidas: "
                    f"{_quote_list(allowed)}.",
                    f"The property “{name}” is not allowed here.{hint_en} Allowed: "
                    f"{_quote_list_en(allowed)}.",
                )
            else:
                yield TemplateProblem(
                    _child(path, name),
                    f"La propiedad «{name}» no se admite aquí; elimínela.",
                    f"The property “{name}” is not allowed here; remove it.",
                )
        return
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "type" and set(schema.get("properties", {})) == {"es", "en"}:
        yield TemplateProblem(
            path,
            'Aquí va un texto en español y, si quiere, en inglés: {"es": "…", "en": "…"}.',
            'A text in Spanish and, optionally, English goes here: {"es": "…", "en": "…"}.',
        )
        return
    yield _value_problem(path, kind, value, instance, error.message)


def _name_problem(path: str, name: str, kind: str, value: Any) -> TemplateProblem:
    if kind == "pattern" and value in _PATTERN_HINTS:
        es, en = _PATTERN_HINTS[value]
        return TemplateProblem(
            path,
            f"El nombre «{name}» no es válido: debe ser {es}.",
            f"The name “{name}” is not valid: it must be {en}.",
        )
    return TemplateProblem(
        path,
        f"El nombre «{name}» no es válido aquí; cámbielo.",
        f"The name “{name}” is not valid here; change it.",
    )


def _value_problem(path: str, kind: str, value: Any, instance: Any, raw: str) -> TemplateProblem:
    if kind == "type":
        names = value if isinstance(value, list) else [value]
        es = " o ".join(_TYPE_NAMES.get(n, (n, n))[0] for n in names)
        en = " or ".join(_TYPE_NAMES.get(n, (n, n))[1] for n in names)
        return TemplateProblem(
            path, f"Aquí se espera {es}.", f"{en[0].upper()}{en[1:]} is expected here."
        )
    if kind == "enum":
        guess = difflib.get_close_matches(str(instance), [str(v) for v in value], n=1)
        hint_es = f" ¿Quiso decir «{guess[0]}»?" if guess else ""
        hint_en = f" Did you mean “{guess[0]}”?" if guess else ""
        return TemplateProblem(
            path,
            f"El valor {_show(instance)} no es válido.{hint_es} Use uno de: {_quote_list(value)}.",
            f"The value {_show(instance)} is not valid.{hint_en} Use one of: "
            f"{_quote_list_en(value)}.",
        )
    if kind == "const":
        return TemplateProblem(
            path, f"El valor debe ser {_show(value)}.", f"The value must be {_show(value)}."
        )
    if kind == "pattern":
        if value in _PATTERN_HINTS:
            es, en = _PATTERN_HINTS[value]
        else:
            es = en = f"/{value}/"
        return TemplateProblem(
            path,
            f"El valor {_show(instance)} no tiene el formato esperado: debe ser {es}.",
            f"The value {_show(instance)} does not have the expected format: it must be {en}.",
        )
    if kind == "minItems":
        return TemplateProblem(
            path,
            f"La lista debe tener al menos {value} elemento(s).",
            f"The list must have at least {value} item(s).",
        )
    if kind == "maxItems":
        return TemplateProblem(
            path,
            f"La lista puede tener como máximo {value} elemento(s).",
            f"The list may have at most {value} item(s).",
        )
    if kind == "uniqueItems":
        return TemplateProblem(
            path, "La lista tiene elementos repetidos.", "The list has repeated items."
        )
    if kind == "minLength":
        if value == 1:
            return TemplateProblem(
                path, "Este texto no puede quedar vacío.", "This text may not be empty."
            )
        return TemplateProblem(
            path,
            f"El texto debe tener al menos {value} caracteres.",
            f"The text must have at least {value} characters.",
        )
    if kind == "maxLength":
        return TemplateProblem(
            path,
            f"El texto puede tener como máximo {value} caracteres.",
            f"The text may have at most {value} characters.",
        )
    if kind in ("minimum", "exclusiveMinimum"):
        strict_es = "mayor que" if kind == "exclusiveMinimum" else "al menos"
        strict_en = "greater than" if kind == "exclusiveMinimum" else "at least"
        return TemplateProblem(
            path,
            f"El número debe ser {strict_es} {value}.",
            f"The number must be {strict_en} {value}.",
        )
    if kind in ("maximum", "exclusiveMaximum"):
        return TemplateProblem(
            path,
            f"El número puede ser como máximo {value}.",
            f"The number may be at most {value}.",
        )
    if kind == "minProperties":
        return TemplateProblem(
            path,
            f"Este objeto debe tener al menos {value} entrada(s).",
            f"This object must have at least {value} entry(ies).",
        )
    return TemplateProblem(
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
_LOOP_NAMES = re.compile(r"\{%-?\s*(?:for|set)\s+([A-Za-z_][A-Za-z0-9_, ]*?)\s+(?:in|=)")
# `data.<field>` read by a `{% if %}` / `{% for %}` statement (checked like a placeholder).
_STATEMENT_DATA = re.compile(r"(?<=[\s(])data\.[A-Za-z0-9_]+(?=[^%]*%\})")


class _Semantics:
    """One pass of semantic checks over a structurally valid template."""

    def __init__(self, doc: Mapping[str, Any], known_departments: frozenset[str] | None):
        self.doc = doc
        self.known = known_departments
        self.problems: list[TemplateProblem] = []
        self.steps: list[Mapping[str, Any]] = list(doc["steps"])
        self.step_index: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            self.step_index.setdefault(step["id"], i)
        self.fields: dict[str, _FieldInfo] = {}
        self.constants: Mapping[str, Any] = doc.get("constants") or {}
        self.tables: Mapping[str, Any] = doc.get("fee_tables") or {}

    # helpers

    def add(self, path: str, es: str, en: str) -> None:
        self.problems.append(TemplateProblem(path, es, en))

    def step_path(self, i: int) -> str:
        return f"$.steps[{i}]"

    def step_of(self, step_id: str) -> Mapping[str, Any] | None:
        i = self.step_index.get(step_id)
        return None if i is None else self.steps[i]

    def suggest(self, name: str, candidates: Iterable[str]) -> tuple[str, str]:
        guess = difflib.get_close_matches(name, list(candidates), n=1)
        if not guess:
            return "", ""
        return f" ¿Quiso decir «{guess[0]}»?", f" Did you mean “{guess[0]}”?"

    # driver

    def run(self) -> list[TemplateProblem]:
        self.check_step_ids()
        self.collect_fields()
        self.check_local_ids()
        self.check_start()
        self.check_targets()
        self.check_graph()
        self.check_departments()
        self.check_field_options()
        self.check_expressions()
        self.check_requirements()
        self.check_documents()
        self.check_connectors()
        self.check_example_data()
        return self.problems

    # ids

    def check_step_ids(self) -> None:
        seen: dict[str, int] = {}
        for i, step in enumerate(self.steps):
            sid = step["id"]
            if sid in seen:
                self.add(
                    _child(self.step_path(i), "id"),
                    f"El id de paso «{sid}» ya lo usa el paso {seen[sid] + 1}. Cada paso "
                    "necesita un id distinto; cambie uno de los dos.",
                    f"The step id “{sid}” is already used by step {seen[sid] + 1}. Every step "
                    "needs its own id; rename one of them.",
                )
            else:
                seen[sid] = i

    def collect_fields(self) -> None:
        for i, step in enumerate(self.steps):
            if step["type"] != "form":
                continue
            for j, field in enumerate(step["fields"]):
                fpath = f"{self.step_path(i)}.fields[{j}]"
                self.register_field(fpath, field, step["id"], None)
                if field["type"] == "group":
                    for k, sub in enumerate(field["fields"]):
                        self.register_field(f"{fpath}.fields[{k}]", sub, step["id"], field["id"])

    def register_field(
        self, path: str, field: Mapping[str, Any], step_id: str, group: str | None
    ) -> None:
        fid = field["id"]
        if fid in self.fields:
            other = self.fields[fid]
            self.add(
                _child(path, "id"),
                f"El id de campo «{fid}» ya se usa en {other.path}. Los ids de campo deben ser "
                "únicos en todo el trámite (también dentro de los grupos); cambie uno.",
                f"The field id “{fid}” is already used at {other.path}. Field ids must be "
                "unique in the whole procedure (group fields included); rename one.",
            )
            return
        self.fields[fid] = _FieldInfo(path, field, step_id, group)

    def check_local_ids(self) -> None:
        for i, step in enumerate(self.steps):
            sp = self.step_path(i)
            for key, what_es, what_en in (
                ("transitions", "transición", "transition"),
                ("eligibility", "regla de elegibilidad", "eligibility rule"),
                ("fee_lines", "línea de cobro", "fee line"),
                ("branches", "rama", "branch"),
            ):
                items = step.get(key) or []
                self.check_unique(f"{sp}.{key}", items, what_es, what_en, step["id"])
        reqs = self.doc["catalog"].get("requirements") or []
        self.check_unique("$.catalog.requirements", reqs, "requisito", "requirement", None)

    def check_unique(
        self,
        path: str,
        items: Sequence[Mapping[str, Any]],
        what_es: str,
        what_en: str,
        step_id: str | None,
    ) -> None:
        seen: set[str] = set()
        where_es = f" del paso «{step_id}»" if step_id else ""
        where_en = f" of step “{step_id}”" if step_id else ""
        for k, item in enumerate(items):
            iid = item["id"]
            if iid in seen:
                self.add(
                    f"{path}[{k}].id",
                    f"El id «{iid}» está repetido entre las entradas de {what_es}{where_es}. "
                    "Use un id distinto para cada una.",
                    f"The id “{iid}” is repeated among the {what_en} entries{where_en}. Give "
                    "each one its own id.",
                )
            seen.add(iid)

    # start, targets, graph

    def check_start(self) -> None:
        start = self.doc["start"]
        step = self.step_of(start)
        if step is None:
            es, en = self.suggest(start, self.step_index)
            self.add(
                "$.start",
                f"El paso inicial «{start}» no existe.{es} Indique en «start» el id de un paso "
                "de formulario.",
                f"The start step “{start}” does not exist.{en} Set “start” to the id of a form "
                "step.",
            )
        elif step["type"] != "form":
            self.add(
                "$.start",
                f"El paso inicial «{start}» es de tipo «{step['type']}»; el trámite debe "
                "empezar con un formulario que llene el solicitante.",
                f"The start step “{start}” is of type “{step['type']}”; a procedure must start "
                "with a form filled in by the applicant.",
            )

    def check_target(self, path: str, target: str, *, need: str | None = None) -> None:
        step = self.step_of(target)
        if step is None:
            es, en = self.suggest(target, self.step_index)
            self.add(
                path,
                f"El paso destino «{target}» no existe.{es} Elija un paso existente.",
                f"The target step “{target}” does not exist.{en} Choose an existing step.",
            )
            return
        if need == "form" and step["type"] != "form":
            self.add(
                path,
                f"La devolución para corrección debe llevar a un paso de formulario, y "
                f"«{target}» es de tipo «{step['type']}». Elija el formulario que el "
                "solicitante debe corregir.",
                f"A return for correction must lead to a form step, but “{target}” is of type "
                f"“{step['type']}”. Choose the form the applicant must correct.",
            )
        if need == "end" and step["type"] != "end":
            self.add(
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
            transitions = step.get("transitions") or []
            for k, transition in enumerate(transitions):
                tpath = f"{sp}.transitions[{k}]"
                self.check_target(f"{tpath}.to", transition["to"])
                last = k == len(transitions) - 1
                if last and "when" in transition:
                    self.add(
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
                        tpath,
                        f"La transición «{transition['id']}» no tiene condición, así que las "
                        "siguientes nunca se usarán. Agregue un «when» o muévala al final.",
                        f"The transition “{transition['id']}” has no condition, so the ones "
                        "after it are never taken. Add a “when” or move it to the end.",
                    )
            outcomes = step.get("outcomes")
            if outcomes:
                op = f"{sp}.outcomes"
                self.check_target(f"{op}.approve.to", outcomes["approve"]["to"])
                self.check_target(f"{op}.reject.to", outcomes["reject"]["to"])
                ret = outcomes.get("return")
                if ret:
                    self.check_target(f"{op}.return.to_step", ret["to_step"], need="form")
                    self.check_target(f"{op}.return.lapse_to", ret["lapse_to"], need="end")

    def edges(self, step: Mapping[str, Any]) -> list[str]:
        out: list[str] = []
        for transition in step.get("transitions") or []:
            out.append(transition["to"])
            if "when" not in transition:
                break  # the transitions after an unconditional one are never taken
        outcomes = step.get("outcomes")
        if outcomes:
            out += [outcomes["approve"]["to"], outcomes["reject"]["to"]]
            ret = outcomes.get("return")
            if ret:
                out += [ret["to_step"], ret["lapse_to"]]
        return [t for t in out if t in self.step_index]

    def check_graph(self) -> None:
        ends = [s["id"] for s in self.steps if s["type"] == "end"]
        if not ends:
            self.add(
                "$.steps",
                "El trámite no tiene ningún paso final (end). Agregue al menos uno, por "
                "ejemplo «aprobada» con outcome «approved».",
                "The procedure has no end step. Add at least one, for example “aprobada” with "
                "outcome “approved”.",
            )
        start = self.doc["start"]
        if start not in self.step_index:
            return
        graph = {sid: self.edges(self.steps[i]) for sid, i in self.step_index.items()}
        reached = _closure([start], graph)
        reverse: dict[str, list[str]] = {sid: [] for sid in graph}
        for sid, targets in graph.items():
            for target in targets:
                reverse[target].append(sid)
        finishes = _closure(ends, reverse)
        for i, step in enumerate(self.steps):
            sid = step["id"]
            if self.step_index[sid] != i:
                continue  # duplicate id, already reported
            if sid not in reached:
                self.add(
                    self.step_path(i),
                    f"Ningún camino lleva desde el inicio hasta el paso «{sid}». Agregue una "
                    "transición o un resultado de revisión que lleve a él, o elimínelo.",
                    f"No path leads from the start to the step “{sid}”. Add a transition or a "
                    "review outcome that leads to it, or delete it.",
                )
            elif sid not in finishes:
                self.add(
                    self.step_path(i),
                    f"Desde el paso «{sid}» no se puede llegar a ningún paso final: el "
                    "expediente quedaría atorado. Agregue una transición que lleve hacia un "
                    "final.",
                    f"From the step “{sid}” no end step can be reached: the case would be "
                    "stuck. Add a transition that leads towards an end.",
                )

    # departments

    def check_department(self, path: str, key: str) -> None:
        if self.known is not None and key not in self.known:
            es, en = self.suggest(key, self.known)
            known = sorted(self.known)
            self.add(
                path,
                f"La dependencia «{key}» no existe en este municipio.{es} Use una de: "
                f"{_quote_list(known)}.",
                f"The department “{key}” does not exist in this municipality.{en} Use one of: "
                f"{_quote_list_en(known)}.",
            )

    def check_departments(self) -> None:
        self.check_department("$.department", self.doc["department"])
        for i, step in enumerate(self.steps):
            sp = self.step_path(i)
            if step["type"] == "approval":
                has_dept = "department" in step
                has_rule = "department_rule" in step
                if has_dept and has_rule:
                    self.add(
                        sp,
                        f"El paso de revisión «{step['id']}» tiene «department» y "
                        "«department_rule» a la vez. Deje solo uno: una dependencia fija o "
                        "una regla que la elija.",
                        f"The review step “{step['id']}” has both “department” and "
                        "“department_rule”. Keep only one: a fixed department or a rule that "
                        "chooses it.",
                    )
                elif not has_dept and not has_rule:
                    self.add(
                        f"{sp}.department",
                        f"Indique qué dependencia resuelve el paso «{step['id']}»: "
                        "«department» con su clave, o «department_rule» con una regla que la "
                        "elija.",
                        f"Say which department decides step “{step['id']}”: “department” with "
                        "its key, or “department_rule” with a rule that chooses it.",
                    )
                if has_dept:
                    self.check_department(f"{sp}.department", step["department"])
                if has_rule:
                    for value in _rule_results(step["department_rule"]):
                        if isinstance(value, str):
                            self.check_department(f"{sp}.department_rule", value)
            for k, branch in enumerate(step.get("branches") or []):
                self.check_department(f"{sp}.branches[{k}].department", branch["department"])

    # fields

    def check_field_options(self) -> None:
        for info in self.fields.values():
            self.check_field(info.path, info.field)

    def check_field(self, path: str, field: Mapping[str, Any]) -> None:
        for suffix, es, en in field_type(field).option_problems(field):
            self.add(f"{path}{suffix}", es, en)

    # expressions

    def expressions(self) -> Iterator[tuple[str, Any, str, str]]:
        """(path, expression, what it is in es, in en) for every JSON Logic in the template."""
        for info in self.fields.values():
            if "show_if" in info.field:
                yield (
                    f"{info.path}.show_if",
                    info.field["show_if"],
                    "la condición para mostrar el campo",
                    "the condition to show the field",
                )
        for i, step in enumerate(self.steps):
            sp = self.step_path(i)
            for k, rule in enumerate(step.get("eligibility") or []):
                yield (
                    f"{sp}.eligibility[{k}].rule",
                    rule["rule"],
                    "la regla de elegibilidad",
                    "the eligibility rule",
                )
            for k, transition in enumerate(step.get("transitions") or []):
                if "when" in transition:
                    yield (
                        f"{sp}.transitions[{k}].when",
                        transition["when"],
                        "la condición de la transición",
                        "the transition condition",
                    )
            for k, line in enumerate(step.get("fee_lines") or []):
                yield (
                    f"{sp}.fee_lines[{k}].amount",
                    line["amount"],
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
            if "department_rule" in step:
                yield (
                    f"{sp}.department_rule",
                    step["department_rule"],
                    "la regla que elige la dependencia",
                    "the rule that chooses the department",
                )
            for name, expr in (step.get("input") or {}).items():
                yield (
                    _child(f"{sp}.input", name),
                    expr,
                    "el dato que se envía al conector",
                    "the value sent to the connector",
                )
            for k, branch in enumerate(step.get("branches") or []):
                if "when" in branch:
                    yield (
                        f"{sp}.branches[{k}].when",
                        branch["when"],
                        "la condición de la rama",
                        "the branch condition",
                    )

        register = (self.doc.get("ledger") or {}).get("register") or {}
        for name in ("key", "description", "rfc", "curp", "name"):
            if name in register:
                yield (
                    f"$.ledger.register.{name}",
                    register[name],
                    "el dato del registro en el padrón",
                    "the value registered in the ledger",
                )
        for name, expr in (register.get("attributes") or {}).items():
            yield (
                _child("$.ledger.register.attributes", name),
                expr,
                "el dato del registro en el padrón",
                "the value registered in the ledger",
            )
        if register.get("recurring"):
            yield (
                "$.ledger.register.recurring.amount",
                register["recurring"]["amount"],
                "el importe del cobro anual",
                "the yearly charge amount",
            )

    def check_expressions(self) -> None:
        for path, expr, what_es, what_en in self.expressions():
            rule_problems = check(expr, path=path)
            for p in rule_problems:
                self.add(p.path, p.message_es, p.message_en)
            if rule_problems:
                continue
            for name in sorted(referenced_vars(expr)):
                head = name.split(".", 1)[0]
                if head not in self.fields:
                    es, en = self.suggest(head, self.fields)
                    self.add(
                        path,
                        f"En {what_es} se usa la variable «{name}», pero no hay ningún campo "
                        f"con id «{head}».{es} Corrija el nombre o agregue ese campo a un "
                        "formulario.",
                        f"{what_en[0].upper()}{what_en[1:]} uses the variable “{name}”, but no "
                        f"field has the id “{head}”.{en} Fix the name or add that field to a "
                        "form.",
                    )
            for table in sorted(referenced_tables(expr)):
                if table not in self.tables:
                    es, en = self.suggest(table, self.tables)
                    self.add(
                        path,
                        f"En {what_es} se usa la tabla de tarifas «{table}», que no está "
                        f"definida en «fee_tables».{es} Agréguela o corrija el nombre.",
                        f"{what_en[0].upper()}{what_en[1:]} uses the fee table “{table}”, "
                        f"which is not defined in “fee_tables”.{en} Add it or fix the name.",
                    )
            for name in sorted(_reserved_vars(expr)):
                self.check_reserved(path, name)

    def check_reserved(self, path: str, name: str) -> None:
        root, _, rest = name.partition(".")
        if root == "$const":
            if rest not in self.constants:
                es, en = self.suggest(rest, self.constants)
                self.add(
                    path,
                    f"La constante «{rest}» no está definida en «constants».{es} Agréguela "
                    '(por ejemplo "uma": "113.14") o corrija el nombre.',
                    f"The constant “{rest}” is not defined in “constants”.{en} Add it (for "
                    'example "uma": "113.14") or fix the name.',
                )
        elif root == "$case":
            if rest not in CASE_VARIABLES:
                self.add(
                    path,
                    f"«{name}» no existe. Del expediente se pueden leer: "
                    f"{_quote_list('$case.' + v for v in sorted(CASE_VARIABLES))}.",
                    f"“{name}” does not exist. From the case you can read: "
                    f"{_quote_list_en('$case.' + v for v in sorted(CASE_VARIABLES))}.",
                )
        elif root == "$result":
            step_id = rest.split(".", 1)[0]
            step = self.step_of(step_id)
            if step is None or step["type"] != "connector":
                self.add(
                    path,
                    f"«{name}» no es válido: después de «$result.» debe ir el id de un paso "
                    "conector.",
                    f"“{name}” is not valid: “$result.” must be followed by the id of a "
                    "connector step.",
                )
        else:
            self.add(
                path,
                f"La variable «{name}» no existe. Los nombres que empiezan con «$» están "
                "reservados: $const.…, $case.… y $result.….",
                f"The variable “{name}” does not exist. Names starting with “$” are reserved: "
                "$const.…, $case.… and $result.….",
            )

    # catalog, documents, connectors, example data

    def check_requirements(self) -> None:
        for k, req in enumerate(self.doc["catalog"].get("requirements") or []):
            fid = req.get("field")
            if fid is None:
                continue
            info = self.fields.get(fid)
            path = f"$.catalog.requirements[{k}].field"
            if info is None:
                es, en = self.suggest(fid, self.fields)
                self.add(
                    path,
                    f"El requisito «{req['id']}» dice que se recibe en el campo «{fid}», que no "
                    f"existe.{es} Indique el id de un campo de tipo archivo (file).",
                    f"The requirement “{req['id']}” says it is collected by the field "
                    f"“{fid}”, which does not exist.{en} Give the id of a file field.",
                )
            elif info.field["type"] != "file":
                self.add(
                    path,
                    f"El requisito «{req['id']}» se debe recibir en un campo de tipo archivo "
                    f"(file), pero «{fid}» es de tipo «{info.field['type']}».",
                    f"The requirement “{req['id']}” must be collected by a file field, but "
                    f"“{fid}” is of type “{info.field['type']}”.",
                )

    def check_documents(self) -> None:
        for i, step in enumerate(self.steps):
            document = step.get("document")
            if not document:
                continue
            base = f"{self.step_path(i)}.document"
            for lang, text in document["body"].items():
                self.check_text(f"{base}.body.{lang}", text)
                self.check_markup(f"{base}.body.{lang}", text)
            if "holder" in document:
                self.check_text(f"{base}.holder", document["holder"])
            for t, spec in enumerate(document.get("tables") or ()):
                path = f"{base}.tables[{t}]"
                rows = spec["rows"]
                if rows.startswith("data."):
                    info = self.fields.get(rows[5:])
                    if info is None or info.field.get("type") != "group":
                        self.add(
                            f"{path}.rows",
                            f"La tabla recorre «{rows}», que no es un grupo repetible (group) "
                            "del trámite. Use data.<id de un campo group> o fees.lines.",
                            f"The table iterates “{rows}”, which is not a repeating group of "
                            "the procedure. Use data.<group field id> or fees.lines.",
                        )
                for c, column in enumerate(spec["columns"]):
                    self.check_text(f"{path}.columns[{c}].value", column["value"], {"row"})

    def check_text(self, path: str, text: str, local: set[str] | None = None) -> None:
        """Placeholders of a document text; names bound by `{% for x in ... %}` or
        `{% set x = ... %}` (and `local`) are the template's own."""
        names = set(local or ())
        for match in _LOOP_NAMES.finditer(text):
            names.update(n.strip() for n in match.group(1).split(","))
        for match in _PLACEHOLDER.finditer(text):
            name = match.group(1).split("|", 1)[0].strip()
            if name.split(".", 1)[0] in names:
                continue
            self.check_placeholder(path, name)
        for match in _STATEMENT_DATA.finditer(text):
            self.check_placeholder(path, match.group(0))

    def check_markup(self, path: str, text: str) -> None:
        """Only <b>, <i> and <br/> (no attributes): anything else would print as written.
        The text must also compile, or every case reaching the step could not be issued."""
        try:
            _jinja().from_string(text)
        except TemplateSyntaxError as exc:
            reason = (exc.message or "").rstrip(".")
            self.add(
                path,
                f"El texto no se puede usar como plantilla (línea {exc.lineno}): {reason}. "
                "Revise las llaves {{ }} y {% %}.",
                f"The text cannot be used as a template (line {exc.lineno}): {reason}. "
                "Check the {{ }} and {% %} braces.",
            )
        found = foreign_tags(text)
        if found:
            shown = ", ".join(f"«{_show_tag(t)}»" for t in found[:3])
            shown_en = ", ".join(f"“{_show_tag(t)}”" for t in found[:3])
            self.add(
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

    def check_placeholder(self, path: str, name: str) -> None:
        data = _DATA_PLACEHOLDER.match(name)
        if data:
            fid = data.group(1)
            if fid not in self.fields:
                es, en = self.suggest(fid, self.fields)
                self.add(
                    path,
                    f"El texto usa {{{{ {name} }}}}, pero no hay ningún campo «{fid}».{es} "
                    "Corrija el nombre del campo.",
                    f"The text uses {{{{ {name} }}}}, but there is no field “{fid}”.{en} Fix "
                    "the field name.",
                )
            return
        if name == "fees" or name.startswith("fees."):
            return
        if name.startswith("case.") and name[5:] in CASE_VARIABLES:
            return
        self.add(
            path,
            f"El marcador {{{{ {name} }}}} no existe. Use {{{{ data.<id de campo> }}}}, "
            "{{ case.folio }} o {{ fees.total }}.",
            f"The placeholder {{{{ {name} }}}} does not exist. Use {{{{ data.<field id> }}}}, "
            "{{ case.folio }} or {{ fees.total }}.",
        )

    def check_connectors(self) -> None:
        targets: set[str] = set()
        for i, step in enumerate(self.steps):
            for key, fid in (step.get("result_map") or {}).items():
                path = _child(f"{self.step_path(i)}.result_map", key)
                info = self.fields.get(fid)
                if info is None:
                    es, en = self.suggest(fid, self.fields)
                    self.add(
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
                        path,
                        f"Un conector no puede llenar «{fid}», que está dentro del grupo "
                        f"«{info.group}». Use un campo fuera de grupos.",
                        f"A connector cannot fill “{fid}”, which is inside the group "
                        f"“{info.group}”. Use a field outside groups.",
                    )
                else:
                    targets.add(fid)
        for fid, info in self.fields.items():
            if info.field.get("readonly") and fid not in targets:
                self.add(
                    f"{info.path}.readonly",
                    f"El campo «{fid}» es de solo lectura, pero ningún conector lo llena "
                    "(«result_map»). Quite «readonly» o mapee un resultado de conector a él.",
                    f"The field “{fid}” is read-only, but no connector fills it "
                    "(“result_map”). Remove “readonly” or map a connector result to it.",
                )

    def check_example_data(self) -> None:
        example = self.doc.get("example_data")
        if not example:
            return
        for step_id, values in example.items():
            path = _child("$.example_data", step_id)
            step = self.step_of(step_id)
            if step is None or step["type"] != "form":
                es, en = self.suggest(step_id, self.step_index)
                self.add(
                    path,
                    f"«{step_id}» no es un paso de formulario.{es} Las claves de "
                    "«example_data» deben ser ids de pasos de formulario.",
                    f"“{step_id}” is not a form step.{en} The keys of “example_data” must be "
                    "ids of form steps.",
                )
                continue
            own = {f["id"]: f for f in step["fields"]}
            for fid in values:
                fpath = _child(path, fid)
                if fid not in own:
                    es, en = self.suggest(fid, own)
                    self.add(
                        fpath,
                        f"El paso «{step_id}» no tiene el campo «{fid}».{es} Quítelo del "
                        "ejemplo o corrija el nombre.",
                        f"The step “{step_id}” has no field “{fid}”.{en} Remove it from the "
                        "example or fix the name.",
                    )
                elif own[fid].get("readonly"):
                    self.add(
                        fpath,
                        f"El campo «{fid}» es de solo lectura (lo llena un conector); quítelo "
                        "del ejemplo.",
                        f"The field “{fid}” is read-only (a connector fills it); remove it "
                        "from the example.",
                    )


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


def _show_tag(tag: str) -> str:
    return tag if len(tag) <= 60 else tag[:57] + "…"


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
