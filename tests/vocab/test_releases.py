"""Issue 15: ICD-10-CM releases side by side, imported from CDC's files, chosen by the date of service.

The test "FY2027" is built from the FY2026 mini Tabular List in CDC's zip layout (:mod:`release_fixtures`):
E10.11 deleted, E10.12 added (the conversion table maps E10.11 to it), E11.9 retitled.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cli.main import app
from tests.vocab.release_fixtures import ADDED, DELETED, NEW_TITLE, RETITLED, write_release_2027
from vocab.artifact import codeset_folder
from vocab.release_import import ReleaseImportError, import_release
from vocab.releases import effective_date, list_releases, migrate_single_release, release_for
from vocab.vocabulary import load_vocabulary

FY2026 = date(2025, 10, 1)  # the mini Tabular List is FY2026 (October release)
FY2027 = date(2026, 10, 1)


def run(home: Path, *args: str, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(app, [*args, "--home", str(home)], input=stdin)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def snapshot(home: Path) -> dict[str, str]:
    """Every file under the home's code sets, with its sha256: what "nothing changed" means."""
    root = home / "codeset"
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def fresh_home(tmp_path: Path, mini_home: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(mini_home / "codeset", home / "codeset")
    return home


# ------------------------------------------------------------------------------------------------ naming


def test_effective_dates_of_release_names() -> None:
    assert effective_date("FY2026") == date(2025, 10, 1)
    assert effective_date("FY2026 (April 1, 2026)") == date(2026, 4, 1)
    assert effective_date("FY2027") == date(2026, 10, 1)


# ------------------------------------------------------------------------------------------------ import


def test_import_release_writes_a_dated_artifact_beside_the_others(two_release_home: Path) -> None:
    releases = list_releases(two_release_home)
    assert [(r.effective, r.name) for r in releases] == [(FY2026, "FY2026"), (FY2027, "FY2027")]
    assert [r.folder.name for r in releases] == ["2025-10-01", "2026-10-01"]
    new = load_vocabulary(two_release_home, FY2027)
    old = load_vocabulary(two_release_home, FY2026)
    assert new.code_set == "ICD-10-CM FY2027" and old.code_set == "ICD-10-CM FY2026"
    assert ADDED in new.codeset and DELETED not in new.codeset
    assert DELETED in old.codeset and ADDED not in old.codeset
    assert new.codeset.resolve(RETITLED).description == NEW_TITLE
    assert new.conversion_rows() == ((DELETED, ADDED, "2026-10-01"),)
    assert new.index_sources() == ["index"] and new.manifest.counts["index_index_invalid_codes"] == 0
    assert new.search("type 1 diabetes ketoacidosis with coma", limit=3)[0].code == ADDED


def test_import_release_from_unpacked_files(tmp_path: Path, fresh_home: Path, release_files: list[Path]) -> None:
    """The zips' files unpacked in their CDC folders import the same way as the zips."""
    unpacked = tmp_path / "unpacked"
    for archive in release_files[:2]:
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(unpacked)
    imported = import_release([unpacked], fresh_home, bundled_index=False)
    assert imported.name == "FY2027" and imported.effective == FY2027 and not imported.replaced
    assert imported.conversions == 0


def test_importing_the_same_release_again_replaces_it(two_release_home: Path, release_files: list[Path]) -> None:
    again = import_release(release_files, two_release_home, bundled_index=False)
    assert again.replaced and [r.name for r in list_releases(two_release_home)] == ["FY2026", "FY2027"]


# ------------------------------------------------------------------------------------- broken release input


def _zip_without(folder: Path, source: Path, dropped: str) -> Path:
    target = folder / source.name
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for member in original.infolist():
            if dropped not in member.filename:
                copy.writestr(member, original.read(member))
    return target


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("truncated tabular", "Cannot read the tabular XML"),
        ("zip without a tabular", "lacks the Tabular List XML"),
        ("index of another release", "not in the release's Tabular List"),
        ("not a zip", "is not a readable zip file"),
        ("no order file", "lacks the order file"),
    ],
)
def test_broken_release_input_is_refused_and_nothing_changes(
    tmp_path: Path, fresh_home: Path, release_files: list[Path], case: str, message: str
) -> None:
    download = tmp_path / "download"
    if case == "truncated tabular":
        paths = write_release_2027(download, truncate_tabular=True)
    elif case == "zip without a tabular":
        download.mkdir()
        paths = [release_files[0], _zip_without(download, release_files[1], "tabular")]
    elif case == "index of another release":
        paths = write_release_2027(download, index_codes_missing=12)
    elif case == "not a zip":
        download.mkdir()
        broken = download / release_files[1].name
        broken.write_bytes(release_files[1].read_bytes()[:200])
        paths = [release_files[0], broken]
    else:
        paths = [release_files[1]]
    before = snapshot(fresh_home)
    with pytest.raises(ReleaseImportError, match=message):
        import_release(paths, fresh_home, bundled_index=False)
    assert snapshot(fresh_home) == before
    assert not list((fresh_home / "codeset").glob(".*"))  # no staging folder left behind

    result = run(fresh_home, "vocab", "import-release", *map(str, paths), "--no-index")
    assert result.exit_code == 2 and message.split()[0] in result.stderr
    assert snapshot(fresh_home) == before


