"""The citizen's side: the catalog of procedures, the wizard, «Mis trámites» and the case
page, notifications, downloads of files and documents, and the online payment pages."""

from app.citizen import cases, catalog, files, notifications, payments, transparency, wizard

blueprints = (
    catalog.blueprint,
    wizard.blueprint,
    files.blueprint,
    cases.blueprint,
    notifications.blueprint,
    payments.blueprint,
    transparency.blueprint,
)
