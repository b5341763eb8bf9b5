"""/tableros/ingresos: the money. Collected by month, channel, concept and procedure; payment
orders issued against paid (the collection rate), pending and expired; the forecast of the
year's recurring charges. /tableros/padron: the taxpayer base month by month. Figures:
`connectors.ledger.revenue` (treasury, administrators and the mayor's office)."""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.dashboards import common
from app.dashboards.common import Dashboard, blueprint, register, sees_money
from app.dashboards.forms import Choice, Filters, SelectField, read_filters
from app.dashboards.tables import Cell, Chart, Column, Table
from app.formatting import MONTHS_EN, MONTHS_ES, reader_language
from app.i18n import N_
from connectors.ledger import revenue
from connectors.ledger.book import OBJECT_KINDS, object_kind_name
from connectors.ledger.revenue import Amount, Period
from workflow_engine.persistence.cases.dashboards import DashboardScope

REVENUE = register(
    Dashboard(
        "dashboards.revenue",
        N_("Ingresos"),
        N_(
            "Recaudación por mes, canal, concepto y trámite; órdenes de pago emitidas contra "
            "pagadas, pendientes y vencidas; pronóstico de los cobros anuales."
        ),
        sees_money,
    )
)
TAXPAYER_BASE = register(
    Dashboard(
        "dashboards.taxpayer_base",
        N_("Padrón de contribuyentes"),
        N_("Contribuyentes y registros del padrón dados de alta cada mes, por tipo."),
        sees_money,
    )
)
# Money is the treasury's whole: whoever sees the money dashboards filters by any department
# or procedure (their cases' details stay behind the case dashboards' scope).
ALL_MONEY = DashboardScope(departments=None, money=True)
CHANNELS = {
    "gateway": N_("En línea"),
    "bank": N_("Banco"),
    "counter": N_("Caja"),
    "other": N_("Otros"),
}
assert tuple(CHANNELS) == revenue.CHANNELS
CHANNEL = SelectField("canal", N_("Canal de pago"), tuple(CHANNELS.items()), N_("Todos"))


def month_label(month: str, lang: str) -> str:
    """«marzo 2026» for "2026-03"."""
    year, number = month.split("-")
    names = MONTHS_EN if lang == "en" else MONTHS_ES
    return f"{names[int(number) - 1]} {year}"


def _pesos(cents: int) -> float:
    return round(cents / 100, 2)


def _period(filters: Filters) -> Period:
    flt = filters.case_filter
    assert flt is not None
    return Period(flt.start, flt.end, common.services().settings.timezone)


def _procedure_keys(filters: Filters, procedures: list[Choice]) -> set[str] | None:
    """The procedures the filter keeps (None: every payment, also those of no case)."""
    flt = filters.case_filter
    assert flt is not None
    if flt.procedure:
        return {flt.procedure}
    if flt.department:
        return {p.key for p in procedures if p.department == flt.department}
    return None


def _money_label(text: str, currencies: set[str]) -> str:
    return f"{text} ({next(iter(currencies))})" if len(currencies) == 1 else text


def _keyed(
    key: str,
    title: str,
    first: Column,
    rows: Sequence[Amount],
    label: dict[str, str],
    *,
    chart: str | None,
    note: str = "",
    share: bool = False,
) -> Table:
    """One table of sums by key: label, payments, amount (and % of the total)."""
    currencies = {r.currency for r in rows} or {"MXN"}
    many = len(currencies) > 1
    totals = {c: sum(r.cents for r in rows if r.currency == c) for c in currencies}
    columns = [
        first,
        Column("pagos", _("Pagos"), "int"),
        Column("importe", _money_label(_("Importe"), currencies), "money"),
    ]
    if share:
        columns.append(Column("porcentaje", _("Del total (%)"), "pct"))
    body = []
    for r in rows:
        name = label.get(r.key, r.key)
        cells: list[Cell] = [f"{name} · {r.currency}" if many else name, r.count, _pesos(r.cents)]
        if share:
            whole = totals[r.currency]
            cells.append(round(100 * r.cents / whole, 1) if whole else None)
        body.append(tuple(cells))
    footer: tuple[Cell, ...] | None = None
    if not many and rows:
        total_cells: list[Cell] = [
            _("Total"),
            sum(r.count for r in rows),
            _pesos(sum(r.cents for r in rows)),
        ]
        if share:
            total_cells.append(100.0)
        footer = tuple(total_cells)
    return Table(
        key,
        title,
        tuple(columns),
        tuple(body),
        chart=Chart(chart, ("importe",)) if chart and any(r.cents for r in rows) else None,
        note=note,
        footer=footer,
    )


