"""The procedure's sample answers («Respuestas de ejemplo», its `example_data`): what the
test run, the payment's worked example and the citizen preview start from.

Two doors, one save (`save_example_data`, a plain multipart form POST, one revision undone
like any other):

- «Guardar como respuestas de ejemplo» on the test run page posts the answers the run used
  (hidden inputs); the other answers keep their sample values;
- the page /prueba/respuestas-de-ejemplo edits every answer, addresses, the rows of a
  repeating group and sample files included.

The inputs are named as the citizen's wizard names them (`<id>`, `<id>.<part>`,
`<group>[<i>].<field>`, `<id>.keep`), so the wizard's own parser reads them
(`app.citizen.wizard.forms.parse_step`) and the engine cleans them
(`validate_step_data`). An uploaded sample file passes the wizard's upload checks
(`check_upload`) and is kept as the reference keeps one: {id: "f-" + 12 hex of its sha256,
name, sha256, size, content_type}; its bytes are not stored. A refused file or a wrong answer
re-draws the page with the answers as posted and a clear message; nothing is saved."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage, MultiDict

from app.citizen.wizard.forms import FileRefusedError, parse_step
from app.configurator.common import Doc, apply_edit, blueprint, catalog, editable, render_editor
from app.formatting import localized, reader_language
from app.i18n import N_
from workflow_engine.engine import ProcedureDefinition
from workflow_engine.persistence.platform.uploads import UploadRejectedError, check_upload
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates import editing
from workflow_engine.templates.field_types.base import PartsInput
from workflow_engine.templates.fields import validate_step_data
from workflow_engine.templates.model import Field, Step
from workflow_engine.templates.preview import readable, sample_data

__all__ = ["example_data", "file_ref", "save_example_data"]

ADDRESS_LABELS = {
    "street": N_("Calle"),
    "number": N_("Número"),
    "interior": N_("Número interior"),
    "neighbourhood": N_("Colonia"),
    "postcode": N_("Código postal"),
    "municipality": N_("Municipio"),
}


def file_ref(fld: Mapping[str, Any], upload: FileStorage) -> dict[str, Any]:
    """A sample file as example_data keeps it, once the wizard's upload checks pass
    (FileRefusedError with their message otherwise); its bytes are not kept."""
    data = upload.read()
    try:
        name, content_type = check_upload(
            filename=upload.filename or "archivo",
            data=data,
            field=fld,
            declared_type=upload.mimetype or None,
        )
    except UploadRejectedError as exc:
        raise FileRefusedError(exc.message_es, exc.message_en, exc.code) from None
    digest = hashlib.sha256(data).hexdigest()
    return {
        "id": f"f-{digest[:12]}",
        "name": name,
        "sha256": digest,
        "size": len(data),
        "content_type": content_type,
    }


def _refs_in(value: Any) -> dict[str, dict[str, Any]]:
    """Every file ref found in a step's sample answers (group rows included), by id."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(value, Mapping):
        if isinstance(value.get("id"), str) and "sha256" in value:
            found[value["id"]] = dict(value)
        for inner in value.values():
            found.update(_refs_in(inner))
    elif isinstance(value, list):
        for inner in value:
            found.update(_refs_in(inner))
    return found


def _as_typed(raw: Any, cleaned: Any) -> Any:
    """A sample answer as the liaison wrote it when the engine keeps it as text («222 318
    4567» rather than the wizard's «2223184567»), else the engine's value (180, true)."""
    if isinstance(raw, str) and isinstance(cleaned, str):
        return " ".join(raw.split()) if "\n" not in raw else raw.strip()
    if isinstance(raw, list) and isinstance(cleaned, list) and len(raw) == len(cleaned):
        return [_as_typed(r, c) for r, c in zip(raw, cleaned, strict=True)]
    if isinstance(raw, Mapping) and isinstance(cleaned, Mapping):
        return {k: _as_typed(raw.get(k), v) for k, v in cleaned.items()}
    return cleaned


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, [], {})


def _definition(doc: Doc) -> ProcedureDefinition:
    return ProcedureDefinition(readable(doc))


def _forms(definition: ProcedureDefinition) -> list[Step]:
    """The form steps whose answers the page edits: every form of the procedure (those
    after a review too), in document order. A review's sample decision fields are kept as
    they are."""
    return [s for s in definition.model.steps if s.is_form]


