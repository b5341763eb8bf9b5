"""Alembic migrations, shipped as a package so an installed Tramita can run `db upgrade`."""
