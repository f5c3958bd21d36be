"""Tables the guideline steps derive from a release's data (an imported Index, a code set), kept as long as that
data lives.

The steps work out what depends on the Index alone (an entry's subterm walks, the entries printing a code) once,
not once per note. Keyed by ``id(index)`` alone, such a table outlives its Index: a process that replaces its
engine (a pool process keeps only the latest release) frees the old Index, a new one may get its id, and would
read the old release's walks. :func:`derived_table` keys on the owners' identities, holds them weakly (it keeps
no release alive), and forgets the table when an owner is freed.
"""

from __future__ import annotations

import weakref
from functools import partial
from typing import Any

__all__ = ["derived_table"]

# (name, id(owner), ...) -> (weak references to the owners, the table)
_TABLES: dict[tuple[Any, ...], tuple[tuple[weakref.ref[Any], ...], dict[Any, Any]]] = {}


def derived_table(name: str, *owners: Any) -> dict[Any, Any]:
    """The table named ``name`` derived from exactly these ``owners`` (compared by identity); empty at first."""
    key = (name, *map(id, owners))
    held = _TABLES.get(key)
    if held is not None:
        # asked several times per note and step: a plain loop, not a generator, over the one or two owners
        for ref, owner in zip(held[0], owners, strict=True):
            if ref() is not owner:
                break
        else:
            return held[1]
    held = (tuple(weakref.ref(owner, partial(_forget, key)) for owner in owners), {})
    _TABLES[key] = held
    return held[1]


def _forget(key: tuple[Any, ...], dead: weakref.ref[Any]) -> None:
    held = _TABLES.get(key)
    if held is not None and any(ref is dead for ref in held[0]):
        del _TABLES[key]
