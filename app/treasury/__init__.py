"""The treasury's side: bank reconciliation and the ledger pages (account statements,
taxpayer search, omisos)."""

from app.treasury import ledger, reconciliation

blueprints = (ledger.blueprint, reconciliation.blueprint)
