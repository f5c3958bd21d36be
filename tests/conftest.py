"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

# ../shared/data next to the repository: real public data sets, present on development machines only.
SHARED_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The shared data folder; tests using it are skipped, with the reason, where it is absent."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA_DIR} (check out ../shared next to the repository)")
    return SHARED_DATA_DIR


FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _settings_read_afresh():
    """Each test sees chartcoder's settings as its own environment says (vocab.settings caches them per process)."""
    from vocab.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def mini_codeset():
    """A 3,700-code slice of the FY2026 Tabular List (E10-E11, I10, I48, I50, J18, J69, N18, S52, T36, ...)."""
    from vocab.build import build_codeset

    return build_codeset(FIXTURES_DIR / "tabular_mini.xml", FIXTURES_DIR / "code_list_mini.txt")


@pytest.fixture(scope="session")
def mini_home(tmp_path_factory: pytest.TempPathFactory, mini_codeset) -> Path:
    """A chartcoder home whose artifact holds the mini code set (fast to build: unit tests use it)."""
    from vocab.vocabulary import build_vocabulary

    home = tmp_path_factory.mktemp("mini-home")
    build_vocabulary(home, codeset=mini_codeset)
    return home


@pytest.fixture(scope="session")
def mini_vocabulary(mini_home: Path):
    from vocab.vocabulary import load_vocabulary

    return load_vocabulary(mini_home)


@pytest.fixture(scope="session")
def indexed_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chartcoder home as `chartcoder vocab build` makes it: the complete FY2026 code set with the Alphabetic
    Index bundled in the package (index, eindex, drug and neoplasm tables) imported (~25 s; once a session)."""
    from vocab.vocabulary import build_vocabulary

    home = tmp_path_factory.mktemp("indexed-home")
    build_vocabulary(home)
    return home


@pytest.fixture(scope="session")
def full_home(tmp_path_factory: pytest.TempPathFactory, indexed_home: Path) -> Path:
    """The complete FY2026 code set without any Alphabetic Index (`chartcoder vocab build --no-index`).

    Made from the indexed home's code set, so that a session needing both reads the Tabular List once.
    """
    from vocab.vocabulary import build_vocabulary, load_vocabulary

    home = tmp_path_factory.mktemp("full-home")
    build_vocabulary(home, codeset=load_vocabulary(indexed_home).codeset, bundled_index=False)
    return home


@pytest.fixture(scope="session")
def full_vocabulary(full_home: Path):
    from vocab.vocabulary import load_vocabulary

    return load_vocabulary(full_home)


@pytest.fixture(scope="session")
def indexed_vocabulary(indexed_home: Path):
    from vocab.vocabulary import load_vocabulary

    return load_vocabulary(indexed_home)


@pytest.fixture(scope="session")
def release_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """CDC's zips (and a conversion table) of a test "FY2027" derived from the mini FY2026 (issue 15)."""
    from tests.vocab.release_fixtures import write_release_2027

    return write_release_2027(tmp_path_factory.mktemp("cdc-download"))


@pytest.fixture(scope="session")
def two_release_home(tmp_path_factory: pytest.TempPathFactory, mini_home: Path, release_files: list[Path]) -> Path:
    """The mini home (FY2026, effective 2025-10-01) with the test FY2027 (2026-10-01) imported beside it."""
    import shutil

    from vocab.release_import import import_release

    home = tmp_path_factory.mktemp("two-releases")
    shutil.copytree(mini_home / "codeset", home / "codeset")
    import_release(release_files, home, bundled_index=False)
    return home
