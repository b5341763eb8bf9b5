"""The configurator's shared parts: its blueprint, which procedures a person may edit, and
the one way a page changes a draft (an editing operation of
`workflow_engine.templates.editing`, saved as a new revision on top of the one the page was
opened at, so two liaisons never overwrite each other).

Every page of the editor renders through `render_editor` (the side navigation, the problems
count, the revision the forms send back); every change goes through `apply_edit`. Step pages
are dispatched by step type: a module registers its editor with `@step_editor("payment")`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, flash, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.formatting import format_moment, localized, reader_language
from app.guards import guard_blueprint, require_configurator
from app.i18n import N_
from app.sessions import current_account
from workflow_engine.persistence.cases.service import NotFoundError
from workflow_engine.persistence.platform.catalog import (
    Catalog,
    Editor,
    RevisionConflictError,
    TemplateInfo,
    TemplateInvalidError,
)
from workflow_engine.templates.editing import EditError, EditResult
from workflow_engine.templates.validation import Problem

if TYPE_CHECKING:
    from app.services import Services

__all__ = [
    "RECENT",
    "STEP_EDITORS",
    "Doc",
    "Operation",
    "StepEditor",
    "apply_edit",
    "base_revision",
    "blueprint",
    "catalog",
    "draft_problems",
    "editable",
    "editor",
    "forget_editable",
    "recent_changes",
    "render_editor",
    "replace_with",
    "step_editor",
    "visible_procedures",
]

Doc = dict[str, Any]
Operation = Callable[[Doc], EditResult]

blueprint = Blueprint("configurator", __name__, url_prefix="/configurador")
guard_blueprint(blueprint, require_configurator)


def services() -> Services:
    found: Services = current_app.extensions["tramita"]
    return found


def catalog() -> Catalog:
    return services().catalog


def editor() -> Editor:
    """The logged-in liaison or administrator, as the catalog's explicit actor."""
    account = current_account()
    if account is None:  # the blueprint's guard lets nobody anonymous through
        abort(401)
    return Editor(account.id, ip=request.remote_addr or "")


def _may_edit(department: str) -> bool:
    account = current_account()
    if account is None:
        return False
    return account.role == "admin" or account.department_key == department


def editable(key: str) -> TemplateInfo:
    """The procedure `key` if the visitor may edit it (liaisons: their department's;
    administrators: all); 404 otherwise, the same as for a procedure that does not exist.
    Read once per request (a page and the editor frame around it both ask); a save made in
    the request forgets it (`apply_edit`)."""
    known: dict[str, TemplateInfo] = g.setdefault("configurator_editable", {})
    info = known.get(key[:64])
    if info is None:
        try:
            info = catalog().info(key[:64])
        except NotFoundError:
            abort(404)
        if not _may_edit(info.department):
            abort(404)
        known[info.key] = info
    return info


def forget_editable(key: str) -> None:
    """The draft of `key` changed in this request: `editable` reads it again."""
    g.setdefault("configurator_editable", {}).pop(key, None)


def visible_procedures() -> list[TemplateInfo]:
    """Every procedure the visitor may edit, by key."""
    return [info for info in catalog().all() if _may_edit(info.department)]


def base_revision() -> int:
    """The draft revision the posted form was opened at (its hidden `revision` field)."""
    try:
        return max(0, int(request.form.get("revision", "")))
    except ValueError:
        abort(400)


def replace_with(new_doc: Doc) -> Operation:
    """An operation that puts a whole new document in place (pages that edit many keys at
    once, such as the information page); its problems are the validator's."""

    def operation(_doc: Doc) -> EditResult:
        return EditResult(new_doc, [])

    return operation


def apply_edit(key: str, operation: Operation, *, base: int | None = None) -> EditResult | None:
    """Apply `operation` to the draft of `key` and save the result as a new revision.

    `base`: the revision the page was opened at (default: the posted `revision`). When the
    operation cannot apply (EditError), someone else saved in between (their name and the
    time are said) or the document lost its key or department, the reason is flashed as an
    error and None is returned; nothing is saved. What the operation had to drop (notices)
    is flashed too."""
    info = editable(key)
    lang = reader_language()
    start = base_revision() if base is None else base
    try:
        result = operation(catalog().draft(info.key))
    except EditError as error:
        flash(error.message(lang), "error")
        return None
    if (result.doc.get("key"), result.doc.get("department")) != (info.key, info.department):
        # The key and the department say where a draft lives and who may edit it; they are
        # chosen when a procedure is created, never by an edit.
        result = EditResult(
            {**result.doc, "key": info.key, "department": info.department},
            None,
            result.notices,
        )
    try:
        catalog().save_revision(result.doc, by=editor(), base=start)
    except (RevisionConflictError, TemplateInvalidError) as error:
        flash(error.message(lang), "error")
        return None
    finally:
        forget_editable(info.key)
    for notice in result.notices:
        flash(notice.message_en if lang == "en" else notice.message_es)
    return result


