"""Administration pages. For now: effects that failed for good (dead letters), so an admin
sees what is stuck, why, and can retry it once the cause is fixed."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from app.auth import current_account

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def _require_admin() -> None:
    account = current_account()
    if account is None:
        abort(401)
    if account.role != "admin":
        abort(404)


@blueprint.route("/outbox")
def outbox() -> Any:
    _require_admin()
    dead = current_app.extensions["tramita"].outbox.dead_letters()
    return render_template("admin_outbox.html", dead=dead)


@blueprint.route("/outbox/reintentar", methods=["POST"])
def retry() -> Any:
    _require_admin()
    processor = current_app.extensions["tramita"].outbox
    raw = request.form.get("id", "")
    ids = [int(raw)] if raw.isdigit() else None
    retried = processor.retry_dead(ids)
    results = [processor.process(message_id).status for message_id in retried]
    done = results.count("done")
    flash(f"Reintentados: {len(retried)}. Completados: {done}. Pendientes: {len(retried) - done}.")
    return redirect(url_for("admin.outbox"))
