"""Case folios: short, unambiguous, with a check character so a mistyped folio is caught."""

from __future__ import annotations

import re
import secrets

from stdnum import luhn

# Crockford's base 32: no I, L, O or U, so nothing is misread over the phone or on paper.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BODY_LENGTH = 5
_PATTERN = re.compile(r"^([A-Z]{2,5})-(\d{4})-([0-9A-Z]{6})$")
_TRANSLATE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_folio(prefix: str, year: int) -> str:
    """A new random folio such as CHO-2026-7K4M9P (last character is a Luhn mod 32 check)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(_BODY_LENGTH))
    return f"{prefix}-{year}-{body}{luhn.calc_check_digit(body, alphabet=ALPHABET)}"


def normalize_folio(text: str) -> str:
    """Uppercase, trim, and map look-alike letters (O->0, I/L->1) as Crockford suggests."""
    cleaned = text.strip().upper().replace(" ", "")
    parts = cleaned.split("-")
    if len(parts) == 3:
        parts[2] = parts[2].translate(_TRANSLATE)
    return "-".join(parts)


def is_valid_folio(text: str) -> bool:
    """True when the folio is well formed and its check character matches."""
    match = _PATTERN.match(normalize_folio(text))
    if not match:
        return False
    code = match.group(3)
    if any(ch not in ALPHABET for ch in code):
        return False
    return bool(luhn.is_valid(code, alphabet=ALPHABET))
