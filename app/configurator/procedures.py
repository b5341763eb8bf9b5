"""The liaison's home: the procedures of their department, and creating one (blank, from an
example, as a copy, by importing JSON); exporting JSON. The editor's overview page."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import (
    blueprint,
    catalog,
    draft_problems,
    editable,
    editor,
    render_editor,
    visible_procedures,
)
from app.digitalization import summary as digitalization_summary
from app.formatting import (
    department_names,
    format_moment,
    localized,
    reader_language,
    template_state_label,
)
from app.sessions import current_account
from workflow_engine.persistence.platform.catalog import (
    RevisionConflictError,
    RevisionInfo,
    TemplateForbiddenError,
    TemplateInfo,
    TemplateInvalidError,
)
from workflow_engine.strict_json import dumps
from workflow_engine.templates import creation, sections
from workflow_engine.templates.digitalization import digitalization_label, digitalization_level
from workflow_engine.templates.editing import EditError

Doc = dict[str, Any]
MAX_TITLE = 200
# The forms of the «new procedure» page, each posted to its own address.
FORMS = ("blank", "example", "copy", "import")


def _is_admin() -> bool:
    account = current_account()
    return account is not None and account.role == "admin"


def last_change(revision: RevisionInfo | None) -> str:
    """«5 de marzo de 2026, 09:30 · Name»: when the draft was last saved and by whom."""
    if revision is None:
        return ""
    who = revision.saved_by_name or revision.saved_by_id
    return f"{format_moment(revision.saved_at)} · {who}"


# -- the list ----------------------------------------------------------------------------------


@blueprint.route("/")
def procedure_list() -> ResponseReturnValue:
    lang = reader_language()
    infos = visible_procedures()
    saves = catalog().latest_revisions([i.key for i in infos])
    departments = department_names(lang)
    rows = []
    for info in infos:
        revision = saves.get(info.key)
        level = digitalization_level(catalog().draft(info.key))
        rows.append(
            {
                "key": info.key,
                "title": localized(info.title, lang, info.key),
                "department": departments.get(info.department, info.department),
                "state": template_state_label(info.state),
                "version": info.latest_version,
                "changed": last_change(revision),
                "errors": revision.error_count if revision else 0,
                "warnings": revision.warning_count if revision else 0,
                "level": level,
                "level_label": digitalization_label(level, lang),
            }
        )
    rows.sort(key=lambda r: str(r["title"]).lower())
    return render_template("configurator/procedures.html", rows=rows, admin=_is_admin())


# -- creating ----------------------------------------------------------------------------------


def _taken() -> set[str]:
    return {info.key for info in catalog().all()}


def _text(name: str, limit: int = MAX_TITLE) -> str:
    return request.form.get(name, "").strip()[:limit]


def _new_page(
    form: str = "", errors: dict[str, str] | None = None, status: int = 200
) -> ResponseReturnValue:
    lang = reader_language()
    examples = [
        (name, localized(doc.get("title"), lang, name)) for name, doc in creation.examples().items()
    ]
    sources = [(i.key, localized(i.title, lang, i.key)) for i in visible_procedures()]
    departments = sorted(department_names(lang).items(), key=lambda kv: kv[1].lower())
    page = render_template(
        "configurator/new.html",
        form=form,
        errors=errors or {},
        values=request.form if form else {},
        examples=sorted(examples, key=lambda e: e[1].lower()),
        sources=sorted(sources, key=lambda s: s[1].lower()),
        departments=departments,
        admin=_is_admin(),
    )
    return page, status


@blueprint.route("/nuevo")
def procedure_new() -> ResponseReturnValue:
    return _new_page()


def _department(form: str, errors: dict[str, str]) -> str:
    """The department a new procedure goes to: the liaison's own; administrators choose."""
    account = current_account()
    if account is not None and account.role != "admin":
        return account.department_key or ""
    chosen = _text(f"{form}-department", 64)
    if chosen not in department_names():
        errors[f"{form}-department"] = _("Elija la dependencia del trámite.")
    return chosen


def _identity(form: str, errors: dict[str, str]) -> tuple[str, dict[str, str], str]:
    """The key, title and department the posted `form` asks for; problems go to `errors`."""
    lang = reader_language()
    title = {"es": _text(f"{form}-title-es"), "en": _text(f"{form}-title-en")}
    if not title["es"]:
        errors[f"{form}-title-es"] = _("Escriba el nombre del trámite en español.")
    department = _department(form, errors)
    taken = _taken()
    key = _text(f"{form}-key", 64).lower()
    try:
        key = creation.check_key(key, taken) if key else creation.key_from_title(title["es"], taken)
    except EditError as error:
        errors[f"{form}-key"] = error.message(lang)
    return key, title, department


def _store_new(doc: Doc, form: str) -> ResponseReturnValue:
    """Save `doc` as a new procedure (revision 1) and open its overview."""
    try:
        catalog().save_revision(doc, by=editor(), base=0)
    except (RevisionConflictError, TemplateInvalidError, TemplateForbiddenError) as error:
        return _new_page(form, {f"{form}-key": error.message(reader_language())}, 409)
    flash(_("Se creó el trámite «%(title)s» como borrador.", title=localized(doc["title"])))
    return redirect(url_for("configurator.overview", key=doc["key"]))


@blueprint.post("/nuevo")
def create_blank() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    key, title, department = _identity("blank", errors)
    if errors:
        return _new_page("blank", errors, 400)
    return _store_new(creation.blank_template(key, title, department), "blank")


