"""What a procedure lacks to be fully online (digitalization level 4), in the reader's
language: the one place the web layer words the domain's codes
(workflow_engine/templates/digitalization.py) for the configurator, the transparency page and
the administrators' digitalization page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _

from app.formatting import localized, reader_language
from app.i18n import N_
from workflow_engine.templates.digitalization import (
    NO_ELECTRONIC_DOCUMENT,
    ORIGINAL_AT_OFFICE,
    Missing,
    digitalization_label,
    digitalization_level,
    digitalization_missing,
)

SENTENCES = {
    ORIGINAL_AT_OFFICE: N_(
        "El requisito «%(name)s» se tiene que mostrar en original en una oficina: pídalo "
        "como archivo en la solicitud y acepte la copia digital."
    ),
    NO_ELECTRONIC_DOCUMENT: N_(
        "El trámite no termina con un documento electrónico: agregue un paso «Documento» "
        "que emita la resolución firmada."
    ),
}


def missing_sentences(missing: Iterable[Missing], lang: str | None = None) -> list[str]:
    """Each missing item as a sentence that says what to change."""
    return [
        _(SENTENCES[m.code], name=localized(m.subject, lang) or m.subject_id)
        if m.code in SENTENCES
        else m.code
        for m in missing
    ]


def missing_for(doc: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """What `doc` (a draft or a published version) lacks to reach level 4, in words."""
    return missing_sentences(digitalization_missing(doc), lang)


def summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the configurator's pages show (configurator/_digitalization.html): the level, its
    name and what is missing to reach 4."""
    level = digitalization_level(doc)
    return {
        "level": level,
        "label": digitalization_label(level, reader_language()),
        "missing": missing_for(doc),
    }
