"""Code-set releases side by side, keyed by the date each takes effect, and the release in force on a date.

ICD-10-CM changes every October 1 (fiscal year FY<N> starts on October 1 of N-1) and some Aprils. A coder must
use the codes in force on the **date of service** (for an inpatient stay, the discharge date). Each release is
one code-set artifact (:mod:`vocab.artifact`) in a folder named by its effective date::

    <home>/codeset/2025-10-01/   FY2026
    <home>/codeset/2026-04-01/   FY2026 (April 1, 2026)   the bundled release
    <home>/codeset/2026-10-01/   FY2027                   imported with `chartcoder vocab import-release`

A home written by an older chartcoder holds one artifact directly in ``<home>/codeset/``:
:func:`migrate_single_release` moves it, losslessly and atomically, into its dated folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from vocab.errors import CodeSetFormatError, CodeSetNotBuiltError, VocabError

__all__ = [
    "CODESET_DIR",
    "ReleaseChoice",
    "ReleaseDateError",
    "ReleaseInfo",
    "effective_date",
    "list_releases",
    "migrate_single_release",
    "named_release",
    "parse_service_date",
    "release_folder",
    "release_for",
    "release_root",
]

CODESET_DIR = "codeset"
_MANIFEST = "manifest.json"
_DATED = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RELEASE_NAME = re.compile(
    r"^FY(?P<year>\d{4})(?: \((?P<month>[A-Za-z]+) (?P<day>\d{1,2}), (?P<update_year>\d{4})\))?$"
)
_MONTH_NAMES = "January February March April May June July August September October November December".split()
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}


class ReleaseDateError(VocabError, ValueError):
    """A date of service that is not a calendar date (``2026-02-30``, ``next week``)."""


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """One release of a home: its effective date, name (``FY2027``) and artifact folder."""

    effective: date
    name: str
    folder: Path

    @property
    def code_set(self) -> str:
        """The name outputs carry: ``ICD-10-CM FY2027``."""
        return f"ICD-10-CM {self.name}"


@dataclass(frozen=True, slots=True)
class ReleaseChoice:
    """The release that codes a date of service, and whether the date came before every loaded release (then
    the oldest is used and ``before_all`` says so: the codes may not be those in force on that date)."""

    release: ReleaseInfo
    before_all: bool = False


def effective_date(release_name: str) -> date:
    """The day a release takes effect: ``FY2026`` -> 2025-10-01, ``FY2026 (April 1, 2026)`` -> 2026-04-01."""
    match = _RELEASE_NAME.match(release_name.strip())
    if match is None:
        raise VocabError(f"{release_name!r} is not an ICD-10-CM release name (FY2026, FY2026 (April 1, 2026)).")
    if match.group("month") is None:
        return date(int(match.group("year")) - 1, 10, 1)
    month = _MONTHS.get(match.group("month").capitalize())
    if month is None:
        raise VocabError(f"{release_name!r} names an unknown month.")
    return date(int(match.group("update_year")), month, int(match.group("day")))


def parse_service_date(value: str | date | None) -> date | None:
    """A date of service from ISO text (``2026-11-15``; a timestamp's date part is taken), or None."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ReleaseDateError(f"{text!r} is not a date of service; write it as YYYY-MM-DD (2026-11-15).") from None


def release_root(home: Path) -> Path:
    return home / CODESET_DIR


def release_folder(home: Path, effective: date) -> Path:
    return release_root(home) / effective.isoformat()


def is_single_release(root: Path) -> bool:
    """A home of an older chartcoder: one artifact directly in ``<home>/codeset/``."""
    return (root / _MANIFEST).is_file()


def list_releases(home: Path) -> list[ReleaseInfo]:
    """The releases of ``home``, oldest first (a single-release home not yet migrated lists its one release)."""
    root = release_root(home)
    if is_single_release(root):
        name = _release_name(root)
        return [ReleaseInfo(effective_date(name), name, root)]
    return [ReleaseInfo(effective, _release_name(folder), folder) for effective, folder in _dated_folders(root)]


def _dated_folders(root: Path) -> list[tuple[date, Path]]:
    """``(effective date, folder)`` of every release artifact under ``root``, oldest first."""
    if not root.is_dir():
        return []
    return [
        (date.fromisoformat(folder.name), folder)
        for folder in sorted(root.iterdir())
        if _DATED.match(folder.name) and (folder / _MANIFEST).is_file()
    ]


def in_force(releases: list[ReleaseInfo], on: date | None) -> ReleaseChoice:
    """The release in force on ``on`` among ``releases`` (oldest first): the newest that took effect on or
    before it; for no date, the one in force today; before every release, the oldest, flagged."""
    if not releases:
        raise CodeSetNotBuiltError("No code set is built. Build it with `chartcoder vocab build` (no network).")
    day = on or date.today()
    started = [release for release in releases if release.effective <= day]
    if started:
        return ReleaseChoice(started[-1])
    return ReleaseChoice(releases[0], before_all=on is not None)


def release_for(on: date | str | None, home: Path | None = None) -> ReleaseChoice:
    """The release that codes a date of service (:func:`in_force` over ``home``'s releases): the one function
    the CLI, batch, Spark and the service call to turn a date of service into a release."""
    from vocab.artifact import default_home

    return in_force(list_releases(home or default_home()), parse_service_date(on))


def named_release(home: Path, text: str) -> ReleaseInfo:
    """The release named ``text``: its name (``FY2027``, case-insensitive) or its effective date (``2026-10-01``)."""
    releases = list_releases(home)
    wanted = text.strip()
    for release in releases:
        if wanted.upper() == release.name.upper() or wanted == release.effective.isoformat():
            return release
    known = ", ".join(f"{release.name} ({release.effective})" for release in releases) or "none"
    raise CodeSetNotBuiltError(
        f"No ICD-10-CM release {wanted!r} in {home}; the releases there: {known}. "
        "Import one with `chartcoder vocab import-release`."
    )


def current_folder(home: Path, effective: date | None = None) -> Path:
    """The artifact folder of the release effective on ``effective`` (exactly), or of the one in force today;
    ``<home>/codeset`` itself for a single-release home or a home with no release yet."""
    root = release_root(home)
    if is_single_release(root):
        return root
    if effective is not None:
        return release_folder(home, effective)
    started = [folder for day, folder in _dated_folders(root) if day <= date.today()]
    return started[-1] if started else next((folder for _, folder in _dated_folders(root)), root)


def migrate_single_release(home: Path) -> Path | None:
    """Move a single-release home's artifact into ``<home>/codeset/<effective date>/``; the folder, or None when
    there was nothing to migrate. Lossless and crash-safe: the files are linked (or copied) into a staging
    folder published by one rename, and only then are the old names removed, the manifest first; a run
    interrupted after the rename finishes the removal next time."""
    from vocab.artifact import publish_folder

    root = release_root(home)
    if not is_single_release(root):
        return None
    target = release_folder(home, effective_date(_release_name(root)))
    files = [entry for entry in root.iterdir() if entry.is_file() and not entry.name.startswith(".")]
    if not (target / _MANIFEST).is_file():
        with publish_folder(target, replace=True) as staging:
            for entry in files:
                _link_or_copy(entry, staging / entry.name)
    (root / _MANIFEST).unlink()
    for entry in files:
        entry.unlink(missing_ok=True)
    return target


def _link_or_copy(source: Path, destination: Path) -> None:
    try:
        os.link(source, destination)
    except OSError:  # a file system without hard links
        shutil.copy2(source, destination)


def _release_name(folder: Path) -> str:
    try:
        return str(json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))["release"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CodeSetFormatError(f"{folder / _MANIFEST} is not a chartcoder code-set manifest: {error}") from error
