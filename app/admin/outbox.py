"""Administration pages: the outbox backlog (what is waiting, running, retrying and what
failed for good, with a retry button), connectors and municipal settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app.admin import forms
from app.formatting import format_moment, reader_language
from app.guards import guard_blueprint, require_admin
from app.sessions import current_account
from workflow_engine.persistence.cases.outbox_backlog import STATES, OutboxBacklog

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


guard_blueprint(blueprint, require_admin)

PER_PAGE = 50


def state_label(state: str) -> str:
    from flask_babel import gettext as _

    return {
        "due": _("Por ejecutar"),
        "retrying": _("Reintentando"),
        "running": _("En ejecución"),
        "dead": _("Detenido"),
    }.get(state, state)


def kind_label(kind: str) -> str:
    from flask_babel import gettext as _

    return {
        "notify": _("Aviso"),
        "email": _("Correo"),
        "payment.create_order": _("Orden de pago"),
        "payment.apply": _("Aplicación de pago"),
        "document.issue": _("Documento firmado"),
        "connector.call": _("Consulta a un sistema"),
        "ledger.register": _("Registro en el padrón"),
    }.get(kind, kind)


@blueprint.route("/outbox")
def outbox() -> ResponseReturnValue:
    """The backlog of effects: due, retrying (when, why), running (until when), dead."""
    services: Services = current_app.extensions["tramita"]
    backlog = OutboxBacklog(services.engine)
    state = request.args.get("estado", "")
    if state not in STATES:
        state = ""
    page_number = request.args.get("pagina", "1")
    page = backlog.page(
        state or None, int(page_number) if page_number.isdigit() else 1, per_page=PER_PAGE
    )
    lang = reader_language()
    return render_template(
        "admin_outbox.html",
        summary=backlog.summary(),
        states=STATES,
        state=state,
        page=page,
        state_label=state_label,
        kind_label=kind_label,
        moment=lambda value: format_moment(value, lang),
    )


@blueprint.route("/outbox/reintentar", methods=["POST"])
def retry() -> ResponseReturnValue:
    from flask_babel import gettext as _

    processor = current_app.extensions["tramita"].outbox
    retried = processor.retry_dead(forms.retry_ids(request.form))
    results = [processor.process(message_id).status for message_id in retried]
    done = results.count("done")
    flash(
        _(
            "Reintentados: %(retried)s. Completados: %(done)s. Pendientes: %(left)s.",
            retried=len(retried),
            done=done,
            left=len(retried) - done,
        )
    )
    return redirect(url_for("admin.outbox"))


# -- connectors and municipal settings --------------------------------------------------------


def _connector_status() -> list[tuple[str, str]]:
    """What is configured, as an administrator needs to know it: names and yes/no, never a
    secret's value (secrets come from the environment only)."""
    import os

    from flask_babel import gettext as _

    from app.citizen.payments import current_gateway
    from connectors.registry import default_registry

    settings = current_app.extensions["tramita"].settings
    gateway = current_gateway()

    def configured(name: str) -> str:
        return _("configurada") if os.environ.get(name) else _("no configurada")

    def system_name(key: str) -> str:
        return {
            "builtin": _("Sistema integrado de Trámites (libro de ingresos propio)"),
            "rest": _("Sistema de recaudación externo (conexión REST)"),
        }.get(key, key)

    rows = [
        (_("Sistema de recaudación en uso"), system_name(settings.collection_system)),
        (
            _("Sistemas de recaudación disponibles"),
            "; ".join(system_name(k) for k in default_registry().collection_systems()),
        ),
        (
            _("Pasarela de pagos"),
            f"{gateway.config.name} · {gateway.config.url}" if gateway else _("no configurada"),
        ),
        (_("Clave de acceso a la pasarela de pagos"), configured("GATEWAY_API_KEY")),
        (
            _("Secreto para verificar los avisos de pago de la pasarela"),
            configured("GATEWAY_WEBHOOK_SECRET"),
        ),
        (
            _("Conexión con el sistema de recaudación externo"),
            configured("COLLECTION_REST_CONFIG"),
        ),
        (
            _("Certificado de firma"),
            _("archivo PKCS#12 configurado")
            if settings.signing_p12_path
            else _("certificado DEMO (no válido para documentos reales)"),
        ),
        (_("Contraseña del certificado de firma"), configured("SIGNING_P12_PASSWORD")),
        (_("Sello de tiempo (TSA)"), settings.signing_tsa_url or _("no configurado")),
        (_("Servidor de correo (SMTP)"), settings.smtp_host or _("no configurado")),
    ]
    return rows


@blueprint.route("/conectores", methods=["GET", "POST"])
def connectors_page() -> ResponseReturnValue:
    """Per-municipality choices (stored, audited) and the connectors' configuration status."""
    from flask_babel import gettext as _

    from workflow_engine.persistence.platform.municipal_settings import SPECS, SettingError

    services: Services = current_app.extensions["tramita"]
    store = services.settings_store
    lang = reader_language()
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
