"""Persistence of the service: SQLAlchemy models, Alembic migrations and the repositories that use them."""
