"""Where a procedure template names a field or a step id, and how to rename one everywhere.

One place knows every kind of reference (docs/template-format.md): JSON Logic ``var`` /
``missing`` / ``missing_some`` names and ``$result.<step>`` in every rule (show-if,
eligibility, transition and branch conditions, fee amounts, department rules, connector
input, ledger mappings), ``result_map`` targets, ``example_data`` keys, a requirement's
``field``, ``start``, transition and outcome targets, and document texts (body, holder, table
``rows`` and cells, placeholders and ``{% if %}`` alike). Document texts are read with
Jinja's own lexer, whose tokens give back the exact text, so a rename touches nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Final, Literal

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from workflow_engine.rules.spec import MAX_DEPTH, SCOPED

__all__ = [
    "FIELD",
    "STEP",
    "Reference",
    "clone",
    "references",
    "rewrite",
]

FIELD: Final = "field"
STEP: Final = "step"
Kind = Literal["field", "step"]
Path = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Reference:
    """One place that names a field or step id.

    ``location_path`` leads from the template's root to the text holding the name (a rule's
    ``var`` argument, a document body, a transition's ``to``...), or, when ``in_key``, to the
    mapping entry whose key is the name (``example_data``). ``context`` says what holds it.
    """

    kind: Kind
    target_id: str
    location_path: Path
    context: str
    in_key: bool = False

    @property
    def json_path(self) -> str:
        """The location as ``$.steps[2].transitions[0].to``."""
        out = ["$"]
        for part in self.location_path:
            if isinstance(part, int):
                out.append(f"[{part}]")
            elif _PLAIN_KEY.match(part):
                out.append(f".{part}")
            else:
                out.append('["' + part.replace("\\", "\\\\").replace('"', '\\"') + '"]')
        return "".join(out)


def clone(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars); several times faster than deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


# -- listing ----------------------------------------------------------------------------------


def references(doc: Any) -> list[Reference]:
    """Every reference to a field or step id in ``doc``, in document order.

    Works on drafts of any shape: parts that are not where the format puts them are skipped.
    """
    out: list[Reference] = []
    if not isinstance(doc, Mapping):
        return out
    start = doc.get("start")
    if isinstance(start, str):
        out.append(Reference(STEP, start, ("start",), "start"))
    for i, step in enumerate(_seq(doc.get("steps"))):
        if isinstance(step, Mapping):
            _step_refs(step, ("steps", i), out)
    for k, req in enumerate(_seq(_map(doc.get("catalog")).get("requirements"))):
        if isinstance(req, Mapping) and isinstance(req.get("field"), str):
            path: Path = ("catalog", "requirements", k, "field")
            out.append(Reference(FIELD, req["field"], path, "requirement"))
    register = _map(_map(doc.get("ledger")).get("register"))
    for name in ("key", "description", "rfc", "curp", "name"):
        if name in register:
            _rule_refs(register[name], ("ledger", "register", name), out)
    for name, expr in _map(register.get("attributes")).items():
        _rule_refs(expr, ("ledger", "register", "attributes", name), out)
    if "amount" in _map(register.get("recurring")):
        _rule_refs(
            register["recurring"]["amount"], ("ledger", "register", "recurring", "amount"), out
        )
    _example_refs(doc, out)
    return out


def _seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _step_refs(step: Mapping[str, Any], base: Path, out: list[Reference]) -> None:
    for j, field in enumerate(_seq(step.get("fields"))):
        if not isinstance(field, Mapping):
            continue
        fpath = (*base, "fields", j)
        if "show_if" in field:
            _rule_refs(field["show_if"], (*fpath, "show_if"), out)
        for k, sub in enumerate(_seq(field.get("fields"))):
            if isinstance(sub, Mapping) and "show_if" in sub:
                _rule_refs(sub["show_if"], (*fpath, "fields", k, "show_if"), out)
    for k, rule in enumerate(_seq(step.get("eligibility"))):
        if isinstance(rule, Mapping) and "rule" in rule:
            _rule_refs(rule["rule"], (*base, "eligibility", k, "rule"), out)
    for k, transition in enumerate(_seq(step.get("transitions"))):
        if not isinstance(transition, Mapping):
            continue
        if "when" in transition:
            _rule_refs(transition["when"], (*base, "transitions", k, "when"), out)
        if isinstance(transition.get("to"), str):
            out.append(
                Reference(STEP, transition["to"], (*base, "transitions", k, "to"), "transition")
            )
    outcomes = _map(step.get("outcomes"))
    for name in ("approve", "reject"):
        target = _map(outcomes.get(name)).get("to")
        if isinstance(target, str):
            out.append(Reference(STEP, target, (*base, "outcomes", name, "to"), "outcome"))
    ret = _map(outcomes.get("return"))
    for key in ("to_step", "lapse_to"):
        if isinstance(ret.get(key), str):
            out.append(Reference(STEP, ret[key], (*base, "outcomes", "return", key), "outcome"))
    for k, line in enumerate(_seq(step.get("fee_lines"))):
        if isinstance(line, Mapping):
            for key in ("amount", "when"):
                if key in line:
                    _rule_refs(line[key], (*base, "fee_lines", k, key), out)
    if "department_rule" in step:
        _rule_refs(step["department_rule"], (*base, "department_rule"), out)
    for name, expr in _map(step.get("input")).items():
        _rule_refs(expr, (*base, "input", name), out)
    for k, branch in enumerate(_seq(step.get("branches"))):
        if isinstance(branch, Mapping) and "when" in branch:
            _rule_refs(branch["when"], (*base, "branches", k, "when"), out)
    for key, fid in _map(step.get("result_map")).items():
        if isinstance(fid, str):
            out.append(Reference(FIELD, fid, (*base, "result_map", key), "result_map"))
    document = _map(step.get("document"))
    if document:
        _document_refs(document, (*base, "document"), out)


def _document_refs(document: Mapping[str, Any], base: Path, out: list[Reference]) -> None:
    if "valid_until" in document:
        _rule_refs(document["valid_until"], (*base, "valid_until"), out)
    for lang, text in _map(document.get("body")).items():
        _text_refs_into(text, (*base, "body", lang), False, out)
    _text_refs_into(document.get("holder"), (*base, "holder"), False, out)
    for t, table in enumerate(_seq(document.get("tables"))):
        if not isinstance(table, Mapping):
            continue
        rows = table.get("rows")
        by_group = isinstance(rows, str) and rows.startswith("data.")
        if by_group:
            assert isinstance(rows, str)
            out.append(Reference(FIELD, rows[5:], (*base, "tables", t, "rows"), "table_rows"))
        for c, column in enumerate(_seq(table.get("columns"))):
            if isinstance(column, Mapping):
                path = (*base, "tables", t, "columns", c, "value")
                _text_refs_into(column.get("value"), path, by_group, out)


def _text_refs_into(text: Any, path: Path, rows: bool, out: list[Reference]) -> None:
    if not isinstance(text, str):
        return
    for context, name in _text_names(text, rows):
        out.append(Reference(FIELD, name, path, context))


def _example_refs(doc: Mapping[str, Any], out: list[Reference]) -> None:
    """``example_data``: keys are form step ids, then their field ids, then for a group field
    each row's subfield ids."""
    example = _map(doc.get("example_data"))
    if not example:
        return
    groups = {
        field.get("id")
        for step in _seq(doc.get("steps"))
        for field in _seq(_map(step).get("fields"))
        if _map(field).get("type") == "group"
    }
    for step_id, values in example.items():
        out.append(Reference(STEP, step_id, ("example_data", step_id), "example_data", True))
        for fid, value in _map(values).items():
            path: Path = ("example_data", step_id, fid)
            out.append(Reference(FIELD, fid, path, "example_data", True))
            if fid in groups:
                for r, row in enumerate(_seq(value)):
                    for key in _map(row):
                        row_path = (*path, r, key)
                        out.append(Reference(FIELD, key, row_path, "example_row", True))


