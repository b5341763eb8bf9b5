"""«Verificar documento»: the public page a document's QR code points to.

Anyone can see a document's minimal facts and status, and upload a copy to learn whether it
is the issued file and whether its signature is valid; administrators can revoke it. The
checks live in connectors.documents.verification; this module only translates HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.formatting import format_date, reader_language
from app.guards import is_admin
from app.sessions import current_account
from app.verify import forms
from connectors.common import local_today
from connectors.documents.verification import (
    MAX_REASON_CHARS,
    MAX_UPLOAD_BYTES,
    DocumentRecord,
    RevocationError,
    UploadCheck,
    check_upload,
    find_document,
    normalize_code,
    revoke_document,
)

if TYPE_CHECKING:
    from app.services import Services

blueprint = Blueprint("verify", __name__)


def _services() -> Services:
    services: Services = current_app.extensions["tramita"]
    return services


class UnknownCodeError(Exception):
    """No document has this code: a 404 page that says so and how to retry."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _revocation_message(code: str) -> str:
    """Why a revocation was refused, by the connector's stable code."""
    if code == "reason_too_long":
        return _("El motivo puede tener hasta %(count)s caracteres.", count=MAX_REASON_CHARS)
    if code == "already_revoked":
        return _("Este documento ya estaba revocado.")
    return _("Escriba el motivo de la revocación; se mostrará en la página de verificación.")


@blueprint.errorhandler(UnknownCodeError)
def unknown_code(exc: UnknownCodeError) -> ResponseReturnValue:
    return render_template("verify/not_found.html", code=normalize_code(exc.code)), 404


def _record(code: str) -> DocumentRecord:
    record = find_document(_services().engine, code)
    if record is None:
        raise UnknownCodeError(code)
    return record


def _page(
    record: DocumentRecord,
    *,
    check: UploadCheck | None = None,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status: int = 200,
) -> ResponseReturnValue:
    settings = _services().settings
    lang = reader_language()
    today = local_today(settings.timezone)
    return (
        render_template(
            "verify/document.html",
            doc=record,
            state=record.status(today),
            issued_on=format_date(record.issued_at, lang),
            expires_on=format_date(record.expires_on, lang) if record.expires_on else "",
            revoked_on=format_date(record.revoked_at, lang) if record.revoked_at else "",
            check=check,
            errors=errors or {},
            is_admin=is_admin(),
            reason=reason,
            max_reason=MAX_REASON_CHARS,
            max_mb=MAX_UPLOAD_BYTES // (1024 * 1024),
        ),
        status,
    )


@blueprint.route("/verificar", methods=["GET"])
def start() -> ResponseReturnValue:
    """Type the code printed on the document (for people who cannot scan the QR)."""
    raw = request.args.get("codigo", "")
    if raw:
        code = normalize_code(raw)
        if code:
            return redirect(url_for("verify.document", code=code))
    return render_template("verify/start.html", value=raw, missing=bool(raw))


@blueprint.route("/verificar/<code>", methods=["GET"])
def document(code: str) -> ResponseReturnValue:
    canonical = normalize_code(code)
    if canonical and canonical != code:
        return redirect(url_for("verify.document", code=canonical), 301)
    return _page(_record(code))


@blueprint.route("/verificar/<code>/archivo", methods=["POST"])
def upload(code: str) -> ResponseReturnValue:
    """Check an uploaded copy; the verdict is shown on the document's page."""
    record = _record(code)
    data, problem, status = forms.uploaded_copy(request.files)
    if problem:
        return _page(record, errors={"archivo": problem}, status=status)
    trust_roots = _trust_roots()
    result = check_upload(record, data, trust_roots)
    if not result.is_pdf:
        return _page(
            record,
            errors={"archivo": _("El archivo no es un PDF. Suba el PDF del documento.")},
            status=400,
        )
    return _page(record, check=result)


def _trust_roots() -> list[Any]:
    from app.services import connector_settings
    from connectors.documents.signing import SigningError, signing_setup

    try:
        return list(signing_setup(connector_settings(_services().settings)).trust_roots)
    except SigningError:
        # Misconfigured certificate: the byte comparison still answers; no signature can be
        # shown as trusted until the configuration is fixed.
        current_app.logger.exception("cannot load the signing trust roots")
        return []


@blueprint.route("/verificar/<code>/revocar", methods=["POST"])
def revoke(code: str) -> ResponseReturnValue:
    """Administrators only (others get a 404, as if the action did not exist)."""
    if not is_admin():
        abort(404)
    record = _record(code)
    account = current_account()
    assert account is not None
    reason = forms.revocation_reason(request.form)
    try:
        revoke_document(
            _services().engine,
            record.code,
            reason,
            actor_id=str(account.id),
            actor_name=account.name or account.email,
            ip=request.remote_addr or "",
        )
    except RevocationError as exc:
        if exc.code == "not_found":
            raise UnknownCodeError(code) from None
        message = _revocation_message(exc.code)
        status = 409 if exc.code == "already_revoked" else 400
        return _page(record, errors={"motivo": message}, reason=reason, status=status)
    flash(_("Documento revocado. La página de verificación ya lo muestra."))
    return redirect(url_for("verify.document", code=record.code))
