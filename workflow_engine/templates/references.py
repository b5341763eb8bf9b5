"""Where a procedure template names a field or a step id, and how to rename one everywhere.

One place knows every kind of reference (docs/template-format.md): JSON Logic ``var`` /
``missing`` / ``missing_some`` names and ``$result.<step>`` in every rule (show-if,
eligibility, transition and branch conditions, fee amounts, department rules, connector
input, ledger mappings), ``result_map`` targets, ``example_data`` keys, a requirement's
``field``, ``start``, transition and outcome targets, and document texts (body, holder, table
``rows`` and cells, placeholders and ``{% if %}`` alike). Document texts are read with
Jinja's own lexer, whose tokens give back the exact text, so a rename touches nothing else.

Some names are read from one row of a group rather than from the case data: inside the
per-item rule of ``map``, ``filter``, ``reduce``, ``all``, ``none`` and ``some`` over a group
(``{"var": "x"}``, or ``{"var": "current.x"}`` in ``reduce``), in a table cell over a group
(``row.x``) and inside ``{% for s in data.<group> %}`` (``s.x``). Such a reference carries the
group's id in ``group``: the name must be one of that group's subfields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
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
    "group_fields",
    "references",
    "rewrite",
]

FIELD: Final = "field"
STEP: Final = "step"
Kind = Literal["field", "step"]
Path = tuple[str | int, ...]
Groups = Mapping[str, frozenset[str]]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Reference:
    """One place that names a field or step id.

    ``location_path`` leads from the template's root to the text holding the name (a rule's
    ``var`` argument, a document body, a transition's ``to``...), or, when ``in_key``, to the
    mapping entry whose key is the name (``example_data``). ``context`` says what holds it;
    ``group``, the group whose row the name is read from (None: the case data).
    """

    kind: Kind
    target_id: str
    location_path: Path
    context: str
    in_key: bool = False
    group: str | None = None

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


def group_fields(doc: Any) -> dict[str, frozenset[str]]:
    """Group field id -> the ids of its subfields, over every form step of ``doc``."""
    out: dict[str, frozenset[str]] = {}
    for step in _seq(_map(doc).get("steps")):
        for fld in _seq(_map(step).get("fields")):
            fld = _map(fld)
            if fld.get("type") == "group" and isinstance(fld.get("id"), str):
                subs = (_map(sub).get("id") for sub in _seq(fld.get("fields")))
                out.setdefault(fld["id"], frozenset(s for s in subs if isinstance(s, str)))
    return out


# -- listing ----------------------------------------------------------------------------------


def references(doc: Any) -> list[Reference]:
    """Every reference to a field or step id in ``doc``, in document order.

    Works on drafts of any shape: parts that are not where the format puts them are skipped.
    """
    out: list[Reference] = []
    if not isinstance(doc, Mapping):
        return out
    found = _Finder(group_fields(doc), out)
    start = doc.get("start")
    if isinstance(start, str):
        out.append(Reference(STEP, start, ("start",), "start"))
    for i, step in enumerate(_seq(doc.get("steps"))):
        if isinstance(step, Mapping):
            found.step(step, ("steps", i))
    for k, req in enumerate(_seq(_map(doc.get("catalog")).get("requirements"))):
        if isinstance(req, Mapping) and isinstance(req.get("field"), str):
            path: Path = ("catalog", "requirements", k, "field")
            out.append(Reference(FIELD, req["field"], path, "requirement"))
    register = _map(_map(doc.get("ledger")).get("register"))
    for name in ("key", "description", "rfc", "curp", "name"):
        if name in register:
            found.rule(register[name], ("ledger", "register", name))
    for name, expr in _map(register.get("attributes")).items():
        found.rule(expr, ("ledger", "register", "attributes", name))
    if "amount" in _map(register.get("recurring")):
        found.rule(register["recurring"]["amount"], ("ledger", "register", "recurring", "amount"))
    found.examples(_map(doc.get("example_data")))
    return out


def _seq(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else ()


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


class _Finder:
    """Collects the references of one template into ``out``; ``groups`` are its group fields."""

    def __init__(self, groups: Groups, out: list[Reference]) -> None:
        self.groups = groups
        self.out = out

    def step(self, step: Mapping[str, Any], base: Path) -> None:
        self.fields(step, base)
        self.step_rules(step, base)
        self.targets(step, base)
        for key, fid in _map(step.get("result_map")).items():
            if isinstance(fid, str):
                self.out.append(Reference(FIELD, fid, (*base, "result_map", key), "result_map"))
        document = _map(step.get("document"))
        if document:
            self.document(document, (*base, "document"))

    def fields(self, step: Mapping[str, Any], base: Path) -> None:
        for j, fld in enumerate(_seq(step.get("fields"))):
            if not isinstance(fld, Mapping):
                continue
            fpath = (*base, "fields", j)
            if "show_if" in fld:
                self.rule(fld["show_if"], (*fpath, "show_if"))
            for k, sub in enumerate(_seq(fld.get("fields"))):
                if isinstance(sub, Mapping) and "show_if" in sub:
                    self.rule(sub["show_if"], (*fpath, "fields", k, "show_if"))

    def step_rules(self, step: Mapping[str, Any], base: Path) -> None:
        """Every rule of a step but its fields' conditions."""
        for key, rule_key in (
            ("eligibility", "rule"),
            ("transitions", "when"),
            ("fee_lines", "amount"),
            ("fee_lines", "when"),
            ("branches", "when"),
        ):
            for k, item in enumerate(_seq(step.get(key))):
                if isinstance(item, Mapping) and rule_key in item:
                    self.rule(item[rule_key], (*base, key, k, rule_key))
        if "department_rule" in step:
            self.rule(step["department_rule"], (*base, "department_rule"))
        if "when" in step:
            self.rule(step["when"], (*base, "when"))
        approve = _map(step.get("outcomes")).get("approve")
        for k, route in enumerate(_seq(approve) if isinstance(approve, list) else ()):
            if isinstance(route, Mapping) and "when" in route:
                self.rule(route["when"], (*base, "outcomes", "approve", k, "when"))
        for name, expr in _map(step.get("input")).items():
            self.rule(expr, (*base, "input", name))

    def targets(self, step: Mapping[str, Any], base: Path) -> None:
        """The steps a step leads to: transitions and review outcomes."""
        for k, transition in enumerate(_seq(step.get("transitions"))):
            if isinstance(transition, Mapping) and isinstance(transition.get("to"), str):
                path = (*base, "transitions", k, "to")
                self.out.append(Reference(STEP, transition["to"], path, "transition"))
        outcomes = _map(step.get("outcomes"))
        for name in ("approve", "reject"):
            outcome = outcomes.get(name)
            routes: list[tuple[Path, Any]] = (
                [((name, k), r) for k, r in enumerate(outcome)]
                if isinstance(outcome, list)
                else [((name,), outcome)]
            )
            for at, route in routes:
                target = _map(route).get("to")
                if isinstance(target, str):
                    path = (*base, "outcomes", *at, "to")
                    self.out.append(Reference(STEP, target, path, "outcome"))
        ret = _map(outcomes.get("return"))
        for key in ("to_step", "lapse_to"):
            if isinstance(ret.get(key), str):
                path = (*base, "outcomes", "return", key)
                self.out.append(Reference(STEP, ret[key], path, "outcome"))
        if isinstance(step.get("lapse_to"), str):  # a form or payment step's own deadline
            self.out.append(Reference(STEP, step["lapse_to"], (*base, "lapse_to"), "outcome"))

    def document(self, document: Mapping[str, Any], base: Path) -> None:
        if "valid_until" in document:
            self.rule(document["valid_until"], (*base, "valid_until"))
        for lang, text in _map(document.get("body")).items():
            self.text(text, (*base, "body", lang), None)
            self.decisions(text, (*base, "body", lang))
        self.text(document.get("holder"), (*base, "holder"), None)
        self.decisions(document.get("holder"), (*base, "holder"))
        for k, signer in enumerate(_seq(document.get("signers"))):
            decided_by = _map(signer).get("decided_by")
            if isinstance(decided_by, str):
                at_signer: Path = (*base, "signers", k, "decided_by")
                self.out.append(Reference(STEP, decided_by, at_signer, "decided_by"))
        for k, ref in enumerate(_seq(document.get("attachments"))):
            self.decisions(ref, (*base, "attachments", k))
        for t, table in enumerate(_seq(document.get("tables"))):
            if not isinstance(table, Mapping):
                continue
            group = _rows_group(table)
            if group is not None:
                path: Path = (*base, "tables", t, "rows")
                self.out.append(Reference(FIELD, group, path, "table_rows"))
            for c, column in enumerate(_seq(table.get("columns"))):
                if isinstance(column, Mapping):
                    path = (*base, "tables", t, "columns", c, "value")
                    self.text(column.get("value"), path, group)

    def decisions(self, text: Any, path: Path) -> None:
        """``decision.<step>`` and ``decision.<step>.fields.<id>`` in a document text or an
        attachment: the review step and its decision field."""
        if not isinstance(text, str):
            return
        for match in _DECISION.finditer(text):
            self.out.append(Reference(STEP, match.group(1), path, "decision"))
            if match.group(2):
                self.out.append(Reference(FIELD, match.group(2), path, "decision"))

    def text(self, text: Any, path: Path, rows: str | None) -> None:
        if not isinstance(text, str):
            return
        for context, name, group in _text_names(text, rows, _frozen(self.groups)):
            self.out.append(Reference(FIELD, name, path, context, group=group))

    def examples(self, example: Mapping[str, Any]) -> None:
        """``example_data``: keys are form step ids, then their field ids, then for a group
        field each row's subfield ids."""
        out = self.out
        for step_id, values in example.items():
            out.append(Reference(STEP, step_id, ("example_data", step_id), "example_data", True))
            for fid, value in _map(values).items():
                path: Path = ("example_data", step_id, fid)
                out.append(Reference(FIELD, fid, path, "example_data", True))
                if fid not in self.groups:
                    continue
                for r, row in enumerate(_seq(value)):
                    for key in _map(row):
                        row_path = (*path, r, key)
                        ref = Reference(FIELD, key, row_path, "example_row", True, fid)
                        out.append(ref)

    def rule(self, expr: Any, path: Path) -> None:
        for name_path, name, scope in _rule_names(expr, path, 1, None, self.groups):
            ref = _name_ref(name, name_path, scope)
            if ref is not None:
                self.out.append(ref)


