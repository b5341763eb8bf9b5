"""The OpenAPI 3.1 description of /api/v1, kept next to the handlers it describes."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue

from app.api.common import MAX_ID
from workflow_engine.engine.events import CATALOG as EVENT_KINDS

ERROR_RESPONSES = {
    "400": ("BadRequest", "Cuerpo JSON mal formado o parámetro inválido / malformed request"),
    "401": ("Unauthorized", "Sin credenciales o clave de API inválida / not authenticated"),
    "403": ("Forbidden", "No permitido o token CSRF ausente / not allowed or CSRF failed"),
    "404": ("NotFound", "No existe o no es visible / not found"),
    "409": ("Conflict", "Otra persona cambió el expediente / stale update"),
    "422": ("Unprocessable", "Datos inválidos / validation failed"),
    "413": ("PayloadTooLarge", "Solicitud demasiado grande / request too large"),
    "503": ("ServiceUnavailable", "Servicio no disponible por un momento / briefly unavailable"),
}
UNSAFE = ("post", "put", "patch", "delete")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    operation_id: str,
    summary: str,
    ok: tuple[str, str, dict[str, Any]],
    errors: tuple[str, ...],
    *,
    tag: str,
    public: bool = False,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    status, description, schema = ok
    responses: dict[str, Any] = {status: _json(schema, description)}
    if status == "201":
        responses[status]["headers"] = {
            "Location": {"description": "URL del expediente", "schema": {"type": "string"}}
        }
    codes = list(errors) if public else ["401", *errors]
    for code in sorted(set(codes)):
        responses[code] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": responses,
    }
    if public:
        operation["security"] = []
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    return operation


def _path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


FOLIO = _path_param("folio", {"type": "string"}, "Folio del expediente / case reference")
STEP = _path_param("step_id", {"type": "string"}, "Id de un paso de formulario / form step id")
KEY = _path_param("key", {"type": "string"}, "Clave del trámite / procedure key")
LIMIT = _query(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
    "Tamaño de página / page size",
)
AFTER = _query(
    "after",
    {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    "Cursor: `next_after` de la página anterior / keyset cursor",
)

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_DATETIME = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS: dict[str, Any] = {
    "LocalizedText": {
        "type": ["object", "null"],
        "description": "Texto en español (`es`, obligatorio) y opcionalmente inglés (`en`).",
        "properties": {"es": {"type": "string"}, "en": {"type": "string"}},
        "additionalProperties": {"type": "string"},
    },
    "Procedure": {
        "type": "object",
        "required": ["key", "title", "department", "version"],
        "properties": {
            "key": {"type": "string"},
            "title": _ref("LocalizedText"),
            "summary": _ref("LocalizedText"),
            "department": {"type": "string"},
            "version": {"type": "integer", "description": "Número de la versión publicada"},
            "homoclave": NULLABLE_STRING,
            "cost": _ref("LocalizedText"),
            "max_response_days": {"type": ["integer", "null"]},
            "digitalization_level": {"type": "integer", "minimum": 0, "maximum": 4},
            "published_at": {"type": "string", "format": "date-time"},
        },
    },
    "ProcedureList": {
        "type": "object",
        "required": ["procedures"],
        "properties": {"procedures": {"type": "array", "items": _ref("Procedure")}},
    },
    "ProcedureVersion": {
        "type": "object",
        "required": ["key", "number", "checksum", "published_at", "definition"],
        "properties": {
            "key": {"type": "string"},
            "number": {"type": "integer"},
            "checksum": {"type": "string", "description": "SHA-256 de la definición"},
            "published_at": {"type": "string", "format": "date-time"},
            "definition": {
                "type": "object",
                "description": "Plantilla del trámite (docs/template-format.md)",
            },
        },
    },
    "Event": {
        "type": "object",
        "required": ["seq", "type", "data", "at", "actor"],
        "properties": {
            "seq": {"type": "integer"},
            "type": {
                "type": "string",
                "enum": sorted(EVENT_KINDS),
                "description": "A kind from workflow_engine/engine/events.py",
            },
            "data": {"type": "object"},
            "at": {"type": "string", "format": "date-time"},
            "actor": {
                "type": "object",
                "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
            },
        },
    },
    "CaseTask": {
        "type": "object",
        "required": ["key", "step", "department", "role", "status"],
        "properties": {
            "id": {
                "type": ["integer", "null"],
                "description": "Id para POST /tasks/{task_id}/decision",
            },
            "key": {"type": "string"},
            "step": {"type": "string"},
            "branch": NULLABLE_STRING,
            "department": {"type": "string"},
            "role": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ["open", "approved", "rejected", "returned", "cancelled"],
            },
            "round": {"type": "integer"},
            "opened_at": {"type": "string", "format": "date-time"},
            "due_on": {"type": ["string", "null"], "format": "date"},
            "decided_at": NULLABLE_DATETIME,
            "decided_by": NULLABLE_STRING,
            "comment": NULLABLE_STRING,
            "escalated": {"type": "boolean"},
        },
    },
    "Task": {
        "type": "object",
        "required": ["id", "folio", "procedure", "step", "department", "role", "status"],
        "properties": {
            "id": {"type": "integer"},
            "key": {"type": "string"},
            "folio": {"type": "string"},
            "procedure": {"type": "string"},
            "case_status": {"type": "string"},
            "step": {"type": "string"},
            "branch": NULLABLE_STRING,
            "department": {"type": "string"},
            "role": {"type": "string"},
            "status": {"type": "string"},
            "escalated": {"type": "boolean"},
            "due_on": {"type": ["string", "null"], "format": "date"},
            "opened_at": {"type": "string", "format": "date-time"},
            "decided_at": NULLABLE_DATETIME,
            "assignee": {
                "type": ["string", "null"],
                "description": "Usuario que tomó la tarea (null: sin tomar)",
            },
        },
    },
    "TaskList": {
        "type": "object",
        "required": ["tasks", "next_after"],
        "properties": {
            "tasks": {"type": "array", "items": _ref("Task")},
            "next_after": {"type": ["integer", "null"]},
        },
    },
    "Payment": {
        "type": ["object", "null"],
        "properties": {
            "step_id": {"type": "string"},
            "attempt": {"type": "integer"},
            "currency": {"type": "string"},
            "lines": {"type": "array", "items": {"type": "object"}},
            "total_cents": {"type": "integer"},
            "status": {"type": "string"},
            "reference": NULLABLE_STRING,
            "expires_on": NULLABLE_STRING,
        },
    },
    "CaseSummary": {
        "type": "object",
        "required": ["folio", "procedure", "status", "position", "lock_version"],
        "properties": {
            "folio": {"type": "string"},
            "procedure": {"type": "string"},
            "version": {"type": "integer"},
            "status": {"type": "string"},
            "position": {"type": "string"},
            "outcome": NULLABLE_STRING,
            "lock_version": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "submitted_at": NULLABLE_DATETIME,
            "closed_at": NULLABLE_DATETIME,
        },
    },
    "CaseList": {
        "type": "object",
        "required": ["cases", "next_after"],
        "properties": {
            "cases": {"type": "array", "items": _ref("CaseSummary")},
            "next_after": {"type": ["integer", "null"]},
        },
    },
    "Case": {
        "type": "object",
        "required": [
            "folio",
            "procedure",
            "status",
            "position",
            "data",
            "tasks",
            "lock_version",
            "history",
        ],
        "properties": {
            "folio": {"type": "string"},
            "procedure": {
                "type": "object",
                "properties": {
                    "key": {"type": "string"},
                    "version": {"type": "integer"},
                    "title": _ref("LocalizedText"),
                },
            },
            "status": {
                "type": "string",
                "enum": [
                    "draft",
                    "ready_to_submit",
                    "in_review",
                    "awaiting_applicant",
                    "awaiting_correction",
                    "awaiting_payment",
                    "awaiting_document",
                    "awaiting_connector",
                    "closed",
                ],
            },
            "position": {"type": "string"},
            "position_title": _ref("LocalizedText"),
            "outcome": NULLABLE_STRING,
            "data": {"type": "object"},
            "drafts": {"type": "object", "description": "Sólo para la persona solicitante"},
            "form_path": {"type": "array", "items": {"type": "string"}},
            "editable_steps": {"type": "array", "items": {"type": "string"}},
            "pending_step": NULLABLE_STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "submitted_at": NULLABLE_DATETIME,
            "closed_at": NULLABLE_DATETIME,
            "response_due": {
                "type": ["string", "null"],
                "format": "date",
                "description": "Último día del plazo máximo de respuesta del trámite "
                "(response_deadline), fijado al enviar la solicitud",
            },
            "tasks": {"type": "array", "items": _ref("CaseTask")},
            "payment": _ref("Payment"),
            "payments": {"type": "array", "items": {"type": "object"}},
            "documents": {"type": "array", "items": {"type": "object"}},
            "lock_version": {
                "type": "integer",
                "description": "Versión para bloqueo optimista (lock_version)",
            },
            "history": {"type": "array", "items": _ref("Event")},
        },
    },
    "FieldError": {
        "type": "object",
        "properties": {
            "field": NULLABLE_STRING,
            "path": NULLABLE_STRING,
            "code": NULLABLE_STRING,
            "message": {"type": "string"},
            "message_en": {"type": "string"},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "message_en"],
                "properties": {
                    "code": {
                        "type": "string",
                        "examples": [
                            "bad_request",
                            "not_found",
                            "conflict",
                            "validation_failed",
                            "unauthorized",
                            "csrf_failed",
                        ],
                    },
                    "message": {"type": "string", "description": "Mensaje en español"},
                    "message_en": {"type": "string", "description": "Message in English"},
                    "details": {
                        "type": "object",
                        "properties": {"errors": {"type": "array", "items": _ref("FieldError")}},
                    },
                },
            }
        },
    },
    "StartCaseRequest": {
        "type": "object",
        "required": ["procedure"],
        "properties": {
            "procedure": {
                "type": "string",
                "minLength": 1,
                "pattern": "\\S",
                "description": "Clave del trámite",
            }
        },
    },
    "StepValuesRequest": {
        "type": "object",
        "required": ["values"],
        "properties": {
            "values": {"type": "object", "description": "id de campo -> valor"},
            "lock_version": {"type": "integer"},
        },
    },
    "SubmitCaseRequest": {
        "type": "object",
        "required": ["declaration"],
        "properties": {
            "declaration": {
                "type": "boolean",
                "description": "Declaro bajo protesta de decir verdad",
            },
            "lock_version": {"type": "integer"},
        },
    },
    "CancelRequest": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string", "minLength": 1, "pattern": "\\S"},
            "lock_version": {"type": "integer"},
        },
    },
    "DecisionRequest": {
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"type": "string", "enum": ["approve", "reject", "return"]},
            "comment": {"type": "string", "description": "Obligatorio al rechazar o devolver"},
            "reason": {
                "type": "string",
                "enum": ["incorrect", "incomplete", "outdated"],
                "description": "Motivo de la devolución (return)",
            },
            "return_steps": {"type": "array", "items": {"type": "string"}},
            "fields": {
                "type": "object",
                "description": "Campos de resolución que declara el paso (respuesta, "
                "fundamentos, archivos por id de carga): {id de campo: valor}; se validan "
                "como los del solicitante y el documento los lee",
            },
            "requirements": {
                "type": "array",
                "description": "Revisión documento por documento; los no aceptados requieren "
                "motivo y se devuelven juntos",
                "items": {
                    "type": "object",
                    "required": ["file_id", "accepted"],
                    "properties": {
                        "file_id": {"type": "string"},
                        "accepted": {"type": "boolean"},
                        "reason": {"type": "string"},
                    },
                },
            },
            "lock_version": {
                "type": "integer",
                "description": "Si no coincide con el expediente: 409",
            },
        },
    },
}

CASE = ("200", "El expediente / the case", _ref("Case"))
TASK_ID = _path_param(
    "task_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "Id de la tarea"
)


def _paths() -> dict[str, Any]:
    decision_upload = _op(
        "uploadDecisionFile",
        "Subir un archivo para un campo de resolución / upload a file for a decision field",
        ("201", "Archivo guardado / file stored", _ref("FileRef")),
        ("400", "404", "413", "422"),
        tag="tasks",
    )
    decision_upload["requestBody"] = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": _ref("FileUpload"),
                "encoding": {"file": {"contentType": "*/*"}},
            }
        },
    }
    return {
        "/procedures": {
            "get": _op(
                "listProcedures",
                "Trámites publicados / published procedures",
                ("200", "Catálogo", _ref("ProcedureList")),
                (),
                tag="procedures",
                public=True,
            ),
        },
        "/procedures/{key}": {
            "parameters": [KEY],
            "get": _op(
                "getProcedure",
                "Versión vigente de un trámite / live version",
                ("200", "Versión publicada", _ref("ProcedureVersion")),
                ("404",),
                tag="procedures",
                public=True,
            ),
        },
        "/procedures/{key}/versions/{number}": {
            "parameters": [
                KEY,
                _path_param(
                    "number",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Número de versión / version number",
                ),
            ],
            "get": _op(
                "getProcedureVersion",
                "Una versión publicada / a published version",
                ("200", "Versión publicada", _ref("ProcedureVersion")),
                ("404",),
                tag="procedures",
                public=True,
            ),
        },
        "/cases": {
            "get": _op(
                "listCases",
                "Mis expedientes / my cases",
                ("200", "Expedientes", _ref("CaseList")),
                ("400",),
                tag="cases",
                parameters=[LIMIT, AFTER],
            ),
            "post": _op(
                "startCase",
                "Iniciar un trámite / start a case",
                ("201", "Expediente creado", _ref("Case")),
                ("400", "404", "422"),
                tag="cases",
                body="StartCaseRequest",
            ),
        },
        "/cases/{folio}": {
            "parameters": [FOLIO],
            "get": _op(
                "getCase",
                "Expediente con su historial / case with history",
                CASE,
                ("404",),
                tag="cases",
            ),
        },
        "/cases/{folio}/steps/{step_id}": {
            "parameters": [FOLIO, STEP],
            "put": _op(
                "saveStepDraft",
                "Guardar borrador de un paso / save a draft",
                CASE,
                ("400", "404", "409", "422"),
                tag="cases",
                body="StepValuesRequest",
            ),
        },
        "/cases/{folio}/steps/{step_id}/submit": {
            "parameters": [FOLIO, STEP],
            "post": _op(
                "submitStep",
                "Enviar un paso / submit a step",
                CASE,
                ("400", "404", "409", "422"),
                tag="cases",
                body="StepValuesRequest",
            ),
        },
        "/cases/{folio}/submit": {
            "parameters": [FOLIO],
            "post": _op(
                "submitCase",
                "Presentar la solicitud / file the case",
                CASE,
                ("400", "404", "409", "422"),
                tag="cases",
                body="SubmitCaseRequest",
            ),
        },
        "/cases/{folio}/cancel": {
            "parameters": [FOLIO],
            "post": _op(
                "cancelCase",
                "Cancelar / cancel the case",
                CASE,
                ("400", "404", "409", "422"),
                tag="cases",
                body="CancelRequest",
            ),
        },
        **_journey_paths(),
        "/tasks": {
            "get": _op(
                "listTasks",
                "Mis tareas / my tasks",
                ("200", "Tareas de mis áreas y perfiles", _ref("TaskList")),
                ("400",),
                tag="tasks",
                parameters=[
                    _query(
                        "status",
                        {
                            "type": "string",
                            "default": "open",
                            "enum": [
                                "open",
                                "approved",
                                "rejected",
                                "returned",
                                "cancelled",
                                "all",
                            ],
                        },
                        "Estado de la tarea / task status",
                    ),
                    LIMIT,
                    AFTER,
                ],
            ),
        },
        "/tasks/{task_id}/decision": {
            "parameters": [
                _path_param(
                    "task_id",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Id de la tarea",
                )
            ],
            "post": _op(
                "decideTask",
                "Resolver una tarea / decide a task",
                CASE,
                ("400", "404", "409", "422"),
                tag="tasks",
                body="DecisionRequest",
            ),
        },
        "/tasks/{task_id}/files/{field_id}": {
            "parameters": [TASK_ID, FIELD],
            "post": decision_upload,
        },
        "/tasks/{task_id}/claim": {
            "parameters": [TASK_ID],
            "post": _op(
                "claimTask",
                "Tomar una tarea / claim a task",
                CASE,
                ("404", "409"),
                tag="tasks",
            ),
        },
        "/tasks/{task_id}/release": {
            "parameters": [TASK_ID],
            "post": _op(
                "releaseTask",
                "Liberar una tarea / release a task",
                CASE,
                ("403", "404", "409"),
                tag="tasks",
            ),
        },
        "/openapi.json": {
            "get": _op(
                "getOpenApi",
                "Este documento / this document",
                ("200", "OpenAPI 3.1", {"type": "object"}),
                (),
                tag="meta",
                public=True,
            ),
        },
    }


# -- files, documents and payment: the rest of the journey ----------------------------------

FILE_ID = _path_param(
    "file_id", {"type": "string", "minLength": 1}, "Id de un archivo subido / uploaded file id"
)
FIELD = _path_param(
    "field_id", {"type": "string"}, "Id de un campo de tipo archivo / file field id"
)
DOCUMENT_ID = _path_param(
    "document_id",
    {"type": "integer", "minimum": 0, "maximum": MAX_ID},
    "`document_id` de `Case.documents` / issued document id",
)
JOURNEY_SCHEMAS: dict[str, Any] = {
    "FileRef": {
        "type": "object",
        "description": "Archivo guardado; póngalo tal cual en la lista del campo al enviar el "
        'paso: `{"values": {"<campo>": [FileRef]}}`',
        "required": ["id", "name", "sha256", "size", "content_type"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string", "description": "Nombre mostrado (limpio)"},
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {"type": "integer", "minimum": 1},
            "content_type": {
                "type": "string",
                "description": "Tipo según el contenido (no según el nombre)",
            },
        },
    },
    "FileUpload": {
        "type": "object",
        "required": ["file"],
        "properties": {
            "file": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "El archivo; se revisa su contenido, tamaño y tipo según el campo",
            }
        },
    },
    "Checkout": {
        "type": "object",
        "required": ["id", "gateway", "reference", "status", "url", "amount_cents", "currency"],
        "properties": {
            "id": {"type": "string", "description": "Id de la sesión en la pasarela"},
            "gateway": {"type": "string"},
            "reference": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ["open", "succeeded", "failed", "expired", "refunded", "closed"],
            },
            "url": {"type": "string", "description": "Página de pago de la pasarela"},
            "amount_cents": {"type": "integer"},
            "currency": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "expires_at": NULLABLE_DATETIME,
        },
    },
    "CheckoutStarted": {
        "type": "object",
        "required": ["checkout_url", "checkout", "reference", "amount_cents", "currency"],
        "properties": {
            "checkout_url": {
                "type": "string",
                "description": "Envíe a la persona aquí; la pasarela la regresa a "
                "/expedientes/{folio}/pago/regreso",
            },
            "checkout": _ref("Checkout"),
            "reference": {"type": "string", "description": "Referencia de pago (línea de captura)"},
            "amount_cents": {"type": "integer"},
            "currency": {"type": "string"},
            "expires_on": {"type": ["string", "null"], "format": "date"},
        },
    },
    "PaymentStatus": {
        "type": "object",
        "required": ["folio", "status", "reference", "amount_cents", "currency", "online"],
        "properties": {
            "folio": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ["none", "requested", "pending", "paid", "failed", "expired"],
                "description": "Pago del expediente: none (sin pago), requested (generando la "
                "orden), pending, paid (el último pago), failed, expired",
            },
            "reference": NULLABLE_STRING,
            "amount_cents": {"type": ["integer", "null"]},
            "currency": NULLABLE_STRING,
            "expires_on": {"type": ["string", "null"], "format": "date"},
            "lines": {"type": "array", "items": {"type": "object"}},
            "order_status": {
                "enum": ["pending", "paid", "cancelled", "expired", None],
                "description": "Estado de la orden en el sistema de recaudación",
            },
            "paid": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "reference": NULLABLE_STRING,
                        "amount_cents": {"type": ["integer", "null"]},
                        "currency": NULLABLE_STRING,
                        "paid_at": NULLABLE_DATETIME,
                    },
                },
            },
            "online": {
                "type": "object",
                "required": ["available", "status", "checkout"],
                "properties": {
                    "available": {
                        "type": "boolean",
                        "description": "POST .../payment/checkout es posible ahora",
                    },
                    "status": {
                        "type": "string",
                        "enum": ["confirming", "paid", "failed", "expired", "none"],
                        "description": "Lo mismo que /expedientes/{folio}/pago/estado",
                    },
                    "checkout": {"oneOf": [_ref("Checkout"), {"type": "null"}]},
                },
            },
        },
    },
}
SCHEMAS.update(JOURNEY_SCHEMAS)


def _download_op(
    operation_id: str, summary: str, media_type: str, errors: tuple[str, ...]
) -> dict[str, Any]:
    """A GET that answers a file (binary), or a JSON error."""
    operation = _op(operation_id, summary, ("200", "", {}), errors, tag="files")
    operation["responses"]["200"] = {
        "description": "El archivo / the file (admite Range e If-None-Match)",
        "content": {media_type: {"schema": {"type": "string", "contentMediaType": media_type}}},
    }
    return operation


def _journey_paths() -> dict[str, Any]:
    upload = _op(
        "uploadFile",
        "Subir un archivo para un campo / upload a file for a field",
        ("201", "Archivo guardado / file stored", _ref("FileRef")),
        ("400", "403", "404", "413", "422"),
        tag="files",
    )
    upload["responses"]["201"]["headers"] = {
        "Location": {"description": "URL para descargarlo", "schema": {"type": "string"}}
    }
    upload["requestBody"] = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": _ref("FileUpload"),
                "encoding": {"file": {"contentType": "*/*"}},
            }
        },
    }
    delete = _op(
        "deleteFile",
        "Borrar un archivo aún no enviado / delete a file not yet sent",
        ("204", "", {}),
        ("403", "404", "409", "422"),
        tag="files",
    )
    delete["responses"]["204"] = {"description": "Borrado / deleted"}
    checkout = _op(
        "startPaymentCheckout",
        "Pagar en línea: sesión de pago en la pasarela / open a gateway checkout",
        ("200", "Sesión de pago (la misma si sigue abierta)", _ref("CheckoutStarted")),
        ("403", "404", "409", "503"),
        tag="payments",
    )
    return {
        "/cases/{folio}/steps/{step_id}/files/{field_id}": {
            "parameters": [FOLIO, STEP, FIELD],
            "post": upload,
        },
        "/cases/{folio}/files/{file_id}": {
            "parameters": [FOLIO, FILE_ID],
            "get": _download_op(
                "downloadFile",
                "Descargar un archivo del expediente / download a case file",
                "*/*",
                ("404",),
            ),
            "delete": delete,
        },
        "/cases/{folio}/receipt": {
            "parameters": [FOLIO],
            "get": _download_op(
                "downloadReceipt",
                "Acuse de recibo (PDF) / submission receipt",
                "application/pdf",
                ("404",),
            ),
        },
        "/cases/{folio}/documents/{document_id}": {
            "parameters": [FOLIO, DOCUMENT_ID],
            "get": _download_op(
                "downloadDocument",
                "Documento emitido y firmado (PDF) / issued signed document",
                "application/pdf",
                ("404",),
            ),
        },
        "/cases/{folio}/payment": {
            "parameters": [FOLIO],
            "get": _op(
                "getPayment",
                "Estado del pago / payment status",
                ("200", "Pago del expediente", _ref("PaymentStatus")),
                ("404",),
                tag="payments",
            ),
        },
        "/cases/{folio}/payment/checkout": {"parameters": [FOLIO], "post": checkout},
        "/cases/{folio}/payment/slip": {
            "parameters": [FOLIO],
            "get": _download_op(
                "downloadPaymentSlip",
                "Orden de pago imprimible (PDF) / printable payment order",
                "application/pdf",
                ("404",),
            ),
        },
    }


def _with_change_errors(paths: dict[str, Any]) -> dict[str, Any]:
    """Every change (POST, PUT...) may also answer 403 (CSRF, on session requests) and 413
    (its body is capped by API_MAX_BODY_BYTES, whatever the operation)."""
    for item in paths.values():
        for method, operation in item.items():
            if method not in UNSAFE:
                continue
            responses = operation["responses"]
            for code in ("403", "413"):
                responses[code] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[code][0]}"}
            operation["responses"] = dict(sorted(responses.items()))
    return paths


def document() -> dict[str, Any]:
    responses = {
        name: _json(_ref("Error"), description) for name, description in ERROR_RESPONSES.values()
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tramita API",
            "version": "1.0.0",
            "description": (
                "Trámites municipales en línea. Autenticación con clave de API (`X-API-Key` o "
                "`Authorization: Bearer`) o con la sesión del navegador; con sesión, las "
                "solicitudes que modifican datos requieren el encabezado `X-CSRFToken`. "
                'Errores: `{"error": {"code", "message", "message_en", "details"}}`.'
            ),
        },
        "servers": [{"url": url_for("api.list_procedures").removesuffix("/procedures")}],
        "tags": [
            {"name": "procedures"},
            {"name": "cases"},
            {"name": "files"},
            {"name": "payments"},
            {"name": "tasks"},
            {"name": "meta"},
        ],
        "security": [{"apiKey": []}, {"bearer": []}, {"session": []}],
        "paths": _with_change_errors(_paths()),
        "components": {
            "schemas": SCHEMAS,
            "responses": responses,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "La misma clave de API como token Bearer",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "Sesión del navegador; requiere X-CSRFToken",
                },
            },
        },
    }


def get_openapi() -> ResponseReturnValue:
    """GET /openapi.json"""
    return document()
