"""The built-in municipal ledger (for municipalities without a collection system of their own):
taxpayers, taxable objects, obligations, payments and the consolidated account statement."""

from connectors.ledger.book import (
    OBJECT_KINDS,
    LedgerError,
    Omiso,
    Statement,
    StatementLine,
    add_payment,
    balance,
    cancel_obligation,
    charge,
    find_taxpayers,
    generate_recurring,
    generate_yearly_charges,
    omisos,
    omisos_ageing,
    register_object,
    statement,
    taxpayer_for_case,
    taxpayer_for_user,
)

__all__ = [
    "OBJECT_KINDS",
    "LedgerError",
    "Omiso",
    "Statement",
    "StatementLine",
    "add_payment",
    "balance",
    "cancel_obligation",
    "charge",
    "find_taxpayers",
    "generate_recurring",
    "generate_yearly_charges",
    "omisos",
    "omisos_ageing",
    "register_object",
    "statement",
    "taxpayer_for_case",
    "taxpayer_for_user",
]
