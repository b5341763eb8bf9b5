"""The ledger on the web: a taxpayer's account statement (estado de cuenta) for the citizen
and for treasury staff, the taxpayer search, and the report of omisos with a CSV export."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from app.citizen.cases import status_label
from app.formatting import format_date, money, reader_language
from app.guards import login_required, require_treasury
from app.sessions import current_account
from connectors import ledger
from connectors.common import local_today
from connectors.ledger import account as account_view
from connectors.ledger import report
from connectors.ledger.book import AGEING_BUCKETS, object_kind_name, taxpayers_t
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
    return _statement_context(account, today, lang)


def _statement_context(account: ledger.Statement, today: date, lang: str) -> dict[str, Any]:
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
    """The consolidated fiscal account: one taxpayer's identification, objects, obligations
    with their history, payments, balance, overdue items and cases; each look is audited."""
    staff = require_treasury()
    services = _services()
    with services.engine.connect() as conn:
        if not account_view.taxpayer_exists(conn, taxpayer_id):
            abort(404)
        account = account_view.fiscal_account(
            conn, taxpayer_id, _today(), reader_language(), timezone=services.settings.timezone
        )
    account_view.log_view(services.engine, taxpayer_id, staff, request.remote_addr or "")
    return render_template(
        "ledger/account.html",
        view=_statement_context(account.statement, _today(), reader_language()),
        account=_account_view(account),
    )


def channel_label(channel: str) -> str:
    return {
        "gateway": _("Pago en línea"),
        "bank": _("Pago en banco"),
        "counter": _("Pago en caja"),
    }.get(channel, _("Pago"))


def _history_label(entry: account_view.HistoryEntry, lang: str) -> str:
    if entry.what == "charged":
        return _("Cargo registrado")
    if entry.what == "order_issued":
        if entry.detail:
            day = format_date(date.fromisoformat(entry.detail), lang)
            return _("Orden de pago emitida; vence el %(day)s", day=day)
        return _("Orden de pago emitida")
    if entry.what == "order_expired":
        return _("Orden de pago vencida sin pagar")
    if entry.what == "paid":
        return _("Pagado: %(channel)s", channel=_source(entry.detail))
    if entry.what == "cancelled":
        return _("Cancelado: ya no se adeuda")
    return _("Aviso de pago no aplicado (%(detail)s)", detail=entry.detail or entry.what)


def _account_view(account: account_view.FiscalAccount) -> dict[str, Any]:
    lang = reader_language()
    titles = {
        info.key: info.title.get(lang) or info.title.get("es") or info.key
        for info in _services().catalog.all()
    }
    how = {
        "applicant": _("Lo presentó"),
        "identifier": _("Su solicitante dio este RFC o CURP"),
        "ledger": _("Originó un cargo, pago o registro"),
    }
    status = {"open": _("Pendiente"), "paid": _("Pagado"), "cancelled": _("Cancelado")}
    obligations = [
        {
            "concept": o.concept,
            "object": o.object_label,
            "folio": o.folio,
            "reference": o.reference,
            "amount": money(o.amount_cents, o.currency),
            "due_on": format_date(o.due_on, lang),
            "due_iso": o.due_on.isoformat(),
            "status": o.status,
            "status_label": _("Vencido, %(days)s días", days=o.days_overdue)
            if o.days_overdue
            else status.get(o.status, o.status),
            "overdue": o.days_overdue > 0,
            "days": o.days_overdue,
            "history": [
                {
                    "on": format_date(e.on, lang),
                    "iso": e.on.isoformat(),
                    "label": _history_label(e, lang),
                    "amount": money(e.amount_cents, e.currency)
                    if e.amount_cents is not None and e.currency
                    else "",
                }
                for e in o.history
            ],
        }
        for o in account.obligations
    ]
    taxpayer = account.statement.taxpayer
    return {
        "kind": _("Persona moral") if taxpayer.get("kind") == "moral" else _("Persona física"),
        "since": format_date(taxpayer["created_at"], lang) if taxpayer.get("created_at") else "",
        "objects": [
            {
                "label": f"{object_kind_name(o['kind'], lang)} {o['key']}",
                "description": o["description"],
                "active": o["status"] == "active",
                "registered": format_date(o["registered_at"], lang),
                "yearly": (
                    f"{o['recurring'].get('concept', '')}: "
                    + money(
                        int(o["recurring"].get("amount_cents") or 0),
                        str(o["recurring"].get("currency", "MXN")),
                    )
                )
                if o.get("recurring")
                else "",
            }
            for o in account.statement.objects
        ],
        "obligations": obligations,
        "overdue": [o for o in obligations if o["overdue"]],
        "payments": [
            {
                "on": format_date(p.on, lang),
                "iso": p.on.isoformat(),
                "channel": channel_label(p.channel),
                "reference": p.reference,
                "folio": p.folio,
                "amount": money(p.amount_cents, p.currency),
            }
            for p in account.payments
        ],
        "cases": [
            {
                "folio": c.folio,
                "procedure": titles.get(c.procedure_key, c.procedure_key),
                "status": status_label(c.status, c.outcome, lang),
                "started": format_date(c.started_on, lang),
                "started_iso": c.started_on.isoformat(),
                "how": how.get(c.how, c.how),
            }
            for c in account.cases
        ],
    }


def _kind_param() -> str | None:
    kind = request.args.get("tipo", "").strip() or None
    if kind is not None and kind not in ledger.OBJECT_KINDS:
        abort(400)
    return kind


# The omisos list's orders (?orden=): URL word -> (the ledger's sort, its aria-sort).
OMISOS_ORDERS = {
    "importe": ("amount", "descending"),
    "antiguedad": ("age", "descending"),
    "nombre": ("name", "ascending"),
    "registro": ("id", "ascending"),
}
BUCKET_KEYS = tuple(key for key, _first, _last in AGEING_BUCKETS)


def bucket_label(key: str) -> str:
    labels = {
        "0-30": _("1 a 30 días"),
        "31-90": _("31 a 90 días"),
        "91-180": _("91 a 180 días"),
        "181-365": _("181 a 365 días"),
        "365+": _("Más de 365 días"),
    }
    return labels.get(key, key)


def _omisos_params() -> tuple[str | None, str | None, str]:
    """(kind, ageing bucket, order word) from the query string; 400 for anything unknown."""
    kind = _kind_param()
    bucket = request.args.get("antiguedad", "").strip() or None
    if bucket is not None and bucket not in BUCKET_KEYS:
        abort(400)
    order = request.args.get("orden", "").strip() or "importe"
    if order not in OMISOS_ORDERS:
        abort(400)
    return kind, bucket, order


def _omisos_url(endpoint: str = "ledger.omisos", **changes: Any) -> str:
    args = {k: request.args.get(k, "") for k in ("tipo", "antiguedad", "orden")}
    args.update(changes)
    query: dict[str, Any] = {k: v for k, v in args.items() if v}
    return url_for(endpoint, **query)


@blueprint.route("/tesoreria/omisos")
def omisos() -> ResponseReturnValue:
    require_treasury()
    lang = reader_language()
    kind, bucket, order = _omisos_params()
    raw_page = request.args.get("pagina", "1")
    if not raw_page.isdigit() or len(raw_page) > 6 or int(raw_page) < 1:
        abort(400)
    page = int(raw_page)
    today = _today()
    with _services().engine.connect() as conn:
        ageing = ledger.omisos_ageing(conn, today, kind=kind)
        rows = ledger.omisos(
            conn,
            today,
            kind=kind,
            bucket=bucket,
            sort=OMISOS_ORDERS[order][0],
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
    total = sum(a.objects for a in ageing if bucket is None or a.bucket == bucket)
    pages = max(1, -(-total // PAGE))
    if page > pages:
        abort(404)
    sums: dict[str, int] = {}
    for a in ageing:
        sums[a.currency] = sums.get(a.currency, 0) + a.cents
    columns = {
        word: {
            "url": _omisos_url(orden=word),
            "aria": aria if word == order else "none",
        }
        for word, (_sort, aria) in OMISOS_ORDERS.items()
    }
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
                "oldest_iso": r.oldest_due.isoformat(),
                "days": r.days_overdue,
                "bucket": bucket_label(r.bucket),
            }
            for r in rows
        ],
        ageing=[
            {
                "key": a.bucket,
                "label": bucket_label(a.bucket),
                "objects": a.objects,
                "obligations": a.obligations,
                "amount": money(a.cents, a.currency),
                "url": _omisos_url(antiguedad=a.bucket),
                "current": a.bucket == bucket,
            }
            for a in ageing
        ],
        ageing_total=[money(v, c) for c, v in sorted(sums.items())],
        ageing_objects=sum(a.objects for a in ageing),
        kinds=[(k, object_kind_name(k, lang)) for k in ledger.OBJECT_KINDS],
        buckets=[(k, bucket_label(k)) for k in BUCKET_KEYS],
        kind=kind or "",
        bucket=bucket or "",
        order=order,
        orders=[
            ("importe", _("Importe vencido, mayor primero")),
            ("antiguedad", _("Antigüedad, más antiguo primero")),
            ("nombre", _("Contribuyente, A a Z")),
            ("registro", _("Orden de registro")),
        ],
        columns=columns,
        csv_url=_omisos_url("ledger.omisos_csv"),
        all_url=_omisos_url(antiguedad=""),
        page=page,
        pages=pages,
        previous_url=_omisos_url(pagina=str(page - 1)) if page > 1 else None,
        next_url=_omisos_url(pagina=str(page + 1)) if page < pages else None,
    )


@blueprint.route("/tesoreria/omisos.csv")
def omisos_csv() -> ResponseReturnValue:
    require_treasury()
    kind, bucket, order = _omisos_params()
    today = _today()
    engine = _services().engine
    rows = report.omisos_csv(engine, today, kind, bucket=bucket, sort=OMISOS_ORDERS[order][0])
    response = Response(rows, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="omisos-{today}.csv"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