def _rows_group(table: Mapping[str, Any]) -> str | None:
    """The field a document table iterates (``rows: data.<id>``); None for ``fees.lines``."""
    rows = table.get("rows")
    return rows[5:] if isinstance(rows, str) and rows.startswith("data.") else None


def _frozen(groups: Groups) -> tuple[tuple[str, frozenset[str]], ...]:
    return tuple(sorted(groups.items()))


# -- JSON Logic -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    """The data of a per-item rule: one row of ``group`` (None: an item of a list that is not
    a group, whose names name nothing); ``reduce`` reads it as ``current``."""

    group: str | None
    reduce: bool = False


Scope = _Scope | None  # None: the case data


def _name_ref(name: str, path: Path, scope: Scope) -> Reference | None:
    """The reference a rule's variable name makes: ``a.b`` names the field ``a``,
    ``$result.s.key`` the step ``s``; other ``$`` names and ``""`` name nothing. In a
    per-item rule over a group, ``a`` (``current.a`` in ``reduce``) names its subfield."""
    if name.startswith("$result.") and scope is None:
        step_id = name.split(".", 2)[1]
        return Reference(STEP, step_id, path, "rule") if step_id else None
    if not name or name.startswith("$"):
        return None
    head, _, tail = name.partition(".")
    if scope is None:
        return Reference(FIELD, head, path, "rule") if head else None
    if scope.group is None or not head:
        return None
    if not scope.reduce:
        return Reference(FIELD, head, path, "item_rule", group=scope.group)
    sub = tail.split(".", 1)[0]
    if head != "current" or not sub:
        return None  # the accumulator, or the whole row
    return Reference(FIELD, sub, path, "reduce_item", group=scope.group)


def _rule_names(
    node: Any, path: Path, depth: int, scope: Scope, groups: Groups
) -> Iterator[tuple[Path, str, Scope]]:
    """(path, name, scope) of every literal name a rule reads. Names read from the case data
    (scope None) are those of ``rules.referenced_vars``, which this must agree with."""
    if depth > MAX_DEPTH + 1:
        return
    if isinstance(node, list):
        for k, item in enumerate(node):
            yield from _rule_names(item, (*path, k), depth + 1, scope, groups)
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

    if op in ("missing", "missing_some"):
        yield from _missing_names(op, args, at, depth, scope, groups)
        return
    first = 0
    if op == "var" and args and isinstance(args[0], str):
        yield at(0), args[0], scope
        first = 1
    # the per-item rule of map, filter, reduce, all, none and some reads one list item
    item = scope
    if op in SCOPED and args:
        item = _Scope(_list_group(args[0], scope, groups), op == "reduce")
    for k in range(first, len(args)):
        yield from _rule_names(args[k], at(k), depth + 1, item if k == 1 else scope, groups)


def _missing_names(
    op: str, args: list[Any], at: Callable[[int], Path], depth: int, scope: Scope, groups: Groups
) -> Iterator[tuple[Path, str, Scope]]:
    """The names ``missing`` / ``missing_some`` look for: texts, lists of them, or rules
    giving them; ``missing_some`` first says how many."""
    first_name = 0 if op == "missing" else 1
    items: list[tuple[Path, Any]] = [(at(0), args[0])] if first_name and args else []
    for k in range(first_name, len(args)):
        arg = args[k]
        if isinstance(arg, list):
            items += [((*at(k), j), item) for j, item in enumerate(arg)]
        else:
            items.append((at(k), arg))
    for k, (path, item) in enumerate(items):
        if isinstance(item, str) and (k or not first_name):
            yield path, item, scope
        else:
            yield from _rule_names(item, path, depth + 1, scope, groups)


def _list_group(expr: Any, scope: Scope, groups: Groups) -> str | None:
    """The group whose rows the list ``expr`` gives: ``{"var": "<group>"}`` read from the
    case data, or a ``filter`` of such a list; None for any other list."""
    if scope is not None or not isinstance(expr, dict) or len(expr) != 1:
        return None
    ((op, raw),) = expr.items()
    if op == "filter" and isinstance(raw, list) and raw:
        return _list_group(raw[0], scope, groups)
    if op != "var":
        return None
    name = raw[0] if isinstance(raw, list) and raw else raw
    return name if isinstance(name, str) and name in groups else None


def _renamed_name(ref: Reference, name: str, old: str, new: str) -> str:
    """``name`` read by a rule with the id ``old`` replaced by ``new`` where it names it."""
    if ref.kind == STEP:
        prefix, _, rest = name.partition(".")
        step_id, dot, tail = rest.partition(".")
        if prefix == "$result" and step_id == old:
            return f"$result.{new}{dot}{tail}"
        return name
    if ref.context == "reduce_item":
        head, _, rest = name.partition(".")
        sub, dot, tail = rest.partition(".")
        return f"{head}.{new}{dot}{tail}" if sub == old else name
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


Significant = list[tuple[int, str, str]]


def _name_tokens(
    tokens: Sequence[tuple[str, str]], rows: str | None, groups: Groups
) -> Iterator[tuple[int, str, str, str | None]]:
    """(token index, context, id, group) of each ``data.<id>`` / ``data['<id>']`` inside
    ``{{ }}`` and ``{% %}``; in a table cell over the group ``rows``, of each ``row.<id>``;
    inside ``{% for s in data.<group> %}``, of each ``s.<id>``."""
    significant = [
        (k, kind, value) for k, (kind, value) in enumerate(tokens) if kind != "whitespace"
    ]
    loops: list[tuple[str | None, str | None]] = []  # (loop variable, group) of open for
    for n in range(len(significant) - 2):
        _, kind, value = significant[n]
        if kind == "block_begin":
            _enter_block(significant, n, loops, groups)
            continue
        if kind != "name" or (n and significant[n - 1][1:] == ("operator", ".")):
            continue  # something.data.x is not the case data
        scope = _name_scope(value, rows, loops)
        if scope is None:
            continue
        named = _subscript(significant, n)
        if named is not None:
            yield named[0], scope[0], named[1], scope[1]


def _enter_block(
    significant: Significant, n: int, loops: list[tuple[str | None, str | None]], groups: Groups
) -> None:
    """Open or close a ``{% for %}`` at the block starting at ``n``."""
    words = [value for _, kind, value in significant[n + 1 : n + 7]]
    if words[:1] == ["endfor"] and loops:
        loops.pop()
    elif words[:1] == ["for"]:
        over = words[3:6]
        name = words[1] if words[2:3] == ["in"] else None  # `for a, b in` binds no row
        group = over[2] if over[:2] == ["data", "."] and over[2:3] and over[2] in groups else None
        loops.append((name, group))


def _name_scope(
    value: str, rows: str | None, loops: Sequence[tuple[str | None, str | None]]
) -> tuple[str, str | None] | None:
    """(context, group) of the names read through ``value``; None when it reads no field."""
    for name, group in reversed(loops):
        if name == value:
            return ("text_row", group) if group is not None else None
    if value == "data":
        return "text", None
    if value == "row" and rows is not None:
        return "table_row", rows
    return None


def _subscript(significant: Significant, n: int) -> tuple[int, str] | None:
    """(token index, key) of ``.key`` or ``['key']`` right after the name at ``n``."""
    _, op_kind, op = significant[n + 1]
    k, kind, value = significant[n + 2]
    if (op_kind, op) == ("operator", ".") and kind == "name":
        return k, value
    if (op_kind, op) == ("operator", "[") and kind == "string" and len(value) >= 2:
        return k, value[1:-1]
    return None


@lru_cache(maxsize=4096)
def _text_names(
    text: str, rows: str | None, groups: tuple[tuple[str, frozenset[str]], ...]
) -> tuple[tuple[str, str, str | None], ...]:
    if "data" not in text and "row" not in text:
        return ()
    tokens = _tokens(text)
    if tokens is None:  # the validator reports the syntax error; still find the names
        return tuple(
            ("text", m.group(2), None) if m.group(1) == "data" else ("table_row", m.group(2), rows)
            for m in _FALLBACK.finditer(text)
            if rows is not None or m.group(1) == "data"
        )
    return tuple(
        (context, name, group)
        for _, context, name, group in _name_tokens(tokens, rows, dict(groups))
    )


def _rewrite_text(text: str, old: str, new: str, rows: str | None, groups: Groups) -> str:
    tokens = _tokens(text)
    if tokens is None:

        def swap(m: re.Match[str]) -> str:
            if m.group(2) != old or (m.group(1) == "row" and rows is None):
                return m.group(0)
            return m.group(0)[: -len(old)] + new

        return _FALLBACK.sub(swap, text)
    parts = [value for _, value in tokens]
    for k, _, name, group in _name_tokens(tokens, rows, groups):
        if name == old and _names(old, group, groups):
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


def _names(old: str, group: str | None, groups: Groups) -> bool:
    """Whether a name read from a row of ``group`` (None: the case data) can be the field
    ``old``: a row holds only its group's subfields."""
    return group is None or group not in groups or old in groups[group]


