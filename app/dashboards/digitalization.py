"""/tableros/digitalizacion: how digital the municipality's procedures are. The score of the
live procedures (mean level 0–4 and how many are at each level), its history by publication
day within the range, each live procedure's level with what it lacks to reach 4, and every
published version's level. Figures: `workflow_engine.persistence.platform.digitalization`;
what is missing in words: `app.digitalization`."""

from __future__ import annotations

from datetime import date, datetime

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.dashboards import common
from app.dashboards.common import Dashboard, blueprint, register, sees_cases
from app.dashboards.forms import Choice, read_filters
from app.dashboards.tables import Chart, Column, Day, Table
from app.digitalization import missing_sentences
from app.formatting import format_date, localized, reader_language
from app.i18n import N_
from workflow_engine.persistence.cases.dashboards import CaseFilter, DashboardScope
from workflow_engine.persistence.platform.digitalization import (
    DigitalizationReport,
    digitalization_report,
)
from workflow_engine.templates.digitalization import LEVELS, digitalization_label

DASHBOARD = register(
    Dashboard(
        "dashboards.digitalization",
        N_("Digitalización"),
        N_(
            "Nivel de digitalización (0 a 4) de cada trámite, qué le falta para hacerse "
            "completamente en línea, y el puntaje del municipio a lo largo de las versiones."
        ),
        sees_cases,
    )
)


def _report(scope: DashboardScope, flt: CaseFilter) -> DigitalizationReport:
    departments = scope.departments
    if flt.department is not None:
        departments = frozenset([flt.department])
    with common.services().engine.connect() as conn:
        return digitalization_report(
            conn, common.services().settings.timezone, departments, flt.procedure
        )


@blueprint.route("/digitalizacion")
def digitalization() -> ResponseReturnValue:
    scope = common.require(DASHBOARD)
    departments = common.department_choices(scope)
    procedures = common.procedure_choices(scope)
    filters = read_filters(request.args, common.today(), departments, procedures)
    tables = (
        _tables(_report(scope, filters.case_filter), filters.case_filter, departments)
        if filters.case_filter is not None
        else []
    )
    return common.render_dashboard(
        "dashboards/digitalization.html",
        filters=filters,
        tables=tables,
        stem="digitalizacion",
        departments=departments,
        procedures=procedures,
        title=_(DASHBOARD.title),
    )


def _tables(
    report: DigitalizationReport, flt: CaseFilter, departments: list[Choice]
) -> list[Table]:
    lang = reader_language()
    names = {d.key: d.label for d in departments}
    score = report.current
    levels = Table(
        "niveles",
        _("Trámites publicados por nivel"),
        (
            Column("nivel", _("Nivel")),
            Column("descripcion", _("Descripción")),
            Column("tramites", _("Trámites"), "int"),
        ),
        tuple(
            (
                str(level),
                digitalization_label(level, lang) if level else _("Sin información en línea"),
                score.distribution.get(level, 0),
            )
            for level in LEVELS
        ),
        chart=Chart("bar", ("tramites",)) if score.procedures else None,
        note=_(
            "Nivel medio: %(mean)s de 4, de %(num)s trámites publicados.",
            mean="—" if score.mean is None else f"{score.mean:.2f}",
            num=score.procedures,
        ),
    )
    history = Table(
        "historial",
        _("Puntaje del municipio a lo largo del tiempo"),
        (
            Column("fecha", _("Fecha"), "date"),
            Column("nivel_medio", _("Nivel medio"), "decimal"),
            Column("tramites", _("Trámites publicados"), "int"),
            Column("en_linea", _("Completamente en línea"), "int"),
        ),
        tuple(
            (
                Day(format_date(p.day, lang), p.day),
                p.score.mean,
                p.score.procedures,
                p.score.distribution[4],
            )
            for p in report.history
            if flt.start <= p.day <= flt.end
        ),
        chart=Chart("line", ("nivel_medio",)),
        note=_(
            "El puntaje de los trámites publicados al final de cada día en que se publicó una "
            "versión o se archivó un trámite."
        ),
    )
    per_procedure = Table(
        "tramites",
        _("Qué le falta a cada trámite para el nivel 4"),
        (
            Column("tramite", _("Trámite")),
            Column("area", _("Área")),
            Column("version", _("Versión"), "int"),
            Column("nivel", _("Nivel"), "int"),
            Column("falta", _("Qué le falta para el nivel 4")),
        ),
        tuple(
            (
                localized(v.title, lang) or v.key,
                names.get(v.department, v.department),
                v.number,
                v.level,
                " ".join(missing_sentences(v.missing, lang))
                or _("Nada: se hace completamente en línea."),
            )
            for v in sorted(report.live, key=lambda v: localized(v.title, lang).lower())
        ),
    )
    versions = Table(
        "versiones",
        _("Nivel de cada versión publicada"),
        (
            Column("tramite", _("Trámite")),
            Column("version", _("Versión"), "int"),
            Column("publicada", _("Publicada"), "date"),
            Column("nivel", _("Nivel"), "int"),
        ),
        tuple(
            (
                localized(v.title, lang) or v.key,
                v.number,
                Day(format_date(v.published_at, lang), _local_day(v.published_at)),
                v.level,
            )
            for v in sorted(
                report.versions, key=lambda v: (localized(v.title, lang).lower(), v.number)
            )
        ),
    )
    return [levels, history, per_procedure, versions]


def _local_day(moment: datetime) -> date:
    """A moment's day in the municipality (what `format_date` writes)."""
    return moment.astimezone(common.tz()).date() if moment.tzinfo else moment.date()
