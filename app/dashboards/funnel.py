"""/tableros/embudo: where applicants give up, for one procedure. The cases started in the
range, stage by stage (each step of the wizard, filed, approved, paid, document issued), with
how many of the previous stage got no further. Figures:
`workflow_engine.persistence.cases.dashboards.funnel`."""

from __future__ import annotations

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.dashboards import common
from app.dashboards.common import Dashboard, blueprint, register, sees_cases
from app.dashboards.forms import Choice, read_filters
from app.dashboards.tables import Chart, Column, Table
from app.formatting import localized, reader_language
from app.i18n import N_
from workflow_engine.persistence.cases import dashboards as figures
from workflow_engine.persistence.cases.dashboards import FunnelStage

DASHBOARD = register(
    Dashboard(
        "dashboards.funnel",
        N_("Embudo de un trámite"),
        N_(
            "De los expedientes iniciados, cuántos llegan a cada paso, se presentan, se "
            "aprueban, se pagan y reciben su documento; dónde se abandona el trámite."
        ),
        sees_cases,
        order=20,
    )
)
STAGES = {
    "started": N_("Iniciados"),
    "submitted": N_("Presentados"),
    "approved": N_("Aprobados"),
    "paid": N_("Pagados"),
    "issued": N_("Documento emitido"),
}


def stage_label(stage: FunnelStage, lang: str) -> str:
    if stage.step_id is not None:
        return _("Paso: %(title)s", title=localized(stage.title, lang) or stage.step_id)
    return _(STAGES[stage.key])


@blueprint.route("/embudo")
def funnel() -> ResponseReturnValue:
    scope = common.require(DASHBOARD)
    departments = common.department_choices(scope)
    procedures = common.procedure_choices(scope)
    filters = read_filters(
        request.args, common.today(), departments, procedures, procedure_required=True
    )
    tables: list[Table] = []
    if filters.case_filter is not None:
        with common.services().engine.connect() as conn:
            stages = figures.funnel(conn, scope, filters.case_filter, common.tz())
        tables.append(_table(stages, filters.case_filter.procedure or "", procedures))
    return common.render_dashboard(
        "dashboards/funnel.html",
        filters=filters,
        tables=tables,
        stem="embudo",
        departments=departments,
        procedures=procedures,
        title=_(DASHBOARD.title),
    )


def _table(stages: list[FunnelStage], key: str, procedures: list[Choice]) -> Table:
    lang = reader_language()
    name = next((p.label for p in procedures if p.key == key), key)
    rows = []
    previous: int | None = None
    for stage in stages:
        kept = round(100 * stage.cases / previous, 1) if previous else None
        rows.append((stage_label(stage, lang), stage.cases, stage.dropped, kept))
        previous = stage.cases
    return Table(
        "embudo",
        _("Embudo: %(procedure)s", procedure=name),
        (
            Column("etapa", _("Etapa")),
            Column("expedientes", _("Expedientes"), "int"),
            Column("abandonos", _("No continuaron"), "int"),
            Column("continuan", _("Continúan desde la etapa anterior (%)"), "pct"),
        ),
        tuple(rows),
        chart=Chart("hbar", ("expedientes",)) if any(s.cases for s in stages) else None,
        note=_(
            "Expedientes iniciados en el periodo. Un paso cuenta cuando se envió su "
            "formulario; aprobados: con resolución favorable (o ya en pago o emisión)."
        ),
    )