@blueprint.route("/ingresos", endpoint="revenue")
def revenue_page() -> ResponseReturnValue:
    common.require(REVENUE)
    departments = common.department_choices(ALL_MONEY)
    procedures = common.procedure_choices(ALL_MONEY)
    filters = read_filters(
        request.args, common.today(), departments, procedures, selects=(CHANNEL,)
    )
    tables = _revenue_tables(filters, procedures) if filters.ok else []
    return common.render_dashboard(
        "dashboards/revenue.html",
        filters=filters,
        tables=tables,
        stem="ingresos",
        departments=departments,
        procedures=procedures,
        selects=(CHANNEL,),
        title=_(REVENUE.title),
    )


def _revenue_tables(filters: Filters, procedures: list[Choice]) -> list[Table]:
    lang = reader_language()
    period = _period(filters)
    keys = _procedure_keys(filters, procedures)
    channel = filters.selected.get("canal") or None
    today = common.today()
    year = period.end.year
    with common.services().engine.connect() as conn:
        money = revenue.collected(conn, period, procedures=keys, channel=channel)
        orders = revenue.orders(conn, period, today, procedures=keys)
        forecast = revenue.yearly_forecast(conn, year)
    titles = {p.key: p.label for p in procedures}
    titles[""] = _("Sin trámite (cobros del padrón)")
    months = {m.key: month_label(m.key, lang) for m in money.by_month}
    channels = {k: _(v) for k, v in CHANNELS.items()}
    concepts = {"": _("Sin concepto")}
    filtered = _(
        "Con filtro de área o trámite, sólo cuenta lo pagado en expedientes de esos trámites."
    )
    by_channel = (
        " " + _("Sólo lo pagado por el canal elegido: %(channel)s.", channel=_(CHANNELS[channel]))
        if channel
        else ""
    )
    no_channel = (
        " "
        + _(
            "El filtro de canal no se aplica aquí: una orden o un cargo aún sin pagar no "
            "tiene canal."
        )
        if channel
        else ""
    )
    return [
        _keyed(
            "mes",
            _("Recaudación por mes"),
            Column("mes", _("Mes")),
            money.by_month,
            months,
            chart="bar",
            note=_("Pagos recibidos en el periodo, por el mes en que se pagaron.")
            + (" " + filtered if keys is not None else "")
            + by_channel,
        ),
        _keyed(
            "canal",
            _("Recaudación por canal"),
            Column("canal", _("Canal")),
            money.by_channel,
            channels,
            chart="hbar",
            share=True,
            note=_(
                "En línea: pasarela de pago; banco: archivos de conciliación bancaria; caja: "
                "cobros en ventanilla; otros: cualquier otra fuente."
            )
            + by_channel,
        ),
        _keyed(
            "concepto",
            _("Recaudación por concepto"),
            Column("concepto", _("Concepto")),
            money.by_concept,
            concepts,
            chart="hbar",
            share=True,
            note=by_channel.strip(),
        ),
        _keyed(
            "tramite",
            _("Recaudación por trámite"),
            Column("tramite", _("Trámite")),
            money.by_procedure,
            titles,
            chart="hbar",
            share=True,
            note=by_channel.strip(),
        ),
        _orders_table(orders, titles, no_channel),
        _forecast_table(forecast, year, lang, no_channel),
    ]


def _orders_table(
    rows: Sequence[revenue.OrdersRow], titles: dict[str, str], extra_note: str = ""
) -> Table:
    currencies = {r.currency for r in rows} or {"MXN"}
    many = len(currencies) > 1

    def cells(r: revenue.OrdersRow, name: str) -> tuple[Cell, ...]:
        return (
            f"{name} · {r.currency}" if many else name,
            r.issued,
            r.paid,
            r.pending,
            r.expired,
            _pesos(r.issued_cents),
            _pesos(r.paid_cents),
            round(100 * r.rate, 1) if r.rate is not None else None,
        )

    body = tuple(cells(r, titles.get(r.procedure, r.procedure)) for r in rows if r.procedure)
    totals = [r for r in rows if not r.procedure]
    footer = cells(totals[0], _("Total")) if len(totals) == 1 else None
    return Table(
        "ordenes",
        _("Órdenes de pago emitidas y pagadas"),
        (
            Column("tramite", _("Trámite")),
            Column("emitidas", _("Emitidas"), "int"),
            Column("pagadas", _("Pagadas"), "int"),
            Column("pendientes", _("Pendientes"), "int"),
            Column("vencidas", _("Vencidas"), "int"),
            Column("importe_emitido", _money_label(_("Importe emitido"), currencies), "money"),
            Column("importe_pagado", _money_label(_("Importe pagado"), currencies), "money"),
            Column("tasa", _("Tasa de cobro (%)"), "pct"),
        ),
        body,
        chart=Chart("stacked", ("pagadas", "pendientes", "vencidas")) if body else None,
        note=_(
            "Órdenes emitidas en el periodo y lo que pasó con ellas hasta hoy (vencidas: "
            "también las canceladas). Tasa de cobro: importe pagado entre importe emitido."
        )
        + extra_note,
        footer=footer,
    )


