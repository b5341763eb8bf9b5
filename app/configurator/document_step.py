"""The document step's page: the document's title, its text (Spanish and English) with a
picker of placeholders ({{ data.<field> }}, the folio, the fees), conditional paragraphs
(a quick pick of «yes/no is yes» or «choice is option», or any rows of the condition builder,
written as the `{% if %}` test by `workflow_engine.templates.text_conditions`),
who it is for, how long it is valid, who signs it, its tables (shown), and a PDF preview with
sample data marked «VISTA PREVIA», never signed.

Without JavaScript «Insertar» posts the whole form and the page comes back with the
placeholder added at the end of the text (nothing is saved until «Guardar documento»);
configurator_placeholders.js inserts it at the cursor instead. Placeholders and the text's
syntax are checked by the validator (`workflow_engine.templates.validation`), its problems
shown under the text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.configurator.common import (
    Doc,
    apply_edit,
    blueprint,
    catalog,
    editable,
    render_editor,
    services,
    step_editor,
)
from app.configurator.conditions import KEEP, Builder, builder_for, condition_fields, posted_builder
from app.configurator.document_tables import (
    MAX_COLUMNS,
    column_slots,
    column_text,
    row_sources,
    save_table,
    table_value_options,
)
from app.configurator.transitions import handle_transitions, transitions_context
from app.formatting import localized, reader_language
from app.trial import preview_pdf, run_trial
from workflow_engine.engine.events import DOCUMENT_KINDS
from workflow_engine.persistence.platform.catalog import TemplateInfo
from workflow_engine.persistence.types import utcnow
from workflow_engine.templates import document_parts, editing
from workflow_engine.templates.condition_rows import BOOLEAN, CHOICE, kind_of
from workflow_engine.templates.step_types import DocumentStep
from workflow_engine.templates.text_conditions import jinja_test

__all__ = ["document_preview", "document_step", "placeholders"]

LANGS = ("es", "en")
MAX_SIGNERS = 5
MAX_BODY = 20_000
PREVIEW_DECISIONS = ["approve"] * 8


def document_kinds() -> list[tuple[str, str]]:
    """(kind, name in the reader's language) a document may be: the generic «documento» and
    every kind the citizen's pages name (`DOCUMENT_KINDS`)."""
    english = reader_language() == "en"
    kinds = {"documento": ("documento", "document"), **DOCUMENT_KINDS}
    return [(kind, pair[1] if english else pair[0]) for kind, pair in kinds.items()]


def placeholders(doc: Doc) -> list[tuple[str, str]]:
    """(placeholder, what it prints) the text may use: every answer, the folio, the fees."""
    lang = reader_language()
    out = [
        ("{{ case.folio }}", _("Folio del expediente")),
        ("{{ case.submitted_at }}", _("Fecha de envío de la solicitud")),
        ("{{ fees.total }}", _("Total pagado")),
    ]
    for step in doc.get("steps") or ():
        if not isinstance(step, Mapping):
            continue
        for fld in step.get("fields") or ():
            if isinstance(fld, Mapping) and isinstance(fld.get("id"), str):
                if fld.get("type") == "group":
                    continue
                label = localized(fld.get("label"), lang, fld["id"])
                out.append((f"{{{{ data.{fld['id']} }}}}", label))
    return out


def paragraph_conditions(doc: Doc) -> list[tuple[str, str]]:
    """(Jinja condition, its wording) a conditional paragraph may start with: a yes/no answer
    is yes, or a choice is one of its options."""
    lang = reader_language()
    out: list[tuple[str, str]] = []
    for step in doc.get("steps") or ():
        if not isinstance(step, Mapping):
            continue
        for fld in step.get("fields") or ():
            if not isinstance(fld, Mapping) or not isinstance(fld.get("id"), str):
                continue
            label = localized(fld.get("label"), lang, fld["id"])
            kind = kind_of(fld)
            if kind == BOOLEAN:
                out.append((f"data.{fld['id']}", _("«%(field)s» es sí", field=label)))
            elif kind == CHOICE:
                for option in fld.get("options") or ():
                    if not isinstance(option, Mapping):
                        continue
                    value = str(option.get("value"))
                    shown = localized(option.get("label"), lang, value)
                    out.append(
                        (
                            f"data.{fld['id']} == {json.dumps(value, ensure_ascii=False)}",
                            _("«%(field)s» es «%(option)s»", field=label, option=shown),
                        )
                    )
    return out


def _step_index(doc: Doc, step_id: str) -> int:
    return next(
        i
        for i, s in enumerate(doc.get("steps") or ())
        if isinstance(s, Mapping) and s.get("id") == step_id
    )


def _placed_problems(doc: Doc, step_id: str) -> list[tuple[str, str]]:
    """(path, message) of the validator's problems of this step's document, in the reader's
    language."""
    prefix = f"$.steps[{_step_index(doc, step_id)}].document"
    lang = reader_language()
    return [(p.path, p.message(lang)) for p in catalog().validate(doc) if p.path.startswith(prefix)]


def _posted_text(name: str, limit: int = 500) -> dict[str, str] | None:
    values = {lang: request.form.get(f"{name}_{lang}", "").strip()[:limit] for lang in LANGS}
    if not values["es"]:
        return None
    return {lang: text for lang, text in values.items() if text}


def _posted_signers(current: list[Any]) -> list[dict[str, Any]]:
    """The signers as posted (an empty role drops a row); what the page does not edit of an
    existing signer (who decided) is kept."""
    signers = []
    for n in range(MAX_SIGNERS + 1):
        role = request.form.get(f"signer-{n}-role", "").strip()[:63]
        if not role or request.form.get(f"signer-{n}-remove"):
            continue
        kept = dict(current[n]) if n < len(current) and isinstance(current[n], Mapping) else {}
        kept["role"] = role
        name = request.form.get(f"signer-{n}-name", "").strip()[:200]
        position = _posted_text(f"signer-{n}-position", 200)
        for key, value in (("name", name or None), ("position", position)):
            if value is None:
                kept.pop(key, None)
            else:
                kept[key] = value
        signers.append(kept)
    return signers


def date_fields(doc: Doc) -> list[tuple[str, str]]:
    """(field id, label) of the date and date-and-time answers a validity may end on."""
    lang = reader_language()
    return [
        (str(fld["id"]), localized(fld.get("label"), lang, str(fld["id"])))
        for step in doc.get("steps") or ()
        if isinstance(step, Mapping)
        for fld in step.get("fields") or ()
        if isinstance(fld, Mapping)
        and isinstance(fld.get("id"), str)
        and fld.get("type") in ("date", "datetime")
    ]


def _validity(
    doc: Doc, current: Mapping[str, Any], errors: dict[str, str]
) -> tuple[str, Any] | None:
    """(kind, value) of the posted validity (`document_parts.validity_of`), or None with
    the mistake in `errors`. Without a posted kind: days when some are written, else the
    validity unchanged."""
    days = request.form.get("validity_days", "").strip()
    kind = request.form.get("validity_kind") or ("days" if days else "keep")
    if kind == "keep":
        return document_parts.validity_of(current)
    if kind == "days":
        if not days.isdecimal() or not 1 <= int(days) <= 3660:
            errors["validity_days"] = _(
                "Escriba un número entero de %(low)s a %(high)s.", low=1, high=3660
            )
            return None
        return kind, int(days)
    if kind == "field":
        chosen = request.form.get("validity_field", "")
        if chosen not in {f for f, _label in date_fields(doc)}:
            errors["validity_field"] = _("Elija un campo de fecha de la solicitud.")
            return None
        return kind, chosen
    if kind == "rule":
        try:
            rule = json.loads(request.form.get("validity_rule", "")[:MAX_BODY])
        except ValueError:
            errors["validity_rule"] = _(
                'La regla no es JSON válido; por ejemplo {"var": "fin_evento"}.'
            )
            return None
        return kind, rule
    if kind not in document_parts.VALIDITY_KINDS:
        abort(400)
    return kind, None


def _shown_validity(doc: Doc, document: Mapping[str, Any]) -> tuple[str, Any]:
    """The validity as the builder shows it: a `{"var": …}` of no date field is an advanced
    rule (the builder's list offers date fields only)."""
    kind, value = document_parts.validity_of(document)
    if kind == "field" and value not in {f for f, _label in date_fields(doc)}:
        return "rule", document["valid_until"]
    return kind, value


def _insert(doc: Doc, form: dict[str, str], action: str) -> str | None:
    """Add the chosen placeholder or conditional paragraph at the end of a text; the
    message saying so, or None when nothing was chosen."""
    what, _sep, lang = action.partition(":")
    if lang not in LANGS:
        abort(400)
    name = f"body_{lang}"
    text = form.get(name, "")
    if what == "insert":
        chosen = request.form.get(f"placeholder_{lang}", "")
        if chosen not in {p for p, _label in placeholders(doc)}:
            return None
        form[name] = f"{text.rstrip(' ')} {chosen}".lstrip() if text else chosen
        return _(
            "Se insertó %(placeholder)s al final del texto. Guarde el documento para conservarlo.",
            placeholder=chosen,
        )
    chosen = request.form.get(f"paragraph_{lang}", "")
    if chosen not in {c for c, _label in paragraph_conditions(doc)}:
        return None
    sample = _("Texto del párrafo.") if lang == "es" else "Paragraph text."
    form[name] = f"{text.rstrip()}\n\n{{% if {chosen} %}}{sample}{{% endif %}}".lstrip()
    return _(
        "Se agregó un párrafo condicional al final del texto. Escriba su texto y guarde el "
        "documento."
    )


def _paragraph(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """The condition builder of a new conditional paragraph: its rows redrawn, or, saved, the
    paragraph `{% if … %}…{% endif %}` added at the end of both texts."""
    step_id = str(step["id"])
    builder, save = posted_builder(request.form, condition_fields(doc, step_id), None)
    test = None if save is KEEP or save is None else jinja_test(save)
    if save is not KEEP and save is not None and test is None:
        builder.errors = [
            _("Esta condición no se puede usar en un párrafo; use filas más simples.")
        ]
    if test is None:
        status = 422 if builder.errors else 200
        return _page(info, doc, step, builder=builder, status=status)
    document = dict(step.get("document") or {})
    body = dict(document.get("body") or {})
    samples = {"es": "Texto del párrafo.", "en": "Paragraph text."}
    for lang in LANGS:
        if lang in body or lang == "es":
            text = str(body.get(lang, "")).rstrip()
            body[lang] = f"{text}\n\n{{% if {test} %}}{samples[lang]}{{% endif %}}".lstrip()
    document["body"] = body
    if apply_edit(info.key, lambda d: editing.set_step(d, step_id, {"document": document})):
        flash(
            _(
                "Se agregó un párrafo condicional al final del texto. Escriba su texto y guarde "
                "el documento."
            )
        )
    return redirect(
        url_for("configurator.step", key=info.key, step_id=step_id, _anchor="documento")
    )


def _save(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    step_id = str(step["id"])
    if request.form.get("part") == "paragraph":
        return _paragraph(info, doc, step)
    if request.form.get("part") == "table":
        return save_table(
            info,
            doc,
            step,
            placeholders(doc),
            lambda **kw: _page(info, doc, step, **kw),
        )
    action = request.form.get("action", "save")
    form = {k: v for k, v in request.form.items()}
    if action.startswith(("insert:", "paragraph:")):
        said = _insert(doc, form, action)
        return _page(info, doc, step, form=form, notice=said)
    if action != "save":
        abort(400)
    errors: dict[str, str] = {}
    title = _posted_text("title")
    body = _posted_text("body", MAX_BODY)
    if title is None:
        errors["title_es"] = _("Escriba el título del documento en español.")
    if body is None:
        errors["body_es"] = _("Escriba el texto del documento en español.")
    current = dict(step.get("document") or {})
    validity = _validity(doc, current, errors)
    if errors or validity is None:
        return _page(info, doc, step, form=form, errors=errors, status=422)
    document = document_parts.with_validity({**current, "title": title, "body": body}, *validity)
    holder = request.form.get("holder", "").strip()[:500]
    changes: dict[str, Any] = {
        "holder": holder or None,
        "signers": _posted_signers(list(current.get("signers") or [])) or None,
    }
    for key, value in changes.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    kind = request.form.get("kind", "")
    document["kind"] = kind if kind in dict(document_kinds()) else current.get("kind", "documento")
    if apply_edit(info.key, lambda d: editing.set_step(d, step_id, {"document": document})):
        flash(_("Se guardó el documento."))
    return redirect(
        url_for("configurator.step", key=info.key, step_id=step_id, _anchor="documento")
    )


def _page(
    info: TemplateInfo,
    doc: Doc,
    step: dict[str, Any],
    *,
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    builder: Builder | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    step_id = str(step["id"])
    if builder is None:
        builder = builder_for(None, condition_fields(doc, step_id))
    document = step.get("document") if isinstance(step.get("document"), Mapping) else {}
    assert isinstance(document, Mapping)
    signers = [s for s in document.get("signers") or () if isinstance(s, Mapping)]
    placed = _placed_problems(doc, step_id)
    problems = [m for _p, m in placed]
    table_values = table_value_options(doc, placeholders(doc))
    return render_editor(
        "configurator/document_step.html",
        info.key,
        "configurator.steps",
        doc=doc,
        step=step,
        document=document,
        document_kinds=document_kinds(),
        step_type_label=localized(DocumentStep.label, reader_language()),
        placeholders=placeholders(doc),
        paragraphs=paragraph_conditions(doc),
        signers=[*signers, {}][: MAX_SIGNERS + 1],
        tables=list(document.get("tables") or ()),
        max_columns=MAX_COLUMNS,
        column_slots=column_slots,
        column_text=column_text,
        value_set={v for _g, options in table_values for v, _shown in options},
        row_sources=row_sources(doc),
        value_options=table_values,
        validity=_shown_validity(doc, document),
        date_fields=date_fields(doc),
        valid_until=json.dumps(document["valid_until"], ensure_ascii=False)
        if "valid_until" in document
        else "",
        document_problems=problems,
        validity_problems=[m for p, m in placed if ".valid" in p],
        table_problems=[m for p, m in placed if ".tables" in p],
        form=form or {},
        errors=errors or {},
        notice=notice,
        builder=builder,
        status=status,
        **transitions_context(doc, step),
    )


@step_editor("document")
def document_step(info: TemplateInfo, doc: Doc, step: dict[str, Any]) -> ResponseReturnValue:
    """The document's texts, holder, validity and signers; the preview link; where the case
    goes once it is issued."""
    response = handle_transitions(info, doc, step)
    if response is not None:
        return response
    if request.method == "POST":
        return _save(info, doc, step)
    return _page(info, doc, step)


@blueprint.route("/<key>/pasos/<step_id>/documento.pdf")
def document_preview(key: str, step_id: str) -> ResponseReturnValue:
    """The document of `step_id` as the saved draft would issue it for the sample answers
    (every review approved, the fees paid): a PDF marked «VISTA PREVIA», never signed."""
    info = editable(key)
    doc = catalog().draft(info.key)
    step = next(
        (s for s in doc.get("steps") or () if isinstance(s, Mapping) and s.get("id") == step_id),
        None,
    )
    if step is None or step.get("type") != "document":
        abort(404)
    at = utcnow()
    trial = run_trial(services(), doc, None, PREVIEW_DECISIONS, at=at)
    issued = next((d for d in trial.simulation.documents if d.step_id == step_id), None)
    pdf = preview_pdf(services(), doc, issued, at) if issued is not None else None
    if pdf is None:
        lang = reader_language()
        if trial.stopped and issued is None:
            flash(trial.stopped[1] if lang == "en" else trial.stopped[0], "error")
        flash(_("No se pudo generar la vista previa del documento; revise sus problemas."), "error")
        return redirect(url_for("configurator.step", key=info.key, step_id=step_id))
    name = f"{info.key}-{step_id}-vista-previa.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
