"""Per-municipality settings in the admin UI: stored, audited, used by the payment connector;
secrets never shown; administrators only."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from tests.helpers.ledger import awaiting_payment
from tests.helpers.web import csrf_from, forge_login
from workflow_engine.persistence.models import AuditLog, table
from workflow_engine.persistence.platform.accounts import Accounts
from workflow_engine.persistence.platform.demo import examples_dir


def as_user(demo_app: Flask, email: str) -> Any:
    client = demo_app.test_client()
    account = Accounts(demo_app.extensions["tramita"].engine, demo_mode=True).by_email(email)
    assert account is not None
    forge_login(client, account.id)
    return client


def test_an_admin_changes_the_payment_days_and_new_orders_follow(
    demo_app: Flask,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("GATEWAY_WEBHOOK_SECRET", "super-secreto-no-mostrar")
    admin = as_user(demo_app, "admin@demo.gob.mx")
    page = admin.get("/admin/conectores")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "super-secreto-no-mostrar" not in html and "configurada" in html
    bad = admin.post(
        "/admin/conectores",
        data={"csrf_token": csrf_from(html), "payments.order_expiry_days": "0"},
    )
    assert bad.status_code == 422 and "entre 1 y 90" in bad.get_data(as_text=True)
    done = admin.post(
        "/admin/conectores",
        data={
            "csrf_token": csrf_from(html),
            "payments.order_expiry_days": "12",
            "payments.online_enabled": "1",
        },
    )
    assert done.status_code == 302
    # a procedure whose payment step does not set its own days follows the administrator
    doc = json.loads((examples_dir() / "constancia-residencia.json").read_text("utf-8"))
    doc["key"] = "constancia-sin-plazo"
    for step in doc["steps"]:
        step.pop("expires_days", None)
    catalog = demo_app.extensions["tramita"].catalog
    catalog.save_draft(doc)
    catalog.publish("constancia-sin-plazo")
    _case_id, order = awaiting_payment(demo_app, "constancia-sin-plazo")
    assert (order.expires_on - order.created_at.date()).days in (11, 12)  # local vs UTC day
    with demo_app.extensions["tramita"].engine.connect() as conn:
        audit = conn.execute(
            select(table(AuditLog)).where(table(AuditLog).c.action == "setting.changed")
        ).all()
    assert [(a.target_id, a.details["new"]) for a in audit] == [("payments.order_expiry_days", 12)]


def test_only_admins_reach_the_settings(demo_app: Flask) -> None:
    for email in ("ciudadano@demo.gob.mx", "funcionario@demo.gob.mx", "tesoreria@demo.gob.mx"):
        client = as_user(demo_app, email)
        assert client.get("/admin/conectores").status_code == 404
    assert demo_app.test_client().get("/admin/conectores").status_code == 401
