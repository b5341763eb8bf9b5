"""The pages of the review steps (approval, parallel approval), the notice, the call to another
system and the end. (Payment and document steps have their own modules.)

Every part of a page is a plain form posting `part` (and `revision`); a bad value draws the
page again with the message beside its input and in the error summary (422), nothing saved.
The validator's problems of the step (paths under `$.steps[i]`) are shown the same way.
Conditions (a parallel branch's, an approval route's, the review's own `when`) are edited on
the step page with `?condicion=<element>` through transitions.edit_condition."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask import abort, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.configurator.common import (
    Doc,
    Operation,
    apply_edit,
    catalog,
    render_editor,
    step_editor,
)
from app.configurator.conditions import condition_fields
from app.configurator.form_step import FIELD_ACTIONS, field_rows, list_action, palette_items
from app.configurator.identifiers import chosen_id
from app.configurator.transitions import (
    ConditionTarget,
    condition_summary,
    edit_condition,
    handle_transitions,
    step_choices,
    step_url,
    transitions_context,
)
from app.formatting import department_names, localized, reader_language
from app.i18n import N_
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.persistence.platform.staff import KNOWN_TAGS
from workflow_engine.templates import editing
from workflow_engine.templates.option_lists import slug, unique_id
from workflow_engine.templates.references import clone
from workflow_engine.templates.step_types import STEP_TYPES
from workflow_engine.templates.step_types.review import outcome_routes

__all__ = ["connector_step", "end_step", "notify_step", "review_step", "step_problems"]

ROLE = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
INPUT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
RESULT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,62}$")
LAPSES = (
    ("escalate", N_("Escalar al superior del área")),
    ("afirmativa_ficta", N_("Afirmativa ficta: se tiene por aprobada")),
    ("negativa_ficta", N_("Negativa ficta: se tiene por rechazada")),
)
END_OUTCOMES = (
    ("approved", N_("Aprobado")),
    ("rejected", N_("Rechazado")),
    ("cancelled", N_("Cancelado")),
)
RECIPIENTS = (
    ("applicant", N_("La persona solicitante")),
    ("department", N_("El área responsable del trámite")),
)
REVIEW_AGAIN = (
    ("returned", N_("Solo las áreas que la devolvieron")),
    ("all", N_("Todas las áreas otra vez")),
)
BLANK_ROWS = 2

Errors = dict[str, str]


# -- shared parts -----------------------------------------------------------------------------


def _texts(prefix: str) -> dict[str, str] | None:
    """A {es, en} text from the inputs `<prefix>_es` and `<prefix>_en`; None when empty."""
    es = request.form.get(f"{prefix}_es", "").strip()[:2000]
    en = request.form.get(f"{prefix}_en", "").strip()[:2000]
    if not es:
        return None
    return {"es": es, "en": en} if en else {"es": es}


def _days(name: str, low: int, high: int, errors: Errors, *, optional: bool = False) -> Any:
    raw = request.form.get(name, "").strip()
    if optional and not raw:
        return None
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    errors[name] = _(
        "Escriba un número entero de días entre %(low)s y %(high)s.", low=low, high=high
    )
    return None


def step_problems(doc: Doc, step: Mapping[str, Any]) -> dict[str, list[str]]:
    """The validator's messages about `step`, by the property they are about («» for the step
    as a whole): what its page shows beside the inputs."""
    steps = doc.get("steps") or []
    index = next((n for n, s in enumerate(steps) if s is step), None)
    if index is None:
        return {}
    pattern = re.compile(rf"^\$\.steps\[{index}\](?:\.([A-Za-z_]+))?")
    lang = reader_language()
    out: dict[str, list[str]] = {}
    for problem in catalog().validate(doc):
        found = pattern.match(problem.path)
        if found and problem.is_error:
            out.setdefault(found.group(1) or "", []).append(problem.message(lang))
    return out


def _change(step_id: str, changes: Callable[[dict[str, Any]], dict[str, Any]]) -> Operation:
    """An operation setting the properties `changes` computes from the step as it is in the
    draft the operation applies to."""

    def operation(doc: Doc) -> editing.EditResult:
        found = next(
            (s for s in doc.get("steps") or () if isinstance(s, dict) and s.get("id") == step_id),
            None,
        )
        if found is None:
            return editing.set_step(doc, step_id, {})  # raises the EditError of a missing step
        return editing.set_step(doc, step_id, changes(clone(found)))

    return operation


def _save(
    info: TemplateInfo, step: Mapping[str, Any], changes: dict[str, Any], done: str
) -> Response:
    if apply_edit(info.key, lambda d: editing.set_step(d, str(step["id"]), changes)):
        flash(done)
    return redirect(step_url(info, step))


def _details(info: TemplateInfo, step: Mapping[str, Any], errors: Errors) -> Response | None:
    title = _texts("title")
    if title is None:
        errors["title_es"] = _("Escriba el nombre del paso en español.")
        return None
    changes = {"title": title, "description": _texts("description")}
    return _save(info, step, changes, _("Se guardaron el nombre y la descripción del paso."))


def _page(
    template: str,
    info: TemplateInfo,
    doc: Doc,
    step: dict[str, Any],
    errors: Errors,
    **context: Any,
) -> ResponseReturnValue:
    """The step's page with the validator's problems and the posted errors beside the inputs
    (the errors by input name; they also go to the summary, linking to their input)."""
    lang = reader_language()
    found = step_problems(doc, step)
    for name, message in errors.items():
        found.setdefault(name, []).insert(0, message)
    summary = [(name, m) for name, messages in found.items() for m in messages]
    return render_editor(
        template,
        info.key,
        "configurator.steps",
        doc=doc,
        status=422 if errors else 200,
        step=step,
        step_type_label=localized(STEP_TYPES[str(step["type"])].label, lang),
        step_errors=found,
        summary=summary,
        form=request.form if errors else {},
        **context,
    )


# -- review steps -----------------------------------------------------------------------------


def _role_suggestions(doc: Doc) -> list[str]:
    roles = set(KNOWN_TAGS)
    for step in doc.get("steps") or ():
        if isinstance(step, Mapping):
            for holder in [
                step,
                *[b for b in step.get("branches") or () if isinstance(b, Mapping)],
            ]:
                if isinstance(holder.get("role"), str):
                    roles.add(holder["role"])
    return sorted(roles)


def _outcome_dict(step: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the step's outcomes (empty when it has none or they are damaged)."""
    outcomes = step.get("outcomes")
    return dict(outcomes) if isinstance(outcomes, Mapping) else {}


