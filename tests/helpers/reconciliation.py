"""Bank reconciliation in tests: a case awaiting payment and amounts in pesos."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.helpers import cases

KEY = "constancia-residencia"


def awaiting_payment(app: Flask) -> tuple[int, Any]:
    """A residence certificate of the demo citizen waiting for payment: (case id, order)."""
    return cases.awaiting_payment(app, KEY)


def pesos(cents: int, decimal: str = ".") -> str:
    text = f"{cents // 100}.{cents % 100:02d}"
    return text.replace(".", ",") if decimal == "," else text
