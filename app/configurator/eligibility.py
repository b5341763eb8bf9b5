"""A form step's conditions to continue (its `eligibility` rules): each a condition on the
answers and the message the person reads when it is not met (for example «Antes de solicitar
la licencia necesita la constancia de uso de suelo»).

How the form step page uses it (like transitions.py):
    response = handle_eligibility(info, doc, step)   # GET and POST, before the rest
    ...
    return render_editor(..., **eligibility_context(doc, step))
and form_step.html includes configurator/_eligibility.html.

A new rule starts as «always met» (`true`) and the page goes straight to its condition
builder (`?condicion=eligibility/<id>`); removing its condition there removes the rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import Doc, Operation, apply_edit
from app.configurator.conditions import condition_fields
from app.configurator.identifiers import chosen_id
from app.configurator.transitions import (
    ConditionTarget,
    condition_summary,
    edit_condition,
    step_url,
)
from app.formatting import localized, reader_language
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.templates import editing
from workflow_engine.templates.creation import id_from_name

__all__ = ["eligibility_context", "handle_eligibility"]

ANCHOR = "condiciones-para-continuar"


def _rules(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [dict(r) for r in step.get("eligibility") or () if isinstance(r, Mapping)]


def _message() -> dict[str, str] | None:
    es = request.form.get("message_es", "").strip()[:1000]
    en = request.form.get("message_en", "").strip()[:1000]
    if not es:
        return None
    return {"es": es, "en": en} if en else {"es": es}


def _with_rules(step_id: str, rules: list[dict[str, Any]]) -> Operation:
    return lambda d: editing.set_step(d, step_id, {"eligibility": rules or None})


def eligibility_context(doc: Doc, step: Mapping[str, Any]) -> dict[str, Any]:
    """What configurator/_eligibility.html needs: the rules (id, message, condition in
    words)."""
    fields = condition_fields(doc, str(step["id"]))
    lang = reader_language()
    return {
        "eligibility": [
            {
                "id": str(r.get("id")),
                "message": r.get("message") or {},
                "message_text": localized(r.get("message"), lang, str(r.get("id"))),
                "when": condition_summary(r.get("rule"), fields)
                if r.get("rule") is not True
                else _("(sin condición todavía)"),
            }
            for r in _rules(step)
        ]
    }


def _target(step: Mapping[str, Any], rule_id: str) -> ConditionTarget:
    rules = _rules(step)
    rule = next((r for r in rules if r.get("id") == rule_id), None)
    if rule is None:
        abort(404)
    step_id = str(step["id"])

    def save(logic: Any) -> Operation:
        if logic is None:  # no condition left: the rule goes
            return _with_rules(step_id, [r for r in rules if r.get("id") != rule_id])
        return lambda d: editing.set_condition(d, f"steps/{step_id}/eligibility/{rule_id}", logic)

    return ConditionTarget(
        f"eligibility/{rule_id}",
        _("Se puede continuar solo si…"),
        None if rule.get("rule") is True else rule.get("rule"),
        save,
        ANCHOR,
        legend=_("La persona puede continuar cuando se cumplan"),
    )


def _post(info: TemplateInfo, step: Mapping[str, Any]) -> ResponseReturnValue:
    step_id = str(step["id"])
    rules = _rules(step)
    action = request.form.get("action", "")
    back = redirect(step_url(info, step, ANCHOR))
    message = _message()
    if action == "add":
        if message is None:
            flash(_("Escriba el mensaje que verá la persona si no puede continuar."), "error")
            return back
        taken = {str(r.get("id")) for r in rules}
        made = id_from_name(" ".join(message["es"].split()[:6]), taken)
        rule_id = chosen_id("rule_id", taken, made)
        if rule_id is None:
            return back
        rules.append({"id": rule_id, "rule": True, "message": message})
        if apply_edit(info.key, _with_rules(step_id, rules)) is None:
            return back
        flash(_("Se agregó la condición para continuar; indique cuándo se cumple."))
        return redirect(step_url(info, step, condicion=f"eligibility/{rule_id}"))
    rule_id = request.form.get("rule", "")
    if rule_id not in {str(r.get("id")) for r in rules}:
        abort(404)
    if action == "remove":
        remaining = [r for r in rules if r.get("id") != rule_id]
        if apply_edit(info.key, _with_rules(step_id, remaining)) is not None:
            flash(_("Se quitó la condición para continuar."))
        return back
    if action == "message":
        if message is None:
            flash(_("Escriba el mensaje que verá la persona si no puede continuar."), "error")
            return back
        changed = [{**r, "message": message} if r.get("id") == rule_id else r for r in rules]
        if apply_edit(info.key, _with_rules(step_id, changed)) is not None:
            flash(_("Se guardó el mensaje."))
        return back
    abort(400)


def handle_eligibility(
    info: TemplateInfo, doc: Doc, step: Mapping[str, Any]
) -> ResponseReturnValue | None:
    """The posts of the partial (`part=eligibility`) and the condition page of one rule
    (`?condicion=eligibility/<id>`); None when the request is for the rest of the page."""
    element = request.args.get("condicion", "")
    if element.startswith("eligibility/"):
        return edit_condition(info, doc, step, _target(step, element.split("/", 1)[1]))
    if request.method == "POST" and request.form.get("part") == "eligibility":
        return _post(info, step)
    return None