def _routes(step: Mapping[str, Any]) -> list[dict[str, Any]]:
    outcomes = step.get("outcomes") if isinstance(step.get("outcomes"), Mapping) else {}
    return [dict(r) for r in outcome_routes((outcomes or {}).get("approve"))]


def _stored_routes(routes: list[dict[str, Any]]) -> Any:
    """One unconditional route is stored as {"to": ...}; several as the ordered list."""
    if len(routes) == 1 and "when" not in routes[0]:
        return {"to": routes[0].get("to")}
    return routes


def _with_routes(step: dict[str, Any], routes: list[dict[str, Any]]) -> dict[str, Any]:
    outcomes = _outcome_dict(step)
    outcomes["approve"] = _stored_routes(routes)
    return {"outcomes": outcomes}


def _review_target(doc: Doc, step: dict[str, Any], element: str) -> ConditionTarget:
    step_id = str(step["id"])
    kind, _sep, item = element.partition("/")
    if kind == "when" and not item:
        return ConditionTarget(
            "when",
            _("Cuándo se hace esta revisión"),
            step.get("when"),
            lambda rule: lambda d: editing.set_step(d, step_id, {"when": rule}),
            "cuando",
            _("Hacer la revisión solo cuando se cumplan"),
        )
    if kind == "branches" and step.get("type") == "parallel":
        branch = next(
            (
                b
                for b in step.get("branches") or ()
                if isinstance(b, Mapping) and b.get("id") == item
            ),
            None,
        )
        if branch is None:
            abort(404)
        return ConditionTarget(
            element,
            _("Cuándo revisa la rama «%(branch)s»", branch=item),
            branch.get("when"),
            lambda rule: (
                lambda d: editing.set_condition(d, f"steps/{step_id}/branches/{item}", rule)
            ),
            f"rama-{item}",
            _("Esta área revisa solo cuando se cumplan"),
        )
    routes = _routes(step)
    if kind == "approve" and item.isdigit() and int(item) < len(routes):
        n = int(item)

        def save(rule: Any) -> Operation:
            def changes(current: dict[str, Any]) -> dict[str, Any]:
                now = _routes(current)
                if n >= len(now):
                    return {}
                if rule is None:
                    now[n].pop("when", None)
                else:
                    now[n]["when"] = rule
                return _with_routes(current, now)

            return _change(step_id, changes)

        return ConditionTarget(
            element,
            _("Condición de la ruta %(num)s al aprobar", num=n + 1),
            routes[n].get("when"),
            save,
            "al-aprobar",
        )
    abort(404)


