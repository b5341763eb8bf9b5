"""Wizard request handlers: start, one form step per page, check answers, submit, confirmation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from app.api import queries
from app.citizen.returned import rejected_files, returned_notice
from app.citizen.wizard import blueprint
from app.citizen.wizard.forms import (
    anchor_for,
    apply_row_action,
    dom_id,
    group_rows,
    parse_step,
)
from app.citizen.wizard.uploads import Uploads
from app.db import read_connection, reading
from app.formatting import answer_lines, localized, money, reader_language
from app.sessions import accounts, current_account
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
from workflow_engine.engine.estimate import estimate_fees
from workflow_engine.persistence.cases.hotpath import LoadedCase, case_by_folio
from workflow_engine.persistence.cases.service import CommandOutcome, NotFoundError
from workflow_engine.persistence.platform.uploads import UnknownFileError
from workflow_engine.persistence.types import utcnow
from workflow_engine.rules import referenced_vars
from workflow_engine.templates.fields import FieldError, validate_step_data
from workflow_engine.templates.model import Step, show_if_holds

if TYPE_CHECKING:
    from app.services import Services


def services() -> Services:
    found: Services = current_app.extensions["tramita"]
    return found


# -- loading a case for its applicant -----------------------------------------------------


@dataclass
class Case:
    row: queries.CaseRow
    state: CaseState
    definition: ProcedureDefinition
    actor: Actor
    # The case row as this request read it, for the case service not to read it again;
    # None once a command has changed the case.
    loaded: LoadedCase | None = None

    @property
    def folio(self) -> str:
        return self.row.folio

    def refresh(self, outcome: CommandOutcome | None = None) -> None:
        self.loaded = None
        if outcome is not None:
            self.state = outcome.state
        else:
            self.state, self.definition, _lock = services().cases.load(self.row.id)


def _login_redirect() -> Response:
    return redirect(f"/entrar?next={quote(request.path)}")


def load_case(folio: str) -> Case | Response:
    """The case if the logged-in person is its applicant; 404 for anybody else."""
    account = current_account()
    if account is None:
        return _login_redirect()
    actor = account.actor()
    svc = services()
    with reading(svc.engine) as conn:
        found = case_by_folio(conn, folio)
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
    loaded = LoadedCase.from_row(found)
    return Case(row, CaseState.from_json(loaded.state), definition, actor, loaded)


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
        todo = state.steps_to_correct()
        return step_url(case.folio, todo[0]) if todo else url_for("wizard.review", folio=case.folio)
    return f"/expedientes/{quote(case.folio)}"


def run(case: Case, command: Command) -> CommandOutcome:
    """Apply `command` with the case row this request read (not read again)."""
    outcome: CommandOutcome = services().cases.execute(case.row.id, command, loaded=case.loaded)
    case.refresh(outcome)
    return outcome


# -- template helpers -------------------------------------------------------------------------


def today() -> date:
    return utcnow().astimezone(services().cases.tz).date()


def eval_data(case: Case) -> dict[str, Any]:
    """Case data as the engine's rules see it (the engine's own function)."""
    return case.definition.case_rule_data(case.state, today().year)


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


def _anchor(error: FieldError, step: Step) -> str | None:
    if error.code == "unknown_field":
        return None
    return anchor_for(error.path, step.fields)


def _values_for(case: Case, step: Step) -> dict[str, Any]:
    """Draft over submitted data; the profile when the step was never touched."""
    sid = step.id
    if sid in case.state.drafts:
        return dict(case.state.drafts[sid])
    ids = step.field_ids()
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


def _prefill(step: Step) -> dict[str, Any]:
    """Profile data for a step nobody has filled in yet, by field type (drafts only)."""
    account = current_account()
    if account is None:
        return {}
    profile: Any = account.profile  # read with the session's account
    if profile is None:
        try:
            profile = accounts().profile(account.id, conn=read_connection())
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
    for fld in step.editable_fields():
        kind, fid = fld.type, fld.id
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


def _visible(case: Case, step: Step, values: Mapping[str, Any]) -> dict[str, Any]:
    """Which fields are shown, the cleaned values the rules see, and the browser's data."""
    base = eval_data(case)
    editable_ids = {f.id for f in step.editable_fields()}
    cleaned, _errors = validate_step_data(
        step,
        {k: v for k, v in values.items() if k in editable_ids},
        base,
        today=today(),
        tables=case.definition.fee_tables,
        constants=case.definition.constants_for(today().year),
    )
    context = {k: v for k, v in base.items() if k not in editable_ids}
    context.update(cleaned)
    shown = {fld.id: case.definition.shown(fld, context, today()) for fld in step.fields}
    names: set[str] = set()
    controls: dict[str, list[str]] = {}
    for fld in step.fields:
        if fld.show_if is not None:
            read = {n.split(".")[0] for n in referenced_vars(fld.show_if)}
            names |= read
            for name in read:  # the answer that reveals it names it (aria-controls)
                controls.setdefault(name, []).append(f"campo-{dom_id(fld.id)}")
    for fld in step.all_fields():
        if fld.show_if is not None:
            names |= {n.split(".")[0] for n in referenced_vars(fld.show_if)}
    own = step.field_ids()
    outside = {n: case.state.data[n] for n in names - own if n in case.state.data}
    return {"shown": shown, "context": context, "client_data": outside, "controls": controls}


