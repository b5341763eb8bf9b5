"""The JSON document that describes an existing collection system's REST API.

A municipality describes its system once (base URL, how to log in, and for each operation the
method, path, body template and how to read the answer); no code is written per system.
Secrets are never in the document: it names the environment variables that hold them.

Example (the README has the full reference)::

    {
      "base_url": "https://recaudacion.municipio.gob.mx/api",
      "timeout_seconds": 10,
      "retries": 2,
      "backoff_seconds": 0.5,
      "circuit_breaker": {"failure_threshold": 5, "cooldown_seconds": 30},
      "auth": {"type": "api_key", "header": "X-Api-Key", "key_env": "RECAUDACION_API_KEY"},
      "operations": {
        "create_order": {
          "method": "POST", "path": "/ordenes",
          "body": "{\\"folio\\": {{ folio }}, \\"importe\\": {{ amount }}}",
          "response": {"reference": "data.linea_captura", "expires_on": "data.vence"}
        },
        "query_status": {"method": "GET", "path": "/ordenes/{{ reference }}",
                         "response": {"status": "estatus"},
                         "status_map": {"PAGADA": "paid", "VIGENTE": "pending"}},
        "cancel": {"method": "POST", "path": "/ordenes/{{ reference }}/cancelar"}
      }
    }
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jmespath
from jinja2 import TemplateSyntaxError
from jmespath.exceptions import JMESPathError

from connectors.payments.base import ORDER_STATUSES
from connectors.payments.rest.templates import compile_body, compile_path
from workflow_engine import strict_json
from workflow_engine.strict_json import InvalidJSONError

CONFIG_ENV = "COLLECTION_REST_CONFIG"
CONFIG_MAX_DEPTH = 16  # operations -> operation -> headers/fields: a handful of levels
OPERATIONS = ("create_order", "query_status", "cancel")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
AUTH_TYPES = ("none", "api_key", "basic", "oauth2")
# What each operation must be able to read from the answer.
REQUIRED_FIELDS = {"create_order": ("reference",), "query_status": ("status",), "cancel": ()}
KNOWN_FIELDS = ("reference", "status", "expires_on", "amount_cents", "currency")


class RestConfigError(ValueError):
    """The connector's JSON document is unusable; the message names the JSON path."""


@dataclass(frozen=True)
class AuthConfig:
    type: str = "none"
    header: str = "X-Api-Key"
    key_env: str = ""
    username: str = ""
    password_env: str = ""
    token_url: str = ""
    client_id: str = ""
    client_secret_env: str = ""
    scope: str = ""
    client_auth: str = "body"  # oauth2: client credentials in the form body or as basic auth


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: Any  # compiled sandboxed template
    body: Any | None  # compiled sandboxed template, or None
    response: Mapping[str, Any]  # field -> compiled JMESPath expression
    status_map: Mapping[str, str]
    not_found_status: tuple[int, ...] = (404,)