def _review_settings(info: TemplateInfo, step: dict[str, Any], errors: Errors) -> Response | None:
    changes: dict[str, Any] = {
        "deadline_days": _days("deadline_days", 1, 365, errors),
        "reminder_days_before": _days("reminder_days_before", 0, 60, errors, optional=True),
    }
    on_lapse = request.form.get("on_lapse", "")
    if on_lapse not in dict(LAPSES):
        errors["on_lapse"] = _("Elija qué pasa si vence el plazo.")
    changes["on_lapse"] = on_lapse
    if step.get("type") == "approval":
        department = request.form.get("department", "")
        if department in department_names():
            changes["department"] = department
            changes["department_rule"] = None
        elif department or "department_rule" not in step:
            errors["department"] = _("Elija el área que revisa.")
        role = request.form.get("role", "").strip()
        if not ROLE.match(role):
            errors["role"] = _(
                "Escriba el rol en minúsculas, sin espacios ni acentos (por ejemplo revisor)."
            )
        changes["role"] = role
    if errors:
        return None
    return _save(info, step, changes, _("Se guardaron el área, el plazo y los recordatorios."))


def _branch_action(info: TemplateInfo, step: dict[str, Any], errors: Errors) -> Response | None:
    step_id = str(step["id"])
    action = request.form.get("action", "")
    branch_id = request.form.get("branch", "")
    ids = [str(b.get("id")) for b in step.get("branches") or () if isinstance(b, Mapping)]
    if action == "remove":
        if branch_id not in ids:
            abort(404)
        result = apply_edit(
            info.key,
            _change(
                step_id,
                lambda s: {
                    "branches": [b for b in s.get("branches") or () if b.get("id") != branch_id]
                },
            ),
        )
        if result is not None:
            flash(_("Se quitó el área de la revisión."))
        return redirect(step_url(info, step, "ramas"))
    prefix = "new" if action == "add" else f"b-{branch_id}"
    department = request.form.get(f"{prefix}-department", "")
    role = request.form.get(f"{prefix}-role", "").strip()
    if department not in department_names():
        errors[f"{prefix}-department"] = _("Elija el área que revisa.")
    if not ROLE.match(role):
        errors[f"{prefix}-role"] = _(
            "Escriba el rol en minúsculas, sin espacios ni acentos (por ejemplo revisor)."
        )
    if errors:
        return None
    if action == "add":
        new_id = chosen_id("new-id", ids, unique_id(slug(department, fallback="area"), ids))
        if new_id is None:
            return redirect(step_url(info, step, "ramas"))
        new = {"id": new_id, "department": department, "role": role}
        operation = _change(step_id, lambda s: {"branches": [*(s.get("branches") or []), new]})
        done = _("Se agregó el área a la revisión.")
    elif action == "save" and branch_id in ids:

        def changed(s: dict[str, Any]) -> dict[str, Any]:
            branches = s.get("branches") or []
            for b in branches:
                if b.get("id") == branch_id:
                    b.update(department=department, role=role)
            return {"branches": branches}

        operation = _change(step_id, changed)
        done = _("Se guardó el área de la revisión.")
    else:
        abort(400)
    if apply_edit(info.key, operation) is not None:
        flash(done)
    return redirect(step_url(info, step, "ramas"))