def _row_shown(case: Case, sub: Mapping[str, Any], context: Mapping[str, Any], row: Any) -> bool:
    """Whether a group's sub-field (the dict the widget holds) shows in ``row``."""
    rule = sub.get("show_if")
    if rule is None:
        return True
    merged = dict(context)
    if isinstance(row, Mapping):
        for fld_id, value in row.items():
            merged[fld_id] = display_value_for_rules(value)
    return show_if_holds(rule, merged, tables=case.definition.fee_tables, today=today())


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
    """The official's message of the last return for correction, with the documents not
    accepted and why (the same notice as the case page)."""
    if case.state.status != case_state.AWAITING_CORRECTION:
        return None
    events = services().cases.history(case.row.id)
    return returned_notice(case.state, events, case.definition.model, reader_language())


def _leave_note(case: Case, place: str, text: str) -> None:
    """A message for the next page of `place` this browser shows (post/redirect/get)."""
    session[f"wizard-note:{case.folio}:{place}"] = text


def _take_note(case: Case, place: str) -> str | None:
    found = session.pop(f"wizard-note:{case.folio}:{place}", None)
    return str(found) if found else None


def render_step(
    case: Case,
    step: Step,
    values: Mapping[str, Any],
    *,
    errors: list[FieldError] | None = None,
    problem: str | None = None,
    status: int = 200,
    urls: tuple[str, str] | None = None,
) -> tuple[str, int]:
    """The wizard page of `step`; `urls` (where the form posts, where «Regresar» goes)
    replace the case's own for a page drawn without a case (the configurator's preview)."""
    language = reader_language()
    errors = errors or []
    volver = request.args.get("volver", "")
    seen = _visible(case, step, values)
    returned = _returned(case)
    summary = [
        {"text": e.message(language), "href": _anchor(e, step)}
        for e in errors
        if e.code != "eligibility"
    ]
    again = {"volver": "revisar"} if volver == "revisar" else {}
    action = step_url(case.folio, step.id, **again)
    html = render_template(
        "wizard/step.html",
        case=case,
        doc=case.definition.doc,
        step=step.raw,  # the widgets draw the document's own field dicts
        values=values,
        errors=Errors(errors, language),
        summary=summary,
        problem=problem,
        shown=seen["shown"],
        row_shown=lambda sub, row: _row_shown(case, sub, seen["context"], row),
        client_data=seen["client_data"],
        controls={k: " ".join(v) for k, v in seen["controls"].items()},
        progress=_progress(case, step.id),
        back_url=urls[1] if urls else _back_url(case, step.id, volver),
        action=urls[0] if urls else action,
        returned=returned,
        rejected_files=rejected_files(returned),
        row_note=_take_note(case, f"{step.id}:fila") if request.method == "GET" else None,
        group_rows=group_rows,
        dom_id=dom_id,
        is_person_name=is_person_name,
        lang=language,
    )
    return html, status


def render_readonly_step(case: Case, step: Step) -> str:
    return render_template(
        "wizard/readonly_step.html",
        case=case,
        doc=case.definition.doc,
        section=_summary_section(case, step.id, editable=False),
        returned=_returned(case),
    )


# -- routes ---------------------------------------------------------------------------------


