"""Undo of the last changes: the «Deshacer el último cambio» form and its «Cambios recientes»
list (who saved each of the latest revisions, and when), below every editor page
(configurator/_undo.html, included by _editor.html; `common.recent_changes` gives the list).
After an undo the liaison is back on the page the form was on (its `next`), or on the
nearest page that still exists when the undo removed what that page edited.

An undo never rewrites history: the revision before the latest change is saved again as a
new revision (`Catalog.undo`); undoing again goes further back. Like every other change it
is posted with the revision the page was opened at, so a stale undo is refused and says who
saved since."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.configurator.common import (
    base_revision,
    blueprint,
    catalog,
    editable,
    editor,
    forget_editable,
)
from app.formatting import format_moment, reader_language
from workflow_engine.persistence.platform.catalog import NothingToUndoError, RevisionConflictError

__all__ = ["undo"]


def _ids_in(step: Mapping[str, Any], key: str) -> set[str]:
    """The ids of a step's `key` list (fields with their groups' sub-fields, fee lines)."""
    found: set[str] = set()
    for item in step.get(key) or ():
        if isinstance(item, Mapping):
            found.add(str(item.get("id")))
            found.update(
                str(s.get("id")) for s in item.get("fields") or () if isinstance(s, Mapping)
            )
    return found


def _back_to(key: str) -> str:
    """Where the liaison goes after an undo: the editor page the form was on (`next`), or,
    when the undo removed the step, field or fee line that page edits (or `next` is not a
    page of this procedure's editor), the nearest page that still exists."""
    steps_page = url_for("configurator.steps", key=key)
    raw = request.form.get("next", "")[:2000]
    path = raw.partition("?")[0]
    if not path.startswith(f"/configurador/{key}/") or "//" in raw or "\\" in raw:
        return steps_page
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return steps_page
    if not str(endpoint).startswith("configurator.") or args.get("key") != key:
        return steps_page
    step_id = args.get("step_id")
    if step_id is None:
        return raw
    step = next(
        (
            s
            for s in catalog().draft(key).get("steps") or ()
            if isinstance(s, Mapping) and s.get("id") == step_id
        ),
        None,
    )
    if step is None:
        return steps_page
    if ("field_id" in args and args["field_id"] not in _ids_in(step, "fields")) or (
        "line_id" in args and args["line_id"] not in _ids_in(step, "fee_lines")
    ):
        return url_for("configurator.step", key=key, step_id=step_id)
    return raw


@blueprint.route("/<key>/deshacer", methods=["POST"])
def undo(key: str) -> ResponseReturnValue:
    """Undo the latest change of the draft (the form sends the revision it was opened at)."""
    info = editable(key)
    try:
        done = catalog().undo(info.key, editor(), base_revision())
    except (RevisionConflictError, NothingToUndoError) as error:
        flash(error.message(reader_language()), "error")
        return redirect(_back_to(info.key) + "#cambios-recientes")
    finally:
        forget_editable(info.key)
    flash(
        _(
            "Se deshizo el cambio que guardó %(who)s el %(when)s: el borrador volvió a como "
            "estaba en la revisión %(number)s (guardado como revisión %(new)s).",
            who=done.undone.saved_by_name,
            when=format_moment(done.undone.saved_at),
            number=done.revision.base_number,
            new=done.revision.number,
        )
    )
    return redirect(_back_to(info.key) + "#cambios-recientes")
