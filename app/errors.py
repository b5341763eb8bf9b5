"""Error pages and JSON errors: a clear message, never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from workflow_engine.engine.errors import EngineError

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
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
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
            return jsonify(body), code
        return render_template("error.html", code=code, message=es), code

    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError):  # type: ignore[no-untyped-def]
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
        return render_template(
            "error.html", code=exc.http_status, message=exc.message_es
        ), exc.http_status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error")
        es, en = MESSAGES[500]
        if _wants_json():
            return jsonify(
                {"error": {"code": "internal_error", "message": es, "message_en": en}}
            ), 500
        return render_template("error.html", code=500, message=es), 500


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
