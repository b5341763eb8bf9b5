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


# -- connectors and municipal settings --------------------------------------------------------


def _connector_status() -> list[tuple[str, str]]:
    """What is configured, as an administrator needs to know it: names and yes/no, never a
    secret's value (secrets come from the environment only)."""
    import os

    from flask_babel import gettext as _

    from app.payments import current_gateway
    from connectors.registry import default_registry

    settings = current_app.extensions["tramita"].settings
    gateway = current_gateway()

    def configured(name: str) -> str:
        return _("configurado") if os.environ.get(name) else _("no configurado")

    rows = [
        (_("Sistema de recaudación en uso"), settings.collection_system),
        (
            _("Sistemas de recaudación disponibles"),
            ", ".join(default_registry().collection_systems()),
        ),
        (
            _("Pasarela de pagos"),
            f"{gateway.config.name} · {gateway.config.url}" if gateway else _("no configurada"),
        ),
        ("GATEWAY_API_KEY", configured("GATEWAY_API_KEY")),
        ("GATEWAY_WEBHOOK_SECRET", configured("GATEWAY_WEBHOOK_SECRET")),
        ("COLLECTION_REST_CONFIG", configured("COLLECTION_REST_CONFIG")),
        (
            _("Certificado de firma"),
            _("archivo PKCS#12 configurado")
            if settings.signing_p12_path
            else _("certificado DEMO (no válido para documentos reales)"),
        ),
        ("SIGNING_P12_PASSWORD", configured("SIGNING_P12_PASSWORD")),
        (_("Sello de tiempo (TSA)"), settings.signing_tsa_url or _("no configurado")),
        (_("Servidor de correo (SMTP)"), settings.smtp_host or _("no configurado")),
    ]
    return rows


@blueprint.route("/conectores", methods=["GET", "POST"])
def connectors_page() -> Any:
    """Per-municipality choices (stored, audited) and the connectors' configuration status."""
    from flask_babel import gettext as _

    from app.cases import _lang
    from workflow_engine.persistence.municipal_settings import SPECS, SettingError

    _require_admin()
    services = current_app.extensions["tramita"]
    store = services.settings_store
    lang = _lang()
    errors: list[dict[str, str]] = []
    status = 200
    values = store.all()
    if values.get("payments.order_expiry_days") is None:
        from connectors.settings import ConnectorSettings

        values["payments.order_expiry_days"] = ConnectorSettings.payment_expiry_days_default
    if request.method == "POST":
        try:
            parsed = store.parse(request.form)
        except SettingError as exc:
            errors = [{"text": exc.message(lang), "href": str(exc.details.get("field", ""))}]
            values.update({k: request.form.get(k, "") for k in SPECS})
            status = 422
        else:
            account = current_account()
            assert account is not None
            changed = store.update(
                parsed,
                actor_id=str(account.id),
                actor_name=account.name or account.email,
                ip=request.remote_addr or "",
            )
            flash(_("Cambios guardados: %(n)s.", n=len(changed)))
            return redirect(url_for("admin.connectors_page"))
    fields = [
        {
            "key": spec.key,
            "kind": spec.kind,
            "label": spec.label_en if lang == "en" else spec.label_es,
            "value": values.get(spec.key),
            "low": spec.low,
            "high": spec.high,
        }
        for spec in SPECS.values()
    ]
    page = render_template(
        "admin_connectors.html", fields=fields, status=_connector_status(), summary=errors
    )
    return page, status
