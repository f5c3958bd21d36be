"""``chartcoder vocab``: build the code set (with the bundled Alphabetic Index), import a user's Index files, show
what is loaded."""

from __future__ import annotations

import contextlib
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


@app.command("import-release")
def import_release_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="CDC's zips for one release (the 'Code Descriptions' and 'Table and Index' zips, and the "
            "conversion table exported as text when wanted), or their files or folders unpacked."
        ),
    ],
    home: HomeOption = None,
    no_index: Annotated[
        bool,
        typer.Option(
            "--no-index",
            help="When the release brings no Alphabetic Index, build from its Tabular List's terms only instead "
            "of the bundled Index (validated against the release).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import an ICD-10-CM release downloaded from CDC (e.g. FY2027) beside the others; notes are coded with the
    release in force on their date of service. Nothing changes when the files are broken."""
    from vocab.release_import import import_release
    from vocab.settings import get_settings

    with user_errors():
        started = time.perf_counter()
        imported = import_release(paths, home or get_settings().home.expanduser(), bundled_index=not no_index)
        seconds = time.perf_counter() - started
    counts = imported.counts
    if as_json:
        report = {
            "release": imported.name,
            "effective": imported.effective.isoformat(),
            "folder": str(imported.folder),
            "replaced": imported.replaced,
            "seconds": round(seconds, 2),
            "counts": counts,
            "indexes": imported.index_reports,
            "bundled_index": imported.bundled_index,
            "conversion_rows": imported.conversions,
        }
        print(json.dumps(report, indent=2))
        return
    verb = "Replaced" if imported.replaced else "Imported"
    console.print(
        f"{verb} ICD-10-CM {imported.name}, effective {imported.effective}: {counts['codes']:,} codes, "
        f"{counts['billable_codes']:,} billable, {counts['lexicon_terms']:,} lexicon terms in {seconds:.1f} s "
        f"-> {imported.folder}"
    )
    for source, report in imported.index_reports.items():
        console.print(
            f"  {source:<9} {report['file']}: {report['entries']:,} entries, {report['codes']:,} codes, "
            f"{report['invalid']:,} not valid in the release (left out)"
        )
    if imported.bundled_index:
        console.print("  no Alphabetic Index in the files: the bundled Index is used, validated against the release")
    if imported.conversions:
        console.print(f"  conversion table: {imported.conversions:,} prior codes mapped to current ones")


@app.command("list")
def list_command(
    home: HomeOption = None,
    on: Annotated[str | None, typer.Option("--date", help="Show the release in force on this date.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The releases of the home by effective date, and the one in force today (or on --date)."""
    from datetime import date

    from vocab.releases import in_force, list_releases, migrate_single_release, parse_service_date
    from vocab.settings import get_settings

    with user_errors():
        folder = home or get_settings().home.expanduser()
        with contextlib.suppress(OSError):
            migrate_single_release(folder)
        releases = list_releases(folder)
        day = parse_service_date(on) or date.today()
        choice = in_force(releases, day)
    rows = [
        {
            "effective": release.effective.isoformat(),
            "release": release.name,
            "code_set": release.code_set,
            "in_force": release == choice.release,
            "folder": str(release.folder),
        }
        for release in releases
    ]
    if as_json:
        print(json.dumps({"date": day.isoformat(), "before_all": choice.before_all, "releases": rows}, indent=2))
        return
    for row in rows:
        marker = f"  <- in force on {day}" if row["in_force"] else ""
        console.print(f"{row['effective']}  {row['code_set']:<34}{marker}")
    if choice.before_all:
        console.print(f"{day} is before every release here: the oldest codes it (the codes may differ).")


@app.command("path")
def path(home: HomeOption = None) -> None:
    """Print the folder that holds the code-set artifact."""
    with user_errors():
        print(load_vocabulary(home).folder)
