"""REST API v1: JSON in, JSON out; every change is an engine command with an explicit actor.

URL rules live here; handlers in procedures.py, cases.py, tasks.py, files.py, payments.py;
shapes in serializers.py; the OpenAPI description in openapi.py (keep it in step with this
table).
"""

from collections.abc import Callable

from flask import Blueprint
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from app.api import cases, files, openapi, payments, procedures, tasks
from app.api.common import check_csrf, handle_engine_error, handle_http_error, limit_body
from workflow_engine.engine.errors import EngineError

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

ROUTES: list[tuple[str, Callable[..., ResponseReturnValue], list[str]]] = [
    ("/procedures", procedures.list_procedures, ["GET"]),
    ("/procedures/<key>", procedures.get_procedure, ["GET"]),
    (
        "/procedures/<key>/versions/<int(max=2147483647):number>",
        procedures.get_procedure_version,
        ["GET"],
    ),
    ("/cases", cases.list_cases, ["GET"]),
    ("/cases", cases.start_case, ["POST"]),
    ("/cases/<folio>", cases.get_case, ["GET"]),
    ("/cases/<folio>/steps/<step_id>", cases.save_step, ["PUT"]),
    ("/cases/<folio>/steps/<step_id>/submit", cases.submit_step, ["POST"]),
    ("/cases/<folio>/submit", cases.submit_case, ["POST"]),
    ("/cases/<folio>/cancel", cases.cancel_case, ["POST"]),
    ("/cases/<folio>/steps/<step_id>/files/<field_id>", files.upload_file, ["POST"]),
    ("/cases/<folio>/files/<file_id>", files.download_file, ["GET"]),
    ("/cases/<folio>/files/<file_id>", files.delete_file, ["DELETE"]),
    ("/cases/<folio>/receipt", files.download_receipt, ["GET"]),
    (
        "/cases/<folio>/documents/<int(max=2147483647):document_id>",
        files.download_document,
        ["GET"],
    ),
    ("/cases/<folio>/payment", payments.get_payment, ["GET"]),
    ("/cases/<folio>/payment/checkout", payments.open_payment_checkout, ["POST"]),
    ("/cases/<folio>/payment/slip", files.download_payment_slip, ["GET"]),
    ("/tasks", tasks.list_tasks, ["GET"]),
    ("/tasks/<int(max=2147483647):task_id>/decision", tasks.decide, ["POST"]),
    ("/tasks/<int(max=2147483647):task_id>/claim", tasks.claim, ["POST"]),
    ("/tasks/<int(max=2147483647):task_id>/release", tasks.release, ["POST"]),
    ("/tasks/<int(max=2147483647):task_id>/files/<field_id>", tasks.upload_decision_file, ["POST"]),
    ("/openapi.json", openapi.get_openapi, ["GET"]),
]

for rule, view, methods in ROUTES:
    blueprint.add_url_rule(rule, view.__name__, view, methods=methods)

blueprint.before_request(limit_body)
blueprint.before_request(check_csrf)
blueprint.register_error_handler(HTTPException, handle_http_error)
blueprint.register_error_handler(EngineError, handle_engine_error)

__all__ = ["ROUTES", "blueprint"]
blueprints = (blueprint,)
