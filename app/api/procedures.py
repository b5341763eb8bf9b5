"""Public catalog: the published procedures and their frozen versions."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from app.api import serializers
from app.api.common import ApiError, services
from workflow_engine.engine.errors import EngineError
from workflow_engine.persistence.platform.catalog import VersionInfo


def _not_published(key: str) -> ApiError:
    return ApiError(
        404,
        "not_found",
        "Ese trámite no existe o no está publicado.",
        "That procedure does not exist or is not published.",
        procedure=key,
    )


def _published(key: str, number: int | None) -> VersionInfo:
    catalog = services().catalog
    try:
        if catalog.info(key).state == "archived":
            raise _not_published(key)
        return catalog.version(key, number)
    except ApiError:
        raise
    except EngineError:  # NotFoundError from the catalog
        raise _not_published(key) from None


def list_procedures() -> ResponseReturnValue:
    """GET /procedures"""
    live = services().catalog.live()
    return {"procedures": [serializers.procedure_summary(v) for v in live]}


def get_procedure(key: str) -> ResponseReturnValue:
    """GET /procedures/<key>: the live version."""
    return serializers.procedure_version(_published(key, None))


def get_procedure_version(key: str, number: int) -> ResponseReturnValue:
    """GET /procedures/<key>/versions/<n>"""
    return serializers.procedure_version(_published(key, number))
