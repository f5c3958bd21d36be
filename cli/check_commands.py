"""``chartcoder check``: the documentation findings of one note (incomplete, inconsistent, unspecific)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cli._common import HomeOption, console, fail, read_text_input, user_errors
from cli.suggest_commands import ModelOption, SettingOption
from suggest.documentation.document_type import DOCUMENT_TYPES
from suggest.documentation.finding import Finding
from suggest.engine_pool import EngineSpec
from suggest.pipeline import DEFAULT_MAX_NOTE_CHARS
from vocab.vocabulary import ensure_vocabulary

__all__ = ["check"]

_SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def check(
    source: Annotated[str, typer.Argument(help="A note file (UTF-8 text), or '-' for standard input.")],
    setting: SettingOption = "outpatient",
    document_type: Annotated[
        str | None,
        typer.Option(
            "--document-type", help=f"One of {', '.join(DOCUMENT_TYPES)} (default: read from the note's headings)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    model: ModelOption = None,
    home: HomeOption = None,
) -> None:
    """Check one note's documentation: signature, dates, required sections, conflicting attributes, unspecified
    codes the note could make specific, clinical indicators without a diagnosis. Exit 0 whatever it finds."""
    if document_type is not None and document_type not in DOCUMENT_TYPES:
        raise fail(f"Unknown document type {document_type!r}: expected one of {', '.join(DOCUMENT_TYPES)}.")
    text = read_text_input(source, max_bytes=4 * DEFAULT_MAX_NOTE_CHARS)
    with user_errors():
        ensure_vocabulary(home)
        engine = EngineSpec(home=home, model=model).load()
        result = engine.suggest(
            text,
            setting=setting,
            note_id=None if source == "-" else Path(source).name,
            document_type=document_type,
        )
    if as_json:
        print(json.dumps([finding.to_dict() for finding in result.documentation], indent=2, ensure_ascii=False))
        return
    _print_findings(result.documentation)


def _print_findings(findings: tuple[Finding, ...]) -> None:
    """One block per finding. Text parts only: the note's words and the messages hold square brackets that rich
    markup would eat (the console has markup off as well)."""
    if not findings:
        console.print("No documentation findings.")
        return
    for finding in findings:
        query = "  (a provider query may resolve it)" if finding.needs_query else ""
        console.print(
            Text.assemble((f"{finding.severity:<8}", _SEVERITY_STYLES[finding.severity]), finding.kind, query)
        )
        console.print(Text(f"    {finding.message}"))
        for piece in finding.evidence:
            console.print(Text(f"    evidence: {piece.text!r} ({piece.section.replace('_', ' ')})", style="dim"))
        console.print(Text(f"    basis: {finding.basis}", style="dim"))
    counts = {severity: sum(1 for item in findings if item.severity == severity) for severity in _SEVERITY_STYLES}
    console.print(", ".join(f"{count} {severity}" for severity, count in counts.items() if count))