# -- pages -----------------------------------------------------------------------------------

# The editor's sections, in the side navigation's order: (endpoint, label). A section whose
# endpoint is not registered (yet) is left out of the navigation.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("configurator.overview", N_("Resumen")),
    ("configurator.information", N_("Información")),
    ("configurator.steps", N_("Pasos y preguntas")),
    ("configurator.diagram", N_("Diagrama del flujo")),
    ("configurator.ledger", N_("Padrón municipal")),
    ("configurator.problems", N_("Problemas")),
    ("configurator.preview", N_("Vista como ciudadano")),
    ("configurator.test_run", N_("Prueba")),
    ("configurator.publish", N_("Publicar")),
    ("configurator.history", N_("Versiones")),
)


def sections() -> list[tuple[str, str]]:
    """The editor's sections that exist, as (endpoint, label in the reader's language)."""
    views = current_app.view_functions
    return [(endpoint, _(label)) for endpoint, label in SECTIONS if endpoint in views]


def procedure_title(doc: Doc, info: TemplateInfo) -> str:
    return localized(doc.get("title") or doc.get("name") or info.title, reader_language(), info.key)


def draft_problems(doc: Doc) -> list[Problem]:
    """Every problem of a draft, errors first."""
    return sorted(catalog().validate(doc), key=lambda p: not p.is_error)


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


def render_editor(
    template: str,
    key: str,
    section: str,
    *,
    doc: Doc | None = None,
    problems: list[Problem] | None = None,
    status: int = 200,
    **context: Any,
) -> ResponseReturnValue:
    """An editor page: `template` extends configurator/_editor.html and gets the procedure
    (`info`, `doc`, `title`), its `problems` (errors first) with their counts, the
    `revision` its forms must post back, the side navigation (`section`: the current
    endpoint) and the latest changes with the undo form (`recent`, configurator/_undo.html,
    which every editor page shows below its content). `problems`: those of `doc`
    (`draft_problems`) when the page needed them first."""
    info = editable(key)
    if doc is None:
        doc = catalog().draft(info.key)
    if problems is None:
        problems = draft_problems(doc)
    errors = sum(1 for p in problems if p.is_error)
    page = render_template(
        template,
        info=info,
        doc=doc,
        title=procedure_title(doc, info),
        problems=problems,
        error_count=errors,
        warning_count=len(problems) - errors,
        revision=info.draft_revision,
        sections=sections(),
        section=section,
        lang=reader_language(),
        recent=recent_changes(info.key),
        **context,
    )
    return page, status


def problem_message(problem: Problem) -> str:
    return problem.message(reader_language())


# -- step pages, dispatched by type ----------------------------------------------------------

StepEditor = Callable[[TemplateInfo, Doc, dict[str, Any]], ResponseReturnValue]
"""A step type's page, GET and POST: (procedure, draft, the step as in the draft)."""

STEP_EDITORS: dict[str, StepEditor] = {}


def step_editor(*types: str) -> Callable[[StepEditor], StepEditor]:
    """Register the page that edits steps of `types` (one page per step type)."""

    def register(function: StepEditor) -> StepEditor:
        for type_name in types:
            STEP_EDITORS[type_name] = function
        return function

    return register


@blueprint.route("/<key>/pasos/<step_id>", methods=["GET", "POST"])
def step(key: str, step_id: str) -> ResponseReturnValue:
    """One step's page: the editor its type registered, else the step shown read-only."""
    info = editable(key)
    doc = catalog().draft(info.key)
    found = next((s for s in doc.get("steps") or [] if s.get("id") == step_id), None)
    if found is None:
        abort(404)
    page = STEP_EDITORS.get(str(found.get("type")))
    if page is not None:
        return page(info, doc, found)
    if request.method == "POST":
        abort(405)
    return render_editor(
        "configurator/step_generic.html", info.key, "configurator.steps", doc=doc, step=found
    )


def whole_number(name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    """The form's whole number `name` in low..high, None when left blank; a message in
    `errors[name]` when it is something else."""
    text = request.form.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors[name] = _("Escriba un número entero de %(low)s a %(high)s.", low=low, high=high)
        return None
    return int(text)
