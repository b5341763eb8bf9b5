"""The form step's page: its questions from the palette of field types, their options, repeating
groups and show-if conditions.

The palette, the inputs of a type's own options and the types a field may change to all come
from the field-type registry (workflow_engine.templates.field_types through field_options): a
new field type appears here without touching the configurator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.configurator.common import (
    Doc,
    apply_edit,
    blueprint,
    catalog,
    editable,
    render_editor,
    step_editor,
)
from app.configurator.conditions import KEEP, Builder, builder_for, condition_fields, posted_builder
from app.configurator.eligibility import eligibility_context, handle_eligibility
from app.configurator.steps import taken_ids
from app.configurator.transitions import handle_transitions, transitions_context
from app.formatting import localized, reader_language
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.templates import editing
from workflow_engine.templates.field_options import (
    OptionValueError,
    is_option_list,
    is_subfield_list,
    option_inputs,
    palette,
    read_option,
    shown_value,
)
from workflow_engine.templates.field_types import REGISTRY, field_type
from workflow_engine.templates.option_lists import (
    option_lines,
    parse_option_lines,
    slug,
    unique_id,
)
from workflow_engine.templates.step_types import FormStep

__all__ = ["FIELD_ACTIONS", "field", "field_rows", "form_step", "list_action", "palette_items"]

FIELD_ACTIONS = ("add_field", "move_field", "duplicate_field", "remove_field")


def palette_items(*, in_group: bool = False) -> list[tuple[str, str, str]]:
    """(type, label, description) of every field type a new field may have."""
    lang = reader_language()
    return [
        (name, localized(REGISTRY[name].label, lang), localized(REGISTRY[name].description, lang))
        for name in palette(in_group=in_group)
    ]


def field_rows(fields: Any) -> list[dict[str, Any]]:
    """The fields of a list as the page shows them."""
    lang = reader_language()
    rows = []
    for fld in fields or ():
        if not isinstance(fld, Mapping) or not isinstance(fld.get("id"), str):
            continue
        rows.append(
            {
                "id": fld["id"],
                "label": localized(fld.get("label"), lang, fld["id"]),
                "type": localized(field_type(fld).label, lang),
                "required": bool(fld.get("required")),
                "conditional": "show_if" in fld,
                "subfields": len(fld.get("fields") or ()),
            }
        )
    return rows


def _back(info: TemplateInfo, step_id: str, group: str | None, anchor: str = "") -> Response:
    if group is None:
        target = url_for("configurator.step", key=info.key, step_id=step_id, _anchor=anchor or None)
    else:
        target = url_for(
            "configurator.field",
            key=info.key,
            step_id=step_id,
            field_id=group,
            _anchor=anchor or "campos-del-grupo",
        )
    return redirect(target)


def _new_field(doc: Doc, type_name: str, label_es: str) -> dict[str, Any]:
    cls = REGISTRY[type_name]
    field_id = unique_id(slug(label_es or cls.label["es"], fallback="campo"), taken_ids(doc))
    new = cls.example_field(field_id)
    if label_es:
        new["label"] = {"es": label_es}
    return new


def list_action(
    info: TemplateInfo, doc: Doc, step_id: str, group: str | None, fields: Any
) -> Response:
    """Add, move, duplicate or remove a field of a form (or of one of its groups)."""
    action = request.form.get("action", "")
    if action == "add_field":
        type_name = request.form.get("type", "")
        if type_name not in palette(in_group=group is not None):
            flash(_("Elija el tipo del campo nuevo."), "error")
            return _back(info, step_id, group, "agregar-campo")
        new = _new_field(doc, type_name, request.form.get("label_es", "").strip()[:200])
        if apply_edit(info.key, lambda d: editing.add_field(d, step_id, new, group=group)) is None:
            return _back(info, step_id, group, "agregar-campo")
        flash(_("Se agregó el campo «%(label)s».", label=localized(new["label"])))
        target = url_for("configurator.field", key=info.key, step_id=step_id, field_id=new["id"])
        return redirect(target)
    ids = [row["id"] for row in field_rows(fields)]
    field_id = request.form.get("field", "")
    if field_id not in ids:
        abort(404)
    label = next(r["label"] for r in field_rows(fields) if r["id"] == field_id)
    if action == "move_field":
        position = ids.index(field_id) + (-1 if request.form.get("direction") == "up" else 1)
        if 0 <= position < len(ids):
            apply_edit(
                info.key,
                lambda d: editing.move_field(d, field_id, step_id, index=position, group=group),
            )
        return _back(info, step_id, group, f"campo-{field_id}")
    if action == "duplicate_field":
        result = apply_edit(info.key, lambda d: editing.duplicate_field(d, field_id))
        if result is not None:
            flash(_("Se duplicó el campo «%(label)s».", label=label))
        return _back(info, step_id, group, f"campo-{field_id}")
    if action == "remove_field":
        if apply_edit(info.key, lambda d: editing.remove_field(d, field_id)) is not None:
            flash(_("Se eliminó el campo «%(label)s».", label=label))
        return _back(info, step_id, group, "campos")
    abort(400)


def _texts(prefix: str) -> dict[str, str] | None:
    """A {es, en} text from the inputs `<prefix>_es` and `<prefix>_en`; None when empty."""
    es = request.form.get(f"{prefix}_es", "").strip()[:2000]
    en = request.form.get(f"{prefix}_en", "").strip()[:2000]
    if not es:
        return None
    return {"es": es, "en": en} if en else {"es": es}


@step_editor("form")
def form_step(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """The form's name and summary, its fields in order, the palette and where it goes next."""
    response = handle_transitions(info, doc, step)
    if response is None:
        response = handle_eligibility(info, doc, step)
    if response is not None:
        return response
    step_id = str(step["id"])
    if request.method == "POST":
        action = request.form.get("action", "")
        if action in FIELD_ACTIONS:
            return list_action(info, doc, step_id, None, step.get("fields"))
        if action != "details":
            abort(400)
        title = _texts("title")
        if title is None:
            flash(_("Escriba el nombre del paso en español."), "error")
            return _back(info, step_id, None)
        changes = {"title": title, "description": _texts("description")}
        if apply_edit(info.key, lambda d: editing.set_step(d, step_id, changes)) is not None:
            flash(_("Se guardaron el nombre y la descripción del paso."))
        return _back(info, step_id, None)
    return render_editor(
        "configurator/form_step.html",
        info.key,
        "configurator.steps",
        doc=doc,
        step=step,
        step_type_label=localized(FormStep.label, reader_language()),
        fields=field_rows(step.get("fields")),
        palette=palette_items(),
        **transitions_context(doc, step),
        **eligibility_context(doc, step),
    )


