"""Where a step goes next, for every step page whose type continues by `transitions` (form,
notify, connector, payment, document): an ordered list of routes, each «if <condition> go to
<step>», the last one without a condition (the default). Also the page that edits one condition of a
step (a transition's, a parallel branch's or an approval route's `when`) with the condition
builder of conditions.py.

How a step page uses it (see step_kinds.notify_step):

    response = handle_transitions(info, doc, step)   # first thing, GET and POST
    if response is not None:
        return response
    ...
    return render_editor(..., **transitions_context(doc, step))

and its template includes the partial (it needs `info`, `step`, `revision` and the context):

    {% include "configurator/_transitions.html" %}

`handle_transitions` answers the posts of the partial (`part=transitions`) and the condition
page of a transition (`?condicion=transitions/<id>`); anything else is left to the page (None).
Other conditions of a step use `edit_condition` with their own `ConditionTarget`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.configurator.common import Doc, Operation, apply_edit, render_editor
from app.configurator.conditions import (
    KEEP,
    ConditionField,
    builder_for,
    condition_fields,
    posted_builder,
)
from app.configurator.identifiers import chosen_id
from app.formatting import localized, reader_language
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.templates import editing
from workflow_engine.templates.condition_rows import BOOLEAN, OPERATORS, from_logic
from workflow_engine.templates.option_lists import unique_id

__all__ = [
    "ConditionTarget",
    "condition_summary",
    "edit_condition",
    "handle_transitions",
    "step_choices",
    "step_url",
    "transition_rows",
    "transitions_context",
]


def step_url(info: TemplateInfo, step: Mapping[str, Any], anchor: str = "", **args: Any) -> str:
    """The page of `step` (optionally at an anchor or with query arguments)."""
    return url_for(
        "configurator.step", key=info.key, step_id=str(step["id"]), _anchor=anchor or None, **args
    )


def step_choices(
    doc: Doc, *, but: str | None = None, types: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """(id, «title (id)») of the steps a route may lead to: every step but `but`, or only those
    of `types`."""
    lang = reader_language()
    out = []
    for step in doc.get("steps") or ():
        if not isinstance(step, Mapping) or not isinstance(step.get("id"), str):
            continue
        if step["id"] == but or (types and step.get("type") not in types):
            continue
        out.append((step["id"], f"{localized(step.get('title'), lang, step['id'])} ({step['id']})"))
    return out


def condition_summary(rule: Any, fields: list[ConditionField]) -> str:
    """A condition in words («Giro es igual a restaurante y …»); rules the rows of the builder
    cannot show are called an advanced condition."""
    if rule is None:
        return _("siempre")
    by_id = {f.id: f for f in fields}
    condition = from_logic(rule, {f.id: f.kind for f in fields})
    if condition is None or not condition.rows:
        return _("condición avanzada (JSON Logic)")
    lang = reader_language()
    parts = []
    for row in condition.rows:
        fld = by_id.get(row.field)
        label = fld.label if fld else row.field
        options = dict(fld.options) if fld else {}
        if fld and fld.kind == BOOLEAN:
            options = {"true": _("sí"), "false": _("no")}
        op = OPERATORS.get(row.op)
        words = op.label(lang) if op else row.op
        values = ", ".join(options.get(v, v) for v in row.values)
        parts.append(f"{label} {words} {values}".strip())
    joiner = _(" y ") if condition.join != "any" else _(" o ")
    return joiner.join(parts)


def transition_rows(doc: Doc, step: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The step's transitions as the partial shows them: id, target, the condition in words,
    and whether it is the default (last, without a condition)."""
    fields = condition_fields(doc, str(step["id"]))
    items = [t for t in step.get("transitions") or () if isinstance(t, Mapping)]
    return [
        {
            "id": str(t.get("id")),
            "to": str(t.get("to", "")),
            "when": condition_summary(t.get("when"), fields),
            "conditional": t.get("when") is not None,
            "default": n == len(items) - 1 and t.get("when") is None,
            "first": n == 0,
            "last": n == len(items) - 1,
        }
        for n, t in enumerate(items)
    ]


def transitions_context(doc: Doc, step: Mapping[str, Any]) -> dict[str, Any]:
    """What the partial configurator/_transitions.html needs."""
    return {
        "transitions": transition_rows(doc, step),
        "route_choices": step_choices(doc, but=str(step["id"])),
    }


# -- one condition ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionTarget:
    """One condition of a step, edited on its own page (`?condicion=<element>`): its heading,
    the stored rule, the operation that saves a rule (None: remove it) and the anchor of the
    step page to go back to."""

    element: str
    heading: str
    rule: Any
    save: Callable[[Any], Operation]
    anchor: str
    legend: str = ""


