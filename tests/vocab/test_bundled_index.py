"""The Alphabetic Index shipped in the package: its files, which index wins when the code set is built, and the
`vocab build` / `vocab info` commands over it."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vocab.build
import vocab.bundled_index
from cli.main import app
from vocab.artifact import codeset_folder
from vocab.bundled_index import BUNDLED_INDEX_FILES, read_bundled_indexes
from vocab.index import read_index
from vocab.vocabulary import build_vocabulary, load_vocabulary

DATA = Path(vocab.bundled_index.__file__).parent / "data" / "index"


@pytest.fixture(scope="module")
def bundled():
    return read_bundled_indexes()


@pytest.fixture
def cached_bundled(monkeypatch: pytest.MonkeyPatch, bundled) -> None:
    """The bundled files parsed once for the module (each parse takes seconds)."""
    by_source = {index.source: index for index in bundled}
    monkeypatch.setattr(vocab.bundled_index, "read_bundled_indexes", lambda sources: [by_source[s] for s in sources])


# The official main index, as CDC publishes it (icd10cm-index-<year>.xml), cut down to one made-up entry.
USER_XML = """<?xml version="1.0" encoding="utf-8"?>
<ICD10CM.index>
  <version>2026</version>
  <title>ICD-10-CM INDEX TO DISEASES and INJURIES</title>
  <letter>
    <title>L</title>
    <mainTerm>
      <title>Lung</title>
      <term level="1"><title>wobbly</title><code>J69.0</code></term>
    </mainTerm>
  </letter>
