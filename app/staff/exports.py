"""Case exports for staff: /exportaciones (the procedures the reader may export),
/exportaciones/<key> (choose a published version and a format), the export's page with its
progress (a plain «Actualizar» link; export_progress.js asks /progreso.json meanwhile) and
the file when it is ready, for its requester only.

Who may export: administrators every procedure's filed cases; officials (and directors) the
procedures of their department, with the cases their department handles (the same rule as
every case page, `visibility.handled_by`). Anybody else gets a 404. The file is built by the
Celery task `tramita.build_case_export` (in this process when there is no broker)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.citizen.cases import STATUS_LABELS, status_label
from app.citizen.files import _send
from app.formatting import format_moment, localized, reader_language
from app.guards import require_account
from app.i18n import N_
from app.staff.access import client_ip, services
from workflow_engine.engine import state as case_state
from workflow_engine.persistence.cases.exports import (
    CASE_COLUMNS,
    FORMATS,
    ExportError,
    ExportInfo,
    ExportSpec,
)
from workflow_engine.persistence.cases.service import NotFoundError
from workflow_engine.persistence.platform.accounts import Account
from workflow_engine.persistence.platform.catalog import TemplateInfo

blueprint = Blueprint("exports", __name__)
log = logging.getLogger(__name__)

HEADERS = {
    "folio": N_("Folio"),
    "status": N_("Estado"),
    "outcome": N_("Resultado"),
    "created_at": N_("Iniciado"),
    "submitted_at": N_("Enviado"),
    "closed_at": N_("Concluido"),
    "updated_at": N_("Último cambio"),
    "applicant": N_("Solicitante"),
    "applicant_ref": N_("CURP o RFC del solicitante"),
}
OUTCOMES = {"approved": N_("Aprobado"), "rejected": N_("No aprobado"), "cancelled": N_("Cancelado")}
FORMAT_LABELS = {"csv": N_("CSV (texto separado por comas)"), "xlsx": N_("Excel (XLSX)")}
STATUS_WORDS = {
    "queued": N_("En espera"),
    "running": N_("Preparándose"),
    "ready": N_("Listo para descargar"),
    "failed": N_("No se pudo preparar"),
    "expired": N_("Ya no está disponible"),
}


def _departments(account: Account) -> frozenset[str] | None:
    """The departments whose cases the account may export; None for every case."""
    if account.role == "admin":
        return None
    if account.role == "official" and account.department_key:
        return frozenset([account.department_key])
    abort(404)


def _exportable(account: Account) -> list[TemplateInfo]:
    scope = _departments(account)
    return [
        info
        for info in services().catalog.all()
        if info.latest_version is not None and (scope is None or info.department in scope)
    ]


def _procedure(account: Account, key: str) -> TemplateInfo:
    scope = _departments(account)
    try:
        info = services().catalog.info(key[:64])
    except NotFoundError:
        abort(404)
    if info.latest_version is None or (scope is not None and info.department not in scope):
        abort(404)
    return info


def _export(account: Account, key: str, export_id: int) -> ExportInfo:
    """The export, to its requester only (404 for anybody else)."""
    _procedure(account, key)
    found = services().exports.info(export_id)
    if found is None or found.procedure_key != key or found.requested_by_id != str(account.id):
        abort(404)
    return found


def _spec() -> ExportSpec:
    lang = reader_language()
    settings = services().settings
    statuses = {s: status_label(s, None, lang) for s in STATUS_LABELS}
    for outcome in (*OUTCOMES, ""):
        statuses[f"{case_state.CLOSED}:{outcome}"] = status_label(
            case_state.CLOSED, outcome or None, lang
        )
    link = url_for("files.uploaded_file", public_id="ID")
    return ExportSpec(
        headers={c: _(HEADERS[c]) for c in CASE_COLUMNS},
        statuses=statuses,
        outcomes={k: _(v) for k, v in OUTCOMES.items()},
        file_url=settings.base_url.rstrip("/") + link.removesuffix("ID") + "{id}",
        timezone=settings.timezone,
    )


def _row(info: ExportInfo) -> dict[str, Any]:
    lang = reader_language()
    total = info.rows_total
    return {
        "id": info.id,
        "version": info.version_number,
        "format": info.format.upper(),
        "status": info.status,
        "status_label": _(STATUS_WORDS.get(info.status, info.status)),
        "done": info.rows_done,
        "total": total,
        "requested": format_moment(info.requested_at, lang),
        "expires": format_moment(info.expires_at, lang) if info.expires_at else "",
        "url": url_for("exports.export_page", key=info.procedure_key, export_id=info.id),
        "download": url_for("exports.download", key=info.procedure_key, export_id=info.id)
        if info.status == "ready"
        else "",
    }


@blueprint.route("/exportaciones")
def index() -> ResponseReturnValue:
    account = require_account()
    lang = reader_language()
    procedures = sorted(
        (
            {
                "key": info.key,
                "title": localized(info.title, lang) or info.key,
                "url": url_for("exports.choose", key=info.key),
            }
            for info in _exportable(account)
        ),
        key=lambda p: p["title"].lower(),
    )
    return render_template("exports/index.html", procedures=procedures)


@blueprint.route("/exportaciones/<key>", methods=["GET", "POST"])
def choose(key: str) -> ResponseReturnValue:
    account = require_account()
    info = _procedure(account, key)
    lang = reader_language()
    versions = [p.number for p in services().catalog.publications(info.key)]
    problem = ""
    chosen_version = str(versions[0]) if versions else ""
    chosen_format = "xlsx"
    if request.method == "POST":
        chosen_version = request.form.get("version", "").strip()
        chosen_format = request.form.get("formato", "").strip()
        if not chosen_version.isdigit() or int(chosen_version) not in versions:
            problem = _("Elija una de las versiones publicadas del trámite.")
        elif chosen_format not in FORMATS:
            problem = _("Elija el formato del archivo: CSV o Excel (XLSX).")
        else:
            try:
                export = services().exports.request(
                    key=info.key,
                    version_number=int(chosen_version),
                    fmt=chosen_format,
                    lang=lang,
                    actor=account.actor(),
                    departments=_departments(account),
                    spec=_spec(),
                    ip=client_ip(),
                )
            except ExportError as exc:
                problem = exc.message(lang)
            else:
                try:
                    services().celery.tasks["tramita.build_case_export"].delay(export.id)
                except Exception as exc:  # the broker: the export cannot start
                    log.exception("case export %s: the build task could not be sent", export.id)
                    services().exports.abandon(export.id, f"broker: {exc}")
                    flash(
                        _("No se pudo empezar a preparar el archivo; inténtelo más tarde."), "error"
                    )
                else:
                    flash(_("Se pidió la exportación; el archivo se está preparando."))
                return redirect(
                    url_for("exports.export_page", key=info.key, export_id=export.id), 303
                )
    mine = services().exports.of_requester(str(account.id), info.key)
    body = render_template(
        "exports/choose.html",
        key=info.key,
        title=localized(info.title, lang) or info.key,
        versions=versions,
        formats=[(f, _(FORMAT_LABELS[f])) for f in FORMATS],
        chosen_version=chosen_version,
        chosen_format=chosen_format,
        problem=problem,
        exports=[_row(e) for e in mine],
        scoped=_departments(account) is not None,
    )
    return body, 400 if problem else 200


@blueprint.route("/exportaciones/<key>/<int:export_id>")
def export_page(key: str, export_id: int) -> ResponseReturnValue:
    account = require_account()
    info = _procedure(account, key)
    export = _export(account, key, export_id)
    return render_template(
        "exports/export.html",
        key=info.key,
        title=localized(info.title, reader_language()) or info.key,
        export=_row(export),
        finished=export.finished,
        error=export.error,
    )


@blueprint.route("/exportaciones/<key>/<int:export_id>/progreso.json")
def progress(key: str, export_id: int) -> ResponseReturnValue:
    account = require_account()
    row = _row(_export(account, key, export_id))
    return jsonify(
        {
            "status": row["status"],
            "status_label": row["status_label"],
            "done": row["done"],
            "total": row["total"],
            "download": row["download"],
        }
    )


@blueprint.route("/exportaciones/<key>/<int:export_id>/archivo")
def download(key: str, export_id: int) -> ResponseReturnValue:
    account = require_account()
    export = _export(account, key, export_id)
    path = services().exports.download(export.id, account.actor(), client_ip())
    if path is None:
        abort(404)
    return _send(path, export.filename, export.content_type)