# -- JSON Logic -------------------------------------------------------------------------------


def _rule_refs(expr: Any, path: Path, out: list[Reference]) -> None:
    for name_path, name in _rule_names(expr, path, 1):
        ref = _name_ref(name, name_path)
        if ref is not None:
            out.append(ref)


def _name_ref(name: str, path: Path) -> Reference | None:
    """The reference a rule's variable name makes: ``a.b`` names the field ``a``,
    ``$result.s.key`` the step ``s``; other ``$`` names and ``""`` name nothing."""
    if name.startswith("$result."):
        step_id = name.split(".", 2)[1]
        return Reference(STEP, step_id, path, "rule") if step_id else None
    if not name or name.startswith("$"):
        return None
    head = name.split(".", 1)[0]
    return Reference(FIELD, head, path, "rule") if head else None


def _rule_names(node: Any, path: Path, depth: int) -> Iterator[tuple[Path, str]]:
    """(path, name) of every literal name read from the case data, like
    ``rules.referenced_vars`` (which it must agree with) but with where each name is."""
    if depth > MAX_DEPTH + 1:
        return
    if isinstance(node, list):
        for k, item in enumerate(node):
            yield from _rule_names(item, (*path, k), depth + 1)
        return
    if not isinstance(node, dict) or len(node) != 1:
        return
    ((op, raw),) = node.items()
    if not isinstance(op, str):
        return
    listed = isinstance(raw, list)
    args: list[Any] = raw if listed else [raw]

    def at(k: int) -> Path:
        return (*path, op, k) if listed else (*path, op)

    if op == "var":
        if args:
            if isinstance(args[0], str):
                yield at(0), args[0]
            else:
                yield from _rule_names(args[0], at(0), depth + 1)
        for k in range(1, len(args)):
            yield from _rule_names(args[k], at(k), depth + 1)
    elif op in ("missing", "missing_some"):
        first_name = 0 if op == "missing" else 1
        if first_name and args:  # missing_some: how many, then the names
            yield from _rule_names(args[0], at(0), depth + 1)
        for k in range(first_name, len(args)):
            arg = args[k]
            items = list(enumerate(arg)) if isinstance(arg, list) else [(None, arg)]
            for j, item in items:
                item_path = at(k) if j is None else (*at(k), j)
                if isinstance(item, str):
                    yield item_path, item
                else:
                    yield from _rule_names(item, item_path, depth + 1)
    elif op in SCOPED:
        # the per-item rule reads the list item, not the case: only the list and the
        # initial value of reduce name case data
        for k in (0, 2) if op == "reduce" else (0,):
            if k < len(args):
                yield from _rule_names(args[k], at(k), depth + 1)
    else:
        for k, arg in enumerate(args):
            yield from _rule_names(arg, at(k), depth + 1)