@blueprint.route("/tramites/<key>", methods=["POST"])
def start(key: str) -> ResponseReturnValue:
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
        profile = account.profile  # the session's row: the case copies name and CURP
        outcome = services().cases.start(
            key,
            StartCase(at=utcnow(), actor=account.actor()),
            applicant=(profile["name"], profile["curp"]) if profile is not None else None,
        )
    except NotFoundError:
        abort(404)
    state: CaseState = outcome.state
    return redirect(step_url(outcome.folio, state.position))


@blueprint.route("/expedientes/<folio>/pasos/<step_id>", methods=["GET", "POST"])
def step(folio: str, step_id: str) -> ResponseReturnValue:
    case = load_case(folio)
    if not isinstance(case, Case):
        return case
    if not case.definition.is_form(step_id):
        abort(404)
    step_def = case.definition.step_model(step_id)
    if step_id not in case.state.editable_form_steps():
        if request.method == "GET" and step_id in case.state.form_path and case.state.submitted_at:
            return render_readonly_step(case, step_def)
        return redirect(current_place(case))
    if request.method == "GET":
        return render_step(case, step_def, _values_for(case, step_def))
    return _post_step(case, step_def)


def _post_step(case: Case, step_def: Step) -> ResponseReturnValue:
    sid = step_def.id
    uploads = Uploads(owner_id=case.actor.id, case_id=case.row.id, step_id=sid)
    uploads.owner_checked = True  # load_case found the actor to be the case's applicant
    try:
        parsed = parse_step(
            step_def, request.form, request.files, save_upload=uploads.save, kept_refs=uploads.kept
        )
    except BaseException:
        uploads.discard()
        raise
    uploads.flush()
    try:
        values = uploads.resolve(step_def.raw, parsed.values)
    except UnknownFileError as exc:  # a kept file deleted meanwhile: say so, keep the rest
        errors = list(exc.details.get("errors") or [])
        return render_step(case, step_def, parsed.values, errors=errors, status=422)
    action = request.form.get("accion", "continuar")
    volver = request.args.get("volver", "")
    again = {"volver": "revisar"} if volver == "revisar" else {}
    if action.startswith(("agregar:", "quitar:")):
        done = _row_action(case, step_def, values, parsed.upload_errors, action, again)
        if done is not None:
            return done
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
        return render_step(
            case, step_def, values, problem=exc.message(reader_language()), status=422
        )
    except ConflictError as exc:
        return render_step(
            case, step_def, values, problem=exc.message(reader_language()), status=409
        )
    except EngineError as exc:
        _save_quietly(case, sid, values)
        return render_step(
            case, step_def, values, problem=exc.message(reader_language()), status=422
        )
    return redirect(_after_submit(case, sid, volver == "revisar"))


def _row_action(
    case: Case,
    step_def: Step,
    values: dict[str, Any],
    upload_errors: list[FieldError],
    action: str,
    again: Mapping[str, str],
) -> ResponseReturnValue | None:
    """Add or remove a group's row, keep the draft and go back to that row saying what
    changed («Se agregó la fila 2»); None when `action` names no group of the step."""
    sid = step_def.id
    gid = action.split(":")[1]
    before = len(group_rows(values.get(gid)))
    handled, anchor = apply_row_action(step_def, values, action)
    if not handled:
        return None
    refused = _save_draft(case, step_def, values)
    if refused is not None:
        return refused
    if upload_errors:
        return render_step(case, step_def, values, errors=upload_errors, status=422)
    after = len(group_rows(values.get(gid)))
    if after > before:
        _leave_note(case, f"{sid}:fila", _("Se agregó la fila %(n)s.", n=after))
    elif after < before:
        removed = int(action.split(":")[2]) + 1
        _leave_note(case, f"{sid}:fila", _("Se quitó la fila %(n)s.", n=removed))
    return redirect(step_url(case.folio, sid, **again) + (f"#{anchor}" if anchor else ""))