def _apply(doc: Any, ref: Reference, old: str, new: str) -> None:
    text = ref.context in ("text", "table_row", "text_row")
    groups = group_fields(doc) if text or ref.group is not None else {}
    if not _names(old, ref.group, groups):
        return  # a row's name the row lacks: not the field ``old`` of the case
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
    if ref.context == "decision":
        holder[last] = _DECISION.sub(lambda m: _renamed_decision(m, ref.kind, old, new), value)
        return
    if ref.context in ("rule", "item_rule", "reduce_item"):
        holder[last] = _renamed_name(ref, value, old, new)
    elif text:
        rows = _table_rows(doc, ref.location_path)
        holder[last] = _rewrite_text(value, old, new, rows, groups)
    elif ref.context == "table_rows":
        holder[last] = f"data.{new}"
    else:
        holder[last] = new


# What officials wrote, read by a document: decision.<review step>[.fields.<decision field>]
_DECISION = re.compile(r"(?<![\w.])decision\.([A-Za-z0-9_]+)(?:\.fields\.([A-Za-z0-9_]+))?")


def _renamed_decision(match: re.Match[str], kind: str, old: str, new: str) -> str:
    step_id, field_id = match.group(1), match.group(2)
    if kind == STEP and step_id == old:
        step_id = new
    if kind == FIELD and field_id == old:
        field_id = new
    return f"decision.{step_id}" + (f".fields.{field_id}" if field_id else "")


def _table_rows(doc: Any, path: Path) -> str | None:
    """The group the table holding the cell at ``path`` iterates; None outside a table cell."""
    if "columns" not in path:
        return None
    table = doc
    for part in path[: path.index("columns")]:
        table = table[part]
    return _rows_group(table)
