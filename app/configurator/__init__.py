"""The visual configurator (/configurador): department liaisons build, test and publish
procedures without writing JSON; administrators see every department's.

One blueprint (`common.blueprint`), one module per part of the editor; importing them
registers their pages."""

from app.configurator import (  # noqa: F401  (importing registers the pages)
    common,
    conditions,
    diagram,
    document_step,
    example_data,
    form_step,
    identifiers,
    information,
    ledger,
    payment_step,
    preview,
    problems,
    procedures,
    publishing,
    step_kinds,
    steps,
    undo,
)

blueprints = (common.blueprint, publishing.approvals)
