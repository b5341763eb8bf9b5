"""The imperative shell: database models, the case service, the outbox and the catalog."""