def test_an_interrupted_import_leaves_the_old_state(
    fresh_home: Path, release_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while the artifact is being written (the disk full, the process stopped) publishes nothing."""
    import vocab.artifact

    before = snapshot(fresh_home)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(vocab.artifact, "_fsync_folder", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_release(release_files, fresh_home, bundled_index=False)
    assert snapshot(fresh_home) == before and not list((fresh_home / "codeset").glob(".*"))


# ------------------------------------------------------------------------------------------ date of service


def test_the_release_in_force_on_the_date_of_service(two_release_home: Path) -> None:
    assert release_for("2026-11-15", two_release_home).release.name == "FY2027"
    assert release_for("2026-10-01", two_release_home).release.name == "FY2027"
    assert release_for("2026-09-15", two_release_home).release.name == "FY2026"
    assert release_for(date(2025, 10, 1), two_release_home).release.name == "FY2026"
    early = release_for("2024-05-01", two_release_home)
    assert early.release.name == "FY2026" and early.before_all
    today = release_for(None, two_release_home)
    assert not today.before_all and today.release.effective <= date.today()


def test_a_date_that_is_not_a_date_is_a_clear_error(two_release_home: Path) -> None:
    from vocab.releases import ReleaseDateError

    with pytest.raises(ReleaseDateError, match="YYYY-MM-DD"):
        release_for("2026-02-30", two_release_home)


def test_codes_show_by_date_refuses_a_code_not_in_force(two_release_home: Path) -> None:
    ok = run(two_release_home, "codes", "show", DELETED, "--date", "2026-09-15", "--json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["release"] == "ICD-10-CM FY2026"
    refused = run(two_release_home, "codes", "show", DELETED, "--date", "2026-11-15")
    assert refused.exit_code == 2 and f"{DELETED} is not a code in ICD-10-CM FY2027" in " ".join(refused.stderr.split())
    added = run(two_release_home, "codes", "show", ADDED, "--release", "FY2027", "--json")
    assert added.exit_code == 0 and json.loads(added.stdout)["code"] == ADDED
    unknown = run(two_release_home, "codes", "search", "diabetes", "--release", "FY2031")
    assert unknown.exit_code == 2 and "No ICD-10-CM release 'FY2031'" in " ".join(unknown.stderr.split())


def test_check_codes_on_date_names_the_release_and_the_date(two_release_home: Path) -> None:
    from suggest.releases import CodeNotInReleaseError, check_codes_on_date

    vocabulary = load_vocabulary(two_release_home, FY2027)
    check_codes_on_date(vocabulary, [ADDED, "E11.9"], "2026-11-15")
    with pytest.raises(CodeNotInReleaseError, match=r"E10\.11 is not valid in ICD-10-CM FY2027, the release in force"):
        check_codes_on_date(vocabulary, [DELETED], "2026-11-15")


def test_vocab_list_shows_the_releases_and_the_one_in_force(two_release_home: Path) -> None:
    result = run(two_release_home, "vocab", "list", "--json", "--date", "2026-09-15")
    payload = json.loads(result.stdout)
    assert [(row["release"], row["in_force"]) for row in payload["releases"]] == [("FY2026", True), ("FY2027", False)]
    table = run(two_release_home, "vocab", "list")
    assert "ICD-10-CM FY2027" in table.stdout and "in force" in table.stdout


# -------------------------------------------------------------------------------------------- migration


def _single_release_home(home: Path, mini_home: Path) -> dict[str, str]:
    """A home as chartcoder wrote it before releases: the artifact's files directly in <home>/codeset/."""
    root = home / "codeset"
    shutil.copytree(codeset_folder(mini_home), root)
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in root.iterdir()}


def test_a_single_release_home_is_migrated_in_place_without_loss(tmp_path: Path, mini_home: Path) -> None:
    home = tmp_path / "old-home"
    files = _single_release_home(home, mini_home)
    assert [r.folder for r in list_releases(home)] == [home / "codeset"]
    vocabulary = load_vocabulary(home)  # the first load migrates
    assert vocabulary.folder == home / "codeset" / "2025-10-01" and vocabulary.home == home
    moved = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in vocabulary.folder.iterdir()}
    assert moved == files and sorted(p.name for p in (home / "codeset").iterdir()) == ["2025-10-01"]
    assert migrate_single_release(home) is None  # done once


def test_a_migration_interrupted_after_the_rename_is_finished_next_time(tmp_path: Path, mini_home: Path) -> None:
    home = tmp_path / "old-home"
    files = _single_release_home(home, mini_home)
    shutil.copytree(home / "codeset", tmp_path / "dated")
    (tmp_path / "dated").rename(home / "codeset" / "2025-10-01")  # published, the old names not yet removed
    assert migrate_single_release(home) == home / "codeset" / "2025-10-01"
    assert sorted(p.name for p in (home / "codeset").iterdir()) == ["2025-10-01"]
    assert {p.name for p in (home / "codeset" / "2025-10-01").iterdir()} == set(files)


def test_a_read_only_single_release_home_still_loads(
    tmp_path: Path, mini_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Spark executor's read-only copy of an old home: nothing can be moved, and it is read where it is."""
    import vocab.artifact

    home = tmp_path / "old-home"
    _single_release_home(home, mini_home)

    def read_only(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(vocab.artifact.tempfile, "mkdtemp", read_only)
    assert load_vocabulary(home).folder == home / "codeset"
    assert (home / "codeset" / "manifest.json").is_file()


def test_two_releases_share_the_code_records_they_have_alike(two_release_home: Path) -> None:
    old = load_vocabulary(two_release_home, FY2026).codeset
    new = load_vocabulary(two_release_home, FY2027).codeset
    assert new.codes["I10"] is not old.codes["I10"]
    shared = new.share_with(old)
    assert new.codes["I10"] is old.codes["I10"] and shared == len(new) - 3  # E10.1 (its children), E10.12, E11.9
    assert new.codes[RETITLED].description == NEW_TITLE and new.codes["E10.1"].children == ("E10.10", ADDED)
