"""Who may use the inbox: active officials. Everyone else gets the same 404 as a wrong URL."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, current_app, request

from app.auth import current_account, login_manager
from workflow_engine.engine import Actor, EngineContext
from workflow_engine.persistence.cases.inbox import Inbox, StaffViewer
from workflow_engine.persistence.platform.accounts import Account

DUE_SOON_BUSINESS_DAYS = 2


def services() -> Any:
    return current_app.extensions["tramita"]


def require_official() -> Account:
    account = current_account()
    if account is None:
        abort(login_manager.unauthorized())
    if account.role != "official" or not account.department_key:
        abort(404)
    return account


def viewer_for(account: Account) -> StaffViewer:
    actor = account.actor()
    return StaffViewer(user_id=actor.id, departments=actor.departments, roles=actor.roles)


def context() -> EngineContext:
    return services().cases.detached_context()  # type: ignore[no-any-return]


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
    if due_on is None:
        return "none"
    if due_on < today:
        return "overdue"
    if due_on <= ctx.calendar.add_business_days(today, DUE_SOON_BUSINESS_DAYS):
        return "due_soon"
    return "on_time"


def client_ip() -> str:
    return request.remote_addr or ""


def actor_of(account: Account) -> Actor:
    return account.actor()
