"""The administrators' side: every case and procedure (read-only overview), the outbox backlog
and connectors, and staff administration (departments, users, audit log, invitations)."""

from app.admin import cases, outbox, staff

blueprints = (cases.blueprint, outbox.blueprint, staff.blueprint, staff.invitations)