def _renamed_name(name: str, old: str, new: str, kind: Kind) -> str:
    """``name`` read by a rule with the id ``old`` replaced by ``new`` where it names it."""
    if kind == STEP:
        prefix, _, rest = name.partition(".")
        step_id, dot, tail = rest.partition(".")
        if prefix == "$result" and step_id == old:
            return f"$result.{new}{dot}{tail}"
        return name
    head, dot, tail = name.partition(".")
    return f"{new}{dot}{tail}" if head == old and not name.startswith("$") else name


# -- document texts ---------------------------------------------------------------------------


@cache
def _jinja() -> ImmutableSandboxedEnvironment:
    """Same syntax as the document renderer's sandbox."""
    return ImmutableSandboxedEnvironment()


_FALLBACK = re.compile(r"(?<![\w.])(data|row)\s*\.\s*([A-Za-z0-9_]+)")


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[tuple[str, str], ...] | None:
    """Jinja's tokens (type, exact text) of ``text``; None when it does not lex."""
    try:
        return tuple((kind, value) for _, kind, value in _jinja().lexer.tokeniter(text, None))
    except TemplateSyntaxError:
        return None


def _name_tokens(tokens: Sequence[tuple[str, str]], rows: bool) -> Iterator[tuple[int, str, str]]:
    """(token index, context, id) of each ``data.<id>`` / ``data['<id>']`` (and, in a table
    cell over a group, ``row.<id>``) inside ``{{ }}`` and ``{% %}``."""
    significant = [
        (k, kind, value) for k, (kind, value) in enumerate(tokens) if kind != "whitespace"
    ]
    for n in range(len(significant) - 2):
        _, kind, value = significant[n]
        if kind != "name" or value not in ("data", "row"):
            continue
        if value == "row" and not rows:
            continue
        if n and significant[n - 1][1:] == ("operator", "."):
            continue  # something.data.x is not the case data
        context = "text" if value == "data" else "table_row"
        _, op_kind, op = significant[n + 1]
        k, kind2, value2 = significant[n + 2]
        if (op_kind, op) == ("operator", ".") and kind2 == "name":
            yield k, context, value2
        elif (op_kind, op) == ("operator", "[") and kind2 == "string" and len(value2) >= 2:
            yield k, context, value2[1:-1]


