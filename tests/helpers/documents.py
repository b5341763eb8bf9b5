"""Reading the text a signed PDF stamps on its pages."""

from __future__ import annotations

import re
from typing import Any


def stamp_text(reader: Any, field: str) -> str:
    """The text drawn in a signature widget's appearance (PDF literal strings, latin-1)."""
    for page in reader.pages:
        for annot in page.get("/Annots") or ():
            annot = annot.get_object()
            if annot.get("/T") == field:
                raw = annot["/AP"]["/N"].get_object().get_data()
                raw = re.sub(rb"\\(\d{3})", lambda m: bytes([int(m.group(1), 8)]), raw)
                return " ".join(re.findall(r"\((.*?)\) Tj", raw.decode("latin-1")))
    raise AssertionError(f"no signature widget {field}")