@dataclass(frozen=True)
class RestConfig:
    base_url: str
    auth: AuthConfig
    operations: Mapping[str, Operation]
    timeout_seconds: float = 10.0
    retries: int = 2
    backoff_seconds: float = 0.5
    failure_threshold: int = 5
    cooldown_seconds: float = 30.0
    idempotency_header: str = "Idempotency-Key"
    headers: Mapping[str, str] = field(default_factory=dict)
    name: str = "rest"

    @classmethod
    def load(cls, source: str) -> RestConfig:
        """From a JSON document, or the path of a file holding one."""
        text = source.strip()
        if not text.startswith("{"):
            try:
                text = Path(text).read_text(encoding="utf-8")
            except OSError as exc:
                raise RestConfigError(
                    f"cannot read the REST connector file {source!r}: {exc}"
                ) from None
        try:
            doc = strict_json.loads(text, max_depth=CONFIG_MAX_DEPTH)
        except InvalidJSONError as exc:
            raise RestConfigError(
                f"the REST connector configuration is not usable JSON: {exc.message_en}"
            ) from None
        return cls.parse(doc)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RestConfig:
        environ = os.environ if environ is None else environ
        source = environ.get(CONFIG_ENV, "").strip()
        if not source:
            raise RestConfigError(
                f"the REST collection system needs {CONFIG_ENV} (a JSON file path or document)"
            )
        return cls.load(source)

    @classmethod
    def parse(cls, doc: Any) -> RestConfig:
        if not isinstance(doc, Mapping):
            raise RestConfigError("$: the REST connector configuration must be a JSON object")
        base_url = _str(doc, "base_url", "$", required=True).rstrip("/")
        if not base_url.startswith(("http://", "https://")):
            raise RestConfigError("$.base_url: must start with http:// or https://")
        ops_doc = doc.get("operations")
        if not isinstance(ops_doc, Mapping):
            raise RestConfigError("$.operations: an object with create_order, query_status, cancel")
        operations = {}
        for name in OPERATIONS:
            if name not in ops_doc:
                raise RestConfigError(f"$.operations.{name}: missing")
            operations[name] = _operation(name, ops_doc[name])
        for name in ops_doc:
            if name not in OPERATIONS:
                raise RestConfigError(f"$.operations.{name}: unknown operation")
        breaker = doc.get("circuit_breaker") or {}
        if not isinstance(breaker, Mapping):
            raise RestConfigError("$.circuit_breaker: must be an object")
        headers = doc.get("headers") or {}
        if not isinstance(headers, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise RestConfigError("$.headers: an object of header names to strings")
        return cls(
            base_url=base_url,
            auth=_auth(doc.get("auth") or {"type": "none"}),
            operations=operations,
            timeout_seconds=_number(doc, "timeout_seconds", "$", 10.0, minimum=0.01),
            retries=int(_number(doc, "retries", "$", 2, minimum=0)),
            backoff_seconds=_number(doc, "backoff_seconds", "$", 0.5, minimum=0),
            failure_threshold=int(
                _number(breaker, "failure_threshold", "$.circuit_breaker", 5, minimum=1)
            ),
            cooldown_seconds=_number(
                breaker, "cooldown_seconds", "$.circuit_breaker", 30.0, minimum=0
            ),
            idempotency_header=_str(doc, "idempotency_header", "$") or "Idempotency-Key",
            headers=dict(headers),
            name=_str(doc, "name", "$") or "rest",
        )

    def secret(self, env_name: str, environ: Mapping[str, str] | None = None) -> str:
        """The value of a secret's environment variable (read at call time, never stored)."""
        environ = os.environ if environ is None else environ
        value = environ.get(env_name, "")
        if not value:
            raise RestConfigError(f"the environment variable {env_name} is not set")
        return value


def _str(doc: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = doc.get(key)
    if value is None or value == "":
        if required:
            raise RestConfigError(f"{where}.{key}: missing")
        return ""
    if not isinstance(value, str):
        raise RestConfigError(f"{where}.{key}: must be a string")
    return value


def _number(
    doc: Mapping[str, Any], key: str, where: str, default: float, *, minimum: float
) -> float:
    value = doc.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise RestConfigError(f"{where}.{key}: must be a number >= {minimum}")
    return float(value)


def _auth(doc: Any) -> AuthConfig:
    if not isinstance(doc, Mapping):
        raise RestConfigError("$.auth: must be an object")
    kind = _str(doc, "type", "$.auth") or "none"
    if kind not in AUTH_TYPES:
        raise RestConfigError(f"$.auth.type: one of {', '.join(AUTH_TYPES)}")
    for key in doc:
        if key in ("key", "password", "client_secret", "token"):
            raise RestConfigError(
                f"$.auth.{key}: secrets are not written in the configuration; "
                f"name an environment variable with {key}_env"
            )
    auth = AuthConfig(
        type=kind,
        header=_str(doc, "header", "$.auth") or "X-Api-Key",
        key_env=_str(doc, "key_env", "$.auth", required=kind == "api_key"),
        username=_str(doc, "username", "$.auth", required=kind == "basic"),
        password_env=_str(doc, "password_env", "$.auth", required=kind == "basic"),
        token_url=_str(doc, "token_url", "$.auth", required=kind == "oauth2"),
        client_id=_str(doc, "client_id", "$.auth", required=kind == "oauth2"),
        client_secret_env=_str(doc, "client_secret_env", "$.auth", required=kind == "oauth2"),
        scope=_str(doc, "scope", "$.auth"),
        client_auth=_str(doc, "client_auth", "$.auth") or "body",
    )
    if auth.client_auth not in ("body", "basic"):
        raise RestConfigError("$.auth.client_auth: body or basic")
    return auth


def _operation(name: str, doc: Any) -> Operation:
    where = f"$.operations.{name}"
    if not isinstance(doc, Mapping):
        raise RestConfigError(f"{where}: must be an object")
    method = (_str(doc, "method", where) or "POST").upper()
    if method not in METHODS:
        raise RestConfigError(f"{where}.method: one of {', '.join(METHODS)}")
    path = _str(doc, "path", where, required=True)
    body = doc.get("body")
    if body is not None and not isinstance(body, str):
        # A JSON object is accepted too: written as text, it is a template without variables.
        body = json.dumps(body)
    try:
        compiled_path = compile_path(path)
        compiled_body = compile_body(body) if body else None
    except TemplateSyntaxError as exc:
        raise RestConfigError(f"{where}: template error line {exc.lineno}: {exc.message}") from None
    response_doc = doc.get("response") or {}
    if not isinstance(response_doc, Mapping):
        raise RestConfigError(f"{where}.response: an object of field -> JMESPath expression")
    response = {}
    for key, expression in response_doc.items():
        if key not in KNOWN_FIELDS:
            raise RestConfigError(f"{where}.response.{key}: one of {', '.join(KNOWN_FIELDS)}")
        if not isinstance(expression, str):
            raise RestConfigError(f"{where}.response.{key}: a JMESPath expression (string)")
        try:
            response[key] = jmespath.compile(expression)
        except JMESPathError as exc:
            raise RestConfigError(f"{where}.response.{key}: invalid JMESPath: {exc}") from None
    for key in REQUIRED_FIELDS[name]:
        if key not in response:
            raise RestConfigError(f"{where}.response.{key}: missing (a JMESPath expression)")
    status_map = doc.get("status_map") or {}
    if not isinstance(status_map, Mapping) or not all(
        isinstance(v, str) and v in ORDER_STATUSES for v in status_map.values()
    ):
        raise RestConfigError(
            f"{where}.status_map: an object of the system's statuses to {', '.join(ORDER_STATUSES)}"
        )
    not_found = doc.get("not_found_status", [404])
    if not isinstance(not_found, list) or not all(isinstance(s, int) for s in not_found):
        raise RestConfigError(f"{where}.not_found_status: a list of HTTP status codes")
    return Operation(
        name=name,
        method=method,
        path=compiled_path,
        body=compiled_body,
        response=response,
        status_map={str(k): v for k, v in status_map.items()},
        not_found_status=tuple(not_found),
    )
