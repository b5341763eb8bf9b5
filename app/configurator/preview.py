"""Trying a procedure before it is live, from its draft: the wizard as a citizen will see it
(every form step, conditions live), and the test run — sample answers (prefilled from the
template's examples, editable), a decision per task and a payment outcome give the path
taken, the fees, the tasks that would open with their deadlines, the notifications that
would be sent and the document PDF marked «VISTA PREVIA». No case, no e-mail, nothing in an
inbox: `app.trial` walks the engine in memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.citizen.cases import status_label
from app.citizen.wizard.preview import UnknownStepError, UnsoundStepError, render_step_preview
from app.configurator.common import (
    blueprint,
    catalog,
    editable,
    render_editor,
    services,
)
from app.formatting import (
    answer_lines,
    department_names,
    format_date,
    localized,
    money,
    reader_language,
)
from app.trial import TrialRun, preview_pdf, run_trial
from workflow_engine.engine import ProcedureDefinition
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.model import Field
from workflow_engine.templates.preview import DECISIONS, readable, sample_data

__all__ = ["preview", "preview_step", "test_run", "test_run_document"]

MAX_DECISIONS = 8  # rows offered on the test run page (returns loop back to a review)


def _definition(doc: Mapping[str, Any]) -> ProcedureDefinition:
    return ProcedureDefinition(readable(doc))


def _step_name(step: Mapping[str, Any], lang: str, default: str) -> str:
    return localized(step.get("title") or step.get("name"), lang, default)


def _form_steps(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    steps = {s.get("id"): s for s in doc.get("steps") or [] if isinstance(s, Mapping)}
    lang = reader_language()
    return [
        {"id": sid, "name": _step_name(steps.get(sid, {}), lang, sid)}
        for sid in _definition(doc).form_steps()
    ]


# -- preview as a citizen -------------------------------------------------------------------


@blueprint.route("/<key>/vista-previa")
def preview(key: str) -> ResponseReturnValue:
    info = editable(key)
    doc = catalog().draft(info.key)
    return render_editor(
        "configurator/preview.html",
        info.key,
        "configurator.preview",
        doc=doc,
        steps=_form_steps(doc),
    )


@blueprint.route("/<key>/vista-previa/<step_id>", methods=["GET", "POST"])
def preview_step(key: str, step_id: str) -> ResponseReturnValue:
    """A form step drawn by the wizard from the draft; «Continuar» goes to the next one."""
    info = editable(key)
    doc = catalog().draft(info.key)
    order = [s["id"] for s in _form_steps(doc)]
    if step_id not in order:
        abort(404)
    at = order.index(step_id)
    if request.method == "POST":
        if at + 1 < len(order):
            return redirect(url_for(".preview_step", key=info.key, step_id=order[at + 1]))
        flash(_("Fin del formulario: así lo llenaría la persona solicitante. Nada se guardó."))
        return redirect(url_for(".preview", key=info.key))
    back = (
        url_for(".preview_step", key=info.key, step_id=order[at - 1])
        if at > 0
        else url_for(".preview", key=info.key)
    )
    try:
        html = render_step_preview(
            doc,
            step_id,
            lang=reader_language(),
            urls=(url_for(".preview_step", key=info.key, step_id=step_id), back),
            cookie=request.headers.get("Cookie"),
        )
    except UnknownStepError:
        abort(404)
    except UnsoundStepError as exc:
        return render_editor(
            "configurator/preview.html",
            info.key,
            "configurator.preview",
            doc=doc,
            steps=_form_steps(doc),
            unsound=step_id,
            unsound_problems=[p.message(reader_language()) for p in exc.problems],
            status=422,
        )
    return Response(html, mimetype="text/html")


# -- test run -------------------------------------------------------------------------------


def _simple(fld: Field) -> bool:
    """A field answered in one input (text, number, a choice...): editable on the test run
    page; the others (files, groups, addresses, points) keep their sample answer."""
    if fld.takes_files or fld.is_group:
        return False
    return fld.kind.form_names("x") == {"x"}


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return _("sí") if value else _("no")
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value)
    return str(value)


def _data_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per form step: its fields with the sample answer (the template's example data, else
    a value of the field's type) or the answer typed on the page."""
    definition = _definition(doc)
    samples = sample_data(definition)
    lang = reader_language()
    rows = []
    for step in _form_steps(doc):
        fields = []
        for fld in definition.model.fields_of(step["id"]):
            name = f"d.{step['id']}.{fld.id}"
            value = samples.get(step["id"], {}).get(fld.id)
            sample = _shown(value) if _simple(fld) else "; ".join(answer_lines(fld, value))
            fields.append(
                {
                    "name": name,
                    "field": fld.id,
                    "multiple": isinstance(value, list),
                    "id": f"d-{step['id']}-{fld.id}",
                    "label": fld.title(lang),
                    "editable": _simple(fld),
                    "value": request.args.get(name, sample),
                    "sample": sample,
                    "options": [(o.value, localized(o.label, lang, o.value)) for o in fld.options],
                }
            )
        rows.append({**step, "fields": fields})
    return rows