@lru_cache(maxsize=4096)
def _text_names(text: str, rows: bool) -> tuple[tuple[str, str], ...]:
    if "data" not in text and "row" not in text:
        return ()
    tokens = _tokens(text)
    if tokens is None:  # the validator reports the syntax error; still find the names
        return tuple(
            ("text" if m.group(1) == "data" else "table_row", m.group(2))
            for m in _FALLBACK.finditer(text)
            if rows or m.group(1) == "data"
        )
    return tuple((context, name) for _, context, name in _name_tokens(tokens, rows))


def _rewrite_text(text: str, old: str, new: str, rows: bool) -> str:
    tokens = _tokens(text)
    if tokens is None:

        def swap(m: re.Match[str]) -> str:
            if m.group(2) != old or (m.group(1) == "row" and not rows):
                return m.group(0)
            return m.group(0)[: -len(old)] + new

        return _FALLBACK.sub(swap, text)
    parts = [value for _, value in tokens]
    for k, _, name in _name_tokens(tokens, rows):
        if name == old:
            value = parts[k]
            parts[k] = new if tokens[k][0] == "name" else value[0] + new + value[-1]
    return "".join(parts)


# -- rewriting --------------------------------------------------------------------------------


def rewrite(doc: Any, old: str, new: str, kind: Kind) -> Any:
    """A copy of ``doc`` where every reference to the ``kind`` id ``old`` names ``new``.

    The definition itself (the step's or field's ``id``) is not a reference and is left as
    it is; ``editing.rename_field`` / ``rename_step`` change both. ``doc`` is not modified.
    """
    out = clone(doc)
    done: set[Path] = set()
    for ref in references(doc):
        if ref.kind != kind or ref.target_id != old or ref.location_path in done:
            continue
        done.add(ref.location_path)
        _apply(out, ref, old, new)
    return out


def _apply(doc: Any, ref: Reference, old: str, new: str) -> None:
    *parents, last = ref.location_path
    holder = doc
    for part in parents:
        holder = holder[part]
    if ref.in_key:
        items = list(holder.items())
        holder.clear()
        for key, value in items:
            holder[new if key == old else key] = value
        return
    value = holder[last]
    if ref.context == "rule":
        holder[last] = _renamed_name(value, old, new, ref.kind)
    elif ref.context in ("text", "table_row"):
        table_cell = "columns" in ref.location_path
        rows = table_cell and _table_over_group(doc, ref.location_path)
        holder[last] = _rewrite_text(value, old, new, rows)
    elif ref.context == "table_rows":
        holder[last] = f"data.{new}"
    else:
        holder[last] = new


def _table_over_group(doc: Any, path: Path) -> bool:
    """Whether the table holding the cell at ``path`` iterates a group (``rows: data.x``)."""
    table = doc
    for part in path[: path.index("columns")]:
        table = table[part]
    rows = table.get("rows")
    return isinstance(rows, str) and rows.startswith("data.")
