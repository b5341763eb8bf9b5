"""The verification page's forms: a copy of a document to check, and an administrator's
reason to revoke one. Read what was posted; comparing the copy is
`connectors.documents.verification`."""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict

from connectors.documents.verification import MAX_UPLOAD_BYTES


def uploaded_copy(files: MultiDict[str, FileStorage]) -> tuple[bytes, str | None, int]:
    """The uploaded copy's bytes (at most MAX_UPLOAD_BYTES + 1 are read), or what is wrong
    with it and the status to answer with."""
    upload = files.get("archivo")
    if upload is None or not upload.filename:
        return b"", _("Elija el archivo PDF del documento."), 400
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        message = _("El archivo pesa más de %(mb)s MB; ningún documento emitido es tan grande.")
        return data, message % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}, 413
    return data, None, 200


def revocation_reason(form: MultiDict[str, str]) -> str:
    return form.get("motivo", "")
