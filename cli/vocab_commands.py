"""``chartcoder vocab``: build the code set (with the bundled Alphabetic Index), import a user's Index files, show
what is loaded."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from cli._common import HomeOption, console, error_console, fail, user_errors
from vocab.index import AlphabeticIndex, IndexValidation, read_index, validate_codes
from vocab.vocabulary import build_vocabulary, ensure_vocabulary, load_vocabulary

app = typer.Typer(help="The ICD-10-CM code set and its Alphabetic Index.", no_args_is_help=True)


@app.command("build")
def build(
    home: HomeOption = None,
    no_index: Annotated[
        bool,
        typer.Option(
            "--no-index",
            help="Leave out the Alphabetic Index bundled in the package (the Tabular List's terms only); "
            "indexes imported with `vocab import-index` are kept.",
        ),
    ] = False,
) -> None:
    """Build the FY2026 code set from the bundled Tabular List and Alphabetic Index (no network), keeping
    indexes imported with `vocab import-index`."""
    with user_errors():
        started = time.perf_counter()
        vocabulary = build_vocabulary(home, bundled_index=not no_index)
        counts = vocabulary.manifest.counts
        console.print(
            f"Built ICD-10-CM {vocabulary.release}: {counts['codes']:,} codes, {counts['billable_codes']:,} billable, "
            f"{counts['lexicon_terms']:,} lexicon terms in {time.perf_counter() - started:.1f} s -> {vocabulary.folder}"
        )
        for source in vocabulary.index_sources():
            console.print(f"  {_index_line(vocabulary.info(), source)}", highlight=False)
        if not vocabulary.index_sources():
            console.print("  no Alphabetic Index (chartcoder vocab build without --no-index bundles it)")


def _index_line(details: dict[str, Any], source: str) -> str:
    counts = details["counts"]
    invalid = counts.get(f"index_{source}_invalid_codes")
    dropped = f", {invalid:,} code{'s' * (invalid != 1)} not valid in {details['code_set']} left out" if invalid else ""
    return (
        f"{source:<9} {details['sources'].get(f'index_{source}', '?')}, {details['index_origins'][source]}: "
        f"{counts.get(f'index_{source}_entries', 0):,} entries{dropped}"
    )


@app.command("info")
def info(
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Release, counts (codes, billable codes, index entries, lexicon terms) and imported indexes."""
    with user_errors():
        details = ensure_vocabulary(home).info()
    if as_json:
        print(json.dumps(details, indent=2))
        return
    console.print(Text.assemble((f"ICD-10-CM {details['release']}", "bold"), f"  ({details['folder']})"))
    for name, value in details["counts"].items():
        console.print(f"  {name.replace('_', ' '):<28} {value:>10,}")
    if not details["indexes"]:
        console.print("  Alphabetic Index: none (`chartcoder vocab build` bundles it; `vocab import-index PATH`)")
    for source in details["indexes"]:
        console.print(f"  {_index_line(details, source)}", highlight=False)


@app.command("import-index")
def import_index(
    paths: Annotated[list[Path], typer.Argument(help="CDC index XML (index, eindex, drug, neoplasm) or CSV files.")],
    home: HomeOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the validation report as JSON.")] = False,
    show: Annotated[int, typer.Option(help="How many invalid codes to list per file (all with --json).")] = 20,
) -> None:
    """Import your own Alphabetic Index files (e.g. CDC's official icd10cm-index-<year>.xml): each replaces the
    bundled file of its kind and is kept across rebuilds; report every code not valid in the current release."""
    with user_errors():
        vocabulary = ensure_vocabulary(home)
        indexes, reports = [], []
        for path in paths:
            index = read_index(path)
            validation = validate_codes(index, vocabulary.codeset.is_valid)
            indexes.append(index)
            reports.append(_report(path, index, validation))
        if len({index.source for index in indexes}) < len(indexes):
            raise fail("Two of the files are the same kind of index; import one of each kind at a time.")
        rebuilt = build_vocabulary(home, codeset=vocabulary.codeset, indexes=indexes)
    if as_json:
        print(json.dumps({"indexes": reports, "counts": rebuilt.manifest.counts}, indent=2))
        return
    for report in reports:
        console.print(
            f"{report['file']}: {report['source']} ({report['release']}), {report['terms']:,} terms, "
            f"{report['codes']:,} codes, {report['valid']:,} valid in {vocabulary.release}, "
            f"{len(report['invalid']):,} not valid"
        )
        for item in report["invalid"][:show]:
            error_console.print(f"  invalid {item['code']:<10} {item['reason']:<40} {' > '.join(item['path'])}")
        if len(report["invalid"]) > show:
            error_console.print(f"  ... and {len(report['invalid']) - show:,} more (use --json for all)")
    console.print(f"Lexicon rebuilt: {rebuilt.manifest.counts['lexicon_terms']:,} terms.")


def _report(path: Path, index: AlphabeticIndex, validation: IndexValidation) -> dict[str, Any]:
    return {
        "file": str(path),
        "source": index.source,
        "release": index.release,
        "terms": len(index.terms),
        "codes": validation.total_codes,
        "valid": validation.valid,
        "invalid": [{"code": item.code, "reason": item.reason, "path": list(item.path)} for item in validation.invalid],
    }


@app.command("path")
def path(home: HomeOption = None) -> None:
    """Print the folder that holds the code-set artifact."""
    with user_errors():
        print(load_vocabulary(home).folder)
