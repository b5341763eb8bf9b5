"""The liaison's home: the procedures of their department, and creating one (blank, from an
example, as a copy, by importing JSON); exporting JSON. The editor's overview page."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from app.configurator.common import blueprint, render_editor, visible_procedures
from app.formatting import reader_language


@blueprint.route("/")
def procedure_list() -> ResponseReturnValue:
    lang = reader_language()
    rows = [
        {"key": info.key, "title": info.title.get(lang) or info.title.get("es") or info.key}
        for info in visible_procedures()
    ]
    return render_template("configurator/procedures.html", rows=rows)


@blueprint.route("/<key>/")
def overview(key: str) -> ResponseReturnValue:
    return render_editor("configurator/overview.html", key, "configurator.overview")
