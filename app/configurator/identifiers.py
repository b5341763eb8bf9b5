"""The id of a step or of a field, changed by the liaison («Identificador»).

A step's or field's id is made from its title or label when it is added; a liaison who wants
the id a register, a connector or another system expects (`tipo_persona` rather than
`tipo_de_persona`) changes it here. The domain renames it everywhere it is named (routes,
outcomes, conditions, placeholders, mappings, example data): `editing.rename_step` and
`editing.rename_field`. The id's rules and the «already in use» check are theirs."""

from __future__ import annotations

import re
from collections.abc import Collection

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import apply_edit, blueprint, catalog, editable
from workflow_engine.templates import editing
from workflow_engine.templates.references import FIELD, STEP

__all__ = ["ID", "chosen_id", "rename_field", "rename_step"]

ID = re.compile(r"[a-z][a-z0-9_]{0,62}")
"""What an element id may be (the template schema's rule for ids)."""


def chosen_id(name: str, taken: Collection[str], made: str) -> str | None:
    """The id a liaison may type when adding an element (the optional input `name`), else
    `made` (the one made from its name); None, with the reason flashed, when the typed one
    breaks the rules or is taken."""
    wanted = request.form.get(name, "").strip()[:100]
    if not wanted:
        return made
    if ID.fullmatch(wanted) and wanted not in taken:
        return wanted
    flash(
        _(
            "«%(id)s» no sirve como identificador: use letras minúsculas sin acentos, "
            "dígitos y guion bajo, empezando con una letra, y que no se repita.",
            id=wanted,
        ),
        "error",
    )
    return None


def _posted_id() -> str:
    return request.form.get("new_id", "").strip()[:100]


@blueprint.route("/<key>/pasos/<step_id>/identificador", methods=["POST"])
def rename_step(key: str, step_id: str) -> ResponseReturnValue:
    """Give the step `step_id` the posted id (`new_id`), and every reference to it."""
    info = editable(key)
    new_id = _posted_id()
    if apply_edit(info.key, lambda d: editing.rename(d, step_id, new_id, STEP)) is None:
        return redirect(
            url_for("configurator.step", key=info.key, step_id=step_id, _anchor="identificador")
        )
    flash(_("El identificador del paso ahora es «%(id)s».", id=new_id))
    return redirect(
        url_for("configurator.step", key=info.key, step_id=new_id, _anchor="identificador")
    )


def _field_url(key: str, step_id: str, field_id: str) -> str:
    return url_for(
        "configurator.field", key=key, step_id=step_id, field_id=field_id, _anchor="identificador"
    )


@blueprint.route("/<key>/pasos/<step_id>/campos/<field_id>/identificador", methods=["POST"])
def rename_field(key: str, step_id: str, field_id: str) -> ResponseReturnValue:
    """Give the field `field_id` the posted id (`new_id`), and every reference to it."""
    info = editable(key)
    new_id = _posted_id()
    steps = catalog().draft(info.key).get("steps") or ()
    if not any(isinstance(s, dict) and s.get("id") == step_id for s in steps):
        return redirect(url_for("configurator.steps", key=info.key))
    if apply_edit(info.key, lambda d: editing.rename(d, field_id, new_id, FIELD)) is None:
        return redirect(_field_url(info.key, step_id, field_id))
    flash(_("El identificador del campo ahora es «%(id)s».", id=new_id))
    return redirect(_field_url(info.key, step_id, new_id))
