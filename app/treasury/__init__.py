"""The treasury's side: bank reconciliation, the cashier's counter (caja) and the ledger pages
(account statements, taxpayer search, omisos)."""

from app.treasury import counter, ledger, reconciliation

blueprints = (ledger.blueprint, reconciliation.blueprint, counter.blueprint)