def _typed_data(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The sample answers with those typed on the page in their place, per step."""
    definition = _definition(doc)
    data = sample_data(definition)
    for step in _form_steps(doc):
        for fld in definition.model.fields_of(step["id"]):
            name = f"d.{step['id']}.{fld.id}"
            if _simple(fld) and name in request.args:
                typed = request.args[name].strip()[:2000]
                data.setdefault(step["id"], {})[fld.id] = typed if typed else None
    return data


def _decisions() -> list[str]:
    chosen = [d for d in request.args.getlist("decision")[:MAX_DECISIONS] if d]
    if any(d not in DECISIONS for d in chosen):
        abort(400)
    return chosen


def _trial(doc: Mapping[str, Any]) -> TrialRun:
    return run_trial(
        services(),
        doc,
        _typed_data(doc),
        _decisions(),
        at=utcnow(),
        pay=request.args.get("pago", "pagado") != "pendiente",
    )


def _recipient(to: str, departments: Mapping[str, str]) -> str:
    if to == "applicant":
        return _("la persona solicitante")
    if to.startswith("department:"):
        key = to.split(":", 1)[1]
        return _("el personal de %(department)s", department=departments.get(key, key))
    return to


def _report(doc: Mapping[str, Any], trial: TrialRun) -> dict[str, Any]:
    lang = reader_language()
    sim = trial.simulation
    steps = {s.get("id"): s for s in doc.get("steps") or [] if isinstance(s, Mapping)}
    departments = department_names(lang)
    decision_words = {
        "approve": _("Aprobar"),
        "reject": _("Rechazar"),
        "return": _("Devolver para corrección"),
    }
    return {
        "path": [_step_name(steps.get(s, {}), lang, s) for s in sim.path],
        "status": status_label(sim.status, sim.outcome, lang),
        "stopped": (trial.stopped[1] if lang == "en" else trial.stopped[0])
        if trial.stopped
        else None,
        "fees": [
            {
                "step": _step_name(steps.get(f.step_id, {}), lang, f.step_id),
                "lines": [
                    (
                        localized(line.get("label"), lang, str(line.get("id"))),
                        money(line["amount_cents"], f.currency),
                    )
                    for line in f.lines
                ],
                "total": money(f.total_cents, f.currency),
                "waived": f.waived,
            }
            for f in sim.fees
        ],
        "tasks": [
            {
                "step": _step_name(steps.get(t.step_id, {}), lang, t.step_id),
                "department": departments.get(t.department, t.department),
                "role": t.role,
                "due": format_date(t.due_on, lang) if t.due_on else "—",
                "decision": decision_words.get(t.decision or "", _("pendiente")),
            }
            for t in sim.tasks
        ],
        "notifications": [
            {"template": n.template, "to": _recipient(n.to, departments)} for n in sim.notifications
        ],
        "documents": [
            {"index": i, "step": _step_name(steps.get(d.step_id, {}), lang, d.step_id)}
            for i, d in enumerate(sim.documents)
        ],
        "notes": [en if lang == "en" else es for es, en in sim.notes],
    }


@blueprint.route("/<key>/prueba")
def test_run(key: str) -> ResponseReturnValue:
    """The test run: a GET form (nothing changes), its result under it once run."""
    info = editable(key)
    doc = catalog().draft(info.key)
    ran = request.args.get("correr") == "1"
    report = _report(doc, _trial(doc)) if ran else None
    chosen = request.args.getlist("decision") if ran else ["approve"] * 3
    return render_editor(
        "configurator/test_run.html",
        info.key,
        "configurator.test_run",
        doc=doc,
        data_rows=_data_rows(doc),
        decisions=[*chosen, *[""] * MAX_DECISIONS][:MAX_DECISIONS],
        decision_choices=[
            ("approve", _("Aprobar")),
            ("reject", _("Rechazar")),
            ("return", _("Devolver para corrección")),
        ],
        paying=request.args.get("pago", "pagado") != "pendiente",
        report=report,
        query=request.query_string.decode("ascii", "replace"),
    )


@blueprint.route("/<key>/prueba/documento/<int:number>")
def test_run_document(key: str, number: int) -> ResponseReturnValue:
    """The PDF of the test run's document `number`, marked «VISTA PREVIA», never signed."""
    info = editable(key)
    doc = catalog().draft(info.key)
    trial = _trial(doc)
    documents = trial.simulation.documents
    if not 0 <= number < len(documents):
        abort(404)
    pdf = preview_pdf(services(), doc, documents[number], utcnow())
    if pdf is None:
        flash(_("No se pudo generar la vista previa del documento; revise sus problemas."), "error")
        return redirect(url_for(".test_run", key=info.key))
    name = f"{info.key}-{documents[number].step_id}-vista-previa.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
