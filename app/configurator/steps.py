"""The steps page: the list of steps, add, remove and reorder (plain buttons, keyboard,
drag and drop); the form step's page lives in form_step.py."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import (
    Doc,
    apply_edit,
    blueprint,
    catalog,
    editable,
    render_editor,
)
from app.formatting import localized, reader_language
from workflow_engine.templates import editing
from workflow_engine.templates.option_lists import slug, unique_id
from workflow_engine.templates.step_types import STEP_TYPES

__all__ = ["first_end", "new_step", "step_rows", "taken_ids"]


def taken_ids(doc: Doc) -> set[str]:
    """Every step and field id of the draft (a new one must be none of them)."""
    taken: set[str] = set()
    for step in doc.get("steps") or ():
        if not isinstance(step, dict):
            continue
        taken.add(str(step.get("id")))
        for fld in step.get("fields") or ():
            if isinstance(fld, dict):
                taken.add(str(fld.get("id")))
                taken.update(str(sub.get("id")) for sub in fld.get("fields") or ())
    return taken


def new_step(doc: Doc, type_name: str, title_es: str, title_en: str = "") -> dict[str, Any]:
    """A minimal step of `type_name`: the registry's defaults, an id made from its title."""
    cls = STEP_TYPES[type_name]
    title = {"es": title_es or cls.label["es"]}
    if title_en or not title_es:
        title["en"] = title_en or cls.label["en"]
    step_id = unique_id(slug(title["es"], fallback="paso"), taken_ids(doc))
    return {"id": step_id, "type": type_name, "title": title, **cls.defaults}


def first_end(doc: Doc) -> int | None:
    """Where a new step goes: before the end steps that close the list (None: last)."""
    steps = doc.get("steps") or []
    position = len(steps)
    while (
        position > 0
        and isinstance(steps[position - 1], dict)
        and (steps[position - 1].get("type") == "end")
    ):
        position -= 1
    start = next((i for i, s in enumerate(steps) if s.get("id") == doc.get("start")), -1)
    return None if position == len(steps) or position <= start else position


def step_rows(doc: Doc) -> list[dict[str, Any]]:
    """The steps as the list shows them: position, id, title, type and what it holds."""
    lang = reader_language()
    rows = []
    steps = doc.get("steps") or ()
    start = next(
        (i for i, s in enumerate(steps) if isinstance(s, dict) and s.get("id") == doc.get("start")),
        None,
    )
    for position, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        cls = STEP_TYPES.get(str(step.get("type")))
        rows.append(
            {
                "position": position,
                "id": step.get("id", ""),
                "title": localized(step.get("title"), lang, str(step.get("id", ""))),
                "type": localized(cls.label, lang) if cls else str(step.get("type")),
                "fields": len(step.get("fields") or ()),
                "start": position == start,
                # nothing may come before the start step: it does not go down, and the step
                # right after it does not go up
                "up": position > 0 and (start is None or position != start + 1),
                "down": position < len(steps) - 1 and position != start,
            }
        )
    return rows


def _type_choices() -> list[tuple[str, str, str]]:
    lang = reader_language()
    return [
        (name, localized(cls.label, lang), localized(cls.description, lang))
        for name, cls in STEP_TYPES.items()
    ]


@blueprint.route("/<key>/pasos", methods=["GET", "POST"])
def steps(key: str) -> ResponseReturnValue:
    """The steps in order; POST adds one of the chosen type at the end."""
    info = editable(key)
    if request.method == "POST":
        type_name = request.form.get("type", "")
        if type_name not in STEP_TYPES:
            flash(_("Elija qué tipo de paso agregar."), "error")
            return redirect(url_for("configurator.steps", key=info.key))
        doc = catalog().draft(info.key)
        title_es = request.form.get("title_es", "").strip()[:200]
        title_en = request.form.get("title_en", "").strip()[:200]
        step = new_step(doc, type_name, title_es, title_en)
        index = None if type_name == "end" else first_end(doc)
        result = apply_edit(info.key, lambda d: editing.add_linked_step(d, step, index=index))
        if result is None:
            return redirect(url_for("configurator.steps", key=info.key))
        flash(_("Se agregó el paso «%(title)s».", title=localized(step["title"])))
        return redirect(url_for("configurator.step", key=info.key, step_id=step["id"]))
    doc = catalog().draft(info.key)
    return render_editor(
        "configurator/steps.html",
        info.key,
        "configurator.steps",
        doc=doc,
        rows=step_rows(doc),
        types=_type_choices(),
    )


def _find(doc: Doc, step_id: str) -> tuple[int, dict[str, Any]]:
    for position, step in enumerate(doc.get("steps") or ()):
        if isinstance(step, dict) and step.get("id") == step_id:
            return position, step
    abort(404)


@blueprint.route("/<key>/pasos/<step_id>/mover", methods=["POST"])
def move_step(key: str, step_id: str) -> ResponseReturnValue:
    """Move a step one place up or down (`direction`), or to `index` (drag and drop)."""
    info = editable(key)
    doc = catalog().draft(info.key)
    position, step = _find(doc, step_id)
    last = len(doc.get("steps") or ()) - 1
    direction = request.form.get("direction", "")
    if direction in ("up", "down"):
        target = position - 1 if direction == "up" else position + 1
    else:
        try:
            target = int(request.form.get("index", ""))
        except ValueError:
            abort(400)
    target = max(0, min(target, last))
    # the script that posts `index` puts the keyboard back on the step itself; a fragment
    # would move it to the page
    anchor = None if "index" in request.form else f"paso-{step_id}"
    here = redirect(url_for("configurator.steps", key=info.key, _anchor=anchor))
    if target == position:
        return here
    result = apply_edit(info.key, lambda d: editing.move_step(d, step_id, target))
    if result is not None:
        flash(
            _(
                "«%(title)s» ahora es el paso %(position)s de %(count)s.",
                title=localized(step.get("title"), None, step_id),
                position=target + 1,
                count=last + 1,
            )
        )
    return here


@blueprint.route("/<key>/pasos/<step_id>/eliminar", methods=["GET", "POST"])
def remove_step(key: str, step_id: str) -> ResponseReturnValue:
    """Ask before removing a step; the POST removes it."""
    info = editable(key)
    doc = catalog().draft(info.key)
    step = _find(doc, step_id)[1]
    title = localized(step.get("title"), None, step_id)
    if request.method == "POST":
        result = apply_edit(info.key, lambda d: editing.remove_step(d, step_id))
        if result is None:
            return redirect(url_for("configurator.steps", key=info.key))
        flash(_("Se eliminó el paso «%(title)s».", title=title))
        return redirect(url_for("configurator.steps", key=info.key))
    pointing = [
        row["title"]
        for row in step_rows(doc)
        if row["id"] != step_id and step_id in _targets(doc, row["id"])
    ]
    return render_editor(
        "configurator/step_remove.html",
        info.key,
        "configurator.steps",
        doc=doc,
        step=step,
        step_title=title,
        pointing=pointing,
    )


def _targets(doc: Doc, step_id: str) -> list[str]:
    step = _find(doc, step_id)[1]
    cls = STEP_TYPES.get(str(step.get("type")))
    try:
        return cls.targets(step) if cls else []
    except (KeyError, TypeError):  # an incomplete draft step
        return []
