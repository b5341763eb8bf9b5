"""Translations: Spanish is the source language (msgids are Spanish); English is a catalog.

`.po` files are the source of truth; their compiled `.mo` files are built here when missing
or stale, so a fresh checkout needs no extra build step.
"""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile every messages.po whose messages.mo is missing or older."""
    compiled = []
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        try:
            with mo_path.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        except OSError as exc:  # a read-only install: `make install-prod` compiled them
            log.warning("cannot compile %s (%s); using the installed catalog", mo_path, exc)
            continue
        compiled.append(mo_path)
    return compiled


def N_(message: str) -> str:  # noqa: N802  # the name pybabel extracts by default
    """Mark a Spanish msgid kept in a table for extraction; translate it with `_()` where it
    is shown (the table is read at import time, before any request has a language)."""
    return message
