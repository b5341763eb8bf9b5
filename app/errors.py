"""Error pages and JSON errors: a clear message, never a stack trace."""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import AnonymousUserMixin
from werkzeug.exceptions import HTTPException

from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.db import database_unavailable

# Seconds a client is asked to wait when the database cannot answer (a restart or a cut
# network usually lasts a few seconds).
RETRY_AFTER_SECONDS = 15

MESSAGES = {
    400: ("La solicitud no es válida.", "The request is not valid."),
    401: ("Inicie sesión para continuar.", "Log in to continue."),
    403: ("No tiene permiso para ver esto.", "You are not allowed to see this."),
    404: ("No encontramos lo que busca.", "We could not find what you are looking for."),
    405: ("Operación no permitida.", "Method not allowed."),
    409: ("Conflicto: alguien más cambió esto.", "Conflict: someone else changed this."),
    413: ("El archivo es demasiado grande.", "The file is too large."),
    422: ("Los datos enviados no son válidos.", "The data sent is not valid."),
    429: ("Demasiados intentos; espere un momento.", "Too many attempts; wait a moment."),
    500: ("Algo salió mal de nuestro lado.", "Something went wrong on our side."),
    503: (
        "El servicio no está disponible por un momento. Nada se perdió: lo que ya estaba "
        "guardado sigue a salvo. Si estaba enviando algo, vuelva a intentarlo en unos segundos.",
        "The service is briefly unavailable. Nothing was lost: what was already saved is "
        "safe. If you were sending something, try again in a few seconds.",
    ),
}


def _english() -> bool:
    """The reader's language for an error page (Spanish when it cannot be told)."""
    try:
        return str(get_locale() or "es").startswith("en")
    except Exception:  # an error raised before the request context was complete
        return False


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
        es, en = MESSAGES.get(code, (exc.name, exc.name))
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
        es, en = MESSAGES[500]
        if _wants_json():
            return jsonify(
                {"error": {"code": "internal_error", "message": es, "message_en": en}}
            ), 500
        return _page(500, es, en)


def _database_unavailable(app: Flask, exc: Exception) -> Response:
    """503 with Retry-After: the database is restarting or out of reach, not a bug."""
    app.logger.warning("database unavailable: %s", type(exc).__name__)
    es, en = MESSAGES[503]
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