def _save_draft(case: Case, step_def: Step, values: dict[str, Any]) -> tuple[str, int] | None:
    """Keep the draft; the step again with the reasons when the draft itself is refused
    (a text longer than its field admits), else None."""
    sid = step_def.id
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
    case: Case, step_def: Step, values: Mapping[str, Any], unknown: Mapping[str, Any]
) -> list[FieldError]:
    """The engine's field errors for `values` without submitting (used when a file failed)."""
    submitted = dict(values)
    submitted.update(unknown)
    ids = {f.id for f in step_def.fields if f.takes_files}
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
        for _ in range(len(case.definition.model.steps)):
            if case.state.status != case_state.DRAFT:
                break
            position = case.state.position
            if case.state.drafts.get(position) is not None:
                return step_url(case.folio, position, volver="revisar")
            nxt = case.definition.step_model(position)
            data = case.state.data
            answers = {f.id: data[f.id] for f in nxt.editable_fields() if f.id in data}
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
    step_def = case.definition.step_model(sid)
    data = case.state.data
    rows: list[dict[str, Any]] = []
    change_url = step_url(case.folio, sid, volver="revisar") if editable else ""
    for fld in step_def.fields:
        fid = fld.id
        if fid not in data:
            continue
        change = None
        if editable and not fld.readonly:
            change = change_url + f"#{anchor_for(fid, step_def.fields)}"
        if fld.is_group:
            group = []
            for row in group_rows(data[fid]):
                group.append(
                    [
                        (localized(sub.label), answer_lines(sub, row[sub.id]))
                        for sub in fld.fields
                        if sub.id in row
                    ]
                )
            rows.append({"label": localized(fld.label), "group": group, "change": change})
        else:
            rows.append(
                {
                    "label": localized(fld.label),
                    "lines": answer_lines(fld, data[fid]),
                    "change": change,
                }
            )
    return {
        "id": sid,
        "title": localized(step_def.title),
        "rows": rows,
        "corrected": sid in case.state.corrected_steps,
        "to_correct": sid in case.state.editable_steps,
    }


def fee_estimate(case: Case) -> list[dict[str, Any]]:
    """The fees the answers so far would be charged (the engine's computation), to show
    as an estimate before submitting; empty when the template's fees cannot be computed."""
    return [
        {
            "lines": [
                (localized(line.get("label")), money(line["amount_cents"], found.currency))
                for line in found.lines
            ],
            "total": money(found.total_cents, found.currency),
            "free": found.total_cents == 0,
        }
        for found in estimate_fees(case.definition, case.state, today())
    ]


def render_review(
    case: Case, *, problem: str | None = None, status: int = 200
) -> ResponseReturnValue:
    editable = set(case.state.editable_form_steps())
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
        fees=fee_estimate(case),
        correction=case.state.status == case_state.AWAITING_CORRECTION,
        pending=[
            localized(case.definition.step_model(s).title) for s in case.state.steps_to_correct()
        ],
    ), status


@blueprint.route("/expedientes/<folio>/revisar")
def review(folio: str) -> ResponseReturnValue:
    case = load_case(folio)
    if not isinstance(case, Case):
        return case
    if case.state.status not in (case_state.READY, case_state.AWAITING_CORRECTION):
        return redirect(current_place(case))
    problem = _take_note(case, "enviar")
    return render_review(case, problem=problem)


@blueprint.route("/expedientes/<folio>/enviar", methods=["POST"])
def submit(folio: str) -> ResponseReturnValue:
    case = load_case(folio)
    if not isinstance(case, Case):
        return case
    if case.state.status not in (case_state.READY, case_state.AWAITING_CORRECTION):
        if case.state.submitted_at:
            return redirect(url_for("wizard.confirmation", folio=case.folio))
        return redirect(current_place(case))
    # A refusal is shown by the check-answers page after a redirect (a reload does not
    # send the application again); the page focuses its error summary.
    if request.form.get("declaracion") != "si":
        _leave_note(case, "enviar", _("Marque la declaración para enviar su solicitud."))
        return redirect(url_for("wizard.review", folio=case.folio), 303)
    try:
        run(case, SubmitCase(at=utcnow(), actor=case.actor, declaration=True))
    except EngineError as exc:
        _leave_note(case, "enviar", exc.message(reader_language()))
        return redirect(url_for("wizard.review", folio=case.folio), 303)
    return redirect(url_for("wizard.confirmation", folio=case.folio))


@blueprint.route("/expedientes/<folio>/confirmacion")
def confirmation(folio: str) -> ResponseReturnValue:
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
def catalog_suggestions(name: str) -> ResponseReturnValue:
    """Type-ahead for ``catalog_select`` fields: up to 20 entries matching the words in ``q``
    (public: catalogs are the municipality's published reference lists)."""
    from workflow_engine.persistence.platform.catalogs import CatalogStore

    words = request.args.get("q", "")[:100]
    if len(words.strip()) < 2:
        return {"entries": []}
    with reading() as conn:
        found = CatalogStore(conn).search(name, words)
    return {"entries": [{"code": e.code, "label": e.label} for e in found]}
