"""`flask --app wsgi ledger ...`: yearly charges and the omisos report for treasury."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import AppGroup

from connectors import ledger
from connectors.common import local_today
from connectors.ledger.book import AGEING_BUCKETS, OMISOS_SORTS
from connectors.ledger.report import omisos_csv
from workflow_engine.persistence.types import utcnow

if TYPE_CHECKING:
    from app.services import Services

ledger_cli = AppGroup("ledger", help="Built-in ledger: yearly charges, omisos.")


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


def generate_charges(services: Any, year: int | None = None) -> int:
    """Charge this year's recurring obligations (renewals, yearly taxes); safe to repeat."""
    timezone = services.settings.timezone
    return ledger.generate_yearly_charges(services.engine, timezone=timezone, year=year)


def expire_orders(services: Any, today: Any = None) -> int:
    """Expire unpaid orders past their date (each case gets a new order)."""
    from connectors.payments.expiry import expire_orders as expire

    timezone = services.settings.timezone
    return expire(services.engine, services.cases, timezone=timezone, today=today)


@ledger_cli.command("expire-orders")
def expire_orders_command() -> None:
    """Expire unpaid payment orders past their date; their cases ask for new ones."""
    click.echo(f"{expire_orders(_services())} órdenes vencidas")


@ledger_cli.command("generate-charges")
@click.option("--year", type=int, default=None, help="Default: the current year.")
def generate_charges_command(year: int | None) -> None:
    """Create the yearly charges of every registered object (once per object and year)."""
    made = generate_charges(_services(), year)
    click.echo(f"{made} cargos nuevos")


@ledger_cli.command("omisos")
@click.option("--kind", type=click.Choice(ledger.OBJECT_KINDS), default=None)
@click.option(
    "--ageing",
    type=click.Choice([key for key, _first, _last in AGEING_BUCKETS]),
    default=None,
    help="Only objects whose oldest overdue debt is this many days past due.",
)
@click.option(
    "--sort",
    type=click.Choice(OMISOS_SORTS),
    default="id",
    show_default=True,
    help="amount: largest first; age: oldest debt first; name: by taxpayer.",
)
def omisos_command(kind: str | None, ageing: str | None, sort: str) -> None:
    """Print the objects with overdue obligations as CSV (to standard output), with the
    same filters and orders as /tesoreria/omisos."""
    services = _services()
    today = local_today(services.settings.timezone, utcnow())
    for piece in omisos_csv(services.engine, today, kind, bucket=ageing, sort=sort):
        sys.stdout.write(piece)
