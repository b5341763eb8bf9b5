"""Who may open which page: one guard per kind of person, for every blueprint.

A guard returns the account it let through. Anonymous visitors are sent to log in (the
administration pages answer 401 instead); a logged-in person who may not see a page gets
the same 404 as for a URL that does not exist, so nobody learns what is there. Rules about
one case (is this the applicant? may this official work on this task?) stay with the
pages; these are the rules about the person.

- `login_required`: any logged-in person, browser session (citizens' pages: «Mis
  trámites», notifications, payments, profile, own account statement);
- `require_account`: any logged-in person or API key (downloads, shared with the API);
- `require_verified`: a logged-in person whose e-mail address is confirmed;
- `require_official`: an official with a department (the inbox and case review);
- `require_treasury`: administrators and treasury officials (ledger pages);
- `require_cashier`: administrators and treasury officials tagged `cajero` (reconciliation);
- `require_admin`: administrators (the /admin pages);
- `require_configurator`: department liaisons and administrators (the /configurador pages;
  which procedures each may edit is `app.configurator.common.editable`);
- `require_publication_approver`: administrators and department directors (officials tagged
  `director`): the four-eyes approval pages /configurador/aprobaciones, nothing else of the
  configurator (which requests each may decide: `app.configurator.publishing`);
- `require_dashboard_viewer`: whoever `dashboard_scope` gives a scope (the /tableros pages):
  administrators and the mayor's office (department `presidencia`) see everything, treasury
  officials the money dashboards, department directors their department's procedures; each
  dashboard then reads the scope (`app.dashboards.common.scope`);
- `is_admin`: whether the visitor is an administrator (public pages with an admin action).

`guard_blueprint(blueprint, require)` puts every view of a blueprint behind one of them.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.sessions import current_account, login_manager
from workflow_engine.persistence.cases.dashboards import DashboardScope
from workflow_engine.persistence.platform import catalog
from workflow_engine.persistence.platform.accounts import Account

TREASURY_DEPARTMENT = "tesoreria"
MAYOR_DEPARTMENT = "presidencia"
CASHIER_TAG = "cajero"
DIRECTOR_TAG = catalog.DIRECTOR_TAG

__all__ = [
    "CASHIER_TAG",
    "DIRECTOR_TAG",
    "MAYOR_DEPARTMENT",
    "TREASURY_DEPARTMENT",
    "dashboard_scope",
    "guard_blueprint",
    "is_admin",
    "is_cashier",
    "is_configurator",
    "is_official",
    "is_publication_approver",
    "is_treasury",
    "login_required",
    "require_account",
    "require_admin",
    "require_cashier",
    "require_configurator",
    "require_dashboard_viewer",
    "require_official",
    "require_publication_approver",
    "require_treasury",
    "require_verified",
]


def require_account() -> Account:
    """The logged-in account (browser session or API key); anonymous visitors log in."""
    account = current_account()
    if account is None:
        abort(login_manager.unauthorized())
    return account


def require_verified() -> Account:
    """The logged-in account, if its e-mail address is confirmed (staff always are).

    Anonymous visitors are sent to the login page; unverified citizens to the page that
    explains how to confirm the address (with a "send a new link" button). Call it before
    starting a procedure. API callers get a 401/403 JSON error instead of a redirect."""
    account = current_account()
    api = request.path.startswith("/api/")
    if account is None:
        if api:
            abort(401)
        abort(login_manager.unauthorized())
    if not account.is_verified:
        if api:
            abort(403)
        flash(_("Confirme su correo electrónico para iniciar trámites."))
        abort(redirect(url_for("accounts.verify_notice")))
    return account


def _allowed(rule: Callable[[Account], bool]) -> Account:
    account = require_account()
    if not rule(account):
        abort(404)
    return account


def is_official(account: Account) -> bool:
    return account.role == "official" and bool(account.department_key)


def is_treasury(account: Account) -> bool:
    return account.role == "admin" or (
        account.role == "official" and account.department_key == TREASURY_DEPARTMENT
    )


def is_cashier(account: Account) -> bool:
    if not account.is_active:
        return False
    if account.role == "admin":
        return True
    return (
        account.role == "official"
        and account.department_key == TREASURY_DEPARTMENT
        and CASHIER_TAG in account.role_tags
    )


def is_configurator(account: Account) -> bool:
    """Department liaisons (their department's procedures) and administrators (all)."""
    if not account.is_active:
        return False
    return account.role == "admin" or (account.role == "liaison" and bool(account.department_key))


def is_publication_approver(account: Account) -> bool:
    """Administrators and department directors (officials of a department tagged
    `director`): they decide liaisons' publication requests under the four-eyes rule."""
    if not account.is_active:
        return False
    return account.role == "admin" or (is_official(account) and DIRECTOR_TAG in account.role_tags)


def dashboard_scope(account: Account | None) -> DashboardScope | None:
    """What `account` may see on the management dashboards, None for nothing (404).

    Administrators and officials of the mayor's office: every department and the money;
    treasury officials: the money, and their department's procedures if they direct it;
    department directors (officials tagged `director`): their department's procedures."""
    if account is None or not account.is_active:
        return None
    if account.role == "admin" or (
        is_official(account) and account.department_key == MAYOR_DEPARTMENT
    ):
        return DashboardScope(departments=None, money=True)
    if not is_official(account):
        return None
    assert account.department_key is not None
    directs = DIRECTOR_TAG in account.role_tags
    own = frozenset([account.department_key]) if directs else frozenset()
    if account.department_key == TREASURY_DEPARTMENT:
        return DashboardScope(departments=own, money=True)
    return DashboardScope(departments=own) if directs else None


def require_dashboard_viewer() -> Account:
    return _allowed(lambda account: dashboard_scope(account) is not None)


def require_official() -> Account:
    return _allowed(is_official)


def require_treasury() -> Account:
    return _allowed(is_treasury)


def require_cashier() -> Account:
    return _allowed(is_cashier)


def require_configurator() -> Account:
    return _allowed(is_configurator)


def require_publication_approver() -> Account:
    return _allowed(is_publication_approver)


def require_admin() -> Account:
    """Administrators; anonymous visitors get a 401 (not the login page), like the API."""
    account = current_account()
    if account is None:
        abort(401)
    if account.role != "admin":
        abort(404)
    return account


def is_admin() -> bool:
    account = current_account()
    return account is not None and account.role == "admin"


def guard_blueprint(blueprint: Blueprint, require: Callable[[], Account]) -> None:
    """Check `require` before every view of `blueprint`."""

    def check() -> None:
        require()

    blueprint.before_request(check)
