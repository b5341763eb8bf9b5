"""The management dashboards' frame (/tableros): the blueprint behind its guard, the list of
dashboards and who sees which, the filter choices in the viewer's scope, and the one way a
dashboard page is rendered or downloaded (CSV, XLSX) from its tables.

To add a dashboard: a module in this package that defines its view on `blueprint`, builds its
`Table`s and returns `render_dashboard(...)`, then `register(Dashboard(...))`; import the
module in `app/dashboards/__init__.py` (README of the package: that docstring)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.dashboards.forms import Choice, Filters
from app.dashboards.tables import Table, table_by_key
from app.formatting import department_names, localized, reader_language
from app.guards import dashboard_scope, guard_blueprint, require_dashboard_viewer
from app.sessions import current_account
from connectors.common import local_today
from workflow_engine.calendar import BusinessCalendar
from workflow_engine.persistence.cases.dashboards import DashboardScope
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.persistence.platform.holidays import holiday_days
from workflow_engine.persistence.types import utcnow

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("dashboards", __name__, url_prefix="/tableros")
guard_blueprint(blueprint, require_dashboard_viewer)


@dataclass(frozen=True)
class Dashboard:
    """One entry of /tableros: its view's endpoint, title and one-line description (msgids,
    translated when shown), who may open it (`visible(scope)`) and its place (`order`)."""

    endpoint: str
    title: str
    description: str
    visible: Callable[[DashboardScope], bool]
    order: int = 100  # place on the index and in the side navigation (Procedures 10, Funnel 20)


DASHBOARDS: list[Dashboard] = []


def register(dashboard: Dashboard) -> Dashboard:
    DASHBOARDS.append(dashboard)
    DASHBOARDS.sort(key=lambda d: d.order)
    return dashboard


def sees_cases(scope: DashboardScope) -> bool:
    """The case dashboards: everything, or at least one department."""
    return scope.sees_cases


def sees_money(scope: DashboardScope) -> bool:
    """The money dashboards (revenue, taxpayer base): administrators, mayor's office,
    treasury."""
    return scope.money


def services() -> Services:
    found: Services = current_app.extensions["tramita"]
    return found


def tz() -> ZoneInfo:
    return ZoneInfo(services().settings.timezone)


def today() -> date:
    """The municipality's today (tests move it with the `utcnow` clock)."""
    return local_today(services().settings.timezone, utcnow())


def calendar() -> BusinessCalendar:
    with services().engine.connect() as conn:
        return BusinessCalendar.with_holidays(holiday_days(conn))


def scope() -> DashboardScope:
    """The viewer's scope (the guard already let them in)."""
    found = dashboard_scope(current_account())
    if found is None:
        abort(404)
    return found


def require(dashboard: Dashboard) -> DashboardScope:
    """The viewer's scope, or a 404 when this dashboard is not theirs."""
    found = scope()
    if not dashboard.visible(found):
        abort(404)
    return found


def visible_dashboards(found: DashboardScope) -> list[Dashboard]:
    return [d for d in DASHBOARDS if d.visible(found)]


@blueprint.app_context_processor
def dashboards_link() -> dict[str, Any]:
    """`show_dashboards()` for the navigation: whether the visitor may open /tableros."""

    def show() -> bool:
        return dashboard_scope(current_account()) is not None

    return {"show_dashboards": show}


# -- the filters' choices ---------------------------------------------------------------------


def _templates() -> list[TemplateInfo]:
    """Every procedure template, read once per request (both selects use them)."""
    if "dashboard_templates" not in g:
        g.dashboard_templates = services().catalog.all()
    found: list[TemplateInfo] = g.dashboard_templates
    return found


def department_choices(found: DashboardScope) -> list[Choice]:
    """The departments with procedures the viewer may see, by name."""
    names = department_names()
    keys = {info.department for info in _templates() if found.allows(info.department)}
    if found.departments is not None:
        keys &= set(found.departments)
    return sorted((Choice(k, names.get(k, k)) for k in keys), key=lambda c: c.label.lower())


def procedure_choices(found: DashboardScope) -> list[Choice]:
    """The published procedures the viewer may see, by title."""
    lang = reader_language()
    return sorted(
        (
            Choice(info.key, localized(info.title, lang) or info.key, info.department)
            for info in _templates()
            if info.latest_version is not None and found.allows(info.department)
        ),
        key=lambda c: c.label.lower(),
    )


# -- rendering and downloads ------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(tables: Sequence[Table], stem: str) -> Response | None:
    """`?descargar=<table>&formato=csv|xlsx`: that table's file; None when no download is
    asked; 404 for a table this page does not have."""
    key = request.args.get("descargar")
    if key is None:
        return None
    table = table_by_key(tables, key)
    kind = request.args.get("formato", "csv")
    if table is None or kind not in ("csv", "xlsx"):
        abort(404)
    if kind == "csv":
        response = Response("\ufeff" + table.csv(), content_type="text/csv; charset=utf-8")
    else:
        response = Response(table.xlsx(), mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{table.filename(stem, kind)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def render_dashboard(
    template: str,
    *,
    filters: Filters,
    tables: Sequence[Table],
    stem: str,
    departments: list[Choice],
    procedures: list[Choice],
    **context: Any,
) -> ResponseReturnValue:
    """A dashboard page: its file when a download is asked, else the page (400 with the
    form's messages when a filter is wrong)."""
    if filters.ok:
        file = download(tables, stem)
        if file is not None:
            return file
    elif request.args.get("descargar") is not None:
        abort(400)
    page = render_template(
        template,
        filters=filters,
        tables=tables,
        departments=departments,
        procedures=procedures,
        dashboards=visible_dashboards(scope()),
        **context,
    )
    return page, 200 if filters.ok else 400


@blueprint.route("/")
def index() -> ResponseReturnValue:
    found = scope()
    return render_template(
        "dashboards/index.html",
        dashboards=visible_dashboards(found),
        sees_everything=found.sees_everything,
        title=_("Tableros"),
    )
