"""Wizard request handlers: start, one form step per page, check answers, submit, confirmation."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from werkzeug.wrappers import Response

from app.api import queries
from app.auth import accounts, current_account
from app.catalog import localized
from app.db import fetch_one, read_connection, reading
from app.templating import locale_name
from app.wizard import blueprint, display
from app.wizard.forms import (
    anchor_for,
    apply_row_action,
    dom_id,
    editable_fields,
    group_rows,
    parse_step,
)
from app.wizard.uploads import Uploads
from workflow_engine.engine import (
    Actor,
    CaseState,
    Command,
    ConflictError,
    EligibilityError,
    EngineError,
    ProcedureDefinition,
    SaveDraft,
    StartCase,
    StepValidationError,
    SubmitCase,
    SubmitStep,
)
from workflow_engine.engine import state as case_state
from workflow_engine.engine.events import reason_title
from workflow_engine.persistence.models import Case as CaseModel
from workflow_engine.persistence.models import ProcedureVersion, table
from workflow_engine.persistence.service import CommandOutcome, NotFoundError
from workflow_engine.persistence.types import utcnow
from workflow_engine.persistence.uploads import UnknownFileError
from workflow_engine.rules import RuleError, evaluate, is_truthy, referenced_vars
from workflow_engine.templates.fields import FieldError, validate_step_data

cases_t = table(CaseModel)
versions_t = table(ProcedureVersion)


def lang() -> str:
    return "en" if locale_name().startswith("en") else "es"


def services() -> Any:
    return current_app.extensions["tramita"]


# -- loading a case for its applicant -----------------------------------------------------


@dataclass
class Case:
    row: queries.CaseRow
    state: CaseState
    definition: ProcedureDefinition
    actor: Actor

    @property
    def folio(self) -> str:
        return self.row.folio

    def refresh(self, outcome: CommandOutcome | None = None) -> None:
        if outcome is not None:
            self.state = outcome.state
        else:
            self.state, self.definition, _lock = services().cases.load(self.row.id)


def _login_redirect() -> Response:
    return redirect(f"/entrar?next={quote(request.path)}")


# The case row and its state in one statement, on the request's read connection (this used
# to be two queries on two pooled connections per page; see docs/performance.md).
_CASE_BY_FOLIO = (
    select(
        cases_t.c.id,
        cases_t.c.folio,
        cases_t.c.procedure_key,
        versions_t.c.number,
        cases_t.c.applicant_id,
        cases_t.c.created_at,
        cases_t.c.updated_at,
        cases_t.c.version_id,
        cases_t.c.state,
    )
    .join(versions_t, versions_t.c.id == cases_t.c.version_id)
    .where(cases_t.c.folio == bindparam("folio"))
)

_PG_CASE_BY_FOLIO = (
    "SELECT c.id, c.folio, c.procedure_key, v.number, c.applicant_id, c.created_at, "
    "c.updated_at, c.version_id, c.state FROM cases c "
    "JOIN procedure_versions v ON v.id = c.version_id WHERE c.folio = %s"
)


def load_case(folio: str) -> Case | Response:
    """The case if the logged-in person is its applicant; 404 for anybody else."""
    account = current_account()
    if account is None:
        return _login_redirect()
    actor = account.actor()
    svc = services()
    with reading(svc.engine) as conn:
        if conn.dialect.name == "postgresql":
            found = fetch_one(conn, _PG_CASE_BY_FOLIO, (folio,))
        else:
            found = conn.execute(_CASE_BY_FOLIO, {"folio": folio}).one_or_none()
        if found is None or found.applicant_id != actor.id:
            abort(404)
        definition = svc.cases.definition(conn, found.version_id)
    row = queries.CaseRow(
        int(found.id),
        found.folio,
        found.procedure_key,
        int(found.number),
        found.applicant_id,
        found.created_at,
        found.updated_at,
    )
    raw = found.state
    state = CaseState.from_json(json.loads(raw) if isinstance(raw, str) else raw)
    return Case(row, state, definition, actor)


def editable_steps(state: CaseState) -> tuple[str, ...]:
    """The form steps the engine lets the applicant change now."""
    return state.editable_form_steps()


def step_url(folio: str, step_id: str, **args: Any) -> str:
    return url_for("wizard.step", folio=folio, step_id=step_id, **args)


def current_place(case: Case) -> str:
    """Where the applicant should be now."""
    state = case.state
    if state.status == case_state.DRAFT or state.status == case_state.AWAITING_APPLICANT:
        return step_url(case.folio, state.position)
    if state.status == case_state.READY:
        return url_for("wizard.review", folio=case.folio)
    if state.status == case_state.AWAITING_CORRECTION:
        for sid in state.editable_steps:
            if sid not in state.corrected_steps:
                return step_url(case.folio, sid)
        return url_for("wizard.review", folio=case.folio)
    return f"/expedientes/{quote(case.folio)}"


def run(case: Case, command: Command) -> CommandOutcome:
    outcome: CommandOutcome = services().cases.execute(case.row.id, command)
    case.refresh(outcome)
    return outcome


# -- template helpers -------------------------------------------------------------------------


def today() -> date:
    return utcnow().astimezone(services().cases.tz).date()


def eval_data(case: Case) -> dict[str, Any]:
    """Case data as the engine's rules see it (the engine's own function)."""
    return case.definition.case_rule_data(case.state, today().year)


def _shown(rule: Any, context: Mapping[str, Any], case: Case) -> bool:
    try:
        return is_truthy(evaluate(rule, context, tables=case.definition.fee_tables, today=today()))
    except RuleError:
        return True  # like the engine: a rule that cannot be evaluated shows the field


class Errors:
    """Field errors by path, in the citizen's language."""

    def __init__(self, errors: list[FieldError], language: str) -> None:
        self.items = errors
        self.language = language

    def at(self, path: str) -> list[str]:
        return [e.message(self.language) for e in self.items if e.path == path]

    def within(self, path: str) -> list[str]:
        """Errors of `path` and of its parts (`domicilio.street`, `doc[0]`)."""
        return [
            e.message(self.language)
            for e in self.items
            if e.path == path or e.path.startswith(path + ".") or e.path.startswith(path + "[")
        ]

    def exactly_or_index(self, path: str) -> list[str]:
        """Errors of a single input: the path itself or one of its items (`doc[0]`)."""
        return [
            e.message(self.language)
            for e in self.items
            if e.path == path or (e.path.startswith(path + "[") and "." not in e.path[len(path) :])
        ]

    def __bool__(self) -> bool:
        return bool(self.items)