def _forecast_table(
    rows: Sequence[revenue.ForecastRow], year: int, lang: str, extra_note: str = ""
) -> Table:
    currencies = {r.currency for r in rows} or {"MXN"}
    many = len(currencies) > 1
    body = tuple(
        (
            f"{object_kind_name(r.kind, lang)}: {r.concept}" + (f" · {r.currency}" if many else ""),
            r.objects,
            _pesos(r.expected_cents),
            _pesos(r.charged_cents),
            _pesos(r.paid_cents),
            _pesos(r.expected_cents - r.paid_cents),
        )
        for r in rows
    )
    footer: tuple[Cell, ...] | None = None
    if rows and not many:
        footer = (
            _("Total"),
            sum(r.objects for r in rows),
            _pesos(sum(r.expected_cents for r in rows)),
            _pesos(sum(r.charged_cents for r in rows)),
            _pesos(sum(r.paid_cents for r in rows)),
            _pesos(sum(r.expected_cents - r.paid_cents for r in rows)),
        )
    return Table(
        "pronostico",
        _("Pronóstico de cobros anuales %(year)s", year=year),
        (
            Column("concepto", _("Registro y concepto")),
            Column("registros", _("Registros"), "int"),
            Column("esperado", _money_label(_("Esperado"), currencies), "money"),
            Column("cargado", _money_label(_("Ya cargado"), currencies), "money"),
            Column("pagado", _money_label(_("Ya pagado"), currencies), "money"),
            Column("por_cobrar", _money_label(_("Por cobrar"), currencies), "money"),
        ),
        body,
        chart=Chart("bar", ("esperado", "pagado")) if body else None,
        note=_(
            "Los registros activos del padrón con cobro anual, en el año en que termina el "
            "periodo: lo ya cargado tal como se cargó y lo demás según su regla (prorrateo "
            "del primer año incluido). No depende del área ni del trámite elegidos."
        )
        + extra_note,
        footer=footer,
    )


# -- the taxpayer base -------------------------------------------------------------------------


@blueprint.route("/padron", endpoint="taxpayer_base")
def taxpayer_base_page() -> ResponseReturnValue:
    common.require(TAXPAYER_BASE)
    departments = common.department_choices(ALL_MONEY)
    procedures = common.procedure_choices(ALL_MONEY)
    filters = read_filters(request.args, common.today(), departments, procedures)
    tables: list[Table] = []
    if filters.ok:
        with common.services().engine.connect() as conn:
            months = revenue.taxpayer_base(conn, _period(filters))
        tables = _base_tables(months)
    return common.render_dashboard(
        "dashboards/taxpayer_base.html",
        filters=filters,
        tables=tables,
        stem="padron",
        departments=departments,
        procedures=procedures,
        title=_(TAXPAYER_BASE.title),
    )


def _base_tables(months: Sequence[revenue.BaseMonth]) -> list[Table]:
    lang = reader_language()
    kinds = [k for k in OBJECT_KINDS if any(m.objects.get(k) for m in months)]
    people = Table(
        "contribuyentes",
        _("Contribuyentes dados de alta por mes"),
        (
            Column("mes", _("Mes")),
            Column("fisica", _("Personas físicas"), "int"),
            Column("moral", _("Personas morales"), "int"),
            Column("total", _("En el padrón al cierre del mes"), "int"),
        ),
        tuple(
            (
                month_label(m.month, lang),
                m.taxpayers.get("fisica", 0),
                m.taxpayers.get("moral", 0),
                m.taxpayers_total,
            )
            for m in months
        ),
        chart=Chart("stacked", ("fisica", "moral")),
        note=_("Los filtros de área y trámite no se aplican al padrón."),
        footer=(
            _("Total del periodo"),
            sum(m.taxpayers.get("fisica", 0) for m in months),
            sum(m.taxpayers.get("moral", 0) for m in months),
            months[-1].taxpayers_total if months else 0,
        ),
    )
    objects = Table(
        "registros",
        _("Registros del padrón dados de alta por mes, por tipo"),
        (
            Column("mes", _("Mes")),
            *(Column(k, object_kind_name(k, lang), "int") for k in kinds),
            Column("total", _("En el padrón al cierre del mes"), "int"),
        ),
        tuple(
            (
                month_label(m.month, lang),
                *(m.objects.get(k, 0) for k in kinds),
                m.objects_total,
            )
            for m in months
        ),
        chart=Chart("stacked", tuple(kinds)) if kinds else None,
        note=_(
            "Negocios, vehículos, anuncios, construcciones, puestos, lotes y predios, por la "
            "fecha en que se registraron (también los dados de baja después)."
        ),
        footer=(
            _("Total del periodo"),
            *(sum(m.objects.get(k, 0) for m in months) for k in kinds),
            months[-1].objects_total if months else 0,
        ),
    )
    return [people, objects]
