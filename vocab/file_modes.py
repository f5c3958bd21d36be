"""Who may read the data folder: owner-only by default (notes are PHI), group-readable when asked.

The data folder holds the service database (note text), model packs and the code set. Everything chartcoder
creates there is owner-only (folders 0700, files 0600): the commands set the process umask to match, and the
folder itself and the SQLite database file are created with explicit modes, so SQLite's ``-wal`` and ``-shm``
files (which copy the database file's mode) are owner-only too. A cluster whose executors run as other users
of one group (Spark) can ask for a group-readable folder (0750 / 0640; never writable by the group, never
readable by others). :func:`loose_entries` finds what is more open than the chosen policy, for the start-up
warning.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GROUP_READABLE", "PRIVATE", "HomeModes", "apply_umask", "create_home", "home_modes", "loose_entries"]


@dataclass(frozen=True, slots=True)
class HomeModes:
    """The permission policy of a data folder."""

    name: str
    umask: int  # bits never granted: also what counts as "too open" in a check
    folder: int
    file: int


PRIVATE = HomeModes("owner-only", umask=0o077, folder=0o700, file=0o600)
GROUP_READABLE = HomeModes("group-readable", umask=0o027, folder=0o750, file=0o640)


def home_modes(group_readable: bool) -> HomeModes:
    return GROUP_READABLE if group_readable else PRIVATE


def apply_umask(modes: HomeModes) -> int:
    """Make every file and folder this process creates from now on follow ``modes``; returns the old umask."""
    return os.umask(modes.umask)


def create_home(home: Path, modes: HomeModes) -> None:
    """Create the data folder with the policy's folder mode when it does not exist (an existing one is kept)."""
    if home.is_dir():
        return
    home.parent.mkdir(parents=True, exist_ok=True)
    home.mkdir(mode=modes.folder, exist_ok=True)
    os.chmod(home, modes.folder)  # mkdir's mode is reduced by the umask, never raised: set it exactly


def loose_entries(home: Path, modes: HomeModes, limit: int = 20) -> list[tuple[Path, int]]:
    """Up to ``limit`` entries under ``home`` (itself included) with permission bits the policy does not grant.

    Symbolic links are neither followed nor reported: what they point at is another folder's business.
    """
    found: list[tuple[Path, int]] = []

    def check(path: Path) -> None:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & modes.umask:
            found.append((path, mode))

    if not home.is_dir():
        return found
    check(home)
    for folder, folders, files in os.walk(home, followlinks=False):
        for name in (*folders, *files):
            path = Path(folder, name)
            if len(found) >= limit:
                return found
            if not path.is_symlink():
                check(path)
    return found
