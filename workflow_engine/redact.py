"""Personal data out of texts kept for operators (logs, the outbox's last error): tax IDs and
e-mail addresses are replaced by their kind, so a stack trace can be read without them."""

from __future__ import annotations

import re

# CURP: 4 letters, birth date, sex, state, 3 consonants, 1 character, 1 check digit.
_CURP = re.compile(r"\b[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z0-9]\d\b", re.IGNORECASE)
# RFC: 3 (company) or 4 (person) letters, a date, 3 characters of homoclave.
_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}\b", re.IGNORECASE)
# Panama's cédula and RUC: province-letters-book-entry, or a long number with a check suffix.
_RUC = re.compile(
    r"\b(?:\d{1,2}|PE|E|N|[1-9]?AV|[1-9]?PI)-\d{1,4}-\d{1,6}(?:-\d{1,2}(?:\s*DV\s*\d{1,2})?)?\b"
    r"|\b\d{5,10}-\d{1,4}-\d{1,6}\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

_IDS = ((_CURP, "[CURP]"), (_RFC, "[RFC]"), (_RUC, "[RUC]"))


def scrub(text: str) -> str:
    """The text with every CURP, RFC, Panamanian cédula/RUC and e-mail address replaced."""
    if "@" in text:  # the e-mail pattern is the costliest to run, and needs one
        text = _EMAIL.sub("[correo]", text)
    for pattern, replacement in _IDS:
        text = pattern.sub(replacement, text)
    return text
