"""Error pages and JSON errors: a clear message, never a stack trace."""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale, gettext
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import HTTPException

from app.formatting import reader_language
from app.i18n import N_
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.db import database_unavailable

# Seconds a client is asked to wait when the database cannot answer (a restart or a cut
# network usually lasts a few seconds).
RETRY_AFTER_SECONDS = 15

MESSAGES = {  # msgids: the page shows one language, a JSON error both
    400: N_("La solicitud no es válida."),
    401: N_("Inicie sesión para continuar."),
    403: N_("No tiene permiso para ver esto."),
    404: N_("No encontramos lo que busca."),
    405: N_("Operación no permitida."),
    409: N_("Conflicto: alguien más cambió esto."),
    413: N_("El archivo es demasiado grande."),
    422: N_("Los datos enviados no son válidos."),
    429: N_("Demasiados intentos; espere un momento."),
    500: N_("Algo salió mal de nuestro lado."),
    503: N_(
        "El servicio no está disponible por un momento. Nada se perdió: lo que ya estaba "
        "guardado sigue a salvo. Si estaba enviando algo, vuelva a intentarlo en unos segundos."
    ),
}


def _english() -> bool:
    """The reader's language for an error page (Spanish when it cannot be told)."""
    try:
        return reader_language() == "en"
    except Exception:  # an error raised before the request context was complete
        return False


def http_message(status: int, default: str = "") -> tuple[str, str]:
    """The message for an HTTP status in Spanish and English (JSON errors carry both,
    `message` and `message_en`, like the engine's errors); `default` for other statuses."""
    msgid = MESSAGES.get(status)
    if msgid is None:
        return default, default
    try:
        with force_locale("en"):
            return msgid, gettext(msgid)
    except Exception:  # an error raised before the application context was complete
        return msgid, msgid


def _page(code: int, es: str, en: str) -> tuple[str, int]:
    """The error page, entirely in the reader's language."""
    return render_template("error.html", code=code, message=en if _english() else es), code


def with_http_headers(response: Response, exc: HTTPException) -> Response:
    """Keep the headers an HTTP error carries (Allow on a 405, Retry-After, ...)."""
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        es, en = http_message(code, exc.name)
        if _wants_json():
            body = {
                "error": {
                    "code": exc.name.lower().replace(" ", "_"),
                    "message": es,
                    "message_en": en,
                    "details": {},
                }
            }
            response = jsonify(body)
        else:
            response = app.make_response(_page(code, es, en))
        response.status_code = code
        return with_http_headers(response, exc)

    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError) -> ResponseReturnValue:
        if _wants_json():
            return jsonify(
                {
                    "error": {
                        "code": exc.code,
                        "message": exc.message_es,
                        "message_en": exc.message_en,
                        "details": _details(exc),
                    }
                }
            ), exc.http_status
        return _page(exc.http_status, exc.message_es, exc.message_en)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> ResponseReturnValue:
        if database_unavailable(exc):
            return _database_unavailable(app, exc)
        app.logger.exception("unhandled error")
        es, en = http_message(500)
        if _wants_json():
            return jsonify(
                {"error": {"code": "internal_error", "message": es, "message_en": en}}
            ), 500
        return _page(500, es, en)


def _database_unavailable(app: Flask, exc: Exception) -> Response:
    """503 with Retry-After: the database is restarting or out of reach, not a bug."""
    app.logger.warning("database unavailable: %s", type(exc).__name__)
    es, en = http_message(503)
    if _wants_json():
        body = {"error": {"code": "service_unavailable", "message": es, "message_en": en}}
        response = jsonify(body)
    else:
        # The page must not touch the database: show it as to an anonymous visitor.
        g._login_user = AnonymousUserMixin()
        response = app.make_response(render_template("error_unavailable.html"))
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _details(exc: EngineError) -> dict[str, object]:
    details = dict(exc.details)
    errors = details.get("errors")
    if isinstance(errors, list):
        details["errors"] = [
            {
                "field": e.field,
                "path": e.path,
                "code": e.code,
                "message": e.message_es,
                "message_en": e.message_en,
            }
            if hasattr(e, "message_es")
            else e
            for e in errors
        ]
    return details
