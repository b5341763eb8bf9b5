"""What every API handler shares: services, the actor, JSON bodies, errors and the CSRF rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from wtforms import ValidationError

from app.errors import http_message, with_http_headers
from app.services import Services
from app.sessions import current_actor
from workflow_engine import strict_json
from workflow_engine.engine import Actor
from workflow_engine.engine.errors import EngineError

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_HEADERS = ("X-CSRFToken", "X-CSRF-Token")
MAX_ID = 2**31 - 1  # ids are 32-bit integer columns
MAX_DEPTH = 32  # a form's data is an object of groups of objects: a handful of levels


class ApiError(EngineError):
    """An error the API itself raises (bad input, not found, not logged in)."""

    def __init__(
        self,
        status: int,
        code: str,
        message_es: str,
        message_en: str,
        **details: Any,
    ) -> None:
        super().__init__(message_es, message_en, **details)
        self.http_status = status
        self.code = code


def services() -> Services:
    found: Services = current_app.extensions["tramita"]
    return found


def case_not_found(folio: str) -> ApiError:
    return ApiError(404, "not_found", "El expediente no existe.", "No such case.", folio=folio)


def field_error(field: str, code: str, message_es: str, message_en: str) -> ApiError:
    """A 422 whose details name the offending body field, like a step validation error."""
    return ApiError(
        422,
        "validation_failed",
        "Revise los datos enviados.",
        "Please check the data sent.",
        errors=[
            {
                "field": field,
                "path": f"$.{field}",
                "code": code,
                "message": message_es,
                "message_en": message_en,
            }
        ],
    )


def uses_api_key() -> bool:
    auth = request.headers.get("Authorization", "")
    return bool(request.headers.get("X-API-Key")) or auth.lower().startswith("bearer ")


def require_actor() -> Actor:
    actor = current_actor()
    if actor is None:
        raise ApiError(
            401,
            "unauthorized",
            "Inicie sesión o envíe una clave de API (X-API-Key).",
            "Log in or send an API key (X-API-Key).",
        )
    return actor


def body_too_large() -> ApiError:
    limit = services().settings.api_max_body_bytes
    size = f"{limit / 1048576:g} MB" if limit >= 1048576 else f"{limit / 1024:g} KB"
    return ApiError(
        413,
        "payload_too_large",
        f"El cuerpo JSON de la solicitud supera el máximo de {size}.",
        f"The JSON body of the request exceeds the maximum of {size}.",
        limit_bytes=limit,
    )


# Routes whose body is a file (multipart): the upload limits (MAX_CONTENT_LENGTH and each
# field's own size limit) apply to them instead of the JSON cap.
FILE_BODY_ENDPOINTS = frozenset({"api.upload_file"})


def limit_body() -> None:
    """API bodies are small JSON documents: cap them well below the upload limit."""
    if request.endpoint in FILE_BODY_ENDPOINTS:
        return
    limit = services().settings.api_max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise body_too_large()
    if request.method not in UNSAFE_METHODS or request.content_length is not None:
        return
    # A chunked body (no Content-Length) is read now, up to the cap and never past it.
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise body_too_large() from None
    if len(raw) >= limit:
        raise body_too_large()


def json_body(*, optional: bool = False) -> dict[str, Any]:
    """The request body (already capped by `limit_body`) as a JSON object; 400 if it is not.

    NaN/Infinity, lone surrogates and absurd nesting are refused here (strict_json) so
    nothing downstream has to cope.
    """
    raw = request.get_data(cache=True)  # read (and capped) by limit_body
    if not raw.strip():
        if optional:
            return {}
        raise ApiError(
            400,
            "bad_request",
            "Falta el cuerpo JSON de la solicitud.",
            "The request needs a JSON body.",
        )
    body = strict_json.loads(raw, max_depth=MAX_DEPTH)
    if not isinstance(body, dict):
        raise ApiError(
            400,
            "bad_request",
            "El cuerpo de la solicitud debe ser un objeto JSON.",
            "The request body must be a JSON object.",
        )
    return body


def required_string(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        raise field_error(name, "required", f"Falta el campo «{name}».", f"'{name}' is missing.")
    if not isinstance(value, str) or not value.strip():
        raise field_error(
            name,
            "type",
            f"«{name}» debe ser un texto no vacío.",
            f"'{name}' must be a non-empty string.",
        )
    return value


def optional_string(body: Mapping[str, Any], name: str, default: str = "") -> str:
    value = body.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise field_error(name, "type", f"«{name}» debe ser texto.", f"'{name}' must be a string.")
    return value


def required_object(body: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    if value is None:
        raise field_error(name, "required", f"Falta el campo «{name}».", f"'{name}' is missing.")
    if not isinstance(value, dict):
        raise field_error(
            name, "type", f"«{name}» debe ser un objeto.", f"'{name}' must be an object."
        )
    return value


def optional_int(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise field_error(
            name, "type", f"«{name}» debe ser un número entero.", f"'{name}' must be an integer."
        )
    return value


def query_int(name: str, default: int | None, *, low: int, high: int = MAX_ID) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ApiError(
            400,
            "bad_request",
            f"El parámetro «{name}» debe ser un entero entre {low} y {high}.",
            f"Parameter '{name}' must be an integer between {low} and {high}.",
            parameter=name,
        )
    return value


def check_csrf() -> None:
    """Browser sessions must prove the request comes from our pages; API keys need not."""
    if request.method not in UNSAFE_METHODS or uses_api_key():
        return
    if not current_user.is_authenticated:
        return  # no credentials at all: the handler answers 401
    token = next((request.headers[h] for h in CSRF_HEADERS if request.headers.get(h)), None)
    try:
        validate_csrf(token)
    except ValidationError:
        raise ApiError(
            403,
            "csrf_failed",
            "Falta el token CSRF o no es válido (encabezado X-CSRFToken); recargue la página.",
            "The CSRF token is missing or invalid (header X-CSRFToken); reload the page.",
        ) from None


def _error(status: int, code: str, es: str, en: str, details: Mapping[str, Any]) -> Response:
    body = {"error": {"code": code, "message": es, "message_en": en, "details": dict(details)}}
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tramita"'
    return response


def handle_http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    es, en = http_message(status, exc.name)
    code = exc.name.lower().replace(" ", "_").replace("'", "")
    return with_http_headers(_error(status, code, es, en, {}), exc)


def handle_engine_error(exc: EngineError) -> Response:
    details = dict(exc.details)
    errors = details.get("errors")
    if isinstance(errors, list):
        details["errors"] = [_field_error(e) for e in errors]
    return _error(exc.http_status, exc.code, exc.message_es, exc.message_en, details)


def _field_error(error: Any) -> Any:
    if isinstance(error, Mapping):
        return dict(error)
    return {
        "field": getattr(error, "field", None),
        "path": getattr(error, "path", None),
        "code": getattr(error, "code", None),
        "message": getattr(error, "message_es", str(error)),
        "message_en": getattr(error, "message_en", str(error)),
    }
