"""The problems panel: every error and warning of the validator in plain language, errors
first, each linking to the page (and the input) where it is fixed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import blueprint, catalog, draft_problems, editable, render_editor
from app.configurator.information import input_label, plain_message
from app.configurator.procedures import section_label, section_url
from app.formatting import localized, reader_language
from workflow_engine.templates import sections
from workflow_engine.templates.sections import Location


def problem_url(key: str, doc: Mapping[str, Any], where: Location) -> str | None:
    """The page where the problem at `where` is fixed: the information page at its input,
    a field's page (its step's page at the field while there is none), a step's page, or
    the section's page."""
    if where.section == sections.INFORMATION:
        anchor = f"#{where.anchor}" if where.anchor else ""
        return url_for("configurator.information", key=key) + anchor
    if where.step is not None and where.field is not None:
        if "configurator.field" in current_app.view_functions:
            return url_for("configurator.field", key=key, step_id=where.step, field_id=where.field)
        return url_for("configurator.step", key=key, step_id=where.step) + f"#campo-{where.field}"
    if where.step is not None:
        return url_for("configurator.step", key=key, step_id=where.step)
    return section_url(key, where.section, sections.steps_of(doc, where.section))


def _find(items: Any, wanted: str) -> Mapping[str, Any] | None:
    for item in items if isinstance(items, list) else ():
        if isinstance(item, Mapping):
            if item.get("id") == wanted:
                return item
            inner = _find(item.get("fields"), wanted)
            if inner is not None:
                return inner
    return None


def place_label(doc: Mapping[str, Any], where: Location) -> str:
    """Where the problem is, in words: «Pagos y tarifas · paso «Pago» · pregunta «CURP»»."""
    lang = reader_language()
    parts = [section_label(where.section)]
    if where.section == sections.INFORMATION and where.anchor:
        parts.append(input_label(where.anchor))
    step = _find(doc.get("steps"), where.step) if where.step else None
    if where.step:
        title = localized(step.get("title"), lang, where.step) if step else where.step
        parts.append(_("paso «%(name)s»", name=title))
    if where.field:
        found = _find(step.get("fields") if step else None, where.field)
        label = localized(found.get("label"), lang, where.field) if found else where.field
        parts.append(_("pregunta «%(name)s»", name=label))
    return " · ".join(parts)


@blueprint.route("/<key>/problemas")
def problems(key: str) -> ResponseReturnValue:
    info = editable(key)
    doc = catalog().draft(info.key)
    found = draft_problems(doc)
    lang = reader_language()
    items = []
    for problem in found:
        where = sections.locate(doc, problem)
        items.append(
            {
                "error": problem.is_error,
                "message": (
                    plain_message(problem, lang)
                    if where.section == sections.INFORMATION
                    else problem.message(lang)
                ),
                "place": place_label(doc, where),
                "href": problem_url(info.key, doc, where),
            }
        )
    return render_editor(
        "configurator/problems.html",
        info.key,
        "configurator.problems",
        doc=doc,
        problems=found,
        errors=[i for i in items if i["error"]],
        warnings=[i for i in items if not i["error"]],
    )
