"""Undo of the last changes: the editor's «Deshacer el último cambio» form and its «Cambios
recientes» list (who saved each of the latest revisions, and when).

An undo never rewrites history: the revision before the latest change is saved again as a
new revision (`Catalog.undo`); undoing again goes further back. Like every other change it
is posted with the revision the page was opened at, so a stale undo is refused and says who
saved since."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

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

__all__ = ["RECENT", "recent_changes"]

RECENT = 8
"""How many of the latest revisions the «Cambios recientes» list shows."""


def recent_changes(key: str) -> list[dict[str, Any]]:
    """The latest revisions of the draft, newest first: number, who, when, and which
    revision an undo put back."""
    return [
        {
            "number": r.number,
            "who": r.saved_by_name,
            "when": format_moment(r.saved_at),
            "restored": r.restored,
        }
        for r in catalog().revisions(key, limit=RECENT)
    ]


@blueprint.route("/<key>/deshacer", methods=["POST"])
def undo(key: str) -> ResponseReturnValue:
    """Undo the latest change of the draft (the form sends the revision it was opened at)."""
    info = editable(key)
    here = redirect(url_for("configurator.steps", key=info.key, _anchor="cambios-recientes"))
    try:
        done = catalog().undo(info.key, editor(), base_revision())
    except (RevisionConflictError, NothingToUndoError) as error:
        flash(error.message(reader_language()), "error")
        return here
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
    return here
