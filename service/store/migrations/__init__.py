"""Alembic migrations of the service database (run by :func:`service.store.migrate.upgrade_to_head`)."""