@blueprint.post("/nuevo/ejemplo")
def create_from_example() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    name = _text("example-source", 100)
    if name not in creation.examples():
        errors["example-source"] = _("Elija uno de los ejemplos de la lista.")
    key, title, department = _identity("example", errors)
    if errors:
        return _new_page("example", errors, 400)
    doc = creation.copy_template(creation.example(name), key, title, department)
    return _store_new(doc, "example")


@blueprint.post("/nuevo/copia")
def create_copy() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    source = _text("copy-source", 64)
    if source not in {i.key for i in visible_procedures()}:
        errors["copy-source"] = _("Elija el trámite que quiere copiar.")
    key, title, department = _identity("copy", errors)
    if errors:
        return _new_page("copy", errors, 400)
    doc = creation.copy_template(catalog().draft(source), key, title, department)
    return _store_new(doc, "copy")


def _import_text() -> str:
    upload = request.files.get("import-file")
    if upload is not None and upload.filename:
        raw = upload.stream.read(creation.MAX_IMPORT_BYTES + 1)
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return "\x00"  # not text: reported as invalid JSON
    return request.form.get("import-text", "")


@blueprint.post("/importar")
def import_json() -> ResponseReturnValue:
    """A template from a JSON file or pasted text, saved as a draft even with problems: a new
    procedure, or a new revision of one the visitor may edit."""
    lang = reader_language()
    try:
        doc = creation.parse_import(_import_text())
    except EditError as error:
        return _new_page("import", {"import-text": error.message(lang)}, 400)
    account = current_account()
    if (
        account is not None
        and account.role != "admin"
        and doc["department"] != account.department_key
    ):
        message = _(
            "El documento es de la dependencia «%(theirs)s»; usted sólo puede importar "
            "trámites de la suya («%(mine)s»). Cambie «department» en el JSON.",
            theirs=doc["department"],
            mine=account.department_key or "",
        )
        return _new_page("import", {"import-text": message}, 400)
    existing = doc["key"] in _taken()
    if existing and doc["key"] not in {i.key for i in visible_procedures()}:
        message = _(
            "Ya hay un trámite con la clave «%(key)s»; cambie «key» en el JSON.", key=doc["key"]
        )
        return _new_page("import", {"import-text": message}, 409)
    try:
        saved = catalog().save_revision(doc, by=editor(), base=None if existing else 0)
    except (RevisionConflictError, TemplateInvalidError, TemplateForbiddenError) as error:
        return _new_page("import", {"import-text": error.message(lang)}, 409)
    if existing:
        flash(_("Se importó como la revisión %(n)s del borrador.", n=saved.number))
    else:
        flash(_("Se importó el trámite como borrador."))
    if saved.error_count:
        flash(_("El borrador tiene problemas por resolver: vea «Problemas»."), "error")
    return redirect(url_for("configurator.overview", key=doc["key"]))


@blueprint.post("/<key>/exportar")
def export_json(key: str) -> ResponseReturnValue:
    """The draft as a JSON file to download (what «Importar» reads back)."""
    info = editable(key)
    body = dumps(catalog().draft(info.key), ensure_ascii=False, indent=2) + "\n"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{info.key}.json"'},
    )


# -- the overview ------------------------------------------------------------------------------


def section_label(section: str) -> str:
    return {
        sections.INFORMATION: _("Información del trámite"),
        sections.STEPS: _("Pasos y preguntas"),
        sections.APPROVALS: _("Revisiones y aprobaciones"),
        sections.FEES: _("Pagos y tarifas"),
        sections.DOCUMENT: _("Documento que se entrega"),
        sections.LEDGER: _("Padrón municipal"),
        sections.NOTIFICATIONS: _("Avisos"),
    }.get(section, section)


def status_label(status: str) -> str:
    return {
        sections.NOT_STARTED: _("Sin empezar"),
        sections.IN_PROGRESS: _("En curso"),
        sections.HAS_PROBLEMS: _("Con problemas"),
        sections.DONE: _("Listo"),
    }.get(status, status)


def section_url(key: str, section: str, steps: tuple[str, ...] = ()) -> str | None:
    """Where a section is edited: the information page, the municipal register's page, the
    steps page, or the page of the section's first step (the steps page when it has none
    yet)."""
    views = current_app.view_functions
    if section == sections.INFORMATION:
        return url_for("configurator.information", key=key)
    if section == sections.LEDGER and "configurator.ledger" in views:
        return url_for("configurator.ledger", key=key)
    if section != sections.STEPS and steps:
        return url_for("configurator.step", key=key, step_id=steps[0])
    if "configurator.steps" in views:
        return url_for("configurator.steps", key=key)
    return None


@blueprint.route("/<key>/")
def overview(key: str) -> ResponseReturnValue:
    info: TemplateInfo = editable(key)
    doc = catalog().draft(info.key)
    problems = draft_problems(doc)
    tasks = [
        {
            "section": s.section,
            "label": section_label(s.section),
            "href": section_url(info.key, s.section, s.steps),
            "status": s.status,
            "status_label": status_label(s.status),
            "errors": s.errors,
            "warnings": s.warnings,
        }
        for s in sections.section_statuses(doc, problems)
    ]
    revision = catalog().latest_revisions([info.key]).get(info.key)
    return render_editor(
        "configurator/overview.html",
        info.key,
        "configurator.overview",
        doc=doc,
        problems=problems,
        tasks=tasks,
        state=template_state_label(info.state),
        changed=last_change(revision),
        department=department_names().get(info.department, info.department),
        digitalization=digitalization_summary(doc),
    )
