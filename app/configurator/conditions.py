"""Conditions without code: the builder of rows «field · operator · value» joined by
«todas» / «cualquiera» (workflow_engine.templates.condition_rows), shown by the partial
configurator/_condition.html inside any page that edits a condition (a field's show-if here;
a transition's or a branch's `when` on other step pages).

Without JavaScript every button posts the whole builder: adding or removing a row, or
choosing another field, draws the page again with the rows as posted (nothing is saved until
«Guardar condición»). A rule the rows cannot show is shown read-only with the advanced editor
(JSON Logic), checked when it is saved and, with configurator_conditions.js, as it is typed
(`configurator.check_condition`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import Doc, blueprint, editable
from app.formatting import localized, reader_language
from workflow_engine.templates.condition_rows import (
    JOINS,
    OPERATORS,
    Condition,
    ConditionError,
    Row,
    from_logic,
    kind_of,
    operators_for,
    parse_advanced,
    to_logic,
)

__all__ = [
    "KEEP",
    "Builder",
    "ConditionField",
    "builder_for",
    "check_condition",
    "condition_fields",
    "posted_builder",
]

KEEP: Any = object()
"""What `posted_builder` answers when the post was not a save (a row added, a field chosen)."""
MAX_ROWS = 20


@dataclass(frozen=True)
class ConditionField:
    """A field a condition may read: id, label, kind and its options (value, label)."""

    id: str
    label: str
    kind: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass
class Builder:
    """What the partial draws: rows or the advanced editor, with the errors of a save."""

    fields: list[ConditionField]
    condition: Condition
    mode: str = "rows"  # or "advanced"
    advanced: str = ""
    rule: Any = None  # the stored rule (read-only when rows cannot show it)
    errors: list[str] = field(default_factory=list)

    @property
    def by_id(self) -> dict[str, ConditionField]:
        return {f.id: f for f in self.fields}

    def operators(self, field_id: str) -> list[tuple[str, str, str]]:
        """(code, label, what value it takes) of the operators a row on `field_id` offers."""
        found = self.by_id.get(field_id)
        lang = reader_language()
        kind = found.kind if found else "text"
        return [(op.code, op.label(lang), op.takes) for op in operators_for(kind)]

    def takes(self, code: str) -> str:
        op = OPERATORS.get(code)
        return op.takes if op else "one"

    @property
    def stored_text(self) -> str:
        return "" if self.rule is None else json.dumps(self.rule, ensure_ascii=False, indent=2)


def _kinds(fields: list[ConditionField]) -> dict[str, str]:
    return {f.id: f.kind for f in fields}


def _field(fld: Mapping[str, Any], lang: str) -> ConditionField:
    options = tuple(
        (str(o.get("value")), localized(o.get("label"), lang, str(o.get("value"))))
        for o in fld.get("options") or ()
        if isinstance(o, Mapping)
    )
    label = localized(fld.get("label"), lang, str(fld["id"]))
    return ConditionField(str(fld["id"]), label, kind_of(fld), options)


def condition_fields(doc: Doc, step_id: str, field_id: str | None = None) -> list[ConditionField]:
    """The fields a condition in `step_id` may read: the answers of its form and of the forms
    before it (not `field_id` itself, not a whole repeating group); for a field inside a group,
    the other fields of its row too."""
    lang = reader_language()
    out: list[ConditionField] = []
    for step in doc.get("steps") or ():
        if not isinstance(step, Mapping):
            continue
        for fld in step.get("fields") or ():
            if not isinstance(fld, Mapping) or not isinstance(fld.get("id"), str):
                continue
            subs = [s for s in fld.get("fields") or () if isinstance(s, Mapping)]
            if any(s.get("id") == field_id for s in subs):
                out.extend(
                    _field(s, lang)
                    for s in subs
                    if isinstance(s.get("id"), str) and s.get("id") != field_id
                )
            if fld.get("type") != "group" and fld["id"] != field_id:
                out.append(_field(fld, lang))
        if step.get("id") == step_id:
            break
    return out


def builder_for(rule: Any, fields: list[ConditionField]) -> Builder:
    """The builder showing a stored rule: its rows, else the advanced editor."""
    condition = from_logic(rule, _kinds(fields))
    if condition is None:
        text = json.dumps(rule, ensure_ascii=False, indent=2)
        return Builder(fields, Condition(), "advanced", text, rule)
    return Builder(fields, condition, rule=rule)


def _posted_rows(form: Any, fields: list[ConditionField]) -> list[Row]:
    known = {f.id for f in fields}
    rows = []
    try:
        count = min(int(form.get("row_count", "0")), MAX_ROWS)
    except ValueError:
        count = 0
    for n in range(count):
        field_id = form.get(f"row-{n}-field", "")
        if field_id not in known:
            continue
        op = form.get(f"row-{n}-op", "")
        values = [v for v in form.getlist(f"row-{n}-value") if v.strip()]
        takes = OPERATORS[op].takes if op in OPERATORS else "one"
        value: Any = values if takes == "many" else (values[0] if values else None)
        rows.append(Row(field_id, op, value))
    return rows


def _fit(rows: list[Row], builder: Builder) -> None:
    """Give a row whose field changed an operator its field offers."""
    for row in rows:
        codes = [code for code, _label, _takes in builder.operators(row.field)]
        if row.op not in codes:
            row.op, row.value = codes[0], None


def posted_builder(form: Any, fields: list[ConditionField], rule: Any) -> tuple[Builder, Any]:
    """The builder as posted, and the rule to save (None: remove the condition), or KEEP
    when the post only changed the rows on the page or the rule has errors."""
    lang = reader_language()
    action = form.get("cond_action", "save")
    join = form.get("join", "all")
    builder = Builder(fields, Condition(join if join in JOINS else "all"), rule=rule)
    if action == "clear":
        return builder, None
    if action in ("save_advanced", "check_advanced"):
        builder.mode = "advanced"
        builder.advanced = form.get("advanced", "")[:100_000]
        parsed, problems = parse_advanced(builder.advanced)
        builder.errors = [en if lang == "en" else es for es, en in problems]
        return builder, KEEP if problems else parsed
    rows = _posted_rows(form, fields)
    _fit(rows, builder)
    builder.condition.rows = rows
    if action == "add_row" and len(rows) < MAX_ROWS:
        new = form.get("new_field", "")
        if new in builder.by_id:
            rows.append(Row(new, builder.operators(new)[0][0]))
        return builder, KEEP
    if action.startswith("remove_row:"):
        index = action.partition(":")[2]
        if index.isdigit() and int(index) < len(rows):
            rows.pop(int(index))
        return builder, KEEP
    if action not in ("save", "advanced"):  # another field chosen: the rows redrawn
        return builder, KEEP
    try:
        logic = to_logic(builder.condition, _kinds(fields))
    except ConditionError as error:
        builder.errors = [error.message(lang)]
        return builder, KEEP
    if action == "advanced":
        builder.mode = "advanced"
        builder.advanced = "" if logic is None else json.dumps(logic, ensure_ascii=False, indent=2)
        return builder, KEEP
    return builder, logic


@blueprint.route("/<key>/condiciones/revisar", methods=["POST"])
def check_condition(key: str) -> ResponseReturnValue:
    """What is wrong with a rule typed in the advanced editor (JSON in, JSON out), for
    configurator_conditions.js as the liaison types; the same check a save makes."""
    editable(key)
    lang = reader_language()
    text = request.form.get("advanced", "")[:100_000]
    _rule, problems = parse_advanced(text)
    messages = [en if lang == "en" else es for es, en in problems]
    return jsonify(
        problems=messages,
        summary=_("La condición es válida.") if not messages else _("La condición tiene errores."),
    )
