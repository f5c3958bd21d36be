"""The first start: a database without any API key gets one admin key, so the service is usable at once."""

from __future__ import annotations

from service.errors import KeyNameTakenError
from service.store.database import Database
from service.store.repositories import KeyRepository

__all__ = ["FIRST_ADMIN_NAME", "create_first_admin_key"]

FIRST_ADMIN_NAME = "admin"


def create_first_admin_key(database: Database) -> str | None:
    """The token of a new admin key when the database has no key at all; otherwise None.

    The caller shows the token once on the console. It is never logged.
    """
    with database.session() as session:
        keys = KeyRepository(session)
        if keys.count():
            return None
        try:
            _key, token = keys.create(FIRST_ADMIN_NAME, "admin", actor="system:first-start")
        except KeyNameTakenError:  # another process starting at the same moment made it
            return None
    return token