def _posted_data(
    doc: Doc, form: MultiDict[str, str], files: MultiDict[str, FileStorage]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], list[str]]:
    """(the answers to save per form step, the answers as posted to draw again, errors)."""
    definition = _definition(doc)
    samples = sample_data(definition)
    lang = reader_language()
    today = utcnow().date()
    tables = doc.get("fee_tables") if isinstance(doc.get("fee_tables"), Mapping) else {}
    saved: dict[str, dict[str, Any]] = {}
    shown: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    case: dict[str, Any] = {}
    for step in _forms(definition):
        current = dict(samples.get(step.id, {}))
        known = _refs_in(current)

        def kept(fld: Mapping[str, Any], ids: list[str], known: Any = known) -> list[Any]:
            return [known[i] for i in ids if i in known]

        parsed = parse_step(step, form, files, save_upload=file_ref, kept_refs=kept)
        for fld in step.editable_fields():
            rows = parsed.values.get(fld.id)
            if fld.is_group and isinstance(rows, list):  # the blank row offered to add one
                parsed.values[fld.id] = [r for r in rows if any(_filled(v) for v in r.values())]
        merged = {**current, **parsed.values}
        merged = {k: v for k, v in merged.items() if k in step.field_ids()}
        shown[step.id] = merged
        errors.extend(e.message(lang) for e in parsed.upload_errors)
        cleaned, problems = validate_step_data(step, merged, case, today=today, tables=tables)
        errors.extend(p.message(lang) for p in problems if p.code != "eligibility")
        saved[step.id] = {k: _as_typed(merged.get(k), v) for k, v in cleaned.items()}
        case.update(cleaned)
    return saved, shown, errors


@blueprint.route("/<key>/prueba/respuestas-de-ejemplo", methods=["POST"])
def save_example_data(key: str) -> ResponseReturnValue:
    """Save the posted answers as the procedure's example_data (one revision)."""
    info = editable(key)
    doc = catalog().draft(info.key)
    saved, shown, errors = _posted_data(doc, request.form, request.files)
    back = request.form.get("back") == "prueba"
    if errors:
        return _page(info.key, doc, shown, errors, status=422)
    given = doc.get("example_data")
    others = {k: v for k, v in given.items() if k not in saved} if isinstance(given, dict) else {}
    data = {**others, **{step: values for step, values in saved.items() if values}}
    if apply_edit(info.key, lambda d: editing.set_example_data(d, data)) is None:
        return redirect(url_for(".example_data", key=info.key))
    flash(_("Se guardaron las respuestas de ejemplo."))
    if back:
        return redirect(url_for(".test_run", key=info.key))
    return redirect(url_for(".example_data", key=info.key))


# -- the page ---------------------------------------------------------------------------------


def _choices(fld: Field, lang: str) -> list[tuple[str, str]]:
    if fld.type == "yesno":
        return [("true", _("sí")), ("false", _("no"))]
    return [(o.value, localized(o.label, lang, o.value)) for o in fld.options]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _inputs(fld: Field, name: str, value: Any, lang: str) -> dict[str, Any]:
    """What the page draws for one field at the input name `name`."""
    item: dict[str, Any] = {
        "name": name,
        "id": "ej-" + name.replace("[", "-").replace("]", "").replace(".", "-"),
        "label": fld.title(lang),
        "type": fld.type,
    }
    if fld.takes_files:
        item["kind"] = "files"
        item["files"] = (
            [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
        )
        item["accept"] = ",".join(str(a) for a in fld.raw.get("accept") or ())
    elif issubclass(fld.kind, PartsInput):  # an address, a point: an input per part
        item["kind"] = "parts"
        given = value if isinstance(value, Mapping) else {}
        item["parts"] = [
            (
                f"{name}.{part}",
                _(ADDRESS_LABELS[part]) if part in ADDRESS_LABELS else part,
                _text(given.get(part)),
            )
            for part in fld.kind.parts
        ]
    elif fld.type == "checkboxes":
        item["kind"] = "checkboxes"
        item["options"] = _choices(fld, lang)
        item["chosen"] = [str(v) for v in value] if isinstance(value, list) else []
    elif fld.kind.form_names(name) == {name}:
        item["kind"] = "select" if _choices(fld, lang) else "text"
        item["options"] = _choices(fld, lang)
        item["value"] = _text(value)
    else:
        item["kind"] = "text"
        item["options"] = []
        item["value"] = _text(value)
    return item


def _rows(doc: Doc, data: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    lang = reader_language()
    out = []
    for step in _forms(_definition(doc)):
        values = data.get(step.id, {})
        fields = []
        for fld in step.editable_fields():
            value = values.get(fld.id)
            if fld.is_group:
                rows = (
                    [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []
                )
                fields.append(
                    {
                        "kind": "group",
                        "id": f"ej-{fld.id}",
                        "label": fld.title(lang),
                        "rows": [
                            [
                                _inputs(sub, f"{fld.id}[{n}].{sub.id}", row.get(sub.id), lang)
                                for sub in fld.fields
                                if not sub.readonly
                            ]
                            for n, row in enumerate([*rows, {}])
                        ],
                    }
                )
            else:
                fields.append(_inputs(fld, fld.id, value, lang))
        out.append({"id": step.id, "name": step.name(lang), "fields": fields})
    return out


def _page(
    key: str,
    doc: Doc,
    data: Mapping[str, Mapping[str, Any]],
    errors: list[str] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    return render_editor(
        "configurator/example_data.html",
        key,
        "configurator.test_run",
        doc=doc,
        steps=_rows(doc, data),
        errors=errors or [],
        status=status,
    )


@blueprint.route("/<key>/prueba/respuestas-de-ejemplo")
def example_data(key: str) -> ResponseReturnValue:
    """Every sample answer, editable (files, addresses and group rows included)."""
    info = editable(key)
    doc = catalog().draft(info.key)
    return _page(info.key, doc, sample_data(_definition(doc)))
