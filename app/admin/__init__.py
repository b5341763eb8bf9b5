"""The administrators' side: the outbox backlog and connectors, and staff administration
(departments, users, audit log, invitations)."""

from app.admin import outbox, staff

blueprints = (outbox.blueprint, staff.blueprint, staff.invitations)
