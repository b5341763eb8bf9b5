"""/tableros/tramites: how the procedures are doing. Cases started, filed and resolved over
time; resolution time (median, 90th percentile, business days) and deadline compliance per
procedure; cases about to be decided by afirmativa/negativa ficta; the backlog by age; the
open tasks per official. Figures: `workflow_engine.persistence.cases.dashboards`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.dashboards import common
from app.dashboards.common import Dashboard, blueprint, register, sees_cases
from app.dashboards.forms import Choice, NumberField, read_filters
from app.dashboards.tables import Chart, Column, Day, Link, Table
from app.formatting import MONTHS_EN, MONTHS_ES, format_date, reader_language
from app.i18n import N_
from app.sessions import current_account
from workflow_engine.persistence.cases import dashboards as figures
from workflow_engine.persistence.cases.dashboards import CaseFilter, DashboardScope, Period
from workflow_engine.persistence.cases.visibility import folios_handled

DASHBOARD = register(
    Dashboard(
        "dashboards.procedures",
        N_("Trámites"),
        N_(
            "Expedientes iniciados, presentados y resueltos; tiempos de resolución, plazos, "
            "afirmativa o negativa ficta próxima, rezago y carga de trabajo."
        ),
        sees_cases,
        order=10,
    )
)
AT_RISK_DAYS = NumberField("dias", N_("Ficta en los próximos (días hábiles)"), 5, 1, 60)
AT_RISK_SHOWN = 50  # the soonest ones on the page; the downloads list them all
RULES = {"afirmativa_ficta": N_("Afirmativa ficta"), "negativa_ficta": N_("Negativa ficta")}


def period_label(period: Period, lang: str) -> str:
    """«marzo 2026» for a month, «02/03–08/03/2026» for a week (one day: «01/03/2026»)."""
    if period.kind == "month":
        months = MONTHS_EN if lang == "en" else MONTHS_ES
        return f"{months[period.start.month - 1]} {period.start.year}"
    if period.start == period.end:
        return f"{period.start:%d/%m/%Y}"
    return f"{period.start:%d/%m}–{period.end:%d/%m/%Y}"


@blueprint.route("/tramites")
def procedures() -> ResponseReturnValue:
    scope = common.require(DASHBOARD)
    departments = common.department_choices(scope)
    procedures = common.procedure_choices(scope)
    today = common.today()
    filters = read_filters(request.args, today, departments, procedures, (AT_RISK_DAYS,))
    tables = (
        _tables(scope, filters.case_filter, filters.numbers["dias"], procedures)
        if filters.case_filter is not None
        else []
    )
    return common.render_dashboard(
        "dashboards/procedures.html",
        filters=filters,
        tables=tables,
        stem="tramites",
        departments=departments,
        procedures=procedures,
        numbers=(AT_RISK_DAYS,),
        title=_(DASHBOARD.title),
    )


def _case_links(conn: Any, folios: list[str]) -> Callable[[str], str]:
    """The address of each case's page for this viewer ("" where they may not open it): an
    administrator's read-only view of every case, an official's staff view of the cases
    their department handles."""
    account = current_account()
    if account is None:
        return lambda folio: ""
    if account.role == "admin":
        return lambda folio: url_for("admin_cases.case", folio=folio)
    allowed = folios_handled(conn, account.actor(), folios)
    return lambda folio: url_for("inbox.case_page", folio=folio) if folio in allowed else ""


def _tables(
    scope: DashboardScope, flt: CaseFilter, at_risk_days: int, procedures: list[Choice]
) -> list[Table]:
    names = {p.key: p.label for p in procedures}
    lang = reader_language()
    tz = common.tz()
    today = common.today()
    calendar = common.calendar()
    with common.services().engine.connect() as conn:
        activity = figures.activity(conn, scope, flt, tz)
        per_procedure, total = figures.resolution_times(conn, scope, flt, tz)
        at_risk = figures.at_risk_of_ficta(conn, scope, flt, today, calendar, at_risk_days)
        backlog = figures.backlog_by_age(conn, scope, flt, tz, today, calendar)
        load = figures.workload(conn, scope, flt, today)
        case_url = _case_links(conn, [a.folio for a in at_risk[:AT_RISK_SHOWN]])
    days = _("días hábiles")
    return [
        Table(
            "actividad",
            _("Expedientes por periodo"),
            (
                Column("periodo", _("Periodo")),
                Column("iniciados", _("Iniciados"), "int"),
                Column("presentados", _("Presentados"), "int"),
                Column("aprobados", _("Aprobados"), "int"),
                Column("rechazados", _("Rechazados"), "int"),
                Column("cancelados", _("Desistidos o cancelados"), "int"),
            ),
            tuple(
                (
                    period_label(r.period, lang),
                    r.started,
                    r.submitted,
                    r.approved,
                    r.rejected,
                    r.cancelled,
                )
                for r in activity
            ),
            chart=Chart(
                "line", ("iniciados", "presentados", "aprobados", "rechazados", "cancelados")
            ),
            note=_(
                "Iniciados: creados (también borradores); presentados: enviados a revisión; "
                "aprobados, rechazados y cancelados: cerrados en el periodo."
            ),
        ),
        Table(
            "resolucion",
            _("Tiempo de resolución y cumplimiento de plazo por trámite"),
            (
                Column("tramite", _("Trámite")),
                Column("resueltos", _("Resueltos"), "int"),
                Column("mediana", _("Mediana (días)"), "decimal"),
                Column("p90", _("Percentil 90 (días)"), "decimal"),
                Column("cumplimiento", _("En plazo (%)"), "pct"),
            ),
            tuple(
                (
                    names.get(r.procedure_key, r.procedure_key),
                    r.resolved,
                    r.median_days,
                    r.p90_days,
                    r.compliance_pct,
                )
                for r in per_procedure
            ),
            chart=Chart("hbar", ("mediana", "p90")),
            footer=(
                _("Total"),
                total.resolved,
                total.median_days,
                total.p90_days,
                total.compliance_pct,
            ),
            note=_(
                "Expedientes resueltos en el periodo. Días: días hábiles desde la "
                "presentación hasta la resolución (mediana y percentil 90); en plazo: "
                "resueltos dentro del plazo máximo de respuesta del trámite (—: sin plazo)."
            ),
        ),
        Table(
            "ficta",
            _("Por vencer con afirmativa o negativa ficta"),
            (
                Column("folio", _("Folio")),
                Column("tramite", _("Trámite")),
                Column("vence", _("Vence el plazo"), "date"),
                Column("restantes", _("Días hábiles restantes"), "int"),
                Column("efecto", _("Si no se resuelve")),
            ),
            tuple(
                (
                    Link(a.folio, case_url(a.folio)),
                    names.get(a.procedure_key, a.procedure_key),
                    Day(format_date(a.due_on, lang), a.due_on),
                    a.business_days_left,
                    _(RULES[a.rule]),
                )
                for a in at_risk
            ),
            shown=AT_RISK_SHOWN,
            note=_(
                "Expedientes en revisión cuyo plazo máximo de respuesta vence en los próximos "
                "%(days)d días hábiles y que, al vencer, se tendrán por aprobados o rechazados.",
                days=at_risk_days,
            ),
        ),
        Table(
            "rezago",
            _("Expedientes abiertos por antigüedad"),
            (
                Column("antiguedad", _("Antigüedad (%(unit)s)", unit=days)),
                Column("expedientes", _("Expedientes"), "int"),
            ),
            tuple((_age(b), b.cases) for b in backlog),
            chart=Chart("bar", ("expedientes",)),
            note=_("Presentados y aún sin cerrar hoy, por días hábiles desde la presentación."),
        ),
        Table(
            "carga",
            _("Tareas abiertas por funcionario"),
            (
                Column("funcionario", _("Funcionario")),
                Column("abiertas", _("Tareas abiertas"), "int"),
                Column("vencidas", _("Vencidas"), "int"),
            ),
            tuple((w.name or _("Sin tomar"), w.open_tasks, w.overdue) for w in load),
            chart=Chart("hbar", ("abiertas", "vencidas")),
            note=_(
                "Tareas de revisión abiertas hoy, tomadas o asignadas; al final, las que "
                "nadie ha tomado."
            ),
        ),
    ]


def _age(bucket: figures.AgeBucket) -> str:
    if bucket.high is None:
        return _("más de %(days)d", days=bucket.low - 1)
    return f"{bucket.low}–{bucket.high}"