def _approve_action(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> Response | None:
    step_id = str(step["id"])
    action = request.form.get("action", "")
    routes = _routes(step)
    back = redirect(step_url(info, step, "al-aprobar"))
    to = request.form.get("to", "")
    if action in ("add", "set") and to not in dict(step_choices(doc, but=step_id)):
        flash(_("Elija el paso al que lleva la ruta."), "error")
        return back
    if action == "add":
        position = len(routes) - 1 if routes and "when" not in routes[-1] else len(routes)

        def add(s: dict[str, Any]) -> dict[str, Any]:
            now = _routes(s)
            now.insert(min(position, len(now)), {"to": to})
            return _with_routes(s, now)

        if apply_edit(info.key, _change(step_id, add)) is None:
            return back
        if position < len(routes):
            flash(_("Se agregó la ruta; indique cuándo se sigue."))
            return redirect(step_url(info, step, condicion=f"approve/{position}"))
        flash(_("Se agregó la ruta."))
        return back
    raw = request.form.get("route", "")
    if not raw.isdigit() or int(raw) >= len(routes):
        abort(404)
    n = int(raw)
    if action == "set":
        routes[n]["to"] = to
    elif action in ("up", "down"):
        other = n - 1 if action == "up" else n + 1
        if not 0 <= other < len(routes):
            return back
        routes[n], routes[other] = routes[other], routes[n]
    elif action == "remove":
        if len(routes) == 1:
            flash(_("Al aprobar se necesita al menos una ruta."), "error")
            return back
        routes.pop(n)
    else:
        abort(400)
    if apply_edit(info.key, _change(step_id, lambda s: _with_routes(s, routes))) is not None:
        flash(_("Se guardaron las rutas al aprobar."))
    return back


def _outcomes(
    info: TemplateInfo, doc: Doc, step: dict[str, Any], errors: Errors
) -> Response | None:
    step_id = str(step["id"])
    choices = dict(step_choices(doc, but=step_id))
    reject = request.form.get("reject", "")
    if reject not in choices:
        errors["reject"] = _("Elija a qué paso lleva el rechazo.")
    back_to = request.form.get("return_to", "")
    ret: dict[str, Any] | None = None
    if back_to:
        if back_to not in choices:
            errors["return_to"] = _("Elija el formulario que se devuelve para corregir.")
        days = _days("response_days", 1, 365, errors)
        lapse_to = request.form.get("lapse_to", "")
        if lapse_to not in dict(step_choices(doc, types=("end",))):
            errors["lapse_to"] = _("Elija el final que se aplica si no se corrige a tiempo.")
        ret = {"to_step": back_to, "response_days": days, "lapse_to": lapse_to}
        again = request.form.get("review_again", "returned")
        if again not in dict(REVIEW_AGAIN):
            errors["review_again"] = _("Elija quién vuelve a revisar tras la corrección.")
        if step.get("type") == "parallel" and again == "all":
            ret["review_again"] = "all"
    if errors:
        return None

    def changes(s: dict[str, Any]) -> dict[str, Any]:
        outcomes = _outcome_dict(s)
        outcomes["reject"] = {"to": reject}
        if ret is None:
            outcomes.pop("return", None)
        else:
            outcomes["return"] = ret
        return {"outcomes": outcomes}

    if apply_edit(info.key, _change(step_id, changes)) is not None:
        flash(_("Se guardó a dónde llevan el rechazo y la prevención."))
    return redirect(step_url(info, step, "resultados"))


def _review_post(
    info: TemplateInfo, doc: Doc, step: dict[str, Any], errors: Errors
) -> Response | None:
    part = request.form.get("part", "")
    if request.form.get("action") in FIELD_ACTIONS and step.get("type") == "approval":
        return list_action(info, doc, str(step["id"]), None, step.get("fields"))
    if part == "details":
        return _details(info, step, errors)
    if part == "settings":
        return _review_settings(info, step, errors)
    if part == "branch" and step.get("type") == "parallel":
        return _branch_action(info, step, errors)
    if part == "approve":
        return _approve_action(info, doc, step)
    if part == "outcomes":
        return _outcomes(info, doc, step, errors)
    abort(400)


@step_editor("approval", "parallel")
def review_step(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """Who reviews (an area and role, or several at once), the deadline and what its lapse
    means, reminders, and where approving, rejecting and returning lead."""
    element = request.args.get("condicion", "")
    if element:
        return edit_condition(info, doc, step, _review_target(doc, step, element))
    errors: Errors = {}
    if request.method == "POST":
        response = _review_post(info, doc, step, errors)
        if response is not None:
            return response
    fields = condition_fields(doc, str(step["id"]))
    outcomes = step.get("outcomes") if isinstance(step.get("outcomes"), Mapping) else {}
    reject = (outcomes or {}).get("reject")
    ret = (outcomes or {}).get("return")
    return _page(
        "configurator/step_review.html",
        info,
        doc,
        step,
        errors,
        departments=department_names(),
        roles=_role_suggestions(doc),
        lapses=[(code, _(label)) for code, label in LAPSES],
        review_again=[(code, _(label)) for code, label in REVIEW_AGAIN],
        branches=[
            {**b, "summary": condition_summary(b.get("when"), fields)}
            for b in step.get("branches") or ()
            if isinstance(b, Mapping)
        ],
        when_summary=condition_summary(step.get("when"), fields),
        routes=[
            {
                "to": r.get("to"),
                "conditional": "when" in r,
                "summary": condition_summary(r.get("when"), fields),
            }
            for r in _routes(step)
        ],
        reject_to=reject.get("to") if isinstance(reject, Mapping) else "",
        ret=ret if isinstance(ret, Mapping) else {},
        route_choices=step_choices(doc, but=str(step["id"])),
        end_choices=step_choices(doc, types=("end",)),
        form_choices=step_choices(doc, types=("form",)),
        decision_fields=field_rows(step.get("fields")),
        palette=palette_items(),
    )


# -- notice -----------------------------------------------------------------------------------


@step_editor("notify")
def notify_step(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """Who gets the notice, its subject and message, and where the case goes next."""
    response = handle_transitions(info, doc, step)
    if response is not None:
        return response
    errors: Errors = {}
    if request.method == "POST":
        part = request.form.get("part", "")
        if part == "details":
            response = _details(info, step, errors)
        elif part == "notice":
            response = _notice(info, step, errors)
        else:
            abort(400)
        if response is not None:
            return response
    return _page(
        "configurator/step_notify.html",
        info,
        doc,
        step,
        errors,
        recipients=[(code, _(label)) for code, label in RECIPIENTS],
        **transitions_context(doc, step),
    )


def _notice(info: TemplateInfo, step: dict[str, Any], errors: Errors) -> Response | None:
    to = request.form.get("to", "")
    if to not in dict(RECIPIENTS):
        errors["to"] = _("Elija a quién se envía el aviso.")
    subject, message = _texts("subject"), _texts("message")
    if subject is None:
        errors["subject_es"] = _("Escriba el asunto del aviso en español.")
    if message is None:
        errors["message_es"] = _("Escriba el mensaje del aviso en español.")
    if errors:
        return None
    changes = {"to": to, "subject": subject, "message": message}
    return _save(info, step, changes, _("Se guardó el aviso."))


# -- call to another system -------------------------------------------------------------------


def _operations() -> list[str]:
    from connectors.registry import default_registry

    return default_registry().operations()


def _form_fields(doc: Doc) -> list[tuple[str, str]]:
    """(id, «label (id)») of every field outside groups of every form."""
    lang = reader_language()
    out = []
    for step in doc.get("steps") or ():
        if not isinstance(step, Mapping) or step.get("type") != "form":
            continue
        for fld in step.get("fields") or ():
            if (
                isinstance(fld, Mapping)
                and isinstance(fld.get("id"), str)
                and fld.get("type") != "group"
            ):
                label = localized(fld.get("label"), lang, fld["id"])
                out.append((fld["id"], f"{label} ({fld['id']})"))
    return out


def _rows(prefix: str) -> list[tuple[str, str]]:
    """The rows a mapping table posts (`<prefix>-name-<n>`, `<prefix>-field-<n>`)."""
    try:
        count = min(int(request.form.get(f"{prefix}-count", "0")), 60)
    except ValueError:
        count = 0
    rows = []
    for n in range(count):
        name = request.form.get(f"{prefix}-name-{n}", "").strip()[:63]
        fid = request.form.get(f"{prefix}-field-{n}", "")
        if name or fid:
            rows.append((name, fid))
    return rows


def _connector_save(
    info: TemplateInfo, doc: Doc, step: dict[str, Any], errors: Errors
) -> Response | None:
    connector = request.form.get("connector", "")
    if connector not in _operations() and connector != step.get("connector"):
        errors["connector"] = _("Elija el sistema que se consulta.")
    fields = dict(_form_fields(doc))
    inputs = {
        name: expr
        for name, expr in (step.get("input") or {}).items()
        if not (isinstance(expr, Mapping) and list(expr) == ["var"])
    }  # expressions the table does not show are kept as they are
    for name, fid in _rows("input"):
        if not INPUT_NAME.match(name) or fid not in fields:
            errors["input"] = _(
                "Cada dato enviado necesita un nombre (minúsculas, dígitos y _) y un campo."
            )
        inputs[name] = {"var": fid}
    results = {}
    for name, fid in _rows("result"):
        if not RESULT_NAME.match(name) or fid not in fields:
            errors["result_map"] = _(
                "Cada resultado guardado necesita el nombre que da el sistema y un campo."
            )
        results[name] = fid
    if errors:
        return None
    changes = {"connector": connector, "input": inputs, "result_map": results}
    return _save(info, step, changes, _("Se guardó la consulta."))


@step_editor("connector")
def connector_step(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """Which system is consulted, which answers it gets, in which fields its results are
    stored, and where the case goes next."""
    response = handle_transitions(info, doc, step)
    if response is not None:
        return response
    errors: Errors = {}
    if request.method == "POST":
        part = request.form.get("part", "")
        if part == "details":
            response = _details(info, step, errors)
        elif part == "connector":
            response = _connector_save(info, doc, step, errors)
        else:
            abort(400)
        if response is not None:
            return response
    operations = _operations()
    if step.get("connector") and step["connector"] not in operations:
        operations = [step["connector"], *operations]
    inputs = step.get("input") if isinstance(step.get("input"), Mapping) else {}
    results = step.get("result_map") if isinstance(step.get("result_map"), Mapping) else {}
    simple = [
        (name, expr["var"])
        for name, expr in (inputs or {}).items()
        if isinstance(expr, Mapping) and list(expr) == ["var"]
    ]
    return _page(
        "configurator/step_connector.html",
        info,
        doc,
        step,
        errors,
        operations=operations,
        field_choices=_form_fields(doc),
        input_rows=[*simple, *[("", "")] * BLANK_ROWS],
        other_inputs=[name for name in inputs or {} if name not in dict(simple)],
        result_rows=[*[(k, str(v)) for k, v in (results or {}).items()], *[("", "")] * BLANK_ROWS],
        **transitions_context(doc, step),
    )


# -- end --------------------------------------------------------------------------------------


@step_editor("end")
def end_step(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """The end's name and the outcome it closes the case with."""
    errors: Errors = {}
    if request.method == "POST":
        part = request.form.get("part", "")
        response: Response | None = None
        if part == "details":
            response = _details(info, step, errors)
        elif part == "end":
            outcome = request.form.get("outcome", "")
            if outcome in dict(END_OUTCOMES):
                response = _save(info, step, {"outcome": outcome}, _("Se guardó el resultado."))
            else:
                errors["outcome"] = _("Elija con qué resultado concluye el expediente.")
        else:
            abort(400)
        if response is not None:
            return response
    return _page(
        "configurator/step_end.html",
        info,
        doc,
        step,
        errors,
        end_outcomes=[(code, _(label)) for code, label in END_OUTCOMES],
    )
