"""Public catalog: the list of published procedures and each one's official information."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.db import reading
from app.formatting import localized
from app.templating import locale_name
from workflow_engine.persistence.cases.service import NotFoundError
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.templates import digitalization_label, digitalization_level

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("catalog", __name__)


def digitalization(doc: dict[str, Any]) -> str:
    """ "Nivel 4 de 4: Trámite completamente en línea" in the reader's language."""
    level = digitalization_level(doc)
    lang = locale_name()
    return _(
        "Nivel %(level)s de 4: %(label)s", level=level, label=digitalization_label(level, lang)
    )


def _fold(text: str) -> str:
    """Lowercase without accents, so "licencia" finds "Licéncia"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _searchable(doc: dict[str, Any]) -> str:
    parts = [
        localized(doc.get("title"), "es"),
        localized(doc.get("title"), "en"),
        localized(doc.get("summary"), "es"),
        " ".join(doc.get("keywords", [])),
    ]
    return _fold(" ".join(parts))


@blueprint.route("/")
def home() -> ResponseReturnValue:
    services: Services = current_app.extensions["tramita"]
    query = request.args.get("q", "").strip()[:100]
    department = request.args.get("dependencia", "")
    with reading(services.engine) as conn:
        versions = services.catalog.live(conn)
        departments = Accounts(services.engine).departments(conn)
    procedures = []
    for v in versions:
        doc = v.definition
        if query and _fold(query) not in _searchable(doc):
            continue
        if department and doc.get("department") != department:
            continue
        procedures.append(doc)
    return render_template(
        "home.html",
        procedures=procedures,
        query=query,
        department=department,
        departments=departments,
    )


@blueprint.route("/tramites/<key>/informacion")
def procedure(key: str) -> ResponseReturnValue:
    services: Services = current_app.extensions["tramita"]
    with reading(services.engine) as conn:
        try:
            # the latest published version, 404 when unpublished or archived
            version = services.catalog.live_version(key, conn)
        except NotFoundError:
            abort(404)
        departments = Accounts(services.engine).departments(conn)
    return render_template(
        "procedure.html", doc=version.definition, version=version, departments=departments
    )
