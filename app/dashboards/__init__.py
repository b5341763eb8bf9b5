"""The management dashboards (/tableros): figures for the mayor's office, the treasury and the
department directors, each seeing what `app.guards.dashboard_scope` gives them.

How to add a dashboard page:
- a module here (e.g. `revenue.py`) with its view on `common.blueprint` (URL under
  /tableros), registered with `common.register(Dashboard(endpoint, title, description,
  visible))` where `visible` is `common.sees_cases` or `common.sees_money` (or your own
  rule on the `DashboardScope`); import it below, in the order of the index page;
- the view starts with `scope = common.require(DASHBOARD)` (404 for anyone else), reads the
  form with `forms.read_filters(...)` and builds its `tables.Table`s from domain queries
  (workflow_engine/ or connectors/, pure SQLAlchemy Core, given the scope, the filter and
  today), then returns `common.render_dashboard(template, ...)`, which also answers the
  downloads (`?descargar=<table key>&formato=csv|xlsx`);
- its template extends dashboards/_layout.html and calls `filter_form` and `figure` of
  dashboards/_components.html.
"""

from app.dashboards import (  # noqa: F401  (importing registers)
    common,
    digitalization,
    funnel,
    procedures,
    revenue,
)

blueprints = (common.blueprint,)
