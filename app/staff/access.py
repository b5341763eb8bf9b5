"""What the inbox pages share: services, the engine context, the inbox query, deadline
states (who may use them is `app.guards.require_official`)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from flask import current_app, request

from workflow_engine.engine import Actor, EngineContext
from workflow_engine.persistence.cases.inbox import Inbox, StaffViewer
from workflow_engine.persistence.cases.inbox import deadline_state as inbox_deadline_state
from workflow_engine.persistence.platform.accounts import Account

if TYPE_CHECKING:
    from app.services import Services

DUE_SOON_BUSINESS_DAYS = 2


def services() -> Services:
    found: Services = current_app.extensions["tramita"]
    return found


def viewer_for(account: Account) -> StaffViewer:
    actor = account.actor()
    return StaffViewer(user_id=actor.id, departments=actor.departments, roles=actor.roles)


def context() -> EngineContext:
    return services().cases.detached_context()


def inbox() -> Inbox:
    ctx = context()
    from workflow_engine.persistence.types import utcnow

    def today() -> date:
        return ctx.local_date(utcnow())

    def due_soon_until(day: date) -> date:
        return ctx.calendar.add_business_days(day, DUE_SOON_BUSINESS_DAYS)

    return Inbox(services().engine, today, due_soon_until)


def deadline_state(due_on: date | None, ctx: EngineContext, today: date) -> str:
    """on_time | due_soon | overdue | none, the same rule as the inbox query."""
    return inbox_deadline_state(
        due_on, today, ctx.calendar.add_business_days(today, DUE_SOON_BUSINESS_DAYS)
    )


def client_ip() -> str:
    return request.remote_addr or ""


def actor_of(account: Account) -> Actor:
    return account.actor()
