"""«Notificaciones»: the logged-in person's in-app notifications (their own and, for staff,
their department's), newest first, with "mark as read". The rules of who sees what live in
connectors.notifications.inbox; this module only translates HTTP."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from sqlalchemy import Engine

from app.formatting import format_moment, reader_language
from app.guards import login_required
from app.sessions import current_account
from connectors.notifications import inbox
from workflow_engine.persistence.platform.accounts import Account

blueprint = Blueprint("notifications", __name__)
MAX_ID = 2**62  # larger ids exist nowhere (and would overflow the database's integers)


def _account() -> Account:
    account = current_account()
    assert account is not None  # login_required ran first
    return account


def _engine() -> Engine:
    engine: Engine = current_app.extensions["tramita"].engine
    return engine


def _cursor(raw: str | None) -> int | None:
    """A page cursor from the query string; nonsense is the first page, not an error."""
    return int(raw) if raw and raw.isdigit() and int(raw) <= MAX_ID else None


def _paragraphs(body: str, base_url: str) -> list[dict[str, str]]:
    """The body's paragraphs; the one that is our own link becomes a link."""
    out = []
    for text in body.split("\n\n"):
        text = text.strip()
        if not text:
            continue
        if text.startswith(base_url.rstrip("/") + "/") and " " not in text:
            out.append({"href": text, "text": text})
        else:
            out.append({"text": text})
    return out


@blueprint.route("/notificaciones")
@login_required
def notification_list() -> ResponseReturnValue:
    account = _account()
    lang = reader_language()
    after = _cursor(request.args.get("despues"))
    result = inbox.page(_engine(), account, after)
    base_url = current_app.extensions["tramita"].settings.base_url
    items = [
        {
            "id": item.id,
            "subject": item.subject,
            "paragraphs": _paragraphs(item.body, base_url),
            "folio": item.folio,
            "when": format_moment(item.created_at, lang),
            "read": item.read,
        }
        for item in result.items
    ]
    return render_template(
        "notifications/list.html",
        items=items,
        next_cursor=result.next_cursor,
        first_page=after is None,
        unread=inbox.unread_count(_engine(), account),
        newest=items[0]["id"] if items and after is None else None,
        after=after,
    )


def _back(after: str | None) -> ResponseReturnValue:
    cursor = _cursor(after)
    if cursor is None:
        return redirect(url_for("notifications.notification_list"))
    return redirect(url_for("notifications.notification_list", despues=cursor))


@blueprint.route("/notificaciones/<int:notification_id>/leida", methods=["POST"])
@login_required
def mark_read(notification_id: int) -> ResponseReturnValue:
    if notification_id > MAX_ID or not inbox.mark_read(_engine(), _account(), notification_id):
        abort(404)
    return _back(request.form.get("despues"))


@blueprint.route("/notificaciones/leidas", methods=["POST"])
@login_required
def mark_all_read() -> ResponseReturnValue:
    up_to = _cursor(request.form.get("hasta"))
    count = inbox.mark_all_read(_engine(), _account(), up_to)
    flash(
        ngettext(
            "Se marcó %(num)s notificación como leída.",
            "Se marcaron %(num)s notificaciones como leídas.",
            count,
        )
    )
    return redirect(url_for("notifications.notification_list"))
