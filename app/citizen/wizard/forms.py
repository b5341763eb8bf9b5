"""Turn a posted wizard page into the value shapes `validate_step_data` expects.

Names follow docs/web-contract.md: a field's input name is its id; address parts are
`<id>.<part>`; kept files `<id>.keep`; group rows `<group>[<i>].<field>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import FileStorage, MultiDict

from workflow_engine.templates.field_types.base import ABSENT
from workflow_engine.templates.field_types.file import DEFAULT_MAX_FILES
from workflow_engine.templates.fields import FieldError
from workflow_engine.templates.model import Field, Step

# Form keys that are not data: the CSRF token and the button pressed.
CONTROL_KEYS = frozenset({"csrf_token", "accion"})
MAX_GROUP_ROWS = 100
_ROW_KEY = re.compile(r"^(?P<group>[a-z][a-z0-9_]{0,62})\[(?P<index>\d{1,4})\]\.(?P<rest>.+)$")

# Saves one uploaded file: (field definition, FileStorage) -> file ref; raises FileRefusedError.
SaveUpload = Callable[[Mapping[str, Any], FileStorage], dict[str, Any]]
# The refs among `public_ids` that really belong to this case and field.
KeptRefs = Callable[[Mapping[str, Any], list[str]], list[dict[str, Any]]]


class FileRefusedError(Exception):
    """An uploaded file was not accepted; the message is for the citizen."""

    def __init__(self, message_es: str, message_en: str, code: str = "file_refused") -> None:
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en
        self.code = code


@dataclass
class ParsedStep:
    """What the citizen sent for one step."""

    values: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, Any] = field(default_factory=dict)  # keys that are not fields
    upload_errors: list[FieldError] = field(default_factory=list)


def parse_step(
    step: Step,
    form: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    *,
    save_upload: SaveUpload,
    kept_refs: KeptRefs,
) -> ParsedStep:
    """Values for every editable field of `step` found in the request, plus the leftovers."""
    parsed = ParsedStep()
    readonly = {f.id for f in step.fields if f.readonly}
    consumed: set[str] = set(CONTROL_KEYS)
    for fld in step.editable_fields():
        if fld.is_group:
            rows, used = _parse_group(fld, form, files, parsed, save_upload, kept_refs)
            consumed |= used
            if rows is not None:
                parsed.values[fld.id] = rows
            continue
        value, used = _parse_field(fld, fld.id, form, files, parsed, save_upload, kept_refs)
        consumed |= used
        if value is not _ABSENT:
            parsed.values[fld.id] = value
    for key in list(form.keys()) + list(files.keys()):
        base = key.split(".", 1)[0].split("[", 1)[0]
        if key in consumed or base in readonly:
            continue
        parsed.unknown[key] = form.get(key, "")
    return parsed


_ABSENT: Any = ABSENT


def _parse_field(
    fld: Field,
    name: str,
    form: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    parsed: ParsedStep,
    save_upload: SaveUpload,
    kept_refs: KeptRefs,
) -> tuple[Any, set[str]]:
    kind = fld.kind
    used = kind.form_names(name)
    if kind.takes_files:
        refs = _parse_files(fld, name, form, files, parsed, save_upload, kept_refs)
        return (refs if refs else _ABSENT), used
    return kind.from_form(form, name), used


def _parse_files(
    fld: Field,
    name: str,
    form: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    parsed: ParsedStep,
    save_upload: SaveUpload,
    kept_refs: KeptRefs,
) -> list[dict[str, Any]]:
    removed = set(form.getlist(f"{name}.quitar"))
    wanted: list[str] = []
    for public_id in form.getlist(f"{name}.keep"):
        if public_id and public_id not in removed and public_id not in wanted:
            wanted.append(public_id)
    refs: list[dict[str, Any]] = []
    if wanted:
        found = {ref["id"]: ref for ref in kept_refs(fld.raw, wanted)}
        refs = [found[i] for i in wanted if i in found]
        if len(refs) < len(wanted):
            parsed.upload_errors.append(
                FieldError(
                    fld.id,
                    name,
                    "foreign_file",
                    "Uno de los archivos indicados no pertenece a este trámite; "
                    "se descartó. Vuelva a subirlo si lo necesita.",
                    "One of the files given does not belong to this application; it was "
                    "discarded. Upload it again if you need it.",
                )
            )
    kept = len(refs)
    for upload in files.getlist(name):
        if not upload or not upload.filename:
            continue
        try:
            refs.append(save_upload(fld.raw, upload))
            if kept and _max_files(fld) == 1:
                # one file only: the new upload replaces the one kept (one submit)
                refs, kept = refs[kept:], 0
        except FileRefusedError as exc:
            es = fld.title("es")
            en = fld.label.get("en") or es
            parsed.upload_errors.append(
                FieldError(
                    fld.id,
                    name,
                    exc.code,
                    f"{es}: {exc.message_es}",
                    f"{en}: {exc.message_en}",
                )
            )
    return refs


def _max_files(fld: Field) -> int:
    found = fld.raw.get("max_files", DEFAULT_MAX_FILES)
    return found if isinstance(found, int) else DEFAULT_MAX_FILES


def _parse_group(
    fld: Field,
    form: MultiDict[str, str],
    files: MultiDict[str, FileStorage],
    parsed: ParsedStep,
    save_upload: SaveUpload,
    kept_refs: KeptRefs,
) -> tuple[list[dict[str, Any]] | None, set[str]]:
    """Rows in index order (gaps closed); None when no row was sent."""
    gid = fld.id
    limit = _row_limit(fld)
    indexes: set[int] = set()
    for key in list(form.keys()) + list(files.keys()):
        match = _ROW_KEY.match(key)
        if match and match["group"] == gid:
            indexes.add(int(match["index"]))
    # A tampered index far beyond the limit is not a row: it stays unknown (422).
    kept = sorted(indexes)[: limit + 1]
    used: set[str] = set()
    if not kept:
        return None, used
    rows: list[dict[str, Any]] = []
    for index in kept:
        row: dict[str, Any] = {}
        for sub in fld.fields:
            if sub.readonly:
                continue
            name = f"{gid}[{index}].{sub.id}"
            value, names = _parse_field(sub, name, form, files, parsed, save_upload, kept_refs)
            used |= names
            if value is not _ABSENT:
                row[sub.id] = value
        rows.append(row)
    return rows, used


def _row_limit(group: Field) -> int:
    return min(group.kind.max_items(group.raw), MAX_GROUP_ROWS)


def group_rows(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, list):
        return [dict(r) if isinstance(r, Mapping) else {} for r in value]
    return []


def apply_row_action(step: Step, values: dict[str, Any], action: str) -> tuple[bool, str | None]:
    """`agregar:<group>` / `quitar:<group>:<i>`: change `values`; (handled, anchor)."""
    parts = action.split(":")
    groups = {f.id: f for f in step.editable_fields() if f.is_group}
    if len(parts) < 2 or parts[1] not in groups:
        return False, None
    gid = parts[1]
    rows = group_rows(values.get(gid))
    if parts[0] == "agregar" and len(parts) == 2:
        if len(rows) < _row_limit(groups[gid]):
            rows.append({})
        values[gid] = rows
        return True, f"{gid}-{len(rows) - 1}"
    if parts[0] == "quitar" and len(parts) == 3 and parts[2].isdigit():
        index = int(parts[2])
        if index < len(rows):
            rows.pop(index)
        values[gid] = rows
        return True, gid
    return False, None


def dom_id(path: str) -> str:
    """An HTML id for a value path: `socios[1].socio_curp` -> `socios-1-socio_curp`."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", path).strip("-")


def anchor_for(path: str, fields: Sequence[Field]) -> str:
    """The input an error path should link to (files: the file input; address: its street)."""
    by_id = {f.id: f for f in fields}
    for f in fields:
        for sub in f.fields:
            by_id[sub.id] = sub
    path = re.sub(r"\[\d+\]$", "", path)  # doc_identificacion[0] -> the file input
    last = re.split(r"[.\]]", path)[-1]
    fld = by_id.get(last)
    return dom_id(fld.kind.first_input(path) if fld is not None else path)
