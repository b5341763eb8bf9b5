"""The flow diagram of a procedure: every step and the ways between them, drawn as SVG in the
browser by a maintained layout library (dagre, vendored), each step a link to its page and
problems marked; the same flow as a text outline for screen readers and without JavaScript."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import blueprint, catalog, editable, render_editor
from app.formatting import localized, reader_language
from workflow_engine.templates import step_types
from workflow_engine.templates.flow import FlowStep, flow
from workflow_engine.templates.step_types.base import Edge

__all__ = ["diagram"]


def _edge_label(edge: Edge) -> str:
    words = {
        "approve": _("si se aprueba"),
        "reject": _("si se rechaza"),
        "return": _("si se devuelve"),
        "lapse": _("si vence el plazo"),
    }
    label = words.get(edge.kind, "")
    if edge.conditional:
        return f"{label}, {_('con condición')}" if label else _("si se cumple la condición")
    return label


def _type_label(type_name: str, lang: str) -> str:
    kind = step_types.get(type_name)
    return localized(kind.label, lang, type_name) if kind is not None else type_name


def _graph(key: str, steps: list[FlowStep], lang: str) -> dict[str, Any]:
    known = {s.id for s in steps}
    titles = {s.id: localized(s.title, lang, s.id) for s in steps}
    nodes = [
        {
            "id": s.id,
            "title": titles[s.id],
            "type": _type_label(s.type, lang),
            "url": url_for("configurator.step", key=key, step_id=s.id),
            "errors": s.errors,
            "warnings": s.warnings,
            "start": s.is_start,
            "end": s.type == "end",
            "reachable": s.reachable,
        }
        for s in steps
    ]
    edges = [
        {"from": s.id, "to": e.to, "label": _edge_label(e), "broken": e.to not in known}
        for s in steps
        for e in s.edges
    ]
    outline = [
        {
            **node,
            "ways": [
                {
                    "to": titles.get(e.to, e.to),
                    "url": url_for("configurator.step", key=key, step_id=e.to)
                    if e.to in known
                    else None,
                    "label": _edge_label(e),
                }
                for e in step.edges
            ],
        }
        for node, step in zip(nodes, steps, strict=True)
    ]
    return {"nodes": nodes, "edges": edges, "outline": outline}


@blueprint.route("/<key>/diagrama")
def diagram(key: str) -> ResponseReturnValue:
    info = editable(key)
    doc = catalog().draft(info.key)
    steps = flow(doc, catalog().validate(doc))
    graph = _graph(info.key, steps, reader_language())
    return render_editor(
        "configurator/diagram.html",
        info.key,
        "configurator.diagram",
        doc=doc,
        graph={"nodes": graph["nodes"], "edges": graph["edges"]},
        outline=graph["outline"],
        labels={
            "errors": _("errores"),
            "warnings": _("avisos"),
            "start": _("Inicio"),
            "missing": _("no existe"),
            "unreachable": _("inalcanzable"),
        },
    )
