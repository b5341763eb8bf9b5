"""Attached files: references to uploads already stored, with type, size and count limits."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from workflow_engine.plural import counted
from workflow_engine.templates.field_types.base import (
    EMPTY,
    Env,
    FieldError,
    FieldType,
    InvalidValueError,
    Localized,
    Option,
    bad_shape,
    error,
    is_empty,
    too_many,
)

DEFAULT_MAX_SIZE_MB = 10
DEFAULT_MAX_FILES = 1
_FILE_KEYS = ("id", "name", "sha256", "size", "content_type")


def _matches_accept(content_type: str, accept: Sequence[str]) -> bool:
    for pattern in accept:
        if pattern == content_type:
            return True
        if pattern.endswith("/*") and content_type.startswith(pattern[:-1]):
            return True
    return False


def clean_files(
    field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
) -> tuple[Any, list[FieldError]]:
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        exc = InvalidValueError("invalid_type", "adjunte el archivo.", "attach the file.")
        return EMPTY, [error(field, path, names, exc)]
    errors: list[FieldError] = []
    max_files = field.get("max_files", DEFAULT_MAX_FILES)
    max_mb = field.get("max_size_mb", DEFAULT_MAX_SIZE_MB)
    accept: Sequence[str] = field.get("accept") or []
    if len(value) > max_files:
        errors.append(
            error(
                field,
                path,
                names,
                InvalidValueError(
                    "too_many_files",
                    f"se admiten como máximo {counted(max_files, 'archivo', 'archivos')}.",
                    f"at most {counted(max_files, 'file is', 'files are')} allowed.",
                ),
            )
        )
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, ref in enumerate(value):
        try:
            clean = clean_file_ref(ref, accept, max_mb)
            if clean["id"] in seen:
                raise InvalidValueError(
                    "duplicate_file",
                    "el mismo archivo se adjuntó dos veces.",
                    "the same file was attached twice.",
                )
            seen.add(clean["id"])
            out.append(clean)
        except InvalidValueError as exc:
            errors.append(error(field, f"{path}[{n}]", names, exc))
    return (out, []) if not errors else (EMPTY, errors)


def clean_file_ref(ref: Any, accept: Sequence[str], max_mb: float) -> dict[str, Any]:
    bad = InvalidValueError(
        "invalid_file",
        "el archivo no se recibió bien; vuelva a subirlo.",
        "the file was not received properly; upload it again.",
    )
    if not isinstance(ref, Mapping) or set(ref) != set(_FILE_KEYS):
        raise bad
    fid, name, sha, size, ctype = (ref[k] for k in _FILE_KEYS)
    if not (isinstance(fid, str) and 0 < len(fid) <= 100):
        raise bad
    if not (isinstance(name, str) and 0 < len(name.strip()) <= 255):
        raise bad
    if not (isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha)):
        raise bad
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise bad
    if not isinstance(ctype, str):
        raise bad
    ctype = ctype.strip().lower()
    if size == 0:
        raise InvalidValueError(
            "empty_file",
            f"el archivo «{name}» está vacío.",
            f"the file “{name}” is empty.",
        )
    if accept and not _matches_accept(ctype, accept):
        kinds = ", ".join(_KIND_NAMES.get(a, a) for a in accept)
        raise InvalidValueError(
            "file_type",
            f"el archivo «{name}» no es de un tipo admitido; suba {kinds}.",
            f"the file “{name}” is not of an accepted type; upload {kinds}.",
        )
    if size > max_mb * 1024 * 1024:
        raise InvalidValueError(
            "file_too_large",
            f"el archivo «{name}» pesa {size / 1048576:.1f} MB y el máximo es {max_mb} MB.",
            f"the file “{name}” is {size / 1048576:.1f} MB and the maximum is {max_mb} MB.",
        )
    return {
        "id": fid,
        "name": name.strip(),
        "sha256": sha.lower(),
        "size": size,
        "content_type": ctype,
    }


_KIND_NAMES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPG",
    "image/png": "PNG",
    "image/*": "imagen/image",
}


class File(FieldType):
    """Uploaded files (the wizard stores them first; the value holds their references)."""

    name = "file"
    order = 170
    label: ClassVar[Localized] = {"es": "Archivo adjunto", "en": "File upload"}
    description: ClassVar[Localized] = {
        "es": "Uno o varios archivos que sube el solicitante, como una identificación.",
        "en": "One or more files the applicant uploads, such as an ID.",
    }
    value_kind = "file_list"
    value_kind_label: ClassVar[Localized] = {
        "es": "lista de referencias a archivos",
        "en": "list of file references",
    }
    options: ClassVar[Mapping[str, Option]] = {
        "accept": Option(
            {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "string", "pattern": "^[a-z]+/([a-z0-9][a-z0-9.+-]*|\\*)$"},
            },
            {"es": "Tipos de archivo (MIME)", "en": "File types (MIME)"},
        ),
        "max_size_mb": Option(
            {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
            {"es": "Tamaño máximo (MB)", "en": "Maximum size (MB)"},
        ),
        "max_files": Option(
            {"type": "integer", "minimum": 1, "maximum": 20},
            {"es": "Número máximo de archivos", "en": "Maximum number of files"},
        ),
    }
    defaults: ClassVar[Mapping[str, Any]] = {"max_size_mb": 10, "max_files": 1}
    takes_files = True
    sample: ClassVar[Any] = [
        {
            "id": "muestra",
            "name": "identificacion.pdf",
            "sha256": "0" * 64,
            "size": 1024,
            "content_type": "application/pdf",
        }
    ]

    @classmethod
    def clean(
        cls, field: Mapping[str, Any], raw: Any, path: str, env: Env, names: tuple[str, str]
    ) -> tuple[Any, list[FieldError]]:
        if is_empty(raw):
            return EMPTY, []
        return clean_files(field, raw, path, names)

    @classmethod
    def draft_errors(
        cls, field: Mapping[str, Any], value: Any, path: str, names: tuple[str, str]
    ) -> list[FieldError]:
        if value is None:
            return []
        refs = [value] if isinstance(value, Mapping) else value
        if not isinstance(refs, list):
            return [error(field, path, names, bad_shape())]
        errors = []
        high = field.get("max_files", DEFAULT_MAX_FILES)
        if len(refs) > high:
            errors.append(error(field, path, names, too_many(high)))
        for n, ref in enumerate(refs):
            try:
                clean_file_ref(ref, (), float("inf"))
            except InvalidValueError as exc:
                errors.append(error(field, f"{path}[{n}]", names, exc))
        return errors

    @classmethod
    def display_lines(cls, field: Mapping[str, Any], value: Any, lang: str) -> list[str]:
        if value is None or value == "" or value == []:
            return []
        refs = value if isinstance(value, list) else [value]
        return [str(r.get("name", "")) for r in refs if isinstance(r, Mapping)]

    @classmethod
    def export_text(
        cls, field: Mapping[str, Any], value: Any, lang: str, file_url: Callable[[str], str]
    ) -> str:
        """Each file as a link (its absolute address), one per line."""
        refs = value if isinstance(value, list) else [value]
        return "\n".join(
            file_url(str(r["id"])) for r in refs if isinstance(r, Mapping) and r.get("id")
        )

    @classmethod
    def form_names(cls, name: str) -> set[str]:
        return {name, f"{name}.keep", f"{name}.quitar"}
