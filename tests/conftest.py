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
def full_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A chartcoder home with the complete FY2026 code set built from the installed Tabular List (~15 s)."""
    from vocab.vocabulary import build_vocabulary

    home = tmp_path_factory.mktemp("full-home")
    build_vocabulary(home)
    return home


@pytest.fixture(scope="session")
def full_vocabulary(full_home: Path):
    from vocab.vocabulary import load_vocabulary

    return load_vocabulary(full_home)


@pytest.fixture(scope="session")
def indexed_home(tmp_path_factory: pytest.TempPathFactory, full_home: Path, shared_data_dir: Path) -> Path:
    """The full code set with the Alphabetic Index (CSV) and the eindex, drug and neoplasm tables imported."""
    import shutil

    from vocab.index import read_index
    from vocab.vocabulary import build_vocabulary, load_vocabulary

    home = tmp_path_factory.mktemp("indexed-home")
    shutil.copytree(full_home / "codeset", home / "codeset")
    folder = shared_data_dir / "icd10cm_index"
    indexes = [
        read_index(folder / name)
        for name in (
            "index_2025.csv",
            "icd10cm-eindex-April-1-2026-XML.xml",
            "icd10cm-drug-April-1-2026-XML.xml",
            "icd10cm-neoplasm-April-1-2026-XML.xml",
        )
    ]
    build_vocabulary(home, codeset=load_vocabulary(home).codeset, indexes=indexes)
    return home


@pytest.fixture(scope="session")
def indexed_vocabulary(indexed_home: Path):
    from vocab.vocabulary import load_vocabulary

    return load_vocabulary(indexed_home)