def _anchor(error: FieldError, step: Mapping[str, Any]) -> str | None:
    if error.code == "unknown_field":
        return None
    return anchor_for(error.path, list(step.get("fields") or []))


def _values_for(case: Case, step: Mapping[str, Any]) -> dict[str, Any]:
    """Draft over submitted data; the profile when the step was never touched."""
    sid = str(step["id"])
    if sid in case.state.drafts:
        return dict(case.state.drafts[sid])
    ids = {f["id"] for f in step.get("fields") or []}
    values = {k: v for k, v in case.state.data.items() if k in ids}
    if not any(k in values for k in ids):
        values.update(_prefill(step))
    return values


def _attr(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _prefill(step: Mapping[str, Any]) -> dict[str, Any]:
    """Profile data for a step nobody has filled in yet, by field type (drafts only)."""
    account = current_account()
    if account is None:
        return {}
    try:
        profile: Any = accounts().profile(account.id, conn=read_connection())
    except KeyError:
        profile = None
    source = {
        "curp": _attr(profile, "curp"),
        "email": _attr(profile, "email") or account.email,
        "phone": _attr(profile, "phone"),
        "address": _attr(profile, "address"),
        "name": _attr(profile, "name") or account.name,
    }
    out: dict[str, Any] = {}
    named = False
    for fld in editable_fields(step):
        kind, fid = fld["type"], fld["id"]
        if kind in ("curp", "email", "phone") and source[kind]:
            out[fid] = str(source[kind])
        elif kind == "address" and isinstance(source["address"], Mapping):
            parts = {k: str(v) for k, v in source["address"].items() if v and k in _ADDRESS}
            if parts:
                out[fid] = parts
        elif kind == "text" and is_person_name(fid) and not named and source["name"]:
            out[fid] = str(source["name"])
            named = True
    return out


def is_person_name(field_id: str) -> bool:
    """`nombre`, `nombre_solicitante`: the person's own name (not `nombre_comercial`)."""
    return field_id.startswith("nombre") and "comercial" not in field_id


_ADDRESS = ("street", "number", "interior", "neighbourhood", "postcode", "municipality")


def _visible(case: Case, step: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """Which fields are shown, the cleaned values the rules see, and the browser's data."""
    base = eval_data(case)
    cleaned, _errors = validate_step_data(
        step,
        {k: v for k, v in values.items() if k in {f["id"] for f in editable_fields(step)}},
        base,
        today=today(),
        tables=case.definition.fee_tables,
        constants=case.definition.constants_for(today().year),
    )
    own = {f["id"] for f in step.get("fields") or []}
    editable_ids = {f["id"] for f in editable_fields(step)}
    context = {k: v for k, v in base.items() if k not in editable_ids}
    context.update(cleaned)
    shown = {}
    names: set[str] = set()
    for fld in step.get("fields") or []:
        rule = fld.get("show_if")
        shown[fld["id"]] = rule is None or _shown(rule, context, case)
        if rule is not None:
            names |= {n.split(".")[0] for n in referenced_vars(rule)}
        for sub in fld.get("fields") or []:
            if sub.get("show_if") is not None:
                names |= {n.split(".")[0] for n in referenced_vars(sub["show_if"])}
    outside = {n: case.state.data[n] for n in names - own if n in case.state.data}
    return {"shown": shown, "context": context, "client_data": outside}


def _row_shown(case: Case, sub: Mapping[str, Any], context: Mapping[str, Any], row: Any) -> bool:
    rule = sub.get("show_if")
    if rule is None:
        return True
    merged = dict(context)
    if isinstance(row, Mapping):
        for fld_id, value in row.items():
            merged[fld_id] = display_value_for_rules(value)
    return _shown(rule, merged, case)


def display_value_for_rules(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("si", "sí"):
        return True
    if isinstance(value, str) and value.strip().lower() == "no":
        return False
    return value


def _progress(case: Case, step_id: str) -> tuple[int, int] | None:
    steps = case.definition.form_steps()
    if step_id not in steps:
        return None
    return steps.index(step_id) + 1, len(steps)


def _back_url(case: Case, step_id: str, volver: str) -> str:
    if volver == "revisar":
        return url_for("wizard.review", folio=case.folio)
    path = list(case.state.form_path)
    if step_id in path and path.index(step_id) > 0:
        return step_url(case.folio, path[path.index(step_id) - 1])
    if case.state.submitted_at:
        return f"/expedientes/{quote(case.folio)}"
    return f"/tramites/{quote(case.definition.key)}/informacion"


def _returned(case: Case) -> dict[str, Any] | None:
    """The official's message of the last return for correction."""
    if case.state.status != case_state.AWAITING_CORRECTION:
        return None
    for event in reversed(services().cases.history(case.row.id)):
        if event["type"] == "case.returned":
            data = dict(event["data"] or {})
            return {
                "message": str(data.get("message") or ""),
                "reason": reason_title(data.get("reason"), lang()),
                "respond_by": display.lines({"type": "date"}, data.get("respond_by"))[:1],
                "steps": [
                    localized(case.definition.steps[s].get("title"))
                    for s in data.get("steps") or []
                    if s in case.definition.steps
                ],
            }
    return None


def render_step(
    case: Case,
    step: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    errors: list[FieldError] | None = None,
    problem: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    language = lang()
    errors = errors or []
    volver = request.args.get("volver", "")
    seen = _visible(case, step, values)
    summary = [
        {"text": e.message(language), "href": _anchor(e, step)}
        for e in errors
        if e.code != "eligibility"
    ]
    again = {"volver": "revisar"} if volver == "revisar" else {}
    action = step_url(case.folio, str(step["id"]), **again)
    html = render_template(
        "wizard/step.html",
        case=case,
        doc=case.definition.doc,
        step=step,
        values=values,
        errors=Errors(errors, language),
        summary=summary,
        problem=problem,
        shown=seen["shown"],
        row_shown=lambda sub, row: _row_shown(case, sub, seen["context"], row),
        client_data=seen["client_data"],
        progress=_progress(case, str(step["id"])),
        back_url=_back_url(case, str(step["id"]), volver),
        action=action,
        returned=_returned(case),
        group_rows=group_rows,
        dom_id=dom_id,
        is_person_name=is_person_name,
        lang=language,
    )
    return html, status


def render_readonly_step(case: Case, step: Mapping[str, Any]) -> str:
    return render_template(
        "wizard/readonly_step.html",
        case=case,
        doc=case.definition.doc,
        section=_summary_section(case, str(step["id"]), editable=False),
        returned=_returned(case),
    )


# -- routes ---------------------------------------------------------------------------------


@blueprint.route("/tramites/<key>", methods=["POST"])
def start(key: str) -> Any:
    """Start a case for the logged-in citizen and go to its first step."""
    account = current_account()
    if account is None:
        return redirect(f"/entrar?next=/tramites/{quote(key)}/informacion")
    info = f"/tramites/{quote(key)}/informacion"
    if not getattr(account, "is_verified", True):
        flash(_("Confirme su correo electrónico antes de iniciar un trámite."))
        return redirect(info)
    try:
        # NotFoundError (404) when the procedure is unknown, unpublished or archived
        outcome = services().cases.start(key, StartCase(at=utcnow(), actor=account.actor()))
    except NotFoundError:
        abort(404)
    state: CaseState = outcome.state
    return redirect(step_url(outcome.folio, state.position))


@blueprint.route("/expedientes/<folio>/pasos/<step_id>", methods=["GET", "POST"])
def step(folio: str, step_id: str) -> Any:
    case = load_case(folio)
    if not isinstance(case, Case):
        return case
    if not case.definition.is_form(step_id):
        abort(404)
    step_def = case.definition.steps[step_id]
    if step_id not in editable_steps(case.state):
        if request.method == "GET" and step_id in case.state.form_path and case.state.submitted_at:
            return render_readonly_step(case, step_def)
        return redirect(current_place(case))
    if request.method == "GET":
        return render_step(case, step_def, _values_for(case, step_def))
    return _post_step(case, step_def)


def _post_step(case: Case, step_def: Mapping[str, Any]) -> Any:
    sid = str(step_def["id"])
    uploads = Uploads(owner_id=case.actor.id, case_id=case.row.id, step_id=sid)
    try:
        parsed = parse_step(
            step_def, request.form, request.files, save_upload=uploads.save, kept_refs=uploads.kept
        )
    except BaseException:
        uploads.discard()
        raise
    uploads.flush()
    try:
        values = uploads.resolve(step_def, parsed.values)
    except UnknownFileError as exc:  # a kept file deleted meanwhile: say so, keep the rest
        errors = list(exc.details.get("errors") or [])
        return render_step(case, step_def, parsed.values, errors=errors, status=422)
    action = request.form.get("accion", "continuar")
    volver = request.args.get("volver", "")
    again = {"volver": "revisar"} if volver == "revisar" else {}
    if action.startswith(("agregar:", "quitar:")):
        handled, anchor = apply_row_action(step_def, values, action)
        if handled:
            refused = _save_draft(case, step_def, values)
            if refused is not None:
                return refused
            if parsed.upload_errors:
                return render_step(case, step_def, values, errors=parsed.upload_errors, status=422)
            return redirect(step_url(case.folio, sid, **again) + (f"#{anchor}" if anchor else ""))
        action = "continuar"
    if action == "guardar":
        refused = _save_draft(case, step_def, values)
        if refused is not None:
            return refused
        if parsed.upload_errors:
            return render_step(case, step_def, values, errors=parsed.upload_errors, status=422)
        flash(_("Guardamos su avance. Puede continuar cuando quiera desde «Mis trámites»."))
        return redirect("/mis-tramites")
    if parsed.upload_errors:
        _save_quietly(case, sid, values)
        errors = list(parsed.upload_errors) + _local_errors(case, step_def, values, parsed.unknown)
        return render_step(case, step_def, values, errors=errors, status=422)
    submitted = dict(values)
    submitted.update(parsed.unknown)
    try:
        run(case, SubmitStep(at=utcnow(), actor=case.actor, step_id=sid, values=submitted))
    except StepValidationError as exc:
        _save_quietly(case, sid, values)
        errors = list(exc.details.get("errors") or [])
        return render_step(case, step_def, values, errors=errors, status=422)
    except EligibilityError as exc:
        _save_quietly(case, sid, values)
        return render_step(case, step_def, values, problem=exc.message(lang()), status=422)
    except ConflictError as exc:
        return render_step(case, step_def, values, problem=exc.message(lang()), status=409)
    except EngineError as exc:
        _save_quietly(case, sid, values)
        return render_step(case, step_def, values, problem=exc.message(lang()), status=422)
    return redirect(_after_submit(case, sid, volver == "revisar"))


def _save_draft(case: Case, step_def: Mapping[str, Any], values: dict[str, Any]) -> Any:
    """Keep the draft; the step again with the reasons when the draft itself is refused
    (a text longer than its field admits), else None."""
    sid = str(step_def["id"])
    try:
        run(case, SaveDraft(at=utcnow(), actor=case.actor, step_id=sid, values=values))
    except StepValidationError as exc:
        errors = list(exc.details.get("errors") or [])
        return render_step(case, step_def, values, errors=errors, status=422)
    return None


def _save_quietly(case: Case, sid: str, values: dict[str, Any]) -> None:
    """Autosave what was typed, even when it does not validate; nothing is lost."""
    try:
        run(case, SaveDraft(at=utcnow(), actor=case.actor, step_id=sid, values=values))
    except EngineError:
        current_app.logger.warning("draft of %s/%s not saved", case.folio, sid)


def _local_errors(
    case: Case, step_def: Mapping[str, Any], values: Mapping[str, Any], unknown: Mapping[str, Any]
) -> list[FieldError]:
    """The engine's field errors for `values` without submitting (used when a file failed)."""
    submitted = dict(values)
    submitted.update(unknown)
    ids = {f["id"] for f in step_def.get("fields") or [] if f["type"] == "file"}
    _cleaned, errors = validate_step_data(
        step_def,
        submitted,
        eval_data(case),
        today=today(),
        tables=case.definition.fee_tables,
        constants=case.definition.constants_for(today().year),
    )
    # a file that was just refused is reported once, by the upload error
    return [e for e in errors if e.code != "eligibility" and e.field not in ids]


def _after_submit(case: Case, sid: str, back_to_review: bool) -> str:
    state = case.state
    if state.status == case_state.DRAFT and back_to_review:
        # A change from "Revise sus respuestas": walk again through the steps already
        # answered; stop where something new is needed.
        for _ in range(len(case.definition.steps)):
            if case.state.status != case_state.DRAFT:
                break
            position = case.state.position
            if case.state.drafts.get(position) is not None:
                return step_url(case.folio, position, volver="revisar")
            nxt = case.definition.steps[position]
            answers = {
                f["id"]: case.state.data[f["id"]]
                for f in editable_fields(nxt)
                if f["id"] in case.state.data
            }
            if not answers:
                return step_url(case.folio, position, volver="revisar")
            try:
                run(
                    case,
                    SubmitStep(at=utcnow(), actor=case.actor, step_id=position, values=answers),
                )
            except EngineError:
                return step_url(case.folio, position, volver="revisar")
        state = case.state
    if state.status == case_state.AWAITING_CORRECTION:
        return current_place(case)
    if state.status == case_state.AWAITING_APPLICANT and state.position != sid:
        return step_url(case.folio, state.position)
    if state.status in (case_state.DRAFT, case_state.READY):
        return current_place(case)
    return f"/expedientes/{quote(case.folio)}"


# -- check answers, submit, confirmation ------------------------------------------------------


def _summary_section(case: Case, sid: str, *, editable: bool) -> dict[str, Any]:
    step_def = case.definition.steps[sid]
    data = case.state.data
    rows: list[dict[str, Any]] = []
    fields = list(step_def.get("fields") or [])
    change_url = step_url(case.folio, sid, volver="revisar") if editable else ""
    for fld in fields:
        fid = fld["id"]
        if fid not in data:
            continue
        change = None
        if editable and not fld.get("readonly"):
            change = change_url + f"#{anchor_for(fid, fields)}"
        if fld["type"] == "group":
            group = []
            for row in group_rows(data[fid]):
                group.append(
                    [
                        (localized(sub.get("label")), display.lines(sub, row[sub["id"]]))
                        for sub in fld.get("fields") or []
                        if sub["id"] in row
                    ]
                )
            rows.append({"label": localized(fld.get("label")), "group": group, "change": change})
        else:
            rows.append(
                {
                    "label": localized(fld.get("label")),
                    "lines": display.lines(fld, data[fid]),
                    "change": change,
                }
            )
    return {
        "id": sid,
        "title": localized(step_def.get("title")),
        "rows": rows,
        "corrected": sid in case.state.corrected_steps,
        "to_correct": sid in case.state.editable_steps,
    }


def render_review(case: Case, *, problem: str | None = None, status: int = 200) -> Any:
    editable = set(editable_steps(case.state))
    sections = [
        _summary_section(case, sid, editable=sid in editable)
        for sid in case.state.form_path
        if case.definition.is_form(sid)
    ]
    if case.state.status == case_state.AWAITING_CORRECTION:
        back = f"/expedientes/{quote(case.folio)}"
    else:
        back = step_url(case.folio, case.state.form_path[-1])
    return render_template(
        "wizard/review.html",
        back_url=back,
        case=case,
        doc=case.definition.doc,
        sections=sections,
        problem=problem,
        returned=_returned(case),
        correction=case.state.status == case_state.AWAITING_CORRECTION,
        pending=[
            localized(case.definition.steps[s].get("title"))
            for s in case.state.editable_steps
            if s not in case.state.corrected_steps
        ],
    ), status


@blueprint.route("/expedientes/<folio>/revisar")
def review(folio: str) -> Any:
    case = load_case(folio)
    if not isinstance(case, Case):
        return case
    if case.state.status not in (case_state.READY, case_state.AWAITING_CORRECTION):
        return redirect(current_place(case))
    return render_review(case)


@blueprint.route("/expedientes/<folio>/enviar", methods=["POST"])
def submit(folio: str) -> Any:
    case = load_case(folio)
    if not isinstance(case, Case):
        return case
    if case.state.status not in (case_state.READY, case_state.AWAITING_CORRECTION):
        if case.state.submitted_at:
            return redirect(url_for("wizard.confirmation", folio=case.folio))
        return redirect(current_place(case))
    if request.form.get("declaracion") != "si":
        problem = _("Marque la declaración para enviar su solicitud.")
        return render_review(case, problem=problem, status=422)
    try:
        run(case, SubmitCase(at=utcnow(), actor=case.actor, declaration=True))
    except EngineError as exc:
        case.refresh()
        return render_review(case, problem=exc.message(lang()), status=exc.http_status)
    return redirect(url_for("wizard.confirmation", folio=case.folio))


@blueprint.route("/expedientes/<folio>/confirmacion")
def confirmation(folio: str) -> Any:
    case = load_case(folio)
    if not isinstance(case, Case):
        return case
    if not case.state.submitted_at or case.state.status == case_state.AWAITING_CORRECTION:
        return redirect(current_place(case))
    catalog = case.definition.doc.get("catalog") or {}
    return render_template(
        "wizard/confirmation.html",
        case=case,
        doc=case.definition.doc,
        days=catalog.get("max_response_days"),
        ficta=catalog.get("ficta"),
    )


@blueprint.route("/catalogos/<name>/sugerencias")
def catalog_suggestions(name: str) -> Any:
    """Type-ahead for ``catalog_select`` fields: up to 20 entries matching the words in ``q``
    (public: catalogs are the municipality's published reference lists)."""
    from workflow_engine.persistence.catalogs import CatalogStore

    words = request.args.get("q", "")[:100]
    if len(words.strip()) < 2:
        return {"entries": []}
    with reading() as conn:
        found = CatalogStore(conn).search(name, words)
    return {"entries": [{"code": e.code, "label": e.label} for e in found]}
