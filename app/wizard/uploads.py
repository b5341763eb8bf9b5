"""The wizard's only door to stored files: the UploadStore in `extensions["tramita"]`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.wizard.forms import FileRefused
from workflow_engine.persistence.uploads import UploadRejected

__all__ = ["UploadRejected", "Uploads"]


def store() -> Any:
    return getattr(current_app.extensions["tramita"], "uploads", None)


class Uploads:
    """Saves and checks files for one case, field by field, on behalf of its applicant."""

    def __init__(self, *, owner_id: str, case_id: int, step_id: str) -> None:
        self.owner_id = owner_id
        self.case_id = case_id
        self.step_id = step_id
        self.store = store()

    def save(self, fld: Mapping[str, Any], upload: FileStorage) -> dict[str, Any]:
        if self.store is None:
            raise FileRefused(
                "por ahora no podemos recibir archivos; intente más tarde.",
                "we cannot receive files right now; try again later.",
                "uploads_unavailable",
            )
        data = upload.read()
        try:
            ref: dict[str, Any] = self.store.save(
                owner_id=self.owner_id,
                case_id=self.case_id,
                step_id=self.step_id,
                field_id=str(fld["id"]),
                filename=upload.filename or "archivo",
                data=data,
                field=fld,
                declared_type=upload.mimetype or None,
            )
        except UploadRejected as exc:
            raise FileRefused(exc.message_es, exc.message_en, exc.code) from None
        return ref

    def kept(self, fld: Mapping[str, Any], public_ids: list[str]) -> list[dict[str, Any]]:
        if self.store is None or not public_ids:
            return []
        refs: list[dict[str, Any]] = self.store.refs(
            self.case_id, self.owner_id, str(fld["id"]), public_ids
        )
        return refs
