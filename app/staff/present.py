"""The case as an official reads it: answers under their labels (not JSON keys), attached
requirements with previews, and the history in sentences that name who did what."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _

from app.formatting import answer_lines, format_date, format_moment, money
from workflow_engine.engine import CaseState
from workflow_engine.engine.changes import changes_since_return
from workflow_engine.engine.events import Words, done_by, is_internal, staff_line
from workflow_engine.templates import model as template_model

PREVIEWABLE = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}


def _file(ref: Mapping[str, Any]) -> dict[str, Any]:
    ctype = str(ref.get("content_type", ""))
    return {
        "id": str(ref.get("id", "")),
        "name": str(ref.get("name", "")),
        "size_kb": max(1, int(ref.get("size", 0) or 0) // 1024),
        "preview": PREVIEWABLE.get(ctype, ""),
    }


def _field(fld: template_model.Field, value: Any, lang: str) -> dict[str, Any] | None:
    label = fld.title(lang)
    if fld.takes_files:
        refs = [r for r in value or () if isinstance(r, Mapping)]
        return {"label": label, "files": [_file(r) for r in refs]} if refs else None
    if fld.is_group:
        items = []
        for item in value or ():
            if not isinstance(item, Mapping):
                continue
            sub = [_field(s, item.get(s.id), lang) for s in fld.fields]
            items.append([s for s in sub if s])
        return {"label": label, "entries": items} if items else None
    shown = answer_lines(fld, value)
    return {"label": label, "lines": shown} if shown else None


def submitted_sections(
    definition: template_model.Procedure | Mapping[str, Any], state: CaseState, lang: str
) -> list[dict[str, Any]]:
    """One section per form step the applicant filled in, in the order they did."""
    procedure = template_model.of(definition)
    sections = []
    for step_id in state.form_path:
        step = procedure.get_step(step_id)
        if step is None or not step.is_form:
            continue
        fields = [_field(f, state.data.get(f.id), lang) for f in step.fields]
        sections.append(
            {
                "id": step_id,
                "title": step.name(lang),
                "fields": [f for f in fields if f],
            }
        )
    return sections


def requirements(sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every attached file, with the requirement (field label) and step it answers."""
    found: list[dict[str, Any]] = []

    def walk(fields: list[dict[str, Any]], step: str, parent: str = "") -> None:
        for f in fields:
            label = f"{parent} · {f['label']}" if parent else f["label"]
            for file in f.get("files", ()):
                found.append({**file, "requirement": label, "step": step})
            for item in f.get("entries", ()):
                walk(item, step, f["label"])

    for section in sections:
        walk(section["fields"], section["title"])
    return found


def staff_timeline(
    events: list[dict[str, Any]],
    lang: str,
    departments: Mapping[str, str],
    steps: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The whole history for staff, newest last, worded by the engine's event catalog;
    internal notes are marked as such."""
    words = Words(
        lang=lang,
        steps=steps,
        departments=departments,
        date=lambda value: format_date(value, lang),
        money=money,
    )
    out: list[dict[str, Any]] = []
    for event in events:
        kind = str(event["type"])
        data: Mapping[str, Any] = event.get("data") or {}
        line = staff_line(kind, data, words)
        if line is None:
            continue
        out.append(
            {
                "text": line.text,
                "detail": line.detail,
                "who": done_by(kind, data, event.get("actor_id"), event.get("actor_name"))
                or _("Sistema"),
                "when": format_moment(event["created_at"], lang),
                "iso": event["created_at"].isoformat(),
                "internal": is_internal(kind, data),
            }
        )
    return out


def _shown(fld: template_model.Field | None, value: Any) -> list[str]:
    if value is None or value == "" or value == []:
        return []
    if fld is None or fld.is_group:
        return [str(value)]
    return answer_lines(fld, value)


def what_changed(
    procedure: template_model.Procedure, events: list[dict[str, Any]], lang: str
) -> dict[str, Any] | None:
    """The corrections since the last return (fields and files, old → new), as the engine
    reads them from the history; None when the case was never returned and resubmitted."""
    found = changes_since_return(events)
    if found.returned_at is None or not found.resubmitted:
        return None
    steps = procedure.step_titles(lang)
    rows = []
    for change in found.fields:
        fld = procedure.get_field(change.field)
        row: dict[str, Any] = {
            "step": steps.get(change.step, change.step),
            "label": fld.title(lang) if fld is not None else change.field,
        }
        if change.is_files:
            removed, added = change.files()
            row["removed"] = [_file(f) for f in removed]
            row["added"] = [_file(f) for f in added]
        else:
            row["old"] = _shown(fld, change.old)
            row["new"] = _shown(fld, change.new)
        rows.append(row)
    return {"since": format_moment(found.returned_at, lang), "rows": rows}