def edit_condition(
    info: TemplateInfo, doc: Doc, step: Mapping[str, Any], target: ConditionTarget
) -> ResponseReturnValue:
    """The condition builder for `target`, GET and POST (saves go back to the step page)."""
    fields = condition_fields(doc, str(step["id"]))
    builder = builder_for(target.rule, fields)
    here = step_url(info, step, condicion=target.element)
    status = 200
    if request.method == "POST":
        builder, save = posted_builder(request.form, fields, target.rule)
        if save is not KEEP:
            if apply_edit(info.key, target.save(save)) is None:
                return redirect(here)
            flash(_("Se guardó la condición.") if save is not None else _("Se quitó la condición."))
            return redirect(step_url(info, step, target.anchor))
        status = 422 if builder.errors else 200
    return render_editor(
        "configurator/step_condition.html",
        info.key,
        "configurator.steps",
        doc=doc,
        status=status,
        step=step,
        target=target,
        builder=builder,
        condition_action=here,
        condition_extra={},
        condition_legend=target.legend or _("Seguir por esta ruta cuando se cumplan"),
        condition_clear_label=_("Quitar la condición"),
    )


def _transition_target(step: Mapping[str, Any], transition_id: str) -> ConditionTarget:
    item = next(
        (
            t
            for t in step.get("transitions") or ()
            if isinstance(t, Mapping) and t.get("id") == transition_id
        ),
        None,
    )
    if item is None:
        abort(404)
    step_id = str(step["id"])

    def save(rule: Any) -> Operation:
        return lambda d: editing.set_condition(
            d, f"steps/{step_id}/transitions/{transition_id}", rule
        )

    return ConditionTarget(
        f"transitions/{transition_id}",
        _("Condición de la ruta hacia «%(step)s»", step=str(item.get("to", ""))),
        item.get("when"),
        save,
        "rutas",
    )


# -- the list ---------------------------------------------------------------------------------


def _ids(step: Mapping[str, Any]) -> list[str]:
    return [str(t.get("id")) for t in step.get("transitions") or () if isinstance(t, Mapping)]


def _posted_target(doc: Doc, step: Mapping[str, Any]) -> str | None:
    to = request.form.get("to", "")
    if to not in {sid for sid, _label in step_choices(doc, but=str(step["id"]))}:
        flash(_("Elija el paso al que lleva la ruta."), "error")
        return None
    return to


def _set_route(
    info: TemplateInfo, doc: Doc, step: Mapping[str, Any], transition_id: str, ids: list[str]
) -> None:
    """A route's destination and its id (`route_id`: the liaison's, checked by the
    identifier rules and unique within the step), saved as one revision."""
    step_id = str(step["id"])
    to = _posted_target(doc, step)
    new_id = chosen_id("route_id", [i for i in ids if i != transition_id], transition_id)
    if to is None or new_id is None:
        return

    def operation(d: Doc) -> editing.EditResult:
        if new_id != transition_id:
            d = editing.rename_transition(d, step_id, transition_id, new_id).doc
        return editing.set_transition(d, step_id, new_id, to)

    if apply_edit(info.key, operation):
        flash(_("Se guardó el destino de la ruta."))


def _transition_action(info: TemplateInfo, doc: Doc, step: Mapping[str, Any]) -> Response:
    step_id = str(step["id"])
    ids = _ids(step)
    action = request.form.get("action", "")
    back = redirect(step_url(info, step, "rutas"))
    if action == "add":
        to = _posted_target(doc, step)
        if to is None:
            return back
        chosen = chosen_id("route_id", ids, unique_id("ruta", ids))
        if chosen is None:
            return back
        new_id, target = chosen, to
        items = [t for t in step.get("transitions") or () if isinstance(t, Mapping)]
        has_default = bool(items) and items[-1].get("when") is None
        index = len(items) - 1 if has_default else len(items)
        result = apply_edit(
            info.key, lambda d: editing.set_transition(d, step_id, new_id, target, index=index)
        )
        if result is None:
            return back
        if has_default:  # a route before the default needs its condition: ask for it now
            flash(_("Se agregó la ruta; indique cuándo se sigue."))
            return redirect(step_url(info, step, condicion=f"transitions/{new_id}"))
        flash(_("Se agregó la ruta."))
        return back
    transition_id = request.form.get("transition", "")
    if transition_id not in ids:
        abort(404)
    current = next(
        t for t in step["transitions"] if isinstance(t, Mapping) and t.get("id") == transition_id
    )
    if action == "set":
        _set_route(info, doc, step, transition_id, ids)
    elif action in ("up", "down"):
        position = ids.index(transition_id) + (-1 if action == "up" else 1)
        if 0 <= position < len(ids):
            apply_edit(
                info.key,
                lambda d: editing.set_transition(
                    d, step_id, transition_id, str(current.get("to", "")), index=position
                ),
            )
    elif action == "remove":
        if apply_edit(info.key, lambda d: editing.remove_transition(d, step_id, transition_id)):
            flash(_("Se quitó la ruta."))
    else:
        abort(400)
    return back


def handle_transitions(
    info: TemplateInfo, doc: Doc, step: Mapping[str, Any]
) -> ResponseReturnValue | None:
    """The posts of the transitions partial and the condition page of one transition; None
    when the request is for the rest of the step page."""
    element = request.args.get("condicion", "")
    if element.startswith("transitions/"):
        return edit_condition(info, doc, step, _transition_target(step, element.split("/", 1)[1]))
    if request.method == "POST" and request.form.get("part") == "transitions":
        response: ResponseReturnValue = _transition_action(info, doc, step)
        return response
    return None
