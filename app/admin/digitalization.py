"""GET /admin/digitalizacion: the municipality's digitalization score (mean level of the
live procedures and how many are at each level), its history by publication date, each
procedure's level with what it lacks to reach 4, and every published version's level;
/admin/digitalizacion.csv: the history as CSV."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.digitalization import missing_sentences
from app.formatting import department_names, format_date, localized, reader_language
from app.guards import guard_blueprint, require_admin
from workflow_engine.persistence.platform.digitalization import (
    DigitalizationReport,
    digitalization_report,
)
from workflow_engine.templates.digitalization import LEVELS, digitalization_label

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("admin_digitalization", __name__, url_prefix="/admin")
guard_blueprint(blueprint, require_admin)


def _report() -> DigitalizationReport:
    services: Services = current_app.extensions["tramita"]
    with services.engine.connect() as conn:
        return digitalization_report(conn, services.settings.timezone)


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@blueprint.route("/digitalizacion")
def page() -> ResponseReturnValue:
    lang = reader_language()
    report = _report()
    departments = department_names(lang)
    level_names = {level: digitalization_label(level, lang) for level in LEVELS}
    return render_template(
        "admin_digitalization.html",
        score=report.current,
        mean=_mean(report.current.mean),
        distribution=[
            (level, level_names[level], report.current.distribution.get(level, 0))
            for level in LEVELS
        ],
        history=[
            {
                "day": format_date(p.day, lang),
                "mean": _mean(p.score.mean),
                "procedures": p.score.procedures,
                "full": p.score.distribution.get(4, 0),
            }
            for p in report.history
        ],
        procedures=[
            {
                "title": localized(v.title, lang) or v.key,
                "department": departments.get(v.department, v.department),
                "version": v.number,
                "level": v.level,
                "label": level_names.get(v.level, ""),
                "missing": missing_sentences(v.missing, lang),
                "versions": [w.level for w in report.versions if w.key == v.key],
            }
            for v in sorted(report.live, key=lambda v: localized(v.title, lang).lower())
        ],
    )


@blueprint.route("/digitalizacion.csv")
def history_csv() -> ResponseReturnValue:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Fecha"), _("Nivel medio"), _("Trámites publicados")]
        + [_("Nivel %(level)s", level=level) for level in LEVELS]
    )
    for point in _report().history:
        row: list[Any] = [point.day.isoformat(), _mean(point.score.mean), point.score.procedures]
        writer.writerow(row + [point.score.distribution.get(level, 0) for level in LEVELS])
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=digitalizacion.csv"},
    )