</ICD10CM.index>
"""


def user_index(tmp_path: Path):
    path = tmp_path / "icd10cm-index-2026.xml"
    path.write_text(USER_XML, encoding="utf-8")
    return read_index(path)


# ------------------------------------------------------------------------------------------------ the files


def test_the_four_bundled_files_and_their_releases(bundled) -> None:
    assert [index.source for index in bundled] == ["index", "eindex", "drug", "neoplasm"]
    assert [index.release for index in bundled] == ["FY2025"] + ["FY2026 (April 1, 2026)"] * 3
    assert [len(index.terms) for index in bundled] == [81_024, 8_090, 7_430, 1_940]
    main = bundled[0]
    assert main.find("Pneumonia", "aspiration").codes == ("J69.0",)


def test_the_data_readme_states_provenance_and_every_checksum() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "CDC/NCHS" in readme and "public domain" in readme
    for name in BUNDLED_INDEX_FILES.values():
        assert (DATA / name).is_file(), name
        uncompressed = gzip.decompress((DATA / name).read_bytes())
        row = re.search(rf"`{re.escape(name.removesuffix('.gz'))}` \| `([0-9a-f]{{64}})`", readme)
        assert row is not None, f"{name}: no sha256 row in the data README"
        assert hashlib.sha256(uncompressed).hexdigest() == row.group(1), name


def test_titles_the_csv_conversion_cut_inside_a_word_are_restored(bundled) -> None:
    """The Index entry "Cancer(o)phobia" F45.29 came out of the CSV conversion as the main term "Cancer" (its rest
    lost), which read every "cancer" or "CA" of a note as cancer phobia. The reviewed table puts the printed rest
    back; each of its rows names a row of the bundled CSV (a row it no longer matches would silently do nothing)."""
    import csv
    import io

    from vocab.index import csv_cut_titles

    main = bundled[0]
    assert main.find("Cancerphobia").codes == ("F45.29",)
    assert [term.codes for term in main.terms if term.title == "Cancer"] == [()]  # the "see also Neoplasm" entry
    assert main.find("Syndrome", "Klein-Levin").codes == ("G47.13",)
    assert main.find("Weil-Marchesani syndrome").codes == ("Q87.19",)
    assert main.find("Weil") is None
    rows = csv.reader(io.StringIO(gzip.decompress((DATA / "index_2025.csv.gz").read_bytes()).decode("utf-8")))
    csv_keys = {(int(row[2]), row[3], row[6], row[7]) for row in list(rows)[1:] if row}
    assert set(csv_cut_titles()) <= csv_keys


@pytest.mark.shared_data
def test_the_bundled_files_are_the_shared_copies_verbatim(shared_data_dir: Path) -> None:
    for name in BUNDLED_INDEX_FILES.values():
        original = shared_data_dir / "icd10cm_index" / name.removesuffix(".gz")
        assert gzip.decompress((DATA / name).read_bytes()) == original.read_bytes(), name


def test_a_missing_bundled_file_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from vocab.errors import IndexFormatError

    monkeypatch.setitem(BUNDLED_INDEX_FILES, "drug", "icd10cm-drug-1999.xml.gz")
    with pytest.raises(IndexFormatError, match=r"missing from this chartcoder installation.*--no-index"):
        read_bundled_indexes(["drug"])


# ------------------------------------------------------------------------------------------- which index wins


def origins(home: Path) -> dict[str, str | None]:
    vocabulary = load_vocabulary(home)
    return {source: vocabulary.index_origin(source) for source in vocabulary.index_sources()}


@pytest.mark.slow  # four builds of the mini code set with the bundled Index
@pytest.mark.usefixtures("cached_bundled")
def test_a_users_import_wins_over_the_bundled_file_and_survives_rebuilds(
    tmp_path: Path, mini_codeset, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    built = build_vocabulary(home, codeset=mini_codeset, bundled_index=True)
    assert origins(home) == dict.fromkeys(["index", "eindex", "drug", "neoplasm"], "bundled")
    assert built.manifest.counts["index_entries"] == 81_024 + 8_090 + 7_430 + 1_940
    # the mini code set lacks most codes: they are counted as invalid and left out, as for import-index
    assert built.manifest.counts["index_index_invalid_codes"] > 0

    # import-index of the user's official main index XML: it replaces the bundled CSV, the tables stay bundled
    build_vocabulary(home, codeset=mini_codeset, indexes=[user_index(tmp_path)])
    assert origins(home) == {"index": "imported", "eindex": "bundled", "drug": "bundled", "neoplasm": "bundled"}
    assert load_vocabulary(home).manifest.counts["index_index_entries"] == 2

    # `vocab build` (the bundled files again) keeps the user's import
    build_vocabulary(home, codeset=mini_codeset, bundled_index=True)
    assert origins(home)["index"] == "imported"
    assert load_vocabulary(home).search("lung wobbly", limit=1)[0].code == "J69.0"

    # `vocab build --no-index`: the bundled files go, the user's import stays
    build_vocabulary(home, codeset=mini_codeset, bundled_index=False)
    assert origins(home) == {"index": "imported"}


def test_an_artifact_from_before_the_bundling_counts_its_indexes_as_the_users(tmp_path: Path, mini_codeset) -> None:
    home = tmp_path / "home"
    build_vocabulary(home, codeset=mini_codeset, indexes=[user_index(tmp_path)])
    manifest = codeset_folder(home) / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    del data["sources"]["index_index_origin"]  # as written by chartcoder before the Index was bundled
    manifest.write_text(json.dumps(data), encoding="utf-8")
    assert origins(home) == {"index": "imported"}
    build_vocabulary(home, codeset=mini_codeset, bundled_index=False)
    assert origins(home) == {"index": "imported"}


# ------------------------------------------------------------------------------------------------- commands


@pytest.fixture
def mini_tabular(monkeypatch: pytest.MonkeyPatch, mini_codeset) -> None:
    """`vocab build` reads the mini Tabular List instead of the full one (seconds instead of half a minute)."""
    monkeypatch.setattr(vocab.build, "build_codeset", lambda: mini_codeset)


@pytest.mark.slow  # two builds of the mini code set, one with the bundled Index
@pytest.mark.usefixtures("mini_tabular", "cached_bundled")
def test_vocab_build_imports_the_bundled_index_unless_no_index(tmp_path: Path) -> None:
    runner = CliRunner()
    built = runner.invoke(app, ["vocab", "build", "--home", str(tmp_path)])
    assert built.exit_code == 0, built.output
    assert "index     FY2025, bundled: 81,024 entries" in built.stdout
    info = json.loads(runner.invoke(app, ["vocab", "info", "--json", "--home", str(tmp_path)]).stdout)
    assert info["indexes"] == ["index", "eindex", "drug", "neoplasm"]
    assert set(info["index_origins"].values()) == {"bundled"}
    assert info["counts"]["index_entries"] > 90_000
    text = runner.invoke(app, ["vocab", "info", "--home", str(tmp_path)]).stdout
    assert "neoplasm  FY2026 (April 1, 2026), bundled: 1,940 entries" in text

    plain = runner.invoke(app, ["vocab", "build", "--no-index", "--home", str(tmp_path)])
    assert plain.exit_code == 0 and "no Alphabetic Index" in plain.stdout
    info = json.loads(runner.invoke(app, ["vocab", "info", "--json", "--home", str(tmp_path)]).stdout)
    assert info["indexes"] == [] and info["counts"]["index_entries"] == 0


# ------------------------------------------------------------------------------------------ the default home


@pytest.mark.slow
def test_the_default_build_has_the_full_lexicon(indexed_vocabulary) -> None:
    """What the README's run command gives a fresh install: the Index in, with no extra step."""
    counts = indexed_vocabulary.manifest.counts
    assert counts["index_entries"] > 90_000
    assert indexed_vocabulary.index_sources() == ["index", "eindex", "drug", "neoplasm"]
    assert {indexed_vocabulary.index_origin(source) for source in indexed_vocabulary.index_sources()} == {"bundled"}
    assert counts["lexicon_terms"] > 200_000
