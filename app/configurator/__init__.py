"""The visual configurator (/configurador): department liaisons build, test and publish
procedures without writing JSON; administrators see every department's.

One blueprint (`common.blueprint`), one module per part of the editor; importing them
registers their pages."""

from app.configurator import (  # noqa: F401  (importing registers the pages)
    common,
    conditions,
    diagram,
    form_step,
    information,
    preview,
    procedures,
    publishing,
    step_kinds,
    steps,
    undo,
)

blueprints = (common.blueprint,)
