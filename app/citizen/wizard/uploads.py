"""The wizard's only door to stored files: the UploadStore in `extensions["tramita"]`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.citizen.wizard.forms import FileRefusedError
from app.db import read_connection
from workflow_engine.persistence.platform.uploads import (
    PendingUpload,
    UploadRejectedError,
    UploadStore,
)

__all__ = ["UploadRejectedError", "Uploads"]


def store() -> UploadStore | None:
    found: UploadStore | None = getattr(current_app.extensions["tramita"], "uploads", None)
    return found


class Uploads:
    """Saves and checks files for one case, field by field, on behalf of its applicant.

    The bytes of each accepted file are written as it is parsed; the rows of all of them are
    inserted by `flush()` in one transaction (call it once the form is parsed, before the
    engine command that refers to them)."""

    def __init__(self, *, owner_id: str, case_id: int, step_id: str) -> None:
        self.owner_id = owner_id
        self.case_id = case_id
        self.step_id = step_id
        self.store = store()
        self.pending: list[PendingUpload] = []
        self.owner_checked = False

    def save(self, fld: Mapping[str, Any], upload: FileStorage) -> dict[str, Any]:
        if self.store is None:
            raise FileRefusedError(
                "por ahora no podemos recibir archivos; intente más tarde.",
                "we cannot receive files right now; try again later.",
                "uploads_unavailable",
            )
        data = upload.read()
        try:
            if not self.owner_checked:
                self.store.check_owner(self.case_id, self.owner_id, read_connection())
                self.owner_checked = True
            pending: PendingUpload = self.store.prepare(
                owner_id=self.owner_id,
                case_id=self.case_id,
                step_id=self.step_id,
                field_id=str(fld["id"]),
                filename=upload.filename or "archivo",
                data=data,
                field=fld,
                declared_type=upload.mimetype or None,
            )
        except UploadRejectedError as exc:
            raise FileRefusedError(exc.message_es, exc.message_en, exc.code) from None
        self.pending.append(pending)
        return pending.ref

    def flush(self) -> None:
        """Record every file saved so far (one transaction)."""
        pending, self.pending = self.pending, []
        if pending:
            assert self.store is not None  # save() takes no file without a store
            self.store.record(pending)

    def discard(self) -> None:
        """Remove the bytes of files saved so far whose rows were never recorded."""
        pending, self.pending = self.pending, []
        if pending:
            assert self.store is not None  # save() takes no file without a store
            self.store.discard(pending)

    def resolve(self, step: Mapping[str, Any], values: dict[str, Any]) -> dict[str, Any]:
        """The step's values with every file reference checked against the stored uploads
        (the same rule as the API: UploadStore.resolve_files); UnknownFileError if one is not."""
        if self.store is None:
            return values
        resolved: dict[str, Any] = self.store.resolve_files(
            case_id=self.case_id,
            owner_id=self.owner_id,
            step=step,
            values=values,
            conn=read_connection(),
        )
        return resolved

    def kept(self, fld: Mapping[str, Any], public_ids: list[str]) -> list[dict[str, Any]]:
        if self.store is None or not public_ids:
            return []
        refs: list[dict[str, Any]] = self.store.refs(
            self.case_id, self.owner_id, str(fld["id"]), public_ids, conn=read_connection()
        )
        return refs