# -- one field --------------------------------------------------------------------------------


def _locate(doc: Doc, step_id: str, field_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The field `field_id` of the form step `step_id` and the group holding it (if any)."""
    for step in doc.get("steps") or ():
        if not isinstance(step, dict) or step.get("id") != step_id:
            continue
        if step.get("type") not in editing.FIELD_HOLDERS:
            continue
        for fld in step.get("fields") or ():
            if not isinstance(fld, dict):
                continue
            if fld.get("id") == field_id:
                return fld, None
            for sub in fld.get("fields") or ():
                if isinstance(sub, dict) and sub.get("id") == field_id:
                    return sub, fld
    abort(404)


def _step(doc: Doc, step_id: str) -> dict[str, Any]:
    return next(s for s in doc["steps"] if isinstance(s, dict) and s.get("id") == step_id)


def _read_basics(fld: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The changes the basics form posts, and the errors by input name."""
    lang = reader_language()
    errors: dict[str, str] = {}
    label = _texts("label")
    if label is None:
        errors["label_es"] = _("Escriba la pregunta o etiqueta del campo en español.")
    changes: dict[str, Any] = {
        "label": label,
        "help": _texts("help"),
        "required": True if request.form.get("required") else None,
    }
    for option in option_inputs(str(fld.get("type"))):
        name = f"opt-{option.name}"
        try:
            changes[option.name] = read_option(option, request.form.get(name))
        except OptionValueError as error:
            errors[name] = error.message(lang)
    return changes, errors


@blueprint.route("/<key>/pasos/<step_id>/campos/<field_id>", methods=["GET", "POST"])
def field(key: str, step_id: str, field_id: str) -> ResponseReturnValue:
    """One field: label, help, required, its type's options, its type, its option list, its
    sub-fields (a repeating group) and the condition that shows it."""
    info = editable(key)
    doc = catalog().draft(info.key)
    fld, group = _locate(doc, step_id, field_id)
    rule = fld.get("show_if")
    builder = builder_for(rule, condition_fields(doc, step_id, field_id))
    here = url_for("configurator.field", key=info.key, step_id=step_id, field_id=field_id)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        part = request.form.get("part", "")
        if request.form.get("action") in FIELD_ACTIONS and fld.get("type") == "group":
            return list_action(info, doc, step_id, field_id, fld.get("fields"))
        if part == "basics":
            changes, errors = _read_basics(fld)
            if not errors:
                if apply_edit(info.key, lambda d: editing.set_field(d, field_id, changes)):
                    flash(_("Se guardó el campo."))
                return redirect(here)
            status = 422
        elif part == "type":
            new_type = request.form.get("type", "")
            result = apply_edit(
                info.key, lambda d: editing.change_field_type(d, field_id, new_type)
            )
            if result is not None:
                flash(_("Se cambió el tipo del campo."))
            return redirect(here + "#tipo")
        elif part == "options":
            options = parse_option_lines(request.form.get("options_text", "")[:200_000])
            if options:
                change = {"options": options}
                if apply_edit(info.key, lambda d: editing.set_field(d, field_id, change)):
                    flash(_("Se guardaron %(num)s opciones.", num=len(options)))
                return redirect(here + "#opciones")
            errors["options_text"] = _("Escriba al menos una opción, una por renglón.")
            status = 422
        elif part == "condition":
            builder, save = posted_builder(request.form, builder.fields, rule)
            if save is not KEEP:
                target = f"fields/{field_id}"
                if apply_edit(info.key, lambda d: editing.set_condition(d, target, save)):
                    flash(_("Se guardó la condición.") if save else _("Se quitó la condición."))
                return redirect(here + "#condicion")
            status = 422 if builder.errors else 200
        else:
            abort(400)
    return _field_page(info, doc, step_id, fld, group, builder, errors, status)


def _field_page(
    info: TemplateInfo,
    doc: Doc,
    step_id: str,
    fld: dict[str, Any],
    group: dict[str, Any] | None,
    builder: Builder,
    errors: dict[str, str],
    status: int,
) -> ResponseReturnValue:
    lang = reader_language()
    cls = field_type(fld)
    form = request.form if status != 200 else {}
    inputs = [
        {
            "option": option,
            "label": localized(option.label, lang),
            "value": form.get(f"opt-{option.name}", shown_value(option, fld.get(option.name))),
            "error": errors.get(f"opt-{option.name}"),
        }
        for option in option_inputs(cls.name)
    ]
    schemas = [o.schema for o in cls.options.values()]
    return render_editor(
        "configurator/field.html",
        info.key,
        "configurator.steps",
        doc=doc,
        status=status,
        step=_step(doc, step_id),
        field=fld,
        field_label=localized(fld.get("label"), lang, str(fld["id"])),
        type_label=localized(cls.label, lang),
        group=group,
        group_label=localized(group.get("label"), lang, str(group["id"])) if group else "",
        inputs=inputs,
        errors=errors,
        form=form,
        has_option_list=any(is_option_list(s) for s in schemas),
        options_text=form.get("options_text", option_lines(fld.get("options") or ())),
        is_group=any(is_subfield_list(s) for s in schemas),
        subfields=field_rows(fld.get("fields")),
        types=[
            item
            for item in palette_items(in_group=group is not None)
            if not REGISTRY[item[0]].is_group
        ],
        group_palette=palette_items(in_group=True),
        builder=builder,
    )
