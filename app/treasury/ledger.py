"""The ledger on the web: a taxpayer's account statement (estado de cuenta) for the citizen
and for treasury staff, the taxpayer search, and the report of omisos with a CSV export."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.formatting import format_date, money, reader_language
from app.guards import login_required, require_treasury
from app.sessions import current_account
from connectors import ledger
from connectors.common import local_today
from connectors.ledger import report
from connectors.ledger.book import object_kind_name, taxpayers_t
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates.field_types import PERSONAL_IDS, identity_name

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("ledger", __name__)
PAGE = 50


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def _today() -> date:
    return local_today(_services().settings.timezone, utcnow())


def _statement_view(taxpayer_id: int) -> dict[str, Any]:
    lang = reader_language()
    today = _today()
    with _services().engine.connect() as conn:
        account = ledger.statement(conn, taxpayer_id, today, lang)
    rows = []
    for line in account.lines:
        rows.append(
            {
                "on": format_date(line.on, lang),
                "iso": line.on.isoformat(),
                "kind": line.kind,
                "concept": line.concept if line.kind == "charge" else _source(line.concept),
                "object": line.object_label,
                "reference": line.reference,
                "charge": money(line.amount_cents, line.currency) if line.amount_cents > 0 else "",
                "payment": money(-line.amount_cents, line.currency)
                if line.amount_cents < 0
                else "",
                "due_on": format_date(line.due_on, lang) if line.due_on else "",
                "overdue": line.kind == "charge"
                and line.status == "open"
                and line.due_on is not None
                and line.due_on < today,
                "status": line.status,
            }
        )
    return {
        "taxpayer": account.taxpayer,
        "tax_id_name": identity_name(account.taxpayer.get("tax_id"), lang, default=_("RFC")),
        "curp_name": identity_name(
            account.taxpayer.get("curp"), lang, first=PERSONAL_IDS, default=_("CURP")
        ),
        "zero": money(0),
        "objects": account.objects,
        "rows": rows,
        "balances": [(c, money(v, c)) for c, v in sorted(account.balances.items())],
        "overdue": [(c, money(v, c)) for c, v in sorted(account.overdue.items()) if v],
        "today": format_date(today, lang),
    }


def _source(source: str) -> str:
    kind = source.split(":", 1)[0]
    return {
        "gateway": _("Pago en línea"),
        "bank": _("Pago en banco"),
        "counter": _("Pago en caja"),
        "demo": _("Pago (demostración)"),
    }.get(kind, _("Pago"))


@blueprint.route("/mi-cuenta")
@login_required
def my_statement() -> ResponseReturnValue:
    account = current_account()
    assert account is not None
    with _services().engine.connect() as conn:
        found = conn.execute(
            select(taxpayers_t.c.id)
            .where(taxpayers_t.c.user_id == account.id)
            .order_by(taxpayers_t.c.id)
        ).first()
    view = _statement_view(int(found.id)) if found is not None else None
    return render_template("ledger/statement.html", view=view, staff=False)


@blueprint.route("/tesoreria/contribuyentes")
def taxpayers() -> ResponseReturnValue:
    require_treasury()
    q = request.args.get("q", "").strip()[:100]
    rows: list[Any] = []
    if q:
        with _services().engine.connect() as conn:
            rows = ledger.find_taxpayers(conn, q, limit=PAGE)
    return render_template("ledger/taxpayers.html", q=q, rows=rows)


@blueprint.route("/tesoreria/contribuyentes/<int(max=2147483647):taxpayer_id>")
def taxpayer_statement(taxpayer_id: int) -> ResponseReturnValue:
    require_treasury()
    with _services().engine.connect() as conn:
        exists = conn.execute(
            select(taxpayers_t.c.id).where(taxpayers_t.c.id == taxpayer_id)
        ).scalar_one_or_none()
    if exists is None:
        abort(404)
    return render_template("ledger/statement.html", view=_statement_view(taxpayer_id), staff=True)


def _kind_param() -> str | None:
    kind = request.args.get("tipo", "").strip() or None
    if kind is not None and kind not in ledger.OBJECT_KINDS:
        abort(400)
    return kind


@blueprint.route("/tesoreria/omisos")
def omisos() -> ResponseReturnValue:
    require_treasury()
    lang = reader_language()
    kind = _kind_param()
    after = request.args.get("despues", "0")
    after_id = int(after) if after.isdigit() and len(after) < 10 else 0
    with _services().engine.connect() as conn:
        rows = ledger.omisos(conn, _today(), kind=kind, limit=PAGE, after=after_id)
    return render_template(
        "ledger/omisos.html",
        rows=[
            {
                "object": f"{object_kind_name(r.kind, lang)} {r.key}",
                "description": r.description,
                "taxpayer": r.taxpayer_name,
                "taxpayer_id": r.taxpayer_id,
                "tax_id": r.tax_id,
                "count": r.overdue_count,
                "amount": money(r.overdue_cents, r.currency),
                "oldest": format_date(r.oldest_due, lang),
            }
            for r in rows
        ],
        kinds=[(k, object_kind_name(k, lang)) for k in ledger.OBJECT_KINDS],
        kind=kind or "",
        next_after=rows[-1].object_id if len(rows) == PAGE else None,
    )


@blueprint.route("/tesoreria/omisos.csv")
def omisos_csv() -> ResponseReturnValue:
    require_treasury()
    kind = _kind_param()
    today = _today()
    engine = _services().engine

    response = Response(report.omisos_csv(engine, today, kind), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="omisos-{today}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
